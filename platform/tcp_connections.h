#pragma once
// How many established TCP connections a host has on some local addresses:
// what maintenance waits for before it withdraws (`drain_connections`).
// Linux asks the kernel through inet_diag (libnl-idiag); other systems
// report that they cannot count, and maintenance falls back to drain_time.

#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "platform/ip.h"

namespace fbf::platform {

// Established TCP connections (any port, both directions) whose local address
// is inside one of `local_prefixes` (a service's prefixes; an address is a
// host prefix). IPv4 connections on dual-stack sockets
// (::ffff:a.b.c.d) count as IPv4.
std::expected<std::uint64_t, std::string> count_established_tcp(
    std::span<const Prefix> local_prefixes);

}  // namespace fbf::platform
