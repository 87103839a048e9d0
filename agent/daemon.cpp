#include "agent/daemon.h"

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>

#include "agent/logging.h"
#include "fbf/version.h"
#include "platform/heap.h"

namespace fbf::agent {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

}  // namespace

Daemon::Daemon(Config config, DaemonOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      base_(platform::make_event_base()),
      started_(std::chrono::steady_clock::now()),
      started_wall_(std::chrono::system_clock::now()),
      config_loaded_wall_(started_wall_) {}

Daemon::~Daemon() = default;

std::expected<std::unique_ptr<Daemon>, std::string> Daemon::start(Config config,
                                                                  DaemonOptions options) {
  auto daemon = std::unique_ptr<Daemon>(new Daemon(std::move(config), std::move(options)));
  daemon->register_metrics();
  daemon->register_commands();
  if (auto opened = daemon->open_endpoints(); !opened) return std::unexpected(opened.error());
  daemon->bfd_ = std::make_unique<BfdSessions>(daemon->base_.get(), daemon->metrics_);
  daemon->bfd_->register_commands(daemon->commands_);
  // A session that cannot open its sockets is reported (log, show bfd) and
  // the others run: one bad peer must not keep the rest from failing over.
  (void)daemon->bfd_->apply(daemon->config_);
  daemon->bgp_ = std::make_unique<BgpNeighbors>(daemon->base_.get(), daemon->metrics_);
  daemon->bgp_->register_commands(daemon->commands_);
  BfdSessions* bfd = daemon->bfd_.get();
  BgpNeighbors* bgp = daemon->bgp_.get();
  daemon->bgp_->set_bfd_query([bfd](const NeighborConfig& n) {
    return bfd->state_of(n.address, n.bfd_multihop());
  });
  daemon->bfd_->on_state(
      [bgp](const bfd::SessionSpec& spec, const bfd::StateChanged& c) { bgp->on_bfd(spec, c); });
  daemon->bgp_->on_progress(
      [bfd](const std::string& name, BgpProgress progress) { bfd->on_bgp(name, progress); });
  daemon->bfd_->on_peer_heard([bgp](const std::string& name) { bgp->on_peer_heard(name); });
  Daemon* self_ptr = daemon.get();
  Services::Hooks hooks;
  hooks.routes_changed = [bgp] { bgp->refresh_all(); };
  hooks.announced = [bgp](const ServiceConfig& s) { return bgp->announced(s); };
  hooks.sent_to_all_up = [bgp](const ServiceConfig& s) { return bgp->sent_to_all_up(s); };
  hooks.sessions_changed = [self_ptr] { self_ptr->apply_maintenance_sessions(); };
  daemon->services_ =
      std::make_unique<Services>(daemon->base_.get(), daemon->metrics_, std::move(hooks));
  Services* services = daemon->services_.get();
  daemon->services_->register_commands(daemon->commands_);
  daemon->bgp_->set_route_view([services](const ServiceConfig& s) { return services->decision(s.name); });
  daemon->bgp_->on_routes_sent([services] { services->routes_sent(); });
  // Services first: the maintenance phase (resumed from state_dir) and the
  // addresses are known before any neighbor can be sent a route.
  for (const auto& e : daemon->services_->apply(daemon->config_)) spdlog::error("{}", e);
  daemon->apply_maintenance_sessions();
  (void)daemon->bgp_->apply(daemon->config_);

  event_base* base = daemon->base_.get();
  Daemon* self = daemon.get();
  daemon->signals_.push_back(
      std::make_unique<platform::SignalWatch>(base, SIGTERM, [self] { self->stop("SIGTERM"); }));
  daemon->signals_.push_back(
      std::make_unique<platform::SignalWatch>(base, SIGINT, [self] { self->stop("SIGINT"); }));
  daemon->signals_.push_back(std::make_unique<platform::SignalWatch>(base, SIGHUP, [self] {
    spdlog::info("reload: SIGHUP received");
    (void)self->reload();
  }));
  if (auto interval = daemon->notifier_.watchdog_interval()) {
    // Ping at half the deadline: the watchdog proves the loop still turns.
    daemon->watchdog_ = std::make_unique<platform::PeriodicTimer>(base, *interval / 2,
                                                        [self] { self->notifier_.watchdog(); });
  }
  return daemon;
}

std::expected<void, std::string> Daemon::open_endpoints() {
  auto control = ControlServer::start(base_.get(), config_.agent.control_socket, commands_,
                                      metrics_);
  if (!control) return std::unexpected(control.error());
  control_ = std::move(*control);
  if (!config_.agent.metrics_listen.empty()) {
    auto http = MetricsHttp::start(base_.get(), config_.agent.metrics_listen, metrics_);
    if (!http) return std::unexpected(http.error());
    metrics_http_ = std::move(*http);
  }
  return {};
}

void Daemon::register_metrics() {
  metrics_.gauge("fbf_build_info", "fbf version and revision; value is always 1",
                 {{"version", kVersion}, {"revision", kGitRevision}})
      .set(1);
  metrics_.gauge_fn("fbf_uptime_seconds", "Seconds since fbfd started", {}, [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  });
  const char* help = "Configuration reloads (SIGHUP or fbfctl reload), by result";
  reloads_ok_ = &metrics_.counter("fbf_config_reloads_total", help, {{"result", "ok"}});
  reloads_error_ = &metrics_.counter("fbf_config_reloads_total", help, {{"result", "error"}});
  last_reload_successful_ = &metrics_.gauge(
      "fbf_config_last_reload_successful", "1 if the last reload was applied, 0 if rejected");
  last_reload_successful_->set(1);
}

void Daemon::register_commands() {
  commands_.add("show status", [this](const json&) -> CommandResult { return status(); });
  commands_.add("reload", [this](const json&) { return reload(); });
}

json Daemon::status() const {
  const auto uptime = std::chrono::steady_clock::now() - started_;
  json out = {
      {"version", kVersion},
      {"revision", kGitRevision},
      {"pid", static_cast<long>(::getpid())},
      {"uptime_seconds", std::chrono::duration<double>(uptime).count()},
      {"started_at", iso8601(started_wall_)},
      {"config_file", std::filesystem::absolute(options_.config_path).string()},
      {"config_loaded_at", iso8601(config_loaded_wall_)},
      {"local_as", config_.agent.local_as},
      {"neighbors", config_.neighbors.size()},
      {"bfd_peers", config_.bfd_peers.size()},
      {"bfd_sessions", bfd_ ? bfd_->service().engine().size() : 0},
      {"services", config_.services.size()},
      {"maintenance", services_ ? services_->maintenance_summary() : std::string("active")},
      {"control_socket", config_.agent.control_socket},
      {"metrics_listen", config_.agent.metrics_listen},
  };
  if (last_reload_) {
    out["last_reload"] = {{"at", iso8601(last_reload_->at)},
                          {"result", last_reload_->ok ? "ok" : "error"},
                          {"errors", last_reload_->errors}};
  }
  return out;
}

CommandResult Daemon::reload() {
  notifier_.reloading();
  auto next = load_config(options_.config_path);
  LastReload record{std::chrono::system_clock::now(), next.has_value(), {}};
  if (!next) {
    for (const auto& e : next.error()) record.errors.push_back(e.to_string());
    for (const auto& line : record.errors) spdlog::error("reload: {}", line);
    spdlog::error("reload: {} error(s); the running configuration stays in force",
                  record.errors.size());
    reloads_error_->inc();
    last_reload_successful_->set(0);
    last_reload_ = record;
    platform::release_free_heap();  // the parsed document
    notifier_.ready();
    return std::unexpected(CommandError{
        std::string(error_code::failed),
        "configuration rejected; the running configuration stays in force",
        {{"errors", record.errors}}});
  }
  apply(std::move(*next));
  reloads_ok_->inc();
  last_reload_successful_->set(1);
  last_reload_ = record;
  config_loaded_wall_ = record.at;
  spdlog::info("reload: applied {}", options_.config_path.string());
  platform::release_free_heap();  // the parsed document and the old configuration
  notifier_.ready();
  return json{{"applied", true}, {"config_file", options_.config_path.string()}};
}

void Daemon::apply(Config next) {
  if (!options_.log_level_override) set_log_level(next.agent.log_level);
  // The control socket is in use by the client that may have asked for this
  // reload; moving it is a restart-time change.
  if (next.agent.control_socket != config_.agent.control_socket) {
    spdlog::warn("reload: control_socket change to {} takes effect at restart",
                 next.agent.control_socket);
    next.agent.control_socket = config_.agent.control_socket;
  }
  if (next.agent.state_dir != config_.agent.state_dir) {
    // The maintenance state was loaded from the old directory and is kept
    // there; moving it under a running drain would lose or fork it.
    spdlog::warn("reload: state_dir change to {} takes effect at restart", next.agent.state_dir);
    next.agent.state_dir = config_.agent.state_dir;
  }
  if (next.agent.metrics_listen != config_.agent.metrics_listen) {
    if (next.agent.metrics_listen.empty()) {
      metrics_http_.reset();
      spdlog::info("reload: metrics endpoint disabled");
    } else if (auto http = MetricsHttp::start(base_.get(), next.agent.metrics_listen, metrics_)) {
      metrics_http_ = std::move(*http);
      spdlog::info("reload: metrics endpoint moved to {}", next.agent.metrics_listen);
    } else {
      spdlog::error("reload: {}; keeping {}", http.error(), config_.agent.metrics_listen);
      next.agent.metrics_listen = config_.agent.metrics_listen;
    }
  }
  (void)bfd_->apply(next);
  for (const auto& e : services_->apply(next)) spdlog::error("reload: {}", e);
  (void)bgp_->apply(next);
  config_ = std::move(next);
  apply_maintenance_sessions();
}

void Daemon::apply_maintenance_sessions() {
  const auto closed = services_->neighbors_to_close(config_);
  bgp_->set_closed(closed, config_.maintenance.shutdown_message);
  bfd_->set_admin_down(closed);
}

void Daemon::stop(const char* why) {
  if (drain_) return;  // already stopping
  spdlog::info("stopping: {}", why);
  notifier_.stopping();
  // CONFIG.md: withdraw every route and close BGP with Cease/Administrative
  // Shutdown and the RFC 9003 message; then BFD AdminDown (RFC 5880 §6.8.16,
  // RFC 5882 §3.2) so the routers see a planned stop, not a failure.
  if (bgp_) bgp_->shutdown(config_.maintenance.shutdown_message);
  if (bfd_) bfd_->shutdown();
  // Let the NOTIFICATIONs reach the wire, within the 2 s the contract allows.
  stop_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  drain_ = std::make_unique<platform::PeriodicTimer>(base_.get(), std::chrono::milliseconds(10), [this] {
    if (!bgp_->draining() || std::chrono::steady_clock::now() >= stop_deadline_)
      event_base_loopexit(base_.get(), nullptr);
  });
}

int Daemon::run() {
  spdlog::info("fbfd {} ({}) started: config {}, control {}, metrics {}", kVersion, kGitRevision,
               options_.config_path.string(), config_.agent.control_socket,
               metrics_http_ ? metrics_http_->listen() : std::string("disabled"));
  notifier_.ready();
  if (event_base_dispatch(base_.get()) < 0) {
    spdlog::error("event loop failed");
    return 1;
  }
  // The routes were withdrawn before the loop ended; only now do the
  // service addresses go (CONFIG.md: remove managed addresses at stop).
  if (services_) services_->shutdown();
  spdlog::info("stopped");
  return 0;
}

}  // namespace fbf::agent
