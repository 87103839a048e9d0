"""Malformed BGP from a raw socket: every class of broken message against
fbfd's BGP speaker, while BIRD holds fbfd's service route.

One lab for the module (interop.topology): fbfd, BIRD with BGP+BFD and the
service route, and an attacker node whose every test is a fresh configured
(passive) neighbor of fbfd. Each test asserts what the attacker's socket
receives -- the exact NOTIFICATION code/subcode/data of RFC 4271 §6, RFC
7606, RFC 6608, RFC 7313, or for treat-as-withdraw / attribute discard /
AFI-SAFI disable that the session stays up and fbfd's received-prefix
counters say which approach was taken -- and that fbfd is still the same
process and BIRD's route never flapped (InteropLab.bystanders).

fbfd keeps no Adj-RIB-In, so the RFC 7606 approach shows in `fbfctl show
bgp`: a treat-as-withdraw UPDATE adds its routes to withdrawals_received
(not to prefixes_received_*), attribute discard keeps them announced, an
AFI/SAFI disable stops counting that family for the rest of the session.
A valid UPDATE per family ("probes") follows every malformed one that must
not reset the session: counted, it proves the session still works.
"""
import ipaddress
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from fbflab import wait_until

from . import bgpwire as w
from .conftest import need
from .topology import AS_ATTACKER, FBFD_B, FBFD_X, InteropLab

pytestmark = pytest.mark.lab

ATTACKERS = 160      # neighbor addresses: one per test that opens a session


@pytest.fixture(scope="module")
def il(request):
    need("bird", "fbfd")
    lab = InteropLab("interop-bgp", attackers=ATTACKERS)
    request.module._interop_lab = lab
    yield lab
    lab.close()


# --- what the tests send ------------------------------------------------------------------
@dataclass
class Ctx:
    src: str                 # the attacker's address of this test (its neighbor in fbfd)
    asn: int = AS_ATTACKER
    fbfd: str = FBFD_X       # fbfd's address on the session


NLRI_2 = w.prefix("203.0.113.128/26") + w.prefix("203.0.113.192/26")        # 2 IPv4 routes
V6_2 = w.prefix("2001:db8:77::/48") + w.prefix("2001:db8:78::/48")           # 2 IPv6 routes
V6_NH = ipaddress.ip_address("2001:db8:1::1").packed


def origin(value=0, **kw):
    return w.attr(w.ORIGIN, bytes([value]), **kw)


def as_path(c, as2=False, **kw):
    return w.attr(w.AS_PATH, w.as_path_value((w.AS_SEQUENCE, [c.asn]), asn_size=2 if as2 else 4),
                  **kw)


def next_hop(c, addr=None, **kw):
    return w.attr(w.NEXT_HOP, w.ip_bytes(addr or c.src), **kw)


def announce(c, *extra, skip=(), nlri=NLRI_2, as2=False):
    """An UPDATE announcing NLRI_2 with ORIGIN, AS_PATH (2-octet ASNs: as2),
    NEXT_HOP (those in `skip` left out) followed by the `extra` attributes."""
    base = [(w.ORIGIN, origin()), (w.AS_PATH, as_path(c, as2=as2)), (w.NEXT_HOP, next_hop(c))]
    attrs = b"".join(a for t, a in base if t not in skip) + b"".join(extra)
    return w.update(attrs=attrs, nlri=nlri)


def mp_reach_v6(nlri=V6_2, nh=V6_NH, **kw):
    return w.attr(w.MP_REACH, w.mp_reach_value(w.AFI_IPV6, w.SAFI_UNICAST, nh, nlri, **kw))


def announce_v6(c, *extra):
    return w.update(attrs=origin() + as_path(c) + b"".join(extra))


def probe_v4(c, as2=False):
    return announce(c, nlri=w.prefix("203.0.113.64/27"), as2=as2)


def probe_v6(c, as2=False):
    return w.update(attrs=origin() + as_path(c, as2=as2) + mp_reach_v6(
        nlri=w.prefix("2001:db8:99::/48")))


def OLD_SPEAKER(asn):
    """Capabilities without 4-octet AS (RFC 6793): AS_PATH carries 2-octet ASNs."""
    return [w.cap_mp(w.AFI_IPV4), w.cap_mp(w.AFI_IPV6), w.CAP_ROUTE_REFRESH,
            w.CAP_ENHANCED_ROUTE_REFRESH]


# --- expectations ---------------------------------------------------------------------------
@dataclass
class Reset:
    """fbfd sends this NOTIFICATION and closes (data: bytes or fn(ctx, msg))."""
    code: int
    subcode: int
    data: object = b""


@dataclass
class Kept:
    """The session stays up. v4/v6: prefixes the malformed message adds to
    prefixes_received_*; wd: what it adds to withdrawals_received;
    disabled: the family RFC 7606 AFI/SAFI disable turns off."""
    v4: int = 0
    v6: int = 0
    wd: int = 0
    disabled: Optional[str] = None


@dataclass
class Closed:
    """fbfd closes without a NOTIFICATION (RFC 4271 §6.4: never answer one)."""


WITHDRAW = Kept(wd=2)            # treat-as-withdraw of NLRI_2
DISCARD = Kept(v4=2)             # attribute discard (or ignored): NLRI_2 announced
WITHDRAW_V6 = Kept(wd=2)


@dataclass
class Case:
    id: str
    build: Callable
    expect: object
    state: str = "established"   # where fbfd is when the message arrives
    why: str = ""
    pieces: int = 0              # send in segments of this many octets (0: at once)
    caps: Optional[Callable] = None   # fn(asn) -> the capabilities of our OPEN

    def __str__(self):
        return self.id


def attr_data(*parts):
    """Expected NOTIFICATION data: the erroneous attribute, rebuilt."""
    return lambda c, msg: b"".join(p(c) if callable(p) else p for p in parts)


# --- 1. header errors (RFC 4271 §6.1), in OpenSent and in Established -------------------------
def short_body(length):
    return b"\0" * max(0, min(length, 120) - 19)


HEADER = [
    ("bad_marker", lambda c: w.message(w.KEEPALIVE, marker=b"\xff" * 15 + b"\xfe"), Reset(1, 1)),
    ("length_18_too_short", lambda c: w.message(w.KEEPALIVE, length=18), Reset(1, 2, w.be16(18))),
    ("length_4097_too_long", lambda c: w.message(w.UPDATE, short_body(4097), length=4097),
     Reset(1, 2, w.be16(4097))),
    ("length_65535_too_long", lambda c: w.message(w.UPDATE, short_body(65535), length=65535),
     Reset(1, 2, w.be16(65535))),
    ("keepalive_length_20", lambda c: w.message(w.KEEPALIVE, b"\0"), Reset(1, 2, w.be16(20))),
    ("open_length_28", lambda c: w.message(w.OPEN, b"\0" * 9), Reset(1, 2, w.be16(28))),
    ("update_length_22", lambda c: w.message(w.UPDATE, b"\0" * 3), Reset(1, 2, w.be16(22))),
    ("notification_length_20", lambda c: w.message(w.NOTIFICATION, b"\x06"),
     Reset(1, 2, w.be16(20))),
    ("route_refresh_length_22", lambda c: w.message(w.ROUTE_REFRESH, b"\0\1\0"),
     Reset(1, 2, w.be16(22))),
    ("type_0", lambda c: w.message(0), Reset(1, 3, b"\x00")),
    ("type_6", lambda c: w.message(6), Reset(1, 3, b"\x06")),
    ("type_255", lambda c: w.message(255, b"\0" * 8), Reset(1, 3, b"\xff")),
]
HEADER_CASES = [Case(f"{state}-{i}", b, e, state=state)
                for state in ("opensent", "established") for i, b, e in HEADER] + [
    # The peer offers RFC 8654 Extended Message, fbfd does not: 4096 still holds.
    Case("established-update_over_4096_extended_message_offered_by_peer_only",
         lambda c: w.update(attrs=origin() + as_path(c) + w.attr(240, b"\0" * 4900)),
         Reset(1, 2, lambda c, msg: w.be16(len(msg))),
         caps=lambda asn: w.default_caps(asn) + [w.capability(6)]),
    # The same checks when the header straddles reads (fbfd's reassembly path).
    Case("established-bad_marker_in_7_octet_pieces", HEADER[0][1], HEADER[0][2], pieces=7),
    Case("established-length_4097_in_5_octet_pieces", HEADER[2][1], HEADER[2][2], pieces=5),
    Case("established-type_6_after_a_split_keepalive",
         lambda c: w.keepalive() + w.message(6), Reset(1, 3, b"\x06"), pieces=11),
]


# --- 2. OPEN errors (RFC 4271 §6.2, RFC 5492, RFC 6793, RFC 9072) ----------------------------
def open_with(**kw):
    return lambda c: w.open_msg(c.asn, c.src, **kw)


def open_params(params, opt_len=None):
    return lambda c: w.open_msg(c.asn, c.src, params=params, opt_len=opt_len)


def open_caps(extra, drop_as4=False):
    def build(c):
        caps = [x for x in w.default_caps(c.asn) if not (drop_as4 and x[0] == 65)]
        return w.open_msg(c.asn, c.src, caps=caps + extra)
    return build


def open_len(c, msg):
    return w.be16(len(msg))


def extended_params_open(c):
    """RFC 9072: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths."""
    caps = b"".join(w.default_caps(c.asn))
    params = bytes([255]) + w.be16(3 + len(caps)) + bytes([2]) + w.be16(len(caps)) + caps
    return w.open_msg(c.asn, c.src, params=params, opt_len=255)


KEEPALIVE_NEXT = "keepalive"     # the OPEN is acceptable: fbfd answers KEEPALIVE

OPEN_CASES = [Case(i, b, e, state="opensent") for i, b, e in [
    ("version_3", open_with(version=3), Reset(2, 1, b"\x00\x04")),
    ("version_5", open_with(version=5), Reset(2, 1, b"\x00\x04")),
    ("peer_as_mismatch", lambda c: w.open_msg(65999, c.src), Reset(2, 2)),
    ("peer_as_mismatch_in_as4_capability",
     lambda c: w.open_msg(4200000001, c.src), Reset(2, 2)),
    ("my_as_mismatch_without_as4_capability",
     lambda c: w.open_msg(c.asn, c.src, my_as=64999,
                          caps=[w.cap_mp(w.AFI_IPV4), w.CAP_ROUTE_REFRESH]), Reset(2, 2)),
    ("hold_time_1", open_with(hold=1), Reset(2, 6)),
    ("hold_time_2", open_with(hold=2), Reset(2, 6)),
    ("bgp_identifier_0", lambda c: w.open_msg(c.asn, "0.0.0.0"), Reset(2, 3)),
    ("unsupported_optional_parameter_1",
     open_params(bytes([1, 2, 0, 0]) + w.cap_param(w.default_caps(AS_ATTACKER))), Reset(2, 4)),
    ("unsupported_optional_parameter_200", open_params(bytes([200, 0])), Reset(2, 4)),
    ("optional_parameter_overruns", open_params(bytes([2, 40]) + w.cap_mp(1)), Reset(2, 0)),
    ("capability_overruns_parameter", open_params(bytes([2, 2, 1, 10])), Reset(2, 0)),
    ("capability_header_truncated", open_params(bytes([2, 1, 1])), Reset(2, 0)),
    ("multiprotocol_capability_length_3",
     open_caps([w.capability(1, b"\x00\x01\x00")]), Reset(2, 0)),
    ("as4_capability_length_2", open_caps([w.capability(65, b"\xfd\xcc")], drop_as4=True),
     Reset(2, 0)),
    ("route_refresh_capability_length_1", open_caps([w.capability(2, b"\0")]), Reset(2, 0)),
    ("graceful_restart_capability_length_1", open_caps([w.capability(64, b"\0")]), Reset(2, 0)),
    ("add_path_capability_length_3", open_caps([w.capability(69, b"\0\1\1")]), Reset(2, 0)),
    ("opt_param_len_beyond_message",
     lambda c: w.open_msg(c.asn, c.src, opt_len=len(w.cap_param(w.default_caps(c.asn))) + 20),
     Reset(1, 2, open_len)),
    ("opt_param_len_short_of_message", lambda c: w.open_msg(c.asn, c.src, opt_len=2),
     Reset(1, 2, open_len)),
    ("unknown_capability_ignored", open_caps([w.capability(200, b"junk")]), KEEPALIVE_NEXT),
    ("hold_time_0_accepted", open_with(hold=0), KEEPALIVE_NEXT),
    ("bgp_identifier_equal_to_fbfd_ebgp_accepted", lambda c: w.open_msg(c.asn, FBFD_B),
     KEEPALIVE_NEXT),
    ("no_capabilities_accepted", lambda c: w.open_msg(c.asn, c.src, params=b""), KEEPALIVE_NEXT),
    ("rfc9072_extended_parameters_accepted", extended_params_open, KEEPALIVE_NEXT),
]]


# --- 3. FSM errors (RFC 4271 §8.2.2, RFC 6608 subcodes, Data = the message type) ---------------
FSM_CASES = [
    Case("keepalive_in_opensent", lambda c: w.keepalive(), Reset(5, 1, b"\x04"), "opensent"),
    Case("update_in_opensent", lambda c: w.update(), Reset(5, 1, b"\x02"), "opensent"),
    Case("route_refresh_in_opensent", lambda c: w.route_refresh(), Reset(5, 1, b"\x05"),
         "opensent"),
    Case("open_in_openconfirm", lambda c: w.open_msg(c.asn, c.src), Reset(5, 2, b"\x01"),
         "openconfirm"),
    Case("update_in_openconfirm", lambda c: w.update(), Reset(5, 2, b"\x02"), "openconfirm"),
    Case("route_refresh_in_openconfirm", lambda c: w.route_refresh(), Reset(5, 2, b"\x05"),
         "openconfirm"),
    Case("open_in_established", lambda c: w.open_msg(c.asn, c.src), Reset(5, 3, b"\x01")),
]


# --- 4. UPDATE errors (RFC 4271 §6.3 as revised by RFC 7606) -----------------------------------
def U(id_, build, expect, why=""):
    return Case(id_, build, expect, why=why)


def mp_overrun(c):
    good = origin() + as_path(c)
    bad = bytes([w.OPTIONAL, w.MP_REACH, 60]) + w.mp_reach_value(w.AFI_IPV6, 1, V6_NH, b"")[:10]
    return w.update(attrs=good + bad)


def mp_overrun_data(c, msg):
    start = msg.index(bytes([w.OPTIONAL, w.MP_REACH, 60]))
    return msg[start:]


MED_BAD = w.attr(w.MED, b"\0\0\1")
ORIGIN_BAD = w.attr(w.ORIGIN, b"\0\0")

UPDATE_CASES = [
    # -- session reset: the NLRI cannot be located (RFC 7606 §3 (b), (g), (j), §5.2, §5.3)
    U("withdrawn_length_overruns", lambda c: w.update(
        withdrawn_len=200, attrs=origin() + as_path(c) + next_hop(c), nlri=NLRI_2),
      Reset(3, 1), "§3 (b)"),
    U("total_attribute_length_overruns", lambda c: w.update(
        attrs=origin() + as_path(c), attrs_len=60), Reset(3, 1), "§3 (b)"),
    U("nlri_prefix_length_33", lambda c: announce(c, nlri=bytes([33, 203, 0, 113, 1, 0])),
      Reset(3, 10), "§5.3"),
    U("nlri_prefix_overruns", lambda c: announce(c, nlri=bytes([24, 203, 0])), Reset(3, 10),
      "§5.3"),
    U("withdrawn_prefix_length_33", lambda c: w.update(withdrawn=bytes([33, 1, 2, 3, 4, 5])),
      Reset(3, 10), "§3 (i)"),
    U("withdrawn_prefix_overruns", lambda c: w.update(withdrawn=bytes([32, 198, 51])),
      Reset(3, 10), "§3 (i)"),
    U("mp_reach_twice", lambda c: announce_v6(c, mp_reach_v6(), mp_reach_v6()), Reset(3, 1),
      "§3 (g)"),
    U("mp_unreach_twice", lambda c: w.update(attrs=2 * w.attr(
        w.MP_UNREACH, w.mp_unreach_value(w.AFI_IPV6, 1, V6_2))), Reset(3, 1), "§3 (g)"),
    U("mp_reach_overruns_attribute_list", mp_overrun, Reset(3, 5, mp_overrun_data), "§3 (j)"),
    U("mp_reach_length_2_no_afi", lambda c: announce_v6(c, w.attr(w.MP_REACH, b"\0\2")),
      Reset(3, 9, attr_data(w.attr(w.MP_REACH, b"\0\2"))), "§5.3, §3 (j)"),
    U("mp_unreach_length_2_no_afi", lambda c: w.update(attrs=w.attr(w.MP_UNREACH, b"\0\2")),
      Reset(3, 9, attr_data(w.attr(w.MP_UNREACH, b"\0\2"))), "§5.3, §3 (j)"),
    U("malformed_origin_without_nlri", lambda c: w.update(
        withdrawn=w.prefix("203.0.113.0/28"), attrs=ORIGIN_BAD + as_path(c)),
      Reset(3, 5, attr_data(ORIGIN_BAD)), "§5.2"),
    U("malformed_med_attributes_only", lambda c: w.update(attrs=origin() + as_path(c) + MED_BAD),
      Reset(3, 5, attr_data(MED_BAD)), "§5.2"),

    # -- treat-as-withdraw (RFC 7606 §7, §3 (c)-(e), §4)
    U("origin_length_2", lambda c: announce(c, ORIGIN_BAD, skip=[w.ORIGIN]), WITHDRAW, "§7.1"),
    U("origin_value_3", lambda c: announce(c, origin(3), skip=[w.ORIGIN]), WITHDRAW, "§7.1"),
    U("as_path_segment_type_5", lambda c: announce(c, w.attr(
        w.AS_PATH, w.as_path_value((5, [c.asn]))), skip=[w.AS_PATH]), WITHDRAW, "§7.2"),
    U("as_path_segment_length_0", lambda c: announce(c, w.attr(
        w.AS_PATH, bytes([w.AS_SEQUENCE, 0])), skip=[w.AS_PATH]), WITHDRAW, "§7.2"),
    U("as_path_segment_overrun", lambda c: announce(c, w.attr(
        w.AS_PATH, bytes([w.AS_SEQUENCE, 3]) + c.asn.to_bytes(4, "big")), skip=[w.AS_PATH]),
      WITHDRAW, "§7.2"),
    U("as_path_single_octet_underrun", lambda c: announce(c, w.attr(
        w.AS_PATH, w.as_path_value((w.AS_SEQUENCE, [c.asn])) + b"\x02"), skip=[w.AS_PATH]),
      WITHDRAW, "§7.2"),
    U("next_hop_length_5", lambda c: announce(c, w.attr(
        w.NEXT_HOP, w.ip_bytes(c.src) + b"\0"), skip=[w.NEXT_HOP]), WITHDRAW, "§7.3"),
    U("next_hop_length_0", lambda c: announce(c, w.attr(w.NEXT_HOP, b""), skip=[w.NEXT_HOP]),
      WITHDRAW, "§7.3, §4"),
    U("next_hop_0.0.0.0", lambda c: announce(c, next_hop(c, "0.0.0.0"), skip=[w.NEXT_HOP]),
      WITHDRAW, "RFC 4271 §6.3, §3 (e)"),
    U("next_hop_multicast", lambda c: announce(c, next_hop(c, "224.0.0.5"), skip=[w.NEXT_HOP]),
      WITHDRAW, "RFC 4271 §6.3, §3 (e)"),
    U("next_hop_loopback", lambda c: announce(c, next_hop(c, "127.0.0.1"), skip=[w.NEXT_HOP]),
      WITHDRAW, "RFC 4271 §6.3, §3 (e)"),
    U("next_hop_is_fbfd", lambda c: announce(c, next_hop(c, c.fbfd), skip=[w.NEXT_HOP]),
      WITHDRAW, "RFC 4271 §6.3 (a)"),
    U("med_length_3", lambda c: announce(c, MED_BAD), WITHDRAW, "§7.4"),
    U("med_length_0", lambda c: announce(c, w.attr(w.MED, b"")), WITHDRAW, "§7.4, §4"),
    U("communities_length_5", lambda c: announce(c, w.attr(w.COMMUNITIES, b"\0\1\0\2\3")),
      WITHDRAW, "§7.8"),
    U("communities_length_0", lambda c: announce(c, w.attr(w.COMMUNITIES, b"")), WITHDRAW,
      "§7.8"),
    U("extended_communities_length_9", lambda c: announce(c, w.attr(
        w.EXT_COMMUNITIES, b"\0" * 9)), WITHDRAW, "§7.14"),
    U("ipv6_extended_communities_length_21", lambda c: announce(c, w.attr(
        w.IPV6_EXT_COMMUNITIES, b"\0" * 21)), WITHDRAW, "§7.15"),
    U("large_community_length_13", lambda c: announce(c, w.attr(
        w.LARGE_COMMUNITY, b"\0" * 13)), WITHDRAW, "RFC 8092 §6"),
    U("otc_length_3", lambda c: announce(c, w.attr(w.OTC, b"\0\0\1")), WITHDRAW, "RFC 9234 §5"),
    U("origin_flagged_optional", lambda c: announce(c, origin(flags=w.OPTIONAL_TRANSITIVE),
                                                    skip=[w.ORIGIN]), WITHDRAW, "§3 (c)"),
    U("as_path_flagged_non_transitive", lambda c: announce(c, as_path(c, flags=0x00),
                                                           skip=[w.AS_PATH]), WITHDRAW, "§3 (c)"),
    U("next_hop_flagged_optional", lambda c: announce(c, next_hop(c, flags=w.OPTIONAL),
                                                      skip=[w.NEXT_HOP]), WITHDRAW, "§3 (c)"),
    U("med_flagged_well_known", lambda c: announce(c, w.attr(w.MED, b"\0\0\0\1",
                                                             flags=w.WELL_KNOWN)),
      WITHDRAW, "§3 (c)"),
    U("communities_flagged_non_transitive", lambda c: announce(c, w.attr(
        w.COMMUNITIES, b"\0\1\0\2", flags=w.OPTIONAL)), WITHDRAW, "§3 (c)"),
    U("missing_origin", lambda c: announce(c, skip=[w.ORIGIN]), WITHDRAW, "§3 (d)"),
    U("missing_as_path", lambda c: announce(c, skip=[w.AS_PATH]), WITHDRAW, "§3 (d)"),
    U("missing_next_hop", lambda c: announce(c, skip=[w.NEXT_HOP]), WITHDRAW, "§3 (d)"),
    U("unrecognized_well_known_attribute", lambda c: announce(c, w.attr(
        240, b"\1\2", flags=w.WELL_KNOWN)), WITHDRAW, "RFC 4271 §6.3 / fbfd: treat-as-withdraw"),
    U("attribute_overruns_attribute_list", lambda c: announce(c, w.attr(
        w.MED, b"\0\0\0\1", length=20)), WITHDRAW, "§4 (first case)"),
    U("attribute_header_truncated", lambda c: announce(c, b"\x80\x04"), WITHDRAW,
      "§4 (second case)"),
    U("extended_attribute_header_truncated", lambda c: announce(c, b"\x90\x04\x00"), WITHDRAW,
      "§4 (second case)"),
    U("missing_as_path_mp_reach_only", lambda c: w.update(attrs=origin() + mp_reach_v6()),
      WITHDRAW_V6, "§3 (d)"),
    U("withdraw_counts_withdrawn_routes_too", lambda c: w.update(
        withdrawn=w.prefix("198.51.100.128/25"), attrs=ORIGIN_BAD + as_path(c) + next_hop(c),
        nlri=NLRI_2), Kept(wd=3), "§2: all routes of the UPDATE withdrawn"),
    U("mp_reach_v6_next_hop_multicast", lambda c: announce_v6(c, mp_reach_v6(
        nh=ipaddress.ip_address("ff02::1").packed)), WITHDRAW_V6, "RFC 4760 §3, §3 (e)"),

    # -- several errors: the strongest approach wins (RFC 7606 §3 (h))
    U("discard_and_withdraw_gives_withdraw", lambda c: announce(
        c, w.attr(w.ATOMIC_AGGREGATE, b"\1"), MED_BAD), WITHDRAW, "§3 (h)"),
    U("withdraw_and_reset_gives_reset", lambda c: announce(
        c, MED_BAD, nlri=NLRI_2 + bytes([40, 1, 2, 3, 4, 5])), Reset(3, 10), "§3 (h)"),

    # -- attribute discard (RFC 7606 §7.5-§7.7, §7.9, §7.10, §3 (g), RFC 6793 §4.1)
    U("local_pref_from_ebgp", lambda c: announce(c, w.attr(w.LOCAL_PREF, b"\0\0\0\144")),
      DISCARD, "§7.5"),
    U("local_pref_from_ebgp_length_3", lambda c: announce(c, w.attr(w.LOCAL_PREF, b"\0\0\1")),
      DISCARD, "§7.5"),
    U("atomic_aggregate_length_1", lambda c: announce(c, w.attr(w.ATOMIC_AGGREGATE, b"\1")),
      DISCARD, "§7.6"),
    U("aggregator_length_7", lambda c: announce(c, w.attr(w.AGGREGATOR, b"\0" * 7)), DISCARD,
      "§7.7"),
    U("aggregator_length_6_with_as4", lambda c: announce(c, w.attr(
        w.AGGREGATOR, b"\xfd\xcc" + w.ip_bytes(c.src))), DISCARD, "§7.7"),
    U("originator_id_from_ebgp", lambda c: announce(c, w.attr(w.ORIGINATOR_ID, b"\1\2\3\4")),
      DISCARD, "§7.9"),
    U("cluster_list_from_ebgp", lambda c: announce(c, w.attr(w.CLUSTER_LIST, b"\1\2\3")),
      DISCARD, "§7.10"),
    U("as4_path_between_new_speakers", lambda c: announce(c, w.attr(
        w.AS4_PATH, w.as_path_value((w.AS_SEQUENCE, [c.asn])))), DISCARD, "RFC 6793 §4.1"),
    U("as4_aggregator_length_5", lambda c: announce(c, w.attr(w.AS4_AGGREGATOR, b"\0" * 5)),
      DISCARD, "RFC 6793 §6"),
    U("duplicate_med", lambda c: announce(c, w.attr(w.MED, b"\0\0\0\1"),
                                          w.attr(w.MED, b"\0\0\0\2")), DISCARD, "§3 (g)"),
    U("duplicate_origin", lambda c: announce(c, origin(1)), DISCARD, "§3 (g)"),
    U("duplicate_unknown_attribute", lambda c: announce(c, w.attr(240, b"a"), w.attr(240, b"b")),
      DISCARD, "§3 (g)"),

    # -- accepted: what RFC 4271 §5 / RFC 7606 say to ignore or not to check
    U("unknown_optional_transitive", lambda c: announce(c, w.attr(240, b"\xde\xad")), DISCARD,
      "RFC 4271 §5"),
    U("unknown_optional_non_transitive", lambda c: announce(c, w.attr(
        241, b"\xbe\xef", flags=w.OPTIONAL)), DISCARD, "RFC 4271 §5"),
    U("attr_set_not_parsed", lambda c: announce(c, w.attr(w.ATTR_SET, b"\0\0")), DISCARD,
      "§7.16: fbfd does not implement ATTR_SET"),
    U("unknown_extended_community_type", lambda c: announce(c, w.attr(
        w.EXT_COMMUNITIES, b"\xff\xfe" + b"\0" * 6)), DISCARD, "§7.14 last paragraph"),
    U("extended_length_on_short_attribute", lambda c: announce(c, w.attr(
        w.MED, b"\0\0\0\1", flags=w.OPTIONAL | w.EXTENDED)), DISCARD, "§3 (c)"),
    U("partial_bit_on_well_known", lambda c: announce(c, origin(flags=0x60), skip=[w.ORIGIN]),
      DISCARD, "§3 (c)"),
    U("mp_reach_unknown_family", lambda c: w.update(attrs=origin() + as_path(c) + w.attr(
        w.MP_REACH, w.mp_reach_value(1, 128, b"\0" * 12, b"\x58" + b"\0" * 11))), Kept(),
      "RFC 4760 §7"),

    # -- a peer without the 4-octet AS capability (RFC 6793 "OLD" speaker): 2-octet ASNs
    Case("old_speaker_as_path_in_4_octet_encoding", lambda c: announce(c), WITHDRAW,
         why="§7.2: parsed as 2-octet ASNs", caps=OLD_SPEAKER),
    Case("old_speaker_aggregator_length_8", lambda c: announce(
        c, w.attr(w.AGGREGATOR, b"\0\0\xfe\x4c" + w.ip_bytes(c.src)), as2=True),
        DISCARD, why="§7.7", caps=OLD_SPEAKER),
    Case("old_speaker_as4_path_odd_length", lambda c: announce(
        c, w.attr(w.AS4_PATH, b"\2\1\0\0\xfe\x4c\0"), as2=True), DISCARD,
        why="RFC 6793 §6", caps=OLD_SPEAKER),
    Case("old_speaker_as4_path_segment_overrun", lambda c: announce(
        c, w.attr(w.AS4_PATH, b"\2\2\0\0\xfe\x4c"), as2=True), DISCARD,
        why="RFC 6793 §6", caps=OLD_SPEAKER),
    Case("old_speaker_as4_aggregator_length_6", lambda c: announce(
        c, w.attr(w.AS4_AGGREGATOR, b"\0" * 6), as2=True), DISCARD,
        why="RFC 6793 §6", caps=OLD_SPEAKER),
    Case("old_speaker_well_formed_control", lambda c: announce(c, as2=True), DISCARD,
         why="the same session accepts a correct 2-octet AS_PATH", caps=OLD_SPEAKER),

    # -- AFI/SAFI disable (RFC 7606 §7.11, §5.3; RFC 4760 §7)
    U("mp_reach_v6_next_hop_length_5", lambda c: announce_v6(c, mp_reach_v6(nh=b"\x20" * 5)),
      Kept(disabled="ipv6"), "§7.11"),
    U("mp_reach_v4_next_hop_length_3", lambda c: w.update(attrs=origin() + as_path(c) + w.attr(
        w.MP_REACH, w.mp_reach_value(w.AFI_IPV4, 1, b"\xc6\x33\x64", NLRI_2))),
      Kept(disabled="ipv4"), "§7.11"),
    U("mp_reach_v6_prefix_length_129", lambda c: announce_v6(c, mp_reach_v6(
        nlri=bytes([129]) + b"\x20" * 17)), Kept(disabled="ipv6"), "§5.3"),
    U("mp_reach_v6_prefix_overruns", lambda c: announce_v6(c, mp_reach_v6(
        nlri=bytes([64, 0x20, 0x01]))), Kept(disabled="ipv6"), "§5.3"),
    U("mp_reach_flagged_transitive", lambda c: announce_v6(c, w.attr(
        w.MP_REACH, w.mp_reach_value(w.AFI_IPV6, 1, V6_NH, V6_2), flags=w.OPTIONAL_TRANSITIVE)),
      Kept(disabled="ipv6"), "§5.3"),
    U("mp_reach_length_4", lambda c: announce_v6(c, w.attr(w.MP_REACH, b"\0\2\1\x10")),
      Kept(disabled="ipv6"), "§5.3"),
    U("mp_unreach_v6_prefix_length_129", lambda c: w.update(attrs=w.attr(
        w.MP_UNREACH, w.mp_unreach_value(w.AFI_IPV6, 1, bytes([129]) + b"\x20" * 17))),
      Kept(disabled="ipv6"), "§5.3"),
    U("mp_unreach_v4_prefix_overruns", lambda c: w.update(attrs=w.attr(
        w.MP_UNREACH, w.mp_unreach_value(w.AFI_IPV4, 1, bytes([24, 198])))),
      Kept(disabled="ipv4"), "§5.3"),
]


# --- 5. ROUTE-REFRESH (RFC 2918, RFC 7313 §5) and NOTIFICATIONs from the peer -------------------
def whole(c, msg):
    return msg


OTHER_CASES = [
    Case("route_refresh_borr_length_5", lambda c: w.route_refresh(subtype=1, extra=b"\0"),
         Reset(7, 1, whole), why="RFC 7313 §5"),
    Case("route_refresh_eorr_length_8", lambda c: w.route_refresh(subtype=2, extra=b"\0" * 4),
         Reset(7, 1, whole), why="RFC 7313 §5"),
    Case("route_refresh_unknown_subtype_ignored", lambda c: w.route_refresh(subtype=9),
         Kept(), why="RFC 7313 §5"),
    Case("route_refresh_unknown_family_ignored", lambda c: w.route_refresh(afi=25, safi=70),
         Kept(), why="RFC 2918 §4"),
    Case("route_refresh_with_orf_octets_ignored", lambda c: w.route_refresh(extra=b"\1\0\0"),
         Kept(), why="fbfd: ORF never negotiated"),
    Case("notification_unknown_code", lambda c: w.notification(99, 1, b"xyz"), Closed(),
         why="RFC 4271 §6.4"),
    Case("notification_cease_shutdown_invalid_utf8",
         lambda c: w.notification(6, 2, b"\x04\xff\xfe\xc0\x80"), Closed(), why="RFC 9003 §2"),
    Case("notification_cease_shutdown_length_overruns",
         lambda c: w.notification(6, 2, b"\xc8abc"), Closed(), why="RFC 9003 §2"),
]


# --- the test driver ------------------------------------------------------------------------------
def labels(name, addr):
    return (("neighbor", name), ("peer", addr))


def open_session(il, state, caps=None):
    """A fresh attacker neighbor, brought to `state` (as fbfd sees it)."""
    addr = il.next_attacker()
    sp = w.Speaker(il.x, addr, FBFD_X, AS_ATTACKER)
    if state == "opensent":
        sp.open_sent()
    elif state == "openconfirm":
        sp.open_sent()
        sp.send(w.open_msg(AS_ATTACKER, addr))
        sp.expect(w.KEEPALIVE)
    else:
        sp.establish(caps=caps(AS_ATTACKER) if caps else None)
    return addr, sp


def run_case(il, case):
    addr, sp = open_session(il, case.state, case.caps)
    name = il.attacker_name(addr)
    c = Ctx(src=addr)
    try:
        msg = case.build(c)
        if case.pieces:
            sp.send_in_pieces(msg, case.pieces)
        else:
            sp.send(msg)
        e = case.expect
        if isinstance(e, Reset):
            n = sp.expect_notification()
            data = e.data(c, msg) if callable(e.data) else e.data
            assert (n.code, n.subcode, n.data.hex()) == (e.code, e.subcode, data.hex()), \
                f"fbfd answered {n}, expected {e.code}/{e.subcode} data={data.hex() or '-'}"
            m = wait_until(lambda: (lambda m: m if m.get(
                ("fbf_bgp_notifications_sent_total", labels(name, addr))) == 1 else None)(
                il.metrics()), 5, "fbfd to count the NOTIFICATION it sent")
            assert m[("fbf_bgp_notifications_received_total", labels(name, addr))] == 0
            st = il.bgp(name)
            assert st["state"] != "Established", st
            assert f"({e.code}/{e.subcode})" in st["last_error"], st
        elif isinstance(e, Closed):
            sp.expect_silent_close()
            m = wait_until(lambda: (lambda m: m if m.get(
                ("fbf_bgp_notifications_received_total", labels(name, addr))) == 1 else None)(
                il.metrics()), 5, "fbfd to count the NOTIFICATION it received")
            assert m[("fbf_bgp_notifications_sent_total", labels(name, addr))] == 0, \
                "fbfd answered a NOTIFICATION with one (RFC 4271 §6.4)"
        elif e == KEEPALIVE_NEXT:
            sp.expect(w.KEEPALIVE)
            sp.send(w.keepalive())
            wait_until(lambda: il.bgp(name).get("state") == "Established", 5,
                       f"{name} Established")
            sp.drain()
        else:
            expect_kept(il, sp, c, name, addr, msg, e, as2=case.caps is OLD_SPEAKER)
    finally:
        sp.close()
    il.bystanders()


def expect_kept(il, sp, c, name, addr, msg, e, as2=False):
    """The session survives: a valid UPDATE per family follows and is counted
    (unless its family was disabled); the counters show the approach taken."""
    sp.send(probe_v4(c, as2))
    sp.send(probe_v6(c, as2))
    updates = 2 + (msg[18] == w.UPDATE)
    st = wait_until(lambda: (lambda s: s if s.get("updates_received") == updates else None)(
        il.bgp(name)), 5, f"fbfd to count {updates} UPDATEs from {name}")
    want = {"state": "Established",
            "prefixes_received_ipv4": e.v4 + (e.disabled != "ipv4"),
            "prefixes_received_ipv6": e.v6 + (e.disabled != "ipv6"),
            "withdrawals_received": e.wd}
    assert {k: st[k] for k in want} == want, st
    sp.drain()      # no NOTIFICATION, not closed
    assert il.metrics()[("fbf_bgp_notifications_sent_total", labels(name, addr))] == 0
    log = il.agent.log_text()
    disabled = f"bgp {name} {addr}: {{}}-unicast disabled for this session (RFC 7606)"
    for fam in ("ipv4", "ipv6"):
        assert (disabled.format(fam) in log) == (e.disabled == fam), \
            f"AFI/SAFI disable of {fam}: expected {e.disabled == fam}"


# --- the tests ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", HEADER_CASES, ids=str)
def test_bad_header(il, case):
    run_case(il, case)


@pytest.mark.parametrize("case", OPEN_CASES, ids=str)
def test_bad_open(il, case):
    run_case(il, case)


@pytest.mark.parametrize("case", FSM_CASES, ids=str)
def test_unexpected_message(il, case):
    run_case(il, case)


@pytest.mark.parametrize("case", UPDATE_CASES, ids=str)
def test_malformed_update(il, case):
    run_case(il, case)


@pytest.mark.parametrize("case", OTHER_CASES, ids=str)
def test_route_refresh_and_notification(il, case):
    run_case(il, case)


def test_after_the_barrage(il):
    """Last: the whole module's traffic left fbfd and BIRD as they were."""
    il.bystanders()
    sent = il.metrics()[("fbf_bgp_notifications_sent_total", labels("bird", il.bip))]
    assert sent == 0, "fbfd sent BIRD a NOTIFICATION"
