#include "agent/service_addresses.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fbf::agent {
namespace {

using platform::IpAddress;

std::string host_text(const IpAddress& a) {
  return a.to_string() + (a.is_v4() ? "/32" : "/128");
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

const char* kOkHelp = "1 while a service's addresses are on its interface and it is up (or "
                      "addresses are not managed), 0 otherwise";
const char* kAddedHelp = "Service addresses fbfd added and will remove at stop";

}  // namespace

std::vector<IpAddress> service_host_addresses(const ServiceConfig& service) {
  std::vector<IpAddress> out;
  for (const auto& p : service.prefixes)
    if (p.is_host()) out.push_back(p.address());
  return out;
}

ServiceAddresses::ServiceAddresses(event_base* base, Metrics& metrics) : metrics_(metrics) {
  auto system = platform::open_address_system(base);
  if (system)
    system_ = std::move(*system);
  else
    system_error_ = system.error().message;
}

ServiceAddresses::ServiceAddresses(std::unique_ptr<platform::AddressSystem> system,
                                   Metrics& metrics)
    : metrics_(metrics), system_(std::move(system)) {}

ServiceAddresses::~ServiceAddresses() {
  if (!stopped_) shutdown();
  for (const auto& [name, s] : services_) {
    metrics_.remove("fbf_service_address_ok", {{"service", name}});
    metrics_.remove("fbf_service_addresses_added", {{"service", name}});
  }
}

void ServiceAddresses::start_watch(std::vector<std::string>& errors) {
  if (watching_ || !system_) return;
  auto w = system_->watch([this](const platform::NetEvent& ev) { on_event(ev); });
  if (!w) {
    // Addresses are still put in place; only their loss would go unnoticed.
    errors.push_back("service addresses: cannot watch links and addresses: " + w.error().message);
    spdlog::error("service addresses: cannot watch links and addresses: {}", w.error().message);
    return;
  }
  watching_ = true;
}

std::vector<std::string> ServiceAddresses::apply(const Config& config) {
  std::vector<std::string> errors;
  if (stopped_) return {"service addresses: stopped"};
  const bool any_managed = std::any_of(config.services.begin(), config.services.end(), [](auto& s) {
    return s.manage_addresses && !service_host_addresses(s).empty();
  });
  if (any_managed) start_watch(errors);

  // Services gone, or moved to another interface, or no longer managed:
  // take back what fbfd added where it added it. Likewise the prefixes a
  // service keeps no more, and all of it before any service is installed
  // below: a prefix may have moved to a service installed before the one
  // that had it, which would otherwise find it present (someone else's) and
  // then lose it.
  std::set<std::string> wanted;
  for (const auto& sc : config.services) wanted.insert(sc.name);
  for (auto it = services_.begin(); it != services_.end();) {
    Service& s = it->second;
    const auto next = std::find_if(config.services.begin(), config.services.end(),
                                   [&](const ServiceConfig& c) { return c.name == s.name; });
    if (next == config.services.end() || next->interface != s.interface || !next->manage_addresses) {
      std::vector<IpAddress> all;
      for (const auto& t : s.addresses) all.push_back(t.address);
      release(s, all);
      s.addresses.clear();
      s.link.reset();
    } else {
      const auto desired = service_host_addresses(*next);
      std::vector<IpAddress> dropped;
      for (const auto& t : s.addresses)
        if (std::find(desired.begin(), desired.end(), t.address) == desired.end())
          dropped.push_back(t.address);
      release(s, dropped);
    }
    if (!wanted.contains(it->first)) {
      forget(it->first);
      it = services_.erase(it);
    } else {
      ++it;
    }
  }

  for (const auto& sc : config.services) {
    auto [it, fresh] = services_.try_emplace(sc.name);
    Service& s = it->second;
    if (fresh) {
      s.name = sc.name;
      s.ok_gauge = &metrics_.gauge("fbf_service_address_ok", kOkHelp, {{"service", sc.name}});
      s.added_gauge =
          &metrics_.gauge("fbf_service_addresses_added", kAddedHelp, {{"service", sc.name}});
    }
    const auto desired = sc.manage_addresses ? service_host_addresses(sc) : std::vector<IpAddress>{};
    std::vector<Tracked> next;
    for (const auto& a : desired) {
      auto old = std::find_if(s.addresses.begin(), s.addresses.end(),
                              [&](const Tracked& t) { return t.address == a; });
      next.push_back(old != s.addresses.end() ? *old : Tracked{a, false, false});
    }
    s.addresses = std::move(next);
    s.interface = sc.interface;
    s.managed = sc.manage_addresses;
    s.announced_only.clear();
    for (const auto& p : sc.prefixes)
      if (!p.is_host()) s.announced_only.push_back(p);
    if (fresh && !s.announced_only.empty()) {
      std::vector<std::string> texts;
      for (const auto& p : s.announced_only) texts.push_back(p.to_string());
      spdlog::info("service {}: {} announced only: not a host prefix, no address added",
                   s.name, join(texts));
    }
    s.error.clear();
    if (watched(s)) install(s);
    if (!s.error.empty()) errors.push_back("service " + s.name + ": " + s.error);
    report(s);
  }
  delete_unused_links(false);
  return errors;
}

void ServiceAddresses::install(Service& s) {
  if (!system_) {
    s.error = system_error_;
    return;
  }
  auto ensured = system_->ensure_interface(s.interface);
  if (!ensured) {
    s.link.reset();
    for (auto& t : s.addresses) t.present = false;
    s.error = "interface " + s.interface + " is missing and cannot be created: " +
              ensured.error().message;
    if (ensured.error().code == platform::AddressErrc::not_supported)
      s.error += "; use interface = \"lo\" or create " + s.interface + " before fbfd starts";
    spdlog::error("service {}: {}", s.name, s.error);
    return;
  }
  if (ensured->created) {
    created_links_.insert(s.interface);
    spdlog::info("service {}: created dummy link {} (index {})", s.name, s.interface,
                 ensured->link.index);
  }
  s.link = ensured->link;
  auto present = system_->addresses(s.link->index);
  if (!present) {
    s.error = present.error().message;
    spdlog::error("service {}: cannot read the addresses of {}: {}", s.name, s.interface, s.error);
    return;
  }
  std::vector<std::string> failures;
  for (auto& t : s.addresses) {
    auto found = std::find_if(present->begin(), present->end(),
                              [&](const auto& a) { return a.address == t.address; });
    if (found != present->end()) {
      t.present = true;
      if (!t.owned && found->marked && found->prefix_length == (t.address.is_v4() ? 32 : 128)) {
        t.owned = true;
        spdlog::info("service {}: {} on {} was added by an earlier fbfd; taking it back", s.name,
                     host_text(t.address), s.interface);
      }
      continue;
    }
    auto added = system_->add_address(s.link->index, t.address);
    if (!added) {
      t.present = false;
      failures.push_back(added.error().message);
      spdlog::error("service {}: {}", s.name, added.error().message);
    } else if (*added == platform::AddOutcome::added) {
      t.present = t.owned = true;
      spdlog::info("service {}: added {} to {}", s.name, host_text(t.address), s.interface);
    } else {
      t.present = true;
      spdlog::info("service {}: {} already on {}; not fbfd's, it stays at stop", s.name,
                   host_text(t.address), s.interface);
    }
  }
  if (!failures.empty()) s.error = join(failures);
}

void ServiceAddresses::release(Service& s, const std::vector<IpAddress>& which) {
  for (auto& t : s.addresses) {
    if (!t.owned || std::find(which.begin(), which.end(), t.address) == which.end()) continue;
    t.owned = false;
    t.present = false;
    if (!system_ || !s.link) continue;
    if (auto removed = system_->remove_address(s.link->index, t.address); !removed)
      spdlog::error("service {}: {}", s.name, removed.error().message);
    else
      spdlog::info("service {}: removed {} from {}", s.name, host_text(t.address), s.interface);
  }
}

void ServiceAddresses::delete_unused_links(bool stopping) {
  if (!system_) return;
  for (auto it = created_links_.begin(); it != created_links_.end();) {
    const std::string name = *it;
    const bool used = !stopping && std::any_of(services_.begin(), services_.end(), [&](auto& kv) {
      return watched(kv.second) && kv.second.interface == name;
    });
    if (used) {
      ++it;
      continue;
    }
    it = created_links_.erase(it);
    auto link = system_->find_link(name);
    if (!link || !*link) continue;
    // Someone else's addresses make the link theirs too; IPv6 link-local
    // ones are the kernel's own.
    auto present = system_->addresses((*link)->index);
    const bool foreign = present && std::any_of(present->begin(), present->end(), [](auto& a) {
                           return !a.address.is_link_local();
                         });
    if (!present || foreign) {
      spdlog::info("service addresses: keeping dummy link {}: other addresses live on it", name);
      continue;
    }
    if (auto deleted = system_->delete_link(**link); !deleted)
      spdlog::error("service addresses: {}", deleted.error().message);
    else
      spdlog::info("service addresses: deleted dummy link {} (fbfd created it)", name);
  }
}

void ServiceAddresses::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [name, s] : services_) {
    std::vector<IpAddress> all;
    for (const auto& t : s.addresses) all.push_back(t.address);
    release(s, all);
    if (s.added_gauge != nullptr) s.added_gauge->set(0);
  }
  delete_unused_links(true);
}

void ServiceAddresses::forget(const std::string& name) {
  metrics_.remove("fbf_service_address_ok", {{"service", name}});
  metrics_.remove("fbf_service_addresses_added", {{"service", name}});
}

void ServiceAddresses::report(Service& s) {
  bool ok = true;
  std::string why;
  std::vector<std::string> missing;
  for (const auto& t : s.addresses)
    if (!t.present) missing.push_back(host_text(t.address));
  if (!s.managed) {
    why = "addresses not managed (manage_addresses = false)";
  } else if (s.addresses.empty()) {
    why = "no host prefix: no address to put on " + s.interface;
  } else if (!s.error.empty()) {
    ok = false;
    why = s.error;
  } else if (!s.link) {
    ok = false;
    why = "interface " + s.interface + " is missing";
  } else if (!s.link->up) {
    ok = false;
    why = "interface " + s.interface + " is down";
  } else if (!missing.empty()) {
    ok = false;
    why = join(missing) + " missing from " + s.interface;
  } else {
    why = "addresses present on " + s.interface;
  }
  const bool changed = !s.reported || ok != s.ok;
  s.ok = ok;
  s.why = why;
  s.reported = true;
  s.ok_gauge->set(ok ? 1 : 0);
  s.added_gauge->set(static_cast<double>(
      std::count_if(s.addresses.begin(), s.addresses.end(), [](auto& t) { return t.owned; })));
  if (!changed) return;
  if (ok)
    spdlog::info("service {}: addresses ok: {}", s.name, why);
  else
    spdlog::warn("service {}: addresses failing: {}", s.name, why);
  if (on_change_) on_change_(s.name, ok, why);
}

bool ServiceAddresses::ok(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() || it->second.ok;
}

json ServiceAddresses::show(const std::string& service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return nullptr;
  const Service& s = it->second;
  json addresses = json::array();
  for (const auto& t : s.addresses)
    addresses.push_back(
        {{"address", host_text(t.address)}, {"present", t.present}, {"added_by_fbfd", t.owned}});
  json announced_only = json::array();
  for (const auto& p : s.announced_only) announced_only.push_back(p.to_string());
  json link = nullptr;
  if (s.link) link = {{"index", s.link->index}, {"up", s.link->up}};
  return {{"interface", s.interface},
          {"managed", s.managed},
          {"ok", s.ok},
          {"why", s.why},
          {"link", link},
          {"addresses", addresses},
          {"announced_only", announced_only},
          {"created_link", created_links_.contains(s.interface)}};
}

}  // namespace fbf::agent
