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
};

struct BfdSettings {
  BfdTimers timers;
  BfdAuth auth;
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
  std::optional<IpAddress> next_hop;    // nullopt = "self"
  std::optional<BfdSettings> bfd;       // nullopt = no BFD to this neighbor

  bool is_ibgp(std::uint32_t local_as) const { return remote_as == local_as; }
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

using ConfigResult = std::expected<Config, std::vector<ConfigError>>;

// Parses and validates TOML text; reports every error found, in file order.
ConfigResult parse_config(std::string_view text, std::string_view file_name);
// Reads the file, then parse_config().
ConfigResult load_config(const std::filesystem::path& path);

std::string_view to_string(LogLevel);
std::string_view to_string(BfdAuthType);
std::string_view to_string(AddressFamily);
std::string_view to_string(CheckType);
std::string_view to_string(OnFailure);

}  // namespace fbf::agent
