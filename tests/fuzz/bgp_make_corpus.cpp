// Writes the seed corpus for bgp_message_fuzz from the encoders (one message
// per file). Not part of the build; regenerate with:
//   g++ -std=c++23 -I. -Ibuild-bgp/generated tests/fuzz/bgp_make_corpus.cpp
//       build-bgp/bgp/libfbf_bgp.a build-bgp/platform/libfbf_platform.a -o /tmp/mkcorpus
//   /tmp/mkcorpus tests/fuzz/corpus/bgp_message
#include <cstdio>
#include <string>
#include <vector>

#include "bgp/message.h"
#include "bgp/update.h"

using namespace fbf::bgp;
using fbf::platform::IpAddress;
using fbf::platform::Prefix;

namespace {

bool write(const std::string& dir, const char* name, const std::vector<std::uint8_t>& bytes) {
  std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

Update announce_v4() {
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = as_sequence({65001, 65002, 4200000001u});
  u.attributes.next_hop = IpAddress::parse("192.0.2.1");
  u.attributes.med = 10;
  u.attributes.atomic_aggregate = true;
  u.attributes.aggregator = Aggregator{65001, *IpAddress::parse("192.0.2.9")};
  u.attributes.communities = {0xfde90064, community::graceful_shutdown};
  u.attributes.large_communities = {{65001, 1, 2}};
  u.nlri = {*Prefix::parse("198.51.100.0/24"), *Prefix::parse("203.0.113.128/25"),
            *Prefix::parse("0.0.0.0/0")};
  return u;
}

Update announce_v6() {
  Update u;
  u.attributes.origin = Origin::incomplete;
  u.attributes.as_path = as_sequence({65001});
  u.attributes.local_pref = 200;
  u.attributes.mp_reach = MpReach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"),
                                  IpAddress::parse("fe80::1"),
                                  {*Prefix::parse("2001:db8:100::/40"), *Prefix::parse("::/0")}};
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.route_refresh = true;
  caps.enhanced_route_refresh = true;
  caps.extended_message = true;
  caps.graceful_restart = GracefulRestart{0x8, 120, {{kIpv4Unicast, 0x80}}};
  caps.add_path = {{kIpv4Unicast, 1}};
  caps.unknown = {{128, {}}};

  Update withdraw;
  withdraw.withdrawn = {*Prefix::parse("198.51.100.0/24")};
  Update unreach;
  unreach.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {*Prefix::parse("2001:db8:100::/40")}};

  bool ok = write(dir, "open", encode_open(make_open(65001, 90, 0xc0000201, caps))) &&
            write(dir, "open_as4", encode_open(make_open(4200000001u, 3, 1, {}))) &&
            write(dir, "update_v4", *encode_update(announce_v4())) &&
            write(dir, "update_v6", *encode_update(announce_v6())) &&
            write(dir, "update_withdraw_v4", *encode_update(withdraw)) &&
            write(dir, "update_withdraw_v6", *encode_update(unreach)) &&
            write(dir, "update_eor_v6", encode_end_of_rib(kIpv6Unicast)) &&
            write(dir, "notification_shutdown",
                  encode_notification(*make_shutdown_notification(
                      CeaseSubcode::administrative_shutdown, "maintenance \xc3\xbc"))) &&
            write(dir, "notification_bfd_down", encode_notification(make_cease(CeaseSubcode::bfd_down))) &&
            write(dir, "keepalive", encode_keepalive()) &&
            write(dir, "route_refresh", encode_route_refresh({kIpv4Unicast, 0})) &&
            write(dir, "route_refresh_borr", encode_route_refresh({kIpv6Unicast, 1}));
  if (!ok) {
    std::perror(dir.c_str());
    return 1;
  }
  return 0;
}
