#pragma once
// How far a neighbor's BGP session got, as BgpNeighbors reports it to the
// neighbor's BFD session (agent/bfd_sessions.h), which waits for BGP.

namespace fbf::agent {

enum class BgpProgress {
  opened,       // the connection is up and our OPEN sent (OpenSent)
  established,  // Established
  down,         // left Established
};

}  // namespace fbf::agent
