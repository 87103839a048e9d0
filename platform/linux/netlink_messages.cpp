// Attribute parsing goes through libnl's nlmsg_parse/nla_* (bounds-checked),
// never raw pointer walks.
#include "platform/linux/netlink_messages.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>
#include <string>

namespace fbf::platform::netlink {
namespace {

std::optional<IpAddress> address_attr(const nlattr* attr, int family) {
  if (attr == nullptr) return std::nullopt;
  const auto len = static_cast<std::size_t>(nla_len(attr));
  if ((family == AF_INET && len != 4) || (family == AF_INET6 && len != 16)) return std::nullopt;
  return IpAddress::from_bytes(std::span(static_cast<const std::uint8_t*>(nla_data(attr)), len));
}

std::optional<NetEvent> parse_address(nlmsghdr* nlh) {
  nlattr* tb[IFA_MAX + 1] = {};
  if (nlmsg_parse(nlh, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::nullopt;
  // IFA_LOCAL is the local address when both are given (point-to-point
  // setups put the peer in IFA_ADDRESS); otherwise IFA_ADDRESS is.
  auto address = address_attr(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS], ifa->ifa_family);
  if (!address) return std::nullopt;
  AddressEvent ev;
  ev.link_index = ifa->ifa_index;
  ev.address.address = *address;
  ev.address.prefix_length = ifa->ifa_prefixlen;
  ev.address.marked = tb[IFA_PROTO] != nullptr && nla_len(tb[IFA_PROTO]) >= 1 &&
                      nla_get_u8(tb[IFA_PROTO]) == kFbfAddressProtocol;
  ev.removed = nlh->nlmsg_type == RTM_DELADDR;
  return ev;
}

std::optional<NetEvent> parse_link(nlmsghdr* nlh) {
  nlattr* tb[IFLA_MAX + 1] = {};
  if (nlmsg_parse(nlh, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(nlh));
  const nlattr* name = tb[IFLA_IFNAME];
  if (name == nullptr || nla_len(name) < 1) return std::nullopt;
  const auto* text = static_cast<const char*>(nla_data(name));
  LinkEvent ev;
  ev.link.index = static_cast<std::uint32_t>(ifi->ifi_index);
  ev.link.name.assign(text, strnlen(text, static_cast<std::size_t>(nla_len(name))));
  ev.link.up = link_up(ifi->ifi_flags);
  ev.removed = nlh->nlmsg_type == RTM_DELLINK;
  return ev;
}

}  // namespace

bool link_up(unsigned int ifi_flags) {
  return (ifi_flags & IFF_UP) != 0 && (ifi_flags & IFF_RUNNING) != 0;
}

std::optional<NetEvent> parse_message(std::span<const std::uint8_t> message) {
  if (message.size() < sizeof(nlmsghdr)) return std::nullopt;
  // nlmsg_parse wants a mutable header; it does not write through it.
  auto* nlh = reinterpret_cast<nlmsghdr*>(const_cast<std::uint8_t*>(message.data()));
  if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > message.size()) return std::nullopt;
  switch (nlh->nlmsg_type) {
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return parse_address(nlh);
    case RTM_NEWLINK:
    case RTM_DELLINK:
      return parse_link(nlh);
    default:
      return std::nullopt;
  }
}

}  // namespace fbf::platform::netlink
