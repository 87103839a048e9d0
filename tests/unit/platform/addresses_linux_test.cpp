// The rtnetlink AddressSystem against the real kernel, each test in a forked
// child inside a network namespace of its own (tests/unit/forked_child.h):
// nothing here can touch the host's interfaces, and whatever the child does
// vanishes with it. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for unshare).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "platform/addresses.h"
#include "platform/event.h"
#include "rtnl_test_util.h"
#include "tests/unit/forked_child.h"

namespace fbf::platform {
namespace {

using namespace std::chrono_literals;
using test::run_in_child;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const IpAddress kV4 = ip("192.0.2.10");
const IpAddress kV6 = ip("2001:db8::10");

#define SKIP_UNLESS_ROOT()                                                                      \
  if (::geteuid() != 0)                                                                         \
  GTEST_SKIP() << "needs root: runs in a network namespace of its own (unshare(CLONE_NEWNET)) " \
                  "and changes links and addresses there"

const InterfaceAddress* find(const std::vector<InterfaceAddress>& list, const IpAddress& a) {
  auto it = std::find_if(list.begin(), list.end(), [&](auto& x) { return x.address == a; });
  return it == list.end() ? nullptr : &*it;
}

// Runs the loop until `done` or `limit`; false on time-out.
bool pump_until(event_base* base, const std::function<bool()>& done,
                std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    const timeval slice = to_timeval(20ms);
    event_base_loopexit(base, &slice);
    event_base_dispatch(base);
  }
  return true;
}

struct Recorder {
  std::vector<NetEvent> events;

  bool saw_address(std::uint32_t index, const IpAddress& a, bool removed) const {
    return std::any_of(events.begin(), events.end(), [&](const NetEvent& ev) {
      const auto* e = std::get_if<AddressEvent>(&ev);
      return e && e->link_index == index && e->address.address == a && e->removed == removed;
    });
  }
  const AddressEvent* address_event(const IpAddress& a) const {
    for (const auto& ev : events)
      if (const auto* e = std::get_if<AddressEvent>(&ev); e && e->address.address == a) return e;
    return nullptr;
  }
  bool saw_link(const std::string& name, bool up, bool removed = false) const {
    return std::any_of(events.begin(), events.end(), [&](const NetEvent& ev) {
      const auto* e = std::get_if<LinkEvent>(&ev);
      return e && e->link.name == name && e->removed == removed && (removed || e->link.up == up);
    });
  }
  bool lost() const {
    return std::any_of(events.begin(), events.end(),
                       [](auto& ev) { return std::holds_alternative<EventsLost>(ev); });
  }
};

// The system under test on a fresh loop; fails the child when it cannot open.
struct Opened {
  EventBasePtr base = make_event_base();
  std::unique_ptr<AddressSystem> system;
  Opened() {
    auto s = open_address_system(base.get());
    EXPECT_TRUE(s) << s.error().message;
    if (s) system = std::move(*s);
  }
};

Link link_named(AddressSystem& system, const std::string& name) {
  auto l = system.find_link(name);
  EXPECT_TRUE(l) << l.error().message;
  EXPECT_TRUE(l && *l) << name << " not found";
  return l && *l ? **l : Link{};
}

TEST(AddressesLinux, HostAddressesAreAddedWithTheMarkListedAndRemoved) {
  SKIP_UNLESS_ROOT();
  const auto child = run_in_child([] {
    Opened o;
    ASSERT_TRUE(o.system);
    AddressSystem& sys = *o.system;

    // A fresh namespace's lo is down; "up" means up and running.
    Link lo = link_named(sys, "lo");
    EXPECT_EQ(lo.name, "lo");
    EXPECT_FALSE(lo.up);
    ASSERT_EQ(test::rtnl::set_link_up("lo", true), 0);
    lo = link_named(sys, "lo");
    EXPECT_TRUE(lo.up);

    auto added = sys.add_address(lo.index, kV4);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::added);
    added = sys.add_address(lo.index, kV4);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::already_present);
    added = sys.add_address(lo.index, kV6);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::added);

    auto list = sys.addresses(lo.index);
    ASSERT_TRUE(list) << list.error().message;
    const auto* v4 = find(*list, kV4);
    const auto* v6 = find(*list, kV6);
    ASSERT_TRUE(v4 && v6);
    EXPECT_EQ(v4->prefix_length, 32);
    EXPECT_TRUE(v4->marked);
    EXPECT_EQ(v6->prefix_length, 128);
    EXPECT_TRUE(v6->marked);
    // The kernel's own loopback addresses are nobody's to take.
    const auto* localhost = find(*list, ip("127.0.0.1"));
    ASSERT_TRUE(localhost);
    EXPECT_FALSE(localhost->marked);
    EXPECT_EQ(localhost->prefix_length, 8);

    // An operator's address, of another length: listed unmarked, reported
    // already present, and not removed as if it were a host address.
    const IpAddress theirs = ip("198.51.100.7");
    ASSERT_EQ(test::rtnl::add_address(lo.index, theirs, 24), 0);
    list = sys.addresses(lo.index);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_TRUE(find(*list, theirs));
    EXPECT_FALSE(find(*list, theirs)->marked);
    EXPECT_EQ(find(*list, theirs)->prefix_length, 24);
    added = sys.add_address(lo.index, theirs);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::already_present);
    EXPECT_TRUE(sys.remove_address(lo.index, theirs));
    list = sys.addresses(lo.index);
    ASSERT_TRUE(list);
    EXPECT_TRUE(find(*list, theirs)) << "a /24 went with remove_address of the /32";

    for (const auto& a : {kV4, kV6}) {
      auto removed = sys.remove_address(lo.index, a);
      EXPECT_TRUE(removed) << removed.error().message;
    }
    list = sys.addresses(lo.index);
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_FALSE(find(*list, kV4));
    EXPECT_FALSE(find(*list, kV6));
    // Absent already: what was wanted.
    auto again = sys.remove_address(lo.index, kV4);
    EXPECT_TRUE(again) << again.error().message;
  });
  EXPECT_TRUE(child);
}

TEST(AddressesLinux, TheWatchReportsAddressAndLinkChanges) {
  SKIP_UNLESS_ROOT();
  const auto child = run_in_child([] {
    Opened o;
    ASSERT_TRUE(o.system);
    AddressSystem& sys = *o.system;
    ASSERT_EQ(test::rtnl::set_link_up("lo", true), 0);
    const Link lo = link_named(sys, "lo");
    Recorder r;
    auto watching = sys.watch([&](const NetEvent& ev) { r.events.push_back(ev); });
    ASSERT_TRUE(watching) << watching.error().message;

    ASSERT_TRUE(sys.add_address(lo.index, kV4));
    ASSERT_TRUE(pump_until(o.base.get(), [&] { return r.saw_address(lo.index, kV4, false); }))
        << "no RTM_NEWADDR for " << kV4.to_string();
    const auto* added = r.address_event(kV4);
    ASSERT_NE(added, nullptr);
    EXPECT_TRUE(added->address.marked);
    EXPECT_EQ(added->address.prefix_length, 32);

    ASSERT_TRUE(sys.add_address(lo.index, kV6));
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_address(lo.index, kV6, false); }))
        << "no RTM_NEWADDR for " << kV6.to_string();

    ASSERT_TRUE(sys.remove_address(lo.index, kV4));
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_address(lo.index, kV4, true); }))
        << "no RTM_DELADDR for " << kV4.to_string();

    ASSERT_EQ(test::rtnl::set_link_up("lo", false), 0);
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_link("lo", false); }))
        << "no RTM_NEWLINK saying lo is down";
    ASSERT_EQ(test::rtnl::set_link_up("lo", true), 0);
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_link("lo", true); }))
        << "no RTM_NEWLINK saying lo is up";
    EXPECT_FALSE(r.lost());
  });
  EXPECT_TRUE(child);
}

TEST(AddressesLinux, AMissingInterfaceIsADummyLinkOrAClearNotSupported) {
  SKIP_UNLESS_ROOT();
  const auto child = run_in_child([] {
    Opened o;
    ASSERT_TRUE(o.system);
    AddressSystem& sys = *o.system;

    auto lo = sys.ensure_interface("lo");
    ASSERT_TRUE(lo) << lo.error().message;
    EXPECT_FALSE(lo->created);
    EXPECT_EQ(lo->link.name, "lo");

    auto missing = sys.find_link("fbf-svc0");
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(*missing);

    auto ensured = sys.ensure_interface("fbf-svc0");
    if (ensured) {
      // A kernel with the dummy driver: created, up, and deletable.
      std::printf("note: this kernel has dummy links\n");
      EXPECT_TRUE(ensured->created);
      EXPECT_TRUE(ensured->link.up);
      EXPECT_TRUE(sys.delete_link(ensured->link));
      auto gone = sys.find_link("fbf-svc0");
      ASSERT_TRUE(gone);
      EXPECT_FALSE(*gone);
      return;
    }
    // This machine's kernel: no dummy link type. Said as such, not "failed".
    EXPECT_EQ(ensured.error().code, AddressErrc::not_supported) << ensured.error().message;
    const std::string& m = ensured.error().message;
    EXPECT_NE(m.find("fbf-svc0"), std::string::npos) << m;
    EXPECT_NE(m.find("no dummy link type"), std::string::npos) << m;
    auto still = sys.find_link("fbf-svc0");
    ASSERT_TRUE(still);
    EXPECT_FALSE(*still);
  });
  EXPECT_TRUE(child);
}

TEST(AddressesLinux, AVethLinkIsUpOnlyWithCarrierAndLosesItsIpv6AddressWhenDown) {
  SKIP_UNLESS_ROOT();
  const auto child = run_in_child([] {
    Opened o;
    ASSERT_TRUE(o.system);
    AddressSystem& sys = *o.system;
    ASSERT_EQ(test::rtnl::add_veth("fbf-va", "fbf-vb"), 0);

    auto ensured = sys.ensure_interface("fbf-va");
    ASSERT_TRUE(ensured) << ensured.error().message;
    EXPECT_FALSE(ensured->created);  // there already: nothing made
    const std::uint32_t va = ensured->link.index;
    EXPECT_FALSE(ensured->link.up);

    // Administratively up but no carrier (its peer is down): not up.
    ASSERT_EQ(test::rtnl::set_link_up("fbf-va", true), 0);
    EXPECT_FALSE(link_named(sys, "fbf-va").up);

    Recorder r;
    ASSERT_TRUE(sys.watch([&](const NetEvent& ev) { r.events.push_back(ev); }));
    ASSERT_EQ(test::rtnl::set_link_up("fbf-vb", true), 0);
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_link("fbf-va", true); }))
        << "no event saying fbf-va is up once its peer is";
    EXPECT_TRUE(link_named(sys, "fbf-va").up);

    auto added = sys.add_address(va, kV4);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::added);
    added = sys.add_address(va, kV6);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, AddOutcome::added);
    auto list = sys.addresses(va);
    ASSERT_TRUE(list);
    ASSERT_TRUE(find(*list, kV6));
    EXPECT_TRUE(find(*list, kV6)->marked);

    // Down: Linux drops the IPv6 addresses of a link going down and keeps
    // the IPv4 ones; the watch says both.
    r.events.clear();
    ASSERT_EQ(test::rtnl::set_link_up("fbf-va", false), 0);
    EXPECT_TRUE(pump_until(o.base.get(), [&] {
      return r.saw_link("fbf-va", false) && r.saw_address(va, kV6, true);
    })) << "no link-down and IPv6 removal events";
    list = sys.addresses(va);
    ASSERT_TRUE(list);
    EXPECT_TRUE(find(*list, kV4));
    EXPECT_FALSE(find(*list, kV6));

    // Deleting one end takes both.
    r.events.clear();
    EXPECT_TRUE(sys.delete_link(link_named(sys, "fbf-va")));
    EXPECT_TRUE(pump_until(o.base.get(), [&] { return r.saw_link("fbf-va", false, true); }))
        << "no RTM_DELLINK";
    auto gone = sys.find_link("fbf-vb");
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    // Removing from a link that is gone is not an error either.
    EXPECT_TRUE(sys.remove_address(va, kV4));
  });
  EXPECT_TRUE(child);
}

}  // namespace
}  // namespace fbf::platform
