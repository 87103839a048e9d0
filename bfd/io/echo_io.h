#pragma once
// The Echo function's I/O (RFC 5880 §6.4, RFC 5881 §4), beside the Control
// packet adapter in service.h.
//
// Sending our echoes: an Echo packet is UDP to port 3785 from and to our own
// address (the local address the session's Control packets arrive at), TTL
// 255, handed to the peer's link-layer address on the interface the
// session's Control packets arrive on. The peer's forwarding plane routes it
// straight back. It leaves through a link-layer socket because the IP stack
// would deliver a packet to our own address locally (RFC 5881 §4 "bypassing
// the normal forwarding lookup"), and returns through the same socket because
// the IPv4 stack drops a packet from one of our own addresses as a martian.
//
// Looping the peer's echoes back, for sessions that advertise a nonzero
// Required Min Echo RX Interval (the kernel does part of it):
// - RFC-style echoes (FRR's IPv4 ones) are addressed to the peer itself and
//   reach us only at the link layer. A host that forwards
//   (net.ipv4.conf.<if>.forwarding = 1) routes them back in the kernel; fbfd
//   leaves those alone. On a host that does not forward (the default), the
//   kernel would drop them, so fbfd loops them back itself: TTL minus one,
//   out of the interface they came in on, to the link-layer address they came
//   from — what a router's forwarding plane would do.
// - Echoes addressed to us (FRR's IPv6 ones) arrive on a UDP socket bound to
//   port 3785 and go back to their source with TTL 254 — FRR's "loop back in
//   userspace" convention.
// Only echoes from the peer of such a session, arriving with TTL 255 (RFC
// 5881 §5's GTSM rule, so nothing off-link can use us as a reflector), are
// looped back.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "bfd/actions.h"
#include "bfd/echo.h"
#include "bfd/engine.h"
#include "platform/event.h"
#include "platform/link_socket.h"
#include "platform/udp.h"

namespace fbf::bfd::io {

// Whether a session may send or loop Echo packets (RFC 5880 §6.4; single hop
// only, RFC 5883 §3), i.e. needs EchoIo to learn the path its Control packets
// arrive on.
bool uses_echo(const SessionSpec& spec);

struct EchoCounters {
  std::uint64_t reflected = 0;          // peer echoes fbfd looped back itself
  std::uint64_t left_to_kernel = 0;     // peer echoes the kernel forwards back
  std::uint64_t send_errors = 0;        // ours: socket errors
  std::uint64_t unresolved = 0;         // ours: no interface, local address or peer link address yet
  std::uint64_t unknown_session = 0;    // an echo of ours for no session (old fbfd, or forged)
  std::uint64_t receive_errors = 0;
  std::uint64_t no_socket = 0;          // sessions whose echo tx was turned off: no link-layer socket
};

enum class EchoSendResult : std::uint8_t {
  sent,
  lost,       // this one echo (not resolved yet, a send error): the echo Detection Time covers it
  no_socket,  // no link-layer socket can be had here (no CAP_NET_RAW, not Linux): never will
};

class EchoIo {
 public:
  // A returned echo for a session: the adapter executes on_echo()'s actions.
  using Deliver = std::function<void(SessionId, const Actions&, TimePoint)>;

  EchoIo(event_base* base, Engine& engine, Deliver deliver);
  ~EchoIo();
  EchoIo(const EchoIo&) = delete;
  EchoIo& operator=(const EchoIo&) = delete;

  // The session's echo settings (add, reload, remove): which peers we loop
  // echoes back for, and which sessions need a link-layer socket.
  void configure(SessionId id, const SessionSpec& spec);
  void forget(SessionId id);
  // A Control packet of session `id` arrived by `path`: our echoes for it go
  // out of that interface, from and to that destination address.
  void learn(SessionId id, const RxPath& path, TimePoint now);
  // Sends one of our echoes for session `id` (a TransmitEcho action).
  EchoSendResult send(SessionId id, const EchoPacket& packet, TimePoint now);
  // Counts a session whose echoes had to be turned off (no_socket).
  void count_no_socket() { ++counters_.no_socket; }

  const EchoCounters& counters() const { return counters_; }

 private:
  struct Path {  // of a session that uses Echo (uses_echo)
    IpAddress peer;
    std::uint32_t ifindex = 0;
    std::optional<IpAddress> local;
    std::optional<platform::LinkAddress> peer_link;
    std::optional<TimePoint> resolved_at;
  };
  struct Port {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdWatch> watch;
    platform::Family family = platform::Family::v4;
    std::uint32_t ifindex = 0;
    std::optional<bool> forwards;  // cached interface_forwards()
    std::optional<TimePoint> forwards_read_at;
  };
  struct Reflector {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdWatch> watch;
  };
  using PortKey = std::pair<std::uint32_t, platform::Family>;

  void stop_reflecting(SessionId id);
  Port* ensure_port(std::uint32_t ifindex, platform::Family family);
  void ensure_reflector(platform::Family family);
  void on_port(Port& port);
  void on_reflector(Reflector& reflector);
  bool reflects_for(const IpAddress& peer) const { return reflect_peers_.contains(peer); }
  bool kernel_forwards(Port& port, TimePoint now);

  event_base* base_;
  Engine& engine_;
  Deliver deliver_;
  std::unordered_map<SessionId, Path> paths_;  // looked up per received packet
  std::map<IpAddress, std::uint32_t> reflect_peers_;  // peer -> sessions with echo rx > 0
  std::map<SessionId, IpAddress> reflect_by_session_;
  std::map<PortKey, Port> ports_;
  std::map<platform::Family, Reflector> reflectors_;
  EchoCounters counters_;
};

}  // namespace fbf::bfd::io
