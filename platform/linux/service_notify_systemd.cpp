// sd_notify(3) through libsystemd, loaded only when the service manager asks
// for notifications: libsystemd and its own dependencies (libgcrypt, libzstd,
// liblzma, liblz4, libcap) would otherwise sit in every fbfd's memory for
// nothing (docs/architecture.md). Without NOTIFY_SOCKET sd_notify() itself
// does nothing, so neither do we; sd_watchdog_enabled() likewise needs
// WATCHDOG_USEC.
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "platform/service_notify.h"
#include "platform/shared_library.h"

namespace fbf::platform {

namespace {

struct Libsystemd {
  SharedLibrary library;  // keeps the functions mapped
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_watchdog_enabled) watchdog_enabled = nullptr;
};

std::expected<Libsystemd, std::string> load() {
  auto library = SharedLibrary::open("libsystemd.so.0");
  if (!library) return std::unexpected(std::move(library.error()));
  auto notify = library->symbol<decltype(&sd_notify)>("sd_notify");
  if (!notify) return std::unexpected(std::move(notify.error()));
  auto watchdog = library->symbol<decltype(&sd_watchdog_enabled)>("sd_watchdog_enabled");
  if (!watchdog) return std::unexpected(std::move(watchdog.error()));
  return Libsystemd{std::move(*library), *notify, *watchdog};
}

// libsystemd when `variable` is set (the service manager's request), loaded
// on the first such call. Process-wide and immutable once loaded, like the
// environment it answers to; ServiceNotifier stays a stateless value. A load
// failure is said once on stderr (the journal, under systemd), since none of
// these calls has a caller to return it to, and a Type=notify unit would
// otherwise time out without a word.
const Libsystemd* libsystemd_if(const char* variable) {
  if (std::getenv(variable) == nullptr) return nullptr;
  static const std::expected<Libsystemd, std::string> systemd = [] {
    auto loaded = load();
    if (!loaded) {
      std::fprintf(stderr, "fbfd: cannot notify the service manager: %s\n", loaded.error().c_str());
    }
    return loaded;
  }();
  return systemd ? &*systemd : nullptr;
}

void notify(const char* state) {
  if (const Libsystemd* systemd = libsystemd_if("NOTIFY_SOCKET")) systemd->notify(0, state);
}

}  // namespace

void ServiceNotifier::ready() const { notify("READY=1"); }
void ServiceNotifier::reloading() const { notify("RELOADING=1"); }
void ServiceNotifier::stopping() const { notify("STOPPING=1"); }
void ServiceNotifier::watchdog() const { notify("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
  const Libsystemd* systemd = libsystemd_if("WATCHDOG_USEC");
  if (systemd == nullptr) return std::nullopt;
  std::uint64_t usec = 0;
  if (systemd->watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

void ServiceNotifier::status(const char* text) const {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;  // no string built for nothing
  notify((std::string("STATUS=") + text).c_str());
}

}  // namespace fbf::platform
