#include "bfd/io/echo_io.h"

#include <array>

#include "bfd/echo_frame.h"

namespace fbf::bfd::io {

namespace {

using platform::Family;

constexpr int kReadBurst = 64;
// The peer's link-layer address is re-read from the neighbor table this often
// (a replaced router keeps its IP address); between reads it is cached.
constexpr auto kResolveEvery = std::chrono::seconds(10);
// How long a read of the interface's forwarding sysctl is trusted.
constexpr auto kForwardingEvery = std::chrono::seconds(1);

}  // namespace

bool uses_echo(const SessionSpec& spec) {
  return !spec.key.multihop && (spec.timers.required_min_echo_rx_interval != 0 ||
                                spec.timers.desired_min_echo_tx_interval != 0);
}

EchoIo::EchoIo(event_base* base, Engine& engine, Deliver deliver)
    : base_(base), engine_(engine), deliver_(std::move(deliver)) {}

EchoIo::~EchoIo() = default;

void EchoIo::configure(SessionId id, const SessionSpec& spec) {
  // Only a session that uses Echo has a path: the others never need one,
  // and 1000 of them would hold 88 KB of paths for nothing.
  if (uses_echo(spec)) {
    Path& path = paths_[id];
    path.peer = spec.key.peer;
    if (path.ifindex != 0) ensure_port(path.ifindex, spec.key.peer.family());
  } else {
    paths_.erase(id);
  }
  const bool reflect = !spec.key.multihop && spec.timers.required_min_echo_rx_interval != 0;
  if (reflect && !reflect_by_session_.contains(id)) {
    reflect_by_session_[id] = spec.key.peer;
    ++reflect_peers_[spec.key.peer];
    ensure_reflector(spec.key.peer.family());
  } else if (!reflect) {
    stop_reflecting(id);
  }
}

void EchoIo::forget(SessionId id) {
  paths_.erase(id);
  stop_reflecting(id);
}

void EchoIo::stop_reflecting(SessionId id) {
  auto it = reflect_by_session_.find(id);
  if (it == reflect_by_session_.end()) return;
  auto peer = reflect_peers_.find(it->second);
  if (peer != reflect_peers_.end() && --peer->second == 0) reflect_peers_.erase(peer);
  reflect_by_session_.erase(it);
}

void EchoIo::learn(SessionId id, const RxPath& rx, TimePoint) {
  auto it = paths_.find(id);
  if (it == paths_.end() || rx.multihop) return;
  Path& path = it->second;
  if (rx.ifindex == path.ifindex && rx.destination == path.local) return;  // the usual case
  if (rx.ifindex != path.ifindex) {
    path.peer_link.reset();  // moved interfaces: resolve again
    path.resolved_at.reset();
  }
  path.ifindex = rx.ifindex;
  path.local = rx.destination;
  if (path.ifindex != 0) ensure_port(path.ifindex, path.peer.family());
}

EchoSendResult EchoIo::send(SessionId id, const EchoPacket& packet, TimePoint now) {
  auto it = paths_.find(id);
  if (it == paths_.end() || it->second.ifindex == 0 || !it->second.local) {
    ++counters_.unresolved;  // no Control packet seen yet: cannot be Up, but be safe
    return EchoSendResult::lost;
  }
  Path& path = it->second;
  if (!path.peer_link || !path.resolved_at || now - *path.resolved_at >= kResolveEvery) {
    if (auto ll = platform::neighbor_link_address(path.ifindex, path.peer)) path.peer_link = ll;
    path.resolved_at = now;
  }
  Port* port = ensure_port(path.ifindex, path.peer.family());
  if (port == nullptr) return EchoSendResult::no_socket;
  if (!path.peer_link) {
    ++counters_.unresolved;  // the echo is lost; the echo Detection Time covers it
    return EchoSendResult::lost;
  }
  const auto payload = encode_echo(packet);
  std::array<std::uint8_t, kMaxEchoFrameSize> frame;
  // RFC 5881 §4: to and from our own address, so the peer forwards it back.
  const std::size_t n =
      build_udp_frame(*path.local, *path.local, 255, kEchoPort, kEchoPort, payload, frame);
  if (n == 0 || !platform::send_link(port->fd.get(), path.peer.family(), path.ifindex,
                                     std::span(frame).first(n), *path.peer_link)) {
    ++counters_.send_errors;
    return EchoSendResult::lost;
  }
  return EchoSendResult::sent;
}

EchoIo::Port* EchoIo::ensure_port(std::uint32_t ifindex, Family family) {
  const PortKey key{ifindex, family};
  if (auto it = ports_.find(key); it != ports_.end()) return &it->second;
  auto fd = platform::open_link_udp(family, ifindex, kEchoPort);
  if (!fd) {
    ++counters_.receive_errors;
    return nullptr;
  }
  Port& port = ports_[key];
  port.fd = std::move(*fd);
  port.family = family;
  port.ifindex = ifindex;
  port.watch = std::make_unique<platform::FdWatch>(base_, port.fd.get(), EV_READ,
                                                   [this, &port](short) { on_port(port); });
  return &port;
}

void EchoIo::ensure_reflector(Family family) {
  if (reflectors_.contains(family)) return;
  auto fd = platform::open_udp({.family = family,
                                .port = kEchoPort,
                                .send_ttl = 254,  // one hop consumed, as a router would
                                .receive_metadata = true,
                                .reuse_address = true});
  if (!fd) {
    ++counters_.receive_errors;
    return;
  }
  Reflector& r = reflectors_[family];
  r.fd = std::move(*fd);
  r.watch = std::make_unique<platform::FdWatch>(base_, r.fd.get(), EV_READ,
                                                [this, &r](short) { on_reflector(r); });
}

bool EchoIo::kernel_forwards(Port& port, TimePoint now) {
  if (!port.forwards_read_at || now - *port.forwards_read_at >= kForwardingEvery) {
    port.forwards = platform::interface_forwards(port.ifindex, port.family);
    port.forwards_read_at = now;
  }
  return port.forwards.value_or(false);
}

void EchoIo::on_port(Port& port) {
  std::array<std::uint8_t, 2048> buffer;
  for (int i = 0; i < kReadBurst; ++i) {
    auto got = platform::receive_link(port.fd.get(), buffer);
    if (!got) {
      ++counters_.receive_errors;
      return;
    }
    if (!*got) return;
    const platform::LinkFrame& lf = **got;
    auto frame = parse_udp_frame(lf.packet);
    if (!frame || frame->destination_port != kEchoPort) continue;
    const TimePoint now = Clock::now();
    if (auto echo = decode_echo(frame->payload)) {
      // One of ours, back from the peer's forwarding plane.
      if (frame->source != frame->destination) continue;
      Session* s = engine_.find(echo->my_discriminator);
      auto path = paths_.find(echo->my_discriminator);
      if (s == nullptr || path == paths_.end() || path->second.local != frame->destination) {
        ++counters_.unknown_session;
        continue;
      }
      deliver_(echo->my_discriminator, s->on_echo(now, *echo), now);
      continue;
    }
    // The peer's RFC-style echo, addressed to itself: loop it back unless the
    // kernel does (it forwards on this interface).
    if (frame->source != frame->destination || frame->ttl != 255 ||
        !reflects_for(frame->source))
      continue;
    if (kernel_forwards(port, now)) {
      ++counters_.left_to_kernel;
      continue;
    }
    std::span<std::uint8_t> packet(buffer.data(), lf.packet.size());
    if (!forward_hop(packet)) continue;
    if (platform::send_link(port.fd.get(), port.family, lf.interface_index, packet, lf.source))
      ++counters_.reflected;
    else
      ++counters_.send_errors;
  }
}

void EchoIo::on_reflector(Reflector& r) {
  std::array<std::uint8_t, 2048> buffer;
  for (int i = 0; i < kReadBurst; ++i) {
    auto got = platform::receive_datagram(r.fd.get(), buffer);
    if (!got) {
      ++counters_.receive_errors;
      return;
    }
    if (!*got) return;
    const platform::Datagram& d = **got;
    // An echo addressed to us by the peer (FRR's IPv6 echo): back to its
    // source. Ours never come here with TTL 255, nor are they looped.
    if (d.ttl != 255 || !reflects_for(d.source.address) || is_fbf_echo(d.payload)) continue;
    if (platform::send_datagram(r.fd.get(), d.payload, d.source))
      ++counters_.reflected;
    else
      ++counters_.send_errors;
  }
}

}  // namespace fbf::bfd::io
