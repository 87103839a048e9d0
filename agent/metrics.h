#pragma once
// A small Prometheus metrics registry (text exposition format 0.0.4).
// Modules register counters and gauges once and keep the returned reference;
// updating one is a plain integer/double write, cheap enough for hot paths.
// Families and series are kept sorted so the rendering is stable.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fbf::agent {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_ += n; }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0;
};

class Gauge {
 public:
  void set(double v) { value_ = v; }
  void add(double v) { value_ += v; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Metrics {
 public:
  // Returns the series for (name, labels), creating it on first use. The
  // reference stays valid until remove() of that series or the registry dies.
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  // A gauge computed at scrape time (uptime, queue depths...).
  void gauge_fn(std::string_view name, std::string_view help, Labels labels,
                std::function<double()> read);
  // A counter whose value lives elsewhere (a protocol core's counters),
  // read at scrape time. It must only ever grow.
  void counter_fn(std::string_view name, std::string_view help, Labels labels,
                  std::function<std::uint64_t()> read);
  // Drops one series (a removed session); the family stays while it has any.
  void remove(std::string_view name, const Labels& labels);

  std::string render() const;

 private:
  enum class Type { counter, gauge };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> read;
    std::function<std::uint64_t()> read_counter;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, Series> series;
  };
  Series& series(std::string_view name, std::string_view help, Type type, Labels labels);

  std::map<std::string, Family, std::less<>> families_;
};

// Prometheus label-value escaping: backslash, double quote, newline.
std::string escape_label_value(std::string_view v);
// A metric/label name is [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool valid_metric_name(std::string_view name);

}  // namespace fbf::agent
