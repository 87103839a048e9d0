// One failing case per cross-check: rules that involve more than one table.
#include "config_test_util.h"

namespace fbf::agent::test {
namespace {

class CrossCheckErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(CrossCheckErrors, ReportsExactlyOneLocatedError) { expect_single_error(GetParam()); }

std::string neighbor(std::string_view name, std::string_view address, std::string_view extra = "") {
  return "[[neighbor]]\nname = \"" + std::string(name) + "\"\naddress = \"" + std::string(address) +
         "\"\nremote_as = 64515\n" + std::string(extra);
}

INSTANTIATE_TEST_SUITE_P(
    Config, CrossCheckErrors,
    ::testing::Values(
        ErrorCase{"NeighborNameTwice",
                  kAgent + neighbor("up", "192.0.2.1") +
                      "[[neighbor]]\nname = @@\"up\"\naddress = \"192.0.2.2\"\nremote_as = 1\n",
                  "neighbor name 'up' is already used on line 4"},
        ErrorCase{"NeighborAddressTwice",
                  kAgent + neighbor("a", "192.0.2.1") +
                      "[[neighbor]]\nname = \"b\"\naddress = @@\"192.0.2.1\"\nremote_as = 1\n",
                  "neighbor address 192.0.2.1 is already used by neighbor 'a' on line 5"},
        ErrorCase{"ServiceNameTwice",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                           "[[service]]\nname = @@\"web\"\nprefixes = [\"192.0.2.3\"]\n",
                  "service name 'web' is already used on line 4"},
        ErrorCase{"PrefixInTwoServices",
                  kAgent + "[[service]]\nname = \"a\"\nprefixes = [\"192.0.2.2/32\"]\n"
                           "[[service]]\nname = \"b\"\nprefixes = [@@\"192.0.2.2\"]\n",
                  "prefix 192.0.2.2/32 is already announced by service 'a'"},
        ErrorCase{"ServiceNeighborMissing",
                  kAgent + neighbor("upstream", "192.0.2.1") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                      "neighbors = [@@\"upstrem\"]\n",
                  "service 'web': no neighbor is named 'upstrem' (did you mean 'upstream'?)"},
        ErrorCase{"ServiceNeighborMissingWhenNoneExist",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                           "neighbors = [@@\"up\"]\n",
                  "service 'web': no neighbor is named 'up'"},
        ErrorCase{"Ipv6OverIpv4WithoutNextHop",
                  kAgent + "@@" + neighbor("up", "192.0.2.1") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\", \"2001:db8::2\"]\n",
                  "neighbor 'up': IPv6 prefix 2001:db8::2/128 (service 'web') over an IPv4 session "
                  "needs an explicit IPv6 next_hop, e.g. next_hop = [\"self\", \"2001:db8::1\"]; "
                  "or remove \"ipv6-unicast\" from its families"},
        ErrorCase{"Ipv6OverIpv4WithOnlyOwnNextHop",
                  kAgent + neighbor("up", "192.0.2.1", "next_hop = @@\"192.0.2.7\"\n") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"2001:db8::2\"]\n",
                  "neighbor 'up': IPv6 prefix 2001:db8::2/128 (service 'web') over an IPv4 session "
                  "needs an explicit IPv6 next_hop, e.g. next_hop = [\"self\", \"2001:db8::1\"]; "
                  "or remove \"ipv6-unicast\" from its families"},
        ErrorCase{"Ipv4OverIpv6WithoutNextHop",
                  kAgent + neighbor("up6", "2001:db8::1", "next_hop = @@\"self\"\n") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n",
                  "neighbor 'up6': IPv4 prefix 192.0.2.2/32 (service 'web') over an IPv6 session "
                  "needs an explicit IPv4 next_hop, e.g. next_hop = [\"self\", \"192.0.2.1\"]; "
                  "or remove \"ipv4-unicast\" from its families"},
        ErrorCase{"BadNextHopIsNotAlsoReportedMissing",
                  kAgent +
                      neighbor("up", "192.0.2.1", "next_hop = [\"self\", @@\"2001:db8::zz\"]\n") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"2001:db8::2\"]\n",
                  "'next_hop' \"2001:db8::zz\" is not \"self\" or a unicast address"},
        ErrorCase{"PrefixReachesNoNeighbor",
                  kAgent + neighbor("up", "192.0.2.1", "families = [\"ipv4-unicast\"]\n") +
                      "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\", @@\"2001:db8::2\"]\n",
                  "prefix 2001:db8::2/128 reaches no neighbor: none of 'up' offers ipv6-unicast"},
        ErrorCase{"BfdPeerTwice",
                  kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\n"
                           "[[bfd_peer]]\naddress = @@\"192.0.2.1\"\nmultihop = true\n",
                  "bfd_peer 192.0.2.1 is already listed on line 4"},
        ErrorCase{"BfdPeerDuplicatesNeighborSession",
                  kAgent + neighbor("up", "192.0.2.1", "bfd = true\n") +
                      "[[bfd_peer]]\naddress = @@\"192.0.2.1\"\n",
                  "bfd_peer 192.0.2.1 duplicates the BFD session of neighbor 'up'"}),
    CaseName{});

}  // namespace
}  // namespace fbf::agent::test
