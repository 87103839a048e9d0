#include "bfd/session.h"

#include <algorithm>

#include "bfd/fsm.h"

namespace fbf::bfd {
namespace {

RxDrop to_drop(AuthError e) {
  switch (e) {
    case AuthError::type_mismatch: return RxDrop::auth_type_mismatch;
    case AuthError::key_id_mismatch: return RxDrop::auth_key_id_mismatch;
    case AuthError::bad_length: return RxDrop::auth_bad_length;
    case AuthError::bad_sequence: return RxDrop::auth_bad_sequence;
    case AuthError::digest_mismatch: return RxDrop::auth_digest_mismatch;
  }
  return RxDrop::auth_digest_mismatch;
}

// Packet contents apart from P, F and the Authentication Section (§6.7.3:
// Keyed XmitAuthSeq SHOULD change "when the transmitted BFD Control packet
// carries different contents than the previously transmitted packet").
bool same_contents(const ControlPacket& a, const ControlPacket& b) {
  return a.diag == b.diag && a.state == b.state &&
         a.control_plane_independent == b.control_plane_independent && a.demand == b.demand &&
         a.detect_mult == b.detect_mult && a.my_discriminator == b.my_discriminator &&
         a.your_discriminator == b.your_discriminator &&
         a.desired_min_tx_interval == b.desired_min_tx_interval &&
         a.required_min_rx_interval == b.required_min_rx_interval &&
         a.required_min_echo_rx_interval == b.required_min_echo_rx_interval;
}

Microseconds us(std::uint64_t v) { return Microseconds{static_cast<Microseconds::rep>(v)}; }

}  // namespace

Session::Session(const SessionConfig& config, Random& random) : config_(config), random_(random) {
  config_.desired_min_tx_interval = std::max<std::uint32_t>(config_.desired_min_tx_interval, 1);
  config_.detect_mult = std::max<std::uint8_t>(config_.detect_mult, 1);
  // §6.8.1 initial values (the struct's defaults cover the rest).
  bfd_.LocalDiscr = config_.local_discriminator;
  bfd_.DetectMult = config_.detect_mult;
  bfd_.AuthType = config_.auth.type;
  bfd_.XmitAuthSeq = random_.next_u32();  // "MUST be initialized to a random 32-bit value"
  bfd_.DesiredMinTxInterval = std::max(config_.desired_min_tx_interval, kSlowTxIntervalUs);
  bfd_.RequiredMinRxInterval = config_.required_min_rx_interval;
  desired_min_tx_in_use_ = bfd_.DesiredMinTxInterval;
  required_min_rx_in_use_ = bfd_.RequiredMinRxInterval;
}

// ---- events -----------------------------------------------------------------

Actions Session::start(TimePoint now) {
  Actions out;
  if (started_) {
    return out;
  }
  started_ = true;
  if (bfd_.SessionState == State::Down && config_.role == Role::Active) {
    start_poll();  // bring-up in round trips, not the peer's slow timer: see change_state()
  }
  if (may_transmit()) {
    send(now, /*final=*/false, out);
  }
  retime(now, out);
  return out;
}

Actions Session::on_packet(TimePoint now, const ControlPacket& p, const RxMeta& meta) {
  Actions out;
  // §6.8.6 after decode(): the checks that need this session.
  if (!started_) {
    drop(RxDrop::not_started);
    return out;
  }
  if (p.your_discriminator != 0 && p.your_discriminator != bfd_.LocalDiscr) {
    drop(RxDrop::your_discriminator_mismatch);  // the engine demuxes; defence in depth
    return out;
  }
  if (config_.min_rx_ttl != 0 && meta.ttl && *meta.ttl < config_.min_rx_ttl) {
    drop(RxDrop::bad_ttl);  // RFC 5881 §5, before any cryptography
    return out;
  }
  if (p.auth && bfd_.AuthType == AuthType::None) {
    drop(RxDrop::auth_unexpected);
    return out;
  }
  if (!p.auth && bfd_.AuthType != AuthType::None) {
    drop(RxDrop::auth_missing);
    return out;
  }
  if (p.auth) {
    // §6.8.1: AuthSeqKnown goes to 0 after no packets for twice the
    // Detection Time; evaluated here, the only place it is read.
    if (bfd_.AuthSeqKnown && last_rx_ && now - *last_rx_ >= 2 * us(detection_time_us())) {
      bfd_.AuthSeqKnown = false;
    }
    auto verified = verify(config_.auth, p, meta.bytes, bfd_.AuthSeqKnown, bfd_.RcvAuthSeq);
    if (!verified) {
      drop(to_drop(verified.error()));
      return out;
    }
    if (has_sequence(bfd_.AuthType)) {
      bfd_.RcvAuthSeq = p.auth->sequence;
      bfd_.AuthSeqKnown = true;
    }
  }

  const bool new_remote_discr = bfd_.RemoteDiscr != p.my_discriminator;
  bfd_.RemoteDiscr = p.my_discriminator;
  bfd_.RemoteSessionState = p.state;
  bfd_.RemoteDemandMode = p.demand;
  bfd_.RemoteMinRxInterval = p.required_min_rx_interval;
  remote_desired_min_tx_ = p.desired_min_tx_interval;
  remote_detect_mult_ = p.detect_mult;
  remote_min_echo_rx_ = p.required_min_echo_rx_interval;  // 0 would stop Echo: we send none
  if (p.final && poll_.active) {
    terminate_poll();
  } else if (!p.final) {
    poll_.awaiting_clear = false;
  }
  // "Update the transmit interval" and "the Detection Time": both are
  // computed from the variables above; retime() applies them.

  if (bfd_.SessionState == State::AdminDown) {
    // Discarded before the Poll reply step of §6.8.6, so no Final either.
    drop(RxDrop::admin_down);
    retime(now, out);
    return out;
  }
  ++counters_.packets_in;
  // From arrival (RxMeta::arrived), never earlier than an earlier packet's.
  const TimePoint received = std::min(meta.arrived.value_or(now), now);
  last_rx_ = last_rx_ ? std::max(*last_rx_, received) : received;
  detect_running_ = true;

  bool changed = false;
  if (auto t = on_received_state(bfd_.SessionState, p.state)) {
    change_state(t->to, t->diag.value_or(bfd_.LocalDiag), t->remote_admin_down, out);
    changed = true;
  } else {
    refresh_advertised();  // a queued timer change may go out now (§6.8.3 choice 3)
  }
  // §6.8.6: a Poll is answered at once with F (§6.8.7); a new state is sent
  // at once too, in the same packet when both apply. So is a new Your
  // Discriminator: §6.8.7 SHOULD send a packet whose contents differ from the
  // last one. That is a peer that re-created its session (FRR's bgpd does at
  // BGP Established): its new session discards our packets until they name
  // it, and would otherwise wait up to a slow-rate interval for our next one.
  if ((p.poll || changed || new_remote_discr) && may_transmit()) {
    send(now, /*final=*/p.poll, out);
  }
  retime(now, out);  // demand mode check, passive start, detection timer
  return out;
}

Actions Session::on_timer(TimePoint now, TimerKind kind) {
  if (kind == TimerKind::EchoTransmit || kind == TimerKind::EchoDetect) {
    return on_echo_timer(now, kind);
  }
  Actions out;
  // The adapter holds one timer per kind and re-arming replaces it, so an
  // expiry with nothing armed is stale, and one before the armed time is
  // early (event loops arm relative to a cached clock): re-arm, never drop —
  // a dropped early expiry would stop transmission or detection for good.
  if (kind == TimerKind::Transmit) {
    if (!tx_armed_at_) return out;  // stale
    if (now < *tx_armed_at_) {
      out.push(transmit_timer());
      return out;
    }
    transmit_periodic(now, out);
    return out;
  }
  if (!detect_armed_at_) return out;  // stale
  if (now < *detect_armed_at_) {
    out.push(ArmTimer{TimerKind::Detect, *detect_armed_at_});
    return out;
  }
  detect_armed_at_.reset();
  if (auto deadline = detection_deadline(); deadline && now < *deadline) {
    retime(now, out);  // packets arrived since arming: re-arm for the real deadline
    return out;
  }
  expire_detection(now, out);
  retime(now, out);
  return out;
}

Actions Session::transmit_early(TimePoint now) {
  Actions out;
  // Nothing pending (paused, or sent since); or already due, which is the
  // timer's own wake-up to serve (it counts how late it ran).
  if (!tx_armed_at_ || now >= *tx_armed_at_) return out;
  const auto from = early_from();
  if (!from || now < *from) {
    out.push(transmit_timer());  // a packet left since, or the interval grew
    return out;
  }
  transmit_periodic(now, out);
  return out;
}

void Session::transmit_periodic(TimePoint now, Actions& out) {
  tx_armed_at_.reset();
  if (periodic_transmission()) {  // else retime() leaves it unarmed
    send(now, /*final=*/false, out);
  }
  retime(now, out);
}

Actions Session::activate(TimePoint now) {
  Actions out;
  if (config_.role == Role::Active) {
    return out;
  }
  config_.role = Role::Active;
  if (bfd_.SessionState == State::Down || bfd_.SessionState == State::Init) {
    start_poll();  // the peer answers at once (change_state() says why)
  }
  // A Passive session that has heard nothing has sent nothing: its first
  // packet goes now, as an Active one's does at start() (§6.1). One that
  // already answers the peer keeps its periodic schedule (§6.5: the P bit
  // rides on it, no packet is added).
  if (started_ && !tx_armed_at_ && may_transmit()) {
    send(now, /*final=*/false, out);
  }
  retime(now, out);
  return out;
}

Actions Session::admin_down(TimePoint now, Diag diag) {
  Actions out;
  if (bfd_.SessionState != State::AdminDown) {
    // §6.8.16: SessionState AdminDown, LocalDiag set; packets keep flowing
    // (slow rate) so the peer learns it and holds its session Down.
    change_state(State::AdminDown, diag, false, out);
    detect_running_ = false;
    if (started_ && may_transmit()) {
      send(now, false, out);
    }
  }
  retime(now, out);
  return out;
}

Actions Session::admin_up(TimePoint now) {
  Actions out;
  if (bfd_.SessionState == State::AdminDown) {
    // §6.8.1's Detection Time rule (forget_remote): AdminDown discards every
    // packet (§6.8.6) and runs no detection timer, so it is applied here.
    // What the discarded packets named may be a session the peer has since
    // replaced (FRR's bgpd re-creates its session at BGP Established), which
    // would discard ours; Your Discriminator 0 in Down is matched by address
    // (§6.8.6) and answered at once.
    if (!last_rx_ || now - *last_rx_ >= us(detection_time_us())) forget_remote();
    change_state(State::Down, Diag::None, false, out);  // §6.8.16 "Set bfd.SessionState to Down"
    if (started_ && may_transmit()) {
      send(now, false, out);
    }
  }
  retime(now, out);
  return out;
}

Actions Session::set_timers(TimePoint now, const TimerSettings& timers) {
  Actions out;
  config_.desired_min_tx_interval = std::max<std::uint32_t>(timers.desired_min_tx_interval, 1);
  config_.required_min_rx_interval = timers.required_min_rx_interval;
  // §6.8.13: the echo settings need no Poll; the next packet advertises them.
  config_.required_min_echo_rx_interval = timers.required_min_echo_rx_interval;
  config_.desired_min_echo_tx_interval = timers.desired_min_echo_tx_interval;
  const std::uint8_t mult = std::max<std::uint8_t>(timers.detect_mult, 1);
  if (mult != bfd_.DetectMult) {
    // §6.8.12: no Poll needed, except that with Demand mode active a changed
    // packet must be sent in a Poll Sequence (§6.6).
    config_.detect_mult = bfd_.DetectMult = mult;
    if (remote_demand_active()) {
      start_poll();
    }
  }
  refresh_advertised();
  retime(now, out);
  return out;
}

// ---- state changes and transmission ----------------------------------------

void Session::drop(RxDrop reason) {
  ++counters_.drops[static_cast<std::size_t>(reason)];
  if (is_auth_drop(reason)) {
    ++counters_.auth_failures;
  }
}

void Session::change_state(State to, Diag diag, bool remote_admin_down, Actions& out) {
  const State from = bfd_.SessionState;
  bfd_.SessionState = to;
  bfd_.LocalDiag = diag;
  if (from == State::Up) {
    ++counters_.flaps;
  }
  out.push(StateChanged{from, to, diag, remote_admin_down});
  if (from == State::Up && to != State::Up) {
    stop_echo(out);  // §6.4 "If the session goes Down, the transmission of Echo packets ... ceases"
  }
  // Entering or leaving Up changes the advertised intervals (§6.8.3). A Poll
  // still running is abandoned: outside Up nothing waits on a Final, and on
  // entering Up only the transmit interval shrinks, which is immediate.
  if (from == State::Up || to == State::Up) {
    poll_ = {};
    desired_min_tx_in_use_ = bfd_.DesiredMinTxInterval;
    required_min_rx_in_use_ = bfd_.RequiredMinRxInterval;
  }
  refresh_advertised();
  // Bring-up in round trips. Many peers (BIRD among them) send a new state
  // only on their next periodic packet, at the 1 s slow rate while not Up
  // (§6.8.3), so each step of the three-way handshake could wait up to a
  // second for them. A Poll they MUST answer at once "without respect to the
  // session state" (§6.8.7), with their state after our packet. So every
  // Down or Init of ours carries P until a Final comes back. No packet is
  // added (§6.5: P rides on the packets sent anyway), and nothing waits on
  // that Final: outside Up our intervals apply at once, so a late or stale
  // one only stops the P bits. A Passive session leaves the pace to the
  // peer until it is activated (activate()).
  if ((to == State::Down || to == State::Init) && config_.role == Role::Active) {
    start_poll();
  }
}

// §6.8.1: a Detection Time without a valid packet zeroes bfd.RemoteDiscr;
// §6.8.18: bfd.RemoteMinRxInterval SHOULD return to its initial 1.
void Session::forget_remote() {
  bfd_.RemoteDiscr = 0;
  bfd_.RemoteMinRxInterval = 1;
}

void Session::expire_detection(TimePoint now, Actions& out) {
  detect_running_ = false;
  forget_remote();
  if (bfd_.SessionState != State::Init && bfd_.SessionState != State::Up) {
    return;
  }
  // §6.8.4: "the session has gone down".
  ++counters_.detection_expiries;
  if (last_rx_) {
    counters_.last_detection_latency =
        std::chrono::duration_cast<Microseconds>(now - *last_rx_);
    counters_.last_detection_overshoot = std::chrono::duration_cast<Microseconds>(
        now - (*last_rx_ + us(detection_time_us())));
  }
  change_state(State::Down, Diag::ControlDetectionTimeExpired, false, out);
  if (may_transmit()) {
    send(now, false, out);
  }
}

bool Session::remote_demand_active() const {
  return bfd_.RemoteDemandMode && bfd_.SessionState == State::Up &&
         bfd_.RemoteSessionState == State::Up;
}

// §6.8.7: "MUST NOT transmit ... if bfd.RemoteDiscr is zero and the system is
// taking the Passive role". §6.1: a Passive system begins sending once it
// has received a packet; in AdminDown every packet is discarded (§6.8.6), so
// one held there before it ever sent stays silent. That is how the agent
// keeps a session waiting for BGP (agent/bfd_sessions.h) out of the router's
// sight, instead of telling it AdminDown about a session it never knew.
bool Session::may_transmit() const {
  return started_ && !(config_.role == Role::Passive &&
                       (bfd_.RemoteDiscr == 0 || bfd_.SessionState == State::AdminDown));
}

bool Session::periodic_transmission() const {
  return may_transmit() && transmit_interval_us() != 0 &&  // RemoteMinRxInterval 0
         !(remote_demand_active() && !poll_.active);       // §6.6, §6.8.7
}

ControlPacket Session::make_packet(bool final) const {
  ControlPacket p;  // §6.8.7 "The contents of transmitted BFD Control packets"
  p.diag = bfd_.LocalDiag;
  p.state = bfd_.SessionState;
  p.poll = poll_.active && !final;  // never both P and F (§6.5)
  p.final = final;
  p.control_plane_independent = config_.control_plane_independent;
  p.demand = bfd_.DemandMode && bfd_.SessionState == State::Up &&
             bfd_.RemoteSessionState == State::Up;
  p.detect_mult = bfd_.DetectMult;
  p.my_discriminator = bfd_.LocalDiscr;
  p.your_discriminator = bfd_.RemoteDiscr;
  p.desired_min_tx_interval = bfd_.DesiredMinTxInterval;
  p.required_min_rx_interval = bfd_.RequiredMinRxInterval;
  p.required_min_echo_rx_interval = config_.required_min_echo_rx_interval;
  if (bfd_.AuthType != AuthType::None) {
    p.auth = make_auth_section(config_.auth, bfd_.XmitAuthSeq);
  }
  return p;
}

void Session::send(TimePoint now, bool final, Actions& out) {
  ControlPacket p = make_packet(final);
  if (has_sequence(bfd_.AuthType)) {
    if (is_meticulous(bfd_.AuthType)) {
      ++bfd_.XmitAuthSeq;  // every packet (§6.7.3/§6.7.4), wrapping at 2^32
    } else if (last_sent_ && !same_contents(*last_sent_, p)) {
      p.auth->sequence = ++bfd_.XmitAuthSeq;  // Keyed: when the contents change
    }
  }
  out.push(Transmit{p});
  ++counters_.packets_out;
  if (gap_anchor_) {
    counters_.max_tx_gap = std::max(
        counters_.max_tx_gap, std::chrono::duration_cast<Microseconds>(now - *gap_anchor_));
  }
  gap_anchor_ = now;
  last_tx_ = now;
  last_sent_ = p;
}

}  // namespace fbf::bfd
