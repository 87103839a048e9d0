// Fuzzes the BFD codec and session as the adapter uses them.
//
// 1. Codec: any bytes either fail decode() or decode to a packet that
//    encodes and decodes back to the same value.
// 2. Session: the decoded packet is delivered to a fresh Session (auth type
//    and key chosen to match the seed corpus, so signed seeds verify), then
//    the bytes past the Length field are a script of further events —
//    re-signed variations of the packet, clock advances that fire the armed
//    timers, timer changes, AdminDown — with a fake clock. Every action list
//    must fit, and every packet the session transmits must sign, decode, and
//    never carry both P and F.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <variant>

#include "bfd/auth.h"
#include "bfd/packet.h"
#include "bfd/session.h"
#include "fuzz_support.h"

namespace {

using namespace fbf::bfd;

AuthConfig auth_for(AuthType type) {
  static constexpr std::uint8_t kSecret[] = {'s', 'e', 'c', 'r', 'e', 't'};
  static constexpr std::uint8_t kPassword[] = {'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  if (type == AuthType::None) return {};
  auto config = type == AuthType::SimplePassword ? make_auth_config(type, 5, kPassword)
                                                 : make_auth_config(type, 7, kSecret);
  FUZZ_CHECK(config.has_value());
  return *config;
}

struct Driver {
  Session& session;
  TimePoint now;
  std::optional<TimePoint> timers[2];

  void run(const Actions& actions) {
    FUZZ_CHECK(!actions.overflow());
    for (const auto& action : actions) {
      if (const auto* tx = std::get_if<Transmit>(&action)) {
        FUZZ_CHECK(!(tx->packet.poll && tx->packet.final));
        auto wire = encode_signed(tx->packet, session.auth());
        FUZZ_CHECK(wire.has_value());
        auto back = decode(wire->bytes());
        FUZZ_CHECK(back.has_value());
        FUZZ_CHECK(back->state == tx->packet.state && back->your_discriminator ==
                                                     tx->packet.your_discriminator);
      } else if (const auto* arm = std::get_if<ArmTimer>(&action)) {
        timers[static_cast<int>(arm->kind)] = arm->at;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
        timers[static_cast<int>(cancel->kind)].reset();
      } else if (const auto* change = std::get_if<StateChanged>(&action)) {
        FUZZ_CHECK(change->from != change->to);
      }
    }
  }

  void advance(std::uint32_t micros) {
    now += Microseconds{micros};
    for (int fired = 0; fired < 16; ++fired) {
      int due = -1;
      for (int k = 0; k < 2; ++k) {
        if (timers[k] && *timers[k] <= now && (due < 0 || *timers[k] < *timers[due])) due = k;
      }
      if (due < 0) return;
      timers[due].reset();
      run(session.on_timer(now, static_cast<TimerKind>(due)));
    }
  }

  void deliver(ControlPacket packet, std::optional<std::uint8_t> ttl, std::uint32_t sequence) {
    if (packet.auth) {
      packet.auth = make_auth_section(session.auth(), sequence);
    }
    auto wire = encode_signed(packet, session.auth());
    if (!wire) return;
    auto decoded = decode(wire->bytes());
    if (!decoded) return;  // e.g. a Your Discriminator of 0 in Up
    run(session.on_packet(now, *decoded, RxMeta{wire->bytes(), ttl}));
  }
};

void drive_session(const ControlPacket& packet, std::span<const std::uint8_t> raw,
                   std::span<const std::uint8_t> script_bytes) {
  fbf::fuzz::Input script(script_bytes);
  const std::uint8_t setup = script.u8();
  SessionConfig config;
  config.local_discriminator = packet.your_discriminator != 0 ? packet.your_discriminator : 1;
  config.role = (setup & 1) ? Role::Passive : Role::Active;
  config.detect_mult = static_cast<std::uint8_t>(1 + (setup >> 4));
  config.desired_min_tx_interval = 10'000;
  config.required_min_rx_interval = 10'000;
  config.auth = auth_for(packet.auth ? packet.auth->type : AuthType::None);
  fbf::fuzz::XorShift<Random> random;
  Session session(config, random);
  Driver d{session, TimePoint{} + std::chrono::hours(1), {}};

  d.run(session.start(d.now));
  d.run(session.on_packet(d.now, packet, RxMeta{raw, 255}));

  ControlPacket variant = packet;
  std::uint32_t sequence = packet.auth ? packet.auth->sequence : 0;
  for (int steps = 0; steps < 64 && !script.done(); ++steps) {
    switch (script.u8() % 6) {
      case 0: {  // a variation of the packet, re-signed with a fresh sequence
        const std::uint8_t flags = script.u8();
        variant.state = static_cast<State>(flags >> 6);
        variant.poll = flags & 0x20;
        variant.final = flags & 0x10;
        variant.demand = flags & 0x02;
        variant.your_discriminator = (flags & 0x01) ? 0 : config.local_discriminator;
        variant.desired_min_tx_interval = 1 + script.u8() * 5'000u;
        variant.required_min_rx_interval = script.u8() * 5'000u;
        variant.detect_mult = static_cast<std::uint8_t>(1 + script.u8() % 8);
        sequence += script.u8() % 4;
        d.deliver(variant, 255, sequence);
        break;
      }
      case 1:
        d.advance(script.u16() * 50u);
        break;
      case 2:
        d.run(session.set_timers(
            d.now, {1 + script.u8() * 5'000u, script.u8() * 5'000u, script.u8()}));
        break;
      case 3:
        d.run(script.u8() & 1 ? session.admin_down(d.now) : session.admin_up(d.now));
        break;
      case 4:  // the original bytes again: a replay
        d.run(session.on_packet(d.now, packet, RxMeta{raw, script.u8()}));
        break;
      case 5:
        d.deliver(variant, script.u8(), sequence);
        break;
    }
    // Up (or Init) is only reached from a packet, which set bfd.RemoteDiscr;
    // only leaving them (Detection Time) zeroes it.
    const auto& v = session.variables();
    FUZZ_CHECK((v.SessionState != State::Up && v.SessionState != State::Init) || v.RemoteDiscr != 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  auto decoded = decode(input);
  if (!decoded) {
    return 0;
  }
  auto buffer = encode(*decoded);
  FUZZ_CHECK(buffer.has_value());
  FUZZ_CHECK(buffer->size == decoded->length());
  auto again = decode(buffer->bytes());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *decoded);

  const std::size_t length = input[3];  // decode() checked Length <= size
  drive_session(*decoded, input.first(length), input.subspan(length));
  return 0;
}
