// What every system's privilege code shares (the switching itself is per
// system: platform/linux/privileges_linux.cpp, platform/privileges_none.cpp).
#include "platform/privileges.h"

namespace fbf::platform {

std::string_view to_string(Capability c) {
  switch (c) {
    case Capability::net_admin:
      return "CAP_NET_ADMIN";
    case Capability::net_bind_service:
      return "CAP_NET_BIND_SERVICE";
    case Capability::net_raw:
      return "CAP_NET_RAW";
  }
  return "?";
}

}  // namespace fbf::platform
