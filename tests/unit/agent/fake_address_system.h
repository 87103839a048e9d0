#pragma once
// An in-memory platform::AddressSystem for the agent's tests: links,
// addresses with fbfd's mark, and the events a kernel would send.
//
// The state lives in a FakeHost shared between the fake (owned by the code
// under test) and the test, so the test can still look at the host after the
// code under test is gone (what a shutdown left behind).
//
// Events are queued, not delivered at once: a kernel announces a change
// through the event loop, after the call that made it has returned. Tests
// call deliver() where the loop would run. The "someone else" helpers change
// the host behind fbfd's back and queue the same events.

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/addresses.h"

namespace fbf::agent::test {

using platform::AddressEvent;
using platform::AddressResult;
using platform::InterfaceAddress;
using platform::IpAddress;
using platform::Link;
using platform::LinkEvent;
using platform::NetEvent;

inline std::uint8_t host_length(const IpAddress& a) { return a.is_v4() ? 32 : 128; }

struct FakeHost {
  std::map<std::string, Link> links;                                 // by name
  std::map<std::uint32_t, std::vector<InterfaceAddress>> addresses;  // by link index
  std::uint32_t next_index = 1;
  // This machine's kernel has no dummy link type; tests that want one say so.
  bool dummy_supported = false;

  // What fbfd asked for, in order.
  int ensure_calls = 0;
  int watch_calls = 0;
  std::vector<IpAddress> added;    // add_address() that added
  std::vector<IpAddress> removed;  // remove_address() calls
  std::vector<std::string> created_links, deleted_links;

  platform::NetEventHandler handler;
  std::deque<NetEvent> pending;

  // --- set-up and "someone else" ---

  Link& add_link(const std::string& name, bool up = true) {
    Link& l = links[name];
    l = Link{next_index++, name, up};
    pending.push_back(LinkEvent{l, false});
    return l;
  }
  std::uint32_t index(const std::string& name) const { return links.at(name).index; }

  // An address put there by the operator (unmarked) or by an earlier fbfd (marked).
  void put(const std::string& link, const IpAddress& a, std::uint8_t length, bool marked = false) {
    InterfaceAddress ia{a, length, marked};
    addresses[index(link)].push_back(ia);
    pending.push_back(AddressEvent{index(link), ia, false});
  }
  // `ip addr del`: every length of `a` on the link goes.
  void take_away(const std::string& link, const IpAddress& a) {
    auto& list = addresses[index(link)];
    for (auto it = list.begin(); it != list.end();) {
      if (it->address != a) {
        ++it;
        continue;
      }
      pending.push_back(AddressEvent{index(link), *it, true});
      it = list.erase(it);
    }
  }
  // `ip link set LINK down/up`. Like Linux on a non-loopback link, going down
  // drops the IPv6 addresses (unless keep_addr_on_down) and keeps IPv4 ones;
  // the link message comes first.
  void set_up(const std::string& name, bool up) {
    Link& l = links.at(name);
    l.up = up;
    pending.push_back(LinkEvent{l, false});
    if (up) return;
    auto& list = addresses[l.index];
    for (auto it = list.begin(); it != list.end();) {
      if (it->address.is_v4()) {
        ++it;
        continue;
      }
      pending.push_back(AddressEvent{l.index, *it, true});
      it = list.erase(it);
    }
  }

  // --- looking ---

  const InterfaceAddress* find(const std::string& link, const IpAddress& a) const {
    auto l = links.find(link);
    if (l == links.end()) return nullptr;
    auto it = addresses.find(l->second.index);
    if (it == addresses.end()) return nullptr;
    for (const auto& ia : it->second)
      if (ia.address == a) return &ia;
    return nullptr;
  }
  bool has(const std::string& link, const IpAddress& a) const { return find(link, a) != nullptr; }

  // The loop runs: every queued event reaches the handler, in order,
  // including those the handler's own calls queue meanwhile.
  void deliver() {
    while (!pending.empty()) {
      NetEvent ev = std::move(pending.front());
      pending.pop_front();
      if (handler) handler(ev);
    }
  }
};

class FakeAddressSystem final : public platform::AddressSystem {
 public:
  explicit FakeAddressSystem(std::shared_ptr<FakeHost> host) : host_(std::move(host)) {}
  // The handler points into the code under test, which is going away with us.
  ~FakeAddressSystem() override { host_->handler = nullptr; }
  FakeAddressSystem(const FakeAddressSystem&) = delete;
  FakeAddressSystem& operator=(const FakeAddressSystem&) = delete;

  AddressResult<std::optional<Link>> find_link(const std::string& name) override {
    auto it = host_->links.find(name);
    if (it == host_->links.end()) return std::nullopt;
    return it->second;
  }

  AddressResult<platform::EnsuredLink> ensure_interface(const std::string& name) override {
    ++host_->ensure_calls;
    if (auto it = host_->links.find(name); it != host_->links.end())
      return platform::EnsuredLink{it->second, false};
    if (!host_->dummy_supported)
      // The wording of the Linux implementation, cause included.
      return std::unexpected(platform::AddressError{
          platform::AddressErrc::not_supported,
          "cannot create dummy link " + name +
              ": the kernel has no dummy link type (Operation not supported)"});
    host_->created_links.push_back(name);
    return platform::EnsuredLink{host_->add_link(name, true), true};
  }

  AddressResult<void> delete_link(const Link& link) override {
    host_->deleted_links.push_back(link.name);
    host_->addresses.erase(link.index);
    if (host_->links.erase(link.name) != 0) host_->pending.push_back(LinkEvent{link, true});
    return {};
  }

  AddressResult<std::vector<InterfaceAddress>> addresses(std::uint32_t index) override {
    auto it = host_->addresses.find(index);
    if (it == host_->addresses.end()) return std::vector<InterfaceAddress>{};
    return it->second;
  }

  AddressResult<platform::AddOutcome> add_address(std::uint32_t index,
                                                  const IpAddress& address) override {
    auto& list = host_->addresses[index];
    for (const auto& a : list)
      if (a.address == address) return platform::AddOutcome::already_present;
    InterfaceAddress ia{address, host_length(address), true};
    list.push_back(ia);
    host_->added.push_back(address);
    host_->pending.push_back(AddressEvent{index, ia, false});
    return platform::AddOutcome::added;
  }

  AddressResult<void> remove_address(std::uint32_t index, const IpAddress& address) override {
    host_->removed.push_back(address);
    auto& list = host_->addresses[index];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->address == address && it->prefix_length == host_length(address)) {
        host_->pending.push_back(AddressEvent{index, *it, true});
        list.erase(it);
        break;
      }
    }
    return {};
  }

  AddressResult<void> watch(platform::NetEventHandler handler) override {
    ++host_->watch_calls;
    host_->handler = std::move(handler);
    return {};
  }

 private:
  std::shared_ptr<FakeHost> host_;
};

}  // namespace fbf::agent::test
