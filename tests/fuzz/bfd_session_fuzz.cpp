// Fuzzes one bfd::Session (RFC 5880) through a script of events with a fake
// clock, the way the adapter drives it: packets (raw bytes through decode(),
// or a well-formed ControlPacket built from the input, signed with the
// session's key so that it passes the codec and authentication), returned
// Echo packets, timer expiries, AdminDown/Up and timer changes.
//
// The fake event loop honours ArmTimer/CancelTimer exactly and fires each
// timer at its armed time while the clock advances, so liveness can be
// checked as well as safety. Every check is something RFC 5880 (or the
// Session's adapter contract in bfd/actions.h) guarantees:
//  - no action list overflows;
//  - every transmitted packet signs, decodes back to itself and verifies with
//    our own key; never both P and F (§6.5); My Discriminator is
//    bfd.LocalDiscr and Your Discriminator bfd.RemoteDiscr (§6.8.7); Desired
//    Min TX >= 1 s while not Up (§6.8.3); the state carried is the session's;
//    a Passive session never transmits before bfd.RemoteDiscr is known (§6.1,
//    §6.8.7); Meticulous Keyed auth increments the sequence on every packet,
//    Keyed auth by 0 or 1 (§6.7.3, §6.7.4);
//  - a Poll in an accepted packet is answered by exactly one packet with F
//    (§6.8.6); a dropped packet changes no state and sends nothing;
//  - state changes follow §6.2 (Init and Up only on a packet, Down ->
//    AdminDown -> Down by administrative control only), and Init/Up implies
//    a known bfd.RemoteDiscr;
//  - the Detection Time never expires before last rx + Detection Time, and an
//    Init/Up session whose deadline has passed is Down (§6.8.4);
//  - no periodic transmission while bfd.RemoteMinRxInterval is 0 or the peer
//    is in Demand mode without a Poll Sequence (§6.6, §6.8.7); periodic
//    transmission never stalls (a Transmit timer is armed whenever it runs);
//  - Echo packets only while Up and the peer's Required Min Echo RX Interval
//    is nonzero (§6.8.9).
//
// Input (big endian):
//   0     flags: bit0 Passive, bits1-3 Auth Type (mod 6), bit4 C bit
//   1     min_rx_ttl
//   2     Detect Mult
//   3-6   local discriminator (0 -> 1)
//   7-14  desired min tx, required min rx, required min echo rx, desired echo
//         tx: u16 each, units of 100 us (desired min tx 0 -> 100 us)
//   15    auth key id, 16 key length, then the key
//   then steps, each an op byte and its operands:
//   op&7 = 0 advance the clock by u16 * {1 us, 100 us, 10 ms, 1 s}[op>>3 & 3],
//            firing timers at their times
//          1 deliver an expiry of timer kind op>>3 & 3 now (early/stale too)
//          2 raw packet: u8 length, bytes, u8 ttl
//          3 built packet (see deliver_built)
//          4 admin: op&8 admin_up, else admin_down (op&16: diag PathDown)
//          5 set_timers: 4 x u16 (100 us units), u8 detect mult
//          6 echo: u8 selector (+ operands) — one of our recent echoes, mutated
//          7 run to the earliest armed timer and fire it
// tests/fuzz/capture_seeds.py writes real peers' conversations in this form.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <variant>

#include "bfd/auth.h"
#include "bfd/echo.h"
#include "bfd/packet.h"
#include "bfd/session.h"
#include "fuzz_support.h"

namespace {

using namespace fbf::bfd;
using fbf::fuzz::Input;

constexpr std::uint32_t kUnit = 100;  // µs per interval unit
constexpr std::uint64_t kAdvanceScale[4] = {1, 100, 10'000, 1'000'000};
// Timer expiries per input: beyond it the input ends (small intervals and
// long advances would otherwise spend the run firing timers).
constexpr int kFireBudget = 2048;
constexpr std::size_t kTimerKinds = kTimerKindCount;

// FBF_FUZZ_TRACE=1: print the state changes (to see what a seed reaches).
bool tracing() {
  static const bool on = std::getenv("FBF_FUZZ_TRACE") != nullptr;
  return on;
}

bool valid_state(State s) { return static_cast<std::uint8_t>(s) <= 3; }

bool transition_allowed(State from, State to, bool by_packet, bool by_admin) {
  using enum State;
  if (to == AdminDown) return by_admin && from != AdminDown;
  if (from == AdminDown) return by_admin && to == Down;
  if (to == Init) return by_packet && from == Down;
  if (to == Up) return by_packet && (from == Down || from == Init);
  return to == Down && (from == Init || from == Up);  // packet, Detection Time or echo failure
}

enum class EventKind { packet, timer, admin, other };

struct Driver {
  Session& session;
  const SessionConfig& config;
  TimePoint now;
  std::array<std::optional<TimePoint>, kTimerKinds> timers{};
  std::optional<std::uint32_t> last_tx_seq;
  std::array<EchoPacket, 8> echoes{};
  std::size_t echoes_sent = 0;
  bool budget_exhausted = false;
  int fired = 0;  // timer expiries so far
  State state = State::Down;  // as the StateChanged actions tell it

  std::uint64_t total_drops() const {
    std::uint64_t n = 0;
    for (auto d : session.counters().drops) n += d;
    return n;
  }

  // Executes one event's actions as the adapter would, checking each.
  void run(const Actions& actions, EventKind kind) {
    FUZZ_CHECK(!actions.overflow());
    State& current = state;
    for (const auto& action : actions) {
      if (const auto* change = std::get_if<StateChanged>(&action)) {
        FUZZ_CHECK(valid_state(change->from) && valid_state(change->to));
        FUZZ_CHECK(change->from == current);
        FUZZ_CHECK(transition_allowed(change->from, change->to, kind == EventKind::packet,
                                 kind == EventKind::admin));
        if (change->to == State::Down && change->from != State::AdminDown) {
          FUZZ_CHECK(kind == EventKind::packet || kind == EventKind::timer);
        }
        // Diag 1/2 on the way down come from the Detection Time or the
        // echo timers (the diag may stay set while Down: §6.8.1 leaves it).
        if (change->to == State::Down && change->from != State::AdminDown &&
            (change->diag == Diag::ControlDetectionTimeExpired ||
             change->diag == Diag::EchoFunctionFailed)) {
          FUZZ_CHECK(kind == EventKind::timer);
        }
        current = change->to;
        if (tracing()) {
          std::fprintf(stderr, "t=%lldus %s -> %s diag %s\n",
                       static_cast<long long>(std::chrono::duration_cast<Microseconds>(
                                                  now.time_since_epoch()).count() % 1'000'000'000'000),
                       to_string(change->from).data(), to_string(change->to).data(),
                       to_string(change->diag).data());
        }
      } else if (const auto* tx = std::get_if<Transmit>(&action)) {
        check_transmit(tx->packet, current);
      } else if (const auto* echo = std::get_if<TransmitEcho>(&action)) {
        // §6.8.9: only while Up, and only when the peer accepts echoes.
        FUZZ_CHECK(current == State::Up);
        FUZZ_CHECK(session.remote_min_echo_rx_interval_us() != 0);
        FUZZ_CHECK(echo->packet.my_discriminator == config.local_discriminator);
        auto wire = encode_echo(echo->packet);
        auto back = decode_echo(wire);
        FUZZ_CHECK(back.has_value() && *back == echo->packet);
        echoes[echoes_sent++ % echoes.size()] = echo->packet;
      } else if (const auto* arm = std::get_if<ArmTimer>(&action)) {
        FUZZ_CHECK(static_cast<std::size_t>(arm->kind) < kTimerKinds);
        timers[static_cast<std::size_t>(arm->kind)] = arm->at;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
        FUZZ_CHECK(static_cast<std::size_t>(cancel->kind) < kTimerKinds);
        timers[static_cast<std::size_t>(cancel->kind)].reset();
      }
    }
    FUZZ_CHECK(current == session.variables().SessionState);
    check_steady();
  }

  void check_transmit(const ControlPacket& p, State current) {
    const auto& v = session.variables();
    FUZZ_CHECK(!(p.poll && p.final));                                       // §6.5
    FUZZ_CHECK(p.state == current);
    FUZZ_CHECK(p.my_discriminator == v.LocalDiscr && p.my_discriminator != 0);
    FUZZ_CHECK(p.your_discriminator == v.RemoteDiscr);
    FUZZ_CHECK(p.detect_mult != 0);
    FUZZ_CHECK(p.state == State::Up || p.desired_min_tx_interval >= kSlowTxIntervalUs);  // §6.8.3
    FUZZ_CHECK(!(config.role == Role::Passive && p.your_discriminator == 0));          // §6.8.7
    FUZZ_CHECK(p.auth.has_value() == (config.auth.type != AuthType::None));
    auto wire = encode_signed(p, session.auth());
    FUZZ_CHECK(wire.has_value());
    auto back = decode(wire->bytes());
    FUZZ_CHECK(back.has_value());
    ControlPacket expect = p;
    if (back->auth) expect.auth = back->auth;  // the digest was filled in
    FUZZ_CHECK(*back == expect);
    if (p.auth) {
      FUZZ_CHECK(p.auth->type == config.auth.type);
      FUZZ_CHECK(verify(session.auth(), *back, wire->bytes(), false, 0).has_value());
      if (has_sequence(p.auth->type)) {
        const std::uint32_t seq = p.auth->sequence;
        if (last_tx_seq) {
          const std::uint32_t step = seq - *last_tx_seq;
          if (is_meticulous(p.auth->type)) {
            FUZZ_CHECK(step == 1);  // §6.7.4 "MUST be incremented" per packet
          } else {
            FUZZ_CHECK(step <= 1);  // §6.7.3 "occasionally incremented"
          }
        }
        last_tx_seq = seq;
      }
    }
  }

  // Invariants between events.
  void check_steady() {
    const auto& v = session.variables();
    FUZZ_CHECK(valid_state(v.SessionState));
    FUZZ_CHECK((v.SessionState != State::Up && v.SessionState != State::Init) || v.RemoteDiscr != 0);
    const auto& tx = timers[static_cast<std::size_t>(TimerKind::Transmit)];
    // §6.8.7: no periodic transmission when the peer asked for none, nor
    // while it is in Demand mode with no Poll Sequence (§6.6).
    if (v.RemoteMinRxInterval == 0) FUZZ_CHECK(!tx);
    if (session.remote_demand_active() && !session.poll_active()) FUZZ_CHECK(!tx);
    // Re-arm, never drop: while periodic transmission runs a Transmit timer
    // is armed; a detection deadline has a Detect timer at or before it.
    if (session.periodic_transmission()) FUZZ_CHECK(tx.has_value());
    const auto& detect = timers[static_cast<std::size_t>(TimerKind::Detect)];
    if (auto deadline = session.detection_deadline()) {
      FUZZ_CHECK(detect.has_value() && *detect <= *deadline);
    }
    if (session.echo_active()) {
      FUZZ_CHECK(timers[static_cast<std::size_t>(TimerKind::EchoTransmit)].has_value());
      FUZZ_CHECK(timers[static_cast<std::size_t>(TimerKind::EchoDetect)].has_value());
    }
  }

  // §6.8.4: once the timers due by now have fired, an Init/Up session is
  // within its Detection Time.
  void check_liveness() {
    const auto s = session.variables().SessionState;
    if (budget_exhausted || (s != State::Init && s != State::Up)) return;
    auto deadline = session.detection_deadline();
    FUZZ_CHECK(!deadline || *deadline >= now);
  }

  void fire(TimerKind kind) {
    auto& armed = timers[static_cast<std::size_t>(kind)];
    if (armed && *armed <= now) armed.reset();  // it fired; else early or stale
    const auto expiries = session.counters().detection_expiries;
    run(session.on_timer(now, kind), EventKind::timer);
    if (session.counters().detection_expiries != expiries) {
      // §6.8.4: never before last rx + Detection Time.
      FUZZ_CHECK(kind == TimerKind::Detect);
      const auto& overshoot = session.counters().last_detection_overshoot;
      FUZZ_CHECK(!overshoot || overshoot->count() >= 0);
    }
  }

  // The earliest armed timer, if any.
  std::optional<std::size_t> earliest() const {
    std::optional<std::size_t> k;
    for (std::size_t i = 0; i < kTimerKinds; ++i) {
      if (timers[i] && (!k || *timers[i] < *timers[*k])) k = i;
    }
    return k;
  }

  void fire_next(TimePoint limit) {
    auto k = earliest();
    if (!k || *timers[*k] > limit) return;
    if (*timers[*k] > now) now = *timers[*k];
    timers[*k].reset();
    fire(static_cast<TimerKind>(*k));
  }

  void advance(std::uint64_t micros) {
    const TimePoint target = now + Microseconds{static_cast<Microseconds::rep>(micros)};
    for (;;) {
      auto k = earliest();
      if (!k || *timers[*k] > target) break;
      if (++fired >= kFireBudget) {
        budget_exhausted = true;  // liveness unchecked; the input ends here
        return;
      }
      fire_next(target);
    }
    now = target;
    check_steady();
    check_liveness();
  }

  void deliver(std::span<const std::uint8_t> bytes, std::optional<std::uint8_t> ttl) {
    auto decoded = decode(bytes);
    if (!decoded) return;  // the adapter counts and drops it
    const std::size_t length = decoded->length();
    deliver_packet(*decoded, RxMeta{bytes.first(length), ttl});
  }

  void deliver_packet(const ControlPacket& p, const RxMeta& meta) {
    const auto in = session.counters().packets_in;
    const auto drops = total_drops();
    const State before = session.variables().SessionState;
    Actions out = session.on_packet(now, p, meta);
    run(out, EventKind::packet);
    std::size_t finals = 0, transmits = 0, changes = 0;
    for (const auto& a : out) {
      if (const auto* tx = std::get_if<Transmit>(&a)) {
        ++transmits;
        finals += tx->packet.final;
      }
      changes += std::holds_alternative<StateChanged>(a);
    }
    if (session.counters().packets_in != in) {
      FUZZ_CHECK(finals == (p.poll ? 1u : 0u));  // §6.8.6: a Poll is answered with F at once
      FUZZ_CHECK(session.variables().RemoteDiscr == p.my_discriminator);
    } else {
      FUZZ_CHECK(total_drops() == drops + 1);
      FUZZ_CHECK(transmits == 0 && changes == 0);  // a discarded packet has no effect
      FUZZ_CHECK(session.variables().SessionState == before);
    }
  }

  // Op 3: a packet the codec accepts, from the input. Operands: flags
  // (bits 7-6 state, 5 P, 4 F, 3 D, 2 C, 1-0 Your Discriminator choice:
  // ours, 0, peer's, other), diag, detect mult, three u16 intervals (100 us
  // units), auth (bit7 wrong key, bit6 raw sequence, low bits a sequence
  // step from bfd.RcvAuthSeq), ttl.
  void deliver_built(Input& in, std::uint32_t peer_discr) {
    const std::uint8_t flags = in.u8();
    ControlPacket p;
    p.state = static_cast<State>(flags >> 6);
    p.poll = flags & 0x20;
    p.final = flags & 0x10;
    p.demand = flags & 0x08;
    p.control_plane_independent = flags & 0x04;
    p.diag = static_cast<Diag>(in.u8() & 0x1f);
    p.detect_mult = static_cast<std::uint8_t>(std::max(1, int{in.u8()}));
    p.my_discriminator = peer_discr;
    switch (flags & 3) {
      case 0: p.your_discriminator = session.variables().LocalDiscr; break;
      case 1: p.your_discriminator = 0; break;
      case 2: p.your_discriminator = session.variables().RemoteDiscr; break;
      case 3: p.your_discriminator = in.u32(); break;
    }
    p.desired_min_tx_interval = in.u16() * kUnit;
    p.required_min_rx_interval = in.u16() * kUnit;
    p.required_min_echo_rx_interval = in.u16() * kUnit;
    const std::uint8_t auth = in.u8();
    const std::optional<std::uint8_t> ttl = in.u8() == 0 ? std::nullopt : std::optional<std::uint8_t>(255);
    AuthConfig key = session.auth();
    if (key.type == AuthType::None && (auth & 0x80)) {
      static constexpr std::uint8_t kOther[] = {'x'};
      key = *make_auth_config(AuthType::SimplePassword, 1, kOther);  // auth_unexpected
    } else if (auth & 0x80) {
      key.key.secret[0] ^= 1;  // wrong key (or password)
    }
    if (key.type != AuthType::None) {
      const std::uint32_t seq = (auth & 0x40) ? in.u32()
                                              : session.variables().RcvAuthSeq + (auth & 0x3f) - 4;
      p.auth = make_auth_section(key, seq);
    }
    auto wire = encode_signed(p, key);
    if (!wire) return;
    auto decoded = decode(wire->bytes());
    if (!decoded) return;  // e.g. Your Discriminator 0 in Init/Up
    deliver_packet(*decoded, RxMeta{wire->bytes(), ttl});
  }

  // Op 6: an echo coming back. Operands: selector (bits 0-2 which recent
  // echo, bit3 raw 32 bytes instead, bit4 sequence bump, bit5 wrong cookie,
  // bit6 other discriminator).
  void deliver_echo(Input& in) {
    const std::uint8_t sel = in.u8();
    std::optional<EchoPacket> e;
    if ((sel & 0x08) || echoes_sent == 0) {
      auto raw = in.take(kEchoPacketSize);
      auto d = decode_echo(raw);
      if (!d) return;
      e = *d;
    } else {
      const std::size_t n = std::min(echoes_sent, echoes.size());
      e = echoes[(echoes_sent - 1 - (sel & 7) % n) % echoes.size()];
      if (sel & 0x10) e->sequence += in.u8();
      if (sel & 0x20) e->cookie ^= 2;
      if (sel & 0x40) e->my_discriminator += 1;
    }
    const auto in_before = session.counters().echo_in;
    const auto drops = total_drops();
    Actions out = session.on_echo(now, *e);
    run(out, EventKind::other);
    FUZZ_CHECK(out.empty());  // an echo only moves the echo deadline
    FUZZ_CHECK(session.counters().echo_in + total_drops() == in_before + drops + 1);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in({data, size});
  const std::uint8_t flags = in.u8();
  SessionConfig config;
  config.role = (flags & 1) ? Role::Passive : Role::Active;
  const auto auth_type = static_cast<AuthType>(((flags >> 1) & 7) % 6);
  config.control_plane_independent = flags & 0x10;
  config.min_rx_ttl = in.u8();
  config.detect_mult = static_cast<std::uint8_t>(std::max(1, int{in.u8()}));
  config.local_discriminator = std::max<std::uint32_t>(in.u32(), 1);
  config.desired_min_tx_interval = std::max<std::uint32_t>(in.u16(), 1) * kUnit;
  config.required_min_rx_interval = in.u16() * kUnit;
  config.required_min_echo_rx_interval = in.u16() * kUnit;
  config.desired_min_echo_tx_interval = in.u16() * kUnit;
  const std::uint8_t key_id = in.u8();
  const std::uint8_t key_length = in.u8();
  auto key = in.take(key_length);
  if (auth_type != AuthType::None) {
    auto auth = make_auth_config(auth_type, key_id, key);
    if (!auth) return 0;  // the config layer refuses it
    config.auth = *auth;
  }
  // The peer's discriminator for built packets: fixed, as the engine
  // demultiplexes by ours.
  constexpr std::uint32_t kPeerDiscr = 0x0b0b0b0b;

  fbf::fuzz::XorShift<Random> random;
  Session session(config, random);
  Driver d{session, session.config(), TimePoint{} + std::chrono::hours(1000)};
  d.run(session.start(d.now), EventKind::other);

  for (int steps = 0; steps < 256 && !in.done() && !d.budget_exhausted; ++steps) {
    const std::uint8_t op = in.u8();
    switch (op & 7) {
      case 0:
        d.advance(std::uint64_t{in.u16()} * kAdvanceScale[(op >> 3) & 3]);
        break;
      case 1:
        d.fire(static_cast<TimerKind>((op >> 3) & 3));
        break;
      case 2: {
        const std::uint8_t length = in.u8();
        auto bytes = in.take(length);
        const std::uint8_t ttl = in.u8();
        d.deliver(bytes, ttl == 0 ? std::nullopt : std::optional<std::uint8_t>(ttl));
        break;
      }
      case 3:
        d.deliver_built(in, kPeerDiscr);
        break;
      case 4:
        if (op & 8) {
          d.run(session.admin_up(d.now), EventKind::admin);
        } else {
          d.run(session.admin_down(d.now, (op & 16) ? Diag::PathDown : Diag::AdministrativelyDown),
                EventKind::admin);
        }
        break;
      case 5: {
        TimerSettings t;
        t.desired_min_tx_interval = std::max<std::uint32_t>(in.u16(), 1) * kUnit;
        t.required_min_rx_interval = in.u16() * kUnit;
        t.required_min_echo_rx_interval = in.u16() * kUnit;
        t.desired_min_echo_tx_interval = in.u16() * kUnit;
        t.detect_mult = in.u8();
        d.run(session.set_timers(d.now, t), EventKind::other);
        break;
      }
      case 6:
        d.deliver_echo(in);
        break;
      case 7:
        d.fire_next(TimePoint::max());
        break;
    }
    d.advance(0);  // what is due now fires before the next event
  }
  return 0;
}
