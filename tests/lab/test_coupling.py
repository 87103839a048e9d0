"""BFD <-> BGP coupling against BIRD 2 (RFC 5882 §4.2, RFC 9384): a BFD
failure closes BGP with Cease/BFD Down and withdraws at once; bfd_strict holds
BGP until BFD is Up; a Down the router's BFD signals is hidden from BGP when
BFD is Up again within the grace (RFC 5882 §3.1), and closes BGP when not.
A router restart costs one BGP session: fbfd holds BFD AdminDown while BGP
is down (agent/bfd_sessions.h), so FRR's re-created session cannot close the
next one."""
import time

import pytest

from fbflab import Bird, Fbfd, Frr
from fbflab.bfd_inject import bfd_packet, send_from
from fbflab.peers.base import Bfd, BfdPeer, Neighbor
from fbflab.util import wait_until

PREFIX = "203.0.113.10/32"
BFD_FAST = Bfd(min_tx=100, min_rx=100, multiplier=3)


def drop_bfd(node):
    node.run(["nft", "add table inet fbfbfd; "
                     "add chain inet fbfbfd c { type filter hook input priority 0; }; "
                     "add rule inet fbfbfd c udp dport 3784 drop"])


def allow_bfd(node):
    node.run(["nft", "delete table inet fbfbfd"])


def build_lab(lab, strict):
    r, h = lab.add_node("r"), lab.add_node("h")
    link = lab.add_link(r, h)
    bird = Bird(r, asn=65000, router_id=link.ip_a(),
                neighbors=[Neighbor(link.ip_b(), 65001, bfd=BFD_FAST)])
    agent = Fbfd(h, local_as=65001, router_id=link.ip_b(),
                 neighbors=[{"name": "router", "address": link.ip_a(), "remote_as": 65000,
                             "hold_time": "9s", "connect_retry": "1s", "bfd_strict": strict,
                             "bfd": {"min_tx": "100ms", "min_rx": "100ms", "multiplier": 3}}],
                 services=[{"name": "web", "prefixes": [PREFIX]}])
    return link, h, bird, agent


def neighbor(agent):
    return agent.fbfctl("show", "bgp")["neighbors"][0]


def wait_bfd_fast(agent):
    # Right after Up the router still advertises its 1 s slow rate until its
    # Poll Sequence ends, so detection is 3 s (RFC 5880 §6.8.3/§6.8.4); wait
    # for the negotiated 100 ms x 3.
    wait_until(lambda: agent.fbfctl("show", "bfd")["sessions"][0]["detection_time_ms"] == 300,
               10, "BFD Up at 100 ms x 3")


def test_bfd_failure_closes_bgp_with_cease_bfd_down_and_recovers(lab, need):
    need("bird", "fbfd")
    link, host, bird, agent = build_lab(lab, strict=False)
    bird.start()
    agent.start()
    bird.wait_route(PREFIX, timeout=20)
    wait_bfd_fast(agent)

    drop_bfd(host)
    t0 = time.monotonic()
    wait_until(lambda: "Cease/BFD Down (6/10)" in neighbor(agent)["last_error"], 3,
               "fbfd to close BGP with Cease/BFD Down")
    bird.wait_no_route(PREFIX, timeout=3)
    gone = time.monotonic() - t0
    print(f"route gone at the router {gone * 1000:.0f} ms after BFD packets were dropped "
          f"(detection time 300 ms)")
    assert gone < 1.0
    # BGP is down: BFD waits for it, AdminDown (agent/bfd_sessions.h).
    assert neighbor(agent)["bfd"] == "AdminDown"

    allow_bfd(host)
    bird.wait_route(PREFIX, timeout=30)
    wait_until(lambda: neighbor(agent)["bfd"] == "Up", 10, "BFD Up again")
    n = neighbor(agent)
    assert n["state"] == "Established"
    assert n["established_transitions"] == 2


def test_bfd_strict_holds_bgp_until_bfd_is_up(lab, need):
    need("bird", "fbfd")
    link, host, bird, agent = build_lab(lab, strict=True)
    drop_bfd(host)  # BFD cannot come up yet
    bird.start()
    agent.start()
    # fbfd is not passive and does not connect while held: the router cannot
    # bring the session up during several of its connect retries.
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        n = neighbor(agent)
        assert n["held_for_bfd"] and n["state"] == "Idle", n
        assert bird.bgp_sessions()[link.ip_b()]["state"] != "Established"
        time.sleep(0.2)
    assert neighbor(agent)["established_transitions"] == 0

    allow_bfd(host)
    bird.wait_route(PREFIX, timeout=30)
    n = neighbor(agent)
    assert n["state"] == "Established" and not n["held_for_bfd"] and n["bfd"] == "Up"
    wait_bfd_fast(agent)

    # BFD fails again: strict mode closes BGP and holds it once more.
    drop_bfd(host)
    wait_until(lambda: neighbor(agent)["held_for_bfd"], 3, "BGP held again after BFD Down")
    bird.wait_no_route(PREFIX, timeout=3)
    assert "Cease/BFD Down (6/10)" in neighbor(agent)["last_error"]


GRACE = 3.0   # agent/bfd_coupling.h kPeerSignalledDownGrace


def peer_signals_down(link, agent):
    """One Down from the router's address and session, as if its BFD session
    had restarted: fbfd's session goes Down with NeighborSignaledSessionDown."""
    s = agent.fbfctl("show", "bfd")["sessions"][0]
    send_from(link.a, link.ip_a(), link.ip_b(), 255,
              bfd_packet(1, s["remote_discriminator"], s["local_discriminator"]))


def build_standalone_bfd_lab(lab):
    """The router runs BFD to the host but its BGP does not use it (a BIRD
    `protocol bfd` neighbor): only fbfd's coupling reacts to BFD."""
    r, h = lab.add_node("r"), lab.add_node("h")
    link = lab.add_link(r, h)
    bird = Bird(r, asn=65000, router_id=link.ip_a(),
                neighbors=[Neighbor(link.ip_b(), 65001)],
                bfd_peers=[BfdPeer(link.ip_b(), local_address=link.ip_a(), bfd=BFD_FAST)])
    agent = Fbfd(h, local_as=65001, router_id=link.ip_b(),
                 neighbors=[{"name": "router", "address": link.ip_a(), "remote_as": 65000,
                             "hold_time": "9s", "connect_retry": "1s",
                             "bfd": {"min_tx": "100ms", "min_rx": "100ms", "multiplier": 3}}],
                 services=[{"name": "web", "prefixes": [PREFIX]}])
    bird.start()
    agent.start()
    bird.wait_route(PREFIX, timeout=20)
    wait_bfd_fast(agent)
    return link, r, bird, agent


def bfd_flaps(agent):
    return agent.fbfctl("show", "bfd")["sessions"][0]["flaps"]


def test_peer_signalled_down_back_up_within_the_grace_keeps_bgp(lab, need):
    need("bird", "fbfd")
    link, router, bird, agent = build_standalone_bfd_lab(lab)
    flaps = bfd_flaps(agent)

    peer_signals_down(link, agent)
    # fbfd's Down (with a Poll) takes the router's session Down too, and the
    # handshake runs again in round trips.
    wait_until(lambda: bfd_flaps(agent) == flaps + 1, 3, "fbfd's session to go Down")
    t0 = time.monotonic()
    wait_until(lambda: neighbor(agent)["bfd"] == "Up", GRACE, "BFD Up again within the grace")
    print(f"BFD Up again {(time.monotonic() - t0) * 1000:.0f} ms after the router's Down "
          f"was seen (grace {GRACE:.0f} s)")
    while time.monotonic() < t0 + GRACE + 0.5:   # past the grace: nothing happens later
        n = neighbor(agent)
        assert n["state"] == "Established" and n["established_transitions"] == 1, n
        assert PREFIX in bird.routes(), "the route left the router"
        time.sleep(0.1)
    assert "BFD Down" not in neighbor(agent)["last_error"]


def test_peer_signalled_down_not_followed_by_up_closes_bgp_after_the_grace(lab, need):
    need("bird", "fbfd")
    link, router, bird, agent = build_standalone_bfd_lab(lab)

    drop_bfd(router)                 # the router hears no BFD from fbfd any more
    peer_signals_down(link, agent)   # and signals Down: BFD cannot come back
    t0 = time.monotonic()
    wait_until(lambda: neighbor(agent)["bfd"] == "Down", 1, "fbfd's session to go Down")
    wait_until(lambda: "Cease/BFD Down (6/10)" in neighbor(agent)["last_error"], GRACE + 2,
               "fbfd to close BGP once the grace is over")
    closed = time.monotonic() - t0
    print(f"BGP closed {closed * 1000:.0f} ms after the router's Down (grace {GRACE:.0f} s)")
    assert GRACE - 0.3 <= closed <= GRACE + 1.0, closed
    bird.wait_no_route(PREFIX, timeout=3)


def test_bgp_going_down_ends_the_grace(lab, need):
    """A grace (BFD Down signalled by the router, BFD not back) belongs to the
    BGP session it protects: when that session goes down, running out later
    must not close the next one."""
    need("bird", "fbfd")
    link, router, bird, agent = build_standalone_bfd_lab(lab)

    drop_bfd(router)                 # BFD cannot come back
    peer_signals_down(link, agent)   # the grace starts
    t0 = time.monotonic()
    wait_until(lambda: neighbor(agent)["bfd"] == "Down", 1, "fbfd's session to go Down")
    bird.disable(link.ip_b())        # the router closes BGP within the grace...
    wait_until(lambda: neighbor(agent)["state"] != "Established", 2, "BGP to go down")
    bird.enable(link.ip_b())         # ...and it is back before the grace would end
    bird.wait_route(PREFIX, timeout=GRACE)
    assert neighbor(agent)["established_transitions"] == 2
    while time.monotonic() < t0 + GRACE + 1.0:
        n = neighbor(agent)
        assert n["state"] == "Established" and n["established_transitions"] == 2, n
        time.sleep(0.1)
    assert "BFD Down" not in neighbor(agent)["last_error"], neighbor(agent)


ROUTERS = {"bird": Bird, "frr": Frr}


def router_and_fbfd(lab, kind, connect_retry, passive_router=False):
    """A BIRD or FRR router and fbfd on one link, BGP with BFD at 100 ms x 3
    (not started)."""
    r, h = lab.add_node("r"), lab.add_node("h")
    link = lab.add_link(r, h)
    router = ROUTERS[kind](r, asn=65000, router_id=link.ip_a(),
                           neighbors=[Neighbor(link.ip_b(), 65001, bfd=BFD_FAST,
                                               passive=passive_router)])
    agent = Fbfd(h, local_as=65001, router_id=link.ip_b(),
                 neighbors=[{"name": "router", "address": link.ip_a(), "remote_as": 65000,
                             "hold_time": "9s", "connect_retry": connect_retry,
                             "bfd": {"min_tx": "100ms", "min_rx": "100ms", "multiplier": 3}}],
                 services=[{"name": "web", "prefixes": [PREFIX]}])
    return router, agent


@pytest.mark.parametrize("kind,first", [("bird", "router"), ("frr", "router"), ("frr", "fbfd")])
def test_router_restart_costs_one_bgp_session(lab, need, kind, first):
    """The router restarts twice. Its BFD comes back before its BGP, and FRR's
    bgpd re-creates its BFD session when BGP reaches Established: a session
    of ours Up before that went Down, and FRR closed the new BGP session with
    Cease/BFD Down (a second drop per restart, damping at the second restart).
    fbfd holds BFD AdminDown while BGP is down, so each restart is one drop.
    first="fbfd": fbfd runs before the router does (a host up before its
    router): its BFD must not come Up with the router's BFD before BGP."""
    need(kind, "fbfd")
    router, agent = router_and_fbfd(lab, kind, connect_retry="1s")
    if first == "fbfd":
        agent.start()
        time.sleep(2)   # BGP cannot connect yet
        assert agent.fbfctl("show", "bfd")["sessions"][0]["waiting_for_bgp"]
        router.start()
    else:
        router.start()
        agent.start()
    router.wait_route(PREFIX, timeout=20)
    wait_until(lambda: neighbor(agent)["bfd"] == "Up", 10, "BFD Up")
    if first == "router":
        # Released 100 ms after Established with Your Discriminator 0 (FRR
        # replaced the session our waiting one heard): answered at once.
        # Naming the replaced session, it waited for FRR's next slow packet.
        after = (neighbor(agent)["state_seconds"]
                 - agent.fbfctl("show", "bfd")["sessions"][0]["uptime_seconds"])
        print(f"[{kind}] BFD Up {after:.2f} s after BGP Established")
        assert after < 0.5, after
    time.sleep(GRACE)
    n = neighbor(agent)
    assert n["state"] == "Established" and n["established_transitions"] == 1, n

    for restart in (1, 2):
        router.stop()
        t0 = time.monotonic()
        s = wait_until(lambda: (lambda x: x if x["state"] == "AdminDown" else None)(
            agent.fbfctl("show", "bfd")["sessions"][0]), 2, "BFD AdminDown while BGP is down")
        assert s["waiting_for_bgp"] and s["diag"] == "AdministrativelyDown", s
        time.sleep(1)
        router.start()
        router.wait_route(PREFIX, timeout=20)
        back = time.monotonic()
        wait_until(lambda: neighbor(agent)["bfd"] == "Up", 10, "BFD Up after BGP", interval=0.01)
        print(f"[{kind}, {first} first, restart {restart}] route back at the router "
              f"{back - t0:.2f} s after the stop (1 s of it stopped), BFD Up "
              f"{time.monotonic() - back:.2f} s later")
        time.sleep(GRACE)   # FRR's re-created session spoke within this
        n = neighbor(agent)
        assert n["state"] == "Established" and n["established_transitions"] == 1 + restart, n
        assert "BFD Down" not in n["last_error"], n
        assert PREFIX in router.routes(), f"the route left {kind} again"


def next_retry_at_least(agent, seconds, since_pos):
    """The first "connect retry in N s" fbfd logged after since_pos with
    N >= seconds, or None."""
    import re
    for m in re.finditer(r"TCP connect failed, retry in ([0-9.]+)s", agent.log_text()[since_pos:]):
        if float(m.group(1)) >= seconds:
            return float(m.group(1))
    return None


@pytest.mark.parametrize("kind", ["bird", "frr"])
def test_the_routers_bfd_brings_bgp_back_at_once(lab, need, kind):
    """A passive router (it only listens) is stopped until fbfd's connect
    retries have backed off to a next attempt at least 8 s away (connect_retry
    3 s, doubling). The router starts right after that refused attempt: its
    BFD reaches fbfd's held session first, and fbfd connects at once
    (bgp::Session::peer_alive) instead of at that retry."""
    need(kind, "fbfd")
    router, agent = router_and_fbfd(lab, kind, connect_retry="3s", passive_router=True)
    router.start()
    agent.start()
    router.wait_route(PREFIX, timeout=20)
    wait_until(lambda: neighbor(agent)["bfd"] == "Up", 10, "BFD Up")
    pos = len(agent.log_text())
    router.stop()
    retry = wait_until(lambda: next_retry_at_least(agent, 8.0, pos), 30,
                       "a refused connect with the next retry >= 8 s away", interval=0.02)
    t0 = time.monotonic()
    router.start()
    wait_until(lambda: neighbor(agent)["state"] == "Established", 20, "BGP back", interval=0.05)
    took = time.monotonic() - t0
    print(f"[{kind}] BGP Established {took:.2f} s after the router's start "
          f"(fbfd's own retry was {retry:.1f} s away)")
    assert "the router's BFD packets arrive: connecting now" in agent.log_text()
    assert took < 5.0, took
    router.wait_route(PREFIX, timeout=5)
