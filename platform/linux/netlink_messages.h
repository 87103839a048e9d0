#pragma once
// rtnetlink messages about links and addresses, read into the portable event
// values of platform/addresses.h. Pure: bytes in, values out, so the parsing
// is unit-tested without a kernel (tests/unit/platform/netlink_messages_test).

#include <cstdint>
#include <optional>
#include <span>

#include "platform/addresses.h"

namespace fbf::platform::netlink {

// IFA_PROTO value fbfd stamps on the addresses it adds (Linux >= 6.1 keeps
// and reports it; older kernels ignore the attribute). iproute2 shows it as
// "proto 0xfb". It is how a restarted fbfd recognises addresses left by an
// earlier run that did not stop cleanly, and tells them from an operator's.
inline constexpr std::uint8_t kFbfAddressProtocol = 0xfb;

// One RTM_NEWLINK/RTM_DELLINK/RTM_NEWADDR/RTM_DELADDR message (its nlmsghdr
// first, nlmsg_len covering the rest). Other types, truncated or malformed
// messages, and addresses of families other than IPv4/IPv6 give nullopt.
std::optional<NetEvent> parse_message(std::span<const std::uint8_t> message);

// Link state as fbfd judges it from ifinfomsg flags: up and running.
bool link_up(unsigned int ifi_flags);

}  // namespace fbf::platform::netlink
