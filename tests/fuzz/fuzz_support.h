#pragma once
// What every harness needs: an invariant check that aborts with its text
// (libFuzzer then saves the input), a deterministic Random for the cores,
// and a reader that turns the input bytes into decisions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace fbf::fuzz {

// Deterministic randomness (xorshift32) for a core's Random interface
// (bfd::Random, bgp::Random): the same input always takes the same path.
template <class RandomInterface>
class XorShift final : public RandomInterface {
 public:
  std::uint32_t next_u32() override {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }

 private:
  std::uint32_t state_ = 2463534242u;
};

// Input bytes read front to back; past the end, zeros.
class Input {
 public:
  explicit Input(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool done() const { return at_ >= bytes_.size(); }
  std::uint8_t u8() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::uint32_t u32() { return std::uint32_t{u16()} << 16 | u16(); }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min(n, bytes_.size() - std::min(at_, bytes_.size()));
    auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

}  // namespace fbf::fuzz
