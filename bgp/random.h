#pragma once
// Injected randomness for the BGP state machine (RFC 4271 §10 timer jitter).
// Tests pass a seeded or scripted generator; the daemon one seeded from the
// OS. Same shape as bfd::Random, so one object can serve both (bgp/ does not
// depend on bfd/).

#include <cstdint>

namespace fbf::bgp {

class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint32_t next_u32() = 0;
};

}  // namespace fbf::bgp
