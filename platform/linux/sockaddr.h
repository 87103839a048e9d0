#pragma once
// IpAddress/Endpoint <-> sockaddr conversions shared by the Linux socket
// seams (udp_linux.cpp, tcp_linux.cpp). IPv4-mapped IPv6 addresses come back
// as IPv4, so a peer is the same whichever socket family saw it.

#include <sys/socket.h>

#include "platform/udp.h"

namespace fbf::platform::linux_detail {

socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out);
Endpoint from_sockaddr(const sockaddr_storage& in);

}  // namespace fbf::platform::linux_detail
