#pragma once
// spdlog set-up: one line per event, the peer/session named by the caller.
// Under systemd (JOURNAL_STREAM set) lines carry a syslog "<N>" priority
// prefix and no timestamp: journald adds its own.

#include <string_view>

#include "agent/config.h"

namespace fbf::agent {

// Installs the process-wide logger (stderr). Call once, before the loop starts.
void setup_logging(LogLevel level);
void set_log_level(LogLevel level);

// True when stderr is connected to the journal (systemd's JOURNAL_STREAM).
bool stderr_is_journal();

}  // namespace fbf::agent
