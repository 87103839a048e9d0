// Fuzzes one bgp::Session (RFC 4271 §8, the per-neighbor FSM and its one or
// two connections) through a script of events with a fake clock, as the
// adapter (bgp/io) drives it: administrative start/stop/reset, TCP connects,
// failures and closes, bytes from the peer (raw, or whole messages built from
// the input: an OPEN with fuzzed capabilities, KEEPALIVE, NOTIFICATION,
// ROUTE-REFRESH, UPDATE), our own UPDATEs, and timer expiries.
//
// The fake adapter honours every action and fires each timer at its armed
// time while the clock advances. Checks, each an RFC rule or the adapter
// contract of bgp/session.h:
//  - every Send is whole messages on an open connection; each decodes; the
//    first message on a connection is our OPEN (hold time 0 or >= 3, RFC
//    4271 §4.2; 4-octet AS capability carrying our AS, RFC 6793), never a
//    second one; every NOTIFICATION we send decodes and encodes back to the
//    same bytes, has a known code, carries a valid RFC 9003 Shutdown
//    Communication when it has one, is the last message on its connection
//    and is followed by its Disconnect (RFC 4271 §4.5, §6);
//  - a NOTIFICATION from the peer is never answered with one (§6.4) and
//    closes its connection (§8.2.2 NotifMsg);
//  - UPDATEs go out only on an Established connection (§9);
//  - Connect/Disconnect/Refuse/timer actions match the adapter's sockets, and
//    a connection the session holds is one the adapter holds;
//  - state changes are reported as they happen (from = the last reported
//    state, valid values); SessionEstablished/SessionDown pair up; the
//    negotiated hold time is min(ours, theirs), 0 or >= 3 (§4.2), and the
//    keepalive time a third of it (§10);
//  - liveness: once the timers due by now have fired, no open connection has
//    gone longer than its Hold Time without a message from the peer (§6.5),
//    and none in OpenConfirm/Established longer than the KeepaliveTimer
//    without a KEEPALIVE or UPDATE from us (§4.4).
//
// Input (big endian):
//   0      flags: bit0 passive, bit1 iBGP, bit2 Extended Message, bit3 no
//          IPv4 unicast, bit4 IPv6 unicast
//   1-4    local AS (0 -> 65001), 5-8 remote AS (iBGP: the local AS)
//   9-10   hold time, 11-14 BGP Identifier (0 -> 1)
//   then steps: an op byte (low nibble the event, high nibble its argument)
//   and operands, see the switch at the end.
// tests/fuzz/capture_seeds.py writes real peers' sessions in this form.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bgp/message.h"
#include "bgp/session.h"
#include "bgp/update.h"
#include "fuzz_support.h"

namespace {

using namespace fbf::bgp;
using fbf::fuzz::Input;
using fbf::platform::IpAddress;

// Timer expiries per input: beyond it the input ends (small intervals and
// long advances would otherwise spend the run firing timers).
constexpr int kFireBudget = 1024;
constexpr Duration kAdvanceScale[4] = {Duration{1}, Duration{100}, Duration{1000}, Duration{60'000}};

// FBF_FUZZ_TRACE=1: print the state changes (to see what a seed reaches).
bool tracing() {
  static const bool on = std::getenv("FBF_FUZZ_TRACE") != nullptr;
  return on;
}

bool valid_state(State s) { return static_cast<std::uint8_t>(s) <= 5; }

// The messages in one Send, split at their headers.
std::vector<Bytes> split(const std::vector<std::uint8_t>& bytes) {
  std::vector<Bytes> out;
  Bytes rest(bytes);
  while (!rest.empty()) {
    auto h = peek_header(rest, kMaxExtendedMessageLength);
    FUZZ_CHECK(h.has_value() && h->has_value() && (*h)->length <= rest.size());
    out.push_back(rest.first((*h)->length));
    rest = rest.subspan((*h)->length);
  }
  return out;
}

// Whether `bytes` is whole messages (framing stays in step with the FSM).
bool whole_messages(Bytes bytes) {
  while (!bytes.empty()) {
    auto h = peek_header(bytes, kMaxExtendedMessageLength);
    if (!h || !*h || (*h)->length > bytes.size()) return false;
    bytes = bytes.subspan((*h)->length);
  }
  return true;
}

enum class Op { other, notification_in, send_updates };

struct Adapter {
  Session& session;
  const SessionConfig& config;
  TimePoint now;
  std::array<std::optional<TimePoint>, kTimerKinds> timers{};
  bool connecting = false;
  struct Conn {
    bool open = false;
    bool aligned = true;    // our framing of its bytes matches the FSM's
    bool sent_open = false;
    bool sent_notification = false;
    TimePoint last_heard{};  // connected, or the last bytes from the peer
    TimePoint last_said{};   // our last KEEPALIVE or UPDATE
  };
  std::array<Conn, 2> conns{};
  State reported = State::Idle;
  bool established = false;
  bool budget_exhausted = false;
  int fired = 0;  // timer expiries so far

  Conn& conn(Direction d) { return conns[static_cast<std::size_t>(d)]; }

  void check_sent(Direction d, const std::vector<std::uint8_t>& bytes, Op op) {
    Conn& c = conn(d);
    FUZZ_CHECK(c.open);
    for (Bytes m : split(bytes)) {
      FUZZ_CHECK(!c.sent_notification);  // nothing after a NOTIFICATION
      auto type = static_cast<MessageType>(m[kHeaderLength - 1]);
      FUZZ_CHECK(c.sent_open || type == MessageType::open);
      switch (type) {
        case MessageType::open: {
          FUZZ_CHECK(!c.sent_open);
          c.sent_open = true;
          auto open = decode_open(m);
          FUZZ_CHECK(open.has_value());
          FUZZ_CHECK(open->hold_time == 0 || open->hold_time >= 3);
          FUZZ_CHECK(open->bgp_identifier == config.bgp_identifier);
          FUZZ_CHECK(open->capabilities.four_octet_as == config.local_as);
          FUZZ_CHECK(peer_as(*open) == config.local_as);
          break;
        }
        case MessageType::notification: {
          FUZZ_CHECK(op != Op::notification_in);  // §6.4: never answer one
          auto n = decode_notification(m);
          FUZZ_CHECK(n.has_value());
          FUZZ_CHECK(n->code >= 1 && n->code <= 7);
          FUZZ_CHECK(encode_notification(*n, kMaxExtendedMessageLength) ==
                std::vector<std::uint8_t>(m.begin(), m.end()));
          if (auto comm = shutdown_communication(*n)) {  // RFC 9003 §2
            FUZZ_CHECK(comm->valid_utf8 && !comm->truncated && !comm->trailing);
            FUZZ_CHECK(comm->text.size() <= kMaxShutdownCommunication);
          }
          c.sent_notification = true;
          break;
        }
        case MessageType::keepalive:
          FUZZ_CHECK(decode_keepalive(m).has_value());
          c.last_said = now;
          break;
        case MessageType::update: {
          FUZZ_CHECK(op == Op::send_updates);
          const Fsm* f = session.connection(d);
          FUZZ_CHECK(f && f->state() == State::Established);
          c.last_said = now;
          break;
        }
        case MessageType::route_refresh:
          FUZZ_CHECK(false);  // we never ask
      }
    }
  }

  void run(const Actions& actions, Op op = Op::other) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const Action& action = actions[i];
      if (std::holds_alternative<Connect>(action)) {
        FUZZ_CHECK(!connecting && !conn(Direction::outbound).open);
        connecting = true;
      } else if (const auto* x = std::get_if<Disconnect>(&action)) {
        Conn& c = conn(x->connection);
        if (c.open) {
          c = Conn{};
        } else {
          FUZZ_CHECK(x->connection == Direction::outbound && connecting);
          connecting = false;
        }
      } else if (const auto* s = std::get_if<Send>(&action)) {
        check_sent(s->connection, s->bytes, op);
        if (conn(s->connection).sent_notification) {
          // §4.5: the connection is closed right after the NOTIFICATION.
          bool closes = false;
          for (std::size_t j = i + 1; j < actions.size(); ++j) {
            if (const auto* y = std::get_if<Disconnect>(&actions[j])) {
              closes = closes || y->connection == s->connection;
            }
          }
          FUZZ_CHECK(closes);
        }
      } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
        const auto k = static_cast<std::size_t>(a->kind);
        FUZZ_CHECK(k < kTimerKinds);
        if (a->kind != TimerKind::ConnectRetry && a->kind != TimerKind::IdleHold) {
          const bool outbound =
              a->kind == TimerKind::HoldOutbound || a->kind == TimerKind::KeepaliveOutbound;
          FUZZ_CHECK(conn(outbound ? Direction::outbound : Direction::inbound).open);
        }
        timers[k] = a->at;
      } else if (const auto* c = std::get_if<CancelTimer>(&action)) {
        FUZZ_CHECK(static_cast<std::size_t>(c->kind) < kTimerKinds);
        timers[static_cast<std::size_t>(c->kind)].reset();
      } else if (const auto* sc = std::get_if<StateChanged>(&action)) {
        FUZZ_CHECK(valid_state(sc->from) && valid_state(sc->to));
        FUZZ_CHECK(sc->from == reported && sc->from != sc->to);
        reported = sc->to;
        if (tracing()) {
          std::fprintf(stderr, "%s -> %s: %s\n", to_string(sc->from).data(),
                       to_string(sc->to).data(), sc->reason.text.c_str());
        }
      } else if (const auto* up = std::get_if<SessionEstablished>(&action)) {
        FUZZ_CHECK(!established);
        established = true;
        const SessionInfo& info = up->info;
        FUZZ_CHECK(info.hold_time == 0 || info.hold_time >= 3);  // §4.2
        FUZZ_CHECK(info.hold_time <= config.proposed_hold_time());
        FUZZ_CHECK(info.keepalive_time == Duration{std::int64_t{info.hold_time} * 1000 / 3});  // §10
        FUZZ_CHECK(info.peer_as == config.remote_as);
        FUZZ_CHECK(info.ibgp == config.ibgp());
      } else if (std::holds_alternative<SessionDown>(action)) {
        FUZZ_CHECK(established);
        established = false;
      }
    }
    check_steady();
  }

  void check_steady() {
    FUZZ_CHECK(valid_state(session.state()));
    FUZZ_CHECK(session.state() == reported);
    FUZZ_CHECK(session.established().has_value() == established);
    bool any_established = false;
    for (Direction d : {Direction::outbound, Direction::inbound}) {
      const Fsm* f = session.connection(d);
      FUZZ_CHECK((f != nullptr) == conn(d).open);
      if (f) {
        FUZZ_CHECK(valid_state(f->state()) && f->state() >= State::OpenSent);
        any_established = any_established || f->state() == State::Established;
      }
    }
    FUZZ_CHECK(any_established == established);
  }

  // Liveness, once every timer due by now has fired.
  void check_liveness() {
    if (budget_exhausted) return;
    for (Direction d : {Direction::outbound, Direction::inbound}) {
      const Fsm* f = session.connection(d);
      if (!f) continue;
      const Conn& c = conn(d);
      if (f->state() == State::OpenSent) {
        FUZZ_CHECK(now - c.last_heard <= config.open_hold_time);
      } else if (f->hold_time() != 0) {
        FUZZ_CHECK(now - c.last_heard <= std::chrono::seconds{f->hold_time()});  // §6.5
        FUZZ_CHECK(now - c.last_said <= f->keepalive_time());                     // §4.4
      }
    }
  }

  void fire(TimerKind kind) {
    auto& armed = timers[static_cast<std::size_t>(kind)];
    if (armed && *armed <= now) armed.reset();
    run(session.on_timer(now, kind));
  }

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

  void advance(Duration by) {
    const TimePoint target = now + by;
    for (;;) {
      auto k = earliest();
      if (!k || *timers[*k] > target) break;
      if (++fired >= kFireBudget) {
        budget_exhausted = true;
        return;
      }
      fire_next(target);
    }
    now = target;
    check_liveness();
  }

  void connected(Direction d, const ConnectionInfo& info) {
    const bool accepted = session.accepts(d);
    Actions out = session.on_connected(now, d, info);
    if (accepted) {
      FUZZ_CHECK(!conn(d).open);
      if (d == Direction::outbound) {
        FUZZ_CHECK(connecting);
        connecting = false;
      }
      conn(d) = Conn{.open = true, .last_heard = now, .last_said = now};
    }
    run(out);
    bool refused = false;
    for (const Action& a : out) refused = refused || std::holds_alternative<Refuse>(a);
    FUZZ_CHECK(refused != accepted);
  }

  void closed(Direction d) {
    const bool was_open = conn(d).open;
    const bool was_connecting = connecting;
    Actions out = session.on_closed(now, d);
    if (!was_open && d == Direction::outbound && was_connecting) connecting = false;
    // The session forgets the connection with a Disconnect (the adapter
    // closes a socket that is already dead).
    run(out);
    if (was_open) FUZZ_CHECK(!conn(d).open);
  }

  void connect_failed() {
    if (!connecting) return;  // the adapter reports only a real attempt
    connecting = false;
    run(session.on_connect_failed(now));
  }

  void bytes(Direction d, Bytes bytes, Op op = Op::other) {
    Conn& c = conn(d);
    if (!c.open) return;  // no socket, no bytes
    c.aligned = c.aligned && whole_messages(bytes);
    if (op == Op::notification_in && !c.aligned) op = Op::other;
    c.last_heard = now;
    run(session.on_bytes(now, d, bytes), op);
    if (op == Op::notification_in) FUZZ_CHECK(!conn(d).open);  // §8.2.2 NotifMsg: closed
  }
};

// Capabilities from two flag bytes and a few operands.
Capabilities fuzz_capabilities(Input& in) {
  const std::uint8_t a = in.u8(), b = in.u8();
  Capabilities c;
  if (a & 0x01) c.multiprotocol.push_back(kIpv4Unicast);
  if (a & 0x02) c.multiprotocol.push_back(kIpv6Unicast);
  if (a & 0x04) c.multiprotocol.push_back(AfiSafi{in.u16(), in.u8()});
  c.route_refresh = a & 0x08;
  c.enhanced_route_refresh = a & 0x10;
  c.extended_message = a & 0x20;
  if (a & 0x40) {
    GracefulRestart gr;
    gr.flags = in.u8() & 0x0f;
    gr.restart_time = in.u16() & 0x0fff;
    if (b & 0x01) gr.families.push_back({kIpv4Unicast, in.u8()});
    c.graceful_restart = gr;
  }
  if (b & 0x02) c.add_path.push_back({(b & 0x04) ? kIpv6Unicast : kIpv4Unicast, in.u8()});
  if (b & 0x08) {
    UnknownCapability u;
    u.code = in.u8();
    auto v = in.take(in.u8() % 16);
    u.value.assign(v.begin(), v.end());
    // A known code with a made-up value is a malformed capability: fine too.
    c.unknown.push_back(std::move(u));
  }
  (void)(a & 0x80);  // four-octet AS: decided by the caller
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in({data, size});
  const std::uint8_t flags = in.u8();
  SessionConfig config;
  config.passive = flags & 0x01;
  config.extended_message = flags & 0x04;
  config.families.clear();
  if (!(flags & 0x08)) config.families.push_back(kIpv4Unicast);
  if (flags & 0x10) config.families.push_back(kIpv6Unicast);
  config.local_as = in.u32();
  if (config.local_as == 0) config.local_as = 65001;
  config.remote_as = in.u32();
  if ((flags & 0x02) || config.remote_as == 0) config.remote_as = config.local_as;
  config.hold_time = in.u16();
  config.bgp_identifier = in.u32();
  if (config.bgp_identifier == 0) config.bgp_identifier = 1;
  config.connect_retry = BackoffConfig{Duration{1000}, Duration{8000}};
  config.damping = DampingConfig{2, Duration{60'000}, Duration{5000}, Duration{20'000}};

  fbf::fuzz::XorShift<Random> random;
  Session session(config, random);
  Adapter a{session, session.config(), TimePoint{} + std::chrono::hours(1000)};

  for (int steps = 0; steps < 256 && !in.done() && !a.budget_exhausted; ++steps) {
    const std::uint8_t op = in.u8();
    const std::uint8_t arg = op >> 4;
    const Direction d = (arg & 1) ? Direction::inbound : Direction::outbound;
    switch (op & 0x0f) {
      case 0:  // advance the clock by u16 * {1 ms, 100 ms, 1 s, 1 min}
        a.advance(in.u16() * kAdvanceScale[arg & 3]);
        break;
      case 1:  // a timer expiry now (early or stale ones included)
        a.fire(static_cast<TimerKind>(arg % kTimerKinds));
        break;
      case 2:
        a.run(session.start(a.now));
        break;
      case 3: {  // stop: Cease subcode, Shutdown Communication
        auto text = in.take(in.u8());
        a.run(session.stop(a.now, static_cast<CeaseSubcode>(1 + arg % 10),
                           std::string_view(reinterpret_cast<const char*>(text.data()), text.size())));
        break;
      }
      case 4:
        a.run(session.reset(a.now, static_cast<CeaseSubcode>(1 + arg % 10)));
        break;
      case 5: {  // TCP up: arg bit0 direction, bits 1-2 local address none/v4/v6
        ConnectionInfo info;
        if ((arg & 6) == 2) info.local = IpAddress::v4({192, 0, 2, 1});
        if ((arg & 6) == 4) info.local = IpAddress::parse("2001:db8::1");
        a.connected(d, info);
        break;
      }
      case 6:
        a.connect_failed();
        break;
      case 7:
        a.closed(d);
        break;
      case 8:  // raw bytes: u16 length
        a.bytes(d, in.take(in.u16()));
        break;
      case 9: {  // OPEN: bit1 AS (ours to expect, or u32), hold, identifier, capabilities
        const std::uint32_t as = (arg & 2) ? in.u32() : config.remote_as;
        const std::uint16_t hold = in.u16();
        const std::uint32_t id = in.u32();
        OpenMessage open = make_open(as, hold, id == 0 ? 0x0a000001 : id, fuzz_capabilities(in));
        if (arg & 4) open.capabilities.four_octet_as.reset();
        if (arg & 8) open.version = 3;
        a.bytes(d, encode_open(open));
        break;
      }
      case 10:
        a.bytes(d, encode_keepalive());
        break;
      case 11: {  // NOTIFICATION: code, subcode, data
        Notification n;
        n.code = in.u8();
        n.subcode = in.u8();
        auto bytes = in.take(in.u8());
        n.data.assign(bytes.begin(), bytes.end());
        a.bytes(d, encode_notification(n), Op::notification_in);
        break;
      }
      case 12: {  // ROUTE-REFRESH: AFI, SAFI, subtype
        RouteRefresh rr;
        rr.family = AfiSafi{in.u16(), in.u8()};
        rr.subtype = in.u8();
        a.bytes(d, encode_route_refresh(rr));
        break;
      }
      case 13: {  // UPDATE: arg bit1 End-of-RIB, else fields of given lengths
        if (arg & 2) {
          a.bytes(d, encode_end_of_rib((arg & 4) ? kIpv6Unicast : kIpv4Unicast));
          break;
        }
        auto withdrawn = in.take(in.u8());
        auto attributes = in.take(in.u16() % 1024);
        auto nlri = in.take(in.u8());
        a.bytes(d, encode_update_frame(withdrawn, attributes, nlri));
        break;
      }
      case 14: {  // our UPDATEs: End-of-RIB markers
        std::vector<std::vector<std::uint8_t>> updates;
        for (int i = 0; i < 1 + (arg & 3); ++i) {
          updates.push_back(encode_end_of_rib((arg & 4) ? kIpv6Unicast : kIpv4Unicast));
        }
        a.run(session.send_updates(a.now, updates), Op::send_updates);
        break;
      }
      case 15:
        a.fire_next(TimePoint::max());
        break;
    }
    a.advance(Duration{0});
  }
  return 0;
}
