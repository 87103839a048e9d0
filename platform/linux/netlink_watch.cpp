#include "platform/linux/netlink_watch.h"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "platform/linux/netlink_messages.h"

namespace fbf::platform::netlink {
namespace {

// Big enough to absorb a burst (a link flap deletes every IPv6 address on it,
// each one a message) between two loop turns; an overrun is still handled.
constexpr int kReceiveBuffer = 1 << 20;

AddressError watch_error(int err, const char* what) {
  return {AddressErrc::failed, std::string("netlink watch: ") + what + ": " + nl_geterror(err)};
}

}  // namespace

void NetlinkWatch::SockDeleter::operator()(nl_sock* s) const { nl_socket_free(s); }

NetlinkWatch::NetlinkWatch(NetEventHandler handler) : handler_(std::move(handler)) {}

NetlinkWatch::~NetlinkWatch() { fd_watch_.reset(); }

AddressResult<std::unique_ptr<NetlinkWatch>> NetlinkWatch::start(event_base* base,
                                                                 NetEventHandler handler) {
  auto watch = std::unique_ptr<NetlinkWatch>(new NetlinkWatch(std::move(handler)));
  watch->sock_.reset(nl_socket_alloc());
  nl_sock* sock = watch->sock_.get();
  if (sock == nullptr) return std::unexpected(watch_error(-NLE_NOMEM, "socket"));
  // Multicast notifications carry no sequence numbers of ours.
  nl_socket_disable_seq_check(sock);
  nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, &NetlinkWatch::on_message, watch.get());
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0)
    return std::unexpected(watch_error(err, "connect"));
  if (int err = nl_socket_add_memberships(sock, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                          RTNLGRP_IPV6_IFADDR, 0);
      err < 0)
    return std::unexpected(watch_error(err, "join link/address groups"));
  if (int err = nl_socket_set_nonblocking(sock); err < 0)
    return std::unexpected(watch_error(err, "non-blocking"));
  if (int err = nl_socket_set_buffer_size(sock, kReceiveBuffer, 0); err < 0)
    return std::unexpected(watch_error(err, "receive buffer"));
  NetlinkWatch* self = watch.get();
  watch->fd_watch_ = std::make_unique<FdWatch>(base, nl_socket_get_fd(sock), EV_READ,
                                               [self](short) { self->on_readable(); });
  return watch;
}

int NetlinkWatch::on_message(nl_msg* msg, void* self) {
  const nlmsghdr* nlh = nlmsg_hdr(msg);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(nlh);
  if (auto ev = parse_message(std::span(bytes, nlh->nlmsg_len)))
    static_cast<NetlinkWatch*>(self)->handler_(*ev);
  return NL_OK;
}

void NetlinkWatch::on_readable() {
  // One receive per readiness; the loop calls again while data is queued.
  const int err = nl_recvmsgs_default(sock_.get());
  if (err >= 0 || err == -NLE_AGAIN) return;
  // ENOBUFS (NLE_NOMEM): the kernel dropped notifications.
  handler_(EventsLost{err == -NLE_NOMEM ? std::string("netlink receive buffer overrun")
                                        : std::string("netlink receive: ") + nl_geterror(err)});
}

}  // namespace fbf::platform::netlink
