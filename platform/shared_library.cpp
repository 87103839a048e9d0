#include "platform/shared_library.h"

#include <dlfcn.h>

#include <utility>

namespace fbf::platform {

namespace {

// dlerror(3) is the only error report dlopen/dlsym give; it is per thread
// and cleared by reading, so read it right after the failed call.
std::string last_dl_error(const char* what, const char* otherwise) {
  const char* text = ::dlerror();
  return text != nullptr ? std::string(text) : std::string(what) + ": " + otherwise;
}

}  // namespace

std::expected<SharedLibrary, std::string> SharedLibrary::open(const char* soname) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return std::unexpected(last_dl_error(soname, "cannot be loaded"));
  return SharedLibrary(handle);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) ::dlclose(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

std::expected<void*, std::string> SharedLibrary::lookup(const char* name) const {
  // Cleared first, so that the text read after a failure is this call's.
  // Only functions are looked up: a null address is an error even when
  // dlerror() has nothing to say (a symbol whose value is null).
  ::dlerror();
  void* address = ::dlsym(handle_, name);
  if (address == nullptr) return std::unexpected(last_dl_error(name, "symbol is null"));
  return address;
}

}  // namespace fbf::platform
