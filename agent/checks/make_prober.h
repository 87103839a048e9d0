#pragma once
// Config -> the prober for one service's check.

#include <event2/event.h>

#include <memory>

#include "agent/checks/prober.h"
#include "agent/config.h"

namespace fbf::agent::checks {

// Never null. A check that cannot work as configured (a name that does not
// resolve, a URL libevent cannot parse) yields a prober whose every probe
// fails with the reason, so the service stays visibly not-healthy and `show
// services` says why, instead of the check silently not running.
std::unique_ptr<Prober> make_prober(event_base* base, const HealthCheck& check);

// "tcp 127.0.0.1:80", "http http://127.0.0.1:8080/healthz", "exec /bin/check --x",
// "dns 127.0.0.1:53 SOA example.org", from the config alone (what a failing
// prober reports itself as).
std::string describe_check(const HealthCheck& check);

}  // namespace fbf::agent::checks
