#pragma once
// Prebuilt IP packets (IPv4 or IPv6 header included), sent through one raw
// socket per family, many per system call (sendmmsg on Linux).
//
// Why: RFC 5881 §4 wants a source port per BFD session, so the ordinary path
// is one connected UDP socket per session and one send(2) per packet — at
// 200 sessions × 50 ms that is ~4 600 system calls a second, and on a
// virtualised host the system call itself costs more than the packet. Here a
// wake-up's transmissions leave in one call, each packet still carrying its
// session's own source port (the caller builds the headers,
// bfd/echo_frame.h). The raw sockets are opened while fbfd is still root
// (CAP_NET_RAW) and keep working after privileges are dropped; where they
// cannot be opened (no CAP_NET_RAW, another OS) the caller keeps its
// per-session sockets.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>

#include "platform/ip.h"
#include "platform/udp.h"

namespace fbf::platform {

class RawIpSender {
 public:
  // Largest packet queue() takes: IPv6 (40) + UDP (8) headers + a BFD
  // Control packet with the longest authentication section (24 + 28, Keyed
  // SHA1, RFC 5880 §4.4) = 100, with room to spare. Every queue slot holds
  // this much, preallocated per family.
  static constexpr std::size_t kMaxPacket = 128;

  // Opens an IPPROTO_RAW socket for each family; fails when neither opens
  // (the error of the IPv4 one: EPERM without CAP_NET_RAW). `capacity`
  // packets per family are queued before queue() sends them itself.
  static std::expected<std::unique_ptr<RawIpSender>, UdpError> open(std::size_t capacity);
  ~RawIpSender();
  RawIpSender(const RawIpSender&) = delete;
  RawIpSender& operator=(const RawIpSender&) = delete;

  bool can_send(Family family) const;
  // Copies `packet` (its IP header's family selects the socket) for the next
  // flush(). `to` routes it (its port is ignored; an IPv6 link-local
  // destination needs its scope_id); `ifindex` != 0 forces the outgoing
  // interface (IP_PKTINFO / IPV6_PKTINFO). False, nothing queued, when the
  // packet is larger than kMaxPacket or its family cannot be sent.
  bool queue(std::span<const std::uint8_t> packet, const Endpoint& to, std::uint32_t ifindex);

  struct FlushResult {
    std::size_t sent = 0;
    std::size_t failed = 0;  // refused by the kernel (no route, buffer full...)
    int last_errno = 0;
  };
  // Sends everything queued, skipping (and counting) a packet the kernel
  // refuses so the rest still leave.
  FlushResult flush();
  std::size_t queued() const;
  std::uint64_t system_calls() const;  // sendmmsg calls so far

 private:
  struct State;  // per OS
  explicit RawIpSender(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace fbf::platform
