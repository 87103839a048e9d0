#pragma once
// A netlink socket subscribed to link and address changes (RTNLGRP_LINK,
// RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR), read on the event loop. Each
// message becomes a platform::NetEvent; a receive overrun (ENOBUFS: the
// kernel dropped messages) becomes EventsLost so the consumer re-reads.

#include <memory>

#include "platform/addresses.h"
#include "platform/event.h"

struct nl_sock;
struct nl_msg;

namespace fbf::platform::netlink {

class NetlinkWatch {
 public:
  static AddressResult<std::unique_ptr<NetlinkWatch>> start(event_base* base,
                                                            NetEventHandler handler);
  ~NetlinkWatch();
  NetlinkWatch(const NetlinkWatch&) = delete;
  NetlinkWatch& operator=(const NetlinkWatch&) = delete;

 private:
  struct SockDeleter {
    void operator()(nl_sock* s) const;
  };
  explicit NetlinkWatch(NetEventHandler handler);
  static int on_message(nl_msg* msg, void* self);
  void on_readable();

  NetEventHandler handler_;
  std::unique_ptr<nl_sock, SockDeleter> sock_;
  std::unique_ptr<FdWatch> fd_watch_;  // declared last: removed from the loop first
};

}  // namespace fbf::platform::netlink
