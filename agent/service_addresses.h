#pragma once
// The service addresses on the host ([[service]] interface, prefixes,
// manage_addresses in CONFIG.md): puts each service's host addresses on its
// interface at start and reload, takes away at stop only those fbfd added,
// and watches the interface and the addresses so that a service whose
// address vanished or whose interface went down is reported failing (and
// withdrawn by the service policy) until it is back.
//
// Which addresses: the service's host prefixes (/32, /128). A wider prefix
// (say 192.0.2.0/24 for a whole range routed to the host) is announced but
// puts no address anywhere: fbfd cannot know which of its addresses the
// service uses, and inventing one would be a surprise.
//
// Ownership: an address fbfd added carries its mark (platform/addresses.h);
// one already on the interface is someone else's and stays at stop. An
// address fbfd added and someone removed stops being fbfd's: it is not put
// back behind the remover's back (reload does that). One lost because its
// interface went down is put back when the interface comes up again.

#include <event2/event.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/metrics.h"
#include "platform/addresses.h"

namespace fbf::agent {

// The addresses fbfd manages for `service`: its host prefixes, in order.
std::vector<platform::IpAddress> service_host_addresses(const ServiceConfig& service);

class ServiceAddresses {
 public:
  using ChangeHandler =
      std::function<void(const std::string& service, bool ok, std::string why)>;

  // On the host's address system (rtnetlink on Linux), events on `base`.
  ServiceAddresses(event_base* base, Metrics& metrics);
  // On a given system (tests use a fake).
  ServiceAddresses(std::unique_ptr<platform::AddressSystem> system, Metrics& metrics);
  // Removes what fbfd added, like shutdown(), if that has not happened yet.
  ~ServiceAddresses();
  ServiceAddresses(const ServiceAddresses&) = delete;
  ServiceAddresses& operator=(const ServiceAddresses&) = delete;

  // Start or reconcile with `config`: interfaces ensured, addresses added
  // (idempotently), addresses of removed services or prefixes taken away when
  // fbfd added them. Returns one message per service that cannot have its
  // addresses ("service NAME: why"); those services report ok = false.
  std::vector<std::string> apply(const Config& config);
  // Graceful stop: removes every address fbfd added, and the dummy links it
  // created when nothing else lives on them. Later events are ignored.
  void shutdown();

  // Called with each service's state when first known and on every change of
  // `ok`. A service without managed addresses is always ok.
  void on_change(ChangeHandler handler) { on_change_ = std::move(handler); }
  // Current state; true for a service that is not configured.
  bool ok(const std::string& service) const;
  // For `show services`: interface, link, each address (present, added by
  // fbfd), ok and why; null for an unknown service.
  json show(const std::string& service) const;

 private:
  struct Tracked {
    platform::IpAddress address;
    bool present = false;
    bool owned = false;  // fbfd added it (or adopted its own leftover): removed at stop
  };
  struct Service {
    std::string name;
    std::string interface;
    bool managed = true;
    std::vector<Tracked> addresses;
    std::vector<platform::Prefix> announced_only;  // not host prefixes
    std::optional<platform::Link> link;
    std::string error;  // why the interface or an address could not be put in place
    bool ok = false;
    std::string why;
    bool reported = false;
    Gauge* ok_gauge = nullptr;
    Gauge* added_gauge = nullptr;
  };

  bool watched(const Service& s) const { return s.managed && !s.addresses.empty(); }
  void start_watch(std::vector<std::string>& errors);
  void install(Service& s);
  void refresh(Service& s, bool restore_lost);
  void release(Service& s, const std::vector<platform::IpAddress>& which);
  void delete_unused_links(bool stopping);
  void report(Service& s);
  void on_event(const platform::NetEvent& ev);
  void on_link(const platform::LinkEvent& ev);
  void on_address(const platform::AddressEvent& ev);
  void forget(const std::string& name);

  Metrics& metrics_;
  std::unique_ptr<platform::AddressSystem> system_;
  std::string system_error_;  // set when system_ could not be opened
  bool watching_ = false;
  bool stopped_ = false;
  std::map<std::string, Service> services_;
  std::set<std::string> created_links_;  // dummy links fbfd created, by name
  ChangeHandler on_change_;
};

}  // namespace fbf::agent
