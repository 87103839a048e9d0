// One failing case per rule of [[service]], `degraded` and [service.check].
#include "config_test_util.h"

namespace fbf::agent::test {
namespace {

class ServiceErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(ServiceErrors, ReportsExactlyOneLocatedError) { expect_single_error(GetParam()); }

// A valid service (lines 3..5); cases append keys from line 6 on.
const std::string kService = kAgent +
                             "[[service]]\n"
                             "name = \"web\"\n"
                             "prefixes = [\"192.0.2.2/32\"]\n";
const std::string kCheck = kService + "[service.check]\n";  // line 6

INSTANTIATE_TEST_SUITE_P(
    Config, ServiceErrors,
    ::testing::Values(
        ErrorCase{"NameMissing", kAgent + "@@[[service]]\nprefixes = [\"192.0.2.2\"]\n",
                  "missing required key 'name' in [[service]]"},
        ErrorCase{"NameInvalid", kAgent + "[[service]]\nname = @@\"-web\"\nprefixes = [\"192.0.2.2\"]\n",
                  "'name' \"-web\" must be 1..64 of A-Z a-z 0-9 . _ -, starting with a letter or "
                  "digit"},
        ErrorCase{"PrefixesMissing", kAgent + "@@[[service]]\nname = \"web\"\n",
                  "missing required key 'prefixes' in [[service]]"},
        ErrorCase{"PrefixesEmpty", kAgent + "[[service]]\nname = \"web\"\nprefixes = @@[]\n",
                  "'prefixes' must not be empty"},
        ErrorCase{"PrefixBadAddress",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [@@\"192.0.2.300/32\"]\n",
                  "'prefixes': invalid prefix \"192.0.2.300/32\": '192.0.2.300' is not an IPv4 or "
                  "IPv6 address"},
        ErrorCase{"PrefixHostBits",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [@@\"192.0.2.1/24\"]\n",
                  "'prefixes': invalid prefix \"192.0.2.1/24\": host bits set beyond /24"},
        ErrorCase{"PrefixLengthTooLong",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [@@\"2001:db8::/129\"]\n",
                  "'prefixes': invalid prefix \"2001:db8::/129\": prefix length 129 exceeds 128"},
        ErrorCase{"PrefixLengthGarbage",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [@@\"192.0.2.0/x\"]\n",
                  "'prefixes': invalid prefix \"192.0.2.0/x\": 'x' is not a prefix length"},
        ErrorCase{"PrefixTwiceInService",
                  kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\", @@\"192.0.2.2/32\"]\n",
                  "'prefixes': 192.0.2.2/32 is listed twice"},
        ErrorCase{"InterfaceInvalid", kService + "interface = @@\"lo/0\"\n",
                  "'interface' \"lo/0\" is not an interface name (1..15 octets, no '/', ':' or "
                  "white space)"},
        ErrorCase{"ManageAddressesNotBool", kService + "manage_addresses = @@\"no\"\n",
                  "'manage_addresses' must be a boolean (true or false), got string"},
        ErrorCase{"NeighborListedTwice",
                  kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\nremote_as = 1\n" +
                      "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                      "neighbors = [\"up\", @@\"up\"]\n",
                  "'neighbors': \"up\" is listed twice"},
        ErrorCase{"CommunityHalfTooLarge", kService + "communities = [@@\"65536:1\"]\n",
                  "'communities': community '65536:1' is not A:B with 16-bit numbers (0..65535) or "
                  "a well-known name"},
        ErrorCase{"CommunityUnknownName", kService + "communities = [@@\"no-exports\"]\n",
                  "'communities': community 'no-exports' is not A:B with 16-bit numbers "
                  "(0..65535) or a well-known name"},
        ErrorCase{"CommunityTwice",
                  kService + "communities = [\"65535:65281\", @@\"no-export\"]\n",
                  "'communities': \"no-export\" is listed twice"},
        ErrorCase{"LargeCommunityTwoFields", kService + "large_communities = [@@\"1:2\"]\n",
                  "'large_communities': large community '1:2' is not A:B:C with 32-bit numbers "
                  "(0..4294967295)"},
        ErrorCase{"LargeCommunityTooLarge", kService + "large_communities = [@@\"4294967296:0:0\"]\n",
                  "'large_communities': large community '4294967296:0:0' is not A:B:C with 32-bit "
                  "numbers (0..4294967295)"},
        ErrorCase{"MedNegative", kService + "med = @@-1\n", "'med' must be 0..4294967295, got -1"},
        ErrorCase{"PrependTooMany", kService + "as_path_prepend = @@11\n",
                  "'as_path_prepend' must be 0..10, got 11"},
        ErrorCase{"LocalPrefTooLarge", kService + "local_pref = @@4294967296\n",
                  "'local_pref' must be 0..4294967295, got 4294967296"},
        ErrorCase{"OnFailureUnknown", kService + "on_failure = @@\"ignore\"\n",
                  "'on_failure' must be one of withdraw, degrade; got \"ignore\""},
        ErrorCase{"DegradedWithoutDegrade", kService + "degraded = @@{ med = 1000 }\n",
                  "'degraded' is only used with on_failure = \"degrade\""},
        ErrorCase{"DegradeWithoutDegraded", kService + "on_failure = @@\"degrade\"\n",
                  "on_failure = \"degrade\" needs 'degraded', e.g. degraded = { as_path_prepend = "
                  "3 }"},
        ErrorCase{"DegradedUnknownKey",
                  kService + "on_failure = \"degrade\"\ndegraded = { med = 1, @@local_pref = 5 }\n",
                  "unknown key 'local_pref' in [service.degraded]"},
        ErrorCase{"DegradedPrependTooMany",
                  kService + "on_failure = \"degrade\"\ndegraded = { as_path_prepend = @@99 }\n",
                  "'as_path_prepend' must be 0..10, got 99"},
        ErrorCase{"DegradedNotATable", kService + "on_failure = \"degrade\"\ndegraded = @@3\n",
                  "'degraded' must be a table such as { as_path_prepend = 3 }, got integer"},
        ErrorCase{"DisableFileRelative", kService + "disable_file = @@\"disable-web\"\n",
                  "'disable_file' must be an absolute path, got \"disable-web\""},
        ErrorCase{"DisableFileTwice",
                  kService + "disable_file = \"/a\"\n[service.check]\ntype = \"tcp\"\n"
                             "target = \"127.0.0.1:80\"\ndisable_file = @@\"/b\"\n",
                  "'disable_file' is given in both [[service]] and [service.check]"},
        ErrorCase{"UnknownServiceKey", kService + "@@prefix = \"192.0.2.3\"\n",
                  "unknown key 'prefix' in [[service]] (did you mean 'prefixes'?)"},
        // --- [service.check] ---
        ErrorCase{"CheckNotATable", kService + "check = @@\"tcp\"\n",
                  "'check' must be a table ([service.check]), got string"},
        ErrorCase{"CheckTypeMissing", kService + "@@[service.check]\ninterval = \"1s\"\n",
                  "missing required key 'type' in [service.check]"},
        ErrorCase{"CheckTypeUnknown", kCheck + "type = @@\"icmp\"\n",
                  "'type' must be one of tcp, http, dns, exec; got \"icmp\""},
        ErrorCase{"TcpNeedsTarget", kService + "@@[service.check]\ntype = \"tcp\"\n",
                  "type = \"tcp\" needs 'target' in [service.check]"},
        ErrorCase{"TcpTargetNoPort", kCheck + "type = \"tcp\"\ntarget = @@\"127.0.0.1\"\n",
                  "'target' \"127.0.0.1\": expected HOST:PORT (IPv6 as [ADDR]:PORT)"},
        ErrorCase{"TcpWithUrl",
                  kCheck + "type = \"tcp\"\ntarget = \"127.0.0.1:80\"\nurl = @@\"http://x/\"\n",
                  "'url' does not apply to type = \"tcp\""},
        ErrorCase{"HttpNeedsUrl", kService + "@@[service.check]\ntype = \"http\"\n",
                  "type = \"http\" needs 'url' in [service.check]"},
        ErrorCase{"HttpsUnsupported", kCheck + "type = \"http\"\nurl = @@\"https://x/healthz\"\n",
                  "'url' \"https://x/healthz\" https is not supported; use http://"},
        ErrorCase{"UrlNotHttp", kCheck + "type = \"http\"\nurl = @@\"ftp://x/\"\n",
                  "'url' \"ftp://x/\" must start with http://"},
        ErrorCase{"UrlNoHost", kCheck + "type = \"http\"\nurl = @@\"http:///healthz\"\n",
                  "'url' \"http:///healthz\" has no host"},
        ErrorCase{"UrlBadPort", kCheck + "type = \"http\"\nurl = @@\"http://x:0/\"\n",
                  "'url' \"http://x:0/\" port must be 1..65535"},
        ErrorCase{"ExpectStatusOutOfRange",
                  kCheck + "type = \"http\"\nurl = \"http://x/\"\nexpect_status = [200, @@99]\n",
                  "'expect_status' entries must be integers 100..599"},
        ErrorCase{"ExpectStatusEmpty",
                  kCheck + "type = \"http\"\nurl = \"http://x/\"\nexpect_status = @@[]\n",
                  "'expect_status' must be a non-empty array of HTTP status codes"},
        ErrorCase{"ExpectStatusForTcp",
                  kCheck + "type = \"tcp\"\ntarget = \"x:1\"\nexpect_status = @@[200]\n",
                  "'expect_status' does not apply to type = \"tcp\""},
        ErrorCase{"DnsNeedsQuery",
                  kService + "@@[service.check]\ntype = \"dns\"\ntarget = \"127.0.0.1:53\"\n",
                  "type = \"dns\" needs 'query' in [service.check]"},
        ErrorCase{"DnsQueryTypeUnknown",
                  kCheck + "type = \"dns\"\ntarget = \"127.0.0.1:53\"\nquery = \"x\"\n"
                           "query_type = @@\"soa\"\n",
                  "'query_type' must be one of A, AAAA, CAA, CNAME, DNSKEY, DS, MX, NS, PTR, SOA, "
                  "SRV, TXT; got \"soa\""},
        ErrorCase{"DnsQueryEmpty",
                  kCheck + "type = \"dns\"\ntarget = \"127.0.0.1:53\"\nquery = @@\"\"\n",
                  "'query' must not be empty"},
        ErrorCase{"ExecNeedsCommand", kService + "@@[service.check]\ntype = \"exec\"\n",
                  "type = \"exec\" needs 'command' in [service.check]"},
        ErrorCase{"ExecCommandEmpty", kCheck + "type = \"exec\"\ncommand = @@[]\n",
                  "'command' must be a non-empty array whose first element names the program"},
        ErrorCase{"ExecCommandString", kCheck + "type = \"exec\"\ncommand = @@\"/bin/true\"\n",
                  "'command' must be an array of strings, got string"},
        ErrorCase{"TimeoutNotShorterThanInterval",
                  kCheck + "type = \"tcp\"\ntarget = \"x:1\"\ninterval = \"1s\"\ntimeout = @@\"1s\"\n",
                  "'timeout' (1s) must be shorter than 'interval' (1s)"},
        ErrorCase{"IntervalBelowDefaultTimeout",
                  kCheck + "type = \"tcp\"\ntarget = \"x:1\"\ninterval = @@\"200ms\"\n",
                  "'timeout' (500ms) must be shorter than 'interval' (200ms)"},
        ErrorCase{"IntervalZero", kCheck + "type = \"tcp\"\ntarget = \"x:1\"\ninterval = @@\"0s\"\n",
                  "'interval' must be at least 1ms, got 0s"},
        ErrorCase{"RiseZero", kCheck + "type = \"tcp\"\ntarget = \"x:1\"\nrise = @@0\n",
                  "'rise' must be 1..100, got 0"},
        ErrorCase{"FallTooLarge", kCheck + "type = \"tcp\"\ntarget = \"x:1\"\nfall = @@101\n",
                  "'fall' must be 1..100, got 101"},
        ErrorCase{"UnknownCheckKey", kCheck + "type = \"tcp\"\ntarget = \"x:1\"\n@@port = 80\n",
                  "unknown key 'port' in [service.check]"}),
    CaseName{});

}  // namespace
}  // namespace fbf::agent::test
