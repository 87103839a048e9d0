#pragma once
// Typed form of /etc/fbf/fbf.toml (contract: shared/spec/CONFIG.md, reference:
// docs/configuration.md). Parsing and validation live in config.cpp; everything
// here is a plain value so the rest of the agent never sees TOML.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "platform/ip.h"

namespace fbf::agent {

using Duration = std::chrono::milliseconds;
using platform::IpAddress;
using platform::Prefix;

enum class LogLevel { trace, debug, info, warn, error };

struct AgentSection {
  std::uint32_t local_as = 0;                  // required, 1..4294967295
  std::optional<IpAddress> router_id;          // IPv4; unset: chosen at start-up
  std::string control_socket = "/run/fbf/fbfd.sock";
  std::string state_dir = "/var/lib/fbf";
  std::string metrics_listen = "127.0.0.1:9474";  // "" disables
  LogLevel log_level = LogLevel::info;
  // Extension: the unprivileged user fbfd switches to when started as root.
  std::string user = "_fbf";
};

// RFC 5880 §4.1 auth types, in the config's spelling.
enum class BfdAuthType {
  none,
  simple,
  keyed_md5,
  meticulous_keyed_md5,
  keyed_sha1,
  meticulous_keyed_sha1,
};

struct BfdAuth {
  BfdAuthType type = BfdAuthType::none;
  std::uint8_t key_id = 0;
  std::string key;  // length checked per type (simple 1..16, MD5 1..16, SHA1 1..20)
};

struct BfdTimers {
  Duration min_tx{300};
  Duration min_rx{300};
  std::uint8_t multiplier = 3;  // 1..255
  Duration echo_rx{0};          // 0 = no echo
  // Extension: Desired Min Echo TX Interval, 0 = send no echoes (we still
  // loop the peer's back when echo_rx > 0).
  Duration echo_tx{0};
};

struct BfdSettings {
  BfdTimers timers;
  BfdAuth auth;
  // Extension: lowest TTL/Hop Limit accepted on a multihop session (RFC 5883
  // §5 leaves the check to configuration). Single-hop sessions always demand
  // 255 (RFC 5881 §5), so this is only read for multihop.
  std::uint8_t min_ttl = 254;
};

enum class AddressFamily { ipv4_unicast, ipv6_unicast };

struct NeighborConfig {
  std::string name;
  IpAddress address;
  std::uint32_t remote_as = 0;
  std::optional<IpAddress> local_address;
  std::string password;                 // TCP-MD5 (RFC 2385); empty = none
  std::optional<std::uint8_t> multihop; // eBGP multihop TTL; set => BFD multihop
  bool ttl_security = false;            // GTSM (RFC 5082)
  Duration hold_time{90'000};           // 0 or >= 3 s (RFC 4271 §4.2)
  Duration connect_retry{5'000};
  bool passive = false;
  std::vector<AddressFamily> families{AddressFamily::ipv4_unicast, AddressFamily::ipv6_unicast};
  // Next hop for prefixes of the session's own family (that of `address`);
  // nullopt = "self", the local address of the session.
  std::optional<IpAddress> next_hop;
  // Extension: next hop for prefixes of the other family (IPv6 prefixes over
  // an IPv4 session or vice versa). There is no "self" for it, so such
  // prefixes are only announced when it is set (the config check insists).
  std::optional<IpAddress> next_hop_other;
  std::optional<BfdSettings> bfd;       // nullopt = no BFD to this neighbor
  // Extension: keep the BGP session down until BFD to the neighbor is Up.
  bool bfd_strict = false;

  bool is_ibgp(std::uint32_t local_as) const { return remote_as == local_as; }
  // BFD (when configured) runs multihop exactly when `multihop` is set.
  bool bfd_multihop() const { return multihop.has_value(); }
  // The explicit next hop for prefixes of `family`; nullopt means "self" for
  // the session's family and "none" (do not announce) for the other one.
  std::optional<IpAddress> next_hop_for(platform::Family family) const {
    return family == address.family() ? next_hop : next_hop_other;
  }
  bool offers(AddressFamily f) const {
    for (auto x : families)
      if (x == f) return true;
    return false;
  }
};

struct BfdPeerConfig {
  IpAddress address;
  std::optional<IpAddress> local_address;
  std::string interface;  // empty = any
  bool multihop = false;
  BfdSettings settings;
};

enum class CheckType { tcp, http, dns, exec };

struct HealthCheck {
  CheckType type = CheckType::tcp;
  std::string target;                 // tcp, dns: host:port
  std::string url;                    // http
  std::vector<int> expect_status{200};
  std::string query;                  // dns
  std::string query_type = "SOA";     // dns
  std::vector<std::string> command;   // exec argv, no shell
  Duration interval{1'000};
  Duration timeout{500};
  int rise = 2;
  int fall = 2;
  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

struct RouteAttributes {
  std::optional<std::uint32_t> med;
  std::uint8_t as_path_prepend = 0;
};

enum class OnFailure { withdraw, degrade };

struct LargeCommunity {
  std::uint32_t global_admin = 0, local1 = 0, local2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

struct ServiceConfig {
  std::string name;
  std::vector<Prefix> prefixes;
  std::string interface = "lo";
  bool manage_addresses = true;
  std::vector<std::string> neighbors;          // empty = all
  std::vector<std::uint32_t> communities;      // RFC 1997, (asn << 16) | value
  std::vector<LargeCommunity> large_communities;
  RouteAttributes attributes;                  // med, as_path_prepend
  std::uint32_t local_pref = 100;              // iBGP only
  OnFailure on_failure = OnFailure::withdraw;
  RouteAttributes degraded;
  std::optional<HealthCheck> check;            // nullopt = always healthy
  // Read from [service.check] (as in the contract) or, as an extension, from
  // [[service]] itself so that a service without a check can be held too.
  std::string disable_file;                    // empty = none
};

struct MaintenanceConfig {
  Duration drain_time{30'000};
  std::int64_t drain_connections = -1;
  bool lower_preference = true;
  bool withdraw = true;
  bool close_sessions = false;
  std::string shutdown_message = "planned maintenance";  // RFC 9003: <= 255 octets UTF-8
};

struct Config {
  std::filesystem::path source;  // file it was read from
  AgentSection agent;
  BfdTimers bfd;                 // [bfd] defaults
  std::vector<NeighborConfig> neighbors;
  std::vector<BfdPeerConfig> bfd_peers;
  std::vector<ServiceConfig> services;
  MaintenanceConfig maintenance;
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the file as a whole
  int column = 0;
  std::string message;
  // "FILE:LINE:COL: message" (or "FILE: message" when line is 0).
  std::string to_string() const;
};

// Whether `config` has a [[service]] called `name` (reload reconciliation).
inline bool has_service(const Config& config, std::string_view name) {
  for (const auto& s : config.services)
    if (s.name == name) return true;
  return false;
}

using ConfigResult = std::expected<Config, std::vector<ConfigError>>;

// Parses and validates TOML text; reports every error found, in file order
// (sorted by line, then column). Never throws.
ConfigResult parse_config(std::string_view text, std::string_view file_name);
// Reads the file, then parse_config(). An unreadable file is one error with line 0.
ConfigResult load_config(const std::filesystem::path& path);

// Canonical text of a configuration: every key, defaults included, in a fixed
// order; valid fbf.toml that parses back to the same Config (used by the
// golden-file tests, handy for users to see what the agent understood).
enum class Secrets { redact, show };
std::string dump_config(const Config& config, Secrets secrets = Secrets::redact);

// "250ms", "3s", "2m", "1h": a non-negative integer and a unit, nothing else.
std::expected<Duration, std::string> parse_duration(std::string_view text);
// The largest unit that divides exactly: 90000ms -> "90s", 0 -> "0s".
std::string format_duration(Duration d);

// RFC 1997 community: "65500:100" (16-bit halves) or a well-known name
// (no-export, no-advertise, no-export-subconfed, no-peer, blackhole,
// graceful-shutdown, accept-own).
std::expected<std::uint32_t, std::string> parse_community(std::string_view text);
std::string format_community(std::uint32_t community);  // always "A:B"
// RFC 8092 large community: "A:B:C", 32 bits each.
std::expected<LargeCommunity, std::string> parse_large_community(std::string_view text);
std::string format_large_community(const LargeCommunity& c);

std::string_view to_string(LogLevel);
std::string_view to_string(BfdAuthType);
std::string_view to_string(AddressFamily);
std::string_view to_string(CheckType);
std::string_view to_string(OnFailure);

}  // namespace fbf::agent
