// platform::AddressSystem over rtnetlink with libnl-route: rtnl_link for the
// service interface, rtnl_addr for the addresses, a dump for the current
// addresses (read by netlink_messages so that IFA_PROTO, which rtnl_addr does
// not expose, is seen). Requests are synchronous on their own socket: they
// run at start, reload and stop, and after a link event — never on a hot path.
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include "platform/addresses.h"
#include "platform/linux/netlink_messages.h"
#include "platform/linux/netlink_watch.h"

namespace fbf::platform {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct MsgDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct CbDeleter {
  void operator()(nl_cb* c) const { nl_cb_put(c); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;

AddressErrc code_of(int err) {
  switch (-err) {
    case NLE_OPNOTSUPP:
      return AddressErrc::not_supported;
    case NLE_PERM:
    case NLE_NOACCESS:
      return AddressErrc::permission;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      return AddressErrc::not_found;
    case NLE_EXIST:
      return AddressErrc::exists;
    default:
      return AddressErrc::failed;
  }
}

AddressError nl_error(int err, const std::string& what) {
  std::string message = what + ": " + nl_geterror(err);
  if (code_of(err) == AddressErrc::permission) message += " (fbfd needs CAP_NET_ADMIN)";
  return {code_of(err), std::move(message)};
}

Link link_of(rtnl_link* l) {
  return {static_cast<std::uint32_t>(rtnl_link_get_ifindex(l)), rtnl_link_get_name(l),
          netlink::link_up(rtnl_link_get_flags(l))};
}

std::string text_of(const IpAddress& a) {
  return a.to_string() + "/" + (a.is_v4() ? "32" : "128");
}

// A host-length rtnl_addr for `address` on link `index`.
AddressResult<AddrPtr> host_addr(std::uint32_t index, const IpAddress& address) {
  const int family = address.is_v4() ? AF_INET : AF_INET6;
  const auto bytes = address.bytes();
  std::unique_ptr<nl_addr, NlAddrDeleter> local(
      nl_addr_build(family, bytes.data(), static_cast<unsigned>(bytes.size())));
  AddrPtr addr(rtnl_addr_alloc());
  if (!local || !addr) return std::unexpected(nl_error(-NLE_NOMEM, text_of(address)));
  const int length = address.is_v4() ? 32 : 128;
  nl_addr_set_prefixlen(local.get(), length);
  rtnl_addr_set_ifindex(addr.get(), static_cast<int>(index));
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
    return std::unexpected(nl_error(err, text_of(address)));
  rtnl_addr_set_prefixlen(addr.get(), length);
  return addr;
}

class LinuxAddressSystem final : public AddressSystem {
 public:
  LinuxAddressSystem(event_base* base, nl_sock* sock) : base_(base), sock_(sock) {}

  AddressResult<std::optional<Link>> find_link(const std::string& name) override {
    rtnl_link* raw = nullptr;
    const int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
    LinkPtr link(raw);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return std::nullopt;
    if (err < 0) return std::unexpected(nl_error(err, "interface " + name));
    return link_of(link.get());
  }

  AddressResult<EnsuredLink> ensure_interface(const std::string& name) override {
    auto found = find_link(name);
    if (!found) return std::unexpected(found.error());
    if (*found) return EnsuredLink{**found, false};
    LinkPtr link(rtnl_link_alloc());
    if (!link) return std::unexpected(nl_error(-NLE_NOMEM, "interface " + name));
    rtnl_link_set_name(link.get(), name.c_str());
    if (int err = rtnl_link_set_type(link.get(), "dummy"); err < 0)
      return std::unexpected(nl_error(err, "cannot create dummy link " + name));
    rtnl_link_set_flags(link.get(), IFF_UP);
    const int err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err == -NLE_OPNOTSUPP) {
      // The kernel answers "Unknown device type" when neither the dummy
      // driver is built in nor its module can be loaded.
      return std::unexpected(AddressError{
          AddressErrc::not_supported,
          "cannot create dummy link " + name + ": the kernel has no dummy link type (" +
              nl_geterror(err) + "; CONFIG_DUMMY not built or module 'dummy' not loadable)"});
    }
    if (err < 0 && err != -NLE_EXIST)
      return std::unexpected(nl_error(err, "cannot create dummy link " + name));
    auto now = find_link(name);
    if (!now) return std::unexpected(now.error());
    if (!*now)
      return std::unexpected(AddressError{AddressErrc::failed,
                                          "dummy link " + name + " vanished right after creation"});
    return EnsuredLink{**now, err == 0};
  }

  AddressResult<void> delete_link(const Link& l) override {
    LinkPtr link(rtnl_link_alloc());
    if (!link) return std::unexpected(nl_error(-NLE_NOMEM, "interface " + l.name));
    rtnl_link_set_ifindex(link.get(), static_cast<int>(l.index));
    const int err = rtnl_link_delete(sock_.get(), link.get());
    if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
      return std::unexpected(nl_error(err, "cannot delete link " + l.name));
    return {};
  }

  AddressResult<std::vector<InterfaceAddress>> addresses(std::uint32_t index) override {
    ifaddrmsg request{};
    request.ifa_family = AF_UNSPEC;
    if (int err = nl_send_simple(sock_.get(), RTM_GETADDR, NLM_F_DUMP, &request, sizeof request);
        err < 0)
      return std::unexpected(nl_error(err, "address dump"));
    struct Dump {
      std::uint32_t index;
      std::vector<InterfaceAddress> out;
    } dump{index, {}};
    // nl_socket_get_cb() takes a reference on the socket's callbacks: drop it
    // once cloned, or they outlive nl_socket_free() (LeakSanitizer, lab).
    std::unique_ptr<nl_cb, CbDeleter> sock_cb(nl_socket_get_cb(sock_.get()));
    std::unique_ptr<nl_cb, CbDeleter> cb(nl_cb_clone(sock_cb.get()));
    if (!cb) return std::unexpected(nl_error(-NLE_NOMEM, "address dump"));
    nl_cb_set(
        cb.get(), NL_CB_VALID, NL_CB_CUSTOM,
        [](nl_msg* msg, void* arg) -> int {
          auto* d = static_cast<Dump*>(arg);
          const nlmsghdr* nlh = nlmsg_hdr(msg);
          auto ev = netlink::parse_message(
              std::span(reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len));
          if (ev)
            if (const auto* a = std::get_if<AddressEvent>(&*ev); a && a->link_index == d->index)
              d->out.push_back(a->address);
          return NL_OK;
        },
        &dump);
    if (int err = nl_recvmsgs(sock_.get(), cb.get()); err < 0)
      return std::unexpected(nl_error(err, "address dump"));
    return std::move(dump.out);
  }

  AddressResult<AddOutcome> add_address(std::uint32_t index, const IpAddress& address) override {
    auto present = addresses(index);
    if (!present) return std::unexpected(present.error());
    for (const auto& a : *present)
      if (a.address == address) return AddOutcome::already_present;
    auto addr = host_addr(index, address);
    if (!addr) return std::unexpected(addr.error());
    if (address.is_v6()) {
      // No DAD: the address is anycast by design, and a tentative address
      // would not be usable for a second or so. No prefix route: the route
      // to it is the router's business (a /128 has none anyway).
      rtnl_addr_set_flags(addr->get(), IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
    }
    nl_msg* raw = nullptr;
    if (int err = rtnl_addr_build_add_request(addr->get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
        err < 0)
      return std::unexpected(nl_error(err, "cannot add " + text_of(address)));
    std::unique_ptr<nl_msg, MsgDeleter> msg(raw);
    if (int err = nla_put_u8(msg.get(), IFA_PROTO, netlink::kFbfAddressProtocol); err < 0)
      return std::unexpected(nl_error(err, "cannot add " + text_of(address)));
    int err = nl_send_auto(sock_.get(), msg.get());
    if (err >= 0) err = nl_wait_for_ack(sock_.get());
    if (err == -NLE_EXIST) return AddOutcome::already_present;  // raced with someone
    if (err < 0) return std::unexpected(nl_error(err, "cannot add " + text_of(address)));
    return AddOutcome::added;
  }

  AddressResult<void> remove_address(std::uint32_t index, const IpAddress& address) override {
    auto addr = host_addr(index, address);
    if (!addr) return std::unexpected(addr.error());
    const int err = rtnl_addr_delete(sock_.get(), addr->get(), 0);
    // Gone already (or its link is): what we wanted.
    if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return {};
    if (err < 0) return std::unexpected(nl_error(err, "cannot remove " + text_of(address)));
    return {};
  }

  AddressResult<void> watch(NetEventHandler handler) override {
    watch_.reset();
    auto w = netlink::NetlinkWatch::start(base_, std::move(handler));
    if (!w) return std::unexpected(w.error());
    watch_ = std::move(*w);
    return {};
  }

 private:
  event_base* base_;
  std::unique_ptr<nl_sock, SockDeleter> sock_;
  std::unique_ptr<netlink::NetlinkWatch> watch_;
};

}  // namespace

AddressResult<std::unique_ptr<AddressSystem>> open_address_system(event_base* base) {
  std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
  if (!sock) return std::unexpected(nl_error(-NLE_NOMEM, "rtnetlink"));
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    return std::unexpected(nl_error(err, "rtnetlink"));
  return std::make_unique<LinuxAddressSystem>(base, sock.release());
}

}  // namespace fbf::platform
