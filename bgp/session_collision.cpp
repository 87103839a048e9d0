// What the session does when one of its connections makes progress: OPEN
// received (collision detection, RFC 4271 §6.8), Established, closed.
#include <string>

#include "bgp/session.h"

namespace fbf::bgp {

namespace {

std::string dotted(std::uint32_t id) {
  return std::to_string(id >> 24) + '.' + std::to_string((id >> 16) & 0xff) + '.' +
         std::to_string((id >> 8) & 0xff) + '.' + std::to_string(id & 0xff);
}

}  // namespace

void Session::after_step(TimePoint now, Direction d, Fsm::Step step, Actions& out) {
  switch (step) {
    case Fsm::Step::more: break;
    case Fsm::Step::open_received: open_received(now, d, out); break;
    case Fsm::Step::established: now_established(now, d, out); break;
    case Fsm::Step::closed: connection_closed(now, d, out); break;
  }
}

void Session::open_received(TimePoint now, Direction d, Actions& out) {
  FsmContext ctx = context();
  const OpenMessage& open = *slot(d)->peer_open();
  auto& other_conn = slot(other(d));
  // §6.8: "Upon receipt of an OPEN message, the local system MUST examine
  // all of its connections that are in the OpenConfirm state" (one in
  // OpenSent is left until its own OPEN arrives: we learn the peer's
  // identifier from no other source). Both connections go to the one
  // configured neighbor, so we treat them as colliding even should the
  // identifiers differ, and decide by the newer OPEN's.
  if (other_conn &&
      (other_conn->state() == State::OpenConfirm || other_conn->state() == State::Established)) {
    std::uint32_t local = config_.bgp_identifier;
    std::uint32_t remote = open.bgp_identifier;
    Direction loser;
    if (other_conn->state() == State::Established) {
      // "a connection collision with an existing BGP connection that is in
      // the Established state causes closing of the newly created connection".
      loser = d;
    } else {
      // Steps 1-3: keep the connection initiated by the speaker with the
      // higher BGP Identifier (ours is outbound, the peer's inbound); with
      // equal identifiers (eBGP only), the one initiated by the larger AS
      // (RFC 6286 §2.3).
      Direction keep = local != remote
                           ? (local > remote ? Direction::outbound : Direction::inbound)
                           : (config_.local_as > peer_as(open) ? Direction::outbound
                                                               : Direction::inbound);
      loser = other(keep);
    }
    ++counters_.collisions;
    out.push(CollisionResolved{loser, local, remote});
    // OpenCollisionDump (Event 23) on the loser: NOTIFICATION Cease
    // (RFC 4486 subcode 7), drop. Not a session failure: no backoff.
    slot(loser)->close(ctx, Event::OpenCollisionDump,
                       make_cease(CeaseSubcode::connection_collision_resolution),
                       "connection collision (local " + dotted(local) + ", remote " +
                           dotted(remote) + "), keeping the " +
                           std::string(to_string(other(loser))) + " connection",
                       out);
    slot(loser).reset();
    if (loser == d) return;
  }
  // OpenSent, BGPOpen (Event 19) without collision: KEEPALIVE, timers,
  // OpenConfirm.
  Fsm& conn = *slot(d);
  conn.confirm_open(ctx, now, out);
  report(Reason{.event = Event::BGPOpen,
                .text = "OPEN received (" + std::string(to_string(d)) + ", AS " +
                        std::to_string(peer_as(open)) + ", BGP Identifier " +
                        dotted(open.bgp_identifier) + ", hold time " +
                        std::to_string(conn.hold_time()) + "s)"},
         out);
}

void Session::now_established(TimePoint now, Direction d, Actions& out) {
  Fsm& conn = *slot(d);
  SessionInfo info = conn.session_info();
  info.ibgp = config_.ibgp();
  established_ = info;
  ++counters_.established_transitions;
  counters_.established_since = now;
  counters_.ipv4.disabled = false;
  counters_.ipv6.disabled = false;
  // A connect attempt still under way could only lose a collision with an
  // Established connection (§6.8): give it up.
  abort_connecting(out);
  report(Reason{.event = Event::KeepAliveMsg, .text = "KEEPALIVE received"}, out);
  out.push(SessionEstablished{std::move(info)});
}

void Session::connection_closed(TimePoint now, Direction d, Actions& out) {
  Fsm& conn = *slot(d);
  Reason reason = conn.close_reason();
  std::optional<Duration> uptime;
  if (conn.closed_from() == State::Established && conn.established_at()) {
    uptime = std::chrono::duration_cast<Duration>(now - *conn.established_at());
  }
  slot(d).reset();
  if (uptime) {
    established_.reset();
    counters_.established_since.reset();
    ++counters_.session_drops;
    if (reset_by_peer(reason)) {
      // `clear bgp` at the router three times in five minutes is no flapping.
      ++counters_.administrative_resets;
      damping_.record_administrative_reset(*uptime);
      reason.text += "; an administrative reset: not counted towards damping";
    } else {
      damping_.record_drop(now, *uptime);
    }
  }
  if (any_connection()) {
    // The other connection carries on (it was tracked per §6.8).
    report(reason, out);
    if (uptime) out.push(SessionDown{std::move(reason), *uptime});
    return;
  }
  go_idle(now, std::move(reason), uptime, out);
}

}  // namespace fbf::bgp
