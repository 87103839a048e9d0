"""Services and health checks seen from the router (issue: Agent), against
BIRD 2 and FRR: each check type (tcp, http, dns, exec) withdraws its route
when the service breaks and brings it back when it heals, after exactly
`fall` failures and `rise` successes; a hanging exec is killed at its timeout
(no process or zombie left); `disable_file` holds a route out while present;
`degrade` shows the degraded MED and prepends at the router; SIGTERM removes
the service addresses fbfd added and leaves others alone.
"""
import sys
import time
from pathlib import Path

import pytest

from fbflab import Bird, Frr, Neighbor, wait_until
from fbflab.fbfd import Fbfd

pytestmark = pytest.mark.lab

AS_HOST, AS_ROUTER = 65001, 65000
PEERS = {"bird": Bird, "frr": Frr}
HERE = Path(__file__).parent / "fbflab"
RISE, FALL = 3, 2
TIMING = {"interval": "200ms", "timeout": "150ms", "rise": RISE, "fall": FALL}
PREFIX = {name: f"203.0.113.{i}/32" for i, name in
          enumerate(["tcp", "http", "dns", "exec", "hang", "held", "deg"], start=20)}
ZONE = "svc.example"


def listener_script(port):
    # A TCP listener that accepts and closes: enough for a tcp check.
    return ("import socket\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            f"s.bind(('127.0.0.1', {port})); s.listen(16)\n"
            "while True:\n    c, _ = s.accept(); c.close()\n")


class Backends:
    """The local services the checks look at, each breakable on its own."""

    def __init__(self, node):
        self.node = node
        self.flag = node.path("exec-up")
        self.deg_flag = node.path("deg-up")
        self.disable = node.path("disable-held")
        self.www = node.path("www")
        self.www.mkdir(exist_ok=True)
        (self.www / "healthz").write_text("ok\n")
        self.procs = {}

    def start(self, which):
        if which == "tcp":
            self.procs[which] = self.node.popen([sys.executable, "-c", listener_script(8081)],
                                                name="tcp-listener")
        elif which == "http":
            self.procs[which] = self.node.popen(
                [sys.executable, "-m", "http.server", "8080", "--bind", "127.0.0.1",
                 "--directory", str(self.www)], name="http-server")
        elif which == "dns":
            self.procs[which] = self.node.popen(
                [sys.executable, str(HERE / "dns_responder.py"), "127.0.0.1", "5353", ZONE],
                name="dns-responder")
        elif which == "exec":
            self.flag.write_text("")
        elif which == "deg":
            self.deg_flag.write_text("")

    def stop(self, which):
        if which in self.procs:
            self.procs.pop(which).kill()
        elif which == "exec":
            self.flag.unlink()
        elif which == "deg":
            self.deg_flag.unlink()


def services(b):
    return [
        {"name": "tcp", "prefixes": [PREFIX["tcp"]],
         "check": {"type": "tcp", "target": "127.0.0.1:8081", **TIMING}},
        {"name": "http", "prefixes": [PREFIX["http"]],
         "check": {"type": "http", "url": "http://127.0.0.1:8080/healthz",
                   "expect_status": [200], **TIMING}},
        {"name": "dns", "prefixes": [PREFIX["dns"]],
         "check": {"type": "dns", "target": "127.0.0.1:5353", "query": ZONE,
                   "query_type": "SOA", **TIMING}},
        {"name": "exec", "prefixes": [PREFIX["exec"]],
         "check": {"type": "exec", "command": ["/usr/bin/test", "-e", str(b.flag)], **TIMING}},
        {"name": "hang", "prefixes": [PREFIX["hang"]],
         "check": {"type": "exec", "command": ["/bin/sleep", "30"], **TIMING}},
        {"name": "held", "prefixes": [PREFIX["held"]], "disable_file": str(b.disable)},
        {"name": "deg", "prefixes": [PREFIX["deg"]], "med": 10, "on_failure": "degrade",
         "degraded": {"med": 1000, "as_path_prepend": 2},
         "check": {"type": "exec", "command": ["/usr/bin/test", "-e", str(b.deg_flag)],
                   **TIMING}},
    ]


def host_and_router(lab, kind="bird", services=(), neighbor=None, router_bfd=None, **router_kw):
    """Namespaces h (fbfd, AS 65001) and r (the router, AS 65000) on one
    veth; returns (h, router, agent), nothing started. `services` may be a
    function of h (for paths inside its directory)."""
    h, r = lab.add_node("h"), lab.add_node("r")
    link = lab.add_link(h, r)
    router = PEERS[kind](r, asn=AS_ROUTER, router_id=link.ip_b(),
                         neighbors=[Neighbor(link.ip_a(), AS_HOST, bfd=router_bfd)], **router_kw)
    agent = Fbfd(h, local_as=AS_HOST, router_id=link.ip_a(),
                 neighbors=[{"name": "r", "address": link.ip_b(), "remote_as": AS_ROUTER,
                             "hold_time": "9s", "connect_retry": "1s", **(neighbor or {})}],
                 services=list(services(h) if callable(services) else services))
    return h, router, agent


def build(lab, kind):
    backends = {}

    def make(h):
        backends["b"] = Backends(h)
        return services(backends["b"])
    h, router, agent = host_and_router(lab, kind, make)
    return h, router, agent, backends["b"]


def show(agent, name):
    for s in agent.fbfctl("show", "services")["services"]:
        if s["service"] == name:
            return s
    raise AssertionError(f"no service {name}")


def processes_named(node, comm):
    """(pid, state) of processes in the namespace whose command is `comm`."""
    out = []
    for pid in node.pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state = stat[stat.rindex(")") + 2]
        if name == comm:
            out.append((pid, state))
    return out


@pytest.mark.parametrize("kind", list(PEERS))
def test_each_check_type_flips_the_route_with_rise_and_fall(lab, need, kind):
    need("fbfd", kind)
    host, router, agent, b = build(lab, kind)
    for which in ("tcp", "http", "dns", "exec", "deg"):
        b.start(which)
    b.disable.write_text("")
    router.start()
    agent.start()
    for name in ("tcp", "http", "dns", "exec"):
        router.wait_route(PREFIX[name], timeout=30)
    healthy = router.wait_route(PREFIX["deg"], check=lambda a: a["med"] == 10)
    for name in ("tcp", "http", "dns", "exec"):
        s = show(agent, name)
        assert s["announcement"] == "announced", s
        # Announced after exactly `rise` successes (the core's own words).
        assert s["health"]["last_reason"].startswith(f"{RISE} consecutive successes"), s

    # A hanging exec is killed at its timeout: never announced, counted as a
    # timeout, and neither its process nor a zombie outlives the probe.
    hang = show(agent, "hang")
    assert hang["announcement"] == "withdrawn", hang
    assert hang["health"]["verdict"] == "failing" and hang["health"]["counters"]["probes_timed_out"] >= FALL
    assert PREFIX["hang"] not in router.routes("ipv4")
    zombies = [p for p in processes_named(host, "sleep") if p[1] == "Z"]
    assert not zombies, zombies
    assert len(processes_named(host, "sleep")) <= 1  # only the probe in flight

    # disable_file: held out while present, announced once it goes.
    assert PREFIX["held"] not in router.routes("ipv4")
    assert show(agent, "held")["health"]["verdict"] == "disabled"
    b.disable.unlink()
    router.wait_route(PREFIX["held"], timeout=5)

    # Break every checked service at once: each route goes, after `fall`
    # failures, and nothing else moves.
    for which in ("tcp", "http", "dns", "exec"):
        b.stop(which)
    for name in ("tcp", "http", "dns", "exec"):
        router.wait_no_route(PREFIX[name], timeout=5)
        s = show(agent, name)
        assert s["announcement"] == "withdrawn", s
        assert s["health"]["last_reason"].startswith(f"{FALL} consecutive failures"), s
    assert PREFIX["held"] in router.routes("ipv4")

    # degrade: still announced, with the degraded MED and two more prepends.
    b.stop("deg")
    degraded = router.wait_route(PREFIX["deg"], timeout=5, check=lambda a: a["med"] == 1000)
    assert len(degraded["as_path"]) == len(healthy["as_path"]) + 2, (healthy, degraded)
    assert show(agent, "deg")["announcement"] == "degraded"

    # Heal: each route returns after `rise` successes.
    for which in ("tcp", "http", "dns", "exec", "deg"):
        b.start(which)
    for name in ("tcp", "http", "dns", "exec"):
        router.wait_route(PREFIX[name], timeout=5)
        assert show(agent, name)["health"]["last_reason"].startswith(
            f"{RISE} consecutive successes")
    router.wait_route(PREFIX["deg"], timeout=5, check=lambda a: a["med"] == 10)

    # The disable file again: withdrawn while present.
    b.disable.write_text("")
    router.wait_no_route(PREFIX["held"], timeout=5)


def test_sigterm_removes_only_the_addresses_fbfd_added(lab, need):
    need("fbfd", "bird")
    h, router, agent = host_and_router(
        lab, services=[{"name": "web", "prefixes": ["203.0.113.30/32", "203.0.113.31/32",
                                                    "2001:db8:30::1/128"]}],
        neighbor={"next_hop": ["self", "2001:db8::1"]})
    h.run(["ip", "addr", "add", "203.0.113.31/32", "dev", "lo"])  # someone else's
    router.start()
    agent.start()
    router.wait_route("203.0.113.30/32")

    def lo_addresses():
        return h.run(["ip", "-o", "addr", "show", "dev", "lo"]).stdout

    text = lo_addresses()
    assert "203.0.113.30/32" in text and "2001:db8:30::1/128" in text, text
    addrs = show(agent, "web")["addresses"]
    assert addrs["ok"], addrs

    # Someone removes an address fbfd added: the service is withdrawn.
    h.run(["ip", "addr", "del", "203.0.113.30/32", "dev", "lo"])
    router.wait_no_route("203.0.113.30/32", timeout=5)
    assert show(agent, "web")["announcement"] == "withdrawn"
    agent.reload()  # a reload puts it back
    router.wait_route("203.0.113.30/32", timeout=10)

    agent.stop()
    text = lo_addresses()
    assert "203.0.113.30/32" not in text and "2001:db8:30::1/128" not in text, text
    assert "203.0.113.31/32" in text, text  # not ours: left alone


def fbfd_events(agent, service):
    """[(datetime, "withdrawn"|"announced"), ...] from fbfd's log lines
    "service NAME: A -> B: ..." (millisecond timestamps)."""
    import datetime
    import re
    pat = re.compile(r"^(\S+) \w+ service " + re.escape(service)
                     + r": (\w+) -> (withdrawn|announced):")
    out = []
    for line in agent.log_text().splitlines():
        m = pat.match(line)
        if m and m.group(2) != "new":
            out.append((datetime.datetime.fromisoformat(m.group(1)), m.group(3)))
    return out


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def test_verdict_reaches_the_router_rib_within_50_ms(lab, need):
    """From the failing (or healing) verdict to the route leaving (or
    entering) BIRD's RIB: p99 over 50 flips under 50 ms, with fbfd's and
    BIRD's own timestamps (same clock: namespaces share it)."""
    need("fbfd", "bird")
    prefix = "203.0.113.40/32"
    h, router, agent = host_and_router(
        lab, trace_routes=True,
        services=lambda h: [{"name": "lat", "prefixes": [prefix],
                             "check": {"type": "exec",
                                       "command": ["/usr/bin/test", "-e", str(h.path("lat-up"))],
                                       "interval": "20ms", "timeout": "15ms", "rise": 1,
                                       "fall": 1}}])
    flag = h.path("lat-up")
    flag.write_text("")
    router.start()
    agent.start()
    router.wait_route(prefix)
    flips = 50
    for i in range(flips):
        if i % 2 == 0:
            flag.unlink()
            router.wait_no_route(prefix, timeout=5)
        else:
            flag.write_text("")
            router.wait_route(prefix, timeout=5)
    time.sleep(0.2)

    ours = fbfd_events(agent, "lat")
    theirs = router.route_events(prefix)
    kind = {"withdrawn": "removed", "announced": "added"}
    latencies = []
    j = 0
    for t, what in ours:
        while j < len(theirs) and (theirs[j][0] < t or theirs[j][1] != kind[what]):
            j += 1
        assert j < len(theirs), f"no router event for fbfd's {what} at {t}"
        latencies.append((theirs[j][0] - t).total_seconds() * 1000)
        j += 1
    latencies = latencies[-flips:]
    assert len(latencies) == flips, (len(latencies), ours[:5], theirs[:5])
    p50, p99, worst = percentile(latencies, 50), percentile(latencies, 99), max(latencies)
    print(f"verdict -> router RIB over {flips} flips: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {worst:.1f} ms (fbfd timestamps have 1 ms resolution)")
    assert p99 < 50, sorted(latencies)


def test_sigkill_router_drops_route_within_bfd_detect_time(lab, need):
    """Host failure: SIGKILL of fbfd, BFD 100 ms x 3 -> BIRD removes the
    route within detect time + 100 ms."""
    import datetime
    need("fbfd", "bird")
    from fbflab.peers.base import Bfd
    prefix = "203.0.113.41/32"
    h, router, agent = host_and_router(
        lab, trace_routes=True, services=[{"name": "web", "prefixes": [prefix]}],
        router_bfd=Bfd(min_tx=100, min_rx=100, multiplier=3),
        neighbor={"bfd": {"min_tx": "100ms", "min_rx": "100ms", "multiplier": 3}})
    router.start()
    agent.start()
    router.wait_route(prefix)
    wait_until(lambda: agent.fbfctl("show", "bfd")["sessions"][0]["detection_time_ms"] == 300,
               10, "BFD Up at 100 ms x 3")
    killed = datetime.datetime.now()
    agent.kill()
    router.wait_no_route(prefix, timeout=5)
    removed = [t for t, what in router.route_events(prefix) if what == "removed" and t >= killed]
    assert removed, router.route_events(prefix)
    gone_ms = (removed[0] - killed).total_seconds() * 1000
    print(f"SIGKILL -> route removed at the router after {gone_ms:.0f} ms "
          f"(BFD detection time 300 ms)")
    assert gone_ms <= 300 + 100, gone_ms


def test_reload_adds_a_service_and_restarts_a_check_without_any_flap(lab, need):
    """A reload that adds a service and changes another's check: the new
    prefix is announced; the BGP session and the existing route never move
    (BIRD's route trace shows no withdrawal — a session flap would show
    one — and fbfd counts one Established transition);
    an invalid file afterwards changes nothing."""
    need("fbfd", "bird")
    old, new = "203.0.113.50/32", "203.0.113.51/32"

    def check(h):
        return {"type": "exec", "command": ["/usr/bin/test", "-e", str(h.path("up"))], **TIMING}
    h, router, agent = host_and_router(
        lab, trace_routes=True,
        services=lambda h: [{"name": "old", "prefixes": [old], "check": check(h)}])
    h.path("up").write_text("")
    router.start()
    agent.start()
    router.wait_route(old)

    agent.doc["service"][0]["check"]["interval"] = "300ms"   # a changed check restarts
    agent.doc["service"].append({"name": "new", "prefixes": [new], "check": check(h)})
    agent.reload()
    router.wait_route(new, timeout=10)
    time.sleep(1.0)
    events = router.route_events(old)
    assert [w for _, w in events] == ["added"], events       # never withdrawn or re-sent
    bgp = agent.fbfctl("show", "bgp")["neighbors"][0]
    assert bgp["established_transitions"] == 1, bgp
    assert bgp["state"] == "Established"
    assert show(agent, "old")["health"]["verdict"] == "healthy"

    agent.conf.write_text(agent.conf.read_text() + "\n[[service]]\nname = 42\n")
    agent.reload(rewrite=False)
    wait_until(lambda: agent.fbfctl("show", "status").get("last_reload", {}).get("result")
               == "error", 5, "the broken reload to be refused")
    assert {old, new} <= set(router.routes("ipv4"))
    assert [w for _, w in router.route_events(old)] == ["added"]
