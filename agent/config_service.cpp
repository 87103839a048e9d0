// [[service]], its inline `degraded` table and [service.check].
#include <algorithm>
#include <limits>

#include "agent/config_sections.h"
#include "agent/config_values.h"

namespace fbf::agent::config_detail {

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
// Ten extra copies already make a path longer than any sane alternative;
// more only bloats every UPDATE.
constexpr std::int64_t kMaxPrepend = 10;

constexpr std::string_view kCheckTypes[] = {"tcp", "http", "dns", "exec"};
constexpr std::string_view kQueryTypes[] = {"A",  "AAAA", "CAA", "CNAME", "DNSKEY", "DS",
                                            "MX", "NS",   "PTR", "SOA",   "SRV",    "TXT"};

void read_attributes(TableReader& r, RouteAttributes& a) {
  if (auto v = r.integer("med", 0, kMaxU32)) a.med = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("as_path_prepend", 0, kMaxPrepend))
    a.as_path_prepend = static_cast<std::uint8_t>(*v);
}

std::optional<std::string> read_disable_file(TableReader& r) {
  auto v = r.string("disable_file");
  if (!v) return std::nullopt;
  if (!v->starts_with('/')) {
    r.error(r.at("disable_file"), "'disable_file' must be an absolute path, got \"" + *v + "\"");
    return std::nullopt;
  }
  return v;
}

// Which check types read each type-specific key.
constexpr unsigned bit(CheckType t) { return 1U << static_cast<unsigned>(t); }
struct TypedKey {
  std::string_view key;
  unsigned types;  // bit(CheckType) set
  bool required;   // for those types
};
constexpr TypedKey kTypedKeys[] = {
    {"target", bit(CheckType::tcp) | bit(CheckType::dns), true},
    {"url", bit(CheckType::http), true},
    {"expect_status", bit(CheckType::http), false},
    {"query", bit(CheckType::dns), true},
    {"query_type", bit(CheckType::dns), false},
    {"command", bit(CheckType::exec), true},
};

void read_check_specific(TableReader& r, HealthCheck& c) {
  if (auto v = r.string("target")) {
    if (auto why = host_port_problem(*v))
      r.error(r.at("target"), "'target' \"" + *v + "\": " + *why);
    else
      c.target = *v;
  }
  if (auto v = r.string("url")) {
    if (auto why = http_url_problem(*v))
      r.error(r.at("url"), "'url' \"" + *v + "\" " + *why);
    else
      c.url = *v;
  }
  if (const auto* node = r.take("expect_status")) {
    const auto* arr = node->as_array();
    if (!arr || arr->empty()) {
      r.error(pos_of(*node), "'expect_status' must be a non-empty array of HTTP status codes");
    } else {
      std::vector<int> codes;
      for (const auto& e : *arr) {
        const auto* i = e.as_integer();
        if (!i || i->get() < 100 || i->get() > 599)
          r.error(pos_of(e), "'expect_status' entries must be integers 100..599");
        else
          codes.push_back(static_cast<int>(i->get()));
      }
      if (codes.size() == arr->size()) c.expect_status = std::move(codes);
    }
  }
  if (auto v = r.string("query")) {
    if (v->empty())
      r.error(r.at("query"), "'query' must not be empty");
    else
      c.query = *v;
  }
  if (auto i = r.choice("query_type", kQueryTypes)) c.query_type = std::string(kQueryTypes[*i]);
  if (auto list = r.strings("command")) {
    if (list->empty() || list->front().value.empty())
      r.error(r.at("command"),
              "'command' must be a non-empty array whose first element names "
              "the program");
    else
      for (auto& [arg, at] : *list) c.command.push_back(std::move(arg));
  }
}

// Type-specific keys: required for their type, an error for the others.
void check_keys_fit_type(TableReader& r, CheckType type) {
  const std::string type_name(kCheckTypes[static_cast<std::size_t>(type)]);
  for (const auto& [key, types, required] : kTypedKeys) {
    const bool wanted = (types & bit(type)) != 0;
    const bool given = r.take(key) != nullptr;
    if (given && !wanted)
      r.error(r.at(key), q(key) + " does not apply to type = \"" + type_name + "\"");
    if (wanted && required && !given)
      r.error(r.pos(), "type = \"" + type_name + "\" needs " + q(key) + " in [service.check]");
  }
}

std::optional<HealthCheck> read_check(TableReader& service, std::string& disable_file) {
  const auto* table = service.table("check", "a table ([service.check])");
  if (!table) return std::nullopt;
  TableReader r(*table, "[service.check]", service.diag());
  HealthCheck c;
  const auto type = r.choice("type", kCheckTypes);
  if (type)
    c.type = static_cast<CheckType>(*type);
  else if (!r.take("type"))
    r.error(r.pos(), "missing required key 'type' in [service.check]");
  read_check_specific(r, c);
  if (type) check_keys_fit_type(r, c.type);

  const auto forever = std::chrono::hours{24};
  if (auto v = r.duration("interval", Duration{1}, forever)) c.interval = *v;
  if (auto v = r.duration("timeout", Duration{1}, forever)) c.timeout = *v;
  if (c.timeout >= c.interval)
    r.error(r.at(r.take("timeout") ? "timeout" : "interval"),
            "'timeout' (" + format_duration(c.timeout) + ") must be shorter than 'interval' (" +
                format_duration(c.interval) + ")");
  if (auto v = r.integer("rise", 1, 100)) c.rise = static_cast<int>(*v);
  if (auto v = r.integer("fall", 1, 100)) c.fall = static_cast<int>(*v);
  if (auto v = read_disable_file(r)) {
    if (!disable_file.empty())
      r.error(r.at("disable_file"),
              "'disable_file' is given in both [[service]] and [service.check]");
    else
      disable_file = *v;
  }
  static constexpr std::string_view kKeys[] = {"type",    "target",     "url",     "expect_status",
                                               "query",   "query_type", "command", "interval",
                                               "timeout", "rise",       "fall",    "disable_file"};
  r.finish(kKeys);
  return c;
}

void read_prefixes(TableReader& r, ServiceConfig& s, ServiceSite& site) {
  auto list = r.strings("prefixes", Need::required);
  if (!list) return;
  if (list->empty()) r.error(r.at("prefixes"), "'prefixes' must not be empty");
  for (const auto& [text, at] : *list) {
    std::string why;
    auto p = Prefix::parse(text, &why);
    if (!p) {
      r.error(at, "'prefixes': invalid prefix \"" + text + "\": " + why);
    } else if (std::find(s.prefixes.begin(), s.prefixes.end(), *p) != s.prefixes.end()) {
      r.error(at, "'prefixes': " + p->to_string() + " is listed twice");
    } else {
      s.prefixes.push_back(*p);
      site.prefixes.push_back(at);
    }
  }
}

template <class T, class Parse>
void read_community_list(TableReader& r, std::string_view key, std::vector<T>& out, Parse parse) {
  auto list = r.strings(key);
  if (!list) return;
  for (const auto& [text, at] : *list) {
    auto v = parse(text);
    if (!v)
      r.error(at, q(key) + ": " + v.error());
    else if (std::find(out.begin(), out.end(), *v) != out.end())
      r.error(at, q(key) + ": \"" + text + "\" is listed twice");
    else
      out.push_back(*v);
  }
}

void read_service(TableReader& r, Sites& sites, Config& config) {
  ServiceConfig s;
  ServiceSite site{.table = r.pos(), .name = {}, .prefixes = {}, .neighbors = {}};
  if (auto v = r.string("name", Need::required)) {
    if (!valid_name(*v)) {
      r.error(r.at("name"), "'name' \"" + *v +
                                "\" must be 1..64 of A-Z a-z 0-9 . _ -, starting with a letter "
                                "or digit");
    } else {
      s.name = *v;
      site.name = r.at("name");
    }
  }
  read_prefixes(r, s, site);
  if (auto v = r.string("interface")) {
    if (!valid_interface_name(*v))
      r.error(r.at("interface"), "'interface' \"" + *v +
                                     "\" is not an interface name (1..15 octets, no '/', ':' or "
                                     "white space)");
    else
      s.interface = *v;
  }
  if (auto v = r.boolean("manage_addresses")) s.manage_addresses = *v;
  if (auto list = r.strings("neighbors")) {
    for (auto& [name, at] : *list) {
      if (std::find(s.neighbors.begin(), s.neighbors.end(), name) != s.neighbors.end()) {
        r.error(at, "'neighbors': \"" + name + "\" is listed twice");
        continue;
      }
      s.neighbors.push_back(std::move(name));
      site.neighbors.push_back(at);
    }
  }
  read_community_list(r, "communities", s.communities, parse_community);
  read_community_list(r, "large_communities", s.large_communities, parse_large_community);
  read_attributes(r, s.attributes);
  if (auto v = r.integer("local_pref", 0, kMaxU32)) s.local_pref = static_cast<std::uint32_t>(*v);
  static constexpr std::string_view kOnFailure[] = {"withdraw", "degrade"};
  const bool on_failure_given = r.take("on_failure") != nullptr;
  const auto on_failure = r.choice("on_failure", kOnFailure);
  if (on_failure) s.on_failure = static_cast<OnFailure>(*on_failure);
  // With a bad on_failure, whether `degraded` belongs is unknown: say nothing.
  const bool on_failure_ok = !on_failure_given || on_failure.has_value();
  if (const auto* t = r.table("degraded", "a table such as { as_path_prepend = 3 }")) {
    TableReader d(*t, "[service.degraded]", r.diag());
    read_attributes(d, s.degraded);
    static constexpr std::string_view kKeys[] = {"med", "as_path_prepend"};
    d.finish(kKeys);
    if (on_failure_ok && s.on_failure != OnFailure::degrade)
      r.error(r.at("degraded"), "'degraded' is only used with on_failure = \"degrade\"");
  } else if (on_failure_ok && s.on_failure == OnFailure::degrade && !r.take("degraded")) {
    r.error(r.at("on_failure"),
            "on_failure = \"degrade\" needs 'degraded', e.g. "
            "degraded = { as_path_prepend = 3 }");
  }
  if (auto v = read_disable_file(r)) s.disable_file = *v;
  s.check = read_check(r, s.disable_file);

  static constexpr std::string_view kKeys[] = {"name",
                                               "prefixes",
                                               "interface",
                                               "manage_addresses",
                                               "neighbors",
                                               "communities",
                                               "large_communities",
                                               "med",
                                               "as_path_prepend",
                                               "local_pref",
                                               "on_failure",
                                               "degraded",
                                               "disable_file",
                                               "check"};
  r.finish(kKeys);
  config.services.push_back(std::move(s));
  sites.services.push_back(std::move(site));
}

}  // namespace

void read_services(TableReader& root, Config& config, Sites& sites) {
  for (const auto* table : array_of_tables(root, "service")) {
    TableReader r(*table, "[[service]]", root.diag());
    read_service(r, sites, config);
  }
}

}  // namespace fbf::agent::config_detail
