#!/usr/bin/python3
"""Failover end-to-end: fbfd against the setups people run today.

Three ways for a host to announce a service prefix to a router and take it
away when something breaks, each with the SAME health check command and its
fastest sensible settings:

  fbfd                fbfd on the host: BGP + BFD to the router, an exec
                      check, rise = fall = 1, RFC 8326 maintenance.
  bird-script         BIRD 2 on the host (BGP + BFD to the router) announcing
                      the prefix from a static protocol, plus the classic
                      watchdog loop (failover_watchdog.sh) that runs the check
                      and `birdc disable`s / `enable`s that static protocol.
  exabgp-healthcheck  ExaBGP 4.2 with its bundled healthcheck program
                      (`python3 -m exabgp healthcheck`) announcing through
                      the API. ExaBGP has no BFD: a dead host is found by the
                      BGP hold time, 3 s (the smallest RFC 4271 allows).

Topology (one lab per setup and repetition, tests/lab/fbflab):

    client c ── router r (BIRD 2, kernel routes, BFD where the host has it,
                 │         `debug { routes }` for timestamps, honours 65535:0)
                 ├── host a  announces 203.0.113.10/32 with MED 10 (preferred)
                 └── host b  announces 203.0.113.10/32 with MED 20

Each host runs the setup's announcer and failover_service.py: a UDP echo
server on the anycast address (for the prober) and the TCP listener on
127.0.0.1:8081 that the health check probes. Both hosts are AS 65001, the
router AS 65000, so the router compares MED and prefers a.

Scenarios, on host a, `trials` times per repetition:

  service failure  SIGKILL of a's service -> a's route removed at the router.
                   The kill comes at a planned phase of the checker's
                   schedule: right after a check connects to the service (its
                   listener logs each accept), the bench waits phase ms and
                   kills. The phases spread evenly over one check interval
                   (phase_plan) and are the same, in the same order, for
                   every setup, so the setups are compared on identical
                   luck rather than on where a random kill fell.
  host failure     nftables drops everything in and out of a's namespace,
                   then SIGKILL of every process of the announcer (power
                   loss: no FIN, no NOTIFICATION, no BFD AdminDown) -> a's
                   route removed at the router.
  maintenance      a UDP prober on c sends to the anycast address every
                   10 ms; a is taken out by the setup's maintenance
                   procedure, then its service is stopped; probes lost.

Latencies are BIRD's trace-log timestamp of "bgp_a.ipv4 > removed ...
203.0.113.10/32" (wall clock, microseconds) minus time.time() taken at the
action; the namespaces share the host's clock. The event time of a host
failure is when `nft -f` returned (the rule is committed at the end of that
command, so this errs by at most a few ms towards shorter latencies; the
nft run time is kept in the raw samples).

    sudo bench/compare/failover.py --reps 1 --trials 2
    run(reps=3, trials=5, setups=(...), log=print) -> (rows, raw)
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import shlex
import signal
import sys
import time
from pathlib import Path

try:
    from . import common
except ImportError:                      # run as a script, or imported from bench/compare
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import common

from fbflab import Bird, ExaBgp, Lab, Neighbor, Route, wait_until  # noqa: E402
from fbflab.fbfd import Fbfd  # noqa: E402
from fbflab.peers.base import Bfd  # noqa: E402
from fbflab.util import LabError  # noqa: E402

SECTION = "failover"
SETUPS = ("fbfd", "bird-script", "exabgp-healthcheck")

AS_HOST, AS_ROUTER = 65001, 65000
PREFIX, ANYCAST = "203.0.113.10/32", "203.0.113.10"
UDP_PORT, TCP_PORT = 7, 8081
GSHUT = "65535:0"
MED = {"a": 10, "b": 20}

HERE = Path(__file__).resolve().parent
SERVICE = HERE / "failover_service.py"
WATCHDOG = HERE / "failover_watchdog.sh"
PROBE = common.REPO / "tests" / "lab" / "fbflab" / "udp_probe.py"
SYS_PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
BIRDC = "/usr/sbin/birdc"

# The health check command, identical for the three setups: open a TCP
# connection to the service's listener (bash's /dev/tcp; no netcat needed).
# About 6 ms per run (fork + exec of bash), refused connections fail at once.
CHECK_ARGV = ["/usr/bin/bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{TCP_PORT}"]
# How often every setup runs it. The same cadence everywhere, so that the
# rows compare the machinery and not the choice of interval. 100 ms is the
# fastest a check that forks bash per turn is sensibly run at, whoever runs
# it: at 20 ms (fbfd, timeout 16 ms) the ~6 ms fork + exec overran its
# timeout now and then on a busy 2-core machine, i.e. spurious withdrawals
# with fall = 1; a shell loop or the Python healthcheck would fare no better.
# `--interval-ms` changes it for all three, `--fbfd-interval-ms` for fbfd
# alone; `--fbfd-check tcp` gives fbfd its built-in connect check of the
# same listener instead (no fork: 20 ms is fine there).
DEFAULT_INTERVAL_MS = 100
# BFD where the host's daemon has it (fbfd, BIRD): 100 ms x 3 on both ends.
BFD = Bfd(min_tx=100, min_rx=100, multiplier=3)
HOLD_TIME = 3          # seconds, every session (keepalive 1 s)
PROBE_INTERVAL_MS = 10

CUT_TABLE = "fbfcut"
CUT_RULES = (f"table inet {CUT_TABLE} {{\n"
             "  chain in { type filter hook input priority -400; policy drop; }\n"
             "  chain out { type filter hook output priority -400; policy drop; }\n"
             "}\n")


# --- processes -------------------------------------------------------------------------
def _stat(pid):
    """(ppid, pgrp, session) of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(rest[1]), int(rest[2]), int(rest[3])


def kill_sessions(roots):
    """SIGKILL every process in the sessions of the given pids (the harness
    starts each daemon in its own session; ExaBGP moves its helpers into
    their own process groups but not out of the session) and their
    descendants. Repeats until nothing is left, so a child forked meanwhile
    dies too. Returns the pids killed."""
    roots = set(roots)
    killed = set()
    for _ in range(20):
        found = set()
        children = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            st = _stat(d)
            if st is None:
                continue
            children.setdefault(st[0], []).append(int(d))
            if st[2] in roots or int(d) in roots:
                found.add(int(d))
        todo = list(found)
        while todo:
            p = todo.pop()
            for c in children.get(p, []):
                if c not in found:
                    found.add(c)
                    todo.append(c)
        alive = {p for p in found if (_stat(p) is not None)}
        alive -= {p for p in alive if _state(p) == "Z"}
        if not alive:
            break
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        killed |= alive
        time.sleep(0.005)
    return sorted(killed)


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _reap(procs):
    for p in procs:
        try:
            p.kill()            # killpg (nothing left) + wait: no zombie of ours
        except LabError:
            pass


def read_accept_log(path):
    """The epoch times in failover_service.py's accept log (a line being
    written is skipped until it is complete)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [float(x) for x in text.split("\n")[:-1] if x]


def phase_plan(trials, interval_ms, seed):
    """Where in the check interval each service-failure trial kills the
    service, in ms after a check connected: the midpoints of `trials` equal
    slices of the interval (stratified, so a handful of trials covers it
    evenly), in an order shuffled by `seed`. Every setup of a repetition gets
    the same plan."""
    phases = [(i + 0.5) * interval_ms / trials for i in range(trials)]
    random.Random(seed).shuffle(phases)
    return phases


# --- hosts and their announcers ------------------------------------------------------------
class Host:
    """A host namespace linked to the router, with the anycast address on lo,
    a default route via the router and its service."""

    def __init__(self, lab, router_node, name):
        self.name, self.med = name, MED[name]
        self.node = lab.add_node(name)
        self.link = lab.add_link(router_node, self.node)
        self.ip, self.router_ip = self.link.ip_b(), self.link.ip_a()
        self.node.add_route("0.0.0.0/0", via=self.router_ip)
        self.node.add_address(PREFIX, dev="lo")
        self.cut_file = self.node.path("cut.nft")
        self.cut_file.write_text(CUT_RULES)
        self.accept_log = self.node.path("service-accepts.log")
        self.service = None

    def start_service(self):
        self.service = self.node.popen([sys.executable, SERVICE, ANYCAST, UDP_PORT, TCP_PORT,
                                        self.name, self.accept_log],
                                       name=f"service-{self.name}")
        wait_until(lambda: self.node.run(CHECK_ARGV, check=False).returncode == 0, 10,
                   f"{self.name}'s service answering the check", interval=0.02)

    def check_times(self):
        """Wall-clock times of the connections the service accepted: the
        health checks (and the bench's own probe in start_service)."""
        return read_accept_log(self.accept_log)

    def wait_next_check(self, timeout=5.0):
        """The time of the next check that reaches the service, polled every
        millisecond so that a phase counted from it starts on time."""
        seen = len(self.check_times())
        t = wait_until(lambda: self.check_times()[seen:], timeout,
                       f"the next health check at {self.name}'s service", interval=0.001)
        return t[0]

    def stop_service(self):
        """SIGKILL the service; returns time.time() taken right before."""
        t = time.time()
        self.service.kill()
        return t

    def service_running(self):
        return self.service is not None and self.service.alive()

    def cut(self):
        """Drop every packet in and out of the namespace. Returns (time the
        rule is in place, seconds nft took)."""
        t = time.time()
        self.node.run(["nft", "-f", self.cut_file])
        t1 = time.time()
        return t1, t1 - t

    def uncut(self):
        self.node.run(["nft", "delete", "table", "inet", CUT_TABLE], check=False)


class Announcer:
    key = ""
    bfd = False

    def __init__(self, host, interval_ms, **opts):
        self.host, self.node, self.interval_ms = host, host.node, interval_ms

    def router_neighbor(self):
        return Neighbor(self.host.ip, AS_HOST, bfd=BFD if self.bfd else False,
                        hold_time=HOLD_TIME, name=f"bgp_{self.host.name}", honour_gshut=True)

    def start(self):
        raise NotImplementedError

    def root_pids(self):
        """pids whose sessions hold every process of the announcer."""
        raise NotImplementedError

    def harness_procs(self):
        raise NotImplementedError

    def restart(self):
        """Start again after kill_sessions() (host failure)."""
        _reap(self.harness_procs())
        self.start()

    def maintenance_start(self, withdrawn_at_router):
        raise NotImplementedError

    def maintenance_end(self):
        """Called with the service running again: announce normally."""
        raise NotImplementedError


class FbfdAnnouncer(Announcer):
    key = "fbfd"
    bfd = True

    @staticmethod
    def settings(interval_ms, fbfd_check="exec", **_):
        # exec: the very command the others run. tcp: fbfd's built-in
        # connect check of the same listener (no fork per check).
        kind = ({"type": "exec", "command": CHECK_ARGV} if fbfd_check == "exec" else
                {"type": "tcp", "target": f"127.0.0.1:{TCP_PORT}"})
        return {"check": {**kind, "interval": f"{interval_ms}ms",
                          "timeout": f"{max(1, interval_ms * 8 // 10)}ms",
                          "rise": 1, "fall": 1},
                "bfd": f"{BFD.min_tx} ms x {BFD.multiplier}", "hold_time": f"{HOLD_TIME}s",
                "maintenance": {"drain_time": "10s", "drain_connections": 0},
                "maintenance_procedure": "fbfctl maintenance start --wait; stop the service"}

    def __init__(self, host, interval_ms, **opts):
        super().__init__(host, interval_ms)
        s = self.settings(interval_ms, **opts)
        self.agent = Fbfd(
            self.node, local_as=AS_HOST, router_id=host.ip, log_level="info", metrics=False,
            neighbors=[{"name": "r", "address": host.router_ip, "remote_as": AS_ROUTER,
                        "hold_time": f"{HOLD_TIME}s", "connect_retry": "1s",
                        "bfd": {"min_tx": f"{BFD.min_tx}ms", "min_rx": f"{BFD.min_rx}ms",
                                "multiplier": BFD.multiplier}}],
            services=[{"name": "web", "prefixes": [PREFIX], "med": host.med,
                       "check": s["check"]}],
            # UDP service: no TCP connection to wait for, so the drain ends
            # after its 1 s minimum (the routers moved traffic at the
            # GRACEFUL_SHUTDOWN re-announcement already).
            maintenance=s["maintenance"])

    def start(self):
        self.agent.start()

    def root_pids(self):
        return [self.agent.proc.pid]

    def harness_procs(self):
        return [self.agent.proc] if self.agent.proc else []

    def maintenance_start(self, withdrawn_at_router):
        self._maintenance("start")

    def maintenance_end(self):
        self._maintenance("stop")

    def _maintenance(self, verb):
        cp = self.agent.fbfctl("maintenance", verb, "--wait", json=False, check=False,
                               timeout=30)
        if cp.returncode != 0:
            raise LabError(f"fbfctl maintenance {verb} --wait: exit {cp.returncode}: "
                           f"{cp.stdout}{cp.stderr}")


class BirdScriptAnnouncer(Announcer):
    key = "bird-script"
    bfd = True
    PROTO = "static_ipv4"        # the harness' Bird puts its routes there

    @staticmethod
    def settings(interval_ms, **_):
        return {"check": {"command": CHECK_ARGV, "interval": f"{interval_ms}ms",
                          "rise": 1, "fall": 1, "loop": "failover_watchdog.sh (sh + sleep)"},
                "on_failure": "birdc disable static_ipv4 (session stays up)",
                "bfd": f"{BFD.min_tx} ms x {BFD.multiplier}", "hold_time": f"{HOLD_TIME}s",
                "maintenance_procedure": "birdc disable static_ipv4; wait until the router "
                                         "has withdrawn the route; stop the service"}

    def __init__(self, host, interval_ms, **opts):
        super().__init__(host, interval_ms)
        self.bird = Bird(self.node, asn=AS_HOST, router_id=host.ip,
                         neighbors=[Neighbor(host.router_ip, AS_ROUTER, bfd=BFD,
                                             hold_time=HOLD_TIME, name="bgp_r")],
                         routes=[Route(PREFIX, med=host.med)])
        self.watchdog = None

    def start(self):
        self.bird.start()
        self.watchdog = self.node.popen(
            ["/bin/sh", WATCHDOG, BIRDC, self.bird.sock, self.PROTO,
             f"{self.interval_ms / 1000:g}"] + CHECK_ARGV,
            name=f"watchdog-{self.host.name}", log=self.bird.dir / "watchdog.log")

    def root_pids(self):
        return [p.pid for p in self.harness_procs()]

    def harness_procs(self):
        return [p for p in list(self.bird.procs) + [self.watchdog] if p is not None]

    def maintenance_start(self, withdrawn_at_router):
        # The operator's classic procedure: disable the announcement by hand,
        # watch it leave the router (looking glass / birdc on the router),
        # then stop the service. The watchdog acts on changes only, so it
        # does not re-enable the protocol while the check keeps passing.
        self.bird.birdc(f"disable {self.PROTO}")
        withdrawn_at_router(timeout=10)

    def maintenance_end(self):
        # The service is back: the watchdog saw it fail (-> disable, a no-op)
        # and now pass again (-> enable).
        pass


class ExaBgpHealthcheck(ExaBgp):
    """The harness' ExaBGP plus a `process healthcheck` running ExaBGP's
    bundled healthcheck program. It talks to ExaBGP on its stdout; ExaBGP
    applies a process' commands only to the neighbors whose `api` names it,
    so each neighbor gets a second api block with just that process (no
    messages to the healthcheck, which does not read them)."""

    def __init__(self, node, *, healthcheck_argv, **kw):
        super().__init__(node, **kw)
        self.hc_argv = list(healthcheck_argv)
        self.hc_script = self.dir / "healthcheck.sh"

    def config_text(self):
        return ("process healthcheck {\n"
                f"  run {self.hc_script};\n"
                "  encoder text;\n"
                "}\n\n" + super().config_text().replace(
                    "  api {", "  api {\n    processes [ healthcheck ];\n  }\n  api {"))

    def _write_config(self):
        self.hc_script.write_text("#!/bin/sh\nexec " + shlex.join(map(str, self.hc_argv)) + "\n")
        self.hc_script.chmod(0o755)
        super()._write_config()


class ExaBgpAnnouncer(Announcer):
    key = "exabgp-healthcheck"
    bfd = False

    @staticmethod
    def healthcheck_argv(interval_ms, med, disable_file):
        s = f"{interval_ms / 1000:g}"
        return [SYS_PY, "-m", "exabgp", "healthcheck", "--no-syslog",
                "--no-ack",                  # the harness runs ExaBGP with api.ack = false
                "--interval", s, "--fast-interval", s,
                "--timeout", "1",            # whole seconds (SIGALRM): 1 is the smallest
                "--rise", "1", "--fall", "1",
                "--withdraw-on-down",        # withdraw, not re-announce with a worse MED
                "--no-ip-setup", "--ip", PREFIX, "--up-metric", str(med),
                "--disable", str(disable_file),
                "--cmd", shlex.join(CHECK_ARGV)]

    @classmethod
    def settings(cls, interval_ms, **_):
        argv = cls.healthcheck_argv(interval_ms, "<MED>", "<host dir>/disable")
        return {"healthcheck": " ".join(shlex.quote(a) for a in argv[1:]),
                "bfd": None, "hold_time": f"{HOLD_TIME}s (no BFD in ExaBGP)",
                "maintenance_procedure": "touch the --disable file; wait until the router "
                                         "has withdrawn the route; stop the service"}

    def __init__(self, host, interval_ms, **opts):
        super().__init__(host, interval_ms)
        self.disable_file = self.node.path("healthcheck-disable")
        self.exa = ExaBgpHealthcheck(
            self.node, asn=AS_HOST, router_id=host.ip,
            neighbors=[Neighbor(host.router_ip, AS_ROUTER, hold_time=HOLD_TIME)],
            healthcheck_argv=self.healthcheck_argv(interval_ms, host.med, self.disable_file))

    def start(self):
        self.exa.start()

    def root_pids(self):
        return [p.pid for p in self.exa.procs]

    def harness_procs(self):
        return list(self.exa.procs)

    def maintenance_start(self, withdrawn_at_router):
        self.disable_file.write_text("")
        withdrawn_at_router(timeout=10)

    def maintenance_end(self):
        self.disable_file.unlink()


ANNOUNCERS = {c.key: c for c in (FbfdAnnouncer, BirdScriptAnnouncer, ExaBgpAnnouncer)}


# --- the lab -----------------------------------------------------------------------------------
class FailoverLab:
    def __init__(self, lab, setup, interval_ms, **opts):
        self.lab, self.setup = lab, setup
        self.client = lab.add_node("c")
        r = lab.add_node("r", router=True)
        cl = lab.add_link(r, self.client)
        self.client.add_route("0.0.0.0/0", via=cl.ip_a())
        self.hosts = {n: Host(lab, r, n) for n in ("a", "b")}
        self.ann = {n: ANNOUNCERS[setup](h, interval_ms, **opts) for n, h in self.hosts.items()}
        self.router = Bird(r, asn=AS_ROUTER, router_id=cl.ip_a(), kernel=True, trace_routes=True,
                           neighbors=[a.router_neighbor() for a in self.ann.values()])
        self.a = self.hosts["a"]
        self.rng = random.Random()
        self.clock_offset_ms = None

    def start(self):
        t_before = time.time()
        self.router.start()
        t_after = time.time()
        self.check_clock(t_before, t_after)
        for n in ("a", "b"):
            self.hosts[n].start_service()
            self.ann[n].start()
        for h in self.hosts.values():
            self.router.wait_established(h.ip, timeout=40)
        self.wait_a_preferred(timeout=30)

    def check_clock(self, t_before, t_after):
        """BIRD's log clock against time.time(): its "Started" line must fall
        between the two (5 ms slack for BIRD's cached loop time)."""
        for line in self.router.logfile.read_text(errors="replace").splitlines():
            if line.endswith("<INFO> Started"):
                ts = datetime.datetime.strptime(" ".join(line.split()[:2]),
                                                "%Y-%m-%d %H:%M:%S.%f").timestamp()
                self.clock_offset_ms = (ts - t_before) * 1000
                if not t_before - 0.005 <= ts <= t_after + 0.005:
                    raise LabError(f"BIRD's log clock is off: Started at {ts:.6f}, "
                                   f"started it between {t_before:.6f} and {t_after:.6f}")
                return
        raise LabError("no 'Started' line in the router's log")

    # router state ------------------------------------------------------------------------------
    def a_present(self):
        return PREFIX in self.router.birdc("show route protocol bgp_a")

    def a_preferred(self):
        best = self.router.routes("ipv4").get(PREFIX)
        return bool(best) and best["protocol"] == "bgp_a" and best["med"] == MED["a"] \
            and GSHUT not in (best["communities"] or [])

    def wait_a_preferred(self, timeout=40):
        wait_until(self.a_preferred, timeout, "a's route best at the router", interval=0.05)
        if self.ann["a"].bfd:
            wait_until(lambda: self.router.bfd_sessions().get(self.a.ip, {}).get("state"),
                       timeout, "BFD with a Up at the router", expect="Up", interval=0.05)

    def wait_a_gone(self, timeout):
        wait_until(lambda: not self.a_present(), timeout,
                   "a's route removed at the router", interval=0.01)

    def removals(self):
        """Wall-clock times (epoch s) of a's route leaving the router's RIB,
        from BIRD's route trace ('>' = import into the table)."""
        pat = re.compile(r"^(\S+ \S+) <TRACE> bgp_a(?:\.\S+)? > removed\S* .*?"
                         + re.escape(PREFIX) + r"(?!\d)")
        out = []
        for line in self.router.logfile.read_text(errors="replace").splitlines():
            m = pat.match(line)
            if m:   # BIRD logs local time, as datetime.timestamp() reads a naive one
                out.append(datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
                           .timestamp())
        return out

    def removal_after(self, n_before, t0):
        ev = wait_until(lambda: self.removals()[n_before:], 3, "the removal in BIRD's log",
                        interval=0.02)
        return (ev[0] - t0) * 1000.0

    # recovery --------------------------------------------------------------------------------
    def recover(self):
        """Back to the starting state after a failed trial."""
        self.a.uncut()
        ann = self.ann["a"]
        if not all(p.alive() for p in ann.harness_procs()) or not ann.harness_procs():
            kill_sessions(ann.root_pids())
            ann.restart()
        if not self.a.service_running():
            self.a.start_service()
        if isinstance(ann, ExaBgpAnnouncer) and ann.disable_file.exists():
            ann.disable_file.unlink()
        if isinstance(ann, BirdScriptAnnouncer):
            ann.bird.birdc(f"enable {ann.PROTO}", check=False)
        if isinstance(ann, FbfdAnnouncer):
            ann.agent.fbfctl("maintenance", "stop", "--wait", json=False, check=False,
                             timeout=30)
        self.wait_a_preferred(timeout=40)

    # scenarios -------------------------------------------------------------------------------
    def settle(self):
        """Wait a random 0.3..1.3 s: the action then falls at a random phase of
        the check schedule, the BFD and keepalive timers (otherwise the
        waits before it would lock it to the moment the route came back)."""
        d = self.rng.uniform(0.3, 1.3)
        time.sleep(d)
        return d

    def service_failure(self, phase_ms):
        """Kill a's service phase_ms after a check reached it."""
        self.wait_a_preferred()
        delay = self.settle()
        if not self.a_preferred():
            raise LabError("a's route moved before the action")
        n0 = len(self.removals())
        t_check = self.a.wait_next_check()
        time.sleep(max(0.0, t_check + phase_ms / 1000.0 - time.time()))
        t0 = self.a.stop_service()
        self.wait_a_gone(10)
        ms = self.removal_after(n0, t0)
        self.a.start_service()
        self.wait_a_preferred()
        return {"ms": ms, "delay_s": delay, "planned_phase_ms": phase_ms,
                "phase_ms": (t0 - t_check) * 1000.0}

    def host_failure(self):
        ann = self.ann["a"]
        self.wait_a_preferred()
        delay = self.settle()
        if not self.a_preferred():
            raise LabError("a's route moved before the action")
        n0 = len(self.removals())
        roots = ann.root_pids()
        t0, nft_s = self.a.cut()
        killed = kill_sessions(roots)
        t_killed = time.time()
        self.wait_a_gone(20)
        ms = self.removal_after(n0, t0)
        self.a.uncut()
        ann.restart()
        self.router.wait_established(self.a.ip, timeout=40)
        self.wait_a_preferred(timeout=40)
        return {"ms": ms, "delay_s": delay, "nft_ms": nft_s * 1000,
                "kill_ms": (t_killed - t0) * 1000, "killed": len(killed)}

    def maintenance(self):
        ann = self.ann["a"]
        self.wait_a_preferred()
        out = self.client.path("probe.json")
        if out.exists():
            out.unlink()
        prober = self.client.popen([sys.executable, PROBE, "probe", ANYCAST, UDP_PORT,
                                    PROBE_INTERVAL_MS, out], name="probe")
        try:
            time.sleep(0.5)                                 # traffic flows to a
            t_start = time.monotonic()
            ann.maintenance_start(self.wait_a_gone)
            t_done = time.monotonic()
            withdrawn = not self.a_present()
            self.a.stop_service()
            time.sleep(0.5)                                 # traffic goes on (to b)
        finally:
            prober.stop(timeout=5)
        data = json.loads(out.read_text())
        seen = {}
        for seq, name, t_send, _ in data["replies"]:
            seen.setdefault(seq, name)
        lost = [s for s in range(data["sent"]) if s not in seen]
        order = [seen[s] for s in sorted(seen)]
        self.a.start_service()
        ann.maintenance_end()
        self.wait_a_preferred()
        if not order or order[0] != "a" or order[-1] != "b":
            raise LabError(f"traffic did not go a -> b: first {order[:1]}, last {order[-1:]}")
        return {"lost": len(lost), "ms_lost": len(lost) * data["interval_ms"],
                "sent": data["sent"], "lost_seqs": lost[:50],
                "answered_by_a": order.count("a"), "answered_by_b": order.count("b"),
                "first": order[0] if order else None, "last": order[-1] if order else None,
                "procedure_s": t_done - t_start, "withdrawn_when_service_stopped": withdrawn}


# --- driver ------------------------------------------------------------------------------------
SCENARIOS = ("service", "maintenance", "host")


def _one_rep(setup, trials, interval_ms, log, rep=0, **opts):
    res = {s: [] for s in SCENARIOS}
    res["errors"] = []
    phases = phase_plan(trials, interval_ms, seed=rep)
    with Lab(f"fo-{setup}") as lab:
        fl = FailoverLab(lab, setup, interval_ms, **opts)
        fl.start()
        res["clock_offset_ms"] = fl.clock_offset_ms
        trial = {"service": lambda i: fl.service_failure(phases[i]),
                 "host": lambda i: fl.host_failure(),
                 "maintenance": lambda i: fl.maintenance()}
        for scen in SCENARIOS:
            for i in range(trials):
                try:
                    sample = trial[scen](i)
                except Exception as exc:   # noqa: BLE001 - recorded, the run goes on
                    msg = f"{setup} {scen} trial {i + 1}: {type(exc).__name__}: {exc}"
                    log(f"  ! {msg}")
                    res["errors"].append(msg)
                    res[scen].append(None)
                    try:
                        fl.recover()
                    except Exception as exc2:  # noqa: BLE001
                        res["errors"].append(f"{setup}: recovery failed, rest of the "
                                             f"repetition skipped: {exc2}")
                        log(f"  ! recovery failed: {exc2}")
                        return res
                    continue
                res[scen].append(sample)
                shown = (f"{sample['ms']:.0f} ms" if "ms" in sample
                         else f"{sample['lost']} lost of {sample['sent']}")
                if "phase_ms" in sample:
                    shown += f" (killed {sample['phase_ms']:.0f} ms after a check)"
                log(f"  {setup} {scen} trial {i + 1}: {shown}")
    return res


def phase_paired_differences(mine, theirs):
    """Service-failure latency of one setup minus another's, trial by trial:
    the trials of the same repetition with the same planned phase (the
    same luck) are paired. mine, theirs: per repetition, the list of
    samples (None for a failed trial)."""
    out = []
    for rep_mine, rep_theirs in zip(mine, theirs):
        by_phase = {t["planned_phase_ms"]: t["ms"] for t in rep_theirs if t is not None}
        out += [t["ms"] - by_phase[t["planned_phase_ms"]] for t in rep_mine
                if t is not None and t["planned_phase_ms"] in by_phase]
    return out


def _median_of(samples, key):
    v = [s[key] for s in samples if s is not None]
    return common.median(v) if v else None


def run(reps=3, trials=5, setups=SETUPS, log=print, interval_ms=DEFAULT_INTERVAL_MS,
        fbfd_check="exec"):
    """Measure every setup `reps` times, `trials` of each scenario per
    repetition. Returns (rows, raw): rows as common.Row (values = the median
    over the trials of each repetition), raw = every sample.

    interval_ms: the health check interval, one number for every setup or
    {setup: ms} (missing setups: DEFAULT_INTERVAL_MS). fbfd_check: "exec"
    (the same command as the others, default) or "tcp" (fbfd's built-in
    check of the same listener)."""
    if fbfd_check not in ("exec", "tcp"):
        raise ValueError(f"fbfd_check {fbfd_check!r}: exec or tcp")
    ivl = (dict(interval_ms) if isinstance(interval_ms, dict)
           else {s: interval_ms for s in SETUPS})
    ivl = {s: int(ivl.get(s, DEFAULT_INTERVAL_MS)) for s in SETUPS}
    if os.geteuid() != 0:
        raise LabError("failover bench needs root (network namespaces)")
    common.use_build_dir(common.build_dir())
    setups = tuple(setups)
    unknown = [s for s in setups if s not in ANNOUNCERS]
    if unknown:
        raise ValueError(f"unknown setups {unknown}; known: {list(ANNOUNCERS)}")
    raw = {"interval_ms": {s: ivl[s] for s in setups}, "fbfd_check": fbfd_check,
           "trials": trials, "reps": reps,
           "check_command": CHECK_ARGV, "probe_interval_ms": PROBE_INTERVAL_MS,
           "build_dir": str(common.build_dir()),
           "settings": {s: ANNOUNCERS[s].settings(ivl[s], fbfd_check=fbfd_check)
                        for s in setups},
           "samples": {s: [] for s in setups}}
    for rep in range(reps):
        for setup in setups:
            log(f"[failover] repetition {rep + 1}/{reps}: {setup}")
            t = time.monotonic()
            try:
                res = _one_rep(setup, trials, ivl[setup], log, rep=rep, fbfd_check=fbfd_check)
            except Exception as exc:   # noqa: BLE001 - the lab did not come up
                log(f"  ! {setup}: {type(exc).__name__}: {exc}")
                res = {s: [] for s in SCENARIOS}
                res["errors"] = [f"{setup} lab: {type(exc).__name__}: {exc}"]
            res["seconds"] = round(time.monotonic() - t, 1)
            if res.get("clock_offset_ms") is not None:
                log(f"  BIRD log clock: 'Started' {res['clock_offset_ms']:.1f} ms after "
                    "time.time() before starting it")
            raw["samples"][setup].append(res)

    def per_rep(scen, key):
        return {s: [_median_of(r[scen], key) for r in raw["samples"][s]] for s in setups}

    same = len({ivl[s] for s in setups}) == 1
    every = (f"every {ivl[setups[0]]} ms" if same else "every " + ", ".join(
        f"{ivl[s]} ms ({s})" for s in setups))
    settings_note = (
        f"Same check everywhere: `{shlex.join(CHECK_ARGV)}` (TCP connect to the service's "
        f"listener) {every}, rise = fall = 1. fbfd: "
        + ("exec check of that command. " if fbfd_check == "exec" else
           "its built-in tcp check of the same listener (no fork). ")
        + "bird-script: BIRD 2 + failover_watchdog.sh loop calling `birdc disable/enable "
        "static_ipv4`. exabgp-healthcheck: `python3 -m exabgp healthcheck --interval/"
        "--fast-interval <interval> --rise 1 --fall 1 --withdraw-on-down`. "
        f"Median of {trials} trials per repetition; time.time() at the action to BIRD's "
        "route-trace timestamp of the removal at the router.")
    errors = {s: sum(len(r["errors"]) for r in raw["samples"][s]) for s in setups}
    err_note = ("" if not any(errors.values()) else
                " Failed trials: " + ", ".join(f"{s} {n}" for s, n in errors.items() if n)
                + " (see raw).")
    extra = {"trials": trials, "interval_ms": {s: ivl[s] for s in setups},
             "fbfd_check": fbfd_check}
    paired = {}
    if "fbfd" in setups:
        for s in setups:
            d = phase_paired_differences([r["service"] for r in raw["samples"]["fbfd"]],
                                         [r["service"] for r in raw["samples"][s]])
            if s != "fbfd" and d:
                paired[s] = d
    raw["service_fbfd_minus_other_by_phase_ms"] = paired
    paired_note = "".join(
        f" Paired by phase, fbfd − {s}: {min(d):+.0f} to {max(d):+.0f} ms, median "
        f"{common.median(d):+.0f} ({len(d)} pairs)." for s, d in paired.items())
    rows = [
        common.Row(section=SECTION, metric="service failure → route gone at router (ms)",
                   unit="ms", better="lower", values=per_rep("service", "ms"), ratio=True,
                   note=("The service the check probes is SIGKILLed, at planned phases after "
                         "a check reached it: the midpoints of equal slices of the interval, "
                         "the same phases in the same order for every setup. "
                         + settings_note + paired_note + err_note),
                   extra=extra),
        common.Row(section=SECTION, metric="host failure → route gone at router (ms)",
                   unit="ms", better="lower", values=per_rep("host", "ms"), ratio=True,
                   note=("Power loss: nftables drops all traffic of the host's namespace, then "
                         "every process of the announcer is SIGKILLed; event time = `nft -f` "
                         f"returned. fbfd and bird-script: BFD {BFD.min_tx} ms × "
                         f"{BFD.multiplier} with the router (BIRD 2); exabgp-healthcheck: no "
                         f"BFD in ExaBGP, BGP hold time {HOLD_TIME} s (the minimum)."
                         + err_note),
                   extra=extra),
    ]
    maint_vals = per_rep("maintenance", "lost")
    fb = common.clean(maint_vals.get("fbfd", []))
    maint_note = (
        f"UDP probes every {PROBE_INTERVAL_MS} ms through the router to an anycast address "
        "announced by a (MED 10, preferred) and b (MED 20); a is taken out, then its service "
        "stopped. fbfd: `fbfctl maintenance start --wait` (RFC 8326 drain, drain_connections "
        "= 0: 1 s), then stop. bird-script: `birdc disable static_ipv4`, wait for the "
        "withdrawal at the router, stop. exabgp-healthcheck: touch its --disable file, wait "
        "for the withdrawal at the router, stop. Median of the trials per repetition."
        + err_note)
    rows += [
        common.Row(section=SECTION, metric="maintenance → probes lost", unit="probes",
                   better="lower", values=maint_vals, ratio=False,
                   target=common.Target("fbfd: 0 lost", ok=(all(v == 0 for v in fb)
                                                           if fb else None)),
                   note=maint_note, extra=extra),
        common.Row(section=SECTION, metric="maintenance → ms of traffic lost", unit="ms",
                   better="lower", values=per_rep("maintenance", "ms_lost"), ratio=False,
                   note=f"probes lost × {PROBE_INTERVAL_MS} ms.", extra=extra),
    ]
    return rows, raw


# --- standalone ----------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--setups", default=",".join(SETUPS),
                    help="comma-separated subset of " + ",".join(SETUPS))
    ap.add_argument("--interval-ms", type=int, default=DEFAULT_INTERVAL_MS,
                    help="health check interval of every setup (default %(default)s)")
    ap.add_argument("--fbfd-interval-ms", type=int,
                    help="fbfd's own check interval (default: --interval-ms)")
    ap.add_argument("--fbfd-check", choices=("exec", "tcp"), default="exec",
                    help="exec: the same command as the others (default); tcp: fbfd's "
                         "built-in check of the same listener")
    ap.add_argument("--json", help="write rows and raw samples to this file")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("needs root: sudo bench/compare/failover.py ...")
    ivl = {s: args.interval_ms for s in SETUPS}
    if args.fbfd_interval_ms:
        ivl["fbfd"] = args.fbfd_interval_ms
    rows, raw = run(args.reps, args.trials, [s for s in args.setups.split(",") if s],
                    interval_ms=ivl, fbfd_check=args.fbfd_check)
    import report
    print()
    print(report.section_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": [r.to_json() for r in rows], "raw": raw},
                                              indent=1, default=str))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
