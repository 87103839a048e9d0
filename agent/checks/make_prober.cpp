#include "agent/checks/make_prober.h"

#include <fmt/format.h>

#include "agent/checks/probe_dns.h"
#include "agent/checks/probe_exec.h"
#include "agent/checks/probe_http.h"
#include "agent/checks/probe_tcp.h"
#include "agent/checks/target.h"

namespace fbf::agent::checks {

std::string describe_check(const HealthCheck& check) {
  switch (check.type) {
    case CheckType::tcp: return "tcp " + check.target;
    case CheckType::http: return "http " + check.url;
    case CheckType::dns:
      return fmt::format("dns {} {} {}", check.target, check.query_type, check.query);
    case CheckType::exec: {
      std::string s = "exec";
      for (const auto& a : check.command) s += " " + a;
      return s;
    }
  }
  return "unknown";
}

std::unique_ptr<Prober> make_prober(event_base* base, const HealthCheck& check) {
  const auto fail = [&](std::string why) {
    return make_failing_prober(base, describe_check(check), std::move(why));
  };
  switch (check.type) {
    case CheckType::tcp: {
      auto target = resolve_host_port(check.target);
      if (!target) return fail(target.error());
      return std::make_unique<TcpProber>(base, *target);
    }
    case CheckType::http: {
      auto p = HttpProber::create(base, check.url, check.expect_status,
                                  std::chrono::duration_cast<Clock::duration>(check.timeout));
      if (!p) return fail(p.error());
      return std::move(*p);
    }
    case CheckType::dns: {
      auto p = DnsProber::create(base, check.target, check.query, check.query_type);
      if (!p) return fail(p.error());
      return std::move(*p);
    }
    case CheckType::exec:
      if (check.command.empty() || check.command.front().empty()) return fail("no command to run");
      return std::make_unique<ExecProber>(base, check.command);
  }
  return fail("unknown check type");
}

}  // namespace fbf::agent::checks
