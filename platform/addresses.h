#pragma once
// Service addresses on the host: the link they live on, the addresses
// themselves, and events when either changes under fbfd's feet.
//
// Kept small on purpose so that each OS can implement it with its native
// tools: Linux with rtnetlink (libnl-route, platform/linux/addresses_linux.cpp),
// OpenBSD later with ioctl(SIOCIFCREATE/SIOCAIFADDR/SIOCDIFADDR) and a
// routing socket (RTM_IFINFO/RTM_NEWADDR/RTM_DELADDR). The agent only sees
// this interface (agent/service_addresses.*), which also lets its unit tests
// run against a fake.

#include <event2/event.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "platform/ip.h"

namespace fbf::platform {

enum class AddressErrc {
  not_supported,  // e.g. the kernel has no dummy link type
  permission,     // missing CAP_NET_ADMIN (or root)
  not_found,      // no such link
  exists,         // already there
  failed,         // anything else; the message says what
};

struct AddressError {
  AddressErrc code = AddressErrc::failed;
  std::string message;  // complete sentence fragment, names the object
};

template <class T>
using AddressResult = std::expected<T, AddressError>;

struct Link {
  std::uint32_t index = 0;
  std::string name;
  bool up = false;  // administratively up and running (IFF_UP && IFF_RUNNING)
  friend bool operator==(const Link&, const Link&) = default;
};

struct EnsuredLink {
  Link link;
  bool created = false;  // fbfd made it just now (a dummy link, set up)
};

struct InterfaceAddress {
  IpAddress address;
  std::uint8_t prefix_length = 0;
  // Carries fbfd's mark (Linux: IFA_PROTO kFbfAddressProtocol): fbfd added
  // it, possibly in an earlier run that did not stop cleanly.
  bool marked = false;
};

enum class AddOutcome {
  added,            // fbfd added it (with its mark)
  already_present,  // someone else's: leave it alone
};

// Something changed on the host. Events may repeat state already known;
// consumers treat them as "the current state is now X".
struct LinkEvent {
  Link link;
  bool removed = false;
};
struct AddressEvent {
  std::uint32_t link_index = 0;
  InterfaceAddress address;
  bool removed = false;
};
// Events were dropped (Linux: receive buffer overrun) or the watch failed:
// re-read the state.
struct EventsLost {
  std::string why;
};
using NetEvent = std::variant<LinkEvent, AddressEvent, EventsLost>;
using NetEventHandler = std::function<void(const NetEvent&)>;

class AddressSystem {
 public:
  virtual ~AddressSystem() = default;

  // The link called `name`, or nullopt when there is none.
  virtual AddressResult<std::optional<Link>> find_link(const std::string& name) = 0;
  // The link called `name`; when missing, a dummy link created and set up.
  virtual AddressResult<EnsuredLink> ensure_interface(const std::string& name) = 0;
  // Deletes a link fbfd created.
  virtual AddressResult<void> delete_link(const Link& link) = 0;
  // Every address on the link, of both families.
  virtual AddressResult<std::vector<InterfaceAddress>> addresses(std::uint32_t link_index) = 0;
  // Adds `address` as a host address (/32, /128) carrying fbfd's mark, without
  // a prefix route and (IPv6) without duplicate address detection: a service
  // address is anycast by design. An address already on the link, whatever
  // its length, is reported as already_present and left as it is.
  virtual AddressResult<AddOutcome> add_address(std::uint32_t link_index,
                                                const IpAddress& address) = 0;
  // Removes the host address `address`; absent already is not an error.
  virtual AddressResult<void> remove_address(std::uint32_t link_index,
                                             const IpAddress& address) = 0;
  // Starts delivering events through the loop the system was opened on; one
  // handler at a time (a second call replaces the first).
  virtual AddressResult<void> watch(NetEventHandler handler) = 0;
};

// The host's implementation, delivering events on `base`.
AddressResult<std::unique_ptr<AddressSystem>> open_address_system(event_base* base);

}  // namespace fbf::platform
