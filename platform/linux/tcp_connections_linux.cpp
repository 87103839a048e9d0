// inet_diag (sock_diag(7)) through libnl-idiag: dumps of the sockets in
// TCP_ESTABLISHED, filtered here by local address. Called a few times a
// second while a drain with `drain_connections` runs, never on a hot path,
// so a short blocking netlink round trip is fine.
//
// Two libnl-idiag facts shape this code (seen on Debian 12's libnl 3.7):
// addresses come back as 16-byte nl_addrs whatever the socket's family (an
// IPv4 address is the first 4 bytes), and a dump asked for one family may
// return sockets of both — so each socket is read by its own family and
// counted once, by its 4-tuple.
#include <netinet/tcp.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/idiag/idiagnl.h>
#include <netlink/idiag/msg.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <tuple>

#include "platform/tcp_connections.h"

namespace fbf::platform {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

std::optional<IpAddress> address_of(nl_addr* a, std::uint8_t family) {
  if (a == nullptr) return std::nullopt;
  const auto* raw = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
  const std::size_t len = nl_addr_get_len(a);
  if (family == AF_INET && len >= 4) return IpAddress::from_bytes(std::span(raw, 4));
  if (family != AF_INET6 || len != 16) return std::nullopt;
  // IPv4-mapped IPv6 (RFC 4291 §2.5.5.2): a v4 client on a dual-stack socket.
  static constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), raw))
    return IpAddress::from_bytes(std::span(raw + 12, 4));
  return IpAddress::from_bytes(std::span(raw, 16));
}

}  // namespace

std::expected<std::uint64_t, std::string> count_established_tcp(
    std::span<const Prefix> local_prefixes) {
  if (local_prefixes.empty()) return 0;
  std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
  if (!sock) return std::unexpected("inet_diag: out of memory");
  if (int err = idiagnl_connect(sock.get()); err < 0)
    return std::unexpected(std::string("inet_diag: ") + nl_geterror(err));
  using FourTuple = std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>;
  std::set<FourTuple> counted;
  for (int family : {AF_INET, AF_INET6}) {
    nl_cache* raw = nullptr;
    if (int err = idiagnl_msg_alloc_cache(sock.get(), family, 1 << TCP_ESTABLISHED, &raw); err < 0)
      return std::unexpected(std::string("inet_diag dump: ") + nl_geterror(err));
    std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
    for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
      auto* msg = reinterpret_cast<idiagnl_msg*>(o);
      const std::uint8_t fam = idiagnl_msg_get_family(msg);
      auto local = address_of(idiagnl_msg_get_src(msg), fam);
      auto remote = address_of(idiagnl_msg_get_dst(msg), fam);
      if (!local || !remote ||
          std::none_of(local_prefixes.begin(), local_prefixes.end(),
                       [&](const Prefix& p) { return p.contains(*local); }))
        continue;
      counted.emplace(local->to_string(), idiagnl_msg_get_sport(msg), remote->to_string(),
                      idiagnl_msg_get_dport(msg));
    }
  }
  return counted.size();
}

}  // namespace fbf::platform
