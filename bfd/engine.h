#pragma once
// The BFD session table, sans I/O: discriminator allocation, demultiplexing of
// received packets to sessions (RFC 5880 §6.3, RFC 5881 §3, RFC 5883 §3), and
// the receive path's session-free drop counting. The adapter (bfd/io/) owns
// sockets and timers and executes the actions sessions return; everything
// here takes `now` as an argument and is driven by unit tests with a fake clock.

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bfd/actions.h"
#include "bfd/packet.h"
#include "bfd/session.h"
#include "bfd/timers.h"
#include "platform/ip.h"

namespace fbf::bfd {

using platform::IpAddress;

// Which packets belong to a session when Your Discriminator is zero.
struct PeerKey {
  IpAddress peer;
  std::optional<IpAddress> local;  // must equal the packet's destination when set
  std::uint32_t ifindex = 0;       // single hop: must equal the arrival interface when set
  bool multihop = false;
  friend bool operator==(const PeerKey&, const PeerKey&) = default;
};

// What the agent asks for; the engine turns it into a SessionConfig.
struct SessionSpec {
  std::string name;       // for logs and show: the neighbor's name, or the peer address
  PeerKey key;
  std::string interface;  // bind to this interface (single hop), empty = any
  Role role = Role::Active;
  TimerSettings timers;   // µs
  AuthConfig auth;
  std::uint8_t min_rx_ttl = 255;  // RFC 5881 §5 (255) / RFC 5883 §5 (configured)
};

using SessionId = std::uint32_t;  // = bfd.LocalDiscr of the session

// How a datagram arrived (filled in by the adapter from the socket).
struct RxPath {
  IpAddress source;
  std::optional<IpAddress> destination;
  std::uint32_t ifindex = 0;
  bool multihop = false;             // arrived on port 4784
  std::optional<std::uint8_t> ttl;
  std::optional<TimePoint> arrived;  // kernel arrival time, if known: RxMeta::arrived
};

// Drops before any session is found, by reason (metric labels).
struct EngineCounters {
  std::uint64_t datagrams = 0;
  std::array<std::uint64_t, kDecodeErrorCount> decode_errors{};  // indexed by DecodeError
  std::uint64_t no_session = 0;        // Your Discriminator unknown, or no session for the addresses
  std::uint64_t address_mismatch = 0;  // Your Discriminator known, source/path not the session's
};

class Engine {
 public:
  explicit Engine(Random& random);

  // Creates a session (not yet started). Errors: a session with the same
  // PeerKey exists, or the spec is unusable.
  std::expected<SessionId, std::string> add(const SessionSpec& spec);
  void remove(SessionId id);
  // Runtime interval change (RFC 5880 §6.8.3, Poll Sequence): the session's
  // parameters and the spec shown to operators change together, so `show bfd`
  // and the next reload's diff see the new values.
  Actions set_timers(SessionId id, TimePoint now, const TimerSettings& timers);
  // Single hop: binds the session to arrival interface `ifindex` (0 = any) in
  // place, its state untouched (RFC 5881 §3; the agent learns the interface
  // from the connected prefixes). False when there is no such single-hop
  // session or another session already has the resulting key.
  bool set_ifindex(SessionId id, std::uint32_t ifindex);

  Session* find(SessionId id);
  const Session* find(SessionId id) const;
  const SessionSpec* spec(SessionId id) const;
  std::optional<SessionId> find(const PeerKey& key) const;
  std::vector<SessionId> ids() const;  // sorted by name, then peer
  std::size_t size() const { return sessions_.size(); }

  // The adapter's own per-session state (bfd/io: the session's socket and
  // timers), opaque here: handed back with every delivery so the receive
  // path needs one table lookup, not two.
  void set_owner_data(SessionId id, void* data);
  struct Delivery {
    SessionId id;
    Actions actions;
    void* owner_data = nullptr;  // set_owner_data()'s, nullptr if never set
  };
  // Decodes, demultiplexes and hands the packet to its session. nullopt when
  // it was dropped before reaching one (counted in counters()).
  std::optional<Delivery> receive(TimePoint now, std::span<const std::uint8_t> payload,
                                  const RxPath& path);

  const EngineCounters& counters() const { return counters_; }
  // The transmit grid's phase shared by every session (timers.h).
  Microseconds transmit_grid_phase() const { return transmit_grid_phase_; }

 private:
  struct Entry {
    SessionSpec spec;
    std::unique_ptr<Session> session;
    void* owner_data = nullptr;
  };
  struct AddressHash {
    std::size_t operator()(const IpAddress& a) const;
  };
  bool path_matches(const PeerKey& key, const RxPath& path) const;
  SessionId allocate_discriminator();

  Random& random_;
  Microseconds transmit_grid_phase_;
  std::unordered_map<SessionId, Entry> sessions_;
  std::unordered_multimap<IpAddress, SessionId, AddressHash> by_peer_;
  EngineCounters counters_;
};

}  // namespace fbf::bfd
