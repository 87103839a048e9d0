#!/usr/bin/python3
"""The fbf demo: an upstream router (BIRD 2) and a host running fbfd, each in
its own network namespace, joined by a veth pair.

      router (ns fbf<id>-router)                 host (ns fbf<id>-host)
      BIRD 2, AS 65000, BFD on           veth    fbfd, AS 65001
      192.0.2.0/31  2001:db8::1/64  <-------->   192.0.2.1/31  2001:db8::2/64
                                                 web: 203.0.113.10:80 on lo

Run through `sudo scripts/demo` (installs, builds, then runs this), or
directly as root: /usr/bin/python3 tests/lab/demo.py [--hold].

The demo is a list of steps (STEPS below), each a function taking the Demo.
A step that needs something fbfd does not do yet detects that (fbfctl
refuses the command, the router sees no session) and says so instead of
failing; when the feature lands the step starts showing it. Add new steps
(failover, maintenance, ...) by appending functions to STEPS.
Exit status: 0 when every step passed, 1 when a check failed, 130 on Ctrl-C.
Everything is removed on every exit path.
"""
import argparse
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fbflab import Bfd, Bird, Fbfd, Lab, LabError, Neighbor, missing_binaries  # noqa: E402
from fbflab.fbfd import FBFCTL  # noqa: E402
from fbflab.util import WaitTimeout, wait_until  # noqa: E402

ROUTER_AS, HOST_AS = 65000, 65001
ROUTER_V4, HOST_V4 = "192.0.2.0", "192.0.2.1"
ROUTER_V6, HOST_V6 = "2001:db8::1", "2001:db8::2"
SERVICE_ADDR = "203.0.113.10"
SERVICE_PREFIX = f"{SERVICE_ADDR}/32"
BFD_TIMERS = Bfd(min_tx=100, min_rx=100, multiplier=3)


class DemoFailed(Exception):
    pass


class Demo:
    def __init__(self, lab, args):
        self.lab, self.args = lab, args
        self.router = self.host = self.link = None
        self.bird = self.web = self.agent = None
        self.step_no = 0
        self.notes = []          # what is not there yet, for the summary

    # --- output helpers ---------------------------------------------------------
    def step(self, title):
        self.step_no += 1
        print(f"\n== {self.step_no}. {title}", flush=True)

    @staticmethod
    def show(text, indent="   "):
        print(textwrap.indent(text.rstrip() or "(nothing)", indent), flush=True)

    @staticmethod
    def ok(msg):
        print(f"   ok: {msg}", flush=True)

    def later(self, msg):
        print(f"   not yet: {msg}", flush=True)
        self.notes.append(msg)

    def fail(self, msg):
        raise DemoFailed(msg)

    # --- capability probes ------------------------------------------------------
    def fbfd_offers(self, *command):
        """True if fbfctl accepts `command` (fbfd implements it)."""
        cp = self.agent.fbfctl(*command, json=True, check=False)
        return cp is not None


# --- steps ------------------------------------------------------------------------
def build_topology(d):
    d.step("topology: namespaces router and host, one veth between them")
    d.router = d.lab.add_node("router", router=True)
    d.host = d.lab.add_node("host")
    d.link = d.lab.add_link(d.router, d.host,
                            a_addrs=[f"{ROUTER_V4}/31", f"{ROUTER_V6}/64"],
                            b_addrs=[f"{HOST_V4}/31", f"{HOST_V6}/64"],
                            a_ifname="to-host", b_ifname="to-router")
    # The service address lives on the host's lo, put there by the demo so
    # the web server can bind before fbfd starts (manage_addresses = false).
    d.host.add_address(SERVICE_PREFIX, dev="lo")
    for node in (d.router, d.host):
        d.show(f"{node.ns}:")
        d.show(node.run(["ip", "-br", "addr"]).stdout, indent="     ")


def start_router(d):
    d.step(f"router: BIRD 2, AS {ROUTER_AS}, BGP + BFD towards the host ({HOST_V4})")
    d.bird = Bird(d.router, asn=ROUTER_AS, router_id=ROUTER_V4, kernel=True, trace_routes=True,
                  neighbors=[Neighbor(HOST_V4, HOST_AS, bfd=BFD_TIMERS, name="host")])
    d.bird.start()
    d.ok(f"bird running, config {d.bird.conf}")


def start_web_service(d):
    d.step(f"host: web service on {SERVICE_ADDR}:80")
    start_web(d)
    body = wait_until(lambda: d.host.run(["curl", "-sf", "--max-time", "1",
                                          f"http://{SERVICE_ADDR}/"], check=False).stdout,
                      10, "the web service to answer")
    d.ok(f"curl http://{SERVICE_ADDR}/ on the host -> {body.strip()!r}")


def fbfd_config(d):
    """The agent's configuration, in the style of packaging/fbf.toml."""
    return dict(
        local_as=HOST_AS, router_id=HOST_V4,
        bfd={"min_tx": f"{BFD_TIMERS.min_tx}ms", "min_rx": f"{BFD_TIMERS.min_rx}ms",
             "multiplier": BFD_TIMERS.multiplier},
        neighbors=[{"name": "router", "address": ROUTER_V4, "remote_as": ROUTER_AS,
                    "local_address": HOST_V4, "hold_time": "9s", "connect_retry": "1s",
                    "bfd": True}],
        # The web service is checked over HTTP every 200 ms: two failures
        # withdraw the route, two successes bring it back.
        services=[{"name": "web", "prefixes": [SERVICE_PREFIX], "interface": "lo",
                   "manage_addresses": False, "communities": [f"{HOST_AS}:100"],
                   "check": {"type": "http", "url": f"http://{SERVICE_ADDR}/",
                             "interval": "200ms", "timeout": "150ms", "rise": 2, "fall": 2}}],
        maintenance={"drain_time": "3s", "shutdown_message": "demo maintenance"},
        log_level="info",
    )


def start_fbfd(d):
    d.step("host: fbfd with a generated configuration")
    missing = missing_binaries()
    if missing:
        d.fail(f"not built: {', '.join(missing)} (scripts/demo builds them; "
               "or set FBF_BUILD_DIR)")
    d.agent = Fbfd(d.host, **fbfd_config(d))
    ok, out = d.agent.check_config()
    d.show(d.agent.config_text())
    if not ok:
        d.fail(f"fbfd --check-config rejected the demo config:\n{out}")
    d.ok(out)
    d.agent.start()
    d.ok(f"fbfd pid {d.agent.proc.pid} answers on {d.agent.sock}; log {d.agent.log}")


def show_agent(d):
    d.step("fbfctl show status")
    d.show(d.agent.fbfctl("show", "status", json=False).stdout)


def bgp_session(d):
    d.step("BGP between router and fbfd")
    offered = d.fbfd_offers("show", "bgp")
    if offered:
        try:
            d.bird.wait_established(HOST_V4, timeout=20)
        except WaitTimeout as exc:
            d.fail(f"fbfd offers `show bgp` but the router's session did not come up: {exc}")
    state = d.bird.session(HOST_V4)
    d.show(d.bird.birdc(f"show protocols all {d.bird.protocol_name(d.bird.neighbors[0])}"))
    if state.get("state") == "Established":
        d.ok("router reports BGP Established with fbfd")
    else:
        why = "" if offered else \
            " (fbfd's BGP speaker lands in a later release: fbfctl has no `show bgp` yet)"
        d.later(f"router reports BGP {state.get('state', 'unknown')}{why}")


def bfd_session(d):
    d.step("BFD between router and fbfd")
    offered = d.fbfd_offers("show", "bfd")
    if offered:
        try:
            d.bird.wait_bfd(HOST_V4, "Up", timeout=15)
        except WaitTimeout as exc:
            d.fail(f"fbfd offers `show bfd` but the router's BFD session is not Up: {exc}")
    d.show(d.bird.birdc("show bfd sessions"))
    if offered:
        d.show("fbfd's view (fbfctl show bfd):\n" + d.agent.fbfctl("show", "bfd", json=False).stdout)
    state = d.bird.bfd_sessions().get(HOST_V4, {}).get("state")
    if state == "Up":
        d.ok("router reports BFD Up")
    else:
        why = "" if offered else \
            " (fbfd's BFD engine lands in a later release: fbfctl has no `show bfd` yet)"
        d.later(f"router reports BFD {state or 'no session'}{why}")


def service_route(d):
    d.step(f"the router's routes (is {SERVICE_PREFIX} learned from fbfd?)")
    if d.bird.session(HOST_V4).get("state") == "Established":
        try:
            d.bird.wait_route(SERVICE_PREFIX, timeout=15)
        except WaitTimeout as exc:
            d.fail(f"BGP is up but the router did not learn {SERVICE_PREFIX}: {exc}")
    d.show(d.bird.birdc("show route all"))
    route = d.bird.routes("ipv4").get(SERVICE_PREFIX)
    if route:
        d.ok(f"router learned {SERVICE_PREFIX}: as_path {route['as_path']}, "
             f"next hop {route['next_hop']}, communities {route['communities']}")
        body = d.router.run(["curl", "-sf", "--max-time", "2", f"http://{SERVICE_ADDR}/"],
                            check=False).stdout
        if not body:
            d.fail(f"the router has the route but curl http://{SERVICE_ADDR}/ from it failed")
        d.ok(f"curl http://{SERVICE_ADDR}/ from the router -> {body.strip()!r}")
    else:
        d.later(f"no route to {SERVICE_PREFIX} on the router yet")


def start_web(d):
    docroot = d.host.path("www")
    docroot.mkdir(exist_ok=True)
    (docroot / "index.html").write_text("hello from the fbf demo host\n")
    d.web = d.host.popen(["/usr/bin/python3", "-m", "http.server", "80", "--bind", SERVICE_ADDR,
                          "--directory", docroot], name="web")


def fbfd_event_time(d, to):
    """When fbfd logged the web service's last change to `to` (announced/withdrawn)."""
    import datetime
    for line in reversed(d.agent.log_text().splitlines()):
        if f"service web: " in line and f"-> {to}:" in line:
            return datetime.datetime.fromisoformat(line.split()[0])
    return None


def router_event_time(d, what, after):
    for t, w in d.bird.route_events(SERVICE_PREFIX):
        if w == what and t >= after:
            return t
    return None


def service_failover(d):
    d.step("the web service stops: fbfd's HTTP check fails and the route leaves the router")
    d.web.kill()
    d.bird.wait_no_route(SERVICE_PREFIX, timeout=10)
    verdict = fbfd_event_time(d, "withdrawn")
    gone = router_event_time(d, "removed", verdict) if verdict else None
    d.show(d.agent.fbfctl("show", "services", json=False).stdout)
    if verdict and gone:
        d.ok(f"failing verdict at {verdict.time()}, gone from the router's RIB at {gone.time()}: "
             f"{(gone - verdict).total_seconds() * 1000:.1f} ms later")
    else:
        d.ok("route withdrawn at the router")
    d.step("the web service comes back: two good checks and the route returns")
    start_web(d)
    d.bird.wait_route(SERVICE_PREFIX, timeout=10)
    d.ok(f"router learned {SERVICE_PREFIX} again")


def maintenance_round_trip(d):
    d.step("maintenance start: GRACEFUL_SHUTDOWN (65535:0) first, withdrawal after the drain "
           "(RFC 8326)")
    cp = d.agent.fbfctl("maintenance", "start", json=False, check=False)
    if cp.returncode != 0:
        d.fail(f"maintenance start failed: {cp.stderr.strip()}")
    tagged = d.bird.wait_route(SERVICE_PREFIX, timeout=5,
                               check=lambda a: "65535:0" in (a["communities"] or []))
    d.ok(f"draining: the router has {SERVICE_PREFIX} with communities {tagged['communities']}")
    d.show(d.agent.fbfctl("maintenance", "status", json=False).stdout)
    wait_until(lambda: d.agent.fbfctl("maintenance", "status")["services"][0]["phase"]
               == "drained", 15, "the drain to finish")
    d.bird.wait_no_route(SERVICE_PREFIX, timeout=5)
    d.ok("drained: the route is withdrawn at the router")
    d.step("maintenance stop --wait: announced normally again")
    cp = d.agent.fbfctl("maintenance", "stop", "--wait", json=False, check=False, timeout=30)
    d.show(cp.stdout)
    route = d.bird.wait_route(SERVICE_PREFIX, timeout=10)
    if "65535:0" in (route["communities"] or []):
        d.fail("the route came back still tagged GRACEFUL_SHUTDOWN")
    d.ok(f"router learned {SERVICE_PREFIX} again, communities {route['communities']}")


def host_failure(d):
    import datetime
    d.step("host failure: fbfd killed with SIGKILL; the router drops the session and the route")
    wait_until(lambda: d.agent.fbfctl("show", "bfd")["sessions"][0]["detection_time_ms"] == 300,
               10, "BFD at 100 ms x 3")
    killed = datetime.datetime.now()
    d.agent.kill()
    d.bird.wait_no_route(SERVICE_PREFIX, timeout=5)
    gone = router_event_time(d, "removed", killed)
    d.show(d.bird.birdc("show bfd sessions"))
    d.ok(f"route gone from the router {(gone - killed).total_seconds() * 1000:.0f} ms after the "
         "kill" if gone else "route gone from the router")
    d.step("fbfd restarted (as systemd would): BFD and BGP come back, the route returns")
    d.agent.start()
    d.bird.wait_route(SERVICE_PREFIX, timeout=20)
    d.bird.wait_bfd(HOST_V4, "Up", timeout=15)
    d.ok(f"router learned {SERVICE_PREFIX} again; BFD Up")


def hold(d):
    if not d.args.hold:
        return
    d.step("holding the lab (press Enter to tear it down)")
    d.show(f"ip netns exec {d.router.ns} birdc -s {d.bird.sock} show protocols\n"
           f"{FBFCTL} -s {d.agent.sock} show status\n"
           f"ip netns exec {d.host.ns} curl http://{SERVICE_ADDR}/")
    input()


STEPS = [build_topology, start_router, start_web_service, start_fbfd, show_agent,
         bgp_session, bfd_session, service_route, service_failover, host_failure,
         maintenance_round_trip, hold]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hold", action="store_true",
                    help="keep the lab up until Enter is pressed, to look around")
    args = ap.parse_args(argv)
    print("fbf demo: a BIRD router and an fbfd host in network namespaces")
    rc = 0
    try:
        with Lab("demo") as lab:
            demo = Demo(lab, args)
            try:
                for step in STEPS:
                    step(demo)
            except (DemoFailed, LabError) as exc:
                print(f"\nFAILED: {exc}", file=sys.stderr)
                if demo.agent and demo.agent.proc:
                    print(f"--- fbfd log:\n{demo.agent.proc.log_tail(20)}", file=sys.stderr)
                rc = 1
            print("\n== cleaning up: stopping fbfd, bird and the web server, "
                  "removing the namespaces", flush=True)
        if rc == 0:
            print("\ndemo finished: every step passed.")
            if demo.notes:
                print("still to come in fbfd:")
                for note in demo.notes:
                    print(f"  - {note}")
    except KeyboardInterrupt:
        print("\ninterrupted: lab removed", file=sys.stderr)
        return 130
    return rc


if __name__ == "__main__":
    sys.exit(main())
