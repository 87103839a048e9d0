// platform/raw_ip.h where it is not implemented (OpenBSD for now: raw
// sockets with IP_HDRINCL exist there, but nothing here is built or tested
// on it): callers keep their per-session sockets.
#include <cerrno>
#include <utility>

#include "platform/raw_ip.h"

namespace fbf::platform {

struct RawIpSender::State {};

RawIpSender::RawIpSender(std::unique_ptr<State> state) : state_(std::move(state)) {}
RawIpSender::~RawIpSender() = default;

std::expected<std::unique_ptr<RawIpSender>, UdpError> RawIpSender::open(std::size_t) {
  return std::unexpected(UdpError{ENOTSUP, "batched raw transmission is not implemented here"});
}
bool RawIpSender::can_send(Family) const { return false; }
bool RawIpSender::queue(std::span<const std::uint8_t>, const Endpoint&, std::uint32_t) {
  return false;
}
RawIpSender::FlushResult RawIpSender::flush() { return {}; }
std::size_t RawIpSender::queued() const { return 0; }
std::uint64_t RawIpSender::system_calls() const { return 0; }

}  // namespace fbf::platform
