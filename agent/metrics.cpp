#include "agent/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace fbf::agent {

namespace {

bool name_char(char c, bool first, bool allow_colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                     (allow_colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, allow_colon)) return false;
  return true;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) out += "NaN";
  else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
  else out += fmt::format("{}", v);
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Metrics::Series& Metrics::series(std::string_view name, std::string_view help, Type type,
                                 Labels labels) {
  // Names come from our own code, never from the network: a bad one is a bug.
  if (!valid_metric_name(name)) throw std::logic_error("bad metric name: " + std::string(name));
  for (const auto& [k, v] : labels)
    if (!valid_name(k, false)) throw std::logic_error("bad label name: " + k);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  } else if (it->second.type != type) {
    throw std::logic_error("metric registered with two types: " + std::string(name));
  }
  return it->second.series[std::move(labels)];
}

Counter& Metrics::counter(std::string_view name, std::string_view help, Labels labels) {
  auto& s = series(name, help, Type::counter, std::move(labels));
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, Labels labels) {
  auto& s = series(name, help, Type::gauge, std::move(labels));
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

void Metrics::gauge_fn(std::string_view name, std::string_view help, Labels labels,
                       std::function<double()> read) {
  series(name, help, Type::gauge, std::move(labels)).read = std::move(read);
}

void Metrics::counter_fn(std::string_view name, std::string_view help, Labels labels,
                         std::function<std::uint64_t()> read) {
  series(name, help, Type::counter, std::move(labels)).read_counter = std::move(read);
}

void Metrics::remove(std::string_view name, const Labels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) return;
  it->second.series.erase(labels);
  if (it->second.series.empty()) families_.erase(it);
}

std::string Metrics::render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family.help), name,
                       family.type == Type::counter ? "counter" : "gauge");
    for (const auto& [labels, s] : family.series) {
      out += name;
      if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (i) out += ',';
          out += fmt::format("{}=\"{}\"", labels[i].first, escape_label_value(labels[i].second));
        }
        out += '}';
      }
      out += ' ';
      if (s.counter) out += std::to_string(s.counter->value());
      else if (s.gauge) append_value(out, s.gauge->value());
      else if (s.read) append_value(out, s.read());
      else if (s.read_counter) out += std::to_string(s.read_counter());
      else out += '0';
      out += '\n';
    }
  }
  return out;
}

}  // namespace fbf::agent
