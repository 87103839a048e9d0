// The UPDATE walk behind summarize_update() and decode_update(): a flat ladder
// of checks in RFC 4271 §6.3 order, each naming its RFC 7606 rule.
#include "bgp/update_check.h"

#include <algorithm>
#include <array>
#include <utility>

#include "bgp/attr_check.h"
#include "bgp/attributes.h"
#include "bgp/message.h"
#include "bgp/nlri.h"

namespace fbf::bgp {

namespace {

constexpr std::uint8_t kMpReach = static_cast<std::uint8_t>(AttrType::mp_reach_nlri);
constexpr std::uint8_t kMpUnreach = static_cast<std::uint8_t>(AttrType::mp_unreach_nlri);

// RFC 4271 §6.3 "valid IP host address": not 0/8, loopback, multicast or 240/4.
bool valid_v4_host(Bytes a) {
  return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

// Global IPv6 next hop (RFC 4760 §3 applies the NEXT_HOP rules): not
// multicast or loopback; unspecified only before a link-local one (32 octets).
bool valid_v6_next_hop(Bytes a, bool has_link_local) {
  auto ip = platform::IpAddress::from_bytes(a);
  if (!ip || ip->is_multicast() || ip->is_loopback()) return false;
  return has_link_local || !ip->is_unspecified();
}

class Walk {
 public:
  Walk(Bytes message, const UpdateOptions& options, UpdateSink* sink)
      : message_(message), options_(options), sink_(sink) {}

  UpdateSummary run() {
    auto frame = frame_update(message_);
    if (!frame) {
      note(std::move(frame).error());
      return std::move(s_);
    }
    if (walk_withdrawn(frame->withdrawn) && walk_attributes(frame->attributes) &&
        walk_nlri(frame->nlri)) {
      finish(*frame);
    }
    return std::move(s_);
  }

 private:
  // ---- Recording errors (RFC 7606 §3 (h): the strongest action wins) ----

  void note(Error e) {
    ++s_.errors;
    if (e.action > s_.action) {
      s_.action = e.action;
      s_.error = std::move(e);
    }
  }

  void note(ErrorAction action, UpdateSubcode subcode, std::string_view rule, Bytes data,
            std::uint8_t attribute = 0, AfiSafi family = {}) {
    if (action == ErrorAction::attribute_discard) ++s_.discarded_attributes;
    if (action <= s_.action) {  // weaker or equal: count it, keep the first
      ++s_.errors;
      return;
    }
    note(Error{.action = action,
               .code = ErrorCode::update_message,
               .subcode = static_cast<std::uint8_t>(subcode),
               .data = {data.begin(), data.end()},
               .rule = rule,
               .attribute = attribute,
               .afi = family.afi,
               .safi = family.safi});
  }

  // ---- Withdrawn Routes and NLRI fields (RFC 7606 §3 (i), §5.3) ----

  bool walk_withdrawn(Bytes field) {
    NlriCount c = count_prefixes(field, 32);
    if (c.error != NlriError::none) {
      note(ErrorAction::session_reset, UpdateSubcode::invalid_network_field,
           c.error == NlriError::prefix_too_long
               ? "RFC 7606 §3 (i), §5.3: withdrawn prefix length above 32"
               : "RFC 7606 §3 (i), §5.3: withdrawn prefix overruns the field",
           {});
      return false;
    }
    s_.ipv4_withdrawn += c.prefixes;
    if (sink_ && !field.empty()) sink_->withdrawn_routes(field);
    return true;
  }

  bool walk_nlri(Bytes field) {
    NlriCount c = count_prefixes(field, 32);
    if (c.error != NlriError::none) {
      note(ErrorAction::session_reset, UpdateSubcode::invalid_network_field,
           c.error == NlriError::prefix_too_long
               ? "RFC 4271 §6.3, RFC 7606 §5.3: NLRI prefix length above 32"
               : "RFC 4271 §6.3, RFC 7606 §5.3: NLRI prefix overruns the field",
           {});
      return false;
    }
    s_.ipv4_announced += c.prefixes;
    v4_nlri_ = c.prefixes > 0;
    if (sink_ && !field.empty()) sink_->nlri(field);
    return true;
  }

  // ---- Path attributes (RFC 7606 §3, §4, §7) ----

  bool walk_attributes(Bytes field) {
    Reader r(field);
    AttrContext context{options_.four_octet_as, options_.ibgp};
    while (!r.empty()) {
      std::size_t start = r.offset();
      Bytes head = r.peek();
      bool extended = (head[0] & attr_flag::extended_length) != 0;
      if (head.size() < (extended ? 4u : 3u)) {
        // RFC 7606 §4, second case: not even an attribute header is left.
        note(ErrorAction::treat_as_withdraw, UpdateSubcode::malformed_attribute_list,
             "RFC 7606 §4: fewer octets left than an attribute header", {});
        other_attributes_ = true;
        return true;  // Total Attribute Length still locates the NLRI
      }
      std::uint8_t flags = *r.u8();
      std::uint8_t type = *r.u8();
      std::uint16_t length = extended ? *r.u16() : *r.u8();
      if (type != kMpUnreach) other_attributes_ = true;
      auto value = r.take(length);
      if (!value) {
        if (type == kMpReach || type == kMpUnreach) {
          // RFC 7606 §3 (j): the MP NLRI cannot be parsed.
          note(ErrorAction::session_reset, UpdateSubcode::attribute_length_error,
               "RFC 7606 §3 (j), §4: MP_REACH/MP_UNREACH overruns Total Attribute Length",
               field.subspan(start), type);
          return false;
        }
        note(ErrorAction::treat_as_withdraw, UpdateSubcode::attribute_length_error,
             "RFC 7606 §4: attribute length overruns Total Attribute Length",
             field.subspan(start), type);
        return true;
      }
      ++s_.attributes;
      Bytes whole = field.subspan(start, r.offset() - start);
      if (!walk_attribute(flags, type, *value, whole, context)) return false;
    }
    return true;
  }

  // False when the walk must stop (session reset).
  bool walk_attribute(std::uint8_t flags, std::uint8_t type, Bytes value, Bytes whole,
                      const AttrContext& context) {
    // RFC 7606 §3 (g): duplicates.
    std::uint64_t bit = std::uint64_t{1} << (type % 64);
    if (seen_[type / 64] & bit) {
      if (type == kMpReach || type == kMpUnreach) {
        note(ErrorAction::session_reset, UpdateSubcode::malformed_attribute_list,
             "RFC 7606 §3 (g): MP_REACH_NLRI or MP_UNREACH_NLRI more than once", {}, type);
        return false;
      }
      note(ErrorAction::attribute_discard, UpdateSubcode::malformed_attribute_list,
           "RFC 7606 §3 (g): repeated attribute, all but the first discarded", whole, type);
      return true;
    }
    seen_[type / 64] |= bit;

    if (type == kMpReach) return walk_mp_reach(flags, value, whole);
    if (type == kMpUnreach) return walk_mp_unreach(flags, value, whole);

    switch (static_cast<AttrType>(type)) {
      case AttrType::origin: has_origin_ = true; break;
      case AttrType::as_path: has_as_path_ = true; break;
      case AttrType::next_hop: has_next_hop_ = true; break;
      default: break;
    }
    Verdict v = check_attribute(flags, type, value, context);
    if (!v.accepted()) {
      note(v.action, v.subcode, v.rule, whole, type);
      return true;
    }
    if (!is_known_attribute(type)) ++s_.unknown_attributes;
    if (static_cast<AttrType>(type) == AttrType::next_hop) next_hop_ = whole;
    if (sink_) sink_->attribute(flags, type, value);
    return true;
  }

  // ---- MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §3, §4, §7; RFC 7606 §5.3, §7.11) ----

  // An MP attribute is in error: AFI/SAFI disable when its AFI/SAFI is known,
  // else session reset (RFC 7606 §3 (j)). Optional Attribute Error is the
  // subcode RFC 4760 §7 gives should the caller reset instead.
  bool mp_error(std::string_view rule, Bytes whole, std::uint8_t type,
                std::optional<AfiSafi> family,
                UpdateSubcode subcode = UpdateSubcode::optional_attribute_error) {
    note(family ? ErrorAction::afisafi_disable : ErrorAction::session_reset, subcode, rule, whole,
         type, family.value_or(AfiSafi{}));
    return family.has_value();
  }

  bool mp_flags_ok(std::uint8_t flags) const {
    return (flags & (attr_flag::optional | attr_flag::transitive)) == attr_flag::optional;
  }

  bool walk_mp_reach(std::uint8_t flags, Bytes value, Bytes whole) {
    has_mp_reach_ = true;  // located, even if malformed (see RFC 7606 §5.2 in finish())
    Reader r(value);
    auto afi = r.u16();
    auto safi = r.u8();
    if (!afi || !safi) {
      return mp_error("RFC 7606 §5.3: MP_REACH_NLRI shorter than 5 (no AFI/SAFI)", whole, kMpReach,
                      std::nullopt);
    }
    AfiSafi family{*afi, *safi};
    if (!mp_flags_ok(flags)) {
      return mp_error("RFC 7606 §5.3: MP_REACH_NLRI flags conflict with RFC 4760", whole, kMpReach,
                      family, UpdateSubcode::attribute_flags_error);
    }
    auto nh_len = r.u8();
    auto next_hop = nh_len ? r.take(*nh_len) : std::nullopt;
    if (!nh_len || value.size() < 5) {
      return mp_error("RFC 7606 §5.3: MP_REACH_NLRI shorter than 5", whole, kMpReach, family);
    }
    if (!next_hop || !r.skip(1)) {  // the Reserved octet must be there too
      return mp_error("RFC 7606 §7.11: next hop length overruns MP_REACH_NLRI", whole, kMpReach,
                      family);
    }
    bool v4 = family == kIpv4Unicast, v6 = family == kIpv6Unicast;
    if (!v4 && !v6) {
      ++s_.other_families;
      if (sink_) sink_->attribute(flags, kMpReach, value);
      return true;
    }
    // RFC 7606 §7.11 "that which was expected": IPv6 16 or 32 (global +
    // link-local); IPv4 4, or 16/32 with an IPv6 next hop (RFC 8950).
    std::size_t n = next_hop->size();
    if (!(n == 16 || n == 32 || (v4 && n == 4))) {
      return mp_error("RFC 7606 §7.11: next hop length inconsistent with the AFI/SAFI", whole,
                      kMpReach, family);
    }
    NlriCount c = count_prefixes(r.rest(), v4 ? 32 : 128);
    if (c.error != NlriError::none) {
      return mp_error(c.error == NlriError::prefix_too_long
                          ? "RFC 7606 §5.3: MP_REACH_NLRI prefix too long for the AFI"
                          : "RFC 7606 §5.3: MP_REACH_NLRI prefix overruns the attribute",
                      whole, kMpReach, family);
    }
    (v4 ? s_.ipv4_announced : s_.ipv6_announced) += c.prefixes;
    bool nh_ok = n == 4 ? valid_v4_host(*next_hop)
                        : valid_v6_next_hop(next_hop->first(16), n == 32);
    if (!nh_ok) {
      note(ErrorAction::treat_as_withdraw, UpdateSubcode::invalid_next_hop_attribute,
           "RFC 4760 §3, RFC 7606 §3 (e): MP_REACH_NLRI next hop is not a valid host address",
           whole, kMpReach);
    } else if (is_local(next_hop->first(n == 4 ? 4 : 16))) {
      note(ErrorAction::treat_as_withdraw, UpdateSubcode::invalid_next_hop_attribute,
           "RFC 4271 §6.3 (a): MP_REACH_NLRI next hop is our own address", whole, kMpReach);
    }
    if (sink_) sink_->attribute(flags, kMpReach, value);
    return true;
  }

  bool walk_mp_unreach(std::uint8_t flags, Bytes value, Bytes whole) {
    Reader r(value);
    auto afi = r.u16();
    auto safi = r.u8();
    if (!afi || !safi) {
      return mp_error("RFC 7606 §5.3: MP_UNREACH_NLRI shorter than 3", whole, kMpUnreach,
                      std::nullopt);
    }
    AfiSafi family{*afi, *safi};
    mp_unreach_family_ = family;
    mp_unreach_empty_ = r.empty();
    if (!mp_flags_ok(flags)) {
      return mp_error("RFC 7606 §5.3: MP_UNREACH_NLRI flags conflict with RFC 4760", whole,
                      kMpUnreach, family, UpdateSubcode::attribute_flags_error);
    }
    bool v4 = family == kIpv4Unicast, v6 = family == kIpv6Unicast;
    if (!v4 && !v6) {
      ++s_.other_families;
      if (sink_) sink_->attribute(flags, kMpUnreach, value);
      return true;
    }
    NlriCount c = count_prefixes(r.rest(), v4 ? 32 : 128);
    if (c.error != NlriError::none) {
      return mp_error(c.error == NlriError::prefix_too_long
                          ? "RFC 7606 §5.3: MP_UNREACH_NLRI prefix too long for the AFI"
                          : "RFC 7606 §5.3: MP_UNREACH_NLRI prefix overruns the attribute",
                      whole, kMpUnreach, family);
    }
    (v4 ? s_.ipv4_withdrawn : s_.ipv6_withdrawn) += c.prefixes;
    if (sink_) sink_->attribute(flags, kMpUnreach, value);
    return true;
  }

  bool is_local(Bytes address) const {
    return options_.local_address && options_.local_address->bytes().size() == address.size() &&
           std::equal(address.begin(), address.end(), options_.local_address->bytes().begin());
  }

  // ---- Whole-message rules ----

  void finish(const UpdateFrame& frame) {
    bool reachable = v4_nlri_ || has_mp_reach_;
    if (reachable) {
      // RFC 7606 §3 (d): a missing well-known mandatory attribute (needed
      // only when the UPDATE carries NLRI, RFC 4271 §5). NEXT_HOP is only
      // needed for NLRI-field routes (RFC 4760 §3).
      std::uint8_t missing = !has_origin_                     ? 1
                             : !has_as_path_                  ? 2
                             : v4_nlri_ && !has_next_hop_     ? 3
                                                              : 0;
      if (missing != 0) {
        std::array<std::uint8_t, 1> data{missing};
        note(ErrorAction::treat_as_withdraw, UpdateSubcode::missing_well_known_attribute,
             "RFC 7606 §3 (d): a well-known mandatory attribute is missing", data);
      }
    }
    if (v4_nlri_ && !next_hop_.empty()) {
      Bytes address = next_hop_.subspan(next_hop_.size() - 4);
      if (!valid_v4_host(address)) {
        note(ErrorAction::treat_as_withdraw, UpdateSubcode::invalid_next_hop_attribute,
             "RFC 4271 §6.3, RFC 7606 §3 (e): NEXT_HOP is not a valid host address", next_hop_,
             3);
      } else if (is_local(address)) {
        note(ErrorAction::treat_as_withdraw, UpdateSubcode::invalid_next_hop_attribute,
             "RFC 4271 §6.3 (a): NEXT_HOP is our own address", next_hop_, 3);
      }
    }
    // RFC 7606 §5.2: attributes but no reachable NLRI, and an error stronger
    // than attribute discard: we cannot be sure the NLRI were parsed.
    if (!reachable && other_attributes_ && s_.action > ErrorAction::attribute_discard &&
        s_.action < ErrorAction::session_reset) {
      s_.action = ErrorAction::session_reset;
      s_.error->action = ErrorAction::session_reset;
      s_.error->rule = "RFC 7606 §5.2: error in an UPDATE without reachable NLRI";
    }
    // RFC 4724 §2 End-of-RIB.
    if (message_.size() == 23) {
      s_.end_of_rib = true;
      s_.end_of_rib_family = kIpv4Unicast;
    } else if (s_.attributes == 1 && s_.action == ErrorAction::none && mp_unreach_empty_ &&
               frame.withdrawn.empty() && frame.nlri.empty()) {
      s_.end_of_rib = true;
      s_.end_of_rib_family = mp_unreach_family_;
    }
  }

  Bytes message_;
  const UpdateOptions& options_;
  UpdateSink* sink_;
  UpdateSummary s_;
  std::array<std::uint64_t, 4> seen_{};
  bool has_origin_ = false, has_as_path_ = false, has_next_hop_ = false, has_mp_reach_ = false;
  bool v4_nlri_ = false, other_attributes_ = false, mp_unreach_empty_ = false;
  AfiSafi mp_unreach_family_;
  Bytes next_hop_;  // the whole NEXT_HOP attribute, once accepted
};

}  // namespace

UpdateSummary walk_update(Bytes message, const UpdateOptions& options, UpdateSink* sink) {
  return Walk(message, options, sink).run();
}

UpdateSummary summarize_update(Bytes message, const UpdateOptions& options) {
  return walk_update(message, options, nullptr);
}

}  // namespace fbf::bgp
