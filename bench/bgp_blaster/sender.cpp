#include "bench/bgp_blaster/sender.h"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "bgp/message.h"
#include "platform/tcp.h"

namespace fbf::bench {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int poll_ms(double seconds) {
  return static_cast<int>(std::clamp(seconds * 1000.0, 0.0, 1000.0)) + (seconds > 0 ? 1 : 0);
}

// Bytes the kernel still holds for the peer (unsent plus unacknowledged).
int unacked(int fd) {
  int n = 0;
  return ioctl(fd, SIOCOUTQ, &n) == 0 ? n : 0;
}

bool signalled(int signal_fd) {
  if (signal_fd < 0) return false;
  pollfd p{signal_fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

// One connection: an output queue (the control messages, then the table)
// and an input buffer cut into messages.
class Connection {
 public:
  explicit Connection(platform::UniqueFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }
  bool closed() const { return closed_; }
  const std::string& error() const { return error_; }

  void queue(const std::vector<std::uint8_t>& bytes) {
    control_.insert(control_.end(), bytes.begin(), bytes.end());
  }
  void set_table(const std::vector<std::uint8_t>* table) { table_ = table; }
  bool table_pending() const { return table_ != nullptr && table_off_ < table_->size(); }
  bool output_pending() const { return control_off_ < control_.size() || table_pending(); }
  std::uint64_t table_written() const { return table_off_; }

  // Writes what the kernel takes; control messages first (they are only
  // queued between whole table writes, so they never split an UPDATE: see
  // run_sender, which queues KEEPALIVEs only when the table is done).
  void flush() {
    while (control_off_ < control_.size()) {
      if (!write_some(control_, control_off_)) return;
    }
    control_.clear();
    control_off_ = 0;
    while (table_pending()) {
      if (!write_some(*table_, table_off_)) return;
    }
  }

  // Reads what is there; false once the peer closed or the socket failed.
  bool fill() {
    std::uint8_t buf[65536];
    for (;;) {
      ssize_t n = recv(fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        in_.insert(in_.end(), buf, buf + n);
        continue;
      }
      if (n == 0) return fail("peer closed the connection");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return fail(std::string("recv: ") + std::strerror(errno));
    }
  }

  // The next whole message in the input, or nullopt. Framing errors close.
  std::optional<std::vector<std::uint8_t>> next_message() {
    auto h = bgp::peek_header(bgp::Bytes(in_).subspan(in_off_));
    if (!h) {
      fail("bad message header from the peer");
      return std::nullopt;
    }
    if (!*h || in_.size() - in_off_ < (*h)->length) {
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_off_));
      in_off_ = 0;
      return std::nullopt;
    }
    auto begin = in_.begin() + static_cast<std::ptrdiff_t>(in_off_);
    std::vector<std::uint8_t> m(begin, begin + (*h)->length);
    in_off_ += (*h)->length;
    return m;
  }

 private:
  bool write_some(const std::vector<std::uint8_t>& buf, std::size_t& off) {
    ssize_t n = send(fd(), buf.data() + off, buf.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      return true;
    }
    if (n < 0 && errno == EINTR) return true;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    return fail(std::string("send: ") + std::strerror(errno));
  }
  bool fail(std::string why) {
    if (!closed_) error_ = std::move(why);
    closed_ = true;
    return false;
  }

  platform::UniqueFd fd_;
  std::vector<std::uint8_t> control_;
  std::size_t control_off_ = 0;
  const std::vector<std::uint8_t>* table_ = nullptr;
  std::size_t table_off_ = 0;
  std::vector<std::uint8_t> in_;
  std::size_t in_off_ = 0;
  bool closed_ = false;
  std::string error_;
};

std::expected<platform::UniqueFd, std::string> connect_to(const SendOptions& o, int signal_fd) {
  platform::TcpOptions t{.family = o.peer.address.family(),
                         .bind_address = o.bind_address,
                         .ttl = 1};  // a directly connected eBGP neighbor
  auto fd = platform::start_connect(t, o.peer, "");
  if (!fd) return std::unexpected(fd.error().what);
  pollfd p[2] = {{fd->get(), POLLOUT, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    int n = poll(p, signal_fd >= 0 ? 2 : 1, 10'000);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::unexpected(std::string("connect: timed out"));
    if (signal_fd >= 0 && (p[1].revents & POLLIN)) return std::unexpected(std::string("signalled"));
    break;
  }
  if (auto ok = platform::connect_result(fd->get()); !ok) return std::unexpected(ok.error().what);
  return std::move(*fd);
}

void wait_acked(int fd, SendReport& r) {
  // The kernel took every byte; now wait for the receiver's kernel to ACK them.
  while (unacked(fd) > 0) {
    pollfd p{fd, 0, 0};
    poll(&p, 1, 1);
  }
  r.t_acked = now();
}

SendReport run_raw(Connection& c, const std::vector<std::uint8_t>& table, SendReport r) {
  c.set_table(&table);
  r.t_first_byte = now();
  while (c.table_pending() && !c.closed()) {
    c.flush();
    if (c.table_pending()) {
      pollfd p{c.fd(), POLLOUT, 0};
      poll(&p, 1, 1000);
    }
  }
  r.t_last_write = now();
  r.bytes_sent = c.table_written();
  if (c.closed()) {
    r.outcome = "error: " + c.error();
    return r;
  }
  wait_acked(c.fd(), r);
  r.outcome = "done";
  r.t_end = now();
  return r;
}

}  // namespace

SendReport run_sender(const SendOptions& o, const std::vector<std::uint8_t>& table,
                      int signal_fd) {
  SendReport r;
  auto fd = connect_to(o, signal_fd);
  if (!fd) {
    r.outcome = "error: " + fd.error();
    return r;
  }
  r.t_connected = now();
  Connection c(std::move(*fd));
  if (o.raw) return run_raw(c, table, r);

  bgp::Capabilities caps;
  caps.multiprotocol = {bgp::kIpv4Unicast, bgp::kIpv6Unicast};
  caps.route_refresh = true;
  caps.four_octet_as = o.local_as;
  c.queue(bgp::encode_open(bgp::make_open(o.local_as, o.hold_time, o.router_id, caps)));
  c.flush();

  enum class Phase { open_sent, open_confirm, established } phase = Phase::open_sent;
  double last_rx = 0;
  double next_keepalive = 0;
  double keepalive_interval = 0;
  bool table_done = false;
  auto finish = [&](std::string outcome) {
    r.outcome = std::move(outcome);
    r.t_end = now();
    r.bytes_sent = c.table_written();
    return r;
  };
  auto notify = [&](bgp::Notification n) {
    // In the middle of the table the stream is cut mid-UPDATE: just close.
    if (c.table_pending()) return;
    c.queue(bgp::encode_notification(n));
    c.flush();
  };

  for (;;) {
    const double t = now();
    // Timers: our KEEPALIVEs (only between whole writes: after the table,
    // whose UPDATEs restart the peer's hold timer, RFC 4271 §4.4), the
    // peer's silence, linger, the table's acknowledgement.
    if (phase == Phase::established) {
      if (!table_done && !c.table_pending()) {
        table_done = true;
        r.t_last_write = t;
        next_keepalive = t;  // the UPDATE stream was our last message
      }
      if (table_done && r.t_acked == 0 && unacked(c.fd()) == 0) r.t_acked = now();
      if (table_done && keepalive_interval > 0 && now() >= next_keepalive) {
        c.queue(bgp::encode_keepalive());
        ++r.keepalives_sent;
        next_keepalive = now() + keepalive_interval;
      }
      r.max_rx_gap = std::max(r.max_rx_gap, now() - last_rx);
      if (r.hold_time > 0 && now() - last_rx > r.hold_time) {
        r.hold_expired = true;
        if (o.enforce_hold) {
          notify(bgp::make_notification(bgp::ErrorCode::hold_timer_expired, 0));
          return finish("hold expired");
        }
      }
      if (r.t_acked > 0 && o.linger_seconds && now() - r.t_acked >= *o.linger_seconds) {
        notify(bgp::make_cease(bgp::CeaseSubcode::administrative_shutdown));
        return finish("done");
      }
    }
    if (signalled(signal_fd)) {
      notify(bgp::make_cease(bgp::CeaseSubcode::administrative_shutdown));
      return finish(phase == Phase::established && table_done ? "done" : "signalled");
    }
    c.flush();
    if (c.closed()) return finish("closed: " + c.error());
    // The last table byte just went out: record it before sleeping.
    if (phase == Phase::established && !table_done && !c.table_pending()) continue;

    pollfd p[2] = {{c.fd(), static_cast<short>(POLLIN | (c.output_pending() ? POLLOUT : 0)), 0},
                   {signal_fd, POLLIN, 0}};
    double wait = 1.0;
    if (phase == Phase::established && table_done) {
      wait = std::min(wait, r.t_acked == 0 ? 0.001 : next_keepalive - now());
      if (r.hold_time > 0) wait = std::min(wait, last_rx + r.hold_time - now());
    }
    int n = poll(p, signal_fd >= 0 ? 2 : 1, poll_ms(wait));
    if (n < 0 && errno != EINTR) return finish(std::string("error: poll: ") + std::strerror(errno));
    if (n <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;

    const bool open = c.fill();
    while (auto m = c.next_message()) {
      const double at = now();
      if (phase == Phase::established) r.max_rx_gap = std::max(r.max_rx_gap, at - last_rx);
      last_rx = at;
      auto msg = bgp::decode_message(*m);
      if (!msg) {
        notify(bgp::to_notification(msg.error()));
        return finish("error: bad message from the peer: " + std::string(msg.error().rule));
      }
      if (auto* open_msg = std::get_if<bgp::OpenMessage>(&*msg)) {
        if (phase != Phase::open_sent) return finish("error: unexpected OPEN");
        r.peer_hold_time = open_msg->hold_time;
        r.hold_time = std::min(o.hold_time, open_msg->hold_time);  // RFC 4271 §4.2
        keepalive_interval = r.hold_time / 3.0;
        c.queue(bgp::encode_keepalive());
        phase = Phase::open_confirm;
      } else if (std::holds_alternative<bgp::Keepalive>(*msg)) {
        ++r.keepalives_received;
        if (phase == Phase::open_confirm) {
          // Established: the whole table goes out now.
          phase = Phase::established;
          r.t_established = r.t_first_byte = at;
          c.set_table(&table);
        }
      } else if (auto* notification = std::get_if<bgp::Notification>(&*msg)) {
        r.notification = std::to_string(notification->code) + "/" +
                         std::to_string(notification->subcode);
        return finish("notification");
      } else if (std::holds_alternative<bgp::UpdateMessage>(*msg)) {
        ++r.updates_received;
      }
    }
    if (!open || c.closed()) return finish("closed: " + c.error());
  }
}

SinkReport run_sink(const platform::Endpoint& where) {
  SinkReport r;
  auto lfd = platform::listen_tcp(
      {.family = where.address.family(), .bind_address = where.address, .bind_port = where.port,
       .ttl = 64},
      1);
  if (!lfd) {
    r.error = lfd.error().what;
    return r;
  }
  pollfd p{lfd->get(), POLLIN, 0};
  if (poll(&p, 1, 60'000) != 1) {
    r.error = "no connection within 60 s";
    return r;
  }
  auto got = platform::accept_tcp(lfd->get());
  if (!got || !*got) {
    r.error = got ? "accept: nothing queued" : got.error().what;
    return r;
  }
  platform::UniqueFd fd = std::move((*got)->first);
  std::vector<std::uint8_t> buf(1 << 20);
  for (;;) {
    ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
      if (r.bytes == 0) r.t_first = now();
      r.bytes += static_cast<std::uint64_t>(n);
      r.t_last = now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd in{fd.get(), POLLIN, 0};
      poll(&in, 1, 1000);
      continue;
    }
    if (n < 0) r.error = std::string("recv: ") + std::strerror(errno);
    return r;
  }
}

}  // namespace fbf::bench
