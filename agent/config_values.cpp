#include "agent/config_values.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

#include "agent/config.h"
#include "agent/metrics_http.h"

namespace fbf::agent {

namespace {

struct WellKnown {
  std::string_view name;
  std::uint32_t value;
};
constexpr WellKnown kWellKnown[] = {
    {"graceful-shutdown", 0xFFFF0000},    // RFC 8326
    {"accept-own", 0xFFFF0001},           // RFC 7611
    {"blackhole", 0xFFFF029A},            // RFC 7999
    {"no-export", 0xFFFFFF01},            // RFC 1997
    {"no-advertise", 0xFFFFFF02},         // RFC 1997
    {"no-export-subconfed", 0xFFFFFF03},  // RFC 1997
    {"no-peer", 0xFFFFFF04},              // RFC 3765
};

// Splits on ':' into exactly `N` unsigned decimal fields no larger than `max`.
template <std::size_t N>
std::optional<std::array<std::uint64_t, N>> split_numbers(std::string_view text,
                                                          std::uint64_t max) {
  std::array<std::uint64_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const auto colon = text.find(':');
    const bool last = i + 1 == N;
    if (last != (colon == std::string_view::npos)) return std::nullopt;
    const auto field = last ? text : text.substr(0, colon);
    if (field.empty()) return std::nullopt;
    const auto* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, out[i]);
    if (ec != std::errc{} || ptr != end || out[i] > max) return std::nullopt;
    if (!last) text.remove_prefix(colon + 1);
  }
  return out;
}

}  // namespace

std::expected<std::uint32_t, std::string> parse_community(std::string_view text) {
  for (const auto& w : kWellKnown)
    if (w.name == text) return w.value;
  const auto fields = split_numbers<2>(text, 0xFFFF);
  if (!fields)
    return std::unexpected("community '" + std::string(text) +
                           "' is not A:B with 16-bit numbers (0..65535) or a well-known name");
  return static_cast<std::uint32_t>(((*fields)[0] << 16) | (*fields)[1]);
}

std::string format_community(std::uint32_t c) {
  return std::to_string(c >> 16) + ":" + std::to_string(c & 0xFFFF);
}

std::expected<LargeCommunity, std::string> parse_large_community(std::string_view text) {
  const auto fields = split_numbers<3>(text, std::numeric_limits<std::uint32_t>::max());
  if (!fields)
    return std::unexpected("large community '" + std::string(text) +
                           "' is not A:B:C with 32-bit numbers (0..4294967295)");
  return LargeCommunity{static_cast<std::uint32_t>((*fields)[0]),
                        static_cast<std::uint32_t>((*fields)[1]),
                        static_cast<std::uint32_t>((*fields)[2])};
}

std::string format_large_community(const LargeCommunity& c) {
  return std::to_string(c.global_admin) + ":" + std::to_string(c.local1) + ":" +
         std::to_string(c.local2);
}

}  // namespace fbf::agent

namespace fbf::agent::config_detail {

namespace {
bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
}  // namespace

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '_' ||
      name.front() == '-')
    return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name.front() == '-') return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

std::optional<std::string> host_port_problem(std::string_view text) {
  // The same parser the metrics endpoint binds with, so "check OK" means "binds".
  auto hp = parse_host_port(text);
  if (!hp) return hp.error();
  return std::nullopt;
}

std::optional<std::string> http_url_problem(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) return "https is not supported; use http://";
  if (!url.starts_with(kScheme)) return "must start with http://";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "contains white space";
  const auto rest = url.substr(kScheme.size());
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return "has no host";
  if (authority.find('@') != std::string_view::npos) return "must not contain user information";
  // A port is optional in a URL; check it only when present.
  const bool v6 = authority.front() == '[';
  const auto close = authority.find(']');
  if (v6 && close == std::string_view::npos) return "has an unterminated [IPv6] host";
  const auto colon = authority.find(':', v6 ? close : 0);
  if (colon != std::string_view::npos) {
    if (auto why = host_port_problem(authority)) return why;
  }
  return std::nullopt;
}

}  // namespace fbf::agent::config_detail
