#pragma once
// Readiness and liveness reporting to the service manager (sd_notify(3) on
// systemd; nothing elsewhere). Every call is a no-op when the process was not
// started with NOTIFY_SOCKET.

#include <chrono>
#include <optional>

namespace fbf::platform {

class ServiceNotifier {
 public:
  void ready() const;      // READY=1, once sessions are configured
  void reloading() const;  // RELOADING=1 ... then ready() again
  void stopping() const;   // STOPPING=1
  void watchdog() const;   // WATCHDOG=1
  // WATCHDOG_USEC for this process, when the service manager set one.
  std::optional<std::chrono::microseconds> watchdog_interval() const;
  void status(const char* text) const;  // STATUS=...
};

}  // namespace fbf::platform
