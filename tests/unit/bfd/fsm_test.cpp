// RFC 5880 §6.2 / the §6.8.6 ladder: every (local, received) pair.
#include "bfd/fsm.h"

#include <gtest/gtest.h>

namespace fbf::bfd {
namespace {

using enum State;
constexpr auto kNeighbor = Diag::NeighborSignaledSessionDown;

TEST(Fsm, Down) {
  EXPECT_EQ(on_received_state(Down, Down), (Transition{Init, std::nullopt}));
  EXPECT_EQ(on_received_state(Down, Init), (Transition{Up, std::nullopt}));
  EXPECT_EQ(on_received_state(Down, Up), std::nullopt);  // three-way handshake
  EXPECT_EQ(on_received_state(Down, AdminDown), std::nullopt);
}

TEST(Fsm, Init) {
  EXPECT_EQ(on_received_state(Init, Down), std::nullopt);
  EXPECT_EQ(on_received_state(Init, Init), (Transition{Up, std::nullopt}));
  EXPECT_EQ(on_received_state(Init, Up), (Transition{Up, std::nullopt}));
  EXPECT_EQ(on_received_state(Init, AdminDown), (Transition{Down, kNeighbor, true}));
}

TEST(Fsm, Up) {
  EXPECT_EQ(on_received_state(Up, Down), (Transition{Down, kNeighbor, false}));
  EXPECT_EQ(on_received_state(Up, Init), std::nullopt);
  EXPECT_EQ(on_received_state(Up, Up), std::nullopt);
  EXPECT_EQ(on_received_state(Up, AdminDown), (Transition{Down, kNeighbor, true}));
}

TEST(Fsm, AdminDownIgnoresEverything) {
  for (State received : {AdminDown, Down, Init, Up}) {
    EXPECT_EQ(on_received_state(AdminDown, received), std::nullopt);
  }
}

}  // namespace
}  // namespace fbf::bfd
