#pragma once
// The sending side of the full-table benchmark: one TCP connection to the
// receiver, a minimal BGP speaker on it (OPEN with Multiprotocol IPv4+IPv6
// and 4-octet AS, KEEPALIVEs, hold timer), then the pre-encoded table written
// as fast as the kernel takes it. Raw mode skips BGP and writes the same
// bytes into a sink, to show what the sender alone can push.
//
// Timestamps are CLOCK_MONOTONIC seconds (std::chrono::steady_clock), the
// clock Python's time.monotonic() reads, so the orchestrator can line them up
// with what it polls from the receiver.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/ip.h"
#include "platform/udp.h"

namespace fbf::bench {

struct SendOptions {
  platform::Endpoint peer;
  std::optional<platform::IpAddress> bind_address;
  std::uint32_t local_as = 65010;
  std::uint32_t router_id = 0;  // host order
  std::uint16_t hold_time = 3;  // proposed; keepalives every negotiated / 3
  bool raw = false;             // no BGP: write the bytes, wait for the ACKs, close
  // Close with NOTIFICATION Hold Timer Expired (RFC 4271 §6.5) when the peer
  // stays silent longer than the negotiated hold time, as a router would.
  bool enforce_hold = false;
  // After the table is acknowledged: stay this long, then Cease and exit.
  // Unset: stay until SIGTERM/SIGINT.
  std::optional<double> linger_seconds;
};

struct SendReport {
  std::string outcome = "not started";  // "done", "hold expired", "notification", "closed", "error: ..."
  double t_connected = 0;
  double t_established = 0;
  double t_first_byte = 0;     // first table byte handed to the kernel
  double t_last_write = 0;     // last table byte handed to the kernel
  double t_acked = 0;          // send queue empty: the receiver's kernel ACKed everything
  double t_end = 0;
  std::uint64_t bytes_sent = 0;  // table bytes
  std::uint16_t hold_time = 0;   // negotiated
  std::uint16_t peer_hold_time = 0;
  std::uint64_t keepalives_received = 0;
  std::uint64_t updates_received = 0;
  std::uint64_t keepalives_sent = 0;
  double max_rx_gap = 0;  // longest silence from the peer while Established, seconds
  bool hold_expired = false;
  std::string notification;  // received: "code/subcode", empty if none
};

// Runs one session; `signal_fd` (a signalfd for SIGTERM/SIGINT, or -1) ends
// it early. `table` is written after the session is Established (raw mode:
// after connect).
SendReport run_sender(const SendOptions& options, const std::vector<std::uint8_t>& table,
                      int signal_fd);

// Listens on `where`, takes one connection, reads it to EOF. Returns the
// bytes read and the time from the first to the last byte.
struct SinkReport {
  std::uint64_t bytes = 0;
  double t_first = 0;
  double t_last = 0;
  std::string error;
};
SinkReport run_sink(const platform::Endpoint& where);

}  // namespace fbf::bench
