#include "platform/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace fbf::platform {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = Family::v4;
  std::memcpy(a.bytes_.data(), bytes.data(), 4);
  return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = Family::v6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::from_bytes(std::span<const std::uint8_t> bytes) {
  IpAddress a;
  if (bytes.size() == 4) {
    a.family_ = Family::v4;
  } else if (bytes.size() == 16) {
    a.family_ = Family::v6;
  } else {
    return std::nullopt;
  }
  std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    a.family_ = Family::v4;
    if (inet_pton(AF_INET, buf, a.bytes_.data()) != 1) return std::nullopt;
  } else {
    a.family_ = Family::v6;
    if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
  }
  return a;
}

std::uint32_t IpAddress::v4_host_order() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

bool IpAddress::is_unspecified() const {
  for (auto b : bytes())
    if (b != 0) return false;
  return true;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes_[static_cast<std::size_t>(i)] != 0) return false;
  return bytes_[15] == 1;
}

bool IpAddress::is_link_local() const {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::is_multicast() const {
  if (is_v4()) return (bytes_[0] & 0xf0) == 0xe0;
  return bytes_[0] == 0xff;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes_.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

namespace {
bool host_bits_clear(const IpAddress& a, std::uint8_t length) {
  const auto bytes = a.bytes();
  for (std::size_t bit = length; bit < bytes.size() * 8; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}
}  // namespace

std::optional<Prefix> Prefix::make(IpAddress address, std::uint8_t length) {
  const std::uint8_t width = address.is_v4() ? 32 : 128;
  if (length > width || !host_bits_clear(address, length)) return std::nullopt;
  Prefix p;
  p.address_ = address;
  p.length_ = length;
  return p;
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::string* why) {
  auto fail = [why](std::string reason) -> std::optional<Prefix> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  const auto slash = text.find('/');
  const auto addr_text = text.substr(0, slash);
  const auto address = IpAddress::parse(addr_text);
  if (!address) return fail("'" + std::string(addr_text) + "' is not an IPv4 or IPv6 address");
  const unsigned width = address->is_v4() ? 32 : 128;
  unsigned length = width;
  if (slash != std::string_view::npos) {
    const auto len_text = text.substr(slash + 1);
    const auto* end = len_text.data() + len_text.size();
    auto [ptr, ec] = std::from_chars(len_text.data(), end, length);
    if (len_text.empty() || ec != std::errc{} || ptr != end)
      return fail("'" + std::string(len_text) + "' is not a prefix length");
    if (length > width)
      return fail("prefix length " + std::to_string(length) + " exceeds " +
                  std::to_string(width));
  }
  auto p = make(*address, static_cast<std::uint8_t>(length));
  if (!p) return fail("host bits set beyond /" + std::to_string(length));
  return p;
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  const auto mine = address_.bytes();
  const auto theirs = a.bytes();
  for (std::size_t bit = 0; bit < length_; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    if ((mine[bit / 8] & mask) != (theirs[bit / 8] & mask)) return false;
  }
  return true;
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

}  // namespace fbf::platform
