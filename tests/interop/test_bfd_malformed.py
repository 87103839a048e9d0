"""Malformed BFD Control packets to fbfd's UDP port 3784: one test per
reception rule of RFC 5880 §6.8.6 (and RFC 5881 §5 TTL, §6.7 auth), while
fbfd's BFD session with BIRD (which carries BIRD's BGP session and so the
service route) must stay Up.

One lab for the module (interop.topology). Packets come from sockets
opened in the lab namespaces by the test process itself:

- "bird": from BIRD's address inside BIRD's namespace, aimed at fbfd's live
  session with BIRD (Your Discriminator = fbfd's, My Discriminator =
  BIRD's, State Down): valid but for the one broken rule, so a rule fbfd
  failed to enforce would take the session Down and BIRD's route with it;
- "attacker": from 198.51.100.2, an address with no session;
- "auth": from 198.51.100.3, the peer of a standalone session with
  Meticulous Keyed SHA1 (key id 7) that the test signs by hand.

Counting is exact: after the N bad packets the same socket sends one
"fence" packet counted under another reason; UDP over the veth keeps the
order, so once the fence is counted every bad packet has been, and the
counters must have moved by exactly {reason: N, fence: 1} -- any other
drop counter moving, or a packet accepted, fails the test.
"""
import socket
import struct
from dataclasses import dataclass
from typing import Callable

import pytest

from fbflab import wait_until

from . import bfdwire as b
from .conftest import need
from .netns import socket_in
from .topology import ATTACKER_BFD, FBFD_X, VICTIM_BIRD, VICTIM_FBFD, InteropLab

pytestmark = pytest.mark.lab

N = 3                                   # bad packets per test
AUTH_KEY, AUTH_KEY_ID = b"interop-sha1-key-20c", 7
ATTACKER_DISCR = 0x0A77AC4E             # the attacker's My Discriminator
ATTACKER_SRC = "198.51.100.2"           # an address with no session in fbfd
METRICS = ("fbf_bfd_rx_invalid_total", "fbf_bfd_rx_dropped_total")


class Lab(InteropLab):
    """The module lab plus the attacker's BFD sockets and auth state."""

    def __init__(self):
        super().__init__("interop-bfd", bfd_peers=[{
            "address": ATTACKER_BFD, "local_address": FBFD_X,
            "auth_type": "meticulous-keyed-sha1", "auth_key_id": AUTH_KEY_ID,
            "auth_key": AUTH_KEY.decode(), "min_tx": "1000ms", "min_rx": "1000ms",
            "multiplier": 3}], victim=True)
        s = self.bfd(self.bip)
        self.fbfd_discr, self.bird_discr = s["local_discriminator"], s["remote_discriminator"]
        self.auth_discr = self.bfd(ATTACKER_BFD)["local_discriminator"]
        # fbfd's packets to the attacker land here instead of drawing ICMP errors.
        self.sink = socket_in(self.x, type=socket.SOCK_DGRAM)
        self.sink.bind((ATTACKER_BFD, 3784))
        self.socks = {"bird": self._udp(self.b, self.bip),
                      "attacker": self._udp(self.x, ATTACKER_SRC),
                      "auth": self._udp(self.x, ATTACKER_BFD)}
        # BIRD's second address, on the attacker's loopback: spoofed over the wrong link.
        # It sends to fbfd's address of that session, routed over its own link.
        self.x.add_address(f"{VICTIM_BIRD}/32", dev="lo")
        self.x.add_route(f"{VICTIM_FBFD}/32", via=FBFD_X)
        self.socks["spoof"] = self._udp(self.x, VICTIM_BIRD)
        self.dst = {"bird": self.fip, "attacker": FBFD_X, "auth": FBFD_X, "spoof": VICTIM_FBFD}
        self.seq = 1000            # the last sequence number fbfd accepted from "auth"

    @staticmethod
    def _udp(node, addr):
        s = socket_in(node, type=socket.SOCK_DGRAM)
        for port in range(49500, 49600):        # RFC 5881 §4 source ports
            try:
                s.bind((addr, port))
                return s
            except OSError:
                continue
        raise OSError(f"no free source port on {addr}")

    def close(self):
        for s in [self.sink, *self.socks.values()]:
            s.close()
        super().close()

    def unknown_discr(self):
        d = 0x5EED0001
        while d in (self.fbfd_discr, self.bird_discr, self.auth_discr):
            d += 1
        return d

    def signed(self, seq, key=AUTH_KEY, key_id=AUTH_KEY_ID, auth_type=b.AUTH_MET_SHA1, **kw):
        return b.signed(key, key_id, seq, auth_type=auth_type, my=ATTACKER_DISCR, **kw)

    def counters(self):
        m = self.metrics()
        return {k: v for k, v in m.items() if k[0] in METRICS}


@pytest.fixture(scope="module")
def il(request):
    need("bird", "fbfd")
    lab = Lab()
    request.module._interop_lab = lab
    yield lab
    lab.close()


def invalid(reason):
    return ("fbf_bfd_rx_invalid_total", (("reason", reason),))


def dropped(peer, reason, session=None):
    """A per-session drop counter; a [[bfd_peer]]'s session is named by its
    address, a neighbor's by the neighbor's name."""
    return ("fbf_bfd_rx_dropped_total", (("peer", peer), ("reason", reason),
                                         ("session", session or peer)))


@dataclass
class Case:
    id: str
    sender: str                 # "bird", "attacker" or "auth"
    build: Callable             # (lab) -> the bad packet
    counter: Callable           # (lab) -> the metric key that must grow by N
    ttl: int = 255
    rule: str = ""

    def __str__(self):
        return self.id


def to_bird(**kw):
    """Aimed at fbfd's session with BIRD, from BIRD's address: State Down
    with the right discriminators (a packet that would take it down)."""
    def build(il):
        fields = {"state": "Down", "my": il.bird_discr, "your": il.fbfd_discr,
                  "tx_us": 100_000, "rx_us": 100_000}
        fields.update(kw)
        return b.control(**fields)
    return build


def sha1_section(auth_len=28, auth_type=b.AUTH_MET_SHA1, size=20):
    return struct.pack("!BBBBI", auth_type, auth_len, AUTH_KEY_ID, 0, 1) + b"\0" * size


def bird_session(reason):
    return lambda il: dropped(il.bip, reason, "bird")


def auth_session(reason):
    return lambda il: dropped(ATTACKER_BFD, reason)


CASES = [
    # -- §6.8.6 checks that need no session (fbf_bfd_rx_invalid_total)
    Case("empty_datagram", "bird", lambda il: b"", lambda il: invalid("truncated"),
         rule="§6.8.6: no octets at all"),
    Case("truncated_3_octets", "bird", lambda il: to_bird()(il)[:3],
         lambda il: invalid("truncated"),
         rule="§6.8.6: shorter than the fields"),
    Case("version_0", "bird", to_bird(version=0), lambda il: invalid("bad_version"),
         rule="version"),
    Case("version_2", "bird", to_bird(version=2), lambda il: invalid("bad_version"),
         rule="version"),
    Case("length_20_below_24", "bird", to_bird(length=20), lambda il: invalid("bad_length"),
         rule="Length < 24"),
    Case("a_bit_length_25", "bird", lambda il: to_bird(flags=b.A_BIT, length=25)(il) + b"\1\2",
         lambda il: invalid("bad_length"), rule="A bit set and Length < 26"),
    Case("length_52_exceeds_payload", "bird", to_bird(length=52),
         lambda il: invalid("length_exceeds_payload"), rule="Length > payload"),
    Case("detect_mult_0", "bird", to_bird(mult=0), lambda il: invalid("zero_detect_mult"),
         rule="Detect Mult 0"),
    Case("multipoint_bit", "bird", to_bird(flags=b.M_BIT), lambda il: invalid("multipoint_set"),
         rule="M bit"),
    Case("my_discriminator_0", "bird", to_bird(my=0), lambda il: invalid("zero_my_discriminator"),
         rule="My Discriminator 0"),
    Case("your_discriminator_0_in_up", "bird", to_bird(state="Up", your=0),
         lambda il: invalid("zero_your_discriminator"), rule="Your Discr 0, State Up"),
    Case("your_discriminator_0_in_init", "bird", to_bird(state="Init", your=0),
         lambda il: invalid("zero_your_discriminator"), rule="Your Discr 0, State Init"),
    Case("auth_type_0", "bird", to_bird(auth=sha1_section(auth_type=0)),
         lambda il: invalid("bad_auth_type"), rule="§4.1 Auth Type 0"),
    Case("auth_type_6", "bird", to_bird(auth=sha1_section(auth_type=6)),
         lambda il: invalid("bad_auth_type"), rule="§4.1 Auth Type 6"),
    Case("sha1_auth_len_24", "bird", to_bird(auth=sha1_section(auth_len=24, size=16)),
         lambda il: invalid("bad_auth_length"), rule="§4.4 Auth Len 28"),
    Case("simple_password_auth_len_3", "bird",
         to_bird(auth=bytes([b.AUTH_SIMPLE, 3, AUTH_KEY_ID])),
         lambda il: invalid("bad_auth_length"), rule="§4.2 Auth Len 4..19"),
    Case("auth_len_mismatches_length", "bird",
         lambda il: to_bird(auth=sha1_section(), length=50)(il),
         lambda il: invalid("auth_length_mismatch"), rule="Length != 24 + Auth Len"),
    # -- demultiplexing (§6.3, §6.8.6)
    Case("unknown_your_discriminator", "bird", lambda il: to_bird(your=il.unknown_discr())(il),
         lambda il: invalid("no_session"), rule="Your Discr matches no session"),
    Case("your_discriminator_0_from_unknown_address", "attacker",
         lambda il: b.control(state="Down", my=ATTACKER_DISCR, your=0),
         lambda il: invalid("no_session"), rule="no session for the addresses"),
    Case("known_discriminator_from_wrong_source", "attacker",
         lambda il: b.control(state="Down", my=ATTACKER_DISCR, your=il.fbfd_discr),
         lambda il: invalid("address_mismatch"), rule="§6.8.6 + addresses"),
    # -- RFC 5881 §5 TTL, and auth on an unauthenticated session (per-session drops)
    Case("ttl_254", "bird", to_bird(), bird_session("bad_ttl"), ttl=254, rule="RFC 5881 §5"),
    Case("ttl_1", "bird", to_bird(), bird_session("bad_ttl"), ttl=1, rule="RFC 5881 §5"),
    Case("auth_on_unauthenticated_session", "bird",
         lambda il: b.signed(AUTH_KEY, AUTH_KEY_ID, 1, state="Down", my=il.bird_discr,
                             your=il.fbfd_discr, tx_us=100_000, rx_us=100_000),
         bird_session("auth_unexpected"), rule="§6.8.6 A bit, bfd.AuthType 0"),
    # -- §6.7 against the authenticated session
    Case("auth_missing", "auth", lambda il: b.control(state="Down", my=ATTACKER_DISCR),
         auth_session("auth_missing"), rule="§6.8.6 A bit clear, bfd.AuthType set"),
    Case("auth_type_keyed_sha1", "auth",
         lambda il: il.signed(il.seq + 1, auth_type=b.AUTH_SHA1),
         auth_session("auth_type_mismatch"), rule="§6.7.1 Auth Type"),
    Case("auth_type_keyed_md5", "auth", lambda il: il.signed(il.seq + 1, key=AUTH_KEY[:16],
                                                             auth_type=b.AUTH_MD5),
         auth_session("auth_type_mismatch"), rule="§6.7.1 Auth Type"),
    Case("auth_wrong_key_id", "auth", lambda il: il.signed(il.seq + 1, key_id=AUTH_KEY_ID + 1),
         auth_session("auth_key_id_mismatch"), rule="§6.7.4 Key ID"),
    Case("auth_wrong_key", "auth", lambda il: il.signed(il.seq + 1, key=b"not-the-interop-key"),
         auth_session("auth_digest_mismatch"), rule="§6.7.4 digest"),
    Case("auth_digest_bit_flipped", "auth",
         lambda il: (lambda p: p[:-1] + bytes([p[-1] ^ 1]))(il.signed(il.seq + 1)),
         auth_session("auth_digest_mismatch"), rule="§6.7.4 digest"),
]


def send(il, sender, packets, ttl=255):
    s = il.socks[sender]
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    for p in packets:
        s.sendto(p, (il.dst[sender], 3784))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)


def fenced(il, sender, packets, ttl, expected):
    """Send packets (then a fence from the same socket) and return the change
    of every drop counter once the fence is counted. `expected`: the changes
    the packets should cause, used to pick a fence of another reason."""
    fence_reason = "zero_detect_mult" if invalid("no_session") in expected else "no_session"
    fence = (b.control(state="Down", my=ATTACKER_DISCR, your=0, mult=0)
             if fence_reason == "zero_detect_mult"
             else b.control(state="Down", my=ATTACKER_DISCR, your=il.unknown_discr()))
    before = il.counters()
    send(il, sender, packets, ttl)
    send(il, sender, [fence])
    key = invalid(fence_reason)
    after = wait_until(lambda: (lambda c: c if c.get(key, 0) >= before.get(key, 0) + 1 else None)(
        il.counters()), 5, f"fbfd to count the fence packet ({fence_reason})", interval=0.02)
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    return {k: v for k, v in diff.items() if v}, key


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bfd_rule(il, case):
    key = case.counter(il)
    auth_before = il.bfd(ATTACKER_BFD)
    diff, fence = fenced(il, case.sender, [case.build(il)] * N, case.ttl, {key: N})
    assert diff == {key: N, fence: 1}, \
        f"{case.rule}: expected {key[1]} +{N} (and the fence), counters moved by {diff}"
    if case.sender == "auth":
        s = il.bfd(ATTACKER_BFD)
        assert s["packets_in"] == auth_before["packets_in"], s
        assert s["auth_failures"] - auth_before["auth_failures"] == N, s   # every auth_* drop
        assert s["dropped"] - auth_before["dropped"] == N, s
    il.bystanders()


def accept_one(il):
    """A correctly signed packet with the next sequence number: accepted."""
    before = il.bfd(ATTACKER_BFD)["packets_in"]
    pkt = il.signed(il.seq + 1)
    diff, fence = fenced(il, "auth", [pkt], 255, {})
    assert diff == {fence: 1}, f"a correctly signed packet was dropped: {diff}"
    s = wait_until(lambda: (lambda s: s if s["packets_in"] == before + 1 else None)(
        il.bfd(ATTACKER_BFD)), 5, "fbfd to accept the signed packet")
    il.seq += 1
    return pkt, s


def test_auth_valid_packet_accepted(il):
    """The control case for the auth tests: the same signing, right key and
    sequence, is accepted (packets_in + 1, no drop)."""
    _, s = accept_one(il)
    assert s["auth"] == "meticulous_keyed_sha1", s
    il.bystanders()


@pytest.mark.parametrize("how", ["replayed", "beyond_window"])
def test_auth_bad_sequence(il, how):
    """§6.7.4 Meticulous Keyed SHA1: a replay of an accepted packet (its
    sequence number is not above bfd.RcvAuthSeq), or one jumping further than
    3 x Detect Mult ahead, is dropped as auth_bad_sequence."""
    pkt, s = accept_one(il)
    if how == "beyond_window":
        pkt = il.signed(il.seq + 3 * 3 + 1)       # our Detect Mult is 3
    diff, fence = fenced(il, "auth", [pkt] * N, 255, {})
    key = dropped(ATTACKER_BFD, "auth_bad_sequence")
    assert diff == {key: N, fence: 1}, f"expected auth_bad_sequence +{N}, counters moved by {diff}"
    after = il.bfd(ATTACKER_BFD)
    assert after["packets_in"] == s["packets_in"], after
    il.bystanders()


@pytest.mark.parametrize("your", ["discriminator", "zero"])
def test_spoofed_peer_from_another_interface(il, your):
    """RFC 5881 §3: a single-hop session "must be bound to this interface";
    §9: TTL 255 *coupled with an association to an incoming interface* is
    what makes it not trivially spoofable. A node on another link (the
    attacker) sends from BIRD's address of the standalone session to fbfd's
    address of it, with TTL 255 and State Down, Your Discriminator fbfd's
    (or zero). It arrived over the wrong interface and must be dropped --
    counted as address_mismatch ("a known discriminator from the wrong
    source or path") or, with Your Discriminator zero, no_session (no
    session for these addresses and path) -- and the session must stay Up."""
    s = wait_until(lambda: (lambda s: s if s.get("state") == "Up" else None)(
        il.bfd(VICTIM_BIRD)), 15, "the standalone session Up")
    pkt = b.control(state="Down", my=s["remote_discriminator"],
                    your=s["local_discriminator"] if your == "discriminator" else 0,
                    tx_us=100_000, rx_us=100_000)
    want = invalid("address_mismatch" if your == "discriminator" else "no_session")
    diff, fence = fenced(il, "spoof", [pkt] * N, 255, {want: N})
    after = il.bfd(VICTIM_BIRD)
    problems = []
    if diff != {want: N, fence: 1}:
        problems.append(f"counters moved by {diff}, expected {want[1][0][1]} +{N}")
    if after["flaps"] != s["flaps"] or after["state"] != "Up":
        problems.append(f"the session was taken down from another interface: state "
                        f"{after['state']}, diag {after['diag']}, flaps {s['flaps']} -> "
                        f"{after['flaps']}")
    assert not problems, "\n".join(problems)
    il.bystanders()


def test_after_the_barrage(il):
    """Last: fbfd's session with BIRD kept running the whole time (it still
    accepts BIRD's packets), nothing flapped."""
    n = il.bfd(il.bip)["packets_in"]
    wait_until(lambda: il.bfd(il.bip)["packets_in"] >= n + 5, 5, "BIRD's packets still accepted")
    il.bystanders()
