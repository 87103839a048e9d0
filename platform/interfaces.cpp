#include "platform/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>

namespace fbf::platform {

namespace {

std::optional<IpAddress> address_of(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof sin);
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &sin.sin_addr, b.size());
    return IpAddress::v4(b);
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof sin6);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, b.size());
    return IpAddress::v6(b);
  }
  return std::nullopt;
}

// Leading one bits of a netmask; nullopt when it is not contiguous.
std::optional<std::uint8_t> mask_length(const IpAddress& mask) {
  std::uint8_t length = 0;
  bool ended = false;
  for (std::uint8_t byte : mask.bytes()) {
    if (ended) {
      if (byte != 0) return std::nullopt;
      continue;
    }
    const int ones = std::countl_one(byte);
    if (static_cast<std::uint8_t>(byte << ones) != 0) return std::nullopt;
    length = static_cast<std::uint8_t>(length + ones);
    ended = ones < 8;
  }
  return length;
}

std::optional<Prefix> masked(const IpAddress& a, std::uint8_t length) {
  std::array<std::uint8_t, 16> b{};
  const auto in = a.bytes();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int keep = std::clamp(static_cast<int>(length) - static_cast<int>(i) * 8, 0, 8);
    b[i] = static_cast<std::uint8_t>(in[i] & static_cast<std::uint8_t>(0xff00 >> keep));
  }
  auto address = a.is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  return Prefix::make(address, length);
}

}  // namespace

std::expected<std::vector<InterfacePrefix>, std::string> interface_prefixes() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return std::unexpected(std::string("getifaddrs: ") + std::strerror(errno));
  std::vector<InterfacePrefix> out;
  std::map<std::string, std::uint32_t> indexes;  // one if_nametoindex per interface
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    auto address = address_of(i->ifa_addr);
    auto mask = address_of(i->ifa_netmask);
    if (!address || !mask || i->ifa_name == nullptr) continue;
    auto length = mask_length(*mask);
    if (!length || mask->family() != address->family()) continue;
    std::string name = i->ifa_name;
    // Linux names an IPv4 address by its label ("eth0:1"), not an interface.
    if (auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);
    auto [it, fresh] = indexes.try_emplace(name, 0);
    if (fresh) it->second = ::if_nametoindex(name.c_str());
    if (it->second == 0) continue;  // gone meanwhile
    const bool up = (i->ifa_flags & IFF_UP) != 0 && (i->ifa_flags & IFF_RUNNING) != 0;
    if (auto p = masked(*address, *length)) out.push_back({name, it->second, *p, up});
    // Point-to-point: the remote end (IFA_ADDRESS on Linux) is what is connected.
    if ((i->ifa_flags & IFF_POINTOPOINT) != 0) {
      auto remote = address_of(i->ifa_dstaddr);
      if (remote && remote->family() == address->family()) {
        if (auto p = masked(*remote, *length)) out.push_back({name, it->second, *p, up});
      }
    }
  }
  ::freeifaddrs(list);
  return out;
}

ConnectedLookup connected_interface(const IpAddress& peer,
                                    std::span<const InterfacePrefix> prefixes) {
  ConnectedLookup out;
  if (peer.is_v6() && peer.is_link_local()) return out;
  int best = -1;
  std::vector<const InterfacePrefix*> tied;  // one per interface, at length `best`
  for (const auto& p : prefixes) {
    if (!p.prefix.contains(peer)) continue;
    const int length = p.prefix.length();
    if (length < best) continue;
    if (length > best) {
      best = length;
      tied.clear();
    }
    auto same = std::find_if(tied.begin(), tied.end(),
                             [&](const InterfacePrefix* t) { return t->index == p.index; });
    if (same == tied.end())
      tied.push_back(&p);
    else if (p.up)
      *same = &p;
  }
  if (tied.size() > 1) {
    const auto running =
        std::count_if(tied.begin(), tied.end(), [](const InterfacePrefix* t) { return t->up; });
    if (running == 1) {
      std::erase_if(tied, [](const InterfacePrefix* t) { return !t->up; });
    } else {
      for (const auto* t : tied) out.ambiguous.push_back(t->name);
      std::sort(out.ambiguous.begin(), out.ambiguous.end());
      return out;
    }
  }
  if (tied.size() == 1) out.interface = InterfaceRef{tied.front()->name, tied.front()->index};
  return out;
}

std::optional<InterfaceRef> connected_interface(const IpAddress& peer) {
  auto prefixes = interface_prefixes();
  if (!prefixes) return std::nullopt;
  return connected_interface(peer, *prefixes).interface;
}

}  // namespace fbf::platform
