#pragma once
// The daemon's randomness for protocol cores (BFD jitter and discriminators,
// BGP backoff jitter): a PRNG seeded once from the OS. Not for secrets.

#include <cstdint>
#include <random>

#include "bfd/timers.h"

namespace fbf::agent {

class OsRandom final : public bfd::Random {
 public:
  OsRandom() : engine_(std::random_device{}()) {}
  std::uint32_t next_u32() override { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_;
};

}  // namespace fbf::agent
