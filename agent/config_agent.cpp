// [agent] and [maintenance]: the two single tables of fbf.toml.
#include <limits>

#include "agent/config_sections.h"
#include "agent/config_values.h"

namespace fbf::agent::config_detail {

namespace {

constexpr std::int64_t kMaxAs = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kAsTrans = 23456;  // RFC 6793 §9: only a placeholder in 2-octet fields
// sockaddr_un::sun_path is 108 octets on Linux, including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

// A single section table, or nullptr when absent (with an error when present
// but not a table).
const toml::table* section(TableReader& root, std::string_view key) {
  const auto* node = root.take(key);
  if (!node) return nullptr;
  if (const auto* t = node->as_table()) return t;
  root.type_error(key, *node, "a table ([" + std::string(key) + "])");
  return nullptr;
}

}  // namespace

std::optional<std::uint32_t> read_as_number(TableReader& r, std::string_view key) {
  const auto v = r.integer(key, 1, kMaxAs, Need::required, "4-octet AS, RFC 6793");
  if (!v) return std::nullopt;
  if (*v == kAsTrans) {
    r.error(r.at(key), q(key) + " 23456 is AS_TRANS, reserved (RFC 6793 §9)");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*v);
}

std::vector<const toml::table*> array_of_tables(TableReader& root, std::string_view key) {
  std::vector<const toml::table*> out;
  const auto* node = root.take(key);
  if (!node) return out;
  const auto* arr = node->as_array();
  if (!arr) {
    root.type_error(key, *node, "an array of tables ([[" + std::string(key) + "]])");
    return out;
  }
  for (const auto& elem : *arr) {
    if (const auto* t = elem.as_table()) {
      out.push_back(t);
    } else {
      root.error(pos_of(elem), "elements of " + q(key) + " must be tables ([[" + std::string(key) +
                                   "]]), got " + std::string(type_name(elem)));
    }
  }
  return out;
}

void read_agent(TableReader& root, Config& config) {
  if (!root.take("agent")) {
    root.error(root.pos(), "missing required table [agent] (local_as is required)");
    return;
  }
  const auto* table = section(root, "agent");
  if (!table) return;
  TableReader r(*table, "[agent]", root.diag());
  auto& a = config.agent;

  if (auto v = read_as_number(r, "local_as")) a.local_as = *v;
  if (auto v = r.address("router_id")) {
    // RFC 6286 §2.1: a non-zero 32-bit value; fbf takes it as an IPv4 address.
    if (!v->value.is_v4())
      r.error(v->pos, "'router_id' must be an IPv4 address, got " + v->value.to_string());
    else if (v->value.is_unspecified())
      r.error(v->pos, "'router_id' must not be 0.0.0.0 (RFC 6286 §2.1)");
    else
      a.router_id = v->value;
  }
  if (auto v = r.string("control_socket")) {
    if (v->empty() || v->size() > kMaxSocketPath)
      r.error(r.at("control_socket"),
              "'control_socket' must be a path of 1..107 octets (unix socket limit), got " +
                  std::to_string(v->size()));
    else
      a.control_socket = *v;
  }
  if (auto v = r.string("state_dir")) {
    if (v->empty())
      r.error(r.at("state_dir"), "'state_dir' must not be empty");
    else
      a.state_dir = *v;
  }
  if (auto v = r.string("metrics_listen")) {
    if (v->empty()) {
      a.metrics_listen.clear();
    } else if (auto why = host_port_problem(*v)) {
      r.error(r.at("metrics_listen"),
              "'metrics_listen' \"" + *v + "\": " + *why + " (or \"\" to disable)");
    } else {
      a.metrics_listen = *v;
    }
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (auto i = r.choice("log_level", kLevels)) a.log_level = static_cast<LogLevel>(*i);
  if (auto v = r.string("user")) {
    if (!valid_user_name(*v))
      r.error(r.at("user"),
              "'user' \"" + *v + "\" is not a valid user name (1..32 of A-Z a-z 0-9 . _ -)");
    else
      a.user = *v;
  }
  static constexpr std::string_view kKeys[] = {"local_as",  "router_id", "control_socket",
                                               "state_dir", "log_level", "metrics_listen",
                                               "user"};
  r.finish(kKeys);
}

void read_maintenance(TableReader& root, Config& config) {
  const auto* table = section(root, "maintenance");
  if (!table) return;
  TableReader r(*table, "[maintenance]", root.diag());
  auto& m = config.maintenance;

  if (auto v = r.duration("drain_time", Duration{0}, std::chrono::hours{24})) m.drain_time = *v;
  if (auto v = r.integer("drain_connections", -1, std::numeric_limits<std::int32_t>::max()))
    m.drain_connections = *v;
  if (auto v = r.boolean("lower_preference")) m.lower_preference = *v;
  if (auto v = r.boolean("withdraw")) m.withdraw = *v;
  if (auto v = r.boolean("close_sessions")) m.close_sessions = *v;
  if (m.close_sessions && !m.withdraw)
    r.error(r.at("close_sessions"),
            "'close_sessions' = true contradicts 'withdraw' = false: closing the sessions "
            "withdraws the routes");
  if (auto v = r.string("shutdown_message")) {
    const Pos at = r.at("shutdown_message");
    if (v->size() > 255)
      r.error(at, "'shutdown_message' must be at most 255 octets (RFC 9003 §2), got " +
                      std::to_string(v->size()));
    else if (!valid_utf8(*v))
      r.error(at, "'shutdown_message' must be valid UTF-8 (RFC 9003 §2)");
    else
      m.shutdown_message = *v;
  }
  static constexpr std::string_view kKeys[] = {"drain_time",       "drain_connections",
                                               "lower_preference", "withdraw",
                                               "close_sessions",   "shutdown_message"};
  r.finish(kKeys);
}

}  // namespace fbf::agent::config_detail
