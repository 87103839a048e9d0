// dump_config(): the canonical text of a Config. Every key is written, in the
// order of docs/configuration.md, defaults included, so a diff of two dumps
// shows exactly what changed in meaning, and the output parses back to the
// same Config (the golden-file tests check both).
#include <fmt/format.h>

#include "agent/config.h"

namespace fbf::agent {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped;
// other UTF-8 passes through.
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <class T, class F>
std::string list(const std::vector<T>& items, F show) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + show(items[i]);
  return out + "]";
}

class Writer {
 public:
  explicit Writer(Secrets secrets) : secrets_(secrets) {}
  void header(std::string_view h) { text_ += (text_.empty() ? "" : "\n") + std::string(h) + "\n"; }
  void raw(std::string_view key, std::string_view value) {
    text_ += fmt::format("{} = {}\n", key, value);
  }
  void str(std::string_view key, std::string_view value) { raw(key, toml_string(value)); }
  void secret(std::string_view key, std::string_view value) {
    str(key, secrets_ == Secrets::show || value.empty() ? value : "<redacted>");
  }
  void num(std::string_view key, std::int64_t value) { raw(key, std::to_string(value)); }
  void boolean(std::string_view key, bool value) { raw(key, value ? "true" : "false"); }
  void dur(std::string_view key, Duration d) { str(key, format_duration(d)); }
  void comment(std::string_view text) { text_ += "# " + std::string(text) + "\n"; }
  std::string take() { return std::move(text_); }

 private:
  Secrets secrets_;
  std::string text_;
};

void timers(Writer& w, const BfdTimers& t) {
  w.dur("min_tx", t.min_tx);
  w.dur("min_rx", t.min_rx);
  w.num("multiplier", t.multiplier);
  w.dur("echo_rx", t.echo_rx);
  w.dur("echo_tx", t.echo_tx);
}

void session(Writer& w, const BfdSettings& s, bool multihop) {
  timers(w, s.timers);
  w.str("auth_type", to_string(s.auth.type));
  if (s.auth.type != BfdAuthType::none) {
    w.num("auth_key_id", s.auth.key_id);
    w.secret("auth_key", s.auth.key);
  }
  if (multihop) w.num("min_ttl", s.min_ttl);
}

void agent(Writer& w, const AgentSection& a) {
  w.header("[agent]");
  w.num("local_as", a.local_as);
  if (a.router_id)
    w.str("router_id", a.router_id->to_string());
  else
    w.comment("router_id: the first global IPv4 address of the host, chosen at start-up");
  w.str("control_socket", a.control_socket);
  w.str("state_dir", a.state_dir);
  w.str("metrics_listen", a.metrics_listen);
  w.str("log_level", to_string(a.log_level));
  w.str("user", a.user);
}

std::string next_hop(const NeighborConfig& n) {
  auto q = [](const IpAddress& a) { return toml_string(a.to_string()); };
  if (!n.next_hop_other) return n.next_hop ? q(*n.next_hop) : toml_string("self");
  return "[" + (n.next_hop ? q(*n.next_hop) : toml_string("self")) + ", " + q(*n.next_hop_other) +
         "]";
}

void neighbor(Writer& w, const NeighborConfig& n) {
  w.header("[[neighbor]]");
  w.str("name", n.name);
  w.str("address", n.address.to_string());
  w.num("remote_as", n.remote_as);
  if (n.local_address) w.str("local_address", n.local_address->to_string());
  w.secret("password", n.password);
  if (n.multihop) w.num("multihop", *n.multihop);
  w.boolean("ttl_security", n.ttl_security);
  w.dur("hold_time", n.hold_time);
  w.dur("connect_retry", n.connect_retry);
  w.boolean("passive", n.passive);
  w.raw("families", list(n.families, [](AddressFamily f) { return toml_string(to_string(f)); }));
  w.raw("next_hop", next_hop(n));
  w.boolean("bfd_strict", n.bfd_strict);
  if (!n.bfd) {
    w.boolean("bfd", false);
    return;
  }
  w.header("[neighbor.bfd]");
  session(w, *n.bfd, n.bfd_multihop());
}

void bfd_peer(Writer& w, const BfdPeerConfig& p) {
  w.header("[[bfd_peer]]");
  w.str("address", p.address.to_string());
  if (p.local_address) w.str("local_address", p.local_address->to_string());
  if (!p.interface.empty()) w.str("interface", p.interface);
  w.boolean("multihop", p.multihop);
  session(w, p.settings, p.multihop);
}

std::string attributes(const RouteAttributes& a) {
  std::string out = "{ ";
  if (a.med) out += fmt::format("med = {}, ", *a.med);
  return out + fmt::format("as_path_prepend = {} }}", a.as_path_prepend);
}

void check(Writer& w, const HealthCheck& c) {
  w.header("[service.check]");
  w.str("type", to_string(c.type));
  switch (c.type) {
    case CheckType::tcp:
      w.str("target", c.target);
      break;
    case CheckType::http:
      w.str("url", c.url);
      w.raw("expect_status", list(c.expect_status, [](int s) { return std::to_string(s); }));
      break;
    case CheckType::dns:
      w.str("target", c.target);
      w.str("query", c.query);
      w.str("query_type", c.query_type);
      break;
    case CheckType::exec:
      w.raw("command", list(c.command, [](const std::string& s) { return toml_string(s); }));
      break;
  }
  w.dur("interval", c.interval);
  w.dur("timeout", c.timeout);
  w.num("rise", c.rise);
  w.num("fall", c.fall);
}

void service(Writer& w, const ServiceConfig& s) {
  w.header("[[service]]");
  w.str("name", s.name);
  w.raw("prefixes", list(s.prefixes, [](const Prefix& p) { return toml_string(p.to_string()); }));
  w.str("interface", s.interface);
  w.boolean("manage_addresses", s.manage_addresses);
  w.raw("neighbors", list(s.neighbors, [](const std::string& n) { return toml_string(n); }));
  w.raw("communities",
        list(s.communities, [](std::uint32_t c) { return toml_string(format_community(c)); }));
  w.raw("large_communities", list(s.large_communities, [](const LargeCommunity& c) {
          return toml_string(format_large_community(c));
        }));
  if (s.attributes.med) w.num("med", *s.attributes.med);
  w.num("as_path_prepend", s.attributes.as_path_prepend);
  w.num("local_pref", s.local_pref);
  w.str("on_failure", to_string(s.on_failure));
  if (s.on_failure == OnFailure::degrade) w.raw("degraded", attributes(s.degraded));
  if (!s.disable_file.empty()) w.str("disable_file", s.disable_file);
  if (s.check) check(w, *s.check);
}

void maintenance(Writer& w, const MaintenanceConfig& m) {
  w.header("[maintenance]");
  w.dur("drain_time", m.drain_time);
  w.num("drain_connections", m.drain_connections);
  w.boolean("lower_preference", m.lower_preference);
  w.boolean("withdraw", m.withdraw);
  w.boolean("close_sessions", m.close_sessions);
  w.str("shutdown_message", m.shutdown_message);
}

}  // namespace

std::string dump_config(const Config& config, Secrets secrets) {
  Writer w(secrets);
  agent(w, config.agent);
  w.header("[bfd]");
  timers(w, config.bfd);
  for (const auto& n : config.neighbors) neighbor(w, n);
  for (const auto& p : config.bfd_peers) bfd_peer(w, p);
  for (const auto& s : config.services) service(w, s);
  maintenance(w, config.maintenance);
  return w.take();
}

}  // namespace fbf::agent
