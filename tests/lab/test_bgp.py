"""BGP interop acceptance tests: fbfd's announcer against BIRD 2, FRR, GoBGP
and ExaBGP as the router, in namespaces.

fbfd runs in node `h` (the host), the router in node `r`, one veth between
them (multihop: a router node `m` in between). fbfd originates one IPv4 and
one IPv6 service prefix; every test reads the result back from the router:

- IPv4 and IPv6 sessions come up; the router's RIB shows each prefix with
  exactly the configured attributes (eBGP and iBGP), also across families;
- removing a prefix and reloading withdraws it without a session flap;
- TCP-MD5, eBGP multihop, GTSM;
- a ROUTE-REFRESH from the router makes fbfd re-send its routes;
- the router restarting: the session and the routes come back;
- SIGTERM: routes withdrawn and Cease/Administrative Shutdown with the
  configured shutdown message at the router within 2 s, exit status 0;
- (a full table from the router: tests/lab/test_fulltable.py).
"""
import ipaddress
import time

import pytest

from fbflab import Bird, ExaBgp, Frr, GoBgp, Neighbor, wait_until
from fbflab.fbfd import Fbfd

pytestmark = pytest.mark.lab

AS_FBFD, AS_ROUTER = 65001, 65000
PEERS = {"bird": Bird, "frr": Frr, "gobgp": GoBgp, "exabgp": ExaBgp}
P4, P6 = "203.0.113.10/32", "2001:db8:ffff::10/128"
SHUTDOWN_MESSAGE = "fbf lab: planned maintenance"
ROUTER_ID = "198.51.100.254"

# Attributes of the service: every one of them must arrive exactly so.
SERVICE = {"name": "web", "prefixes": [P4, P6], "med": 42,
           "communities": ["65001:100", "65001:200"],
           "large_communities": ["65001:1:1", "65001:2:2"],
           "as_path_prepend": 2, "local_pref": 300}


# --- helpers -------------------------------------------------------------------------
def fbfd_neighbor(address, remote_as=AS_ROUTER, **kw):
    """An fbfd [[neighbor]] with the lab's fast timers."""
    return {"name": "r", "address": address, "remote_as": remote_as, "hold_time": "9s",
            "connect_retry": "1s", **kw}


def router_neighbor(cls, address, remote_as=AS_FBFD, **kw):
    """The router's view of fbfd. ExaBGP listens only for passive neighbors and
    fbfd only for its passive ones: ExaBGP waits for fbfd's connection."""
    if cls is ExaBgp:
        kw.setdefault("passive", True)
    return Neighbor(address, remote_as, **kw)


def fbfd_state(agent):
    return agent.fbfctl("show", "bgp")["neighbors"][0]


def wait_fbfd_established(agent, timeout=30):
    return wait_until(lambda: (lambda n: n if n["state"] == "Established" else None)(
        fbfd_state(agent)), timeout, "fbfd's session Established")


class Setup:
    """h (fbfd) -- r (router) on one link, or h -- m -- r with static routes
    through the forwarding node m (via_router); start() brings both up."""

    def __init__(self, lab, kind, session="ipv4", ibgp=False, families=("ipv4", "ipv6"),
                 router_kw=None, fbfd_kw=None, services=None, maintenance=None,
                 via_router=False):
        self.lab, self.kind, self.cls = lab, kind, PEERS[kind]
        self.h = lab.add_node("h")
        if via_router:
            self.m, self.r = lab.add_node("m", router=True), lab.add_node("r")
            self.link, far = lab.add_link(self.h, self.m), lab.add_link(self.m, self.r)
            for fam in ("ipv4", "ipv6"):
                self.h.add_route(str(ipaddress.ip_interface(far.addrs_b[fam == "ipv6"]).network),
                                 via=self.link.ip_b(fam))
                self.r.add_route(str(ipaddress.ip_interface(
                    self.link.addrs_a[fam == "ipv6"]).network), via=far.ip_a(fam))
            self.router_ip = far.ip_b(session)
        else:
            self.r = lab.add_node("r")
            self.link = lab.add_link(self.h, self.r)
            self.router_ip = self.link.ip_b(session)
        self.session = session
        self.fbfd_ip = self.link.ip_a(session)
        self.fbfd_v4, self.fbfd_v6 = self.link.ip_a("ipv4"), self.link.ip_a("ipv6")
        self.router_as = AS_FBFD if ibgp else AS_ROUTER
        fams = list(families)
        self.router = self.cls(self.r, asn=self.router_as, router_id=ROUTER_ID,
                               neighbors=[router_neighbor(self.cls, self.fbfd_ip, families=fams,
                                                          **(router_kw or {}))])
        # "self" is the session's own family; the other family needs an explicit one.
        other = self.fbfd_v6 if session == "ipv4" else self.fbfd_v4
        nbr = fbfd_neighbor(self.router_ip, self.router_as,
                            families=[f"{f}-unicast" for f in fams],
                            **({"next_hop": ["self", other]} if len(fams) == 2 else {}),
                            **(fbfd_kw or {}))
        self.agent = Fbfd(self.h, local_as=AS_FBFD, router_id=self.fbfd_v4, neighbors=[nbr],
                          services=services if services is not None else [dict(SERVICE)],
                          maintenance=maintenance)

    def start(self):
        self.router.start()
        self.agent.start()
        return self

    def wait_up(self):
        self.router.wait_established(self.fbfd_ip)
        return wait_fbfd_established(self.agent)


def sorted_or_empty(v):
    return sorted(v or [])


def expected_route(prefix, next_hop, ibgp, service=SERVICE):
    return {"as_path": [] if ibgp else [AS_FBFD] * (1 + service["as_path_prepend"]),
            "next_hop": next_hop, "med": service["med"], "origin": "igp",
            "communities": sorted(service["communities"]),
            "large_communities": sorted(service["large_communities"])}


def seen_route(attrs):
    return {"as_path": attrs["as_path"], "next_hop": attrs["next_hop"], "med": attrs["med"],
            "origin": attrs["origin"], "communities": sorted_or_empty(attrs["communities"]),
            "large_communities": sorted_or_empty(attrs["large_communities"])}


# --- 1. sessions and attributes ---------------------------------------------------------
@pytest.mark.parametrize("session", ["ipv4", "ipv6", "ibgp"])
@pytest.mark.parametrize("kind", list(PEERS))
def test_session_and_exact_attributes(lab, need, kind, session):
    """IPv4 and IPv6 eBGP sessions and an iBGP one come up; both prefixes arrive
    with exactly the configured attributes, the other family's over the same
    session with its explicit next hop (MP-BGP, RFC 4760)."""
    need("fbfd", kind)
    ibgp = session == "ibgp"
    s = Setup(lab, kind, session="ipv4" if ibgp else session, ibgp=ibgp).start()
    state = s.wait_up()
    assert state["type"] == ("iBGP" if ibgp else "eBGP"), state
    assert state["local_address"] == s.fbfd_ip, state
    assert state["hold_time"] == 9, state

    for prefix, nh in ((P4, s.fbfd_v4), (P6, s.fbfd_v6)):
        attrs = s.router.wait_route(prefix)
        assert seen_route(attrs) == expected_route(prefix, nh, ibgp), (prefix, attrs)
        if ibgp:
            assert attrs["local_pref"] == SERVICE["local_pref"], attrs
        elif kind == "bird":
            # BIRD gives routes from eBGP its default local preference (100).
            assert attrs["local_pref"] == 100, attrs
        else:
            assert attrs["local_pref"] is None, attrs      # LOCAL_PREF not sent over eBGP
    # Nothing else was announced, and fbfd says what it sent.
    assert set(s.router.routes("ipv4")) == {P4}
    assert set(s.router.routes("ipv6")) == {P6}
    sent = {r["prefix"]: r for r in s.agent.fbfctl("show", "routes")["routes"]}
    assert set(sent) == {P4, P6}, sent
    assert sent[P6]["next_hop"] == s.fbfd_v6 and sent[P4]["next_hop"] == s.fbfd_v4, sent
    assert fbfd_state(s.agent)["prefixes_sent"] == 2


# --- 2. withdraw on reload, no flap ------------------------------------------------------
def session_incarnation(router, addr):
    """Something that changes whenever the router's session with addr is
    re-established (and never otherwise)."""
    s = router.session(addr)
    if isinstance(router, Frr):
        return s["raw"].get("connectionsEstablished"), s["raw"].get("connectionsDropped")
    if isinstance(router, GoBgp):
        return (((s["raw"].get("timers") or {}).get("state") or {}).get("uptime") or {}).get(
            "seconds")
    if isinstance(router, Bird):
        # The time the protocol came up, in ms. BIRD prints it from a
        # relative clock, so two reads may differ by a millisecond (see
        # same_session; a real re-establishment takes BIRD's 1 s connect delay).
        h, m, sec = s["uptime"].split(":")
        return round((int(h) * 3600 + int(m) * 60 + float(sec)) * 1000)
    return s["since"]                      # ExaBGP: the time of its "up" event


def same_session(router, addr, before):
    now = session_incarnation(router, addr)
    if isinstance(router, Bird):
        return abs(now - before) <= 50
    return now == before


@pytest.mark.parametrize("kind", list(PEERS))
def test_reload_withdraws_removed_prefix_without_flap(lab, need, kind):
    need("fbfd", kind)
    s = Setup(lab, kind).start()
    s.wait_up()
    s.router.wait_route(P4)
    s.router.wait_route(P6)
    before = session_incarnation(s.router, s.fbfd_ip)
    assert before is not None
    transitions = fbfd_state(s.agent)["established_transitions"]

    s.agent.doc["service"][0]["prefixes"] = [P6]
    s.agent.reload()
    s.router.wait_no_route(P4, timeout=10)
    assert P6 in s.router.routes("ipv6")
    state = fbfd_state(s.agent)
    assert state["state"] == "Established" and state["prefixes_sent"] == 1, state
    assert state["established_transitions"] == transitions, state
    assert s.router.session(s.fbfd_ip)["state"] == "Established"
    assert same_session(s.router, s.fbfd_ip, before)
    assert [r["prefix"] for r in s.agent.fbfctl("show", "routes")["routes"]] == [P6]


# --- 3. TCP-MD5 ------------------------------------------------------------------------
MD5_KEY = "s3cret-md5"


def tcp_ext(node):
    """The namespace's TcpExt counters (/proc/net/netstat), e.g. TCPMD5Failure."""
    lines = [line.split() for line in node.run(["cat", "/proc/net/netstat"]).stdout.splitlines()
             if line.startswith("TcpExt:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def connect_attempts(agent):
    """TCP connections fbfd has opened so far: the ActiveOpens counter of its
    namespace, where nothing else connects over TCP (fbfctl uses a unix socket)."""
    lines = [line.split() for line in agent.node.run(["cat", "/proc/net/snmp"]).stdout
             .splitlines() if line.startswith("Tcp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))["ActiveOpens"])


def wait_never_established(s, until, timeout, what, fbfd_side=True):
    """Wait for until() while neither fbfd nor the router may reach Established."""
    def probe():
        if fbfd_side:
            assert fbfd_state(s.agent)["state"] != "Established", "fbfd: session Established"
        assert s.router.session(s.fbfd_ip).get("state") != "Established", \
            f"{s.kind}: session Established"
        return until()
    try:
        return wait_until(probe, timeout, what)
    except AssertionError as exc:
        if "session Established" in str(exc):
            pytest.fail(f"a session came up: {exc}")
        raise


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_tcp_md5(lab, need, kind):
    """Same key: Established. A wrong key at the router: no session, fbfd keeps
    trying with signed segments (the router counts them as MD5 failures) and
    never sends an unsigned one. The router is passive, so every segment it
    checks comes from fbfd's socket."""
    need("fbfd", kind)
    s = Setup(lab, kind, router_kw={"password": MD5_KEY, "passive": True},
              fbfd_kw={"password": MD5_KEY}).start()
    s.wait_up()
    s.router.wait_route(P4)
    c = tcp_ext(s.r)
    assert (c["TCPMD5NotFound"], c["TCPMD5Unexpected"], c["TCPMD5Failure"]) == (0, 0, 0), c

    s.router.stop()
    s.router.neighbors[0].password = "not-the-key"
    s.router.restart()
    transitions = fbfd_state(s.agent)["established_transitions"]
    attempts, failures = connect_attempts(s.agent), tcp_ext(s.r)["TCPMD5Failure"]
    wait_never_established(
        s, lambda: (connect_attempts(s.agent) >= attempts + 2
                    and tcp_ext(s.r)["TCPMD5Failure"] >= failures + 2),
        20, "fbfd to retry twice, its segments failing the router's MD5 check")
    c = tcp_ext(s.r)
    assert c["TCPMD5NotFound"] == 0, c            # nothing unauthenticated arrived
    assert fbfd_state(s.agent)["established_transitions"] == transitions
    assert s.agent.alive()


# --- 4. eBGP multihop ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(PEERS))
def test_ebgp_multihop_through_a_router(lab, need, kind):
    """fbfd and the router two hops apart (h - m - r, static routes): multihop 2
    on both sides; the route arrives with fbfd's address as next hop."""
    need("fbfd", kind)
    s = Setup(lab, kind, via_router=True, families=("ipv4",), services=[
        dict(SERVICE, prefixes=[P4])])
    s.router.neighbors[0].multihop = 2
    s.router.neighbors[0].local_address = s.router_ip
    s.agent.doc["neighbor"][0]["multihop"] = 2
    s.start()
    state = s.wait_up()
    assert state["local_address"] == s.fbfd_ip, state
    attrs = s.router.wait_route(P4)
    assert seen_route(attrs) == expected_route(P4, s.fbfd_v4, False), attrs


# --- 5. GTSM ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["frr", "bird", "gobgp"])
def test_gtsm(lab, need, kind):
    """GTSM (RFC 5082) one hop: the router sends TTL 255 and drops less, fbfd
    with ttl_security does the same -- Established. Then the router without
    GTSM (TTL 1, eBGP default): fbfd's kernel drops its segments
    (TCPMinTTLDrop in fbfd's namespace) and no session comes up. The router
    is passive so that only fbfd's connections count."""
    need("fbfd", kind)
    s = Setup(lab, kind, router_kw={"ttl_security": 1, "passive": True},
              fbfd_kw={"ttl_security": True}).start()
    s.wait_up()
    s.router.wait_route(P4)
    assert tcp_ext(s.r)["TCPMinTTLDrop"] == 0 and tcp_ext(s.h)["TCPMinTTLDrop"] == 0

    s.router.stop()
    s.router.neighbors[0].ttl_security = None
    s.router.restart()
    transitions = fbfd_state(s.agent)["established_transitions"]
    # Which segments are dropped depends on the router (FRR answers a SYN with
    # TTL 255 from its listening socket and sends its OPEN with TTL 1, BIRD
    # and GoBGP answer with TTL 1 at once): count the drops, whatever they are.
    drops = tcp_ext(s.h)["TCPMinTTLDrop"]
    wait_never_established(
        s, lambda: tcp_ext(s.h)["TCPMinTTLDrop"] >= drops + 3,
        20, "fbfd's kernel to drop three of the router's segments (TTL < 255)")
    assert fbfd_state(s.agent)["established_transitions"] == transitions
    assert P4 not in s.router.routes("ipv4")

    # And the other way round: fbfd without ttl_security sends TTL 1, which the
    # router drops. (The router may still have read fbfd's OPEN: FRR sets its
    # minimum TTL on the accepted socket, after the first segments arrived, so
    # fbfd may see an OPEN and a KEEPALIVE -- but the router never a session.)
    assert s.agent.stop() == 0
    s.router.stop()
    s.router.neighbors[0].ttl_security = 1
    s.router.restart()
    s.agent.doc["neighbor"][0]["ttl_security"] = False
    s.agent.start()
    drops = tcp_ext(s.r)["TCPMinTTLDrop"]
    wait_never_established(
        s, lambda: tcp_ext(s.r)["TCPMinTTLDrop"] >= drops + 2,
        20, "the router to drop two of fbfd's segments (TTL 1)", fbfd_side=False)
    assert P4 not in s.router.routes("ipv4")


# --- 6. ROUTE-REFRESH --------------------------------------------------------------------
def ask_route_refresh(router, addr):
    """Make the router send a ROUTE-REFRESH (RFC 2918) to fbfd: an inbound
    soft reset re-requests the peer's routes."""
    if isinstance(router, Bird):
        router.birdc(f"reload in {router._proto_for(addr)}")
    else:
        router.vtysh(f"clear bgp ipv4 unicast {addr} soft in")


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_route_refresh_resends_routes(lab, need, kind):
    """The router asks for a ROUTE-REFRESH: fbfd re-sends its routes (UPDATEs
    go out again) on the same session; the router still has them."""
    need("fbfd", kind)
    s = Setup(lab, kind, families=("ipv4",), services=[dict(SERVICE, prefixes=[P4])]).start()
    s.wait_up()
    s.router.wait_route(P4)
    before = fbfd_state(s.agent)
    incarnation = session_incarnation(s.router, s.fbfd_ip)
    ask_route_refresh(s.router, s.fbfd_ip)
    after = wait_until(lambda: (lambda n: n if n["updates_sent"] > before["updates_sent"]
                                else None)(fbfd_state(s.agent)), 10,
                       "fbfd to re-send its routes after the ROUTE-REFRESH")
    assert "ROUTE-REFRESH for ipv4" in s.agent.log_text()
    assert after["established_transitions"] == before["established_transitions"], after
    assert same_session(s.router, s.fbfd_ip, incarnation)
    assert seen_route(s.router.wait_route(P4)) == expected_route(P4, s.fbfd_v4, False)


# --- 7. router restart -------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(PEERS))
def test_router_restart_session_and_routes_return(lab, need, kind):
    """The router goes away (its process stopped) and comes back: fbfd sees the
    session drop, reconnects on its own and the routes are announced again."""
    need("fbfd", kind)
    s = Setup(lab, kind).start()
    s.wait_up()
    s.router.wait_route(P4)
    transitions = fbfd_state(s.agent)["established_transitions"]
    s.router.stop()
    wait_until(lambda: fbfd_state(s.agent)["state"] != "Established", 15,
               "fbfd to notice the router is gone")
    s.router.restart()
    s.router.wait_established(s.fbfd_ip, timeout=45)
    state = wait_fbfd_established(s.agent, timeout=45)
    assert state["established_transitions"] == transitions + 1, state
    for prefix, nh in ((P4, s.fbfd_v4), (P6, s.fbfd_v6)):
        assert seen_route(s.router.wait_route(prefix)) == expected_route(prefix, nh, False)


@pytest.mark.parametrize("kind", ["bird", "frr"])   # GoBGP waits ~5 s after its start
def test_a_router_that_comes_back_connects_at_once(lab, need, kind):
    """fbfd starts while the router is down: its first connect is refused and
    its next one is 7.5-12.5 s away (connect_retry 10 s; after a long outage
    the backoff reaches 60 s). The router, started 2 s later, connects to
    fbfd itself: fbfd accepts every neighbor's connection, not only a
    passive one's (RFC 4271 §8), so the session is up within the router's
    own connect delay (1 s in the lab)."""
    need("fbfd", kind)
    s = Setup(lab, kind, families=("ipv4",), services=[dict(SERVICE, prefixes=[P4])],
              fbfd_kw={"connect_retry": "10s"})
    s.agent.start()
    wait_until(lambda: "TCP connect failed" in s.agent.log_text(), 10,
               "fbfd's first connect refused")
    time.sleep(2)
    t0 = time.monotonic()
    s.router.start()
    wait_fbfd_established(s.agent, timeout=20)
    took = time.monotonic() - t0
    print(f"[{kind}] Established {took:.2f} s after the router's start")
    assert "TCP connection accepted (inbound)" in s.agent.log_text()
    assert took < 5.0, took
    s.router.wait_route(P4, timeout=5)


def reset_session(router, addr):
    """The router's operator resets the session: `restart` in BIRD, `clear
    bgp` in FRR; both send Cease/Administrative Reset (RFC 4486)."""
    if isinstance(router, Bird):
        router.birdc(f"restart {router._proto_for(addr)}")
    else:
        router.vtysh(f"clear bgp {addr}")


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_router_resets_are_not_damped(lab, need, kind):
    """The router's operator resets the session four times in a row. fbfd
    reconnects after its first connect-retry delay (1 s ± 25 %) every time:
    RFC 4486 §4 recommends damping after a peer went away (Administrative
    Shutdown, Peer De-configured, ...), not after a reset that asks for the
    session back. Counted as drops, the third would have held the neighbor
    Idle for 30 s, and the backoff would have doubled after each."""
    need("fbfd", kind)
    s = Setup(lab, kind, families=("ipv4",), services=[dict(SERVICE, prefixes=[P4])]).start()
    s.wait_up()
    s.router.wait_route(P4)
    for n in range(1, 5):
        before = fbfd_state(s.agent)["established_transitions"]
        t0 = time.monotonic()
        reset_session(s.router, s.fbfd_ip)
        back = wait_until(lambda: (lambda x: x if x["state"] == "Established"
                                   and x["established_transitions"] > before else None)(
            fbfd_state(s.agent)), 15, f"the session back after reset {n}", interval=0.05)
        took = time.monotonic() - t0
        print(f"[{kind}] reset {n}: Established again after {took:.2f} s")
        assert back["established_transitions"] == before + 1, back
        assert "Administrative Reset" in back["last_error"], back
        assert back["administrative_resets"] == n, back
        assert back["damping_drops"] == 0 and back["idle_holds"] == 0, back
        assert took < 3.0, took   # 1 s × 1.25 + connect and OPEN; the 4th backed off is 8 s
        s.router.wait_route(P4, timeout=10)
    assert "not counted towards damping" in s.agent.log_text()
    counted = {name: v for (name, labels), v in s.agent.metric_samples().items()
               if name in ("fbf_bgp_administrative_resets_total", "fbf_bgp_idle_holds_total")}
    assert counted == {"fbf_bgp_administrative_resets_total": 4,
                       "fbf_bgp_idle_holds_total": 0}, counted


# --- 8. SIGTERM: withdraw + Cease/Administrative Shutdown with a message ------------------
def shutdown_seen(router, addr):
    """What the router recorded about the session's last NOTIFICATION."""
    if isinstance(router, Bird):
        return router.bgp_sessions().get(addr, {}).get("last_error") or ""
    n = router.session(addr)
    raw = n.get("raw", {})
    return " ".join(str(x) for x in (n.get("last_notification"), n.get("last_reset"),
                                     raw.get("lastShutdownDescription")) if x)


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_sigterm_withdraws_and_sends_shutdown_message(lab, need, kind):
    """SIGTERM: fbfd exits 0 within 2 s; the router has no route from it and
    recorded Cease/Administrative Shutdown (RFC 4486 subcode 2)."""
    need("fbfd", kind)
    s = Setup(lab, kind, maintenance={"shutdown_message": SHUTDOWN_MESSAGE}).start()
    s.wait_up()
    s.router.wait_route(P4)
    s.router.wait_route(P6)
    t0 = time.monotonic()
    assert s.agent.stop(timeout=2.0) == 0
    took = time.monotonic() - t0
    assert took < 2.0, took
    s.router.wait_no_route(P4, timeout=5)
    s.router.wait_no_route(P6, timeout=5)
    seen = wait_until(lambda: (lambda t: t if "dministrative" in t else None)(
        shutdown_seen(s.router, s.fbfd_ip)), 5, "the router to record the Cease")
    print(f"\n[{kind}] SIGTERM -> exit in {took * 1000:.0f} ms; router says: {seen}")
    if kind == "frr":   # FRR keeps the RFC 9003 message; BIRD logs only the subcode
        assert SHUTDOWN_MESSAGE in seen or SHUTDOWN_MESSAGE in s.router.vtysh(
            f"show bgp neighbors {s.fbfd_ip}"), seen
