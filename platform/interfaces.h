#pragma once
// Which interface a directly connected peer lives on. RFC 5881 §3: a
// single-hop BFD session "must be bound to this interface", and §9: TTL 255
// only protects it when coupled with the incoming interface. The agent binds
// every single-hop session without a configured `interface` to the interface
// whose connected prefix holds the peer (agent/bfd_sessions.cpp).
//
// Portable POSIX (getifaddrs(3), if_nametoindex(3)), the same on Linux and
// OpenBSD (whose pledge "route" allows the NET_RT_IFLIST sysctl behind it).
// The choice itself is a pure function of a snapshot, for unit tests.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "platform/ip.h"

namespace fbf::platform {

// One address of an interface as the prefix it connects.
struct InterfacePrefix {
  std::string name;         // the interface (a Linux label "eth0:1" is cut to "eth0")
  std::uint32_t index = 0;  // its ifindex
  Prefix prefix;            // address & netmask; point-to-point: also the remote end's
  bool up = false;          // IFF_UP and IFF_RUNNING
  friend bool operator==(const InterfacePrefix&, const InterfacePrefix&) = default;
};

struct InterfaceRef {
  std::string name;
  std::uint32_t index = 0;
  friend bool operator==(const InterfaceRef&, const InterfaceRef&) = default;
};

struct ConnectedLookup {
  // The one interface whose connected prefix holds the peer.
  std::optional<InterfaceRef> interface;
  // Unset interface, several equally specific candidates: their names.
  std::vector<std::string> ambiguous;
};

// Every IPv4 and IPv6 address of every interface (getifaddrs(3)), as prefixes.
std::expected<std::vector<InterfacePrefix>, std::string> interface_prefixes();

// The interface whose connected prefix contains `peer`: the longest prefix
// wins; among equally long ones on different interfaces a single running one
// wins, otherwise the answer is ambiguous. An IPv6 link-local peer never
// resolves (fe80::/64 is on every link: its interface must be configured).
ConnectedLookup connected_interface(const IpAddress& peer,
                                    std::span<const InterfacePrefix> prefixes);

// The same on the host's interfaces now; nullopt when none (or several, or
// getifaddrs failed).
std::optional<InterfaceRef> connected_interface(const IpAddress& peer);

}  // namespace fbf::platform
