// bgp_blaster: pushes a pre-encoded full BGP table to a receiver as fast as
// the socket takes it, and reports when it went out (bench/bgp_fulltable).
//
//   bgp_blaster send --connect 192.0.2.1 --next-hop 192.0.2.0 --shape realistic
//       --hold 3 --report out.json          # until SIGTERM, then Cease
//   bgp_blaster send --raw --connect 192.0.2.1 --port 5179 ...   # no BGP, into a sink
//   bgp_blaster sink --listen 192.0.2.1 --port 5179 --report sink.json
//
// The table is encoded before connecting; the report (JSON) is written when
// the session ends. See sender.h for what the timestamps mean.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/bgp_blaster/sender.h"
#include "bench/bgp_blaster/shapes.h"
#include "platform/unique_fd.h"

namespace {

using nlohmann::json;
using namespace fbf;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool write_report(const std::string& path, const json& j) {
  const std::string text = j.dump(2) + "\n";
  std::cout << text << std::flush;
  if (path.empty()) return true;
  // Written whole, then renamed: a reader never sees half a report.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// SIGTERM/SIGINT end the session through a signalfd (no handler state).
platform::UniqueFd block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return platform::UniqueFd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

json to_json(const bench::SendReport& r) {
  return {{"outcome", r.outcome},
          {"t_connected", r.t_connected},
          {"t_established", r.t_established},
          {"t_first_byte", r.t_first_byte},
          {"t_last_write", r.t_last_write},
          {"t_acked", r.t_acked},
          {"t_end", r.t_end},
          {"send_seconds", r.t_acked > 0 ? r.t_acked - r.t_first_byte : 0.0},
          {"bytes_sent", r.bytes_sent},
          {"hold_time", r.hold_time},
          {"peer_hold_time", r.peer_hold_time},
          {"keepalives_received", r.keepalives_received},
          {"keepalives_sent", r.keepalives_sent},
          {"updates_received", r.updates_received},
          {"max_rx_gap_seconds", r.max_rx_gap},
          {"hold_expired", r.hold_expired},
          {"notification_received", r.notification}};
}

int send_command(const std::string& connect, std::uint16_t port, const std::string& bind,
                 const std::string& next_hop, const std::string& shape_name,
                 std::uint32_t prefixes, std::uint32_t local_as, const std::string& router_id,
                 std::uint16_t hold, bool raw, bool enforce_hold, double linger,
                 const std::string& report) {
  auto shape = bench::shape_named(shape_name);
  auto peer = platform::IpAddress::parse(connect);
  auto nh = platform::IpAddress::parse(next_hop);
  auto id = platform::IpAddress::parse(router_id);
  if (!shape || !peer || !nh || !id || !id->is_v4()) {
    std::cerr << "bgp_blaster: bad --shape, --connect, --next-hop or --router-id\n";
    return 2;
  }
  if (prefixes != 0) {
    // Scaled down (--quick): same shape, same number of prefixes per attribute set.
    const double per_set = double(shape->prefixes) / shape->attribute_sets;
    shape->prefixes = prefixes;
    shape->attribute_sets = std::max<std::uint32_t>(1, std::uint32_t(prefixes / per_set));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto table = bench::encode_table(*shape, {.local_as = local_as, .next_hop = *nh});
  if (!table) {
    std::cerr << "bgp_blaster: cannot encode the table (next hop family?)\n";
    return 2;
  }
  const double encode_seconds = seconds_since(t0);
  std::cerr << "bgp_blaster: " << shape->name << ": " << table->prefixes << " prefixes in "
            << table->updates << " UPDATEs, " << table->bytes.size() << " bytes, encoded in "
            << encode_seconds << " s\n";

  bench::SendOptions o;
  o.peer = {*peer, port};
  if (!bind.empty()) o.bind_address = platform::IpAddress::parse(bind);
  o.local_as = local_as;
  o.router_id = id->v4_host_order();
  o.hold_time = hold;
  o.raw = raw;
  o.enforce_hold = enforce_hold;
  if (linger >= 0) o.linger_seconds = linger;
  platform::UniqueFd sig = block_signals();
  bench::SendReport r = bench::run_sender(o, table->bytes, sig.get());

  json j = to_json(r);
  j["mode"] = raw ? "raw" : "bgp";
  j["shape"] = shape->name;
  j["family"] = shape->family == platform::Family::v4 ? "ipv4" : "ipv6";
  j["prefixes"] = table->prefixes;
  j["updates"] = table->updates;  // plus one End-of-RIB
  j["attribute_sets"] = shape->attribute_sets;
  j["table_bytes"] = table->bytes.size();
  j["encode_seconds"] = encode_seconds;
  if (!write_report(report, j)) return 1;
  const bool ok = r.outcome == "done" && r.bytes_sent == table->bytes.size();
  return ok ? 0 : (r.hold_expired ? 3 : 1);
}

int sink_command(const std::string& listen, std::uint16_t port, const std::string& report) {
  auto at = platform::IpAddress::parse(listen);
  if (!at) {
    std::cerr << "bgp_blaster: bad --listen address\n";
    return 2;
  }
  bench::SinkReport r = bench::run_sink({*at, port});
  json j = {{"bytes", r.bytes}, {"t_first", r.t_first}, {"t_last", r.t_last},
            {"error", r.error}};
  if (!write_report(report, j)) return 1;
  return r.error.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Pushes a pre-encoded full BGP table to a receiver (bench/bgp_fulltable)"};
  app.require_subcommand(1);

  std::string connect, bind, next_hop, shape = "realistic", router_id = "192.0.2.254", report;
  std::uint16_t port = 179, hold = 3;
  std::uint32_t prefixes = 0, local_as = 65010;
  bool raw = false, enforce_hold = false;
  double linger = -1;
  auto* send = app.add_subcommand("send", "connect, bring up BGP, send the table");
  send->add_option("--connect", connect, "receiver address")->required();
  send->add_option("--port", port, "receiver port");
  send->add_option("--bind", bind, "local address");
  send->add_option("--next-hop", next_hop, "NEXT_HOP of every route (the shape's family)")
      ->required();
  send->add_option("--shape", shape, "packed | realistic | ipv6");
  send->add_option("--prefixes", prefixes, "scale the shape to this many prefixes");
  send->add_option("--local-as", local_as, "our AS");
  send->add_option("--router-id", router_id, "our BGP Identifier");
  send->add_option("--hold", hold, "proposed hold time, seconds");
  send->add_flag("--raw", raw, "no BGP: write the bytes into a sink and close");
  send->add_flag("--enforce-hold", enforce_hold,
                 "close with Hold Timer Expired when the receiver stays silent too long");
  send->add_option("--linger", linger, "seconds to stay after the table is ACKed (default: "
                                       "until SIGTERM)");
  send->add_option("--report", report, "write the JSON report here");

  std::string listen, sink_report;
  std::uint16_t sink_port = 5179;
  auto* sink = app.add_subcommand("sink", "accept one connection and read it to EOF");
  sink->add_option("--listen", listen, "address to listen on")->required();
  sink->add_option("--port", sink_port, "port");
  sink->add_option("--report", sink_report, "write the JSON report here");

  CLI11_PARSE(app, argc, argv);
  if (*send) {
    return send_command(connect, port, bind, next_hop, shape, prefixes, local_as, router_id, hold,
                        raw, enforce_hold, linger, report);
  }
  return sink_command(listen, sink_port, sink_report);
}
