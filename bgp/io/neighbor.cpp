#include "bgp/io/neighbor.h"

#include <event2/buffer.h>

#include <cstring>

namespace fbf::bgp::io {

namespace {

std::size_t index(Direction d) { return static_cast<std::size_t>(d); }
std::size_t index(TimerKind k) { return static_cast<std::size_t>(k); }

std::chrono::microseconds until(TimePoint at, TimePoint now) {
  return at > now ? std::chrono::duration_cast<std::chrono::microseconds>(at - now)
                  : std::chrono::microseconds(0);
}

}  // namespace

int Transport::send_ttl() const {
  if (ttl_security) return 255;
  if (multihop) return *multihop;
  // eBGP peers are directly connected unless multihop is set (RFC 4271 §5.1.3
  // practice); iBGP peers may be anywhere in the AS.
  return ibgp ? 255 : 1;
}

int Transport::min_ttl() const {
  if (!ttl_security) return 0;
  const int hops = multihop ? *multihop : 1;
  return 256 - hops;
}

Neighbor::Neighbor(event_base* base, SessionConfig config, Transport transport, Random& random,
                   AgentCallback on_agent_action)
    : base_(base),
      transport_(std::move(transport)),
      session_(std::move(config), random),
      on_agent_action_(std::move(on_agent_action)),
      callback_args_{CallbackArg{this, Direction::outbound}, CallbackArg{this, Direction::inbound}} {
  for (std::size_t k = 0; k < timers_.size(); ++k) {
    const auto kind = static_cast<TimerKind>(k);
    timers_[k] = std::make_unique<platform::Timer>(base_, [this, kind] {
      execute(session_.on_timer(Clock::now(), kind));
    });
  }
}

Neighbor::~Neighbor() {
  free_connection(Direction::outbound);
  free_connection(Direction::inbound);
}

void Neighbor::start() { execute(session_.start(Clock::now())); }

void Neighbor::stop(CeaseSubcode subcode, std::string_view message) {
  execute(session_.stop(Clock::now(), subcode, message));
}

void Neighbor::reset(CeaseSubcode subcode, std::string_view message) {
  execute(session_.reset(Clock::now(), subcode, message));
}

void Neighbor::peer_alive(std::string_view why) {
  execute(session_.peer_alive(Clock::now(), why));
}

void Neighbor::send_updates(std::span<const std::vector<std::uint8_t>> messages) {
  if (messages.empty()) return;
  execute(session_.send_updates(Clock::now(), messages));
}

bool Neighbor::has_connections() const {
  return connections_[0].bev != nullptr || connections_[1].bev != nullptr || connecting_fd_;
}

ConnectionInfo Neighbor::info_of(int fd) {
  ConnectionInfo info;
  if (auto local = platform::tcp_local_endpoint(fd)) info.local = local->address;
  if (auto remote = platform::tcp_peer_endpoint(fd)) info.remote = remote->address;
  return info;
}

void Neighbor::connect() {
  platform::TcpOptions o{.family = transport_.address.family(),
                         .bind_address = transport_.local_address,
                         .ttl = transport_.send_ttl(),
                         .min_ttl = transport_.min_ttl()};
  auto fd = platform::start_connect(o, {transport_.address, transport_.port}, transport_.password);
  if (!fd) {
    // Includes a TCP-MD5 key the kernel refused: fail closed, retry later.
    last_socket_error_ = fd.error().what;
    execute(session_.on_connect_failed(Clock::now()));
    return;
  }
  connecting_fd_ = std::move(*fd);
  connecting_watch_ = std::make_unique<platform::FdWatch>(base_, connecting_fd_.get(), EV_WRITE,
                                                          [this](short) { on_connect_ready(); });
}

void Neighbor::on_connect_ready() {
  connecting_watch_.reset();
  platform::UniqueFd fd = std::move(connecting_fd_);
  if (auto ok = platform::connect_result(fd.get()); !ok) {
    last_socket_error_ = ok.error().what;
    execute(session_.on_connect_failed(Clock::now()));
    return;
  }
  const ConnectionInfo info = info_of(fd.get());
  attach(Direction::outbound, std::move(fd));
  execute(session_.on_connected(Clock::now(), Direction::outbound, info));
}

void Neighbor::adopt(platform::UniqueFd fd) {
  if (!session_.accepts(Direction::inbound) || connections_[index(Direction::inbound)].bev) {
    return;  // fd closes here: Idle refuses connections (RFC 4271 §8.2.2)
  }
  if (auto ok = platform::set_ttl(fd.get(), transport_.address.family(), transport_.send_ttl(),
                                  transport_.min_ttl());
      !ok) {
    last_socket_error_ = ok.error().what;
    return;
  }
  const ConnectionInfo info = info_of(fd.get());
  attach(Direction::inbound, std::move(fd));
  execute(session_.on_connected(Clock::now(), Direction::inbound, info));
}

void Neighbor::attach(Direction d, platform::UniqueFd fd) {
  Connection& c = connections_[index(d)];
  c.bev = bufferevent_socket_new(base_, fd.release(), BEV_OPT_CLOSE_ON_FREE);
  c.closing = false;
  CallbackArg* arg = &callback_args_[index(d)];
  bufferevent_setcb(
      c.bev,
      [](bufferevent*, void* p) {
        auto* a = static_cast<CallbackArg*>(p);
        a->self->on_read(a->direction);
      },
      [](bufferevent*, void* p) {
        auto* a = static_cast<CallbackArg*>(p);
        a->self->on_drained(a->direction);
      },
      [](bufferevent*, short what, void* p) {
        auto* a = static_cast<CallbackArg*>(p);
        a->self->on_event(a->direction, what);
      },
      arg);
  bufferevent_set_max_single_read(c.bev, kMaxSingleRead);
  bufferevent_enable(c.bev, EV_READ | EV_WRITE);
}

void Neighbor::on_read(Direction d) {
  // Feed the input to the session chunk by chunk, straight from libevent's
  // buffers (no copy of whole messages); the FSM keeps only a split message.
  for (;;) {
    Connection& c = connections_[index(d)];
    if (c.bev == nullptr || c.closing) return;
    evbuffer* in = bufferevent_get_input(c.bev);
    evbuffer_iovec vec[8];
    const int n = evbuffer_peek(in, -1, nullptr, vec, 8);
    if (n <= 0) return;
    std::size_t fed = 0;
    for (int i = 0; i < n && i < 8; ++i) {
      Bytes chunk(static_cast<const std::uint8_t*>(vec[i].iov_base), vec[i].iov_len);
      Actions actions = session_.on_bytes(Clock::now(), d, chunk);
      fed += vec[i].iov_len;
      execute(actions);
      if (connections_[index(d)].bev != c.bev || c.closing) {
        return;  // the connection was closed while handling its input
      }
    }
    evbuffer_drain(in, fed);
  }
}

void Neighbor::on_event(Direction d, short what) {
  (void)what;  // EOF, error, or timeout: the connection is gone
  free_connection(d);
  execute(session_.on_closed(Clock::now(), d));
}

void Neighbor::on_drained(Direction d) {
  if (connections_[index(d)].closing) free_connection(d);
}

void Neighbor::free_connection(Direction d) {
  Connection& c = connections_[index(d)];
  if (c.bev != nullptr) {
    bufferevent_free(c.bev);
    c.bev = nullptr;
  }
  c.closing = false;
}

void Neighbor::execute(const Actions& actions) {
  const TimePoint now = Clock::now();
  for (const Action& action : actions) {
    if (std::holds_alternative<Connect>(action)) {
      connect();
    } else if (const auto* dc = std::get_if<Disconnect>(&action)) {
      if (dc->connection == Direction::outbound && connecting_fd_) {
        connecting_watch_.reset();
        connecting_fd_.reset();
      }
      Connection& c = connections_[index(dc->connection)];
      if (c.bev == nullptr) continue;
      if (evbuffer_get_length(bufferevent_get_output(c.bev)) == 0) {
        free_connection(dc->connection);
      } else {
        // Let the NOTIFICATION go out first, but not forever.
        c.closing = true;
        bufferevent_disable(c.bev, EV_READ);
        const timeval flush_limit{2, 0};
        bufferevent_set_timeouts(c.bev, nullptr, &flush_limit);
      }
    } else if (const auto* r = std::get_if<Refuse>(&action)) {
      free_connection(r->connection);
    } else if (const auto* s = std::get_if<Send>(&action)) {
      Connection& c = connections_[index(s->connection)];
      if (c.bev == nullptr) continue;
      bufferevent_write(c.bev, s->bytes.data(), s->bytes.size());
      if (evbuffer_get_length(bufferevent_get_output(c.bev)) > kMaxPendingOutput) {
        last_socket_error_ = "peer stopped reading; output buffer over limit";
        free_connection(s->connection);
        execute(session_.on_closed(now, s->connection));
        return;
      }
    } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
      timers_[index(a->kind)]->arm(until(a->at, now));
    } else if (const auto* ct = std::get_if<CancelTimer>(&action)) {
      timers_[index(ct->kind)]->cancel();
    } else if (on_agent_action_) {
      on_agent_action_(action);
    }
  }
}

}  // namespace fbf::bgp::io
