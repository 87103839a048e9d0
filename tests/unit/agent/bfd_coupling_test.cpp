// agent/bfd_coupling: what each BFD state change does to the neighbor's BGP
// session (RFC 5882 §3.1, §4.2; RFC 9384; bfd_strict).
#include "agent/bfd_coupling.h"

#include <gtest/gtest.h>

namespace fbf::agent {
namespace {

using bfd::Diag;
using bfd::State;
using Step = BfdCouplingStep;

bfd::StateChanged down(Diag diag, bool remote_admin_down = false) {
  return {State::Up, State::Down, diag, remote_admin_down};
}
bfd::StateChanged up() { return {State::Init, State::Up, Diag::None, false}; }

TEST(BfdCoupling, AFailureWeDetectCloses) {
  EXPECT_EQ(bfd_coupling_step(down(Diag::ControlDetectionTimeExpired), {}), Step::close_now);
  EXPECT_EQ(bfd_coupling_step(down(Diag::EchoFunctionFailed), {}), Step::close_now);
  EXPECT_EQ(bfd_coupling_step(down(Diag::PathDown), {}), Step::close_now);
  // Also while a grace runs: the path itself is now gone.
  EXPECT_EQ(bfd_coupling_step(down(Diag::ControlDetectionTimeExpired), {.grace_pending = true}),
            Step::close_now);
}

TEST(BfdCoupling, APeerSignalledDownWaitsForUpFirst) {
  EXPECT_EQ(bfd_coupling_step(down(Diag::NeighborSignaledSessionDown), {}), Step::wait_for_up);
  EXPECT_EQ(bfd_coupling_step(down(Diag::NeighborSignaledSessionDown), {.held_for_bfd = true}),
            Step::wait_for_up);  // bfd_strict too: the grace is about BFD, not BGP
  // A second one does not extend the grace.
  EXPECT_EQ(bfd_coupling_step(down(Diag::NeighborSignaledSessionDown), {.grace_pending = true}),
            Step::nothing);
  EXPECT_EQ(bfd_coupling_step(up(), {.grace_pending = true}), Step::back_up);
}

TEST(BfdCoupling, AdminDownAndMaintenanceLeaveBgpAlone) {
  EXPECT_EQ(bfd_coupling_step(down(Diag::NeighborSignaledSessionDown, true), {}), Step::nothing);
  EXPECT_EQ(bfd_coupling_step({State::Up, State::AdminDown, Diag::AdministrativelyDown}, {}),
            Step::nothing);
  EXPECT_EQ(bfd_coupling_step(down(Diag::ControlDetectionTimeExpired),
                              {.held_for_maintenance = true}),
            Step::nothing);
  // Down -> Init is no failure.
  EXPECT_EQ(bfd_coupling_step({State::Down, State::Init, Diag::None}, {}), Step::nothing);
}

TEST(BfdCoupling, AnExpiredGraceClosesUnlessMaintenanceHoldsTheSession) {
  EXPECT_EQ(bfd_grace_expired({}), Step::close_now);
  EXPECT_EQ(bfd_grace_expired({.held_for_bfd = true}), Step::close_now);
  EXPECT_EQ(bfd_grace_expired({.held_for_maintenance = true}), Step::nothing);
}

TEST(BfdCoupling, StrictModeStartsBgpOnUpUnlessMaintenanceHoldsIt) {
  EXPECT_EQ(bfd_coupling_step(up(), {.held_for_bfd = true}), Step::start_session);
  EXPECT_EQ(bfd_coupling_step(up(), {.held_for_bfd = true, .held_for_maintenance = true}),
            Step::nothing);
  EXPECT_EQ(bfd_coupling_step(up(), {}), Step::nothing);
}

}  // namespace
}  // namespace fbf::agent
