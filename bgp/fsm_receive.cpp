// A connection's receive path: stream framing, then one handler per message
// type, each the RFC 4271 §8.2.2 event it raises (BGPOpen, BGPHeaderErr,
// BGPOpenMsgErr, NotifMsg, KeepAliveMsg, UpdateMsg, UpdateMsgErr).
#include <algorithm>
#include <string>

#include "bgp/fsm.h"

namespace fbf::bgp {

Fsm::Progress Fsm::receive(const FsmContext& ctx, TimePoint now, Bytes bytes, Actions& out) {
  refresh_v4_ = refresh_v6_ = false;
  std::size_t used = 0;
  Step step = Step::more;
  while (step == Step::more && state_ != State::Idle && used < bytes.size()) {
    Bytes rest = bytes.subspan(used);
    if (!partial_.empty()) {
      // Complete the message that straddles reads: its header first, then
      // the rest of its length.
      std::size_t want = partial_want_ != 0 ? partial_want_ : kHeaderLength;
      std::size_t take = std::min(want - partial_.size(), rest.size());
      partial_.insert(partial_.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
      used += take;
      if (partial_.size() < want) break;
      if (partial_want_ == 0) {
        auto h = peek_header(partial_, max_length_);
        if (!h) {
          step = error(ctx, Event::BGPHeaderErr, h.error(), out);
          break;
        }
        partial_want_ = (*h)->length;
        if (partial_.size() < partial_want_) continue;
      }
      step = process(ctx, now, partial_, out);
      partial_.clear();
      partial_want_ = 0;
      continue;
    }
    // RFC 4271 §6.1 header checks (BGPHeaderErr, Event 21), in place.
    auto h = peek_header(rest, max_length_);
    if (!h) {
      step = error(ctx, Event::BGPHeaderErr, h.error(), out);
      break;
    }
    if (!*h || rest.size() < (*h)->length) {
      partial_.assign(rest.begin(), rest.end());
      partial_want_ = *h ? (*h)->length : 0;
      used = bytes.size();
      break;
    }
    std::size_t length = (*h)->length;
    step = process(ctx, now, rest.first(length), out);
    used += length;
  }
  if (state_ == State::Idle) {
    partial_.clear();
    partial_want_ = 0;
    return {bytes.size(), Step::closed};
  }
  return {used, step};
}

Fsm::Step Fsm::process(const FsmContext& ctx, TimePoint now, Bytes message, Actions& out) {
  // peek_header() accepted it: the type octet is one of the five.
  auto type = static_cast<MessageType>(message[kHeaderLength - 1]);
  ++ctx.counters.messages_in[static_cast<std::size_t>(type)];
  ctx.counters.bytes_in += message.size();
  last_rx_ = now;

  if (type == MessageType::update) {
    // §9: "An UPDATE message may be received only in the Established state."
    if (state_ != State::Established) return unexpected(ctx, type, out);
    return on_update(ctx, message, out);
  }
  auto m = decode_message(message, MessageOptions{.max_length = max_length_,
                                                  .enhanced_route_refresh =
                                                      negotiated_.enhanced_route_refresh});
  if (!m) {
    return error(ctx, type == MessageType::open ? Event::BGPOpenMsgErr : Event::BGPHeaderErr,
                 m.error(), out);
  }
  if (auto* open = std::get_if<OpenMessage>(&*m)) {
    if (state_ != State::OpenSent) return unexpected(ctx, type, out);
    return on_open(ctx, *open, out);
  }
  if (auto* n = std::get_if<Notification>(&*m)) return on_notification(ctx, *n, out);
  if (std::holds_alternative<Keepalive>(*m)) {
    // KeepAliveMsg (Event 26): OpenConfirm -> Established; in Established
    // it restarts the HoldTimer (last_rx_ above); in OpenSent it is an
    // FSM error.
    if (state_ == State::OpenConfirm) {
      state_ = State::Established;
      established_at_ = now;
      return Step::established;
    }
    if (state_ == State::Established) return Step::more;
    return unexpected(ctx, type, out);
  }
  if (auto* rr = std::get_if<RouteRefresh>(&*m)) {
    if (state_ != State::Established) return unexpected(ctx, type, out);
    return on_route_refresh(ctx, *rr, out);
  }
  return Step::more;
}

Fsm::Step Fsm::on_open(const FsmContext& ctx, const OpenMessage& open, Actions& out) {
  // decode_open() did the stateless §6.2 checks (version 4, hold time 0 or
  // >= 3, nonzero BGP Identifier, parameters). These need the session.
  const SessionConfig& c = ctx.config;
  // RFC 6793 §4.1: the 4-octet AS capability "in lieu of" My AS (which is
  // AS_TRANS when the AS needs four octets); a peer without it reports My
  // AS, so an OLD speaker sending AS_TRANS only matches remote_as 23456.
  std::uint32_t as = peer_as(open);
  if (as != c.remote_as) {
    close(ctx, Event::BGPOpenMsgErr,
          make_notification(ErrorCode::open_message,
                            static_cast<std::uint8_t>(OpenSubcode::bad_peer_as)),
          "OPEN from AS " + std::to_string(as) + ", expected AS " + std::to_string(c.remote_as) +
              " (RFC 4271 §6.2)",
          out);
    return Step::closed;
  }
  // RFC 6286 §2.2: our own BGP Identifier is bad from an internal peer (an
  // external one may share it; §2.3 handles its collisions).
  if (c.ibgp() && open.bgp_identifier == c.bgp_identifier) {
    close(ctx, Event::BGPOpenMsgErr,
          make_notification(ErrorCode::open_message,
                            static_cast<std::uint8_t>(OpenSubcode::bad_bgp_identifier)),
          "iBGP peer uses our BGP Identifier (RFC 6286 §2.2)", out);
    return Step::closed;
  }
  peer_open_ = open;
  negotiated_ = negotiate(c.capabilities(), open.capabilities);
  // §4.2: "the smaller of its configured Hold Time and the Hold Time
  // received in the OPEN message".
  hold_time_ = std::min(c.proposed_hold_time(), open.hold_time);
  return Step::open_received;
}

Fsm::Step Fsm::on_notification(const FsmContext& ctx, const Notification& n, Actions& out) {
  SessionCounters& c = ctx.counters;
  std::string described = describe_notification(n);
  ++c.notifications_received;
  ++c.notifications_received_by_code[n.code < 8 ? n.code : 0];
  c.last_notification_received = NotificationRecord{n.code, n.subcode, described};
  // NotifMsgVerErr (Event 24) or NotifMsg (Event 25): drop the connection,
  // Idle; never a NOTIFICATION in reply (§6.4). We speak only version 4, so
  // a version error leaves nothing to renegotiate (§7).
  bool version = n.code == static_cast<std::uint8_t>(ErrorCode::open_message) &&
                 n.subcode == static_cast<std::uint8_t>(OpenSubcode::unsupported_version_number);
  close(ctx, version ? Event::NotifMsgVerErr : Event::NotifMsg, std::nullopt,
        "NOTIFICATION received " + described, out);
  close_reason_.code = n.code;
  close_reason_.subcode = n.subcode;
  close_reason_.notification_received = true;
  return Step::closed;
}

Fsm::Step Fsm::on_update(const FsmContext& ctx, Bytes message, Actions& out) {
  UpdateSummary s = summarize_update(message, UpdateOptions{.four_octet_as = negotiated_.four_octet_as,
                                                            .ibgp = ctx.config.ibgp(),
                                                            .local_address = info_.local});
  if (s.action == ErrorAction::session_reset) {
    // UpdateMsgErr (Event 28): the codec's NOTIFICATION, drop, Idle.
    Error e = s.error.value_or(Error{.code = ErrorCode::update_message});
    close(ctx, Event::UpdateMsgErr, to_notification(e), "UPDATE error: " + std::string(e.rule), out);
    return Step::closed;
  }
  count_update(ctx, s, out);  // UpdateMsg (Event 27)
  return Step::more;
}

void Fsm::count_update(const FsmContext& ctx, const UpdateSummary& s, Actions& out) {
  SessionCounters& c = ctx.counters;
  if (s.error) c.last_update_error = s.error->rule;
  c.attributes_discarded += s.discarded_attributes;
  c.other_family_attributes += s.other_families;
  if (s.action == ErrorAction::afisafi_disable && s.error) {
    // RFC 7606 §2, RFC 4760 §7: ignore the family for the rest of the session.
    ++c.afisafi_disable;
    AfiSafi family{s.error->afi, s.error->safi};
    bool* disabled = family == kIpv4Unicast ? &v4_disabled_
                     : family == kIpv6Unicast ? &v6_disabled_
                                              : nullptr;
    if (disabled && !*disabled) {
      *disabled = true;
      (family == kIpv4Unicast ? c.ipv4 : c.ipv6).disabled = true;
      out.push(FamilyDisabled{family, std::string(s.error->rule)});
    }
  }
  // RFC 7606 §2: treat-as-withdraw takes every route the UPDATE carries as
  // withdrawn.
  bool withdraw_all = s.action == ErrorAction::treat_as_withdraw;
  if (withdraw_all) ++c.treat_as_withdraw;
  auto add = [withdraw_all](FamilyCounters& f, bool disabled, std::uint32_t announced,
                            std::uint32_t withdrawn) {
    if (disabled) return;
    f.announced += withdraw_all ? 0 : announced;
    f.withdrawn += withdraw_all ? announced + withdrawn : withdrawn;
  };
  add(c.ipv4, v4_disabled_, s.ipv4_announced, s.ipv4_withdrawn);
  add(c.ipv6, v6_disabled_, s.ipv6_announced, s.ipv6_withdrawn);
  if (s.end_of_rib && s.end_of_rib_family == kIpv4Unicast) ++c.ipv4.end_of_rib;
  if (s.end_of_rib && s.end_of_rib_family == kIpv6Unicast) ++c.ipv6.end_of_rib;
}

Fsm::Step Fsm::on_route_refresh(const FsmContext& ctx, const RouteRefresh& rr, Actions& out) {
  SessionCounters& c = ctx.counters;
  // RFC 7313 §5: an unknown subtype is ignored. BoRR/EoRR mark the peer's
  // own re-advertisement (§4); we keep no Adj-RIB-In, so nothing to do.
  if (rr.subtype != static_cast<std::uint8_t>(RouteRefreshSubtype::normal)) {
    ++c.route_refresh_ignored;
    return Step::more;
  }
  // RFC 2918 §4: a family not advertised at session establishment is ignored.
  bool v4 = rr.family == kIpv4Unicast && negotiated_.ipv4_unicast;
  bool v6 = rr.family == kIpv6Unicast && negotiated_.ipv6_unicast;
  if (!v4 && !v6) {
    ++c.route_refresh_ignored;
    return Step::more;
  }
  ++(v4 ? c.ipv4 : c.ipv6).refresh_requests;
  bool& reported = v4 ? refresh_v4_ : refresh_v6_;
  if (!reported) {
    reported = true;
    out.push(RouteRefreshRequested{rr.family});
  }
  return Step::more;
}

Fsm::Step Fsm::error(const FsmContext& ctx, Event event, const Error& e, Actions& out) {
  // BGPHeaderErr / BGPOpenMsgErr (Events 21, 22), RFC 7313 §5: the
  // NOTIFICATION the codec chose, drop, Idle.
  close(ctx, event, to_notification(e), std::string(e.rule), out);
  return Step::closed;
}

Fsm::Step Fsm::unexpected(const FsmContext& ctx, MessageType type, Actions& out) {
  // §8.2.2 "any other event": NOTIFICATION Finite State Machine Error, with
  // the RFC 6608 §4 subcode for the state and the message type as Data.
  FsmSubcode sub = state_ == State::OpenSent      ? FsmSubcode::unexpected_message_in_open_sent
                   : state_ == State::OpenConfirm ? FsmSubcode::unexpected_message_in_open_confirm
                                                  : FsmSubcode::unexpected_message_in_established;
  Event event = type == MessageType::open        ? Event::BGPOpen
                : type == MessageType::keepalive ? Event::KeepAliveMsg
                                                 : Event::UpdateMsg;
  static constexpr const char* kNames[] = {"", "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE",
                                           "ROUTE-REFRESH"};
  close(ctx, event,
        make_notification(ErrorCode::fsm, static_cast<std::uint8_t>(sub),
                          {static_cast<std::uint8_t>(type)}),
        std::string("unexpected ") + kNames[static_cast<std::size_t>(type)] + " in " +
            std::string(to_string(state_)),
        out);
  return Step::closed;
}

}  // namespace fbf::bgp
