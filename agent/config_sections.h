#pragma once
// Internal to the config parser: one reader per section, and the cross-checks
// that need the whole file. Readers fill Config and report what is wrong
// inside their own table; they also note where the values that cross-checks
// look at came from (Sites), so those errors point at the right line too.

#include <vector>

#include "agent/config.h"
#include "agent/config_reader.h"

namespace fbf::agent::config_detail {

// A position is left unknown (line 0) when the value was missing or invalid;
// cross-checks skip such entries so one mistake is reported once.
struct NeighborSite {
  Pos table, name, address, next_hop;
  bool next_hop_invalid = false;  // reported; cross-checks must not add to it
};
struct BfdPeerSite {
  Pos table, address;
};
struct ServiceSite {
  Pos table, name;
  std::vector<Pos> prefixes;   // parallel to ServiceConfig::prefixes
  std::vector<Pos> neighbors;  // parallel to ServiceConfig::neighbors
};
struct Sites {
  std::vector<NeighborSite> neighbors;  // parallel to Config::neighbors
  std::vector<BfdPeerSite> bfd_peers;
  std::vector<ServiceSite> services;
};

// `root` is the top-level table; each reader takes (marks known) its own key.
void read_agent(TableReader& root, Config& config);
void read_bfd_defaults(TableReader& root, Config& config);  // before neighbors and peers
void read_maintenance(TableReader& root, Config& config);
void read_neighbors(TableReader& root, Config& config, Sites& sites);
void read_bfd_peers(TableReader& root, Config& config, Sites& sites);
void read_services(TableReader& root, Config& config, Sites& sites);

// local_as / remote_as: required, 1..4294967295, not AS_TRANS.
std::optional<std::uint32_t> read_as_number(TableReader& r, std::string_view key);
// Reads [bfd]-style timer keys present in `r` over `timers`; returns whether
// echo_rx was given explicitly.
bool read_bfd_timers(TableReader& r, BfdTimers& timers);
// Reads timers, auth_* and min_ttl of one session. `multihop` decides which
// of echo_rx / min_ttl make sense.
void read_bfd_session(TableReader& r, const BfdTimers& defaults, bool multihop, BfdSettings& out);
// The elements of an array of tables ([[neighbor]]); anything else is reported.
std::vector<const toml::table*> array_of_tables(TableReader& root, std::string_view key);

// Checks across sections: unique names and addresses, references, prefix
// duplicates, next hops for cross-family announcements.
void cross_check(const Config& config, const Sites& sites, Diagnostics& diag);

}  // namespace fbf::agent::config_detail
