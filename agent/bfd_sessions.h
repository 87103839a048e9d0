#pragma once
// The agent's side of BFD: which sessions the configuration asks for
// ([[neighbor]] with `bfd`, [[bfd_peer]]), applied to the running bfd::io::Service
// on start and on every reload (new ones added, removed ones sent AdminDown,
// changed intervals applied by a Poll Sequence without a flap), plus logs,
// metrics and `show bfd`.
//
// RFC 5881 §3: a single-hop session is bound to the interface it runs on.
// One with a configured `interface` ([[bfd_peer]]) is bound to that; every
// other single-hop session (every [[neighbor]]'s) to the interface whose
// connected prefix holds the peer, looked up when it is created and again
// every few seconds (an interface that appears later, moves, or goes away),
// re-bound in place: the session's state is untouched.
//
// A [[neighbor]]'s session (without bfd_strict) waits for the neighbor's BGP
// session: it is held AdminDown (RFC 5880 §6.8.16, diag 7, which RFC 5882
// §3.2 says is no failure) and Passive, which keeps it silent (§6.1; the
// router never sees it) until kAfterBgp after BGP is Established. Then its packets carry a
// Poll while not Up, so the router answers at once and BFD is Up in round
// trips (bfd/session.cpp). FRR 8.4's bgpd re-creates its BFD session when
// the BGP session first reaches Established after bgpd started: a session Up
// before that goes Down, and FRR closes BGP with Cease/BFD Down. Waiting for
// BGP keeps BFD Up after that moment, and costs nothing against a router
// that does not (BGP is Established within a few ms of its connection).
//
// A router in BFD strict mode waits for BFD before BGP: a BGP connection
// open for kWaitAfterBgpOpen without reaching Established starts BFD. Once
// the router has shown that it does not wait — it brought BGP to
// Established while our session was not Up — the session is held again
// whenever BGP leaves Established: a restarting router brings its BFD back
// before its BGP, which is FRR's case above once more. Without that proof
// it keeps running while BGP is down.
//
// A held session still counts the router's packets it discards: every
// kHeardPoll, a count that grew tells the BGP side that the router is up
// (on_peer_heard), which then connects at once instead of at its backed-off
// retry (bgp::Session::peer_alive). The poll runs only while a session is
// held: never while everything is up.

#include <chrono>
#include <expected>
#include <functional>
#include <set>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/bgp_progress.h"
#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/metrics.h"
#include "agent/os_random.h"
#include "agent/warning_throttle.h"
#include "bfd/io/service.h"
#include "platform/event.h"
#include "platform/interfaces.h"

namespace fbf::agent {

// Config → the sessions it asks for, or every reason it cannot be built.
std::expected<std::vector<bfd::SessionSpec>, std::vector<std::string>> bfd_specs(
    const Config& config);

class BfdSessions {
 public:
  // Who cares about a session's state (the BGP coupling).
  using Listener = std::function<void(const bfd::SessionSpec&, const bfd::StateChanged&)>;

  // The host's interface prefixes; the default reads them with getifaddrs(3)
  // (platform::interface_prefixes), tests pass a fake.
  using InterfaceSnapshot =
      std::function<std::expected<std::vector<platform::InterfacePrefix>, std::string>()>;
  // How often the interface bindings are looked at again: while a session
  // has no connected interface, and once all have one.
  static constexpr std::chrono::seconds kResolveUnbound{2};
  static constexpr std::chrono::seconds kResolveBound{10};
  static constexpr std::chrono::milliseconds kAfterBgp{100};
  static constexpr std::chrono::seconds kWaitAfterBgpOpen{1};
  static constexpr std::chrono::milliseconds kHeardPoll{250};

  BfdSessions(event_base* base, Metrics& metrics, InterfaceSnapshot interfaces = {});
  ~BfdSessions();

  // Brings the running sessions in line with `config`. Returns the errors of
  // sessions that could not be created (the others still run).
  std::vector<std::string> apply(const Config& config);
  // SIGTERM: AdminDown (diag 7) on every session, sent before we exit.
  void shutdown();
  // Maintenance with close_sessions: the BFD sessions of these neighbors go
  // AdminDown (diag 7, RFC 5882 §3.2: the peer must not treat it as a
  // failure); the others that were held come back.
  void set_admin_down(const std::set<std::string>& neighbors);

  // Binds each single-hop session without a configured interface to the
  // interface of the connected prefix holding its peer, now (apply() and a
  // timer call it too).
  void resolve_interfaces();

  void on_state(Listener listener) { listeners_.push_back(std::move(listener)); }
  // A session held for BGP received the router's packets since the last
  // poll: the router is up, though BGP is not (see above).
  void on_peer_heard(std::function<void(const std::string& neighbor)> hook) {
    peer_heard_ = std::move(hook);
  }
  // The neighbor's BGP session opened (its waiting BFD session sends
  // kWaitAfterBgpOpen later unless BGP is Established first), reached
  // Established (it sends kAfterBgp from now) or left it (it is held again,
  // once the router has shown that it does not wait for BFD).
  void on_bgp(const std::string& neighbor, BgpProgress progress);
  void register_commands(CommandTable& commands);
  json show() const;
  // State of the session to `peer` (multihop or not); nullopt if none.
  std::optional<bfd::State> state_of(const platform::IpAddress& peer, bool multihop) const;
  const bfd::io::Service& service() const { return *service_; }

 private:
  void add(const bfd::SessionSpec& spec);
  void remove(bfd::SessionId id);
  // The wait for BGP is over: the session sends (Active), and leaves the
  // AdminDown it was held in for BGP unless maintenance holds it too.
  void release(bfd::SessionId id);
  // AdminDown while maintenance or its BGP holds it, else not.
  void apply_admin(bfd::SessionId id);
  platform::Timer& waiter(bfd::SessionId id);
  // Holds the session for BGP (AdminDown) and watches for the router's packets.
  void hold(bfd::SessionId id);
  // kHeardPoll: the held sessions whose discarded packets grew.
  void poll_heard();
  bool waiting_for_bgp(bfd::SessionId id) const;
  // The per-session families: collectors over the live sessions, once.
  void register_metrics();
  void on_state_changed(const bfd::io::StateEvent& event);
  // Logs a wake-up of the BFD timers >= 25 ms late, one warning a minute at
  // most: a stall repeats while its cause lasts.
  void on_late_wakeup(std::chrono::microseconds lateness);
  struct Binding {
    std::string interface;  // name of the spec's key.ifindex; "" while unbound
    std::string reported;   // the last unbound/conflict line logged, said once
  };
  // True when the session is bound to the interface `found` names.
  bool rebind(bfd::SessionId id, Binding& binding, const platform::ConnectedLookup& found);

  event_base* base_;
  Metrics& metrics_;
  OsRandom random_;
  std::unique_ptr<bfd::io::Service> service_;
  std::vector<Listener> listeners_;
  std::vector<std::string> errors_;
  std::set<std::string> admin_down_;  // neighbor names held AdminDown
  InterfaceSnapshot interfaces_;
  std::map<bfd::SessionId, Binding> bindings_;  // single hop without a configured interface
  // Neighbor sessions waiting for BGP: the timer that releases them.
  std::map<bfd::SessionId, std::unique_ptr<platform::Timer>> waiting_for_bgp_;
  std::set<bfd::SessionId> follows_bgp_;      // neighbors' sessions without bfd_strict
  // AdminDown until their BGP lets them go: each with the count of the
  // router's packets it has discarded, as of the last poll (poll_heard).
  std::map<bfd::SessionId, std::uint64_t> held_for_bgp_;
  std::set<bfd::SessionId> bgp_without_bfd_;  // their router went Established without BFD Up
  std::function<void(const std::string&)> peer_heard_;
  platform::Timer heard_timer_;
  std::string snapshot_error_;                  // last getifaddrs failure logged
  platform::Timer resolve_timer_;
  WarningThrottle late_warnings_{std::chrono::minutes(1)};
  std::vector<Metrics::Registration> metric_families_;  // read service_: dropped first
};

}  // namespace fbf::agent
