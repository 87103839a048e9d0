#pragma once
// The agent's side of BGP: one bgp::io::Neighbor per [[neighbor]], each with
// an Adj-RIB-Out holding the service prefixes it should announce (attributes
// per shared/spec/CONFIG.md via bgp/route_policy), the listeners on port 179
// for the neighbors' connections, logs, metrics, `show bgp` and `show routes`.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/bfd_coupling.h"
#include "agent/bgp_progress.h"
#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/metrics.h"
#include "agent/os_random.h"
#include "agent/service_policy.h"
#include "bfd/engine.h"
#include "bgp/adj_rib_out.h"
#include "bgp/io/neighbor.h"
#include "bgp/random.h"
#include "platform/event.h"

namespace fbf::agent {

// RFC 4271 §4.2 BGP Identifier: [agent] router_id, or the first global IPv4
// address of the host (CONFIG.md default).
std::optional<platform::IpAddress> choose_router_id(const Config& config);

class BgpNeighbors {
 public:
  BgpNeighbors(event_base* base, Metrics& metrics);
  ~BgpNeighbors();

  // Start or reconcile with `config`: unchanged neighbors keep their session,
  // changed ones are restarted, removed ones closed (Cease/Administrative
  // Shutdown, or Peer De-configured). Returns errors (e.g. no router id).
  std::vector<std::string> apply(const Config& config);
  // SIGTERM: withdraw everything, then Cease/Administrative Shutdown with the
  // RFC 9003 `message`. The NOTIFICATIONs are flushed by the loop.
  void shutdown(const std::string& message);
  // True while any connection still has bytes to flush.
  bool draining() const;

  // RFC 5882 §4.2 / RFC 9384: a BFD session to a neighbor went Down (a
  // failure, not the peer's AdminDown) -> close BGP with Cease/BFD Down and
  // reconnect with backoff; with bfd_strict, hold BGP until BFD is Up again.
  // A Down the peer signalled waits kPeerSignalledDownGrace for Up first
  // (RFC 5882 §3.1; agent/bfd_coupling.h says why).
  void on_bfd(const bfd::SessionSpec& spec, const bfd::StateChanged& change);
  // The neighbor's BFD session, waiting for BGP, heard the router: it is up,
  // so a session waiting to retry connects now (bgp::Session::peer_alive).
  void on_peer_heard(const std::string& neighbor);
  // How BgpNeighbors learns a neighbor's current BFD state (bfd_strict at
  // start and on reload).
  using BfdQuery = std::function<std::optional<bfd::State>(const NeighborConfig&)>;
  void set_bfd_query(BfdQuery query) { bfd_query_ = std::move(query); }

  // What each service announces (agent/services.*): consulted whenever a
  // neighbor's routes are computed. Without one nothing is announced.
  using RouteView = std::function<ServiceDecision(const ServiceConfig&)>;
  void set_route_view(RouteView view) { route_view_ = std::move(view); }
  // A session came up and got its routes (maintenance: restoring -> active).
  void on_routes_sent(std::function<void()> hook) { routes_sent_ = std::move(hook); }
  // A neighbor's session opened, reached Established or left it (its BFD
  // session waits for BGP).
  void on_progress(std::function<void(const std::string& name, BgpProgress)> hook) {
    progress_ = std::move(hook);
  }
  // Recompute and send every Established neighbor's routes now (a service's
  // decision changed); only the difference goes out.
  void refresh_all();
  // Whether `service`'s prefixes are sent to at least one Established neighbor.
  bool announced(const ServiceConfig& service) const;
  // Whether `service`'s prefixes are out: at least one Established neighbor
  // it targets has them and none that is up lacks them (true when it
  // targets no configured neighbor at all: nothing to wait for).
  bool sent_to_all_up(const ServiceConfig& service) const;
  // Maintenance with close_sessions: these neighbors are closed with
  // Cease/Administrative Shutdown and `message` (RFC 9003) and stay closed;
  // neighbors leaving the set are started again.
  void set_closed(const std::set<std::string>& names, const std::string& message);

  void register_commands(CommandTable& commands);
  json show_bgp() const;
  json show_routes() const;

 private:
  struct Entry {
    NeighborConfig config;
    std::unique_ptr<bgp::io::Neighbor> neighbor;
    bgp::AdjRibOut rib;
    std::optional<bgp::SessionInfo> info;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    std::string last_error;
    bool held_for_bfd = false;  // bfd_strict: not started until BFD is Up
    bool held_for_maintenance = false;  // close_sessions: closed until maintenance stop
    // Armed by a peer-signalled BFD Down (agent/bfd_coupling.h): closes BGP
    // unless BFD is Up again first.
    std::unique_ptr<platform::Timer> bfd_grace;
    bool bfd_grace_pending() const { return bfd_grace && bfd_grace->pending(); }
  };
  struct Listener {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdWatch> watch;
    std::set<platform::IpAddress> md5_failed;  // their key is not on fd: refuse them
  };

  void start_neighbor(const NeighborConfig& n, const Config& config);
  void on_action(Entry& e, const bgp::Action& action);
  // Cease/BFD Down; with bfd_strict the session then waits for BFD Up.
  void close_for_bfd(Entry& e, std::string_view why);
  std::vector<bgp::Route> routes_for(const Entry& e) const;
  void refresh_routes(Entry& e);
  void open_listeners(const Config& config);
  void on_accept(Listener& l);
  // The per-neighbor families: collectors over entries_, once.
  void register_metrics();

  event_base* base_;
  Metrics& metrics_;
  OsRandom random_;
  class RandomAdapter : public bgp::Random {
   public:
    explicit RandomAdapter(OsRandom& r) : r_(r) {}
    std::uint32_t next_u32() override { return r_.next_u32(); }

   private:
    OsRandom& r_;
  } bgp_random_{random_};
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::vector<std::unique_ptr<Entry>> retiring_;  // closed on reload, flushing
  std::map<std::string, Listener> listeners_;
  // Of the configuration, what the routes and show read (not a copy of all
  // of it: the BFD peers and the neighbors are not needed twice).
  AgentSection agent_;
  std::vector<ServiceConfig> services_;
  MaintenanceConfig maintenance_;
  BfdQuery bfd_query_;
  RouteView route_view_;
  std::set<std::string> closed_;  // set_closed(): held closed for maintenance
  std::function<void()> routes_sent_;
  std::function<void(const std::string&, BgpProgress)> progress_;
  // While retiring_ is not empty: how often it is checked for neighbors
  // whose connections have closed.
  static constexpr std::chrono::milliseconds kReapPoll{200};
  void reap_retired();
  platform::Timer reaper_;
  std::vector<Metrics::Registration> metric_families_;  // read entries_: dropped first
};

}  // namespace fbf::agent
