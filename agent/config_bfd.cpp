// [bfd] defaults, the per-session BFD keys shared by [neighbor.bfd] and
// [[bfd_peer]], and [[bfd_peer]] itself.
#include "agent/config_sections.h"
#include "agent/config_values.h"
#include "bfd/digest.h"

namespace fbf::agent::config_detail {

namespace {

// RFC 5880 §4.1 carries intervals as 32-bit microseconds.
constexpr Duration kMaxInterval{4'294'967};
constexpr std::string_view kRfc5880 = "RFC 5880 §4.1";

constexpr std::string_view kAuthNames[] = {
    "none", "simple", "keyed-md5", "meticulous-keyed-md5", "keyed-sha1", "meticulous-keyed-sha1"};

struct KeyRule {
  std::size_t max;
  std::string_view section;
};
// RFC 5880 §4.2 (password 1..16), §4.3 (MD5 key up to 16), §4.4 (SHA1 key up to 20).
KeyRule key_rule(BfdAuthType t) {
  switch (t) {
    case BfdAuthType::keyed_sha1:
    case BfdAuthType::meticulous_keyed_sha1:
      return {20, "RFC 5880 §4.4"};
    case BfdAuthType::keyed_md5:
    case BfdAuthType::meticulous_keyed_md5:
      return {16, "RFC 5880 §4.3"};
    case BfdAuthType::simple:
    case BfdAuthType::none:
      break;
  }
  return {16, "RFC 5880 §4.2"};
}

void read_bfd_auth(TableReader& r, BfdAuth& auth) {
  const bool type_given = r.take("auth_type") != nullptr;
  const auto type = r.choice("auth_type", kAuthNames);
  if (type) auth.type = static_cast<BfdAuthType>(*type);
  if (auto v = r.integer("auth_key_id", 0, 255)) auth.key_id = static_cast<std::uint8_t>(*v);
  const bool key_given = r.take("auth_key") != nullptr;
  const auto key = r.string("auth_key");
  if (type_given && !type) return;  // a bad auth_type is reported already
  if (auth.type == BfdAuthType::none) {
    // Fail closed: a key without a type would silently run unauthenticated.
    if (key_given) r.error(r.at("auth_key"), "'auth_key' is set but 'auth_type' is none");
    return;
  }
  const std::string type_name(kAuthNames[static_cast<std::size_t>(auth.type)]);
  if (!key_given) {
    r.error(r.at("auth_type"), "'auth_type' " + type_name + " needs 'auth_key'");
    return;
  }
  if (!key) return;  // wrong type, reported
  const auto rule = key_rule(auth.type);
  if (key->empty() || key->size() > rule.max) {
    r.error(r.at("auth_key"), "'auth_key' for " + type_name + " must be 1.." +
                                  std::to_string(rule.max) + " octets, got " +
                                  std::to_string(key->size()) + " (" + std::string(rule.section) +
                                  ")");
    return;
  }
  // libcrypto is loaded on first use (bfd/digest.h); without it no type can
  // be used, and auth fails closed: refuse the configuration, start or reload.
  if (auto crypto = bfd::digests_available(); !crypto) {
    r.error(r.at("auth_type"), "'auth_type' " + type_name +
                                   " needs libcrypto, which cannot be loaded: " + crypto.error());
    return;
  }
  auth.key = *key;
}

}  // namespace

bool read_bfd_timers(TableReader& r, BfdTimers& t) {
  if (auto v = r.duration("min_tx", Duration{1}, kMaxInterval, kRfc5880)) t.min_tx = *v;
  // 0 is legal (RFC 5880 §6.8.1): "send me no periodic Control packets".
  if (auto v = r.duration("min_rx", Duration{0}, kMaxInterval, kRfc5880)) t.min_rx = *v;
  if (auto v = r.integer("multiplier", 1, 255, Need::optional, kRfc5880))
    t.multiplier = static_cast<std::uint8_t>(*v);
  bool echo_given = r.take("echo_rx") != nullptr;
  if (auto v = r.duration("echo_rx", Duration{0}, kMaxInterval, kRfc5880)) t.echo_rx = *v;
  // Extension: our echo interval (RFC 5880 §6.8.9), "0ms" = send no echoes.
  echo_given = r.take("echo_tx") != nullptr || echo_given;
  if (auto v = r.duration("echo_tx", Duration{0}, kMaxInterval, kRfc5880)) t.echo_tx = *v;
  return echo_given;
}

void read_bfd_session(TableReader& r, const BfdTimers& defaults, bool multihop, BfdSettings& out) {
  out.timers = defaults;
  const bool echo_given = read_bfd_timers(r, out.timers);
  if (multihop) {
    // RFC 5883 §3: no Echo function on multihop sessions. Echo keys inherited
    // from [bfd] simply do not apply; ones written here are a mistake.
    auto reject = [&](std::string_view key, Duration value) {
      if (echo_given && value.count() != 0 && r.take(key))
        r.error(r.at(key),
                "'" + std::string(key) + "' must be 0ms on a multihop session (RFC 5883 §3)");
    };
    reject("echo_rx", out.timers.echo_rx);
    reject("echo_tx", out.timers.echo_tx);
    out.timers.echo_rx = out.timers.echo_tx = Duration{0};
  }
  read_bfd_auth(r, out.auth);
  if (auto v = r.integer("min_ttl", 1, 255)) {
    if (!multihop)
      r.error(r.at("min_ttl"),
              "'min_ttl' applies to multihop sessions only; single-hop BFD always requires "
              "TTL 255 (RFC 5881 §5)");
    else
      out.min_ttl = static_cast<std::uint8_t>(*v);
  }
}

void read_bfd_defaults(TableReader& root, Config& config) {
  const auto* node = root.take("bfd");
  if (!node) return;
  const auto* table = node->as_table();
  if (!table) {
    root.type_error("bfd", *node, "a table ([bfd])");
    return;
  }
  TableReader r(*table, "[bfd]", root.diag());
  read_bfd_timers(r, config.bfd);
  static constexpr std::string_view kKeys[] = {"min_tx", "min_rx", "multiplier", "echo_rx",
                                               "echo_tx"};
  r.finish(kKeys);
}

void read_bfd_peers(TableReader& root, Config& config, Sites& sites) {
  for (const auto* table : array_of_tables(root, "bfd_peer")) {
    TableReader r(*table, "[[bfd_peer]]", root.diag());
    BfdPeerConfig peer;
    BfdPeerSite site{.table = r.pos(), .address = {}};

    if (auto v = r.address("address", Need::required)) {
      if (v->value.is_unspecified() || v->value.is_multicast()) {
        r.error(v->pos, "'address' must be a unicast address, got " + v->value.to_string());
      } else {
        peer.address = v->value;
        site.address = v->pos;
      }
    }
    if (auto v = r.boolean("multihop")) peer.multihop = *v;
    if (auto v = r.address("local_address")) {
      if (site.address.known() && v->value.family() != peer.address.family())
        r.error(v->pos, "'local_address' " + v->value.to_string() +
                            " is not of the same family as 'address' " + peer.address.to_string());
      else
        peer.local_address = v->value;
    }
    if (auto v = r.string("interface")) {
      if (!valid_interface_name(*v))
        r.error(r.at("interface"), "'interface' \"" + *v +
                                       "\" is not an interface name (1..15 octets, no '/', "
                                       "':' or white space)");
      else if (peer.multihop)
        r.error(r.at("interface"), "'interface' applies to single-hop sessions only");
      else
        peer.interface = *v;
    }
    if (site.address.known() && !peer.multihop && peer.address.is_v6() &&
        peer.address.is_link_local() && !r.take("interface"))
      r.error(site.address, "'address' " + peer.address.to_string() +
                                " is IPv6 link-local and needs 'interface'");
    read_bfd_session(r, config.bfd, peer.multihop, peer.settings);

    static constexpr std::string_view kKeys[] = {
        "address",    "local_address", "interface", "multihop",    "min_tx",   "min_rx",
        "multiplier", "echo_rx",       "auth_type", "auth_key_id", "auth_key", "min_ttl",
        "echo_tx"};
    r.finish(kKeys);
    config.bfd_peers.push_back(std::move(peer));
    sites.bfd_peers.push_back(site);
  }
}

}  // namespace fbf::agent::config_detail
