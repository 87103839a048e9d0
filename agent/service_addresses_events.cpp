// ServiceAddresses: what link and address events do to the services
// (see the header for the ownership rules they follow).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/service_addresses.h"

namespace fbf::agent {

void ServiceAddresses::on_event(const platform::NetEvent& ev) {
  if (stopped_) return;
  if (const auto* l = std::get_if<platform::LinkEvent>(&ev)) {
    on_link(*l);
  } else if (const auto* a = std::get_if<platform::AddressEvent>(&ev)) {
    on_address(*a);
  } else {
    spdlog::warn("service addresses: {}; re-reading links and addresses",
                 std::get<platform::EventsLost>(ev).why);
    for (auto& [name, s] : services_) {
      if (!watched(s)) continue;
      refresh(s, false);
      report(s);
    }
  }
}

void ServiceAddresses::on_link(const platform::LinkEvent& ev) {
  for (auto& [name, s] : services_) {
    if (!watched(s)) continue;
    const bool same_index = s.link && s.link->index == ev.link.index;
    if (!same_index && ev.link.name != s.interface) continue;
    if (ev.removed || ev.link.name != s.interface) {
      // Deleted, or renamed away: the addresses are not where they belong.
      if (!same_index) continue;
      s.link.reset();
      for (auto& t : s.addresses) t.present = false;
    } else if (!same_index) {
      // The interface (re)appeared, e.g. created after fbfd said it could
      // not: put the addresses on it now.
      s.error.clear();
      install(s);
    } else {
      const bool was_up = s.link->up;
      s.link = ev.link;
      if (!was_up && ev.link.up) refresh(s, true);
    }
    report(s);
  }
}

void ServiceAddresses::on_address(const platform::AddressEvent& ev) {
  for (auto& [name, s] : services_) {
    if (!watched(s) || !s.link || s.link->index != ev.link_index) continue;
    auto t = std::find_if(s.addresses.begin(), s.addresses.end(),
                          [&](const Tracked& x) { return x.address == ev.address.address; });
    if (t == s.addresses.end()) continue;
    if (!ev.removed) {
      t->present = true;
    } else {
      // Another length of the same address may still be there (IPv4 keeps
      // 192.0.2.2/24 and /32 apart): ask rather than guess.
      refresh(s, false);
    }
    report(s);
  }
}

void ServiceAddresses::refresh(Service& s, bool restore_lost) {
  if (!system_) return;
  // Whether the link was down as far as the events told us so far.
  const bool known_down = s.link && !s.link->up;
  auto link = system_->find_link(s.interface);
  if (!link) {
    spdlog::error("service {}: {}", s.name, link.error().message);
    return;
  }
  if (!*link) {
    s.link.reset();
    for (auto& t : s.addresses) t.present = false;
    return;
  }
  s.link = **link;
  auto present = system_->addresses(s.link->index);
  if (!present) {
    spdlog::error("service {}: cannot read the addresses of {}: {}", s.name, s.interface,
                  present.error().message);
    return;
  }
  for (auto& t : s.addresses) {
    t.present = std::any_of(present->begin(), present->end(),
                            [&](const auto& a) { return a.address == t.address; });
    if (t.present || !t.owned) continue;
    if (!s.link->up) continue;  // lost with the link: back when it is up
    // Known down and up now: the link's own "up" message may never come (lost
    // in an overrun, or still queued), so this is the moment to put it back.
    if (!restore_lost && !known_down) {
      // Someone removed it while the interface was up: respect that.
      t.owned = false;
      spdlog::warn("service {}: {} was removed from {} (not by fbfd); failing until it is back",
                   s.name, t.address.to_string(), s.interface);
      continue;
    }
    auto added = system_->add_address(s.link->index, t.address);
    if (!added) {
      spdlog::error("service {}: {}", s.name, added.error().message);
      continue;
    }
    t.present = true;
    t.owned = *added == platform::AddOutcome::added;
    spdlog::info("service {}: put {} back on {} (lost while it was down)", s.name,
                 t.address.to_string(), s.interface);
  }
}

}  // namespace fbf::agent
