// libFuzzer harness for the BGP codec: decodes any input as one message;
// for UPDATEs runs the summary walk and the full decoder under several
// session options and checks they agree; re-encodes what can be re-encoded
// and checks that decoding it again gives the same value.
//
//   clang++ -std=c++2b -fsanitize=fuzzer,address,undefined -I. -Ibuild/generated
//       tests/fuzz/bgp_message_fuzz.cpp bgp/*.cpp platform/ip.cpp -o bgp_fuzz
// (or scripts/fuzz 60 bgp_message, which builds it with clang 16 through CMake)
//   ./bgp_fuzz tests/fuzz/corpus/bgp_message
#include <cstdio>
#include <cstdlib>

#include "bgp/message.h"
#include "bgp/update.h"
#include "fuzz_support.h"

namespace {

using namespace fbf::bgp;

bool unicast(AfiSafi f) { return f == kIpv4Unicast || f == kIpv6Unicast; }

// The counts decode_update's vectors imply must be summarize_update's.
void check_counts(const DecodedUpdate& d) {
  const UpdateSummary& s = d.summary;
  const PathAttributes& a = d.update.attributes;
  std::uint32_t v4a = static_cast<std::uint32_t>(d.update.nlri.size());
  std::uint32_t v4w = static_cast<std::uint32_t>(d.update.withdrawn.size());
  std::uint32_t v6a = 0, v6w = 0, other = 0;
  if (a.mp_reach) {
    if (a.mp_reach->family == kIpv4Unicast) v4a += static_cast<std::uint32_t>(a.mp_reach->nlri.size());
    if (a.mp_reach->family == kIpv6Unicast) v6a += static_cast<std::uint32_t>(a.mp_reach->nlri.size());
    other += unicast(a.mp_reach->family) ? 0 : 1;
  }
  if (a.mp_unreach) {
    if (a.mp_unreach->family == kIpv4Unicast) v4w += static_cast<std::uint32_t>(a.mp_unreach->withdrawn.size());
    if (a.mp_unreach->family == kIpv6Unicast) v6w += static_cast<std::uint32_t>(a.mp_unreach->withdrawn.size());
    other += unicast(a.mp_unreach->family) ? 0 : 1;
  }
  FUZZ_CHECK(s.ipv4_announced == v4a);
  FUZZ_CHECK(s.ipv4_withdrawn == v4w);
  FUZZ_CHECK(s.ipv6_announced == v6a);
  FUZZ_CHECK(s.ipv6_withdrawn == v6w);
  FUZZ_CHECK(s.other_families == other);
  FUZZ_CHECK(s.unknown_attributes == a.unknown.size());
}

void check_same_summary(const UpdateSummary& x, const UpdateSummary& y) {
  FUZZ_CHECK(x.action == y.action);
  FUZZ_CHECK(x.announced() == y.announced() && x.withdrawn() == y.withdrawn());
  FUZZ_CHECK(x.ipv4_announced == y.ipv4_announced && x.ipv6_withdrawn == y.ipv6_withdrawn);
  FUZZ_CHECK(x.errors == y.errors && x.discarded_attributes == y.discarded_attributes);
  FUZZ_CHECK(x.end_of_rib == y.end_of_rib);
  FUZZ_CHECK(x.error.has_value() == y.error.has_value());
  if (x.error) {
    FUZZ_CHECK(x.error->subcode == y.error->subcode && x.error->data == y.error->data);
    FUZZ_CHECK(x.error->rule == y.error->rule);
  }
  FUZZ_CHECK((x.action == ErrorAction::none) == !x.error.has_value());
}

// Re-encode an accepted UPDATE (the encodable part) and decode it again.
void reencode_update(const DecodedUpdate& d, const UpdateOptions& o) {
  if (d.summary.action > ErrorAction::attribute_discard) return;
  Update u = d.update;
  PathAttributes& a = u.attributes;
  if ((a.mp_reach && !unicast(a.mp_reach->family)) || (a.mp_unreach && !unicast(a.mp_unreach->family))) {
    return;
  }
  a.originator_id.reset();
  a.cluster_list.clear();
  a.extended_communities.clear();
  a.as4_path.reset();
  a.as4_aggregator.reset();
  a.otc.reset();
  a.unknown.clear();
  auto bytes = encode_update(u, {.four_octet_as = o.four_octet_as, .max_length = kMaxExtendedMessageLength});
  FUZZ_CHECK(bytes.has_value());
  DecodedUpdate again = decode_update(*bytes, o);
  FUZZ_CHECK(again.consistent);
  FUZZ_CHECK(again.update == u);
}

void fuzz_update(fbf::bgp::Bytes in) {
  for (int variant = 0; variant < 4; ++variant) {
    UpdateOptions o;
    o.four_octet_as = (variant & 1) == 0;
    o.ibgp = (variant & 2) != 0;
    if (variant == 3) o.local_address = fbf::platform::IpAddress::v4({192, 0, 2, 1});
    UpdateSummary s = summarize_update(in, o);
    DecodedUpdate d = decode_update(in, o);
    FUZZ_CHECK(d.consistent);
    check_same_summary(s, d.summary);
    check_counts(d);
    if (s.error) {
      (void)to_notification(*s.error);
      (void)describe_error(static_cast<std::uint8_t>(s.error->code), s.error->subcode);
    }
    reencode_update(d, o);
  }
}

void fuzz_message(fbf::bgp::Bytes in, bool enhanced) {
  auto m = decode_message(in, {.max_length = kMaxExtendedMessageLength, .enhanced_route_refresh = enhanced});
  if (!m) {
    FUZZ_CHECK(m.error().action == ErrorAction::session_reset);
    (void)encode_notification(to_notification(m.error()));
    return;
  }
  if (auto* open = std::get_if<OpenMessage>(&*m)) {
    auto again = decode_open(encode_open(*open));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *open);
    (void)peer_as(*open);
    (void)negotiate(open->capabilities, open->capabilities);
  } else if (auto* n = std::get_if<Notification>(&*m)) {
    auto again = decode_notification(encode_notification(*n, kMaxExtendedMessageLength));
    FUZZ_CHECK(again.has_value() && *again == *n);
    if (auto s = shutdown_communication(*n)) (void)s->printable();
    (void)describe_error(n->code, n->subcode);
  } else if (auto* rr = std::get_if<RouteRefresh>(&*m)) {
    auto again = decode_route_refresh(encode_route_refresh(*rr), enhanced);
    FUZZ_CHECK(again.has_value() && *again == *rr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fbf::bgp::Bytes in(data, size);
  // Stream framing as an adapter would do it.
  for (std::size_t max : {kMaxMessageLength, kMaxExtendedMessageLength}) {
    auto h = peek_header(in, max);
    if (h && h->has_value()) FUZZ_CHECK((*h)->length >= kHeaderLength && (*h)->length <= max);
  }
  fuzz_message(in, false);
  fuzz_message(in, true);
  fuzz_update(in);  // does its own header checks, whatever the type
  return 0;
}
