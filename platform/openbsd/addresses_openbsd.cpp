// OpenBSD implementation of platform/addresses.h with the native tools:
//   - the service interface: a cloned interface such as lo1, created with
//     SIOCIFCREATE (ifconfig lo1 create) and set up with SIOCSIFFLAGS when
//     missing, destroyed with SIOCIFDESTROY;
//   - addresses: SIOCAIFADDR / SIOCAIFADDR_IN6 with a host mask (/32, /128)
//     and infinite lifetimes, SIOCDIFADDR / SIOCDIFADDR_IN6 to remove,
//     getifaddrs(3) to list;
//   - events: a routing socket (route(4)) filtered to RTM_IFINFO,
//     RTM_IFANNOUNCE, RTM_NEWADDR, RTM_DELADDR and RTM_DESYNC, read on the
//     event loop.
//
// Ownership: OpenBSD addresses carry no originator tag (Linux has IFA_PROTO),
// so InterfaceAddress::marked is always false. fbfd knows what it added
// because it remembers it (agent/service_addresses.cpp, `owned`); an address
// left behind by an fbfd that did not stop cleanly looks like the
// operator's, is used as it is and stays at stop ("ifconfig lo1 inet
// 192.0.2.2 delete" removes it).
//
// Privileges: the three sockets are opened by open_address_system(), at
// start, as root. A socket root created stays privileged (SS_PRIV), so the
// address ioctls on it keep working after the switch to the unprivileged
// user, and pledge "wroute" allows them. Creating and destroying interfaces
// checks the process's own privilege and pledge allows no such ioctl: after
// start-up both are refused with a clear error rather than attempted.
//
// UNTESTED: never compiled or run (docs/openbsd.md).
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/in_var.h>
#include <netinet6/in6_var.h>
#include <netinet6/nd6.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>

#include "platform/addresses.h"
#include "platform/event.h"
#include "platform/openbsd/openbsd_detail.h"
#include "platform/unique_fd.h"

namespace fbf::platform {
namespace {

using openbsd_detail::address_of;
using openbsd_detail::prefix_length_of;

AddressErrc code_of(int e) {
  switch (e) {
    case EPERM:
    case EACCES:
      return AddressErrc::permission;
    case ENXIO:
    case ENODEV:
      return AddressErrc::not_found;
    case EEXIST:
      return AddressErrc::exists;
    case EOPNOTSUPP:
      return AddressErrc::not_supported;
    default:
      return AddressErrc::failed;
  }
}

AddressError os_error(int e, const std::string& what) {
  std::string message = what + ": " + std::strerror(e);
  if (code_of(e) == AddressErrc::permission) message += " (fbfd must be started as root)";
  return {code_of(e), std::move(message)};
}

std::string text_of(const IpAddress& a) {
  return a.to_string() + "/" + (a.is_v4() ? "32" : "128");
}

bool copy_name(char (&out)[IFNAMSIZ], const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  std::memset(out, 0, IFNAMSIZ);
  std::memcpy(out, name.data(), name.size());
  return true;
}

// Up for a service: administratively up and running. A cloned lo(4) is only
// marked running once it has an address; for loopbacks IFF_UP is enough.
bool is_up(unsigned flags) {
  return (flags & IFF_UP) != 0 && ((flags & IFF_RUNNING) != 0 || (flags & IFF_LOOPBACK) != 0);
}

std::string name_of(std::uint32_t index) {
  char name[IF_NAMESIZE] = {};
  return if_indextoname(index, name) != nullptr ? std::string(name) : std::string();
}

// sockaddrs after a routing message header are padded to a long (route(4)).
std::size_t roundup(std::size_t n) {
  return n > 0 ? 1 + ((n - 1) | (sizeof(long) - 1)) : sizeof(long);
}

class OpenBsdAddressSystem final : public AddressSystem {
 public:
  OpenBsdAddressSystem(event_base* base, UniqueFd inet, UniqueFd inet6, UniqueFd route)
      : base_(base), inet_(std::move(inet)), inet6_(std::move(inet6)), route_(std::move(route)) {}

  AddressResult<std::optional<Link>> find_link(const std::string& name) override {
    const std::uint32_t index = if_nametoindex(name.c_str());
    if (index == 0) return std::nullopt;
    auto flags = flags_of(name);
    if (!flags) {
      if (flags.error().code == AddressErrc::not_found) return std::nullopt;  // raced away
      return std::unexpected(flags.error());
    }
    return Link{index, name, is_up(*flags)};
  }

  AddressResult<EnsuredLink> ensure_interface(const std::string& name) override {
    auto found = find_link(name);
    if (!found) return std::unexpected(found.error());
    if (*found) return EnsuredLink{**found, false};
    if (openbsd_detail::confined())
      return std::unexpected(AddressError{
          AddressErrc::permission,
          "cannot create interface " + name +
              " after start-up (root and pledge(2) forbid it); create it at boot with "
              "/etc/hostname." + name + " or restart fbfd"});
    ifreq ifr{};
    if (!copy_name(ifr.ifr_name, name))
      return std::unexpected(AddressError{AddressErrc::failed, "bad interface name " + name});
    bool created = true;
    if (::ioctl(inet_.get(), SIOCIFCREATE, &ifr) != 0) {
      const int e = errno;
      if (e == EEXIST) {
        created = false;  // raced with someone
      } else if (e == EINVAL || e == ENXIO || e == EOPNOTSUPP) {
        return std::unexpected(AddressError{
            AddressErrc::not_supported,
            "cannot create interface " + name + ": " + std::strerror(e) +
                " (no interface cloner of that name; use a lo(4) name such as lo1)"});
      } else {
        return std::unexpected(os_error(e, "cannot create interface " + name));
      }
    }
    auto flags = flags_of(name);
    if (!flags) return std::unexpected(flags.error());
    ifreq up{};
    copy_name(up.ifr_name, name);
    up.ifr_flags = static_cast<short>(*flags | IFF_UP);
    if (::ioctl(inet_.get(), SIOCSIFFLAGS, &up) != 0)
      return std::unexpected(os_error(errno, "cannot set interface " + name + " up"));
    auto now = find_link(name);
    if (!now) return std::unexpected(now.error());
    if (!*now)
      return std::unexpected(AddressError{AddressErrc::failed,
                                          "interface " + name + " vanished right after creation"});
    return EnsuredLink{**now, created};
  }

  AddressResult<void> delete_link(const Link& l) override {
    if (openbsd_detail::confined())
      return std::unexpected(AddressError{
          AddressErrc::permission,
          "cannot destroy interface " + l.name + " after start-up (root and pledge(2) forbid "
          "it); ifconfig " + l.name + " destroy removes it"});
    ifreq ifr{};
    if (!copy_name(ifr.ifr_name, l.name))
      return std::unexpected(AddressError{AddressErrc::failed, "bad interface name " + l.name});
    if (::ioctl(inet_.get(), SIOCIFDESTROY, &ifr) != 0 && errno != ENXIO)
      return std::unexpected(os_error(errno, "cannot destroy interface " + l.name));
    return {};
  }

  AddressResult<std::vector<InterfaceAddress>> addresses(std::uint32_t index) override {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return std::unexpected(os_error(errno, "getifaddrs"));
    std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> owner(list, ::freeifaddrs);
    const std::string name = name_of(index);
    std::vector<InterfaceAddress> out;
    if (name.empty()) return out;  // no such interface: no addresses
    for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || name != i->ifa_name) continue;
      if (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) continue;
      auto address = address_of(i->ifa_addr);
      if (!address) continue;
      out.push_back({*address, prefix_length_of(i->ifa_netmask, address->family()), false});
    }
    return out;
  }

  AddressResult<AddOutcome> add_address(std::uint32_t index, const IpAddress& address) override {
    auto present = addresses(index);
    if (!present) return std::unexpected(present.error());
    for (const auto& a : *present)
      if (a.address == address) return AddOutcome::already_present;
    const std::string name = name_of(index);
    if (name.empty())
      return std::unexpected(AddressError{AddressErrc::not_found,
                                          "cannot add " + text_of(address) + ": no interface " +
                                              std::to_string(index)});
    int rc = 0;
    if (address.is_v4()) {
      in_aliasreq req{};
      copy_name(req.ifra_name, name);
      fill_v4(req.ifra_addr, address);
      fill_v4(req.ifra_mask, *IpAddress::parse("255.255.255.255"));
      rc = ::ioctl(inet_.get(), SIOCAIFADDR, &req);
    } else {
      if (!inet6_)
        return std::unexpected(AddressError{AddressErrc::not_supported,
                                            "cannot add " + text_of(address) + ": no IPv6 socket"});
      in6_aliasreq req{};
      copy_name(req.ifra_name, name);
      fill_v6(req.ifra_addr, address);
      std::array<std::uint8_t, 16> ones;
      ones.fill(0xff);
      fill_v6(req.ifra_prefixmask, IpAddress::v6(ones));
      req.ifra_lifetime.ia6t_vltime = ND6_INFINITE_LIFETIME;
      req.ifra_lifetime.ia6t_pltime = ND6_INFINITE_LIFETIME;
#ifdef IN6_IFF_NODAD
      // An anycast service address must not wait for (or fail) duplicate
      // address detection; lo(4) never runs DAD anyway.
      req.ifra_flags |= IN6_IFF_NODAD;
#endif
      rc = ::ioctl(inet6_.get(), SIOCAIFADDR_IN6, &req);
    }
    if (rc != 0) {
      if (errno == EEXIST) return AddOutcome::already_present;  // raced with someone
      return std::unexpected(os_error(errno, "cannot add " + text_of(address) + " to " + name));
    }
    return AddOutcome::added;
  }

  AddressResult<void> remove_address(std::uint32_t index, const IpAddress& address) override {
    const std::string name = name_of(index);
    if (name.empty()) return {};  // its interface is gone, and it with it
    int rc = 0;
    if (address.is_v4()) {
      ifreq req{};
      copy_name(req.ifr_name, name);
      fill_v4(*reinterpret_cast<sockaddr_in*>(&req.ifr_addr), address);
      rc = ::ioctl(inet_.get(), SIOCDIFADDR, &req);
    } else {
      if (!inet6_) return {};
      in6_ifreq req{};
      copy_name(req.ifr_name, name);
      fill_v6(req.ifr_addr, address);
      rc = ::ioctl(inet6_.get(), SIOCDIFADDR_IN6, &req);
    }
    // Gone already (or its interface is): what we wanted.
    if (rc != 0 && errno != EADDRNOTAVAIL && errno != ENXIO)
      return std::unexpected(
          os_error(errno, "cannot remove " + text_of(address) + " from " + name));
    return {};
  }

  AddressResult<void> watch(NetEventHandler handler) override {
    handler_ = std::move(handler);
    if (!watch_)
      watch_ = std::make_unique<FdWatch>(base_, route_.get(), EV_READ,
                                         [this](short) { on_readable(); });
    return {};
  }

 private:
  static void fill_v4(sockaddr_in& sin, const IpAddress& a) {
    std::memset(&sin, 0, sizeof sin);
    sin.sin_len = sizeof sin;
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, a.bytes().data(), 4);
  }
  static void fill_v6(sockaddr_in6& sin6, const IpAddress& a) {
    std::memset(&sin6, 0, sizeof sin6);
    sin6.sin6_len = sizeof sin6;
    sin6.sin6_family = AF_INET6;
    std::memcpy(&sin6.sin6_addr, a.bytes().data(), 16);
  }

  AddressResult<unsigned> flags_of(const std::string& name) {
    ifreq ifr{};
    if (!copy_name(ifr.ifr_name, name))
      return std::unexpected(AddressError{AddressErrc::failed, "bad interface name " + name});
    if (::ioctl(inet_.get(), SIOCGIFFLAGS, &ifr) != 0)
      return std::unexpected(os_error(errno, "interface " + name));
    return static_cast<unsigned short>(ifr.ifr_flags);
  }

  void on_readable() {
    alignas(long) std::uint8_t buffer[4096];
    for (;;) {
      const ssize_t n = ::read(route_.get(), buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        // ENOBUFS: the socket buffer overflowed and messages were lost.
        deliver(EventsLost{std::string("routing socket: ") + std::strerror(errno)});
        return;
      }
      if (n == 0) return;
      parse(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
    }
  }

  void deliver(const NetEvent& ev) {
    if (handler_) handler_(ev);
  }

  void parse(std::span<const std::uint8_t> m) {
    // Every message starts with msglen, version, type, hdrlen (route(4)).
    rt_msghdr common{};
    if (m.size() < offsetof(rt_msghdr, rtm_hdrlen) + sizeof(common.rtm_hdrlen)) return;
    std::memcpy(&common, m.data(), std::min(m.size(), sizeof common));
    if (common.rtm_version != RTM_VERSION || common.rtm_msglen > m.size()) return;
    m = m.first(common.rtm_msglen);
    switch (common.rtm_type) {
      case RTM_DESYNC:
        deliver(EventsLost{"routing socket overflowed (RTM_DESYNC)"});
        break;
      case RTM_IFINFO: {
        if_msghdr h{};
        if (m.size() < sizeof h) return;
        std::memcpy(&h, m.data(), sizeof h);
        const unsigned flags = static_cast<unsigned>(h.ifm_flags);
        deliver(LinkEvent{Link{h.ifm_index, name_of(h.ifm_index), is_up(flags)}, false});
        break;
      }
      case RTM_IFANNOUNCE: {
        if_announcemsghdr h{};
        if (m.size() < sizeof h) return;
        std::memcpy(&h, m.data(), sizeof h);
        char name[IFNAMSIZ + 1] = {};
        std::memcpy(name, h.ifan_name, IFNAMSIZ);
        Link link{h.ifan_index, name, false};
        if (h.ifan_what == IFAN_ARRIVAL) {
          auto flags = flags_of(link.name);
          link.up = flags && is_up(*flags);
        }
        deliver(LinkEvent{link, h.ifan_what == IFAN_DEPARTURE});
        break;
      }
      case RTM_NEWADDR:
      case RTM_DELADDR: {
        ifa_msghdr h{};
        if (m.size() < sizeof h) return;
        std::memcpy(&h, m.data(), sizeof h);
        if (h.ifam_hdrlen > m.size()) return;
        const sockaddr* ifa = nullptr;
        const sockaddr* mask = nullptr;
        std::size_t at = h.ifam_hdrlen;
        for (int i = 0; i < RTAX_MAX && at < m.size(); ++i) {
          if ((h.ifam_addrs & (1 << i)) == 0) continue;
          const auto* sa = reinterpret_cast<const sockaddr*>(m.data() + at);
          if (at + 2 > m.size() || at + sa->sa_len > m.size()) return;
          if (i == RTAX_IFA) ifa = sa;
          if (i == RTAX_NETMASK) mask = sa;
          at += roundup(sa->sa_len);
        }
        auto address = address_of(ifa);
        if (!address) return;  // not IP, or no address
        deliver(AddressEvent{h.ifam_index,
                             {*address, prefix_length_of(mask, address->family()), false},
                             common.rtm_type == RTM_DELADDR});
        break;
      }
      default:
        break;
    }
  }

  event_base* base_;
  UniqueFd inet_;
  UniqueFd inet6_;
  UniqueFd route_;
  NetEventHandler handler_;
  std::unique_ptr<FdWatch> watch_;
};

}  // namespace

AddressResult<std::unique_ptr<AddressSystem>> open_address_system(event_base* base) {
  // All three now, while fbfd is root and not yet pledged: pledge(2) allows
  // no routing sockets to be opened later, and only sockets root opened may
  // change addresses after the switch to the unprivileged user.
  UniqueFd inet(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!inet) return std::unexpected(os_error(errno, "address socket"));
  UniqueFd inet6(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));  // may be absent
  UniqueFd route(::socket(AF_ROUTE, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, AF_UNSPEC));
  if (!route) return std::unexpected(os_error(errno, "routing socket"));
  unsigned int filter = 0;
  for (int type : {RTM_IFINFO, RTM_IFANNOUNCE, RTM_NEWADDR, RTM_DELADDR, RTM_DESYNC})
    filter |= 1U << type;
  if (::setsockopt(route.get(), AF_ROUTE, ROUTE_MSGFILTER, &filter, sizeof filter) != 0)
    return std::unexpected(os_error(errno, "routing socket filter"));
  return std::make_unique<OpenBsdAddressSystem>(base, std::move(inet), std::move(inet6),
                                                std::move(route));
}

}  // namespace fbf::platform
