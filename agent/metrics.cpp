#include "agent/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
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

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) out += "NaN";
  else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
  else fmt::format_to(std::back_inserter(out), "{}", v);
}

void append_value(std::string& out, std::uint64_t v) {
  fmt::format_to(std::back_inserter(out), "{}", v);
}

// name{k="v",...} — the start of a sample line, before its value.
template <typename Range>
void append_series(std::string& out, std::string_view name, const Range& labels) {
  out += name;
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += first ? '{' : ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v);
    out += '"';
  }
  if (!first) out += '}';
  out += ' ';
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  append_escaped(out, v);
  return out;
}

void SampleWriter::begin(std::initializer_list<Label> labels) {
  // Names come from our own code, never from the network: a bad one is a bug.
  for (const auto& [k, v] : labels)
    if (!valid_name(k, false)) throw std::logic_error("bad label name: " + std::string(k));
  if (!started_) out_ += header_;
  started_ = true;
  append_series(out_, name_, labels);
}

void SampleWriter::sample(std::initializer_list<Label> labels, double value) {
  begin(labels);
  append_value(out_, value);
  out_ += '\n';
}

void SampleWriter::sample(std::initializer_list<Label> labels, std::uint64_t value) {
  begin(labels);
  append_value(out_, value);
  out_ += '\n';
}

Metrics::Registration& Metrics::Registration::operator=(Registration&& o) noexcept {
  if (this != &o) {
    reset();
    metrics_ = std::exchange(o.metrics_, nullptr);
    name_ = std::move(o.name_);
  }
  return *this;
}

void Metrics::Registration::reset() {
  if (metrics_ == nullptr) return;
  auto& families = metrics_->families_;
  if (auto it = families.find(name_); it != families.end() && it->second.collect)
    families.erase(it);
  metrics_ = nullptr;
}

Metrics::Family& Metrics::family(std::string_view name, std::string_view help, MetricType type) {
  if (!valid_metric_name(name)) throw std::logic_error("bad metric name: " + std::string(name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    std::string header =
        fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name,
                    type == MetricType::counter ? "counter" : "gauge");
    it = families_.emplace(std::string(name), Family{type, std::move(header), {}, {}}).first;
  } else if (it->second.type != type) {
    throw std::logic_error("metric registered with two types: " + std::string(name));
  }
  return it->second;
}

Metrics::Series& Metrics::series(std::string_view name, std::string_view help, MetricType type,
                                 Labels labels) {
  for (const auto& [k, v] : labels)
    if (!valid_name(k, false)) throw std::logic_error("bad label name: " + k);
  Family& f = family(name, help, type);
  if (f.collect) throw std::logic_error("metric family has a collector: " + std::string(name));
  return f.series[std::move(labels)];
}

Counter& Metrics::counter(std::string_view name, std::string_view help, Labels labels) {
  auto& s = series(name, help, MetricType::counter, std::move(labels));
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, Labels labels) {
  auto& s = series(name, help, MetricType::gauge, std::move(labels));
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

void Metrics::gauge_fn(std::string_view name, std::string_view help, Labels labels,
                       std::function<double()> read) {
  series(name, help, MetricType::gauge, std::move(labels)).read = std::move(read);
}

void Metrics::counter_fn(std::string_view name, std::string_view help, Labels labels,
                         std::function<std::uint64_t()> read) {
  series(name, help, MetricType::counter, std::move(labels)).read_counter = std::move(read);
}

void Metrics::remove(std::string_view name, const Labels& labels) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.collect) return;
  it->second.series.erase(labels);
  if (it->second.series.empty()) families_.erase(it);
}

Metrics::Registration Metrics::collect(std::string_view name, std::string_view help,
                                       MetricType type, Collector collect) {
  if (families_.find(name) != families_.end())
    throw std::logic_error("metric family registered twice: " + std::string(name));
  if (!collect) throw std::logic_error("metric collector is empty: " + std::string(name));
  family(name, help, type).collect = std::move(collect);
  return Registration(this, std::string(name));
}

std::string Metrics::render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.collect) {
      SampleWriter writer(out, name, family.header);
      family.collect(writer);
      continue;
    }
    out += family.header;
    for (const auto& [labels, s] : family.series) {
      append_series(out, name, labels);
      if (s.counter) append_value(out, s.counter->value());
      else if (s.gauge) append_value(out, s.gauge->value());
      else if (s.read) append_value(out, s.read());
      else if (s.read_counter) append_value(out, s.read_counter());
      else out += '0';
      out += '\n';
    }
  }
  return out;
}

}  // namespace fbf::agent
