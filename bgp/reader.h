#pragma once
// Bounds-checked big-endian reading of untrusted bytes and appending writes.
//
// Every read goes through Reader (after OpenBGPD's ibuf_get_n8/n16/n32): a read
// past the end returns nothing and leaves the cursor where it was, so no codec
// function can index outside the span it was given. Network byte order is
// RFC 4271 §4 ("All multi-octet fields are in network byte order").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fbf::bgp {

using Bytes = std::span<const std::uint8_t>;

class Reader {
 public:
  explicit Reader(Bytes bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool empty() const { return pos_ == bytes_.size(); }
  std::size_t offset() const { return pos_; }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return bytes_[pos_++];
  }
  std::optional<std::uint16_t> u16() {
    if (remaining() < 2) return std::nullopt;
    auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::optional<std::uint32_t> u32() {
    if (remaining() < 4) return std::nullopt;
    std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                      (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  // The next n bytes, consumed; nothing (and nothing consumed) if fewer remain.
  std::optional<Bytes> take(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // Everything left, consumed.
  Bytes rest() {
    Bytes out = bytes_.subspan(pos_);
    pos_ = bytes_.size();
    return out;
  }
  // Look without consuming.
  Bytes peek() const { return bytes_.subspan(pos_); }

 private:
  Bytes bytes_;
  std::size_t pos_ = 0;
};

// Appends to a caller-owned buffer (so an encoder can add to a send queue).
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void fill(std::size_t n, std::uint8_t v) { out_.insert(out_.end(), n, v); }

  std::size_t size() const { return out_.size(); }
  std::uint8_t at(std::size_t i) const { return out_[i]; }
  void patch_u8(std::size_t at, std::uint8_t v) { out_[at] = v; }
  void patch_u16(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  // Removes one byte at `at` (shifting the tail down); used to shrink a length field.
  void erase_byte(std::size_t at) { out_.erase(out_.begin() + static_cast<std::ptrdiff_t>(at)); }
  void truncate(std::size_t size) { out_.resize(size); }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace fbf::bgp
