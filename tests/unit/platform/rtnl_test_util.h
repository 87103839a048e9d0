#pragma once
// What the tests of the rtnetlink code need done to a (throw-away) network
// namespace that platform::AddressSystem has no call for: links up and down,
// a veth pair, an address added the way an operator's `ip addr add` would
// (without fbfd's mark). Written against the kernel's own netlink ABI rather
// than libnl so that the code under test is not checking itself.

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "platform/ip.h"
#include "platform/unique_fd.h"

namespace fbf::test::rtnl {

// ifconfig-style: sets or clears IFF_UP; 0 or errno.
inline int set_link_up(const std::string& name, bool up) {
  platform::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return errno;
  if (up)
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  else
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  return ::ioctl(fd.get(), SIOCSIFFLAGS, &ifr) == 0 ? 0 : errno;
}

// One request: header, fixed part, attributes (nests by offset).
class Request {
 public:
  Request(std::uint16_t type, const void* fixed, std::size_t fixed_len) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    h.nlmsg_seq = 1;
    append(&h, sizeof h);
    append(fixed, fixed_len);
  }
  void attr(std::uint16_t type, const void* data, std::size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void attr(std::uint16_t type, const std::string& text) {
    attr(type, text.c_str(), text.size() + 1);
  }
  std::size_t begin_nest(std::uint16_t type) {
    const std::size_t at = bytes_.size();
    attr(type, nullptr, 0);
    return at;
  }
  // Raw bytes inside a nest (VETH_INFO_PEER starts with an ifinfomsg).
  void raw(const void* data, std::size_t len) { append(data, len); }
  void end_nest(std::size_t at) {
    auto len = static_cast<unsigned short>(bytes_.size() - at);
    std::memcpy(bytes_.data() + at + offsetof(rtattr, rta_len), &len, sizeof len);
  }
  std::vector<std::uint8_t>& finish() {
    auto len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
    return bytes_;
  }

 private:
  void append(const void* data, std::size_t len) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (len > 0) bytes_.insert(bytes_.end(), p, p + len);
    bytes_.resize(NLMSG_ALIGN(bytes_.size()), 0);
  }
  std::vector<std::uint8_t> bytes_;
};

// Sends the request and reads the kernel's answer: 0 or a positive errno.
inline int send(Request& request) {
  platform::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return errno;
  const auto& bytes = request.finish();
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return errno;
  alignas(nlmsghdr) std::uint8_t answer[8192];
  const ssize_t n = ::recv(fd.get(), answer, sizeof answer, 0);
  if (n < 0) return errno;
  const auto* h = reinterpret_cast<const nlmsghdr*>(answer);
  if (n < static_cast<ssize_t>(sizeof(nlmsghdr) + sizeof(nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR)
    return EPROTO;
  return -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
}

// `ip link add A type veth peer name B`.
inline int add_veth(const std::string& a, const std::string& b) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Request r(RTM_NEWLINK, &ifi, sizeof ifi);
  r.attr(IFLA_IFNAME, a);
  const auto info = r.begin_nest(IFLA_LINKINFO);
  r.attr(IFLA_INFO_KIND, "veth");
  const auto data = r.begin_nest(IFLA_INFO_DATA);
  const auto peer = r.begin_nest(VETH_INFO_PEER);
  r.raw(&ifi, sizeof ifi);
  r.attr(IFLA_IFNAME, b);
  r.end_nest(peer);
  r.end_nest(data);
  r.end_nest(info);
  return send(r);
}

// `ip addr add ADDRESS/LENGTH dev INDEX`: no fbfd mark.
inline int add_address(std::uint32_t index, const platform::IpAddress& address,
                       std::uint8_t length) {
  ifaddrmsg ifa{};
  ifa.ifa_family = address.is_v4() ? AF_INET : AF_INET6;
  ifa.ifa_prefixlen = length;
  ifa.ifa_index = index;
  Request r(RTM_NEWADDR, &ifa, sizeof ifa);
  const auto bytes = address.bytes();
  r.attr(IFA_LOCAL, bytes.data(), bytes.size());
  r.attr(IFA_ADDRESS, bytes.data(), bytes.size());
  return send(r);
}

}  // namespace fbf::test::rtnl
