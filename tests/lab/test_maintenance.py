"""Planned maintenance (RFC 8326) seen from the router, against BIRD 2 and FRR.

- draining: the route carries GRACEFUL_SHUTDOWN (65535:0), with
  lower_preference also MED 4294967295 and three more prepends, over iBGP
  LOCAL_PREF 0; drained: withdrawn; stop: back with the normal attributes;
- drain_connections = 0 ends the drain after the 1 s minimum, not drain_time;
- a restart mid-maintenance keeps the route withdrawn until `stop`;
- zero loss: a client probing an anycast address every 10 ms loses nothing
  over a maintenance round trip on the preferred of two hosts, and traffic
  moves before the withdrawal; an unplanned SIGKILL (BFD 100 ms x 3) loses
  at most 500 ms of probes.
"""
import json
import sys
import time
from pathlib import Path

import pytest

from fbflab import Bird, Frr, Neighbor, wait_until
from fbflab.fbfd import Fbfd
from fbflab.peers.base import Bfd

pytestmark = pytest.mark.lab

AS_HOST, AS_ROUTER = 65001, 65000
P4 = "203.0.113.10/32"
ANYCAST = "203.0.113.10"
GSHUT = "65535:0"
PEERS = {"bird": Bird, "frr": Frr}
PROBE = Path(__file__).parent / "fbflab" / "udp_probe.py"


def host_neighbor(address, remote_as=AS_ROUTER, **kw):
    return {"name": "r", "address": address, "remote_as": remote_as, "hold_time": "9s",
            "connect_retry": "1s", **kw}


def phase(agent, service="web"):
    for s in agent.fbfctl("maintenance", "status")["services"]:
        if s["service"] == service:
            return s
    raise AssertionError(f"no service {service} in maintenance status")


def fbfctl_ok(agent, *args, timeout=30):
    cp = agent.fbfctl(*args, json=False, check=False, timeout=timeout)
    assert cp.returncode == 0, (args, cp.returncode, cp.stdout, cp.stderr)
    return cp.stdout


def single_host(lab, kind, ibgp=False, maintenance=None, service_extra=None):
    h, r = lab.add_node("h"), lab.add_node("r")
    link = lab.add_link(h, r)
    router_as = AS_HOST if ibgp else AS_ROUTER
    router = PEERS[kind](r, asn=router_as, router_id=link.ip_b(),
                         neighbors=[Neighbor(link.ip_a(), AS_HOST)])
    agent = Fbfd(h, local_as=AS_HOST, router_id=link.ip_a(),
                 neighbors=[host_neighbor(link.ip_b(), router_as)],
                 services=[{"name": "web", "prefixes": [P4], "med": 50,
                            "communities": ["65001:100"], **(service_extra or {})}],
                 maintenance={"drain_time": "3s", **(maintenance or {})})
    router.start()
    agent.start()
    router.wait_established(link.ip_a())
    return agent, router


@pytest.mark.parametrize("session", ["ebgp", "ibgp"])
@pytest.mark.parametrize("kind", list(PEERS))
def test_router_sees_graceful_shutdown_then_withdrawal_then_restore(lab, need, kind, session):
    need("fbfd", kind)
    ibgp = session == "ibgp"
    agent, router = single_host(lab, kind, ibgp=ibgp,
                                maintenance={"lower_preference": True})
    normal = router.wait_route(P4)
    assert GSHUT not in (normal["communities"] or []), normal
    assert phase(agent)["phase"] == "active"

    fbfctl_ok(agent, "maintenance", "start")
    draining = router.wait_route(P4, check=lambda a: GSHUT in (a["communities"] or []))
    st = phase(agent)
    assert st["phase"] == "draining" and 0 < st["time_left_seconds"] <= 3, st
    assert "65001:100" in draining["communities"], draining
    if ibgp:
        assert draining["local_pref"] == 0, draining          # RFC 8326 §4 (sender side)
        assert draining["as_path"] == [], draining
    else:
        assert draining["med"] == 4294967295, draining        # lower_preference
        assert draining["as_path"] == [AS_HOST] * 4, draining  # 1 + 3 prepends
    print(f"\n[{kind} {session}] draining: {draining}")

    router.wait_no_route(P4, timeout=10)
    assert phase(agent)["phase"] == "drained"

    t0 = time.monotonic()
    fbfctl_ok(agent, "maintenance", "stop", "--wait")
    back = router.wait_route(P4, check=lambda a: GSHUT not in (a["communities"] or []))
    print(f"[{kind} {session}] stop --wait took {time.monotonic() - t0:.2f} s; back: {back}")
    assert phase(agent)["phase"] == "active"
    assert back["med"] == 50 and back["as_path"] == ([] if ibgp else [AS_HOST]), back


def test_drain_connections_finishes_early(lab, need):
    """drain_connections = 0 and nothing connected: drained after the 1 s
    minimum instead of the 30 s drain_time."""
    need("fbfd", "bird")
    agent, router = single_host(lab, "bird", maintenance={"drain_time": "30s",
                                                          "drain_connections": 0})
    router.wait_route(P4)
    t0 = time.monotonic()
    out = fbfctl_ok(agent, "maintenance", "start", "--wait", timeout=40)
    took = time.monotonic() - t0
    print(f"\n[drain_connections=0] drained after {took:.2f} s:\n{out}")
    assert 1.0 <= took < 5.0, took
    router.wait_no_route(P4, timeout=5)
    assert "connections drained" in agent.log_text()


def test_restart_mid_maintenance_stays_withdrawn(lab, need):
    need("fbfd", "bird")
    agent, router = single_host(lab, "bird", maintenance={"drain_time": "1s"})
    router.wait_route(P4)
    fbfctl_ok(agent, "maintenance", "start", "--wait")
    router.wait_no_route(P4, timeout=5)

    agent.kill()                     # SIGKILL: no chance to clean up
    agent.start()
    wait_until(lambda: agent.fbfctl("show", "bgp")["neighbors"][0]["state"] == "Established",
               30, "fbfd's session back")
    assert phase(agent)["phase"] == "drained"
    # The session is up: give the route every chance to (wrongly) come back.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert P4 not in router.routes("ipv4"), "announced after a restart mid-maintenance"
        time.sleep(0.2)
    fbfctl_ok(agent, "maintenance", "stop", "--wait")
    router.wait_route(P4)


# --- zero loss ---------------------------------------------------------------------------
def anycast_lab(lab, need):
    """client c -- router r (BIRD, honours GRACEFUL_SHUTDOWN, installs routes
    in its kernel) -- hosts a and b, each with fbfd and a UDP echo service on
    ANYCAST. Both hosts are AS 65001, so the router compares MED: a (10)
    beats b (20)."""
    need("fbfd", "bird")
    c, r = lab.add_node("c"), lab.add_node("r", router=True)
    cl = lab.add_link(r, c)
    c.add_route("0.0.0.0/0", via=cl.ip_a())
    hosts, neighbors = {}, []
    for name, med in (("a", 10), ("b", 20)):
        h = lab.add_node(name)
        link = lab.add_link(r, h)
        h.add_route("0.0.0.0/0", via=link.ip_a())
        h.add_address(P4, dev="lo")
        echo = h.popen([sys.executable, str(PROBE), "serve", ANYCAST, "7", name],
                       name=f"echo-{name}")
        agent = Fbfd(h, local_as=AS_HOST, router_id=link.ip_b(),
                     neighbors=[host_neighbor(link.ip_a(), bfd={"min_tx": "100ms",
                                                                "min_rx": "100ms",
                                                                "multiplier": 3})],
                     services=[{"name": "web", "prefixes": [P4], "med": med}],
                     maintenance={"drain_time": "2s", "lower_preference": False})
        agent.echo = echo
        hosts[name] = agent
        neighbors.append(Neighbor(link.ip_b(), AS_HOST, honour_gshut=True,
                                  bfd=Bfd(min_tx=100, min_rx=100, multiplier=3)))
    router = Bird(r, asn=AS_ROUTER, router_id=cl.ip_a(), kernel=True, neighbors=neighbors)
    router.start()
    for agent in hosts.values():
        agent.start()
    for n in neighbors:
        router.wait_established(n.address)
    router.wait_route(P4, check=lambda a: a["med"] == 10)
    return c, router, hosts


class Prober:
    def __init__(self, node, lab):
        self.out = node.path("probe.json")
        self.proc = node.popen([sys.executable, str(PROBE), "probe", ANYCAST, "7", "10",
                                str(self.out)], name="probe")

    def finish(self):
        self.proc.stop(timeout=5)
        data = json.loads(Path(self.out).read_text())
        seen = {}
        for seq, name, t_send, t_recv in data["replies"]:
            seen.setdefault(seq, (name, t_send))
        lost = [s for s in range(data["sent"]) if s not in seen]
        return data, seen, lost


def test_maintenance_round_trip_loses_nothing(lab, need):
    c, router, hosts = anycast_lab(lab, need)
    prober = Prober(c, lab)
    time.sleep(1.0)                                      # traffic flows to a
    t_start = time.monotonic()
    fbfctl_ok(hosts["a"], "maintenance", "start", "--wait")
    t_drained = time.monotonic()
    router.wait_route(P4, check=lambda a: a["med"] == 20)    # only b's route is left
    time.sleep(1.0)
    fbfctl_ok(hosts["a"], "maintenance", "stop", "--wait")
    t_active = time.monotonic()
    router.wait_route(P4, check=lambda a: a["med"] == 10)
    time.sleep(1.0)
    data, seen, lost = prober.finish()
    order = [seen[s][0] for s in sorted(seen)]
    first_b = next(s for s in sorted(seen) if seen[s][0] == "b")
    back_to_a = next(s for s in sorted(seen) if s > first_b and seen[s][0] == "a")
    t_first_b, t_back = seen[first_b][1], seen[back_to_a][1]
    print(f"\n[zero loss] {data['sent']} probes every 10 ms, {len(lost)} lost; "
          f"to b {t_first_b - t_start:.3f} s after start (drained after "
          f"{t_drained - t_start:.3f} s); back to a {t_back - t_start:.3f} s "
          f"(stop done at {t_active - t_start:.3f} s)")
    assert lost == [], f"lost probes {lost[:20]}... ({len(lost)})"
    assert order[0] == "a" and order[-1] == "a", order[:3] + order[-3:]
    # Traffic left a while the route was still announced (draining), not at the withdrawal.
    assert t_first_b < t_drained - 0.5, (t_first_b - t_start, t_drained - t_start)


def test_unplanned_failure_loses_at_most_500_ms(lab, need):
    c, router, hosts = anycast_lab(lab, need)
    echo_a = hosts["a"].echo
    wait_until(lambda: hosts["a"].fbfctl("show", "bfd")["sessions"][0]["detection_time_ms"]
               == 300, 10, "BFD at 100 ms x 3")
    prober = Prober(c, lab)
    time.sleep(1.0)
    # The host dies: its agent and its service at the same moment.
    hosts["a"].kill()
    echo_a.kill()
    router.wait_route(P4, check=lambda a: a["med"] == 20, timeout=5)
    time.sleep(1.0)
    data, seen, lost = prober.finish()
    names = [seen[s][0] for s in sorted(seen)]
    print(f"\n[unplanned] answered by a: {names.count('a')}, by b: {names.count('b')}")
    assert names[0] == "a", names[:5]  # traffic went to the preferred host before the kill
    window_ms = len(lost) * data["interval_ms"]
    print(f"\n[unplanned] SIGKILL of a's fbfd: {len(lost)} probes lost "
          f"(~{window_ms:.0f} ms of traffic) out of {data['sent']}")
    assert window_ms <= 500, lost
    assert seen[max(seen)][0] == "b"
