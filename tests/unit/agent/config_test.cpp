// parse_config()/load_config(): defaults, meaning of the values, and how
// errors are collected and located. Per-rule error cases: config_errors_*_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "config_test_util.h"

namespace fbf::agent::test {
namespace {

using namespace std::chrono_literals;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

TEST(ConfigDefaults, MinimalFileGetsEveryContractDefault) {
  const auto c = parse_ok("[agent]\nlocal_as = 65500\n");
  EXPECT_EQ(c.source, "t.toml");
  EXPECT_EQ(c.agent.local_as, 65500u);
  EXPECT_FALSE(c.agent.router_id.has_value());
  EXPECT_EQ(c.agent.control_socket, "/run/fbf/fbfd.sock");
  EXPECT_EQ(c.agent.state_dir, "/var/lib/fbf");
  EXPECT_EQ(c.agent.metrics_listen, "127.0.0.1:9474");
  EXPECT_EQ(c.agent.log_level, LogLevel::info);
  EXPECT_EQ(c.agent.user, "_fbf");
  EXPECT_EQ(c.bfd.min_tx, 300ms);
  EXPECT_EQ(c.bfd.min_rx, 300ms);
  EXPECT_EQ(c.bfd.multiplier, 3);
  EXPECT_EQ(c.bfd.echo_rx, 0ms);
  EXPECT_TRUE(c.neighbors.empty());
  EXPECT_TRUE(c.bfd_peers.empty());
  EXPECT_TRUE(c.services.empty());
  EXPECT_EQ(c.maintenance.drain_time, 30s);
  EXPECT_EQ(c.maintenance.drain_connections, -1);
  EXPECT_TRUE(c.maintenance.lower_preference);
  EXPECT_TRUE(c.maintenance.withdraw);
  EXPECT_FALSE(c.maintenance.close_sessions);
  EXPECT_EQ(c.maintenance.shutdown_message, "planned maintenance");
}

TEST(ConfigDefaults, NeighborDefaults) {
  const auto c = parse_ok(kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\n"
                                   "remote_as = 64515\n");
  ASSERT_EQ(c.neighbors.size(), 1u);
  const auto& n = c.neighbors[0];
  EXPECT_EQ(n.name, "up");
  EXPECT_EQ(n.address, ip("192.0.2.1"));
  EXPECT_EQ(n.remote_as, 64515u);
  EXPECT_FALSE(n.is_ibgp(c.agent.local_as));
  EXPECT_FALSE(n.local_address.has_value());
  EXPECT_EQ(n.password, "");
  EXPECT_FALSE(n.multihop.has_value());
  EXPECT_FALSE(n.ttl_security);
  EXPECT_EQ(n.hold_time, 90s);
  EXPECT_EQ(n.connect_retry, 5s);
  EXPECT_FALSE(n.passive);
  EXPECT_EQ(n.families,
            (std::vector{AddressFamily::ipv4_unicast, AddressFamily::ipv6_unicast}));
  EXPECT_FALSE(n.next_hop.has_value());
  EXPECT_FALSE(n.next_hop_other.has_value());
  EXPECT_FALSE(n.bfd.has_value());
  EXPECT_FALSE(n.bfd_strict);
}

TEST(ConfigDefaults, ServiceAndCheckDefaults) {
  const auto c = parse_ok(kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                                   "[service.check]\ntype = \"http\"\nurl = \"http://x/\"\n");
  ASSERT_EQ(c.services.size(), 1u);
  const auto& s = c.services[0];
  EXPECT_EQ(s.prefixes, std::vector{*Prefix::parse("192.0.2.2/32")});
  EXPECT_EQ(s.interface, "lo");
  EXPECT_TRUE(s.manage_addresses);
  EXPECT_TRUE(s.neighbors.empty());
  EXPECT_TRUE(s.communities.empty());
  EXPECT_TRUE(s.large_communities.empty());
  EXPECT_FALSE(s.attributes.med.has_value());
  EXPECT_EQ(s.attributes.as_path_prepend, 0);
  EXPECT_EQ(s.local_pref, 100u);
  EXPECT_EQ(s.on_failure, OnFailure::withdraw);
  EXPECT_EQ(s.disable_file, "");
  ASSERT_TRUE(s.check.has_value());
  EXPECT_EQ(s.check->type, CheckType::http);
  EXPECT_EQ(s.check->expect_status, std::vector{200});
  EXPECT_EQ(s.check->query_type, "SOA");
  EXPECT_EQ(s.check->interval, 1s);
  EXPECT_EQ(s.check->timeout, 500ms);
  EXPECT_EQ(s.check->rise, 2);
  EXPECT_EQ(s.check->fall, 2);
}

TEST(ConfigDefaults, ServiceWithoutCheckIsAlwaysHealthy) {
  const auto c = parse_ok(kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_FALSE(c.services[0].check.has_value());
}

const std::string kBfdDefaults = kAgent +
                                 "[bfd]\nmin_tx = \"50ms\"\nmin_rx = \"60ms\"\nmultiplier = 4\n"
                                 "echo_rx = \"70ms\"\n";

TEST(ConfigBfd, TrueMeansTheBfdDefaults) {
  const auto c = parse_ok(kBfdDefaults + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\n"
                                         "remote_as = 1\nbfd = true\n");
  ASSERT_TRUE(c.neighbors.at(0).bfd.has_value());
  const auto& b = *c.neighbors[0].bfd;
  EXPECT_EQ(b.timers.min_tx, 50ms);
  EXPECT_EQ(b.timers.min_rx, 60ms);
  EXPECT_EQ(b.timers.multiplier, 4);
  EXPECT_EQ(b.timers.echo_rx, 70ms);
  EXPECT_EQ(b.auth.type, BfdAuthType::none);
  EXPECT_EQ(b.min_ttl, 254);
}

TEST(ConfigBfd, FalseMeansNoBfd) {
  const auto c = parse_ok(kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\n"
                                   "remote_as = 1\nbfd = false\n");
  EXPECT_FALSE(c.neighbors.at(0).bfd.has_value());
}

TEST(ConfigBfd, TableOverridesAreMergedOverTheDefaults) {
  // The [bfd] table comes after the neighbor: order in the file must not matter.
  const auto c = parse_ok(kAgent +
                          "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\nremote_as = 1\n"
                          "[neighbor.bfd]\nmin_tx = \"10ms\"\nauth_type = \"keyed-sha1\"\n"
                          "auth_key_id = 9\nauth_key = \"abc\"\n"
                          "[bfd]\nmin_tx = \"50ms\"\nmin_rx = \"60ms\"\nmultiplier = 4\n");
  const auto& b = c.neighbors.at(0).bfd.value();
  EXPECT_EQ(b.timers.min_tx, 10ms);
  EXPECT_EQ(b.timers.min_rx, 60ms);
  EXPECT_EQ(b.timers.multiplier, 4);
  EXPECT_EQ(b.auth.type, BfdAuthType::keyed_sha1);
  EXPECT_EQ(b.auth.key_id, 9);
  EXPECT_EQ(b.auth.key, "abc");
}

TEST(ConfigBfd, MultihopSessionsDropAnInheritedEchoAndTakeMinTtl) {
  const auto c = parse_ok(kBfdDefaults +
                          "[[neighbor]]\nname = \"a\"\naddress = \"192.0.2.1\"\nremote_as = 1\n"
                          "multihop = 3\nbfd = true\n"
                          "[[neighbor]]\nname = \"b\"\naddress = \"192.0.2.2\"\nremote_as = 1\n"
                          "multihop = 3\n[neighbor.bfd]\nmin_ttl = 252\n"
                          "[[bfd_peer]]\naddress = \"192.0.2.3\"\nmultihop = true\n");
  EXPECT_TRUE(c.neighbors.at(0).bfd_multihop());
  EXPECT_EQ(c.neighbors.at(0).bfd.value().timers.echo_rx, 0ms);
  EXPECT_EQ(c.neighbors.at(1).bfd.value().timers.echo_rx, 0ms);
  EXPECT_EQ(c.neighbors.at(1).bfd.value().min_ttl, 252);
  EXPECT_EQ(c.bfd_peers.at(0).settings.timers.echo_rx, 0ms);
  EXPECT_EQ(c.bfd_peers.at(0).settings.min_ttl, 254);
}

TEST(ConfigBfd, SingleHopPeerKeepsEchoAndInterface) {
  const auto c = parse_ok(kBfdDefaults + "[[bfd_peer]]\naddress = \"fe80::1\"\ninterface = \"eth0\"\n"
                                         "min_rx = \"0ms\"\n");
  const auto& p = c.bfd_peers.at(0);
  EXPECT_EQ(p.interface, "eth0");
  EXPECT_FALSE(p.multihop);
  EXPECT_EQ(p.settings.timers.echo_rx, 70ms);
  EXPECT_EQ(p.settings.timers.min_rx, 0ms);  // allowed: RFC 5880 §6.8.1
}

TEST(ConfigBfd, StrictNeedsAndKeepsBfd) {
  const auto c = parse_ok(kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\n"
                                   "remote_as = 1\nbfd = true\nbfd_strict = true\n");
  EXPECT_TRUE(c.neighbors.at(0).bfd_strict);
}

std::string v4_neighbor_with(std::string_view next_hop) {
  return kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\nremote_as = 1\n" +
         "next_hop = " + std::string(next_hop) + "\n";
}

TEST(ConfigNextHop, SelfLeavesBothUnset) {
  const auto n = parse_ok(v4_neighbor_with("\"self\"")).neighbors.at(0);
  EXPECT_FALSE(n.next_hop);
  EXPECT_FALSE(n.next_hop_other);
}

TEST(ConfigNextHop, AnAddressOfTheSessionFamilyReplacesSelf) {
  const auto n = parse_ok(v4_neighbor_with("\"192.0.2.9\"")).neighbors.at(0);
  EXPECT_EQ(n.next_hop, ip("192.0.2.9"));
  EXPECT_FALSE(n.next_hop_other);
  EXPECT_EQ(n.next_hop_for(platform::Family::v4), ip("192.0.2.9"));
}

TEST(ConfigNextHop, AnAddressOfTheOtherFamilyKeepsSelfForOwn) {
  const auto n = parse_ok(v4_neighbor_with("\"2001:db8::9\"")).neighbors.at(0);
  EXPECT_FALSE(n.next_hop);
  EXPECT_EQ(n.next_hop_other, ip("2001:db8::9"));
  EXPECT_EQ(n.next_hop_for(platform::Family::v6), ip("2001:db8::9"));
  EXPECT_FALSE(n.next_hop_for(platform::Family::v4));
}

TEST(ConfigNextHop, ListGivesOnePerFamilyInAnyOrder) {
  const auto n = parse_ok(v4_neighbor_with("[\"2001:db8::9\", \"192.0.2.9\"]")).neighbors.at(0);
  EXPECT_EQ(n.next_hop, ip("192.0.2.9"));
  EXPECT_EQ(n.next_hop_other, ip("2001:db8::9"));
}

TEST(ConfigNextHop, ExplicitIpv6NextHopLetsIpv6PrefixesOverIpv4) {
  const auto c = parse_ok(v4_neighbor_with("[\"self\", \"2001:db8::9\"]") +
                          "[[service]]\nname = \"web\"\nprefixes = [\"2001:db8:1::/48\"]\n");
  EXPECT_EQ(c.neighbors.at(0).next_hop_other, ip("2001:db8::9"));
}

TEST(ConfigNextHop, SeparateSessionsPerFamilyNeedNoCrossFamilyNextHop) {
  parse_ok(kAgent +
           "[[neighbor]]\nname = \"v4\"\naddress = \"192.0.2.1\"\nremote_as = 1\n"
           "families = [\"ipv4-unicast\"]\n"
           "[[neighbor]]\nname = \"v6\"\naddress = \"2001:db8::1\"\nremote_as = 1\n"
           "families = [\"ipv6-unicast\"]\n"
           "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\", \"2001:db8::2\"]\n");
}

TEST(ConfigService, ValuesAreStoredAsTyped) {
  const auto c = parse_ok(
      kAgent + "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.1\"\nremote_as = 1\n"
               "families = [\"ipv4-unicast\"]\n"
               "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.0/24\"]\nneighbors = [\"up\"]\n"
               "communities = [\"65500:100\", \"graceful-shutdown\", \"no-export\"]\n"
               "large_communities = [\"65500:1:2\"]\nmed = 7\nas_path_prepend = 2\n"
               "on_failure = \"degrade\"\ndegraded = { med = 1000, as_path_prepend = 3 }\n"
               "disable_file = \"/etc/fbf/off\"\n"
               "[service.check]\ntype = \"exec\"\ncommand = [\"/bin/check\", \"-q\"]\n");
  const auto& s = c.services.at(0);
  EXPECT_EQ(s.neighbors, std::vector<std::string>{"up"});
  EXPECT_EQ(s.communities, (std::vector<std::uint32_t>{(65500u << 16) | 100u, 0xFFFF0000u,
                                                       0xFFFFFF01u}));
  EXPECT_EQ(s.large_communities, std::vector{(LargeCommunity{65500, 1, 2})});
  EXPECT_EQ(s.attributes.med, 7u);
  EXPECT_EQ(s.attributes.as_path_prepend, 2);
  EXPECT_EQ(s.on_failure, OnFailure::degrade);
  EXPECT_EQ(s.degraded.med, 1000u);
  EXPECT_EQ(s.degraded.as_path_prepend, 3);
  EXPECT_EQ(s.disable_file, "/etc/fbf/off");
  EXPECT_EQ(s.check.value().command, (std::vector<std::string>{"/bin/check", "-q"}));
}

TEST(ConfigService, DisableFileInsideTheCheckAsInTheContract) {
  const auto c = parse_ok(kAgent + "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.2\"]\n"
                                   "[service.check]\ntype = \"tcp\"\ntarget = \"127.0.0.1:80\"\n"
                                   "disable_file = \"/etc/fbf/disable-web\"\n");
  EXPECT_EQ(c.services.at(0).disable_file, "/etc/fbf/disable-web");
}

TEST(ConfigAgent, EmptyMetricsListenDisablesMetrics) {
  const auto c = parse_ok("[agent]\nlocal_as = 1\nmetrics_listen = \"\"\n");
  EXPECT_EQ(c.agent.metrics_listen, "");
}

TEST(ConfigAgent, LargestAsAndIbgp) {
  const auto c = parse_ok("[agent]\nlocal_as = 4294967295\n[[neighbor]]\nname = \"rr\"\n"
                          "address = \"192.0.2.1\"\nremote_as = 4294967295\nhold_time = \"0s\"\n");
  EXPECT_EQ(c.agent.local_as, 4294967295u);
  EXPECT_TRUE(c.neighbors.at(0).is_ibgp(c.agent.local_as));
  EXPECT_EQ(c.neighbors.at(0).hold_time, 0ms);
}

TEST(ConfigMaintenance, ShutdownMessageOf255OctetsIsAccepted) {
  std::string msg;
  for (int i = 0; i < 127; ++i) msg += "\xc3\xa9";  // 254 octets
  msg += "!";
  const auto c = parse_ok(kAgent + "[maintenance]\nshutdown_message = \"" + msg + "\"\n");
  EXPECT_EQ(c.maintenance.shutdown_message.size(), 255u);
}

// --- how errors are collected ---

TEST(ConfigErrors, ThreeDistinctMistakesGiveExactlyThreeLocatedErrors) {
  const auto errors = error_lines(
      "[agent]\n"
      "local_as = \"65500\"\n"  // 2: wrong type
      "colour = \"blue\"\n"     // 3: unknown key
      "\n"
      "[[service]]\n"
      "name = \"web\"\n"
      "prefixes = [\"192.0.2.300/32\"]\n");  // 7: bad prefix
  EXPECT_EQ(errors,
            (std::vector<std::string>{
                "t.toml:2:12: 'local_as' must be an integer, got string",
                "t.toml:3:1: unknown key 'colour' in [agent]",
                "t.toml:7:13: 'prefixes': invalid prefix \"192.0.2.300/32\": '192.0.2.300' is not "
                "an IPv4 or IPv6 address"}));
}

TEST(ConfigErrors, AreSortedByPositionNotByKeyName) {
  // toml++ iterates keys alphabetically; the report must follow the file.
  const auto errors = error_lines(
      "[agent]\n"
      "zzz = 1\n"
      "local_as = 0\n"
      "aaa = 2\n"
      "log_level = \"x\"\n");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_TRUE(errors[0].starts_with("t.toml:2:1: unknown key 'zzz'")) << errors[0];
  EXPECT_TRUE(errors[1].starts_with("t.toml:3:12: 'local_as'")) << errors[1];
  EXPECT_TRUE(errors[2].starts_with("t.toml:4:1: unknown key 'aaa'")) << errors[2];
  EXPECT_TRUE(errors[3].starts_with("t.toml:5:13: 'log_level'")) << errors[3];
}

TEST(ConfigErrors, EveryNeighborAndServiceIsChecked) {
  std::string text = kAgent;
  for (int i = 0; i < 3; ++i)
    text += "[[neighbor]]\nname = \"n" + std::to_string(i) + "\"\naddress = \"192.0.2." +
            std::to_string(i + 1) + "\"\nremote_as = 0\n";
  EXPECT_EQ(error_lines(text),
            (std::vector<std::string>{
                "t.toml:6:13: 'remote_as' must be 1..4294967295, got 0 (4-octet AS, RFC 6793)",
                "t.toml:10:13: 'remote_as' must be 1..4294967295, got 0 (4-octet AS, RFC 6793)",
                "t.toml:14:13: 'remote_as' must be 1..4294967295, got 0 (4-octet AS, RFC 6793)"}));
}

TEST(ConfigErrors, OneMistakeIsReportedOnceNotAgainByCrossChecks) {
  // The bad address must not also make the prefix "reach no neighbor", nor
  // the bad neighbor name make the service reference "unknown".
  EXPECT_EQ(error_lines(kAgent +
                        "[[neighbor]]\nname = \"up\"\naddress = \"192.0.2.300\"\nremote_as = 1\n"
                        "[[neighbor]]\nname = \"bad name\"\naddress = \"192.0.2.2\"\n"
                        "remote_as = 1\n"
                        "[[service]]\nname = \"web\"\nprefixes = [\"192.0.2.9\"]\n"
                        "neighbors = [\"up\", \"bad name\"]\n"),
            (std::vector<std::string>{
                "t.toml:5:11: 'address': '192.0.2.300' is not an IPv4 or IPv6 address",
                "t.toml:8:8: 'name' \"bad name\" must be 1..64 of A-Z a-z 0-9 . _ -, starting "
                "with a letter or digit"}));
}

TEST(ConfigErrors, SyntaxErrorIsOneErrorWithItsPosition) {
  const auto r = parse_config("[agent]\nlocal_as = 1\n[[neighbor]\n", "f.toml");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].file, "f.toml");
  EXPECT_EQ(r.error()[0].line, 3);
  EXPECT_GT(r.error()[0].column, 0);
}

TEST(ConfigErrors, GarbageNeverThrows) {
  for (std::string_view text : {"\x00\x01\x02", "[[[", "a = [1, \"x\"]", "\xff\xfe", "= 1"}) {
    EXPECT_NO_THROW({
      auto r = parse_config(text, "g.toml");
      EXPECT_FALSE(r.has_value());
    });
  }
}

TEST(ConfigErrors, ToStringFormats) {
  EXPECT_EQ((ConfigError{"f.toml", 3, 7, "bad"}).to_string(), "f.toml:3:7: bad");
  EXPECT_EQ((ConfigError{"f.toml", 0, 0, "cannot read"}).to_string(), "f.toml: cannot read");
}

// --- files ---

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fbf-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ConfigFiles, LoadsAndNamesTheFileInErrors) {
  const auto path = dir_ / "fbf.toml";
  std::ofstream(path) << "[agent]\nlocal_as = 1\nbogus = 2\n";
  const auto r = load_config(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().at(0).to_string(), path.string() + ":3:1: unknown key 'bogus' in [agent]");
  std::ofstream(path) << "[agent]\nlocal_as = 1\n";
  const auto ok = load_config(path);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->source, path);
}

TEST_F(ConfigFiles, MissingFileIsOneFileLevelError) {
  const auto path = dir_ / "absent.toml";
  const auto r = load_config(path);
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].to_string(), path.string() + ": cannot read: No such file or directory");
}

TEST_F(ConfigFiles, DirectoryIsAnError) {
  const auto r = load_config(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().at(0).to_string(), dir_.string() + ": is a directory");
}

TEST(ConfigExample, ShippedExamplePassesAndAnnouncesNothing) {
  const auto r = load_config(FBF_SOURCE_DIR "/packaging/fbf.toml");
  ASSERT_TRUE(r) << r.error().at(0).to_string();
  // It becomes /etc/fbf/fbf.toml: nothing may be announced until edited.
  EXPECT_TRUE(r->neighbors.empty() || r->services.empty());
  EXPECT_TRUE(r->bfd_peers.empty());
}

}  // namespace
}  // namespace fbf::agent::test
