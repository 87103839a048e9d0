#include "agent/checks/probe_http.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "agent/checks/target.h"

namespace fbf::agent::checks {

namespace {

// A health endpoint answers in a few bytes; anything huge is refused rather
// than buffered.
constexpr ev_ssize_t kMaxBody = 1 << 20;
constexpr ev_ssize_t kMaxHeaders = 16 << 10;

const char* describe_error(evhttp_request_error e) {
  switch (e) {
    case EVREQ_HTTP_TIMEOUT: return "no response (timeout)";
    case EVREQ_HTTP_EOF: return "connection closed before a complete response";
    case EVREQ_HTTP_INVALID_HEADER: return "invalid response header";
    case EVREQ_HTTP_BUFFER_ERROR: return "connection error";
    case EVREQ_HTTP_REQUEST_CANCEL: return "request cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG: return "response too large";
  }
  return "request failed";
}

struct UriDeleter {
  void operator()(evhttp_uri* u) const { evhttp_uri_free(u); }
};

}  // namespace

std::expected<std::unique_ptr<HttpProber>, std::string> HttpProber::create(
    event_base* base, const std::string& url, std::vector<int> expect_status,
    Clock::duration timeout) {
  const std::unique_ptr<evhttp_uri, UriDeleter> uri(evhttp_uri_parse(url.c_str()));
  if (!uri || evhttp_uri_get_host(uri.get()) == nullptr)
    return std::unexpected("cannot parse url \"" + url + "\"");
  std::string host = evhttp_uri_get_host(uri.get());
  const std::string host_header = evhttp_uri_get_port(uri.get()) < 0
                                      ? host
                                      : host + ":" + std::to_string(evhttp_uri_get_port(uri.get()));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const int port = evhttp_uri_get_port(uri.get()) < 0 ? 80 : evhttp_uri_get_port(uri.get());
  auto address = resolve_host(host);
  if (!address) return std::unexpected(address.error());
  const char* path = evhttp_uri_get_path(uri.get());
  std::string target = path && *path ? path : "/";
  if (const char* query = evhttp_uri_get_query(uri.get())) target += std::string("?") + query;
  return std::unique_ptr<HttpProber>(new HttpProber(
      base, url, {*address, static_cast<std::uint16_t>(port), 0}, host_header, std::move(target),
      std::move(expect_status), timeout));
}

HttpProber::HttpProber(event_base* base, std::string url, platform::Endpoint server,
                       std::string host_header, std::string path, std::vector<int> expect_status,
                       Clock::duration timeout)
    : base_(base),
      url_(std::move(url)),
      server_(std::move(server)),
      host_header_(std::move(host_header)),
      path_(std::move(path)),
      expect_status_(std::move(expect_status)),
      timeout_(timeout),
      completion_(base),
      free_spent_(base, [this] { free_spent(); }) {}

HttpProber::~HttpProber() {
  cancel();
  free_spent();
}

void HttpProber::drop_connection() {
  // Frees the request still queued on it without running its callbacks.
  if (connection_ != nullptr) evhttp_connection_free(connection_);
  connection_ = nullptr;
}

void HttpProber::free_spent() {
  for (evhttp_connection* c : spent_) evhttp_connection_free(c);
  spent_.clear();
}

void HttpProber::start(Done done) {
  cancel();
  const auto starting = completion_.begin(std::move(done));
  error_ = nullptr;
  // The resolved address, never the name: with no evdns base, libevent would
  // resolve a name with a blocking getaddrinfo() on every probe.
  connection_ = evhttp_connection_base_new(base_, nullptr, server_.address.to_string().c_str(),
                                           server_.port);
  if (connection_ == nullptr) {
    completion_.finish_later({false, "cannot create an HTTP connection"});
    return;
  }
  // Belt and braces: the core cancels us at the deadline anyway.
  const timeval tv = platform::to_timeval(std::chrono::duration_cast<std::chrono::microseconds>(timeout_));
  evhttp_connection_set_timeout_tv(connection_, &tv);
  evhttp_connection_set_retries(connection_, 0);
  evhttp_connection_set_max_body_size(connection_, kMaxBody);
  evhttp_connection_set_max_headers_size(connection_, kMaxHeaders);
  evhttp_request* req = evhttp_request_new(&HttpProber::on_response, this);
  evhttp_request_set_error_cb(req, &HttpProber::on_error);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Host", host_header_.c_str());
  evhttp_add_header(headers, "Connection", "close");
  evhttp_add_header(headers, "User-Agent", "fbf-health-check");
  if (evhttp_make_request(connection_, req, EVHTTP_REQ_GET, path_.c_str()) != 0) {
    // libevent has freed the request.
    completion_.finish_later({false, "cannot send the HTTP request"});
  }
}

void HttpProber::on_error(evhttp_request_error error, void* self) {
  static_cast<HttpProber*>(self)->error_ = describe_error(error);
}

void HttpProber::on_response(evhttp_request* req, void* self) {
  static_cast<HttpProber*>(self)->respond(req);
}

void HttpProber::respond(evhttp_request* req) {
  if (connection_ != nullptr) {
    spent_.push_back(std::exchange(connection_, nullptr));
    free_spent_.arm(std::chrono::microseconds(0));
  }
  if (!completion_.active()) return;
  const int code = req != nullptr ? evhttp_request_get_response_code(req) : 0;
  if (code == 0) {
    // Connection refused or reset: libevent calls back with no status.
    completion_.finish({false, error_ ? error_ : "connection to " + endpoint_text(server_) + " failed"});
    return;
  }
  std::string detail = fmt::format("HTTP {}", code);
  if (const char* line = evhttp_request_get_response_code_line(req); line && *line)
    detail += fmt::format(" {}", first_line(line, 60));
  evbuffer* body = evhttp_request_get_input_buffer(req);
  const auto n = std::min<std::size_t>(evbuffer_get_length(body), 200);
  if (n > 0) {
    const auto* bytes = evbuffer_pullup(body, static_cast<ev_ssize_t>(n));
    const std::string line = first_line({reinterpret_cast<const char*>(bytes), n});
    if (!line.empty()) detail += ": " + line;
  }
  const bool ok = std::find(expect_status_.begin(), expect_status_.end(), code) != expect_status_.end();
  completion_.finish({ok, std::move(detail)});
}

std::string HttpProber::cancel() {
  const bool running = completion_.active();
  completion_.cancel();
  drop_connection();
  return running ? "no response from " + endpoint_text(server_) + " yet" : "";
}

}  // namespace fbf::agent::checks
