#pragma once
// IP address and prefix value types shared by every module.
// Pure values: parsing, formatting, comparison; no sockets (see sockaddr.h).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fbf::platform {

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0

  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(std::array<std::uint8_t, 16> bytes);
  // From network-order bytes; size must be 4 or 16.
  static std::optional<IpAddress> from_bytes(std::span<const std::uint8_t> bytes);
  // Dotted quad or RFC 5952 text (any valid inet_pton form). No brackets, no zone.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  bool is_v6() const { return family_ == Family::v6; }
  // 4 or 16 bytes in network order.
  std::span<const std::uint8_t> bytes() const {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  std::uint32_t v4_host_order() const;  // only meaningful for is_v4()
  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_link_local() const;  // 169.254/16, fe80::/10
  bool is_multicast() const;
  std::string to_string() const;  // inet_ntop form (RFC 5952 for IPv6)

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  // Fails when length exceeds the family's width or host bits are set.
  static std::optional<Prefix> make(IpAddress address, std::uint8_t length);
  // "192.0.2.0/24", "2001:db8::/32"; a bare address means a host prefix.
  // On failure, *why (when given) says what is wrong.
  static std::optional<Prefix> parse(std::string_view text, std::string* why = nullptr);

  const IpAddress& address() const { return address_; }
  std::uint8_t length() const { return length_; }
  Family family() const { return address_.family(); }
  bool is_host() const { return length_ == (address_.is_v4() ? 32 : 128); }
  bool contains(const IpAddress& a) const;
  std::string to_string() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  IpAddress address_;
  std::uint8_t length_ = 0;
};

}  // namespace fbf::platform
