#pragma once
// The I/O side of one health-check probe (tcp, http, dns, exec): start it,
// hear back exactly once, or cancel it. The schedule, the timeout decision
// and the verdict live in the sans-I/O core (health.h); a prober only does
// the one probe it is told to, on the shared event loop.

#include <event2/event.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/checks/health.h"
#include "platform/event.h"
#include "platform/udp.h"

namespace fbf::agent::checks {

class Prober {
 public:
  using Done = std::function<void(ProbeResult)>;
  virtual ~Prober() = default;  // destruction cancels a running probe

  // Starts one probe. `done` runs exactly once, from an event-loop callback
  // and never from inside start(), unless cancel() comes first. One probe at
  // a time: a start() while one runs cancels the running one.
  virtual void start(Done done) = 0;
  // Stops the running probe, if any; its `done` will not run. Returns what
  // it had seen so far, for the timeout's detail ("" when nothing useful).
  virtual std::string cancel() = 0;
  // "tcp 127.0.0.1:80", for logs and `show services`.
  virtual std::string describe() const = 0;
};

// Delivery of a prober's one result. Errors found synchronously inside
// start() (socket() failed, nothing to run) go through finish_later() so that
// `done` never runs re-entrantly inside start().
class Completion {
 public:
  // Marks a prober's start() as running until it goes out of scope. A
  // finish() meanwhile (libevent reports some failures synchronously, e.g.
  // evhttp on an immediate ECONNREFUSED) is deferred to the loop. A scope
  // object rather than a begin()/started() pair: a forgotten started() left
  // every later finish() deferring itself again, forever.
  class Starting {
   public:
    explicit Starting(Completion& c) : c_(c) {}
    ~Starting() { c_.starting_ = false; }
    Starting(const Starting&) = delete;
    Starting& operator=(const Starting&) = delete;

   private:
    Completion& c_;
  };

  explicit Completion(event_base* base);
  [[nodiscard]] Starting begin(Prober::Done done);
  bool active() const { return static_cast<bool>(done_); }
  // Runs `done` now. Touch nothing of the prober afterwards: `done` may
  // start the next probe.
  void finish(ProbeResult result);
  void finish_later(ProbeResult result);
  void cancel();

 private:
  Prober::Done done_;
  bool starting_ = false;
  ProbeResult pending_;
  platform::Timer later_;
};

// A prober that cannot work (a target that does not resolve, a query name
// DNS cannot carry): every probe fails with `why`, so the service stays
// visibly not-healthy instead of silently unchecked.
std::unique_ptr<Prober> make_failing_prober(event_base* base, std::string description,
                                            std::string why);

// The first line of a program's or server's output, made safe for logs,
// JSON and terminals: at most `max` octets, printable ASCII only (others
// become '?'), trailing blanks and CR removed.
std::string first_line(std::string_view text, std::size_t max = 200);

// "127.0.0.1:53", "[::1]:53".
std::string endpoint_text(const platform::Endpoint& e);

}  // namespace fbf::agent::checks
