// Linux implementation of platform/raw_ip.h: IPPROTO_RAW sockets (header
// included, raw(7); IPv6 since Linux 4.5) and sendmmsg(2).
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "platform/linux/sockaddr.h"
#include "platform/raw_ip.h"
#include "platform/zeroed_array.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36  // linux/in6.h; glibc's netinet/in.h lacks it
#endif

namespace fbf::platform {

namespace {

UdpError error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

struct alignas(cmsghdr) Control {
  std::array<std::uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> bytes;
};

// One family's socket and the messages queued for it, preallocated: queuing
// and flushing never allocate. Zeroed arrays: the slots a burst never
// reaches (with one session, all but the first) are never made resident.
struct FamilyQueue {
  UniqueFd fd;
  ZeroedArray<std::array<std::uint8_t, RawIpSender::kMaxPacket>> packets;
  ZeroedArray<sockaddr_storage> names;
  ZeroedArray<Control> controls;
  ZeroedArray<iovec> iovs;
  ZeroedArray<mmsghdr> messages;
  std::size_t count = 0;

  void reserve(std::size_t capacity) {
    packets = ZeroedArray<std::array<std::uint8_t, RawIpSender::kMaxPacket>>(capacity);
    names = ZeroedArray<sockaddr_storage>(capacity);
    controls = ZeroedArray<Control>(capacity);
    iovs = ZeroedArray<iovec>(capacity);
    messages = ZeroedArray<mmsghdr>(capacity);
  }
};

std::expected<UniqueFd, UdpError> open_raw(int family) {
  UniqueFd fd(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!fd) return std::unexpected(error(family == AF_INET ? "raw IPv4 socket" : "raw IPv6 socket"));
  if (family == AF_INET6) {
    // IPPROTO_RAW implies it since Linux 4.5; said explicitly so an older
    // kernel fails here rather than prepending a second header.
    const int on = 1;
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof on) != 0)
      return std::unexpected(error("IPV6_HDRINCL"));
  }
  return fd;
}

}  // namespace

struct RawIpSender::State {
  FamilyQueue v4;
  FamilyQueue v6;
  std::size_t capacity = 0;
  std::uint64_t calls = 0;
  FlushResult done;  // since the last flush(), including batches queue() sent when full

  FamilyQueue* queue_for(Family f) {
    FamilyQueue& q = f == Family::v4 ? v4 : v6;
    return q.fd ? &q : nullptr;
  }

  void send(FamilyQueue& q) {
    FlushResult& result = done;
    std::size_t i = 0;
    while (i < q.count) {
      const int n = ::sendmmsg(q.fd.get(), q.messages.data() + i,
                               static_cast<unsigned>(q.count - i), MSG_DONTWAIT);
      ++calls;
      if (n > 0) {
        i += static_cast<std::size_t>(n);
        result.sent += static_cast<std::size_t>(n);
      } else if (errno != EINTR) {
        // The message at i was refused (sendmmsg reports an error only for
        // the first message of a call): skip it, send the rest.
        ++result.failed;
        result.last_errno = errno;
        ++i;
      }
    }
    q.count = 0;
  }
};

RawIpSender::RawIpSender(std::unique_ptr<State> state) : state_(std::move(state)) {}
RawIpSender::~RawIpSender() = default;

std::expected<std::unique_ptr<RawIpSender>, UdpError> RawIpSender::open(std::size_t capacity) {
  auto state = std::make_unique<State>();
  state->capacity = capacity == 0 ? 1 : capacity;
  auto v4 = open_raw(AF_INET);
  auto v6 = open_raw(AF_INET6);
  if (!v4 && !v6) return std::unexpected(v4.error());
  if (v4) {
    state->v4.fd = std::move(*v4);
    state->v4.reserve(state->capacity);
  }
  if (v6) {
    state->v6.fd = std::move(*v6);
    state->v6.reserve(state->capacity);
  }
  return std::unique_ptr<RawIpSender>(new RawIpSender(std::move(state)));
}

bool RawIpSender::can_send(Family family) const {
  return (family == Family::v4 ? state_->v4.fd : state_->v6.fd).get() >= 0;
}

bool RawIpSender::queue(std::span<const std::uint8_t> packet, const Endpoint& to,
                        std::uint32_t ifindex) {
  if (packet.empty() || packet.size() > kMaxPacket) return false;
  const int version = packet[0] >> 4;
  const Family family = version == 4 ? Family::v4 : Family::v6;
  if ((version != 4 && version != 6) || to.address.family() != family) return false;
  FamilyQueue* q = state_->queue_for(family);
  if (q == nullptr) return false;
  if (q->count == state_->capacity) state_->send(*q);  // full: reported by the next flush()
  const std::size_t i = q->count++;
  std::memcpy(q->packets[i].data(), packet.data(), packet.size());
  q->iovs[i] = {q->packets[i].data(), packet.size()};
  Endpoint dest = to;
  dest.port = 0;  // IPv6 raw sockets read the port as a protocol number: 0 = the socket's
  msghdr& m = q->messages[i].msg_hdr;
  m = msghdr{};
  m.msg_name = &q->names[i];
  m.msg_namelen = linux_detail::to_sockaddr(dest, q->names[i]);
  m.msg_iov = &q->iovs[i];
  m.msg_iovlen = 1;
  if (ifindex != 0) {
    // The outgoing interface, as SO_BINDTODEVICE pins it for the session's
    // own socket; the source address stays the one in the header.
    m.msg_control = q->controls[i].bytes.data();
    m.msg_controllen = family == Family::v4 ? CMSG_SPACE(sizeof(in_pktinfo))
                                            : CMSG_SPACE(sizeof(in6_pktinfo));
    std::memset(m.msg_control, 0, m.msg_controllen);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (c == nullptr) {  // cannot happen: the room is CMSG_SPACE of the largest
      --q->count;
      return false;
    }
    if (family == Family::v4) {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      pi.ipi_ifindex = static_cast<int>(ifindex);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      pi.ipi6_ifindex = ifindex;
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  }
  return true;
}

RawIpSender::FlushResult RawIpSender::flush() {
  if (state_->v4.count > 0) state_->send(state_->v4);
  if (state_->v6.count > 0) state_->send(state_->v6);
  return std::exchange(state_->done, FlushResult{});
}

std::size_t RawIpSender::queued() const { return state_->v4.count + state_->v6.count; }

std::uint64_t RawIpSender::system_calls() const { return state_->calls; }

}  // namespace fbf::platform
