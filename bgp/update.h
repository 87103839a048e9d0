#pragma once
// The UPDATE message as a value (RFC 4271 §4.3): the full decoder (vectors;
// for tests, `show` and fuzzing — the receive path uses summarize_update) and
// the encoder.

#include <cstdint>
#include <vector>

#include "bgp/attributes.h"
#include <expected>
#include "bgp/update_check.h"
#include "platform/ip.h"

namespace fbf::bgp {

struct Update {
  std::vector<platform::Prefix> withdrawn;  // IPv4 Withdrawn Routes field
  PathAttributes attributes;
  std::vector<platform::Prefix> nlri;       // IPv4 NLRI field
  friend bool operator==(const Update&, const Update&) = default;
};

struct DecodedUpdate {
  Update update;          // what passed the checks (see UpdateSink)
  UpdateSummary summary;  // identical to summarize_update()'s
  // False if a piece the checks accepted could not be turned into values:
  // a bug in one of the two, never a property of the input.
  bool consistent = true;
};

DecodedUpdate decode_update(Bytes message, const UpdateOptions& options = {});

// A whole UPDATE message. Fails when it would exceed options.max_length or a
// prefix/next hop is of the wrong family. RFC 7606 §5.1 asks a sender to put
// only one of withdrawn routes, NLRI, MP_REACH_NLRI and MP_UNREACH_NLRI in
// one UPDATE: that is the caller's packing decision.
std::expected<std::vector<std::uint8_t>, EncodeError> encode_update(const Update& update,
                                                             const EncodeOptions& options = {});

// An End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an
// UPDATE with only an empty MP_UNREACH_NLRI otherwise.
std::vector<std::uint8_t> encode_end_of_rib(AfiSafi family);

}  // namespace fbf::bgp
