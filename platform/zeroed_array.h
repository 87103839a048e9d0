#pragma once
// A fixed-size array that starts as all-zero bytes, allocated with calloc.
// A large calloc comes from fresh pages, which the kernel commits only when
// first written: a structure sized for thousands of sessions (the BFD timer
// wheel, the raw send queues) then costs resident memory for the part in
// use, where a std::vector's value-initialisation writes, and so commits,
// every page at start-up.

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

namespace fbf::platform {

// T: all-zero bytes must be a valid value (integers, arrays of bytes, C
// structs, and null pointers on every platform fbf builds for).
template <class T>
class ZeroedArray {
  static_assert(std::is_trivially_default_constructible_v<T> &&
                std::is_trivially_destructible_v<T>);

 public:
  ZeroedArray() = default;
  explicit ZeroedArray(std::size_t size)
      : data_(static_cast<T*>(std::calloc(size == 0 ? 1 : size, sizeof(T)))), size_(size) {
    if (!data_) throw std::bad_alloc();
  }

  T& operator[](std::size_t i) { return data_.get()[i]; }
  const T& operator[](std::size_t i) const { return data_.get()[i]; }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  std::span<T> span() { return {data(), size_}; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace fbf::platform
