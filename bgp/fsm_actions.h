#pragma once
// What a bgp::Session asks its adapter (bgp/io) and the agent to do. Every
// event returns an Actions list; execute it in order. Most events in
// Established (a burst of UPDATEs, KEEPALIVEs) return an empty list, which
// does not allocate.

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/fsm_types.h"
#include "bgp/message.h"
#include "platform/ip.h"

namespace fbf::bgp {

// Addresses of one TCP connection, as the adapter's socket reports them.
struct ConnectionInfo {
  std::optional<platform::IpAddress> local;
  std::optional<platform::IpAddress> remote;
};

// What both sides agreed on for an Established session.
struct SessionInfo {
  Direction connection = Direction::outbound;  // the connection that won
  Negotiated negotiated;
  std::uint32_t peer_as = 0;
  std::uint32_t peer_bgp_identifier = 0;
  std::uint16_t hold_time = 0;     // negotiated seconds; 0: no KEEPALIVEs
  Duration keepalive_time{0};      // hold/3 (before jitter); 0 with hold 0
  bool ibgp = false;
  ConnectionInfo addresses;        // local: the "self" next hop
  Capabilities peer_capabilities;  // as received, for `show`
};

// ---- adapter actions ----

// Open a TCP connection to the neighbor; report Session::on_connected(now,
// outbound) or on_connect_failed(now).
struct Connect {};

// Send what is queued on this connection, then close it (or abort the
// connect attempt, for an outbound one still connecting). Forget it: no
// further events for it.
struct Disconnect {
  Direction connection;
};

// The socket just offered with on_connected() was not taken (RFC 4271 §8.2.2
// Idle "refuses all incoming BGP connections"; a second connection of the
// same direction): close it; the session has no record of it.
struct Refuse {
  Direction connection;
};

// Append to the connection's send queue: one or more whole BGP messages.
struct Send {
  Direction connection;
  std::vector<std::uint8_t> bytes;
};

// (Re)arm the one timer of this kind; deliver the expiry as
// Session::on_timer(now, kind). An early or stale expiry is ignored.
struct ArmTimer {
  TimerKind kind;
  TimePoint at;
};

struct CancelTimer {
  TimerKind kind;
};

// ---- agent actions ----

// Session::state() changed. One log line: "<from>-><to>: <reason.text>".
struct StateChanged {
  State from;
  State to;
  Reason reason;
};

// Entered Established: start announcing (AdjRibOut::session_up + flush).
struct SessionEstablished {
  SessionInfo info;
};

// Left Established: forget what was sent (AdjRibOut::session_down).
struct SessionDown {
  Reason reason;
  Duration uptime{0};
};

// The peer asked for our Adj-RIB-Out of this family again (RFC 2918 §4):
// AdjRibOut::refresh(family), then Session::send_updates. At most one per
// family per call.
struct RouteRefreshRequested {
  AfiSafi family;
};

// RFC 7606 §2 "AFI/SAFI disable" (RFC 4760 §7): routes of this family from
// the peer are ignored for the rest of the session. Raised once per family.
struct FamilyDisabled {
  AfiSafi family;
  std::string text;
};

// RFC 4271 §6.8: two connections to the peer; `closed` was closed with
// Cease/Connection Collision Resolution, the other one continues.
struct CollisionResolved {
  Direction closed;
  std::uint32_t local_bgp_identifier = 0;
  std::uint32_t remote_bgp_identifier = 0;
};

using Action = std::variant<Connect, Disconnect, Refuse, Send, ArmTimer, CancelTimer, StateChanged,
                            SessionEstablished, SessionDown, RouteRefreshRequested, FamilyDisabled,
                            CollisionResolved>;

class Actions {
 public:
  void push(Action action) { items_.push_back(std::move(action)); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const Action& operator[](std::size_t i) const { return items_[i]; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  void append(Actions&& more) {
    for (Action& a : more.items_) items_.push_back(std::move(a));
  }

 private:
  std::vector<Action> items_;
};

}  // namespace fbf::bgp
