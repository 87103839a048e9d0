#pragma once
// A shared library loaded at run time (dlopen(3)), for dependencies only some
// configurations use: libcrypto for BFD authentication (bfd/digest.cpp),
// libsystemd under a service manager (linux/service_notify_systemd.cpp).
// Not linking them keeps their pages, relocations and own dependencies out
// of every fbfd that never needs them (docs/architecture.md, "Module borders").

#include <bit>
#include <expected>
#include <string>
#include <type_traits>

namespace fbf::platform {

class SharedLibrary {
 public:
  // Loads `soname` with RTLD_NOW | RTLD_LOCAL: every symbol is bound now (a
  // broken library fails here, not at its first call), and none of them is
  // visible to other libraries. Error: dlerror(3)'s text, which names the file.
  static std::expected<SharedLibrary, std::string> open(const char* soname);

  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&& other) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary();  // dlclose

  // The function called `name`, as the pointer type Fn (declare it with the
  // library's own prototype: decltype(&MD5_Init)). Error: dlerror(3)'s text.
  template <typename Fn>
  std::expected<Fn, std::string> symbol(const char* name) const {
    static_assert(std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>,
                  "symbol<Fn>: Fn is a pointer to function");
    auto address = lookup(name);
    if (!address) return std::unexpected(std::move(address.error()));
    return std::bit_cast<Fn>(*address);  // POSIX: dlsym's object pointer converts
  }

 private:
  explicit SharedLibrary(void* handle) : handle_(handle) {}
  std::expected<void*, std::string> lookup(const char* name) const;

  void* handle_ = nullptr;
};

}  // namespace fbf::platform
