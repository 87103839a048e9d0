#include "bfd/counters.h"

namespace fbf::bfd {

std::string_view to_string(RxDrop d) {
  switch (d) {
    case RxDrop::your_discriminator_mismatch: return "your_discriminator_mismatch";
    case RxDrop::bad_ttl: return "bad_ttl";
    case RxDrop::auth_unexpected: return "auth_unexpected";
    case RxDrop::auth_missing: return "auth_missing";
    case RxDrop::auth_type_mismatch: return "auth_type_mismatch";
    case RxDrop::auth_key_id_mismatch: return "auth_key_id_mismatch";
    case RxDrop::auth_bad_length: return "auth_bad_length";
    case RxDrop::auth_bad_sequence: return "auth_bad_sequence";
    case RxDrop::auth_digest_mismatch: return "auth_digest_mismatch";
    case RxDrop::admin_down: return "admin_down";
    case RxDrop::not_started: return "not_started";
    case RxDrop::echo_inactive: return "echo_inactive";
    case RxDrop::echo_foreign: return "echo_foreign";
    case RxDrop::echo_stale: return "echo_stale";
  }
  return "unknown";
}

}  // namespace fbf::bfd
