#pragma once
// A small Prometheus metrics registry (text exposition format 0.0.4).
// Two kinds of family:
//  - stored series: modules register counters and gauges once and keep the
//    returned reference; updating one is a plain integer/double write, cheap
//    enough for hot paths (a handful of daemon-wide series);
//  - collectors: a family declared once whose callback writes all its
//    samples at scrape time, read from the module's own objects (one per
//    BFD session, BGP neighbor, service): nothing is stored per series, and
//    a removed object's samples go with it.
// Families are rendered sorted by name, one HELP/TYPE block each.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fbf::agent {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { counter, gauge };

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

// What a collector writes its samples through, straight into the rendered
// text. The family's HELP/TYPE lines go out before the first sample: a
// collector that writes none leaves no trace. Label names come from our own
// code (a bad one is a logic_error); values are escaped.
class SampleWriter {
 public:
  using Label = std::pair<std::string_view, std::string_view>;
  void sample(std::initializer_list<Label> labels, double value);
  void sample(std::initializer_list<Label> labels, std::uint64_t value);

 private:
  friend class Metrics;
  SampleWriter(std::string& out, std::string_view name, std::string_view header)
      : out_(out), name_(name), header_(header) {}
  void begin(std::initializer_list<Label> labels);

  std::string& out_;
  std::string_view name_;
  std::string_view header_;  // HELP and TYPE lines, written once
  bool started_ = false;
};

class Metrics {
 public:
  using Collector = std::function<void(SampleWriter&)>;

  // Keeps a collector's family registered; destroying it removes the family
  // (the module whose objects it reads is going away). The registry must
  // outlive it.
  class [[nodiscard]] Registration {
   public:
    Registration() = default;
    Registration(Registration&& o) noexcept { *this = std::move(o); }
    Registration& operator=(Registration&& o) noexcept;
    ~Registration() { reset(); }
    void reset();

   private:
    friend class Metrics;
    Registration(Metrics* m, std::string name) : metrics_(m), name_(std::move(name)) {}
    Metrics* metrics_ = nullptr;
    std::string name_;
  };

  Metrics() = default;
  Metrics(const Metrics&) = delete;  // registrations point at it
  Metrics& operator=(const Metrics&) = delete;

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
  // Drops one stored series; the family stays while it has any.
  void remove(std::string_view name, const Labels& labels);

  // A family whose samples `collect` writes at every render, in the order it
  // writes them (make it deterministic). The name must be new: a family is
  // either stored series or one collector (logic_error otherwise).
  Registration collect(std::string_view name, std::string_view help, MetricType type,
                       Collector collect);

  std::string render() const;

 private:
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> read;
    std::function<std::uint64_t()> read_counter;
  };
  struct Family {
    MetricType type;
    std::string header;  // "# HELP ...\n# TYPE ...\n"
    std::map<Labels, Series> series;
    Collector collect;  // set: a collector family, no stored series
  };
  Family& family(std::string_view name, std::string_view help, MetricType type);
  Series& series(std::string_view name, std::string_view help, MetricType type, Labels labels);

  std::map<std::string, Family, std::less<>> families_;
};

// Prometheus label-value escaping: backslash, double quote, newline.
std::string escape_label_value(std::string_view v);
// A metric/label name is [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool valid_metric_name(std::string_view name);

}  // namespace fbf::agent
