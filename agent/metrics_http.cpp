#include "agent/metrics_http.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

namespace fbf::agent {

std::expected<HostPort, std::string> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::unexpected("expected [IPv6]:PORT");
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return std::unexpected("expected HOST:PORT (IPv6 as [ADDR]:PORT)");
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (hp.host.empty()) return std::unexpected("missing host");
  if (port_text.empty() || ec != std::errc{} || ptr != end || port == 0 || port > 65535)
    return std::unexpected("port must be 1..65535");
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

std::expected<std::unique_ptr<MetricsHttp>, std::string> MetricsHttp::start(
    event_base* base, std::string_view listen, const Metrics& metrics) {
  auto hp = parse_host_port(listen);
  if (!hp) return std::unexpected("metrics_listen '" + std::string(listen) + "': " + hp.error());
  evhttp* http = evhttp_new(base);
  if (http == nullptr) return std::unexpected("cannot create the HTTP server");
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  // Scrapes are small; refuse anything that is not.
  evhttp_set_max_headers_size(http, 8192);
  evhttp_set_max_body_size(http, 0);
  evhttp_set_timeout(http, 10);
  if (evhttp_bind_socket(http, hp->host.c_str(), hp->port) != 0) {
    const int err = errno;
    evhttp_free(http);
    return std::unexpected("cannot listen on " + std::string(listen) + ": " +
                           (err ? std::strerror(err) : "bind failed"));
  }
  return std::unique_ptr<MetricsHttp>(new MetricsHttp(http, std::string(listen), metrics));
}

MetricsHttp::MetricsHttp(evhttp* http, std::string listen, const Metrics& metrics)
    : http_(http), listen_(std::move(listen)), metrics_(metrics) {
  evhttp_set_gencb(http_, &MetricsHttp::on_request, this);
}

MetricsHttp::~MetricsHttp() { evhttp_free(http_); }

void MetricsHttp::on_request(evhttp_request* req, void* self_ptr) {
  auto* self = static_cast<MetricsHttp*>(self_ptr);
  const char* path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
  if (path == nullptr || (std::strcmp(path, "/metrics") != 0 && std::strcmp(path, "/") != 0)) {
    evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
    return;
  }
  const std::string body = self->metrics_.render();
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "text/plain; version=0.0.4; charset=utf-8");
  evhttp_send_reply(req, HTTP_OK, "OK", out);
  evbuffer_free(out);
}

}  // namespace fbf::agent
