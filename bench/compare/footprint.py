#!/usr/bin/python3
"""Footprint: idle RSS and CPU, binary size, start-up time — fbfd vs BIRD 2,
FRR, GoBGP and ExaBGP.

1. Idle, 10 sessions @300 ms. Per measured daemon a fresh lab: namespace `h`
   (the host, running the measured daemon) and `r` (the router, always BIRD
   2), one veth with 10 address pairs (r 192.0.2.1-10/24, h
   192.0.2.101-110/24). One eBGP session per pair (hold time 90 s) with BFD
   300 ms x 3 (single hop); the host announces one prefix per session
   (203.0.113.16*i/28 to session i only, so the router holds 10 routes).
   GoBGP and ExaBGP have no BFD: the same 10 BGP sessions without BFD (the
   router then runs no BFD either). Once the router sees every session
   Established (and BFD Up) and `settle` seconds have passed, CPU seconds
   (run time from schedstat, to the ns: fbflab.procfs.cpu_seconds) are summed over all the daemon's processes
   over `idle_seconds` -> % of one core; VmRSS (and VmHWM) summed at the end
   -> MiB. Processes: fbfd; bird; FRR zebra+bfdd+bgpd (what FRR needs for
   the job; this FRR 8.4 has no mgmtd, staticd is not needed and not
   started); gobgpd; ExaBGP's python process (the lab's own API helper that
   ExaBGP spawns, exabgp_api.py, is reported separately, not counted).
2. Binary size: bytes on disk of what each daemon needs to run (fbfd from
   $FBF_BUILD_DIR, also stripped with `strip -o`; FRR: bgpd+bfdd+zebra and
   libfrr.so; ExaBGP: its python package directory, interpreter extra), and
   separately the shared libraries each links (ldd, deduplicated). Then the
   same as Debian ships each daemon: the others are the Debian packages
   installed here; fbfd is /usr/sbin/fbfd of the fbf_*.deb that
   scripts/build-deb builds from this tree (shared libraries, link-time
   optimization; --deb names one already built, --no-deb leaves these rows
   out).
3. Start-up: from exec of the daemon (its first process, taken just before
   the fork) to the BFD session Up as the router records it (BIRD's own
   state-change time from `show bfd sessions`, printed as epoch seconds
   with microseconds), one session at 300 ms x 3, a fresh lab and a freshly
   started router per try; GoBGP/ExaBGP (and, as a second row, every
   daemon): to BGP Established at the router. The router sends at the 1 s
   slow rate until Up (RFC 5880 §6.8.3) and answers a Poll at once (§6.8.7):
   a daemon that waits for the router's packets has a ~1 s jitter, one that
   polls while not Up (fbfd) does not. `startup_tries` tries per
   repetition, the median is the repetition's value.

Everything is repeated `reps` times with the daemon order rotated, one lab
at a time (nothing measured concurrently).

    sudo FBF_BUILD_DIR=build-perf bench/compare/footprint.py --reps 1 --idle-seconds 10
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also puts tests/lab and bench/bfd_scale on sys.path)
from common import DAEMON_NAMES, Row, Target  # noqa: E402

SECTION = "footprint"
DAEMONS = ("fbfd", "bird", "frr", "gobgp", "exabgp")
BFD_DAEMONS = ("fbfd", "bird", "frr")
N_SESSIONS = 10
INTERVAL_MS = 300
MULT = 3
HOLD_TIME = 90
HOST_AS, ROUTER_AS = 65001, 65000
RSS_TARGET_MIB = 8.0
MIB = 1024 * 1024

FRR_DIR = os.environ.get("FBF_FRR_DIR", "/usr/lib/frr")
FRR_PROGRAMS = ("zebra", "bfdd", "bgpd")
EXABGP_HELPER = "exabgp_api.py"

M_RSS = f"idle RSS, {N_SESSIONS} sessions @{INTERVAL_MS} ms (MiB)"
M_ANON = f"idle RSS, anonymous part, {N_SESSIONS} sessions @{INTERVAL_MS} ms (MiB)"
M_HWM = f"idle peak RSS (VmHWM), {N_SESSIONS} sessions @{INTERVAL_MS} ms (MiB)"
M_CPU = f"idle CPU, {N_SESSIONS} sessions @{INTERVAL_MS} ms (% of a core)"
M_CPU_PAIRED = f"idle CPU ÷ the router's in the same window, {N_SESSIONS} sessions @{INTERVAL_MS} ms"
M_WAKEUPS = f"idle wake-ups, {N_SESSIONS} sessions @{INTERVAL_MS} ms (per second)"
M_BIN = "binary size (MiB)"
M_BIN_STRIPPED = "binary size, stripped (MiB)"
M_LIBS = "shared libraries linked (MiB)"
M_BIN_DEB = "binary size, Debian package (MiB)"
M_BIN_LIBS_DEB = "binary + shared libraries, Debian package (MiB)"
M_START_BFD = "start-up to BFD Up (s)"
M_START_BGP = "start-up to BGP Established (s)"


# --- addresses ------------------------------------------------------------------------------
def router_addr(i):
    return f"192.0.2.{1 + i}"


def host_addr(i):
    return f"192.0.2.{101 + i}"


def prefix(i):
    return f"203.0.113.{16 * i}/28"


# --- processes --------------------------------------------------------------------------------
def _children_map():
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def process_tree(roots):
    """The root pids and all their descendants that are alive."""
    kids, out, todo = _children_map(), [], list(roots)
    while todo:
        pid = todo.pop()
        if pid in out or not os.path.exists(f"/proc/{pid}"):
            continue
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def smaps_top(pid, n=8):
    """smaps_rollup (kB) and the n mappings with most Rss, grouped by name."""
    out = {"rollup": {}, "top": []}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                out["rollup"][k.strip()] = int(v.split()[0])
        by_name, name = {}, None
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            f = line.split()
            if f and "-" in f[0] and len(f) >= 5 and ":" not in f[0]:
                name = f[5] if len(f) > 5 else "[anon]"
            elif f and f[0] in ("Rss:", "Private_Dirty:") and name is not None:
                d = by_name.setdefault(name, {"rss_kib": 0, "private_dirty_kib": 0})
                d["rss_kib" if f[0] == "Rss:" else "private_dirty_kib"] += int(f[1])
        out["top"] = sorted(({"mapping": k, **v} for k, v in by_name.items()),
                            key=lambda d: -d["rss_kib"])[:n]
    except OSError as exc:
        out["error"] = str(exc)
    return out


def sample(pids):
    """{pid: {"cpu_s", "rss_kib", "hwm_kib"}} of the pids still alive."""
    out = {}
    for pid in pids:
        try:
            st = common.proc_status(pid)
            out[pid] = {"cpu_s": common.cpu_seconds(pid), "slices": common.timeslices(pid) or 0,
                        "voluntary": st.get("voluntary_ctxt_switches", 0),
                        "preempted": st.get("nonvoluntary_ctxt_switches", 0),
                        "rss_kib": st.get("VmRSS", 0),
                        "hwm_kib": st.get("VmHWM", 0),
                        **rss_split_kib(pid)}
        except (OSError, ValueError, IndexError):
            pass
    return out


def rss_split_kib(pid):
    """{"anon_kib", "file_kib"}: RssAnon (heap, stacks: the process's own
    memory) and RssFile (mapped binary and libraries, shared with every
    other process mapping them) from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                out[key] = int(rest.split()[0])
    return {"anon_kib": out.get("RssAnon", 0),
            "file_kib": out.get("RssFile", 0) + out.get("RssShmem", 0)}


def loadavg():
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


# --- the lab's peers, extended -------------------------------------------------------------------
_CLASSES = {}


def classes():
    """Subclasses of the lab peers (imported late: fbflab.fbfd reads
    $FBF_BUILD_DIR at import)."""
    if _CLASSES:
        return _CLASSES
    from fbflab import Bird, ExaBgp, Frr, GoBgp
    from fbflab.fbfd import Fbfd
    from fbflab.peers.exabgp import API_HELPER, _route_line

    class ExecStamp:
        """Records time.time() just before the daemon's first process is forked."""
        t_exec = None

        def _start_processes(self):
            self.t_exec = time.time()
            super()._start_processes()

    class RouterBird(Bird):
        """The router: BIRD 2 printing protocol/BFD state-change times as
        epoch seconds with microseconds (one token, so the readers still parse)."""

        def config_text(self):
            return 'timeformat protocol "%s.%6f";\n' + super().config_text()

        def route_count(self):
            """(routes, networks) in master4, all paths (not only the best)."""
            import re
            m = re.search(r"(\d+) of (\d+) routes for (\d+) networks",
                          self.birdc("show route count table master4"))
            return (int(m.group(2)), int(m.group(3))) if m else None

    class HostFbfd(Fbfd):
        t_exec = None

        def write_config(self):     # start(): write_config() then fork + exec
            path = super().write_config()
            self.t_exec = time.time()
            return path

    class HostBird(ExecStamp, Bird):
        """BIRD sending route i to session i only."""
        out_prefix = {}

        def _bgp_protocol(self, n):
            lines = super()._bgp_protocol(n)
            p = self.out_prefix[n.address]
            return [line.replace("export filter export_ipv4;",
                                 f"export where source = RTS_STATIC && net = {p};")
                    for line in lines]

    class HostFrr(ExecStamp, Frr):
        """FRR sending route i to session i only (an outbound prefix-list each)."""
        out_prefix = {}

        def config_texts(self):
            texts = super().config_texts()
            plists, lines = [], []
            for line in texts["bgpd"].splitlines():
                lines.append(line)
                f = line.split()
                if len(f) == 3 and f[0] == "neighbor" and f[2] == "activate":
                    i = len(plists)
                    plists.append(f"ip prefix-list FP_OUT{i} seq 5 permit "
                                  f"{self.out_prefix[f[1]]}")
                    lines.append(f"  neighbor {f[1]} prefix-list FP_OUT{i} out")
            at = next(k for k, line in enumerate(lines) if line.startswith("router bgp"))
            texts["bgpd"] = "\n".join(lines[:at] + plists + lines[at:]) + "\n"
            return texts

    class HostGoBgp(ExecStamp, GoBgp):
        """GoBGP with a global export policy: route i to neighbor i only
        (GoBGP's neighbor-set matches the destination on export)."""
        out_prefix = {}

        def config_text(self):
            out = [super().config_text(), "[global.apply-policy.config]",
                   '  export-policy-list = ["fp-out"]',
                   '  default-export-policy = "reject-route"', ""]
            for i, (nbr, p) in enumerate(sorted(self.out_prefix.items())):
                out += ["[[defined-sets.prefix-sets]]", f'  prefix-set-name = "fp-p{i}"',
                        "  [[defined-sets.prefix-sets.prefix-list]]",
                        f'    ip-prefix = "{p}"',
                        "[[defined-sets.neighbor-sets]]", f'  neighbor-set-name = "fp-n{i}"',
                        f'  neighbor-info-list = ["{nbr}"]', ""]
            out += ["[[policy-definitions]]", '  name = "fp-out"']
            for i, _ in enumerate(sorted(self.out_prefix)):
                out += ["  [[policy-definitions.statements]]", f'    name = "fp-s{i}"',
                        "    [policy-definitions.statements.conditions.match-prefix-set]",
                        f'      prefix-set = "fp-p{i}"',
                        "    [policy-definitions.statements.conditions.match-neighbor-set]",
                        f'      neighbor-set = "fp-n{i}"',
                        "    [policy-definitions.statements.actions]",
                        '      route-disposition = "accept-route"']
            return "\n".join(out) + "\n"

    class HostExaBgp(ExecStamp, ExaBgp):
        """ExaBGP with route i in session i's static block only."""
        out_prefix = {}

        def config_text(self):
            py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
            out = ["process lab-api {", f"  run {py} {API_HELPER} {self.events} {self.fifo};",
                   "  encoder json;", "}", ""]
            by_prefix = {r.prefix: r for r in self.routes_out}
            for n in self.neighbors:
                out += [f"neighbor {n.address} {{", f"  router-id {self.router_id};",
                        f"  local-address {self.local_address_for(n)};",
                        f"  local-as {self.asn};", f"  peer-as {n.remote_as};",
                        f"  hold-time {n.hold_time};", "  family {", "    ipv4 unicast;",
                        "  }", "  api {", "    processes [ lab-api ];",
                        "    neighbor-changes;", "    receive { parsed; update; }", "  }",
                        "  static {",
                        f"    {_route_line(by_prefix[self.out_prefix[n.address]])};",
                        "  }", "}", ""]
            return "\n".join(out)

    _CLASSES.update(router=RouterBird, fbfd=HostFbfd, bird=HostBird, frr=HostFrr,
                    gobgp=HostGoBgp, exabgp=HostExaBgp)
    return _CLASSES


class Measured:
    """One measured daemon in the host node with n sessions towards the router."""

    def __init__(self, kind, node, n):
        from fbflab import Bfd, Neighbor, Route
        self.kind, self.n = kind, n
        cls = classes()[kind]
        bfd = kind in BFD_DAEMONS
        if kind == "fbfd":
            nbrs = [{"name": f"r{i}", "address": router_addr(i), "remote_as": ROUTER_AS,
                     "local_address": host_addr(i), "families": ["ipv4-unicast"],
                     "hold_time": f"{HOLD_TIME}s",
                     "bfd": {"min_tx": f"{INTERVAL_MS}ms", "min_rx": f"{INTERVAL_MS}ms",
                             "multiplier": MULT}} for i in range(n)]
            services = [{"name": f"s{i}", "prefixes": [prefix(i)], "neighbors": [f"r{i}"],
                         "manage_addresses": False} for i in range(n)]
            # log_level info: the default (debug, the lab's) would cost CPU.
            self.daemon = cls(node, local_as=HOST_AS, router_id=host_addr(0), neighbors=nbrs,
                              services=services, log_level="info")
            return
        timers = Bfd(min_tx=INTERVAL_MS, min_rx=INTERVAL_MS, multiplier=MULT) if bfd else False
        nbrs = [Neighbor(router_addr(i), ROUTER_AS, local_address=host_addr(i), bfd=timers,
                         hold_time=HOLD_TIME, name=f"r{i}") for i in range(n)]
        self.daemon = cls(node, asn=HOST_AS, router_id=host_addr(0), neighbors=nbrs,
                          routes=[Route(prefix(i)) for i in range(n)])
        self.daemon.out_prefix = {router_addr(i): prefix(i) for i in range(n)}

    def start(self):
        if self.kind == "fbfd":
            self.daemon.start(timeout=20)
        else:
            self.daemon.start(timeout=30)
        return self

    @property
    def t_exec(self):
        return self.daemon.t_exec

    def roots(self):
        if self.kind == "fbfd":
            return {"fbfd": self.daemon.proc.pid}
        return {p.name.split("/")[-1]: p.pid for p in self.daemon.procs}

    def pids(self):
        """({pid: label} counted, {pid: label} excluded (the lab's ExaBGP API helper))."""
        counted, excluded = {}, {}
        for label, root in self.roots().items():
            for pid in process_tree([root]):
                cmd = cmdline(pid)
                name = label if pid == root else f"{label}/child:{Path(cmd.split()[0]).name if cmd else pid}"
                (excluded if EXABGP_HELPER in cmd else counted)[pid] = name
        return counted, excluded


def make_router(node, n, bfd):
    from fbflab import Bfd, Neighbor
    timers = Bfd(min_tx=INTERVAL_MS, min_rx=INTERVAL_MS, multiplier=MULT) if bfd else False
    nbrs = [Neighbor(host_addr(i), HOST_AS, local_address=router_addr(i), bfd=timers,
                     hold_time=HOLD_TIME, name=f"h{i}") for i in range(n)]
    return classes()["router"](node, asn=ROUTER_AS, router_id=router_addr(0), neighbors=nbrs,
                               name="router")


def build_lab(lab, n):
    r, h = lab.add_node("r"), lab.add_node("h")
    lab.add_link(r, h, a_addrs=[f"{router_addr(i)}/24" for i in range(n)],
                 b_addrs=[f"{host_addr(i)}/24" for i in range(n)],
                 a_ifname="to-h", b_ifname="to-r")
    return r, h


def router_state(router, n, bfd):
    """(#Established, #BFD Up) at the router."""
    sessions = router.bgp_sessions()
    est = sum(1 for i in range(n) if sessions.get(host_addr(i), {}).get("state") == "Established")
    up = 0
    if bfd:
        sess = router.bfd_sessions()
        up = sum(1 for i in range(n) if sess.get(host_addr(i), {}).get("state") == "Up")
    return est, up


def _epoch(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


# --- the packaged service user -------------------------------------------------------------------
SERVICE_USER = "_fbf"


@contextlib.contextmanager
def service_user(node):
    """fbfd as packaged: the Debian postinst creates the system user `_fbf`
    and fbfd switches to it at start. This host may have no such user; then
    fbfd stays root and glibc walks nsswitch past `files` and maps
    libnss_systemd (~0.3 MiB) looking for it — a lab artefact, not what a
    user runs. So, in the host namespace's view only (`ip netns exec`
    bind-mounts /etc/netns/NS/* over /etc), passwd and group gain the user;
    the machine's own files stay untouched and the overlay goes at exit."""
    etc = Path("/etc/netns") / node.ns
    present = any(line.split(":", 1)[0] == SERVICE_USER
                  for line in Path("/etc/passwd").read_text().splitlines())
    if present:
        yield
        return
    uids = {int(line.split(":")[2]) for line in Path("/etc/passwd").read_text().splitlines()
            if line.count(":") >= 3}
    gids = {int(line.split(":")[2]) for line in Path("/etc/group").read_text().splitlines()
            if line.count(":") >= 3}
    uid = next(i for i in range(999, 100, -1) if i not in uids and i not in gids)
    etc.mkdir(parents=True, exist_ok=True)
    try:
        (etc / "passwd").write_text(Path("/etc/passwd").read_text().rstrip("\n") + "\n"
                                    + f"{SERVICE_USER}:x:{uid}:{uid}::/nonexistent:"
                                    "/usr/sbin/nologin\n")
        (etc / "group").write_text(Path("/etc/group").read_text().rstrip("\n") + "\n"
                                   + f"{SERVICE_USER}:x:{uid}:\n")
        yield
    finally:
        for f in ("passwd", "group"):
            (etc / f).unlink(missing_ok=True)
        try:
            etc.rmdir()
        except OSError:
            pass


# --- 1. idle --------------------------------------------------------------------------------------
def fbfd_bfd_counters(daemon):
    """fbfd's own count of BFD packets sent and of those sent early (in a
    wake-up the loop had anyway), from its /metrics."""
    samples = daemon.metric_samples()
    return {key: sum(v for (name, _), v in samples.items() if name == metric)
            for key, metric in (("sent", "fbf_bfd_packets_sent_total"),
                                ("early", "fbf_bfd_early_transmissions_total"))}


def measure_idle(kind, *, idle_seconds=60.0, settle=10.0, n=N_SESSIONS, log=print,
                 perf_out=None):
    from fbflab import Lab, wait_until
    bfd = kind in BFD_DAEMONS
    with Lab(name=f"footprint-idle-{kind}") as lab, contextlib.ExitStack() as stack:
        r, h = build_lab(lab, n)
        if kind == "fbfd":
            stack.enter_context(service_user(h))
        router = make_router(r, n, bfd).start()
        m = Measured(kind, h, n).start()

        def ready():
            est = router.bgp_sessions()
            e = sum(1 for i in range(n) if est.get(host_addr(i), {}).get("state") == "Established")
            u = n
            if bfd:
                s = router.bfd_sessions()
                u = sum(1 for i in range(n) if s.get(host_addr(i), {}).get("state") == "Up")
            return (e, u) if e == n and u == n else None
        t0 = time.monotonic()
        wait_until(ready, 90, f"{kind}: {n} sessions Established"
                   + (" and BFD Up" if bfd else "") + " at the router", interval=0.5)
        up_after = time.monotonic() - t0
        wait_until(lambda: (router.route_count() or (0,))[0] == n, 30,
                   f"{kind}: the router to hold {n} routes", interval=0.5)
        time.sleep(settle)
        counted, excluded = m.pids()
        # The router (BIRD) runs the same sessions towards the daemon, in the
        # same window: its CPU is the paired reference that machine-wide
        # scatter moves alike.
        router_pid = int(router.pidfile.read_text().strip())
        la0 = loadavg()
        s0, x0 = sample(counted), sample(excluded)
        r0 = common.cpu_seconds(router_pid)
        b0 = fbfd_bfd_counters(m.daemon) if kind == "fbfd" else None
        w0 = time.monotonic()
        if perf_out:
            # Where the daemon's CPU goes (perf inflates it: not a figure for the table).
            subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-o", str(perf_out),
                            "-p", ",".join(str(p) for p in counted), "--",
                            "sleep", str(idle_seconds)], check=True, capture_output=True)
        else:
            time.sleep(idle_seconds)
        s1, x1 = sample(counted), sample(excluded)
        router_cpu_s = common.cpu_seconds(router_pid) - r0
        window = time.monotonic() - w0
        b1 = fbfd_bfd_counters(m.daemon) if kind == "fbfd" else None
        la1 = loadavg()
        smaps = {counted[p]: smaps_top(p) for p in counted}
        # still all up? (a flap during the window would make the figure meaningless)
        est_end, up_end = router_state(router, n, bfd)
        routes = router.route_count()
        both = [p for p in s0 if p in s1]
        cpu_s = sum(s1[p]["cpu_s"] - s0[p]["cpu_s"] for p in both)
        slices = sum(s1[p]["slices"] - s0[p]["slices"] for p in both)
        voluntary = sum(s1[p]["voluntary"] - s0[p]["voluntary"] for p in both)
        preempted = sum(s1[p]["preempted"] - s0[p]["preempted"] for p in both)
        rss = sum(v["rss_kib"] for v in s1.values())
        hwm = sum(v["hwm_kib"] for v in s1.values())
        res = {
            "daemon": kind, "sessions": n, "bfd": bfd, "interval_ms": INTERVAL_MS,
            "multiplier": MULT if bfd else None, "hold_time_s": HOLD_TIME,
            "setup_to_all_up_s": round(up_after, 2), "settle_s": settle,
            "window_s": round(window, 3), "cpu_s": round(cpu_s, 4),
            "cpu_pct_of_core": 100.0 * cpu_s / window,
            "wakeups_per_s": slices / window,
            "voluntary_switches_per_s": voluntary / window,
            "preemptions_per_s": preempted / window,
            "bfd_sent_per_s": (b1["sent"] - b0["sent"]) / window if b0 else None,
            "bfd_early_per_s": (b1["early"] - b0["early"]) / window if b0 else None,
            "perf_data": str(perf_out) if perf_out else None,
            "router_cpu_pct_of_core": 100.0 * router_cpu_s / window,
            "rss_mib": rss / 1024, "hwm_mib": hwm / 1024,
            "rss_anon_mib": sum(v["anon_kib"] for v in s1.values()) / 1024,
            "rss_file_mib": sum(v["file_kib"] for v in s1.values()) / 1024,
            "processes": {counted[p]: {"pid": p, "cmdline": cmdline(p),
                                       "cpu_s": round(s1[p]["cpu_s"] - s0[p]["cpu_s"], 4)
                                       if p in both else None,
                                       **{k: s1.get(p, {}).get(k) for k in
                                          ("rss_kib", "hwm_kib", "anon_kib", "file_kib")}}
                          for p in counted},
            "excluded_processes": {excluded[p]: {
                "pid": p, "cmdline": cmdline(p), "rss_kib": x1.get(p, {}).get("rss_kib"),
                "cpu_s": round(x1[p]["cpu_s"] - x0[p]["cpu_s"], 4) if p in x0 and p in x1
                else None} for p in excluded},
            # PSS: shared pages divided among the processes mapping them (depends
            # on what else runs on the machine: raw data only).
            "pss_mib": sum(v["rollup"].get("Pss", 0) for v in smaps.values()) / 1024,
            "smaps": smaps,
            "router_at_end": {"established": est_end, "bfd_up": up_end if bfd else None,
                              "routes_networks": routes},
            "all_up_at_end": est_end == n and (not bfd or up_end == n),
            "loadavg": [la0, la1],
        }
        log(f"  idle  {kind:6} RSS {res['rss_mib']:6.2f} MiB (HWM {res['hwm_mib']:6.2f})  "
            f"CPU {res['cpu_pct_of_core']:6.3f}% over {window:.0f} s  "
            f"wake-ups {res['wakeups_per_s']:5.1f}/s (slept {res['voluntary_switches_per_s']:.1f}, "
            f"preempted {res['preemptions_per_s']:.1f})  "
            + (f"BFD sent {res['bfd_sent_per_s']:.1f}/s, early {res['bfd_early_per_s']:.1f}/s  "
               if b0 else "")
            + f"(router {res['router_cpu_pct_of_core']:6.3f}%)  "
            f"[{len(counted)} proc]  up at end: {res['all_up_at_end']}  load {la1}")
        return res


# --- 3. start-up ----------------------------------------------------------------------------------
def measure_startup(kind, *, timeout=40.0, log=print):
    """One cold start: fresh lab, fresh router, then the measured daemon."""
    from fbflab import Lab
    bfd = kind in BFD_DAEMONS
    with Lab(name=f"footprint-start-{kind}") as lab, contextlib.ExitStack() as stack:
        r, h = build_lab(lab, 1)
        if kind == "fbfd":
            stack.enter_context(service_user(h))
        router = make_router(r, 1, bfd).start()
        m = Measured(kind, h, 1)
        m.start()
        t_ready = time.time()
        t_exec = m.t_exec
        peer = host_addr(0)
        seen = {"bfd_up": None, "established": None}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # the poll time is taken after the answer: an upper bound
            if bfd and seen["bfd_up"] is None:
                s = router.bfd_sessions().get(peer, {})
                if s.get("state") == "Up":
                    seen["bfd_up"] = (time.time(), _epoch(s.get("since")))
            if seen["established"] is None:
                s = router.session(peer)
                if s.get("state") == "Established":
                    seen["established"] = (time.time(), _epoch(s.get("uptime")))
            if seen["established"] and (seen["bfd_up"] or not bfd):
                break
            time.sleep(0.05)
        res = {"daemon": kind, "bfd": bfd, "t_exec": t_exec,
               "control_ready_s": round(t_ready - t_exec, 4)}
        for key, v in seen.items():
            if key == "bfd_up" and not bfd:
                continue
            if v is None:
                res[f"{key}_s"] = None
                res[f"{key}_polled_s"] = None
                continue
            polled, since = v
            res[f"{key}_polled_s"] = round(polled - t_exec, 4)  # upper bound
            # The router's own record of the transition; the poll when unreadable.
            use = since if since is not None and since >= t_exec - 0.5 else polled
            res[f"{key}_s"] = round(use - t_exec, 4)
            res[f"{key}_source"] = "router state-change time" if use is since else "poll"
        log(f"  start {kind:6} BFD Up {fmt(res.get('bfd_up_s'), '.3f')} s  "
            f"Established {fmt(res.get('established_s'), '.3f')} s  "
            f"(control ready {res['control_ready_s']:.3f} s)")
        return res


# --- 2. binaries ----------------------------------------------------------------------------------
def _ldd(path):
    try:
        cp = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    libs = []
    for line in cp.stdout.splitlines():
        f = line.split()
        if "=>" in f and len(f) > f.index("=>") + 1 and f[f.index("=>") + 1].startswith("/"):
            libs.append(f[f.index("=>") + 1])
        elif f and f[0].startswith("/"):
            libs.append(f[0])          # the dynamic loader
    return libs


def _tree_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def _python_package_dir(name):
    cp = subprocess.run(["/usr/bin/python3", "-c",
                         f"import {name}, os; print(os.path.dirname({name}.__file__))"],
                        capture_output=True, text=True, timeout=30)
    return cp.stdout.strip() if cp.returncode == 0 else None


@contextlib.contextmanager
def packaged_fbfd(deb=None, log=print):
    """/usr/sbin/fbfd of an fbf Debian package, extracted to a temporary
    directory: of `deb`, or of the one scripts/build-deb builds from this tree
    (1-5 minutes)."""
    with tempfile.TemporaryDirectory(prefix="fbf-footprint-deb-") as tmp:
        if deb is None:
            log("footprint: building the Debian package (scripts/build-deb)")
            subprocess.run([str(common.REPO / "scripts" / "build-deb"), "--no-lintian",
                            f"{tmp}/out"], check=True, stdout=subprocess.DEVNULL)
            debs = sorted(Path(tmp, "out").glob("fbf_*.deb"))
            if len(debs) != 1:
                raise RuntimeError(f"scripts/build-deb left {debs}, not one fbf_*.deb")
            deb = debs[0]
        subprocess.run(["dpkg-deb", "-x", str(deb), f"{tmp}/root"], check=True)
        yield Path(tmp, "root", "usr", "sbin", "fbfd")


def shared_libs(binaries, own=()):
    """{real path: bytes} of the shared libraries `binaries` link (ldd),
    deduplicated, minus `own` (files counted as the daemon's)."""
    own = {os.path.realpath(f) for f in own}
    libs = {}
    for b in binaries:
        for lib in _ldd(b):
            real = os.path.realpath(lib)
            if real not in own and os.path.exists(real):
                libs[real] = os.path.getsize(real)
    return libs


def binary_sizes(daemons=DAEMONS, packaged=None):
    """Sizes per daemon; `packaged`: fbfd as its Debian package ships it
    (packaged_fbfd()), for the Debian package rows."""
    from fbflab.fbfd import FBFD
    from fbflab.peers.bird import BIRD
    from fbflab.peers.gobgp import GOBGPD
    out = {}
    for d in daemons:
        files, note, entry_extra = [], "", {}
        if d == "fbfd":
            files = [str(FBFD)]
        elif d == "bird":
            files = [BIRD]
        elif d == "frr":
            files = [f"{FRR_DIR}/{p}" for p in FRR_PROGRAMS]
            libfrr = [lib for lib in _ldd(files[0]) if "/libfrr.so" in lib]
            files += [os.path.realpath(x) for x in libfrr]
        elif d == "gobgp":
            files = [GOBGPD]
        elif d == "exabgp":
            pkg = _python_package_dir("exabgp")
            files = [pkg] if pkg else []
            note = "python package directory; the python3 interpreter and stdlib are extra"
            py = _resolve_python()
            entry_extra = {"interpreter": py, "interpreter_bytes": os.path.getsize(py)}
        sizes = {}
        for f in files:
            sizes[f] = _tree_bytes(f) if os.path.isdir(f) else os.path.getsize(f)
        total = sum(sizes.values())
        entry = {"files": sizes, "bytes": total, "note": note, **entry_extra}
        if d == "fbfd":
            tmp = tempfile.NamedTemporaryFile(prefix="fbfd-stripped-", dir="/tmp", delete=False)
            tmp.close()
            try:
                subprocess.run(["strip", "-o", tmp.name, str(FBFD)], check=True,
                               capture_output=True, timeout=120)
                entry["stripped_bytes"] = os.path.getsize(tmp.name)
            except (OSError, subprocess.SubprocessError) as exc:
                entry["stripped_bytes"] = None
                entry["strip_error"] = str(exc)
            finally:
                os.unlink(tmp.name)
        else:
            # Packaged binaries are shipped stripped already (Debian moves the
            # debug info to -dbgsym): on-disk size is the stripped size.
            stripped = all(os.path.isdir(f) or "not stripped" not in _file_type(f)
                           for f in files)
            entry["stripped_bytes"] = total if stripped else None
            entry["already_stripped"] = stripped
        # shared libraries, deduplicated by real path, minus what is counted above
        if d == "exabgp":
            libs_of = [_resolve_python()]
            entry["note"] += "; shared libraries: those of the python3 interpreter"
        else:
            libs_of = [f for f in files if not f.endswith(".so") and ".so." not in f]
        libs = shared_libs(libs_of, own=files)
        entry["shared_libs"] = libs
        entry["shared_libs_bytes"] = sum(libs.values())
        # fbfd as its Debian package ships it (the others' files above are
        # their installed packages already: _debian()).
        if d == "fbfd" and packaged is not None:
            deb_libs = shared_libs([packaged])
            entry["deb_bytes"] = os.path.getsize(packaged)
            entry["deb_shared_libs"] = deb_libs
            entry["deb_shared_libs_bytes"] = sum(deb_libs.values())
        out[d] = entry
    return out


def _resolve_python():
    return os.path.realpath("/usr/bin/python3")


def _file_type(path):
    try:
        return subprocess.run(["file", "-b", path], capture_output=True, text=True,
                              timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


# --- the section -------------------------------------------------------------------------------
def fmt(v, spec=".2f"):
    return "n/a" if v is None else format(v, spec)


def run(reps=3, idle_seconds=60, daemons=DAEMONS, log=print, *, settle=10.0,
        startup_tries=3, perf_dir=None, deb=None, with_deb=True):
    """Measure every daemon `reps` times; returns (rows, raw). The Debian
    package rows use `deb` (an fbf_*.deb), or one built from this tree; none
    without `with_deb`."""
    daemons = [d for d in daemons if d in DAEMONS]
    with (packaged_fbfd(deb, log) if with_deb and "fbfd" in daemons
          else contextlib.nullcontext()) as packaged:
        return _run(reps, idle_seconds, daemons, log, settle, startup_tries, perf_dir,
                    packaged)


def _run(reps, idle_seconds, daemons, log, settle, startup_tries, perf_dir, packaged):
    raw = {"section": SECTION, "config": {
        "reps": reps, "idle_seconds": idle_seconds, "settle_s": settle,
        "startup_tries": startup_tries, "daemons": daemons, "sessions": N_SESSIONS,
        "bfd_interval_ms": INTERVAL_MS, "bfd_multiplier": MULT, "hold_time_s": HOLD_TIME,
        "router": "BIRD 2", "fbfd_build_dir": str(common.build_dir()),
        "fbfd_packaged": packaged is not None},
        "versions": common.versions(), "cpus": os.cpu_count(),
        "idle": [], "startup": [], "binaries": [], "failures": []}
    idle = {d: [None] * reps for d in daemons}
    start_bfd = {d: [None] * reps for d in daemons if d in BFD_DAEMONS}
    start_bgp = {d: [None] * reps for d in daemons}
    bins = {d: [None] * reps for d in daemons}
    for rep in range(reps):
        order = daemons[rep % len(daemons):] + daemons[:rep % len(daemons)]
        log(f"footprint: repetition {rep + 1}/{reps}, order {', '.join(order)}")
        b = binary_sizes(order, packaged)
        raw["binaries"].append({"rep": rep, **b})
        for d in order:
            bins[d][rep] = b[d]
        for d in order:
            try:
                perf_out = Path(perf_dir) / f"idle-{d}-{rep + 1}.data" if perf_dir else None
                res = measure_idle(d, idle_seconds=idle_seconds, settle=settle, log=log,
                                   perf_out=perf_out)
                res["rep"] = rep
                raw["idle"].append(res)
                idle[d][rep] = res
            except Exception as exc:  # noqa: BLE001 - one daemon must not lose the run
                log(f"  idle  {d:6} FAILED: {exc}")
                raw["failures"].append({"rep": rep, "daemon": d, "what": "idle",
                                        "error": str(exc)})
        for d in order:
            tries = []
            for t in range(startup_tries):
                try:
                    res = measure_startup(d, log=log)
                    res.update(rep=rep, try_=t)
                    raw["startup"].append(res)
                    tries.append(res)
                except Exception as exc:  # noqa: BLE001
                    log(f"  start {d:6} FAILED: {exc}")
                    raw["failures"].append({"rep": rep, "daemon": d, "what": "startup",
                                            "try": t, "error": str(exc)})
            bgp = [x["established_s"] for x in tries if x.get("established_s") is not None]
            start_bgp[d][rep] = statistics.median(bgp) if bgp else None
            if d in start_bfd:
                up = [x["bfd_up_s"] for x in tries if x.get("bfd_up_s") is not None]
                start_bfd[d][rep] = statistics.median(up) if up else None
    rows = make_rows(daemons, idle, bins, start_bfd, start_bgp, startup_tries)
    raw["rows"] = [r.to_json() for r in rows]
    return rows, raw


def _vals(per_rep, fn):
    return {d: [None if x is None else fn(x) for x in v] for d, v in per_rep.items()}


def _debian(bins, fn):
    """fn(binary bytes, shared library bytes) of each daemon as Debian ships
    it: fbfd's package (its deb_* entries, None without them); the others'
    binaries are their installed packages."""
    def one(d, x):
        if d != "fbfd":
            return fn(x["bytes"], x["shared_libs_bytes"])
        return fn(x["deb_bytes"], x["deb_shared_libs_bytes"]) if "deb_bytes" in x else None
    return {d: [None if x is None else one(d, x) for x in v] for d, v in bins.items()}


def make_rows(daemons, idle, bins, start_bfd, start_bgp, startup_tries):
    nobfd = [DAEMON_NAMES[d] for d in daemons if d not in BFD_DAEMONS]
    nobfd_note = (f" {' and '.join(nobfd)} have no BFD: the same {N_SESSIONS} BGP sessions "
                  "without BFD (less work)." if nobfd else "")
    setup = (f"{N_SESSIONS} eBGP sessions (hold 90 s) + BFD {INTERVAL_MS} ms x {MULT} to a "
             "BIRD 2 router, one prefix announced per session.")
    procs = ("Summed over the daemon's processes: FRR = zebra + bfdd + bgpd; ExaBGP = its "
             "python process (the lab's API helper process not counted).")
    rss = _vals(idle, lambda x: x["rss_mib"])
    fb = common.clean(rss.get("fbfd", []))
    target = Target(f"≤ {RSS_TARGET_MIB:g} MiB",
                    ok=(max(fb) <= RSS_TARGET_MIB) if fb else None)
    rows = [
        Row(SECTION, M_RSS, "MiB", "lower", rss, target=target,
            note=f"VmRSS at the end of the idle window. {setup}{nobfd_note} {procs} "
                 "Target checked on every repetition."),
        Row(SECTION, M_ANON, "MiB", "lower", _vals(idle, lambda x: x["rss_anon_mib"]),
            note="RssAnon: the part of the RSS that is the daemon's own (heap, stacks); "
                 "the rest is mapped binary and shared libraries (RssFile), which other "
                 "processes using the same files share."),
        Row(SECTION, M_HWM, "MiB", "lower", _vals(idle, lambda x: x["hwm_mib"]),
            note="VmHWM (peak RSS since exec, start-up included), summed like the RSS."),
        Row(SECTION, M_CPU, "%", "lower", _vals(idle, lambda x: x["cpu_pct_of_core"]),
            note=f"run time (schedstat, ns) over the idle window after a settle time. {setup}{nobfd_note} "
                 f"{procs}"),
        Row(SECTION, M_CPU_PAIRED, "×", "lower",
            _vals({d: v for d, v in idle.items() if d in BFD_DAEMONS},
                  lambda x: None if not x.get("router_cpu_pct_of_core")
                  else x["cpu_pct_of_core"] / x["router_cpu_pct_of_core"]),
            note="The daemon's idle CPU divided by the router's (BIRD 2, running the same "
                 "10 BGP + BFD sessions towards it) over the same window: a machine-wide "
                 "stall or a busy neighbour moves both, so this scatters far less than the "
                 "CPU row. BFD daemons only (without BFD the router does other work)."),
        Row(SECTION, M_WAKEUPS, "/s", "lower",
            _vals(idle, lambda x: x.get("wakeups_per_s")),
            note="Times the daemon's threads were put on a CPU (schedstat's timeslices), per "
                 "second of the idle window: its wake-ups from sleep and the times it was "
                 "preempted (the raw JSON has both). Steady from run to run, unlike the CPU "
                 "row; what a wake-up costs differs by daemon. A BFD daemon wakes for each "
                 "packet it receives and for its own transmissions unless they share a "
                 "wake-up."),
        Row(SECTION, M_BIN, "MiB", "lower", _vals(bins, lambda x: x["bytes"] / MIB),
            note="On disk: fbfd as built ($FBF_BUILD_DIR, RelWithDebInfo: with debug info); "
                 "BIRD /usr/sbin/bird; FRR bgpd+bfdd+zebra+libfrr.so; GoBGP gobgpd; ExaBGP "
                 "its python package directory (the interpreter is extra)."),
        Row(SECTION, M_BIN_STRIPPED, "MiB", "lower",
            _vals(bins, lambda x: None if x.get("stripped_bytes") is None
                  else x["stripped_bytes"] / MIB),
            note="fbfd after `strip`; the packaged daemons are installed stripped (same "
                 "bytes as on disk); ExaBGP is python source/bytecode."),
        Row(SECTION, M_LIBS, "MiB", "lower",
            _vals(bins, lambda x: x["shared_libs_bytes"] / MIB),
            note="Shared libraries from ldd, deduplicated (libc and the loader included; "
                 "libfrr counted in the binary row); ExaBGP: those of python3."),
    ]
    if any(x is not None and "deb_bytes" in x for x in bins.get("fbfd", [])):
        rows += [
            Row(SECTION, M_BIN_DEB, "MiB", "lower",
                _debian(bins, lambda binary, _libs: binary / MIB),
                note="What Debian ships, every daemon built by its own package rules: fbfd "
                     "is /usr/sbin/fbfd of the fbf_*.deb scripts/build-deb builds from this "
                     "tree (libraries shared, link-time optimization, stripped); the others "
                     "as the binary size row (their installed Debian packages)."),
            Row(SECTION, M_BIN_LIBS_DEB, "MiB", "lower",
                _debian(bins, lambda binary, libs: (binary + libs) / MIB),
                note="The row above plus the shared libraries that binary links (ldd, "
                     "deduplicated, libc and the loader included): the packaged fbfd loads "
                     "libstdc++, libevent, libnl, spdlog, fmt and toml++ where the default "
                     "build carries them inside."),
        ]
    if start_bfd:
        rows.append(Row(SECTION, M_START_BFD, "s", "lower", start_bfd,
                        note=f"From exec of the daemon's first process to the BFD session "
                             f"Up at the router (BIRD's state-change time), one BGP+BFD "
                             f"session at {INTERVAL_MS} ms x {MULT}, fresh lab and router; "
                             f"median of {startup_tries} cold starts per repetition. The "
                             "router sends at the 1 s slow rate until Up (RFC 5880 §6.8.3): "
                             "waiting for its packets scatters single starts by up to ~1 s; "
                             "fbfd's packets carry a Poll while not Up, which the router "
                             "answers at once (§6.8.7)."))
    rows.append(Row(SECTION, M_START_BGP, "s", "lower", start_bgp,
                    note="From exec to the BGP session Established at the router (BIRD, "
                         "connect retry 1 s); same runs as the BFD row; GoBGP/ExaBGP have no "
                         f"BFD, so this is their start-up figure. Median of {startup_tries} "
                         "cold starts per repetition."))
    return rows


# --- standalone ------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_standalone_args(ap, DAEMONS)
    ap.add_argument("--idle-seconds", type=float, default=60.0,
                    help="idle measurement window, seconds (default 60)")
    ap.add_argument("--settle", type=float, default=10.0,
                    help="wait after all sessions are up, before the window (default 10)")
    ap.add_argument("--startup-tries", type=int, default=3,
                    help="cold starts per daemon and repetition (default 3)")
    ap.add_argument("--perf", metavar="DIR",
                    help="record the idle window with perf (cpu-clock, call graphs) into "
                         "DIR/idle-<daemon>-<rep>.data; perf's overhead inflates the CPU rows")
    ap.add_argument("--deb", metavar="FBF_DEB",
                    help="the fbf_*.deb for the Debian package rows (default: scripts/build-deb "
                         "builds one from this tree)")
    ap.add_argument("--no-deb", action="store_true", help="leave the Debian package rows out")
    ap.add_argument("-o", "--out", help="write the raw results as JSON here")
    args = ap.parse_args(argv)
    daemons = common.standalone_setup(ap, args, DAEMONS)
    rows, raw = run(reps=args.reps, idle_seconds=args.idle_seconds, daemons=daemons,
                    settle=args.settle, startup_tries=args.startup_tries, perf_dir=args.perf,
                    deb=args.deb, with_deb=not args.no_deb)
    common.print_and_save(rows, raw, args.out)
    return rows, raw


if __name__ == "__main__":
    main()
