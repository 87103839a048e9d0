// One failing case per rule of the top level, [agent], [bfd] and [maintenance].
#include "config_test_util.h"

namespace fbf::agent::test {
namespace {

class AgentErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(AgentErrors, ReportsExactlyOneLocatedError) { expect_single_error(GetParam()); }

const std::string k256(256, 'x');

INSTANTIATE_TEST_SUITE_P(
    Config, AgentErrors,
    ::testing::Values(
        // --- top level ---
        ErrorCase{"AgentTableMissing", "@@[bfd]\nmultiplier = 3\n",
                  "missing required table [agent] (local_as is required)"},
        ErrorCase{"EmptyFile", "@@", "missing required table [agent] (local_as is required)"},
        ErrorCase{"AgentNotATable", "agent = @@5\n", "'agent' must be a table ([agent]), got integer"},
        ErrorCase{"UnknownTopLevelKey", "@@colour = 1\n" + kAgent,
                  "unknown key 'colour' at top level"},
        ErrorCase{"UnknownTopLevelTable", kAgent + "@@[maintenance_window]\n",
                  "unknown table [maintenance_window]"},
        ErrorCase{"TypoedTopLevelTable", kAgent + "@@[[neighbour]]\n",
                  "unknown table [[neighbour]] (did you mean 'neighbor'?)"},
        ErrorCase{"SyntaxError", kAgent + "x = @@\n",
                  "Error while parsing key-value pair: expected value, saw '\\n'"},
        ErrorCase{"IntegerOutOfToml", "[agent]\nlocal_as = 99999999999999999999@@\n",
                  "Error while parsing decimal integer: '99999999999999999999' is not "
                  "representable in 64 bits"},
        // --- [agent] ---
        ErrorCase{"LocalAsMissing", "@@[agent]\nlog_level = \"info\"\n",
                  "missing required key 'local_as' in [agent]"},
        ErrorCase{"LocalAsZero", "[agent]\nlocal_as = @@0\n",
                  "'local_as' must be 1..4294967295, got 0 (4-octet AS, RFC 6793)"},
        ErrorCase{"LocalAsTooLarge", "[agent]\nlocal_as = @@4294967296\n",
                  "'local_as' must be 1..4294967295, got 4294967296 (4-octet AS, RFC 6793)"},
        ErrorCase{"LocalAsIsAsTrans", "[agent]\nlocal_as = @@23456\n",
                  "'local_as' 23456 is AS_TRANS, reserved (RFC 6793 §9)"},
        ErrorCase{"LocalAsString", "[agent]\nlocal_as = @@\"65500\"\n",
                  "'local_as' must be an integer, got string"},
        ErrorCase{"LocalAsFloat", "[agent]\nlocal_as = @@65500.0\n",
                  "'local_as' must be an integer, got float"},
        ErrorCase{"RouterIdIpv6", kAgent + "router_id = @@\"2001:db8::1\"\n",
                  "'router_id' must be an IPv4 address, got 2001:db8::1"},
        ErrorCase{"RouterIdZero", kAgent + "router_id = @@\"0.0.0.0\"\n",
                  "'router_id' must not be 0.0.0.0 (RFC 6286 §2.1)"},
        ErrorCase{"RouterIdGarbage", kAgent + "router_id = @@\"1.2.3\"\n",
                  "'router_id': '1.2.3' is not an IPv4 or IPv6 address"},
        ErrorCase{"ControlSocketEmpty", kAgent + "control_socket = @@\"\"\n",
                  "'control_socket' must be a path of 1..107 octets (unix socket limit), got 0"},
        ErrorCase{"ControlSocketTooLong", kAgent + "control_socket = @@\"/" + std::string(107, 's') +
                                              "\"\n",
                  "'control_socket' must be a path of 1..107 octets (unix socket limit), got 108"},
        ErrorCase{"StateDirEmpty", kAgent + "state_dir = @@\"\"\n", "'state_dir' must not be empty"},
        ErrorCase{"MetricsListenNoPort", kAgent + "metrics_listen = @@\"localhost\"\n",
                  "'metrics_listen' \"localhost\": expected HOST:PORT (IPv6 as [ADDR]:PORT) "
                  "(or \"\" to disable)"},
        ErrorCase{"MetricsListenPortZero", kAgent + "metrics_listen = @@\"127.0.0.1:0\"\n",
                  "'metrics_listen' \"127.0.0.1:0\": port must be 1..65535 (or \"\" to disable)"},
        ErrorCase{"MetricsListenBareIpv6", kAgent + "metrics_listen = @@\"::1:9474\"\n",
                  "'metrics_listen' \"::1:9474\": expected HOST:PORT (IPv6 as [ADDR]:PORT) "
                  "(or \"\" to disable)"},
        ErrorCase{"LogLevelUnknown", kAgent + "log_level = @@\"loud\"\n",
                  "'log_level' must be one of trace, debug, info, warn, error; got \"loud\""},
        ErrorCase{"UserInvalid", kAgent + "user = @@\"-fbf\"\n",
                  "'user' \"-fbf\" is not a valid user name (1..32 of A-Z a-z 0-9 . _ -)"},
        ErrorCase{"UnknownAgentKey", kAgent + "@@colour = \"blue\"\n",
                  "unknown key 'colour' in [agent]"},
        ErrorCase{"TypoedAgentKey", kAgent + "@@log_levle = \"info\"\n",
                  "unknown key 'log_levle' in [agent] (did you mean 'log_level'?)"},
        // --- [bfd] ---
        ErrorCase{"BfdNotATable", "bfd = @@true\n" + kAgent, "'bfd' must be a table ([bfd]), got boolean"},
        ErrorCase{"MinTxZero", kAgent + "[bfd]\nmin_tx = @@\"0ms\"\n",
                  "'min_tx' must be at least 1ms, got 0s (RFC 5880 §4.1)"},
        ErrorCase{"MinTxTooLarge", kAgent + "[bfd]\nmin_tx = @@\"4295s\"\n",
                  "'min_tx' must be at most 4294967ms, got 4295s (RFC 5880 §4.1)"},
        ErrorCase{"MinTxInteger", kAgent + "[bfd]\nmin_tx = @@300\n",
                  "'min_tx' must be a duration string such as \"300ms\" or \"3s\", got integer"},
        ErrorCase{"MinRxNegative", kAgent + "[bfd]\nmin_rx = @@\"-1ms\"\n",
                  "'min_rx': negative duration \"-1ms\""},
        ErrorCase{"MinRxTooLarge", kAgent + "[bfd]\nmin_rx = @@\"2h\"\n",
                  "'min_rx' must be at most 4294967ms, got 2h (RFC 5880 §4.1)"},
        ErrorCase{"MultiplierZero", kAgent + "[bfd]\nmultiplier = @@0\n",
                  "'multiplier' must be 1..255, got 0 (RFC 5880 §4.1)"},
        ErrorCase{"MultiplierTooLarge", kAgent + "[bfd]\nmultiplier = @@256\n",
                  "'multiplier' must be 1..255, got 256 (RFC 5880 §4.1)"},
        ErrorCase{"EchoRxNoUnit", kAgent + "[bfd]\necho_rx = @@\"5\"\n",
                  "'echo_rx': duration \"5\" has no unit (ms, s, m or h)"},
        ErrorCase{"DurationFraction", kAgent + "[bfd]\nmin_tx = @@\"1.5s\"\n",
                  "'min_tx': fractional duration \"1.5s\"; use a smaller unit (\"1500ms\")"},
        ErrorCase{"DurationUnknownUnit", kAgent + "[bfd]\nmin_tx = @@\"3d\"\n",
                  "'min_tx': duration \"3d\" has an unknown unit; use ms, s, m or h"},
        ErrorCase{"DurationOverflow", kAgent + "[bfd]\nmin_tx = @@\"9999999999999999999h\"\n",
                  "'min_tx': duration \"9999999999999999999h\" is too large"},
        ErrorCase{"UnknownBfdKey", kAgent + "[bfd]\n@@auth_type = \"simple\"\n",
                  "unknown key 'auth_type' in [bfd]"},
        // --- [maintenance] ---
        ErrorCase{"MaintenanceNotATable", "maintenance = @@\"now\"\n" + kAgent,
                  "'maintenance' must be a table ([maintenance]), got string"},
        ErrorCase{"DrainTimeNegative", kAgent + "[maintenance]\ndrain_time = @@\"-30s\"\n",
                  "'drain_time': negative duration \"-30s\""},
        ErrorCase{"DrainTimeTooLong", kAgent + "[maintenance]\ndrain_time = @@\"25h\"\n",
                  "'drain_time' must be at most 24h, got 25h"},
        ErrorCase{"DrainConnectionsBelowMinusOne",
                  kAgent + "[maintenance]\ndrain_connections = @@-2\n",
                  "'drain_connections' must be -1..2147483647, got -2"},
        ErrorCase{"LowerPreferenceNotBool", kAgent + "[maintenance]\nlower_preference = @@\"yes\"\n",
                  "'lower_preference' must be a boolean (true or false), got string"},
        ErrorCase{"CloseSessionsWithoutWithdraw",
                  kAgent + "[maintenance]\nwithdraw = false\nclose_sessions = @@true\n",
                  "'close_sessions' = true contradicts 'withdraw' = false: closing the sessions "
                  "withdraws the routes"},
        ErrorCase{"ShutdownMessageTooLong",
                  kAgent + "[maintenance]\nshutdown_message = @@\"" + k256 + "\"\n",
                  "'shutdown_message' must be at most 255 octets (RFC 9003 §2), got 256"},
        ErrorCase{"ShutdownMessageOctetsNotCharacters",
                  kAgent + "[maintenance]\nshutdown_message = @@\"" +
                      [] {
                        std::string s;
                        for (int i = 0; i < 128; ++i) s += "\xc3\xa9";  // é: 2 octets
                        return s;
                      }() + "\"\n",
                  "'shutdown_message' must be at most 255 octets (RFC 9003 §2), got 256"},
        ErrorCase{"UnknownMaintenanceKey", kAgent + "[maintenance]\n@@drain = \"30s\"\n",
                  "unknown key 'drain' in [maintenance]"}),
    CaseName{});

}  // namespace
}  // namespace fbf::agent::test
