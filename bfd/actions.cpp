#include "bfd/actions.h"

namespace fbf::bfd {

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::Transmit: return "transmit";
    case TimerKind::Detect: return "detect";
    case TimerKind::EchoTransmit: return "echo_transmit";
    case TimerKind::EchoDetect: return "echo_detect";
  }
  return "unknown";
}

}  // namespace fbf::bfd
