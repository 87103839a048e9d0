#include "agent/config_reader.h"

#include <algorithm>

namespace fbf::agent::config_detail {

Pos pos_of(const toml::node& node) {
  const auto& b = node.source().begin;
  return {static_cast<int>(b.line), static_cast<int>(b.column)};
}

Pos pos_of(const toml::key& key) {
  const auto& b = key.source().begin;
  return {static_cast<int>(b.line), static_cast<int>(b.column)};
}

void Diagnostics::error(Pos at, std::string message) {
  errors_.push_back(ConfigError{file_, at.line, at.column, std::move(message)});
}

std::vector<ConfigError> Diagnostics::take_sorted() {
  // toml++ iterates keys in sorted order, not file order; users read errors
  // top to bottom, so sort by position (stable: same spot keeps check order).
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(errors_);
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string suggestion(std::string_view word, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits away is not a typo
  for (auto k : known) {
    const auto d = edit_distance(word, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  if (best.empty()) return {};
  return " (did you mean " + q(best) + "?)";
}

TableReader::TableReader(const toml::table& table, std::string label, Diagnostics& diag)
    : table_(table), label_(std::move(label)), diag_(diag) {}

std::string TableReader::where() const {
  return label_.empty() ? " at top level" : " in " + label_;
}

const toml::node* TableReader::take(std::string_view key, Need need) {
  used_.insert(std::string(key));
  const toml::node* node = table_.get(key);
  if (!node && need == Need::required) error(pos(), "missing required key " + q(key) + where());
  return node;
}

Pos TableReader::at(std::string_view key) const {
  const toml::node* node = table_.get(key);
  return node ? pos_of(*node) : pos();
}

void TableReader::type_error(std::string_view key, const toml::node& node, std::string_view what) {
  error(pos_of(node),
        q(key) + " must be " + std::string(what) + ", got " + std::string(type_name(node)));
}

std::optional<std::string> TableReader::string(std::string_view key, Need need) {
  const auto* node = take(key, need);
  if (!node) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  type_error(key, *node, "a string");
  return std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const auto* node = take(key);
  if (!node) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  type_error(key, *node, "a boolean (true or false)");
  return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max, Need need,
                                                 std::string_view rule) {
  const auto* node = take(key, need);
  if (!node) return std::nullopt;
  const auto* i = node->as_integer();
  if (!i) {
    type_error(key, *node, "an integer");
    return std::nullopt;
  }
  const std::int64_t v = i->get();
  if (v < min || v > max) {
    std::string msg = q(key) + " must be " + std::to_string(min) + ".." + std::to_string(max) +
                      ", got " + std::to_string(v);
    if (!rule.empty()) msg += " (" + std::string(rule) + ")";
    error(pos_of(*node), std::move(msg));
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> TableReader::duration(std::string_view key, Duration min, Duration max,
                                              std::string_view rule) {
  const auto* node = take(key);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    type_error(key, *node, "a duration string such as \"300ms\" or \"3s\"");
    return std::nullopt;
  }
  auto d = parse_duration(s->get());
  if (!d) {
    error(pos_of(*node), q(key) + ": " + d.error());
    return std::nullopt;
  }
  std::string msg;
  if (*d < min) msg = q(key) + " must be at least " + format_duration(min);
  if (*d > max) msg = q(key) + " must be at most " + format_duration(max);
  if (!msg.empty()) {
    msg += ", got " + format_duration(*d);
    if (!rule.empty()) msg += " (" + std::string(rule) + ")";
    error(pos_of(*node), std::move(msg));
    return std::nullopt;
  }
  return *d;
}

std::optional<Located<IpAddress>> TableReader::address(std::string_view key, Need need) {
  const auto* node = take(key, need);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    type_error(key, *node, "an IP address string");
    return std::nullopt;
  }
  auto a = IpAddress::parse(s->get());
  if (!a) {
    error(pos_of(*node), q(key) + ": '" + s->get() + "' is not an IPv4 or IPv6 address");
    return std::nullopt;
  }
  return Located<IpAddress>{*a, pos_of(*node)};
}

std::optional<std::size_t> TableReader::choice(std::string_view key,
                                               std::span<const std::string_view> names) {
  const auto* node = take(key);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    type_error(key, *node, "a string");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s->get()) return i;
  std::string list;
  for (auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  error(pos_of(*node), q(key) + " must be one of " + list + "; got \"" + s->get() + "\"");
  return std::nullopt;
}

std::optional<std::vector<Located<std::string>>> TableReader::strings(std::string_view key,
                                                                      Need need) {
  const auto* node = take(key, need);
  if (!node) return std::nullopt;
  const auto* arr = node->as_array();
  if (!arr) {
    type_error(key, *node, "an array of strings");
    return std::nullopt;
  }
  std::vector<Located<std::string>> out;
  for (const auto& elem : *arr) {
    if (const auto* s = elem.as_string()) {
      out.push_back({s->get(), pos_of(elem)});
    } else {
      error(pos_of(elem),
            "elements of " + q(key) + " must be strings, got " + std::string(type_name(elem)));
    }
  }
  return out;
}

const toml::table* TableReader::table(std::string_view key, std::string_view what) {
  const auto* node = take(key);
  if (!node) return nullptr;
  if (const auto* t = node->as_table()) return t;
  type_error(key, *node, what);
  return nullptr;
}

void TableReader::finish(std::span<const std::string_view> known) {
  for (const auto& [key, node] : table_) {
    if (used_.contains(key.str())) continue;
    std::string msg = "unknown key " + q(key.str()) + where();
    Pos at = pos_of(key);
    // A stray top-level table is a mistyped section header: point at it.
    if (label_.empty() && node.is_table()) {
      msg = "unknown table [" + std::string(key.str()) + "]";
      at = pos_of(node);
    } else if (label_.empty() && node.is_array_of_tables()) {
      msg = "unknown table [[" + std::string(key.str()) + "]]";
      at = pos_of(node);
    }
    error(at, msg + suggestion(key.str(), known));
  }
}

}  // namespace fbf::agent::config_detail
