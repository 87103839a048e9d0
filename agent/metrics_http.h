#pragma once
// The Prometheus scrape endpoint: GET /metrics on `metrics_listen`, served by
// evhttp on the daemon's loop.

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include <event2/http.h>

#include "agent/metrics.h"

namespace fbf::agent {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
// "127.0.0.1:9474", "[::1]:9474", "localhost:9474".
std::expected<HostPort, std::string> parse_host_port(std::string_view text);

class MetricsHttp {
 public:
  // Binds at once; an unusable address is an error value, not a half-started server.
  static std::expected<std::unique_ptr<MetricsHttp>, std::string> start(event_base* base,
                                                                         std::string_view listen,
                                                                         const Metrics& metrics);
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  const std::string& listen() const { return listen_; }

 private:
  MetricsHttp(evhttp* http, std::string listen, const Metrics& metrics);
  static void on_request(evhttp_request* req, void* self);

  evhttp* http_;
  std::string listen_;
  const Metrics& metrics_;
};

}  // namespace fbf::agent
