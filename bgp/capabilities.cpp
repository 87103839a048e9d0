#include "bgp/capabilities.h"

#include <algorithm>

namespace fbf::bgp {

namespace {

std::unexpected<Error> malformed(std::string_view rule) {
  return std::unexpected(Error{.action = ErrorAction::session_reset,
                    .code = ErrorCode::open_message,
                    .subcode = static_cast<std::uint8_t>(OpenSubcode::unspecific),
                    .rule = rule});
}

AfiSafi read_afi_safi(Reader& r) {
  AfiSafi f;
  f.afi = r.u16().value_or(0);
  f.safi = r.u8().value_or(0);
  return f;
}

}  // namespace

bool Capabilities::supports(AfiSafi family) const {
  return std::find(multiprotocol.begin(), multiprotocol.end(), family) != multiprotocol.end();
}

std::expected<void, Error> decode_capabilities(Bytes value, Capabilities& caps) {
  Reader r(value);
  while (!r.empty()) {
    auto code = r.u8();
    auto len = r.u8();
    if (!code || !len) return malformed("RFC 5492 §4: truncated capability header");
    auto body = r.take(*len);
    if (!body) return malformed("RFC 5492 §4: capability length exceeds the parameter");
    Reader v(*body);
    switch (static_cast<CapabilityCode>(*code)) {
      case CapabilityCode::multiprotocol: {
        // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1); length 4.
        if (*len != 4) return malformed("RFC 4760 §8: Multiprotocol capability length is not 4");
        AfiSafi f;
        f.afi = v.u16().value_or(0);
        v.skip(1);
        f.safi = v.u8().value_or(0);
        if (!caps.supports(f)) caps.multiprotocol.push_back(f);
        break;
      }
      case CapabilityCode::route_refresh:
        if (*len != 0) return malformed("RFC 2918 §2: Route Refresh capability length is not 0");
        caps.route_refresh = true;
        break;
      case CapabilityCode::extended_message:
        if (*len != 0) return malformed("RFC 8654: Extended Message capability length is not 0");
        caps.extended_message = true;
        break;
      case CapabilityCode::enhanced_route_refresh:
        if (*len != 0) return malformed("RFC 7313 §3.1: Enhanced Route Refresh length is not 0");
        caps.enhanced_route_refresh = true;
        break;
      case CapabilityCode::four_octet_as:
        if (*len != 4) return malformed("RFC 6793 §3: 4-octet AS capability length is not 4");
        caps.four_octet_as = v.u32().value_or(0);
        break;
      case CapabilityCode::graceful_restart: {
        // RFC 4724 §3: flags (4 bits) + restart time (12 bits), then
        // <AFI, SAFI, flags> tuples.
        if (*len < 2 || (*len - 2) % 4 != 0) {
          return malformed("RFC 4724 §3: Graceful Restart capability length");
        }
        GracefulRestart gr;
        std::uint16_t head = v.u16().value_or(0);
        gr.flags = static_cast<std::uint8_t>(head >> 12);
        gr.restart_time = head & 0x0fff;
        while (!v.empty()) {
          GracefulRestart::Family f;
          f.family = read_afi_safi(v);
          f.flags = v.u8().value_or(0);
          gr.families.push_back(f);
        }
        caps.graceful_restart = std::move(gr);
        break;
      }
      case CapabilityCode::add_path:
        // RFC 7911 §4: one or more <AFI, SAFI, Send/Receive> tuples.
        if (*len == 0 || *len % 4 != 0) return malformed("RFC 7911 §4: ADD-PATH capability length");
        while (!v.empty()) {
          AddPathFamily f;
          f.family = read_afi_safi(v);
          f.send_receive = v.u8().value_or(0);
          caps.add_path.push_back(f);
        }
        break;
      default:
        caps.unknown.push_back({*code, {body->begin(), body->end()}});
        break;
    }
  }
  return {};
}

namespace {

void put_header(Writer& w, CapabilityCode code, std::uint8_t len) {
  w.u8(static_cast<std::uint8_t>(code));
  w.u8(len);
}

}  // namespace

void encode_capabilities(Writer& w, const Capabilities& caps) {
  for (const AfiSafi& f : caps.multiprotocol) {
    put_header(w, CapabilityCode::multiprotocol, 4);
    w.u16(f.afi);
    w.u8(0);  // Reserved
    w.u8(f.safi);
  }
  if (caps.route_refresh) put_header(w, CapabilityCode::route_refresh, 0);
  if (caps.extended_message) put_header(w, CapabilityCode::extended_message, 0);
  if (caps.graceful_restart) {
    const GracefulRestart& gr = *caps.graceful_restart;
    // The value length is one octet: at most 63 families fit (RFC 4724 §3).
    std::size_t n = std::min<std::size_t>(gr.families.size(), 63);
    put_header(w, CapabilityCode::graceful_restart, static_cast<std::uint8_t>(2 + 4 * n));
    w.u16(static_cast<std::uint16_t>(((gr.flags & 0xf) << 12) | (gr.restart_time & 0x0fff)));
    for (std::size_t i = 0; i < n; ++i) {
      w.u16(gr.families[i].family.afi);
      w.u8(gr.families[i].family.safi);
      w.u8(gr.families[i].flags);
    }
  }
  if (caps.four_octet_as) {
    put_header(w, CapabilityCode::four_octet_as, 4);
    w.u32(*caps.four_octet_as);
  }
  // At most 63 tuples fit one capability; more go into further instances.
  for (std::size_t first = 0; first < caps.add_path.size(); first += 63) {
    std::size_t n = std::min<std::size_t>(caps.add_path.size() - first, 63);
    put_header(w, CapabilityCode::add_path, static_cast<std::uint8_t>(4 * n));
    for (std::size_t i = first; i < first + n; ++i) {
      w.u16(caps.add_path[i].family.afi);
      w.u8(caps.add_path[i].family.safi);
      w.u8(caps.add_path[i].send_receive);
    }
  }
  if (caps.enhanced_route_refresh) put_header(w, CapabilityCode::enhanced_route_refresh, 0);
  for (const UnknownCapability& u : caps.unknown) {
    std::size_t n = std::min<std::size_t>(u.value.size(), 255);
    w.u8(u.code);
    w.u8(static_cast<std::uint8_t>(n));
    w.bytes(Bytes(u.value).first(n));
  }
}

Negotiated negotiate(const Capabilities& local, const Capabilities& remote) {
  Negotiated n;
  n.four_octet_as = local.four_octet_as.has_value() && remote.four_octet_as.has_value();
  n.route_refresh = local.route_refresh;
  // RFC 7313 §4, §5: the BoRR/EoRR procedures and the ROUTE-REFRESH length
  // check apply once the capability was received from the peer.
  n.enhanced_route_refresh = remote.enhanced_route_refresh;
  n.extended_message = local.extended_message && remote.extended_message;
  auto speaks = [](const Capabilities& c, AfiSafi f) {
    return c.multiprotocol.empty() ? f == kIpv4Unicast : c.supports(f);
  };
  n.ipv4_unicast = speaks(local, kIpv4Unicast) && speaks(remote, kIpv4Unicast);
  n.ipv6_unicast = speaks(local, kIpv6Unicast) && speaks(remote, kIpv6Unicast);
  return n;
}

}  // namespace fbf::bgp
