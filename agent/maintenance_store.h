#pragma once
// The maintenance phases on disk (`state_dir/maintenance.json`), so that a
// host rebooted mid-maintenance comes back drained (issue: "state survives
// restarts"). Written atomically: temp file, fsync, rename, fsync of the
// directory — a crash leaves the old file or the new one, never half of one.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <string>

#include "agent/maintenance.h"

namespace fbf::agent {

struct StoredMaintenance {
  MaintenancePhase phase = MaintenancePhase::active;
  std::int64_t since_unix_ms = 0;  // wall clock, for operators; never for timing
};
using MaintenanceState = std::map<std::string, StoredMaintenance>;  // by service name

std::filesystem::path maintenance_state_path(const std::filesystem::path& state_dir);

// A missing file is an empty state (nothing was ever in maintenance). A file
// that cannot be read or parsed is an error: the caller must fail safe
// (treat every service as drained), never as active.
std::expected<MaintenanceState, std::string> load_maintenance_state(
    const std::filesystem::path& file);
std::expected<void, std::string> save_maintenance_state(const std::filesystem::path& file,
                                                        const MaintenanceState& state);

}  // namespace fbf::agent
