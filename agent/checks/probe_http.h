#pragma once
// `type = "http"`: a GET of `url` with libevent's evhttp client; healthy when
// the status is one of `expect_status`. One connection per probe, closed
// after it ("Connection: close"), so a probe never rides on a connection a
// previous, possibly confused, probe left behind.

#include <event2/http.h>

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "agent/checks/prober.h"

namespace fbf::agent::checks {

class HttpProber final : public Prober {
 public:
  // `url` as the config layer validated it: http://host[:port][/path][?query].
  // The host is resolved here, once (target.h).
  static std::expected<std::unique_ptr<HttpProber>, std::string> create(
      event_base* base, const std::string& url, std::vector<int> expect_status,
      Clock::duration timeout);
  ~HttpProber() override;

  void start(Done done) override;
  std::string cancel() override;
  std::string describe() const override { return "http " + url_; }

 private:
  HttpProber(event_base* base, std::string url, platform::Endpoint server, std::string host_header,
             std::string path, std::vector<int> expect_status, Clock::duration timeout);
  static void on_response(evhttp_request* req, void* self);
  static void on_error(evhttp_request_error error, void* self);
  void respond(evhttp_request* req);
  void drop_connection();
  void free_spent();

  event_base* base_;
  std::string url_;
  platform::Endpoint server_;
  std::string host_header_;
  std::string path_;
  std::vector<int> expect_status_;
  Clock::duration timeout_;
  Completion completion_;
  evhttp_connection* connection_ = nullptr;  // the running probe's
  // Connections whose request finished: libevent still uses one until its
  // callback returns, so it is freed from a zero-delay timer afterwards.
  std::vector<evhttp_connection*> spent_;
  platform::Timer free_spent_;
  const char* error_ = nullptr;              // set by on_error ahead of on_response
};

}  // namespace fbf::agent::checks
