#pragma once
// Planned maintenance of one service as a sans-I/O state machine (DESIGN.md
// "Sans-I/O cores"): RFC 8326 graceful shutdown sequencing with time passed
// in and actions returned. Nothing here reads a clock, counts connections,
// sends an UPDATE or writes the state file; agent/maintenance_runner.* does.
//
//   active ──start──► draining ──drain_time / connections ≤ N──► drained
//     ▲                  │                                          │
//     └──routes sent── restoring ◄──────────────stop────────────────┘
//                        ▲ (stop while draining, too)
//
// Decisions an operator relies on:
// - draining: the routes stay announced, tagged GRACEFUL_SHUTDOWN (RFC 8326
//   §4; the policy adds LOCAL_PREF 0 / MED / prepends), so routers move
//   traffic away before anything is withdrawn.
// - The early finish on `drain_connections` is never taken in the first
//   second (CONFIG.md): routers need that long to act on the re-announcement.
// - drained: withdrawn (`withdraw = true`) or still announced with the
//   community (`withdraw = false`); with `close_sessions` the agent also
//   closes the BGP sessions and sets BFD AdminDown once nothing is announced.
// - A start on a service that announces nothing (failing, disabled) goes to
//   drained at once: there is no traffic to drain, and healing must not
//   re-announce it.
// - restoring: the routes go out normally again; the phase is `active` once
//   the agent reports them sent to every neighbor that is up — or after
//   `restore_timeout` (a router that stays down must not hold `stop --wait`
//   forever; the routes go out when it comes back anyway).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fbf::agent {

enum class MaintenancePhase : std::uint8_t { active, draining, drained, restoring };
std::string_view to_string(MaintenancePhase phase);
std::optional<MaintenancePhase> parse_maintenance_phase(std::string_view text);

// How a service's routes go out because of maintenance (health is combined
// with this by the service policy).
enum class MaintenanceRoutes : std::uint8_t {
  normal,             // active, restoring
  graceful_shutdown,  // draining; drained with withdraw = false
  withdrawn,          // drained with withdraw = true
};

struct MaintenanceSettings {
  std::chrono::milliseconds drain_time{30'000};
  std::int64_t drain_connections = -1;  // < 0: wait the whole drain_time
  bool withdraw = true;
  bool close_sessions = false;
  std::chrono::milliseconds restore_timeout{30'000};
};

class MaintenanceSequencer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // RFC 8326 does not fix a time; CONFIG.md: "never before 1 s".
  static constexpr std::chrono::milliseconds kMinDrain{1000};

  struct Transition {
    MaintenancePhase from;
    MaintenancePhase to;
    std::string reason;  // "maintenance start", "drain time elapsed", ...
  };
  // What the adapter does after a call: log/persist/apply each transition (in
  // order), then (re)arm its one timer at `timer` (nullopt: disarm).
  struct Actions {
    std::vector<Transition> transitions;
    std::optional<TimePoint> timer;
  };

  explicit MaintenanceSequencer(MaintenanceSettings settings, TimePoint now);

  // Resume a phase read from the state file (RFC 8326 sequencing survives a
  // restart): draining resumes as drained — a rebooted host must not start a
  // fresh drain that announces again; restoring resumes as restoring.
  Actions resume(TimePoint now, MaintenancePhase stored);

  // `fbfctl maintenance start`: `drain_time` overrides the configured one for
  // this round. `announced`: whether the service's routes are out now.
  Actions start(TimePoint now, std::optional<std::chrono::milliseconds> drain_time,
                bool announced);
  // `fbfctl maintenance stop`.
  Actions stop(TimePoint now);
  // The timer fired (early or stale expiries are harmless).
  Actions on_timer(TimePoint now);
  // The adapter counted established TCP connections to the service addresses.
  Actions on_connections(TimePoint now, std::uint64_t count);
  // The agent sent the normal routes to every neighbor that is up.
  Actions on_routes_sent(TimePoint now);
  // Reload: new settings apply from the next phase change; the phase stays.
  void set_settings(MaintenanceSettings settings) { settings_ = settings; }

  MaintenancePhase phase() const { return phase_; }
  TimePoint since() const { return since_; }
  // When draining ends at the latest / restoring gives up waiting.
  std::optional<TimePoint> deadline() const;
  std::optional<std::uint64_t> last_connections() const { return connections_; }
  MaintenanceRoutes routes() const;
  // close_sessions: drained and nothing announced -> BGP closed, BFD AdminDown.
  bool sessions_closed() const;
  // Whether the adapter should count connections now (draining with
  // drain_connections >= 0).
  bool wants_connection_counts() const;
  const MaintenanceSettings& settings() const { return settings_; }

 private:
  void enter(MaintenancePhase to, TimePoint now, std::string reason, Actions& out);
  std::optional<TimePoint> timer() const;

  MaintenanceSettings settings_;
  MaintenancePhase phase_ = MaintenancePhase::active;
  TimePoint since_;
  std::chrono::milliseconds drain_{0};  // this round's drain time
  std::optional<std::uint64_t> connections_;
};

}  // namespace fbf::agent
