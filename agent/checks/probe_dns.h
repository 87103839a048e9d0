#pragma once
// `type = "dns"`: one UDP query of `query_type` for `query` to the target;
// healthy on a NOERROR response that holds at least one answer record of the
// question's type. libevent's evdns cannot ask for SOA and most other types
// and would want a resolver configuration of its own, so the message is built
// and read by dns_message.* and the datagrams go through platform/udp.h.
//
// Each probe uses a fresh socket (a new source port) and a random query id,
// and accepts only a response from the target that carries that id and
// exactly our question; anything else is ignored (counted into the detail of
// a timeout), so a stray or late datagram can neither pass nor fail a probe.
// There is no retransmission: the core's timeout is the whole budget.

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "agent/checks/prober.h"
#include "agent/os_random.h"
#include "platform/unique_fd.h"

namespace fbf::agent::checks {

class DnsProber final : public Prober {
 public:
  // `target` "host:port" (resolved here, once: target.h); `query_type` one
  // of dns::type_code()'s names.
  static std::expected<std::unique_ptr<DnsProber>, std::string> create(
      event_base* base, const std::string& target, const std::string& query,
      const std::string& query_type);
  ~DnsProber() override;

  void start(Done done) override;
  std::string cancel() override;
  std::string describe() const override;

 private:
  DnsProber(event_base* base, platform::Endpoint server, std::string query, std::string type_name,
            std::uint16_t type, std::vector<std::uint8_t> message);
  void on_readable();
  // A datagram from the socket: true when it settled the probe.
  bool consider(const platform::Datagram& d);

  event_base* base_;
  platform::Endpoint server_;
  std::string query_;
  std::string type_name_;
  std::uint16_t type_;
  std::vector<std::uint8_t> message_;  // the encoded query; bytes 0-1 are the id
  std::uint16_t id_ = 0;
  OsRandom random_;
  Completion completion_;
  std::string ignored_;  // why the last datagram was not taken as the answer
  platform::UniqueFd fd_;
  std::unique_ptr<platform::FdWatch> watch_;  // declared after fd_: goes first
};

}  // namespace fbf::agent::checks
