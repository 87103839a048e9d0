// One failing case per rule of [[neighbor]], [neighbor.bfd] and [[bfd_peer]].
#include "config_test_util.h"

namespace fbf::agent::test {
namespace {

class NeighborErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(NeighborErrors, ReportsExactlyOneLocatedError) { expect_single_error(GetParam()); }

// A valid neighbor (lines 3..6); cases append keys from line 7 on.
const std::string kNeighbor = kAgent +
                              "[[neighbor]]\n"
                              "name = \"up\"\n"
                              "address = \"192.0.2.1\"\n"
                              "remote_as = 64515\n";
const std::string kMultihop = kNeighbor + "multihop = 2\n";

INSTANTIATE_TEST_SUITE_P(
    Config, NeighborErrors,
    ::testing::Values(
        ErrorCase{"NeighborNotArrayOfTables", kAgent + "@@[neighbor]\nname = \"x\"\n",
                  "'neighbor' must be an array of tables ([[neighbor]]), got table"},
        ErrorCase{"NameMissing",
                  kAgent + "@@[[neighbor]]\naddress = \"192.0.2.1\"\nremote_as = 1\n",
                  "missing required key 'name' in [[neighbor]]"},
        ErrorCase{"NameWithSpace",
                  kAgent + "[[neighbor]]\nname = @@\"up stream\"\naddress = \"192.0.2.1\"\n"
                           "remote_as = 1\n",
                  "'name' \"up stream\" must be 1..64 of A-Z a-z 0-9 . _ -, starting with a "
                  "letter or digit"},
        ErrorCase{"AddressMissing", kAgent + "@@[[neighbor]]\nname = \"up\"\nremote_as = 1\n",
                  "missing required key 'address' in [[neighbor]]"},
        ErrorCase{"AddressMulticast",
                  kAgent + "[[neighbor]]\nname = \"up\"\naddress = @@\"224.0.0.5\"\nremote_as = 1\n",
                  "'address' must be a unicast address, got 224.0.0.5"},
        ErrorCase{"AddressIpv6LinkLocal",
                  kAgent + "[[neighbor]]\nname = \"up\"\naddress = @@\"fe80::1\"\nremote_as = 1\n",
                  "'address' fe80::1 is IPv6 link-local; neighbors need a global or ULA address"},
        ErrorCase{"AddressNotAnAddress",
                  kAgent + "[[neighbor]]\nname = \"up\"\naddress = @@\"router\"\nremote_as = 1\n",
                  "'address': 'router' is not an IPv4 or IPv6 address"},
        ErrorCase{"RemoteAsMissing",
                  kAgent + "@@[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\n",
                  "missing required key 'remote_as' in [[neighbor]]"},
        ErrorCase{"RemoteAsZero",
                  kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\nremote_as = @@0\n",
                  "'remote_as' must be 1..4294967295, got 0 (4-octet AS, RFC 6793)"},
        ErrorCase{"LocalAddressOtherFamily", kNeighbor + "local_address = @@\"2001:db8::1\"\n",
                  "'local_address' 2001:db8::1 is not of the same family as 'address' 192.0.2.1"},
        ErrorCase{"PasswordTooLong", kNeighbor + "password = @@\"" + std::string(81, 'p') + "\"\n",
                  "'password' must be at most 80 octets (TCP-MD5 key, RFC 2385), got 81"},
        ErrorCase{"MultihopZero", kNeighbor + "multihop = @@0\n", "'multihop' must be 1..255, got 0"},
        ErrorCase{"TtlSecurityNotBool", kNeighbor + "ttl_security = @@1\n",
                  "'ttl_security' must be a boolean (true or false), got integer"},
        ErrorCase{"HoldTimeBelowThree", kNeighbor + "hold_time = @@\"2s\"\n",
                  "'hold_time' must be 0s or 3s..65535s (RFC 4271 §4.2), got 2s"},
        ErrorCase{"HoldTimeFraction", kNeighbor + "hold_time = @@\"3500ms\"\n",
                  "'hold_time' must be whole seconds (RFC 4271 §4.2), got 3500ms"},
        ErrorCase{"HoldTimeTooLong", kNeighbor + "hold_time = @@\"65536s\"\n",
                  "'hold_time' must be at most 65535s, got 65536s (RFC 4271 §4.2)"},
        ErrorCase{"ConnectRetryZero", kNeighbor + "connect_retry = @@\"0s\"\n",
                  "'connect_retry' must be at least 1ms, got 0s"},
        ErrorCase{"ConnectRetryBeyondBackoffCap", kNeighbor + "connect_retry = @@\"61s\"\n",
                  "'connect_retry' must be at most 1m, got 61s"},
        ErrorCase{"FamiliesEmpty", kNeighbor + "families = @@[]\n",
                  "'families' must name at least one of ipv4-unicast, ipv6-unicast"},
        ErrorCase{"FamiliesUnknown", kNeighbor + "families = [@@\"l2vpn-evpn\"]\n",
                  "'families': unknown family \"l2vpn-evpn\"; use ipv4-unicast or ipv6-unicast"},
        ErrorCase{"FamiliesDuplicate",
                  kNeighbor + "families = [\"ipv4-unicast\", @@\"ipv4-unicast\"]\n",
                  "'families': \"ipv4-unicast\" is listed twice"},
        ErrorCase{"FamiliesNotArray", kNeighbor + "families = @@\"ipv4-unicast\"\n",
                  "'families' must be an array of strings, got string"},
        ErrorCase{"FamiliesElementNotString", kNeighbor + "families = [@@4]\n",
                  "elements of 'families' must be strings, got integer"},
        ErrorCase{"NextHopGarbage", kNeighbor + "next_hop = @@\"router\"\n",
                  "'next_hop' \"router\" is not \"self\" or a unicast address"},
        ErrorCase{"NextHopWrongType", kNeighbor + "next_hop = @@true\n",
                  "'next_hop' must be \"self\", an address or a list of addresses, got boolean"},
        ErrorCase{"NextHopTwoOfOneFamily",
                  kNeighbor + "next_hop = [\"192.0.2.9\", @@\"192.0.2.10\"]\n",
                  "'next_hop' gives two next hops for IPv4"},
        ErrorCase{"NextHopSelfAndOwnFamily", kNeighbor + "next_hop = [\"self\", @@\"192.0.2.10\"]\n",
                  "'next_hop' gives two next hops for IPv4"},
        ErrorCase{"NextHopThreeEntries",
                  kNeighbor + "next_hop = @@[\"self\", \"2001:db8::1\", \"192.0.2.3\"]\n",
                  "'next_hop' list must hold one or two entries (one per family)"},
        ErrorCase{"BfdWrongType", kNeighbor + "bfd = @@\"yes\"\n",
                  "'bfd' must be a boolean or a table ([neighbor.bfd]), got string"},
        ErrorCase{"BfdStrictWithoutBfd", kNeighbor + "bfd_strict = @@true\n",
                  "'bfd_strict' needs BFD to the neighbor (bfd = true or [neighbor.bfd])"},
        ErrorCase{"UnknownNeighborKey", kNeighbor + "@@remote_asn = 1\n",
                  "unknown key 'remote_asn' in [[neighbor]] (did you mean 'remote_as'?)"},
        // --- [neighbor.bfd] ---
        ErrorCase{"BfdUnknownKey", kNeighbor + "[neighbor.bfd]\n@@detect_mult = 3\n",
                  "unknown key 'detect_mult' in [neighbor.bfd]"},
        ErrorCase{"BfdAuthTypeUnknown", kNeighbor + "[neighbor.bfd]\nauth_type = @@\"sha256\"\n",
                  "'auth_type' must be one of none, simple, keyed-md5, meticulous-keyed-md5, "
                  "keyed-sha1, meticulous-keyed-sha1; got \"sha256\""},
        ErrorCase{"BfdAuthKeyMissing", kNeighbor + "[neighbor.bfd]\nauth_type = @@\"keyed-md5\"\n",
                  "'auth_type' keyed-md5 needs 'auth_key'"},
        ErrorCase{"BfdAuthKeyWithoutType", kNeighbor + "[neighbor.bfd]\nauth_key = @@\"secret\"\n",
                  "'auth_key' is set but 'auth_type' is none"},
        ErrorCase{"BfdSimpleKeyEmpty",
                  kNeighbor + "[neighbor.bfd]\nauth_type = \"simple\"\nauth_key = @@\"\"\n",
                  "'auth_key' for simple must be 1..16 octets, got 0 (RFC 5880 §4.2)"},
        ErrorCase{"BfdSimpleKeyTooLong",
                  kNeighbor + "[neighbor.bfd]\nauth_type = \"simple\"\nauth_key = @@\"" +
                      std::string(17, 'k') + "\"\n",
                  "'auth_key' for simple must be 1..16 octets, got 17 (RFC 5880 §4.2)"},
        ErrorCase{"BfdMd5KeyTooLong",
                  kNeighbor + "[neighbor.bfd]\nauth_type = \"meticulous-keyed-md5\"\nauth_key = @@\"" +
                      std::string(17, 'k') + "\"\n",
                  "'auth_key' for meticulous-keyed-md5 must be 1..16 octets, got 17 (RFC 5880 "
                  "§4.3)"},
        ErrorCase{"BfdSha1KeyTooLong",
                  kNeighbor + "[neighbor.bfd]\nauth_type = \"keyed-sha1\"\nauth_key = @@\"" +
                      std::string(21, 'k') + "\"\n",
                  "'auth_key' for keyed-sha1 must be 1..20 octets, got 21 (RFC 5880 §4.4)"},
        ErrorCase{"BfdAuthKeyIdTooLarge",
                  kNeighbor + "[neighbor.bfd]\nauth_type = \"keyed-sha1\"\nauth_key = \"k\"\n"
                              "auth_key_id = @@256\n",
                  "'auth_key_id' must be 0..255, got 256"},
        ErrorCase{"BfdMinTtlOnSingleHop", kNeighbor + "[neighbor.bfd]\nmin_ttl = @@250\n",
                  "'min_ttl' applies to multihop sessions only; single-hop BFD always requires "
                  "TTL 255 (RFC 5881 §5)"},
        ErrorCase{"BfdMinTtlZero", kMultihop + "[neighbor.bfd]\nmin_ttl = @@0\n",
                  "'min_ttl' must be 1..255, got 0"},
        ErrorCase{"BfdEchoOnMultihop", kMultihop + "[neighbor.bfd]\necho_rx = @@\"50ms\"\n",
                  "'echo_rx' must be 0ms on a multihop session (RFC 5883 §3)"},
        ErrorCase{"BfdMinTxZero", kNeighbor + "[neighbor.bfd]\nmin_tx = @@\"0s\"\n",
                  "'min_tx' must be at least 1ms, got 0s (RFC 5880 §4.1)"},
        // --- [[bfd_peer]] ---
        ErrorCase{"PeerAddressMissing", kAgent + "@@[[bfd_peer]]\nmultihop = true\n",
                  "missing required key 'address' in [[bfd_peer]]"},
        ErrorCase{"PeerInterfaceWithMultihop",
                  kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\nmultihop = true\n"
                           "interface = @@\"eth0\"\n",
                  "'interface' applies to single-hop sessions only"},
        ErrorCase{"PeerInterfaceTooLong",
                  kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\ninterface = @@\"" +
                      std::string(16, 'i') + "\"\n",
                  "'interface' \"" + std::string(16, 'i') +
                      "\" is not an interface name (1..15 octets, no '/', ':' or white space)"},
        ErrorCase{"PeerLinkLocalNeedsInterface",
                  kAgent + "[[bfd_peer]]\naddress = @@\"fe80::1\"\n",
                  "'address' fe80::1 is IPv6 link-local and needs 'interface'"},
        ErrorCase{"PeerLocalAddressOtherFamily",
                  kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\nlocal_address = @@\"::1\"\n",
                  "'local_address' ::1 is not of the same family as 'address' 192.0.2.1"},
        ErrorCase{"PeerMinTtlOnSingleHop",
                  kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\nmin_ttl = @@254\n",
                  "'min_ttl' applies to multihop sessions only; single-hop BFD always requires "
                  "TTL 255 (RFC 5881 §5)"},
        ErrorCase{"PeerUnknownKey", kAgent + "[[bfd_peer]]\naddress = \"192.0.2.1\"\n@@name = \"x\"\n",
                  "unknown key 'name' in [[bfd_peer]]"},
        ErrorCase{"PeerNotTables", "bfd_peer = [@@\"192.0.2.1\"]\n" + kAgent,
                  "elements of 'bfd_peer' must be tables ([[bfd_peer]]), got string"}),
    CaseName{});

}  // namespace
}  // namespace fbf::agent::test
