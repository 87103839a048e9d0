#include "bfd/fsm.h"

namespace fbf::bfd {

std::optional<Transition> on_received_state(State local, State received) {
  using enum State;
  switch (local) {
    case AdminDown:
      return std::nullopt;  // "If bfd.SessionState is AdminDown: Discard the packet"
    case Down:
      switch (received) {
        case Down: return Transition{Init, std::nullopt};
        case Init: return Transition{Up, std::nullopt};
        case Up: return std::nullopt;         // three-way handshake: peer must leave Up first
        case AdminDown: return std::nullopt;  // "If bfd.SessionState is not Down"
      }
      break;
    case Init:
      switch (received) {
        case Init:
        case Up: return Transition{Up, std::nullopt};
        case Down: return std::nullopt;
        case AdminDown:
          return Transition{Down, Diag::NeighborSignaledSessionDown, /*remote_admin_down=*/true};
      }
      break;
    case Up:
      switch (received) {
        case Down: return Transition{Down, Diag::NeighborSignaledSessionDown};
        case Init:
        case Up: return std::nullopt;
        case AdminDown:
          return Transition{Down, Diag::NeighborSignaledSessionDown, /*remote_admin_down=*/true};
      }
      break;
  }
  return std::nullopt;
}

}  // namespace fbf::bfd
