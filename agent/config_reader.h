#pragma once
// Internal to the config parser: where things are in the file, the error
// collector, and a reader that turns one TOML table into typed values while
// remembering which keys it consumed (the rest are reported as unknown).
// Nothing outside agent/config*.cpp includes this.

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config.h"

namespace fbf::agent::config_detail {

struct Pos {
  int line = 0;  // 0 = unknown (the value was missing or invalid)
  int column = 0;
  bool known() const { return line > 0; }
};
Pos pos_of(const toml::node& node);
Pos pos_of(const toml::key& key);

// Collects errors; parse_config() sorts them by position at the end.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void error(Pos at, std::string message);
  std::size_t count() const { return errors_.size(); }
  std::vector<ConfigError> take_sorted();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

template <class T>
struct Located {
  T value;
  Pos pos;
};

// "string", "integer", "table", ... as a user would name the TOML type.
std::string_view type_name(const toml::node& node);
// " (did you mean 'x'?)" when one of `known` is a likely typo of `word`, else "".
std::string suggestion(std::string_view word, std::span<const std::string_view> known);

enum class Need { optional, required };

class TableReader {
 public:
  // `label` names the table in messages: "[agent]", "[[neighbor]]", "" = top level.
  TableReader(const toml::table& table, std::string label, Diagnostics& diag);

  Pos pos() const { return pos_of(table_); }
  const std::string& label() const { return label_; }
  Diagnostics& diag() { return diag_; }
  void error(Pos at, std::string message) { diag_.error(at, std::move(message)); }

  // Marks `key` as known; returns its node, or nullptr (after reporting it
  // when required) if absent.
  const toml::node* take(std::string_view key, Need need = Need::optional);
  // Reports "'key' must be a WHAT, got TYPE" at the node.
  void type_error(std::string_view key, const toml::node& node, std::string_view what);
  // Position of the value of `key`, or of the table when the key is absent.
  Pos at(std::string_view key) const;
  // Marks `key` known without reading it (parsed elsewhere).
  void accept(std::string_view key) { used_.insert(std::string(key)); }

  std::optional<std::string> string(std::string_view key, Need need = Need::optional);
  std::optional<bool> boolean(std::string_view key);
  // Integer within [min, max]; `rule` (e.g. "RFC 4271 §4.2") is appended to range errors.
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      Need need = Need::optional, std::string_view rule = {});
  std::optional<Duration> duration(std::string_view key, Duration min, Duration max,
                                   std::string_view rule = {});
  std::optional<Located<IpAddress>> address(std::string_view key, Need need = Need::optional);
  // One of `names`; returns its index.
  std::optional<std::size_t> choice(std::string_view key, std::span<const std::string_view> names);
  // Array of strings, each with its position; wrong-typed elements are reported and skipped.
  std::optional<std::vector<Located<std::string>>> strings(std::string_view key,
                                                           Need need = Need::optional);
  // A sub-table, or an error when the key holds something else.
  const toml::table* table(std::string_view key, std::string_view what = "a table");

  // Reports every key that no getter asked for. `known` feeds the typo hint.
  void finish(std::span<const std::string_view> known);

 private:
  std::string where() const;

  const toml::table& table_;
  std::string label_;
  Diagnostics& diag_;
  std::set<std::string, std::less<>> used_;
};

// Quoted for messages: 'x'.
inline std::string q(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace fbf::agent::config_detail
