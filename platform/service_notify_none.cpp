// Platforms without a notify-style service manager (OpenBSD's rc.d, or a
// Linux build without libsystemd): readiness is the process staying up.
#include "platform/service_notify.h"

namespace fbf::platform {

void ServiceNotifier::ready() const {}
void ServiceNotifier::reloading() const {}
void ServiceNotifier::stopping() const {}
void ServiceNotifier::watchdog() const {}
std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
  return std::nullopt;
}
void ServiceNotifier::status(const char*) const {}

}  // namespace fbf::platform
