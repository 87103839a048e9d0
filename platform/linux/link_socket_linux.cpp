// Linux implementation of platform/link_socket.h: AF_PACKET SOCK_DGRAM
// sockets (the kernel adds and strips the Ethernet header) with a classic BPF
// filter for UDP to one port, and the neighbor table read over rtnetlink
// (libnl-route). The same approach FRR bfdd takes for IPv4 echoes.
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "platform/link_socket.h"

namespace fbf::platform {
namespace {

UdpError error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

std::uint16_t ethertype(Family f) { return f == Family::v4 ? ETH_P_IP : ETH_P_IPV6; }

// The filter runs on the IP header (SOCK_DGRAM): accept UDP to `port` only,
// IPv4 unfragmented with any IHL, IPv6 without extension headers.
std::array<sock_filter, 8> udp_port_filter(Family family, std::uint16_t port) {
  if (family == Family::v4) {
    return {{
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),               // protocol
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 5),       // UDP?
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),               // flags + fragment offset
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 3, 0),  // a later fragment: drop
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),              // X = IHL * 4
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),               // UDP destination port
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
    }};
  }
  return {{
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),          // next header
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),  // UDP?
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 42),         // UDP destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
  }};
}

struct NlSockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct NlCacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct NeighDeleter {
  void operator()(rtnl_neigh* n) const { rtnl_neigh_put(n); }
};

}  // namespace

std::expected<UniqueFd, UdpError> open_link_udp(Family family, std::uint32_t ifindex,
                                                std::uint16_t udp_port) {
  // Protocol 0 receives nothing until bind(): the filter is in place before
  // the first packet can queue.
  UniqueFd fd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(error("socket(AF_PACKET)"));
  auto insns = udp_port_filter(family, udp_port);
  // The IPv4 program's last instruction is its accept; add the drop.
  sock_filter v4[9];
  sock_fprog prog{};
  if (family == Family::v4) {
    std::memcpy(v4, insns.data(), sizeof(sock_filter) * insns.size());
    v4[8] = BPF_STMT(BPF_RET | BPF_K, 0);
    prog = {9, v4};
  } else {
    prog = {static_cast<unsigned short>(insns.size()), insns.data()};
  }
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    return std::unexpected(error("SO_ATTACH_FILTER"));
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    return std::unexpected(error("PACKET_IGNORE_OUTGOING"));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ethertype(family));
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
    return std::unexpected(error("bind AF_PACKET to interface " + std::to_string(ifindex)));
  return fd;
}

std::expected<std::optional<LinkFrame>, UdpError> receive_link(int fd,
                                                               std::span<std::uint8_t> buffer) {
  for (;;) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
      return std::unexpected(error("recvfrom(AF_PACKET)"));
    }
    // Only frames sent to us; broadcast/multicast/promiscuous ones are not echoes.
    if (from.sll_pkttype != PACKET_HOST || from.sll_halen != 6) continue;
    LinkFrame f;
    f.packet = buffer.first(static_cast<std::size_t>(n));
    std::memcpy(f.source.data(), from.sll_addr, f.source.size());
    f.interface_index = static_cast<std::uint32_t>(from.sll_ifindex);
    return f;
  }
}

std::expected<void, UdpError> send_link(int fd, Family family, std::uint32_t ifindex,
                                        std::span<const std::uint8_t> packet,
                                        const LinkAddress& to) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ethertype(family));
  sll.sll_ifindex = static_cast<int>(ifindex);
  sll.sll_halen = static_cast<unsigned char>(to.size());
  std::memcpy(sll.sll_addr, to.data(), to.size());
  const ssize_t n = ::sendto(fd, packet.data(), packet.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&sll), sizeof sll);
  if (n < 0) return std::unexpected(error("sendto(AF_PACKET)"));
  return {};
}

std::optional<LinkAddress> neighbor_link_address(std::uint32_t ifindex, const IpAddress& address) {
  std::unique_ptr<nl_sock, NlSockDeleter> sock(nl_socket_alloc());
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) return std::nullopt;
  nl_cache* raw = nullptr;
  if (rtnl_neigh_alloc_cache(sock.get(), &raw) != 0) return std::nullopt;
  std::unique_ptr<nl_cache, NlCacheDeleter> cache(raw);
  const auto bytes = address.bytes();
  std::unique_ptr<nl_addr, NlAddrDeleter> dst(
      nl_addr_build(address.is_v4() ? AF_INET : AF_INET6, bytes.data(), bytes.size()));
  if (!dst) return std::nullopt;
  std::unique_ptr<rtnl_neigh, NeighDeleter> neigh(
      rtnl_neigh_get(cache.get(), static_cast<int>(ifindex), dst.get()));
  if (!neigh) return std::nullopt;
  if (rtnl_neigh_get_state(neigh.get()) & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP))
    return std::nullopt;
  nl_addr* ll = rtnl_neigh_get_lladdr(neigh.get());
  LinkAddress out{};
  if (!ll || nl_addr_get_len(ll) != out.size()) return std::nullopt;
  std::memcpy(out.data(), nl_addr_get_binary_addr(ll), out.size());
  return out;
}

namespace {

std::optional<bool> read_flag(const std::string& path) {
  std::ifstream in(path);
  int value = 0;
  if (!(in >> value)) return std::nullopt;
  return value != 0;
}

}  // namespace

std::optional<bool> interface_forwards(std::uint32_t ifindex, Family family) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name) == nullptr) return std::nullopt;
  if (family == Family::v4)  // IPv4 forwards by the input interface's setting
    return read_flag(std::string("/proc/sys/net/ipv4/conf/") + name + "/forwarding");
  // IPv6 forwards by the global switch (ip6_forward() reads all.forwarding;
  // the per-interface `forwarding` only selects host/router behaviour for
  // RAs), or since Linux 6.17 by the input interface's force_forwarding.
  auto all = read_flag("/proc/sys/net/ipv6/conf/all/forwarding");
  if (!all) return std::nullopt;
  const auto forced =
      read_flag(std::string("/proc/sys/net/ipv6/conf/") + name + "/force_forwarding");
  return *all || forced.value_or(false);
}

}  // namespace fbf::platform
