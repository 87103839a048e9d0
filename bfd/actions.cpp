#include "bfd/actions.h"

namespace fbf::bfd {

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::Transmit: return "transmit";
    case TimerKind::Detect: return "detect";
  }
  return "unknown";
}

}  // namespace fbf::bfd
