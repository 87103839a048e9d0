#include "agent/bfd_coupling.h"

namespace fbf::agent {

BfdCouplingStep bfd_coupling_step(const bfd::StateChanged& change, const BfdCouplingState& state) {
  if (change.to == bfd::State::Up) {
    if (state.held_for_bfd) {
      return state.held_for_maintenance ? BfdCouplingStep::nothing : BfdCouplingStep::start_session;
    }
    return state.grace_pending ? BfdCouplingStep::back_up : BfdCouplingStep::nothing;
  }
  if (!change.is_failure() || state.held_for_maintenance) {
    return BfdCouplingStep::nothing;
  }
  if (change.diag == bfd::Diag::NeighborSignaledSessionDown) {
    return state.grace_pending ? BfdCouplingStep::nothing : BfdCouplingStep::wait_for_up;
  }
  return BfdCouplingStep::close_now;
}

BfdCouplingStep bfd_grace_expired(const BfdCouplingState& state) {
  return state.held_for_maintenance ? BfdCouplingStep::nothing : BfdCouplingStep::close_now;
}

}  // namespace fbf::agent
