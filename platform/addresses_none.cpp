// Systems without an implementation yet (OpenBSD's ioctl + routing socket
// one is to come): managing service addresses reports that it cannot.
#include "platform/addresses.h"

namespace fbf::platform {

AddressResult<std::unique_ptr<AddressSystem>> open_address_system(event_base*) {
  return std::unexpected(AddressError{AddressErrc::not_supported,
                                      "managing service addresses is not implemented on this "
                                      "system; set manage_addresses = false"});
}

}  // namespace fbf::platform
