// TCP-MD5 (RFC 2385) the OpenBSD way: the key is not a socket option but a
// pair of Security Associations of type SADB_X_SATYPE_TCPSIGNATURE in the
// kernel's SADB, entered over a PF_KEY socket (RFC 2367); TCP_MD5SIG on the
// socket (tcp(4)) only says "sign and verify with whatever SA matches".
//
// Per neighbor fbfd enters two SAs, one per direction:
//   outbound  src = any (family 0)   dst = neighbor   (our segments to it)
//   inbound   src = neighbor         dst = any        (its segments to us)
// The kernel accepts an address of family 0 for TCPSIGNATURE SAs only, and
// matches it against any local address, so the neighbor's local_address need
// not be known (a passive neighbor's is not known until it connects).
//
// SPIs are derived from the neighbor's address and the direction, in
// 0xfbf00000-0xfbffffff: an SA left behind by an fbfd that did not stop
// cleanly has the same SPI, answers SADB_ADD with EEXIST, and is replaced.
// A normal stop deletes fbfd's SAs (the registry's destructor, at exit).
//
// Fail closed: a key the kernel refuses, a missing PF_KEY socket or a failed
// TCP_MD5SIG is an error; start_connect() then never connects unsigned.
//
// The PF_KEY socket needs root to open and pledge(2) does not allow opening
// one, so open_pfkey_early() runs before the switch to the unprivileged user;
// writing to it later is plain write(2) ("stdio").
//
// UNTESTED: never compiled or run (docs/openbsd.md).
#include <sys/types.h>
#include <sys/socket.h>
#include <net/pfkeyv2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>  // explicit_bzero
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "platform/openbsd/openbsd_detail.h"
#include "platform/tcp.h"

namespace fbf::platform {
namespace {

constexpr std::size_t kMaxKeyLength = 80;  // tcp_signature_tdb_init(): 1..80 octets
constexpr std::uint32_t kSpiBase = 0xfbf00000;
constexpr std::uint32_t kSpiMask = 0x000fffff;
constexpr int kReplyTimeoutMs = 2000;

std::size_t padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

std::string errno_text(int e) { return std::strerror(e); }

// A PF_KEY message under construction: sadb_msg, then extensions, every part
// a multiple of 8 octets long.
class Message {
 public:
  Message(std::uint8_t type, std::uint32_t seq) {
    sadb_msg m{};
    m.sadb_msg_version = PF_KEY_V2;
    m.sadb_msg_type = type;
    m.sadb_msg_satype = SADB_X_SATYPE_TCPSIGNATURE;
    m.sadb_msg_seq = seq;
    m.sadb_msg_pid = static_cast<std::uint32_t>(::getpid());
    append(&m, sizeof m);
  }
  ~Message() { explicit_bzero(bytes_.data(), bytes_.size()); }  // may hold the key
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  void sa(std::uint32_t spi) {
    sadb_sa s{};
    s.sadb_sa_len = sizeof s / 8;
    s.sadb_sa_exttype = SADB_EXT_SA;
    s.sadb_sa_spi = htonl(spi);
    s.sadb_sa_state = SADB_SASTATE_MATURE;  // SADB_ADD refuses anything else
    append(&s, sizeof s);
  }

  // `address` unset: the wildcard, a sockaddr of family 0 whose length is
  // sizeof(struct sockaddr) (the kernel hashes and compares those bytes).
  void address(std::uint16_t exttype, const std::optional<IpAddress>& address) {
    sockaddr_storage ss{};
    std::size_t length = sizeof(sockaddr);
    if (address) {
      length = openbsd_detail::to_sockaddr(Endpoint{*address, 0, 0}, ss);
    } else {
      reinterpret_cast<sockaddr*>(&ss)->sa_len = sizeof(sockaddr);
    }
    sadb_address a{};
    a.sadb_address_len = static_cast<std::uint16_t>((sizeof a + padded(length)) / 8);
    a.sadb_address_exttype = exttype;
    append(&a, sizeof a);
    append(&ss, length);
  }

  void key(const std::string& key) {
    sadb_key k{};
    k.sadb_key_len = static_cast<std::uint16_t>((sizeof k + padded(key.size())) / 8);
    k.sadb_key_exttype = SADB_EXT_KEY_AUTH;
    k.sadb_key_bits = static_cast<std::uint16_t>(key.size() * 8);
    append(&k, sizeof k);
    append(key.data(), key.size());
  }

  // Sets sadb_msg_len; the bytes to write(2).
  std::span<const std::uint8_t> finish() {
    auto* m = reinterpret_cast<sadb_msg*>(bytes_.data());
    m->sadb_msg_len = static_cast<std::uint16_t>(bytes_.size() / 8);
    return bytes_;
  }

 private:
  void append(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
    bytes_.resize(padded(bytes_.size()), 0);
  }
  std::vector<std::uint8_t> bytes_;
};

// The SAs fbfd entered, by neighbor. One per process: every socket of a
// neighbor (listener, outgoing connections) shares them.
class PfKey {
 public:
  ~PfKey() {
    for (const auto& [peer, pair] : installed_) remove_pair(peer, pair);
    if (fd_ >= 0) ::close(fd_);
  }

  void open_early() {
    if (fd_ >= 0) return;
    fd_ = ::socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
    if (fd_ < 0) open_error_ = "PF_KEY socket: " + errno_text(errno);
  }

  std::expected<void, std::string> install(const IpAddress& peer, const std::string& key) {
    if (auto it = installed_.find(peer); it != installed_.end()) {
      if (it->second.key == key) return {};
      remove_pair(peer, it->second);
      installed_.erase(it);
    }
    if (fd_ < 0) {
      // Opening it now would be a pledge(2) violation (the process dies).
      if (openbsd_detail::confined())
        return std::unexpected(open_error_.empty()
                                   ? std::string("PF_KEY socket was not opened before start-up "
                                                 "ended; restart fbfd")
                                   : open_error_);
      open_early();
      if (fd_ < 0) return std::unexpected(open_error_);
    }
    Pair pair{key, 0, 0};
    auto out = add(std::nullopt, peer, spi_seed(peer, 0), key);
    if (!out) return std::unexpected("outbound SA: " + out.error());
    pair.spi_out = *out;
    auto in = add(peer, std::nullopt, spi_seed(peer, 1), key);
    if (!in) {
      remove_one(pair.spi_out, std::nullopt, peer);
      return std::unexpected("inbound SA: " + in.error());
    }
    pair.spi_in = *in;
    installed_.emplace(peer, std::move(pair));
    return {};
  }

  void uninstall(const IpAddress& peer) {
    if (auto it = installed_.find(peer); it != installed_.end()) {
      remove_pair(peer, it->second);
      installed_.erase(it);
    }
  }

 private:
  struct Pair {
    std::string key;
    std::uint32_t spi_out = 0;
    std::uint32_t spi_in = 0;
  };

  static std::uint32_t spi_seed(const IpAddress& peer, std::uint32_t direction) {
    std::uint32_t h = 2166136261u;  // FNV-1a over the address and the direction
    for (auto b : peer.bytes()) h = (h ^ b) * 16777619u;
    h = (h ^ direction) * 16777619u;
    return h;
  }

  bool ours(std::uint32_t spi) const {
    for (const auto& [peer, pair] : installed_)
      if (pair.spi_out == spi || pair.spi_in == spi) return true;
    return false;
  }

  // SADB_ADD; on EEXIST the SA is a leftover of an earlier fbfd (its SPI
  // range is fbfd's, and it is none of this process's): replaced.
  std::expected<std::uint32_t, std::string> add(const std::optional<IpAddress>& src,
                                                const std::optional<IpAddress>& dst,
                                                std::uint32_t seed, const std::string& key) {
    for (std::uint32_t attempt = 0; attempt < 16; ++attempt) {
      const std::uint32_t spi = kSpiBase | ((seed + attempt) & kSpiMask);
      if (ours(spi)) continue;  // another neighbor's inbound SA (shared dst "any")
      int err = send_add(spi, src, dst, key);
      if (err == EEXIST) {
        remove_one(spi, src, dst);
        err = send_add(spi, src, dst, key);
      }
      if (err == 0) return spi;
      return std::unexpected("SADB_ADD: " + errno_text(err));
    }
    return std::unexpected(std::string("no free SPI"));
  }

  int send_add(std::uint32_t spi, const std::optional<IpAddress>& src,
               const std::optional<IpAddress>& dst, const std::string& key) {
    Message m(SADB_ADD, ++seq_);
    m.sa(spi);
    m.address(SADB_EXT_ADDRESS_SRC, src);
    m.address(SADB_EXT_ADDRESS_DST, dst);
    m.key(key);
    return exchange(m, SADB_ADD);
  }

  void remove_one(std::uint32_t spi, const std::optional<IpAddress>& src,
                  const std::optional<IpAddress>& dst) {
    Message m(SADB_DELETE, ++seq_);
    m.sa(spi);
    m.address(SADB_EXT_ADDRESS_SRC, src);
    m.address(SADB_EXT_ADDRESS_DST, dst);
    exchange(m, SADB_DELETE);  // absent already: what we wanted
  }

  void remove_pair(const IpAddress& peer, const Pair& pair) {
    if (fd_ < 0) return;
    remove_one(pair.spi_out, std::nullopt, peer);
    remove_one(pair.spi_in, peer, std::nullopt);
  }

  // Sends `m` and waits for the kernel's answer to it (this pid, this
  // sequence number); returns its errno (0: done). Other processes' messages
  // broadcast to every PF_KEY socket are read and dropped on the way.
  int exchange(Message& m, std::uint8_t type) {
    drain();
    const auto bytes = m.finish();
    const std::uint32_t seq = seq_;
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) return errno;
    if (static_cast<std::size_t>(n) != bytes.size()) return EIO;
    std::vector<std::uint8_t> buffer(16384);
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, kReplyTimeoutMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return ETIMEDOUT;
      const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return errno;
      }
      if (static_cast<std::size_t>(got) < sizeof(sadb_msg)) continue;
      sadb_msg reply;
      std::memcpy(&reply, buffer.data(), sizeof reply);
      if (reply.sadb_msg_pid != static_cast<std::uint32_t>(::getpid()) ||
          reply.sadb_msg_seq != seq || reply.sadb_msg_type != type)
        continue;
      return reply.sadb_msg_errno;
    }
  }

  void drain() {
    std::uint8_t scratch[2048];
    while (::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
    }
  }

  int fd_ = -1;
  std::string open_error_;
  std::uint32_t seq_ = 0;
  std::map<IpAddress, Pair> installed_;
};

PfKey& pfkey() {
  static PfKey instance;
  return instance;
}

}  // namespace

namespace openbsd_detail {
void open_pfkey_early() { pfkey().open_early(); }
}  // namespace openbsd_detail

std::expected<void, TcpError> set_md5_key(int fd, const IpAddress& peer, const std::string& key) {
  if (key.empty()) {
    // No per-peer switch on OpenBSD: without SAs the neighbor is unsigned
    // again; TCP_MD5SIG stays on a shared listener (tcp(4): it then accepts
    // unsigned connections from sources without an SA).
    pfkey().uninstall(peer);
    return {};
  }
  if (key.size() > kMaxKeyLength)
    return std::unexpected(TcpError{EINVAL, "TCP-MD5 key longer than " +
                                                std::to_string(kMaxKeyLength) + " bytes"});
  if (peer.is_v6() && peer.is_link_local())
    return std::unexpected(TcpError{EINVAL, "TCP-MD5 for " + peer.to_string() +
                                                ": link-local neighbors are not supported on "
                                                "OpenBSD (the SA could not name the interface)"});
  if (auto ok = pfkey().install(peer, key); !ok)
    return std::unexpected(TcpError{EPERM, "TCP-MD5 for " + peer.to_string() + ": " + ok.error()});
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &on, sizeof on) != 0)
    return std::unexpected(TcpError{errno, "TCP_MD5SIG for " + peer.to_string() + ": " +
                                               errno_text(errno)});
  return {};
}

}  // namespace fbf::platform
