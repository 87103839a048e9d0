#include <systemd/sd-daemon.h>

#include <string>

#include "platform/service_notify.h"

namespace fbf::platform {

void ServiceNotifier::ready() const { sd_notify(0, "READY=1"); }
void ServiceNotifier::reloading() const { sd_notify(0, "RELOADING=1"); }
void ServiceNotifier::stopping() const { sd_notify(0, "STOPPING=1"); }
void ServiceNotifier::watchdog() const { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

void ServiceNotifier::status(const char* text) const {
  sd_notify(0, (std::string("STATUS=") + text).c_str());
}

}  // namespace fbf::platform
