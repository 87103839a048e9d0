#include "bfd/engine.h"

#include <algorithm>

namespace fbf::bfd {

Engine::Engine(Random& random)
    : random_(random),
      // One phase for every session (see SessionConfig::transmit_grid_phase):
      // a multiple of 100 µs below 4 ms, the tick of a 250 Hz kernel.
      transmit_grid_phase_(Microseconds(100 * (random.next_u32() % 40))) {}

std::size_t Engine::AddressHash::operator()(const IpAddress& a) const {
  // FNV-1a over the address bytes: cheap, and peers are few.
  std::size_t h = 1469598103934665603ull;
  for (auto b : a.bytes()) h = (h ^ b) * 1099511628211ull;
  return h ^ static_cast<std::size_t>(a.family());
}

SessionId Engine::allocate_discriminator() {
  // §6.8.1: bfd.LocalDiscr nonzero and unique; random so that a restarted
  // fbfd does not reuse its predecessor's values (§6.3 suggests this).
  for (;;) {
    const SessionId d = random_.next_u32();
    if (d != 0 && !sessions_.contains(d)) return d;
  }
}

std::expected<SessionId, std::string> Engine::add(const SessionSpec& spec) {
  if (find(spec.key))
    return std::unexpected("a BFD session to " + spec.key.peer.to_string() + " already exists");
  if (spec.key.local && spec.key.local->family() != spec.key.peer.family())
    return std::unexpected("local and peer addresses of different families");
  SessionConfig cfg;
  cfg.local_discriminator = allocate_discriminator();
  cfg.role = spec.role;
  cfg.desired_min_tx_interval = spec.timers.desired_min_tx_interval;
  cfg.required_min_rx_interval = spec.timers.required_min_rx_interval;
  cfg.detect_mult = spec.timers.detect_mult;
  if (!spec.key.multihop) {  // RFC 5883 §3: no Echo function on multihop sessions
    cfg.required_min_echo_rx_interval = spec.timers.required_min_echo_rx_interval;
    cfg.desired_min_echo_tx_interval = spec.timers.desired_min_echo_tx_interval;
  }
  cfg.auth = spec.auth;
  cfg.min_rx_ttl = spec.min_rx_ttl;
  cfg.transmit_grid_phase = transmit_grid_phase_;
  const SessionId id = cfg.local_discriminator;
  sessions_.emplace(id, Entry{spec, std::make_unique<Session>(cfg, random_)});
  by_peer_.emplace(spec.key.peer, id);
  return id;
}

Actions Engine::set_timers(SessionId id, TimePoint now, const TimerSettings& timers) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return {};
  it->second.spec.timers = timers;
  return it->second.session->set_timers(now, timers);
}

bool Engine::set_ifindex(SessionId id, std::uint32_t ifindex) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.spec.key.multihop) return false;
  PeerKey key = it->second.spec.key;
  key.ifindex = ifindex;
  if (auto other = find(key); other && *other != id) return false;
  it->second.spec.key = key;  // by_peer_ is by address only: unchanged
  return true;
}

void Engine::remove(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto [first, last] = by_peer_.equal_range(it->second.spec.key.peer);
  for (auto p = first; p != last; ++p) {
    if (p->second == id) {
      by_peer_.erase(p);
      break;
    }
  }
  sessions_.erase(it);
}

void Engine::set_owner_data(SessionId id, void* data) {
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.owner_data = data;
}

Session* Engine::find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.session.get();
}

const Session* Engine::find(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.session.get();
}

const SessionSpec* Engine::spec(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second.spec;
}

std::optional<SessionId> Engine::find(const PeerKey& key) const {
  auto [first, last] = by_peer_.equal_range(key.peer);
  for (auto p = first; p != last; ++p) {
    if (sessions_.at(p->second).spec.key == key) return p->second;
  }
  return std::nullopt;
}

std::vector<SessionId> Engine::ids() const {
  std::vector<SessionId> out;
  out.reserve(sessions_.size());
  for (const auto& [id, e] : sessions_) out.push_back(id);
  std::sort(out.begin(), out.end(), [this](SessionId a, SessionId b) {
    const auto& sa = sessions_.at(a).spec;
    const auto& sb = sessions_.at(b).spec;
    if (sa.name != sb.name) return sa.name < sb.name;
    return sa.key.peer < sb.key.peer;
  });
  return out;
}

bool Engine::path_matches(const PeerKey& key, const RxPath& path) const {
  if (key.multihop != path.multihop || key.peer != path.source) return false;
  if (key.local && path.destination && *key.local != *path.destination) return false;
  // RFC 5881 §3: single-hop sessions are bound to the interface they run on.
  if (!key.multihop && key.ifindex != 0 && path.ifindex != 0 && key.ifindex != path.ifindex)
    return false;
  return true;
}

std::optional<Engine::Delivery> Engine::receive(TimePoint now,
                                                std::span<const std::uint8_t> payload,
                                                const RxPath& path) {
  ++counters_.datagrams;
  auto packet = decode(payload);
  if (!packet) {
    ++counters_.decode_errors[static_cast<std::size_t>(packet.error())];
    return std::nullopt;
  }
  const Entry* entry = nullptr;
  std::optional<SessionId> id;
  if (packet->your_discriminator != 0) {
    // §6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to
    // select the session"; the addresses must still be the session's, so a
    // guessed discriminator from elsewhere cannot drive it.
    auto it = sessions_.find(packet->your_discriminator);
    if (it == sessions_.end()) {
      ++counters_.no_session;
      return std::nullopt;
    }
    if (!path_matches(it->second.spec.key, path)) {
      ++counters_.address_mismatch;
      return std::nullopt;
    }
    id = it->first;
    entry = &it->second;
  } else {
    // §6.8.6: Your Discriminator zero (only legal in Down/AdminDown, which
    // decode() checked): select by source address, destination and interface.
    auto [first, last] = by_peer_.equal_range(path.source);
    for (auto p = first; p != last && !id; ++p) {
      const Entry& candidate = sessions_.at(p->second);
      if (path_matches(candidate.spec.key, path)) {
        id = p->second;
        entry = &candidate;
      }
    }
    if (!id) {
      ++counters_.no_session;
      return std::nullopt;
    }
  }
  return Delivery{*id, entry->session->on_packet(now, *packet, RxMeta{payload, path.ttl, path.arrived}),
                  entry->owner_data};
}

}  // namespace fbf::bfd
