#include "bgp/attr_check.h"

#include "bgp/attributes.h"

namespace fbf::bgp {

namespace {

constexpr std::uint8_t kWellKnown = attr_flag::transitive;
constexpr std::uint8_t kOptional = attr_flag::optional;
constexpr std::uint8_t kOptionalTransitive = attr_flag::optional | attr_flag::transitive;

using Check = Verdict (*)(Bytes, const AttrContext&);

struct Rule {
  std::uint8_t flags = 0;     // expected Optional/Transitive bits
  bool ebgp_discard = false;  // RFC 7606 §7.5, §7.9, §7.10: discard from an external peer
  bool as4 = false;           // RFC 6793 §4.1: discard between NEW speakers
  std::string_view ebgp_rule;
  Check check = nullptr;
};

constexpr Verdict ok() { return {}; }
constexpr Verdict withdraw(UpdateSubcode s, std::string_view rule) {
  return {ErrorAction::treat_as_withdraw, s, rule};
}
constexpr Verdict discard(UpdateSubcode s, std::string_view rule) {
  return {ErrorAction::attribute_discard, s, rule};
}

constexpr auto kLength = UpdateSubcode::attribute_length_error;
constexpr auto kOptionalError = UpdateSubcode::optional_attribute_error;

bool non_zero_multiple(std::size_t n, std::size_t of) { return n != 0 && n % of == 0; }

Verdict check_origin(Bytes v, const AttrContext&) {
  if (v.size() != 1) return withdraw(kLength, "RFC 7606 §7.1: ORIGIN length is not 1");
  if (v[0] > 2) {
    return withdraw(UpdateSubcode::invalid_origin_attribute, "RFC 7606 §7.1: undefined ORIGIN value");
  }
  return ok();
}

Verdict check_as_path(Bytes v, const AttrContext& c) {
  std::string_view why = check_as_path_segments(v, c.four_octet_as ? 4 : 2);
  return why.empty() ? ok() : withdraw(UpdateSubcode::malformed_as_path, why);
}

Verdict check_next_hop(Bytes v, const AttrContext&) {
  // The address itself is checked once we know IPv4 NLRI follow (RFC 4760 §3).
  return v.size() == 4 ? ok() : withdraw(kLength, "RFC 7606 §7.3: NEXT_HOP length is not 4");
}

Verdict check_med(Bytes v, const AttrContext&) {
  return v.size() == 4 ? ok() : withdraw(kLength, "RFC 7606 §7.4: MULTI_EXIT_DISC length is not 4");
}

Verdict check_local_pref(Bytes v, const AttrContext&) {
  return v.size() == 4 ? ok() : withdraw(kLength, "RFC 7606 §7.5: LOCAL_PREF length is not 4");
}

Verdict check_atomic_aggregate(Bytes v, const AttrContext&) {
  return v.empty() ? ok() : discard(kLength, "RFC 7606 §7.6: ATOMIC_AGGREGATE length is not 0");
}

Verdict check_aggregator(Bytes v, const AttrContext& c) {
  if (c.four_octet_as && v.size() != 8) {
    return discard(kLength, "RFC 7606 §7.7: AGGREGATOR length is not 8 (4-octet AS)");
  }
  if (!c.four_octet_as && v.size() != 6) {
    return discard(kLength, "RFC 7606 §7.7: AGGREGATOR length is not 6 (2-octet AS)");
  }
  return ok();
}

Verdict check_communities(Bytes v, const AttrContext&) {
  return non_zero_multiple(v.size(), 4)
             ? ok()
             : withdraw(kOptionalError, "RFC 7606 §7.8: COMMUNITIES length not a non-zero multiple of 4");
}

Verdict check_originator_id(Bytes v, const AttrContext&) {
  return v.size() == 4 ? ok() : withdraw(kLength, "RFC 7606 §7.9: ORIGINATOR_ID length is not 4");
}

Verdict check_cluster_list(Bytes v, const AttrContext&) {
  return non_zero_multiple(v.size(), 4)
             ? ok()
             : withdraw(kLength, "RFC 7606 §7.10: CLUSTER_LIST length not a non-zero multiple of 4");
}

Verdict check_extended_communities(Bytes v, const AttrContext&) {
  return non_zero_multiple(v.size(), 8)
             ? ok()
             : withdraw(kOptionalError,
                        "RFC 7606 §7.14: Extended Communities length not a non-zero multiple of 8");
}

Verdict check_ipv6_extended_communities(Bytes v, const AttrContext&) {
  return non_zero_multiple(v.size(), 20)
             ? ok()
             : withdraw(kOptionalError,
                        "RFC 7606 §7.15: IPv6 Extended Communities length not a non-zero multiple of 20");
}

Verdict check_as4_path(Bytes v, const AttrContext&) {
  // RFC 6793 §6: length odd or below 6, or a malformed segment.
  if (v.size() % 2 != 0 || v.size() < 6) {
    return discard(kOptionalError, "RFC 6793 §6: AS4_PATH length odd or below 6");
  }
  std::string_view why = check_as_path_segments(v, 4);
  return why.empty() ? ok() : discard(kOptionalError, "RFC 6793 §6: malformed AS4_PATH segment");
}

Verdict check_as4_aggregator(Bytes v, const AttrContext&) {
  return v.size() == 8 ? ok() : discard(kOptionalError, "RFC 6793 §6: AS4_AGGREGATOR length is not 8");
}

Verdict check_large_community(Bytes v, const AttrContext&) {
  return non_zero_multiple(v.size(), 12)
             ? ok()
             : withdraw(kOptionalError, "RFC 8092 §6: LARGE_COMMUNITY length not a non-zero multiple of 12");
}

Verdict check_otc(Bytes v, const AttrContext&) {
  return v.size() == 4 ? ok() : withdraw(kOptionalError, "RFC 9234 §5: OTC length is not 4");
}

// MP_REACH_NLRI / MP_UNREACH_NLRI: flags only; the walker does the rest.
const Rule kMpRule{kOptional, false, false, {}, nullptr};

const Rule* rule_for(std::uint8_t type) {
  static const Rule origin{kWellKnown, false, false, {}, check_origin};
  static const Rule as_path{kWellKnown, false, false, {}, check_as_path};
  static const Rule next_hop{kWellKnown, false, false, {}, check_next_hop};
  static const Rule med{kOptional, false, false, {}, check_med};
  static const Rule local_pref{kWellKnown, true, false,
                               "RFC 7606 §7.5: LOCAL_PREF from an external peer", check_local_pref};
  static const Rule atomic_aggregate{kWellKnown, false, false, {}, check_atomic_aggregate};
  static const Rule aggregator{kOptionalTransitive, false, false, {}, check_aggregator};
  static const Rule communities{kOptionalTransitive, false, false, {}, check_communities};
  static const Rule originator_id{kOptional, true, false,
                                  "RFC 7606 §7.9: ORIGINATOR_ID from an external peer",
                                  check_originator_id};
  static const Rule cluster_list{kOptional, true, false,
                                 "RFC 7606 §7.10: CLUSTER_LIST from an external peer",
                                 check_cluster_list};
  static const Rule extended_communities{kOptionalTransitive, false, false, {},
                                         check_extended_communities};
  static const Rule as4_path{kOptionalTransitive, false, true, {}, check_as4_path};
  static const Rule as4_aggregator{kOptionalTransitive, false, true, {}, check_as4_aggregator};
  static const Rule ipv6_extended_communities{kOptionalTransitive, false, false, {},
                                              check_ipv6_extended_communities};
  static const Rule large_community{kOptionalTransitive, false, false, {}, check_large_community};
  static const Rule otc{kOptionalTransitive, false, false, {}, check_otc};
  switch (static_cast<AttrType>(type)) {
    case AttrType::origin: return &origin;
    case AttrType::as_path: return &as_path;
    case AttrType::next_hop: return &next_hop;
    case AttrType::multi_exit_disc: return &med;
    case AttrType::local_pref: return &local_pref;
    case AttrType::atomic_aggregate: return &atomic_aggregate;
    case AttrType::aggregator: return &aggregator;
    case AttrType::communities: return &communities;
    case AttrType::originator_id: return &originator_id;
    case AttrType::cluster_list: return &cluster_list;
    case AttrType::mp_reach_nlri:
    case AttrType::mp_unreach_nlri: return &kMpRule;
    case AttrType::extended_communities: return &extended_communities;
    case AttrType::as4_path: return &as4_path;
    case AttrType::as4_aggregator: return &as4_aggregator;
    case AttrType::ipv6_extended_communities: return &ipv6_extended_communities;
    case AttrType::large_community: return &large_community;
    case AttrType::otc: return &otc;
  }
  return nullptr;
}

}  // namespace

bool is_known_attribute(std::uint8_t type) { return rule_for(type) != nullptr; }

std::uint8_t expected_flags(std::uint8_t type) {
  const Rule* r = rule_for(type);
  return r ? r->flags : 0;
}

std::string_view check_as_path_segments(Bytes value, std::size_t asn_size) {
  Reader r(value);
  while (!r.empty()) {
    auto type = r.u8();
    auto count = r.u8();
    if (!count) return "RFC 7606 §7.2: AS_PATH ends with a single octet (underrun)";
    if (*type < 1 || *type > 4) return "RFC 7606 §7.2: unrecognized AS_PATH segment type";
    if (*count == 0) return "RFC 7606 §7.2: AS_PATH segment of length zero";
    if (!r.skip(*count * asn_size)) return "RFC 7606 §7.2: AS_PATH segment overruns the attribute";
  }
  return {};
}

Verdict check_attribute(std::uint8_t flags, std::uint8_t type, Bytes value,
                        const AttrContext& context) {
  const Rule* rule = rule_for(type);
  if (rule == nullptr) {
    if ((flags & attr_flag::optional) == 0) {
      // RFC 4271 §6.3 Unrecognized Well-known Attribute; RFC 7606 gives no
      // approach for it, so the safe default applies (DESIGN.md).
      return withdraw(UpdateSubcode::unrecognized_well_known_attribute,
                      "RFC 4271 §6.3: unrecognized well-known attribute");
    }
    return ok();  // unknown optional: RFC 4271 §5, ignored (never re-advertised)
  }
  if (rule->ebgp_discard && !context.ibgp) {
    return discard(UpdateSubcode::unspecific, rule->ebgp_rule);
  }
  if (rule->as4 && context.four_octet_as) {
    return discard(UpdateSubcode::unspecific,
                   "RFC 6793 §4.1: AS4_PATH/AS4_AGGREGATOR between NEW speakers");
  }
  constexpr std::uint8_t kOT = attr_flag::optional | attr_flag::transitive;
  if ((flags & kOT) != rule->flags) {
    // RFC 7606 §3 (c): the Partial and Extended Length bits are not checked.
    return withdraw(UpdateSubcode::attribute_flags_error,
                    "RFC 7606 §3 (c): Optional/Transitive flags conflict with the type");
  }
  return rule->check ? rule->check(value, context) : ok();
}

}  // namespace fbf::bgp
