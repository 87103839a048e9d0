"""Tests of the lab harness itself: every peer type comes up in a namespace,
sessions reach Established, routes cross with their attributes, BFD comes
Up, and nothing is left behind however a lab ends."""
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fbflab import (Bfd, Bird, ExaBgp, Frr, GoBgp, Lab, Neighbor, Route, WaitTimeout,
                    wait_until)
from fbflab import cleanup
from fbflab.fbfd import Fbfd, to_toml

pytestmark = pytest.mark.lab

LAB_DIR = Path(__file__).resolve().parent
AS_LEFT, AS_RIGHT = 65001, 65002
PREFIXES = {"ipv4": ("203.0.113.0/24", "198.51.100.0/24"),
            "ipv6": ("2001:db8:a::/48", "2001:db8:b::/48")}
PAIRS = {"bird-frr": (Bird, Frr), "bird-gobgp": (Bird, GoBgp), "frr-exabgp": (Frr, ExaBgp)}


def origin_route(prefix, asn):
    return Route(prefix, med=50, communities=[f"{asn}:100"], large_communities=[f"{asn}:1:1"])


def pair(lab, left_cls, right_cls, family="ipv4", left_kw=None, right_kw=None, **nbr):
    """Two namespaces a, b on one veth; left_cls in a (AS 65001), right_cls in b
    (AS 65002), each originating one prefix with MED and communities."""
    a, b = lab.add_node("a"), lab.add_node("b")
    link = lab.add_link(a, b)
    left = left_cls(a, asn=AS_LEFT, router_id=link.ip_a(),
                    neighbors=[Neighbor(link.ip_b(family), AS_RIGHT, **nbr)],
                    routes=[origin_route(PREFIXES[family][0], AS_LEFT)], **(left_kw or {}))
    right = right_cls(b, asn=AS_RIGHT, router_id=link.ip_b(),
                      neighbors=[Neighbor(link.ip_a(family), AS_LEFT, **nbr)],
                      routes=[origin_route(PREFIXES[family][1], AS_RIGHT)],
                      **(right_kw or {}))
    left.start()
    right.start()
    return link, left, right


def assert_route(attrs, asn, next_hop):
    assert attrs["as_path"] == [asn], attrs
    assert attrs["next_hop"] == next_hop, attrs
    assert attrs["med"] == 50, attrs
    assert f"{asn}:100" in attrs["communities"], attrs
    assert f"{asn}:1:1" in attrs["large_communities"], attrs


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_pair_established_and_routes_cross(lab, need, name, family):
    left_cls, right_cls = PAIRS[name]
    need(*name.split("-"))
    link, left, right = pair(lab, left_cls, right_cls, family)
    left_ip, right_ip = link.ip_a(family), link.ip_b(family)

    assert left.wait_established(right_ip)["state"] == "Established"
    assert right.wait_established(left_ip)["state"] == "Established"

    # Each side reads the other's route with the attributes it was given.
    got = right.wait_route(PREFIXES[family][0])
    assert_route(got, AS_LEFT, left_ip)
    got = left.wait_route(PREFIXES[family][1])
    assert_route(got, AS_RIGHT, right_ip)
    # A peer does not list its own originated route as learned.
    assert PREFIXES[family][0] not in left.routes(family)


def test_bird_frr_bfd_up_from_both_sides_and_pause_brings_it_down(lab, need):
    need("bird", "frr")
    link, bird, frr = pair(lab, Bird, Frr, bfd=Bfd(min_tx=100, min_rx=100, multiplier=3))
    bird.wait_established(link.ip_b())

    b = bird.wait_bfd(link.ip_b(), "Up")
    assert b["interface"] == link.ifname_a
    f = frr.wait_bfd(link.ip_a(), "Up")
    assert f["remote_diag"] == "ok" and f["detect_multiplier"] == 3
    assert f["rx_interval"] == 100 and f["remote_tx_interval"] == 100
    assert frr.session(link.ip_a())["bfd"] == "Up"

    # SIGSTOP FRR: BIRD's BFD notices within the detection time (3 x 100 ms)
    # and takes the BGP session down with it; SIGCONT brings both back.
    frr.pause()
    bird.wait_bfd(link.ip_b(), "Down", timeout=3)
    wait_until(lambda: bird.session(link.ip_b())["state"] != "Established", 3,
               "BIRD's BGP session to drop after BFD Down")
    frr.resume()
    bird.wait_bfd(link.ip_b(), "Up", timeout=15)
    bird.wait_established(link.ip_b())


def test_frr_killed_and_started_again_has_its_bfd_session_back_at_once(lab, need):
    # A killed zebra leaves its zserv socket file behind. Started while only
    # the stale file was there, bgpd and bfdd were refused, retried 10 s
    # later, and bgpd's BFD registration could be lost for good: FRR's BFD
    # session to fbfd never came back in one soak run. The lab now starts them
    # once zebra accepts, so the session is back within a few seconds.
    need("bird", "frr")
    link, bird, frr = pair(lab, Bird, Frr, bfd=Bfd(min_tx=100, min_rx=100, multiplier=3))
    frr.wait_bfd(link.ip_a(), "Up")
    frr.kill()
    assert frr.zsock.exists(), "a killed zebra is expected to leave its socket file"
    frr.procs = []
    frr.start()
    frr.wait_bfd(link.ip_a(), "Up", timeout=7)
    bird.wait_bfd(link.ip_b(), "Up", timeout=7)


def test_multihop_with_tcp_md5_through_a_router(lab, need):
    """BIRD and GoBGP two hops apart (a - r - b, static routes), eBGP multihop
    with a TCP-MD5 password: exercises routing nodes and the auth/multihop knobs."""
    need("bird", "gobgp")
    a, r, b = lab.add_node("a"), lab.add_node("r", router=True), lab.add_node("b")
    ar = lab.add_link(a, r, a_addrs=["198.51.100.1/30"], b_addrs=["198.51.100.2/30"])
    rb = lab.add_link(r, b, a_addrs=["198.51.100.5/30"], b_addrs=["198.51.100.6/30"])
    a.add_route("198.51.100.4/30", via=ar.ip_b())
    b.add_route("198.51.100.0/30", via=rb.ip_a())
    # hold_time 3 (keepalive 1 s): BIRD 2.0 holds its first UPDATE on an
    # outgoing multihop session until the next keepalive tick.
    common = dict(password="s3cret-md5", multihop=2, hold_time=3)
    bird = Bird(a, asn=AS_LEFT, router_id=ar.ip_a(), routes=[origin_route("203.0.113.0/24",
                                                                          AS_LEFT)],
                neighbors=[Neighbor(rb.ip_b(), AS_RIGHT, local_address=ar.ip_a(), **common)])
    gobgp = GoBgp(b, asn=AS_RIGHT, router_id=rb.ip_b(),
                  neighbors=[Neighbor(ar.ip_a(), AS_LEFT, local_address=rb.ip_b(), **common)])
    bird.start()
    gobgp.start()
    gobgp.wait_established(ar.ip_a())
    got = gobgp.wait_route("203.0.113.0/24")
    assert_route(got, AS_LEFT, ar.ip_a())

    # A wrong key keeps the session down: the password really is in use.
    gobgp.stop()
    gobgp.neighbors[0].password = "wrong"
    gobgp.restart()
    with pytest.raises(WaitTimeout):
        gobgp.wait_established(ar.ip_a(), timeout=3)


def test_frr_exabgp_api_announce_and_withdraw(lab, need):
    need("frr", "exabgp")
    link, frr, exa = pair(lab, Frr, ExaBgp)
    frr.wait_established(link.ip_b())
    exa.announce(Route("192.0.2.128/25", med=7, communities=["65002:7"]))
    got = frr.wait_route("192.0.2.128/25")
    assert got["med"] == 7 and got["communities"] == ["65002:7"]
    exa.withdraw("192.0.2.128/25")
    frr.wait_no_route("192.0.2.128/25")


def test_close_removes_namespaces_processes_and_dir(need):
    need("bird")
    lab = Lab()
    try:
        a, b = lab.add_node("a"), lab.add_node("b")
        link = lab.add_link(a, b)
        bird = Bird(a, asn=AS_LEFT, router_id=link.ip_a(),
                    neighbors=[Neighbor(link.ip_b(), AS_RIGHT)]).start()
        sleeper = b.popen(["sleep", "600"])
        namespaces, procs, lab_dir = [a.ns, b.ns], bird.procs + [sleeper], lab.dir
        assert set(namespaces) <= set(_netns_list())
        assert all(p.still_running() for p in procs)
        assert lab_dir.is_dir()
    finally:
        lab.close()
    assert not set(namespaces) & set(_netns_list())
    assert not [p for p in procs if p.still_running()]
    assert not lab_dir.exists()
    lab.close()  # idempotent

    # An exception inside `with Lab()` cleans up too.
    with pytest.raises(RuntimeError, match="boom"):
        with Lab() as lab2:
            ns = lab2.add_node("x").ns
            raise RuntimeError("boom")
    assert ns not in _netns_list() and lab2.closed


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_tears_the_lab_down(need, signo):
    """Ctrl-C (SIGINT) or SIGTERM to a process holding a lab removes it all."""
    need("bird")
    script = textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(LAB_DIR)!r})
        from fbflab import Bird, Lab, Neighbor
        lab = Lab()
        a, b = lab.add_node("a"), lab.add_node("b")
        link = lab.add_link(a, b)
        bird = Bird(a, asn=65001, router_id=link.ip_a(),
                    neighbors=[Neighbor(link.ip_b(), 65002)]).start()
        print(json.dumps({{"ns": [a.ns, b.ns], "pids": [p.pid for p in bird.procs],
                          "dir": str(lab.dir)}}), flush=True)
        time.sleep(60)
    """)
    # SIGINT back to the default: a shell's background job inherits it ignored.
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    info = {}
    try:
        info = json.loads(child.stdout.readline() or "{}")
        assert info, child.stderr.read()
        assert set(info["ns"]) <= set(_netns_list())
        child.send_signal(signo)
        child.wait(15)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
            if info:   # the child could not clean up: do it for it
                cleanup.remove(info["ns"][0].split("-")[0], info["ns"])
    assert child.returncode != 0
    assert not set(info["ns"]) & set(_netns_list())
    assert not [pid for pid in info["pids"] if Path(f"/proc/{pid}").exists()]
    assert not Path(info["dir"]).exists()


def test_wait_until_reports_the_last_value():
    values = iter(range(100))
    assert wait_until(lambda: next(values) >= 3, timeout=5, interval=0.001)
    with pytest.raises(WaitTimeout, match=r"waiting for the answer \(expected 42\).*last value: 7"):
        wait_until(lambda: 7, timeout=0.05, what="the answer", expect=42, interval=0.01)
    with pytest.raises(WaitTimeout, match="raised KeyError"):
        wait_until(lambda: {}["x"], timeout=0.05, interval=0.01)


def test_fbfd_runner_in_a_namespace(lab, need):
    """fbfd starts in a namespace from a generated config, fbfctl answers on the
    configured control socket, metrics answer inside the namespace, SIGTERM
    stops it cleanly."""
    need("fbfd")
    host = lab.add_node("h")
    agent = Fbfd(host, local_as=65001, router_id="192.0.2.1")
    ok, out = agent.check_config()
    assert ok, out
    agent.start()
    status = agent.fbfctl("show", "status")
    assert status["local_as"] == 65001, status
    assert status["config_file"] == str(agent.conf), status
    assert "# TYPE fbf_" in agent.metrics()
    assert agent.fbfctl("show", "status", json=False).returncode == 0
    assert agent.stop() == 0


def test_toml_writer_round_trips():
    import tomllib
    doc = {"agent": {"local_as": 65001, "metrics_listen": "", "router_id": None},
           "neighbor": [{"name": "r", "address": "192.0.2.0", "bfd": {"min_tx": "100ms"}}],
           "service": [{"name": "web", "prefixes": ["203.0.113.10/32"],
                        "degraded": {"med": 1000, "as_path_prepend": 3},
                        "check": {"type": "tcp", "target": "203.0.113.10:80"}}]}
    back = tomllib.loads(to_toml(doc))
    del doc["agent"]["router_id"]
    assert back == doc


def _netns_list():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]

