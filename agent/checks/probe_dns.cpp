#include "agent/checks/probe_dns.h"

#include <fmt/format.h>

#include <array>

#include "agent/checks/dns_message.h"
#include "agent/checks/target.h"

namespace fbf::agent::checks {

namespace {

// Without EDNS a UDP response is at most 512 octets (RFC 1035 §4.2.1); a
// larger one from a confused server is cut and then fails to decode.
constexpr std::size_t kMaxResponse = 4096;
// Datagrams handled per wakeup: a flood of strays must not hold the loop.
constexpr int kMaxReadsPerWakeup = 16;

}  // namespace

std::expected<std::unique_ptr<DnsProber>, std::string> DnsProber::create(
    event_base* base, const std::string& target, const std::string& query,
    const std::string& query_type) {
  const auto type = dns::type_code(query_type);
  if (!type) return std::unexpected("unknown query type \"" + query_type + "\"");
  auto message = dns::encode_query(0, query, *type);
  if (!message) return std::unexpected("query \"" + query + "\": " + message.error());
  auto server = resolve_host_port(target);
  if (!server) return std::unexpected(server.error());
  return std::unique_ptr<DnsProber>(
      new DnsProber(base, *server, query, query_type, *type, std::move(*message)));
}

DnsProber::DnsProber(event_base* base, platform::Endpoint server, std::string query,
                     std::string type_name, std::uint16_t type, std::vector<std::uint8_t> message)
    : base_(base),
      server_(std::move(server)),
      query_(std::move(query)),
      type_name_(std::move(type_name)),
      type_(type),
      message_(std::move(message)),
      completion_(base) {}

DnsProber::~DnsProber() { cancel(); }

std::string DnsProber::describe() const {
  return fmt::format("dns {} {} {}", endpoint_text(server_), type_name_, query_);
}

void DnsProber::start(Done done) {
  cancel();
  const auto starting = completion_.begin(std::move(done));
  ignored_.clear();
  id_ = static_cast<std::uint16_t>(random_.next_u32());
  message_[0] = static_cast<std::uint8_t>(id_ >> 8);
  message_[1] = static_cast<std::uint8_t>(id_ & 0xff);
  const platform::UdpOptions options{
      .family = server_.address.family(), .send_ttl = 64, .receive_metadata = false};
  auto fd = platform::open_udp(options);
  if (!fd) {
    completion_.finish({false, fd.error().what});
    return;
  }
  if (auto sent = platform::send_datagram(fd->get(), message_, server_); !sent) {
    completion_.finish({false, sent.error().what});
    return;
  }
  fd_ = std::move(*fd);
  watch_ = std::make_unique<platform::FdWatch>(base_, fd_.get(), EV_READ,
                                               [this](short) { on_readable(); });
}

void DnsProber::on_readable() {
  std::array<std::uint8_t, kMaxResponse> buffer;
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    auto got = platform::receive_datagram(fd_.get(), buffer);
    if (!got) {
      watch_.reset();
      fd_.reset();
      completion_.finish({false, got.error().what});
      return;
    }
    if (!*got) return;  // drained
    if (consider(**got)) return;
  }
}

bool DnsProber::consider(const platform::Datagram& d) {
  if (d.source.address != server_.address || d.source.port != server_.port) {
    ignored_ = "datagram from " + endpoint_text(d.source);
    return false;
  }
  const auto response = dns::decode_response(d.payload);
  if (!response) {
    ignored_ = "malformed response: " + std::string(dns::to_string(response.error()));
    return false;
  }
  if (!dns::answers_query(*response, id_, query_, type_)) {
    ignored_ = "response to another query";
    return false;
  }
  ProbeResult result;
  const std::string rcode = dns::rcode_name(response->rcode);
  if (response->rcode != 0) {
    result.detail = rcode;
  } else if (response->answers_for_question > 0) {
    result.ok = true;
    result.detail = fmt::format("{}, {} {} record{}", rcode, response->answers_for_question,
                                type_name_, response->answers_for_question == 1 ? "" : "s");
  } else if (response->truncated && response->ancount > 0) {
    // The answer did not fit; that the server produced one is what we check.
    result.ok = true;
    result.detail = rcode + ", truncated";
  } else {
    result.detail = fmt::format("{}, no {} record", rcode, type_name_);
  }
  // Closed before anyone hears the result (this frees the watch from inside
  // its own callback, which libevent allows; nothing of it is touched after).
  watch_.reset();
  fd_.reset();
  completion_.finish(std::move(result));
  return true;
}

std::string DnsProber::cancel() {
  const bool waiting = static_cast<bool>(fd_);
  watch_.reset();
  fd_.reset();
  completion_.cancel();
  if (!waiting) return "";
  std::string partial = "no answer from " + endpoint_text(server_);
  if (!ignored_.empty()) partial += " (ignored: " + ignored_ + ")";
  return partial;
}

}  // namespace fbf::agent::checks
