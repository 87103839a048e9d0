#pragma once
// Shared by the OpenBSD implementations of the platform seams; never
// included outside platform/openbsd/.
//
// UNTESTED: nothing in platform/openbsd/ has been compiled or run; see
// docs/openbsd.md "What is untested".

#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "platform/ip.h"
#include "platform/udp.h"

namespace fbf::platform::openbsd_detail {

// IpAddress/Endpoint <-> sockaddr, with sin_len/sin6_len filled in (BSD
// sockaddrs carry their length; the routing socket and PF_KEY check it).
socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out);
Endpoint from_sockaddr(const sockaddr* in);

// The address in an AF_INET/AF_INET6 sockaddr from the kernel (getifaddrs,
// routing messages), with the KAME scope embedded in bytes 2-3 of IPv6
// link-local and interface-local multicast addresses cleared again.
std::expected<IpAddress, std::string> address_of(const sockaddr* in);

// Leading one bits of a netmask sockaddr as the kernel sends it: possibly
// shortened (sa_len covers only the non-zero bytes) and of family 0.
std::uint8_t prefix_length_of(const sockaddr* mask, Family family);

// --- after-start confinement (privileges_openbsd.cpp) ----------------------
// pledge(2) kills the process on a forbidden call instead of failing it, so
// the other files ask before doing anything pledge forbids later on
// (creating interfaces, opening routing or PF_KEY sockets, IP_RECVTTL).
bool confined();

// --- PF_KEY (tcp_md5_openbsd.cpp) ------------------------------------------
// Opens the PF_KEY socket while still root; later TCP-MD5 keys reuse it. A
// failure is remembered and reported by the first key that needs it.
void open_pfkey_early();

}  // namespace fbf::platform::openbsd_detail
