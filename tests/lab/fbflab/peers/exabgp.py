"""ExaBGP 4.2 as a lab peer.

ExaBGP has no query CLI worth parsing, so the peer runs a small API helper
process (exabgp_api.py, `encoder json`) that writes every message ExaBGP
emits -- neighbor state changes and parsed UPDATEs -- to events.jsonl, and
forwards commands written to a FIFO. The readers replay events.jsonl into
session states and a RIB. Environment variables give it a private run
directory (no named pipes in /run, no privilege drop, log to stdout).
"""
import json
import os
import shutil
import sys
import time
from pathlib import Path

from ..util import LabError, family_of, wait_until
from .base import Peer, as_route

EXABGP = shutil.which("exabgp") or "/usr/sbin/exabgp"
API_HELPER = Path(__file__).with_name("exabgp_api.py")

_STATES = {"up": "Established", "connected": "OpenSent", "down": "Idle",
           "shutdown": "Idle"}


def _route_line(r):
    """ExaBGP 'route ...' syntax for a Route."""
    parts = [f"route {r.prefix}", f"next-hop {r.next_hop or 'self'}", "origin igp"]
    if r.med is not None:
        parts.append(f"med {r.med}")
    if r.local_pref is not None:
        parts.append(f"local-preference {r.local_pref}")
    if r.as_path_prepend:
        parts.append(f"as-path [ {' '.join(map(str, r.as_path_prepend))} ]")
    if r.communities:
        parts.append(f"community [ {' '.join(r.communities)} ]")
    if r.large_communities:
        parts.append(f"large-community [ {' '.join(r.large_communities)} ]")
    return " ".join(parts)


def _open_writer(fifo):
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return None


class ExaBgp(Peer):
    kind = "exabgp"

    def __init__(self, node, **kw):
        super().__init__(node, **kw)
        self.conf = self.dir / "exabgp.conf"
        self.events = self.dir / "events.jsonl"
        self.fifo = self.dir / "commands.fifo"

    # --- config ------------------------------------------------------------------
    def config_text(self):
        py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        out = ["process lab-api {", f"  run {py} {API_HELPER} {self.events} {self.fifo};",
               "  encoder json;", "}", ""]
        for n in self.neighbors:
            if n.bfd:
                raise LabError("ExaBGP has no BFD; use BIRD or FRR for BFD peers")
            out += [f"neighbor {n.address} {{",
                    f"  router-id {self.router_id};",
                    f"  local-address {self.local_address_for(n)};",
                    f"  local-as {self.asn};",
                    f"  peer-as {n.remote_as};",
                    f"  hold-time {n.hold_time};"]
            if n.password:
                out.append(f'  md5-password "{n.password}";')
            if n.multihop:
                out.append(f"  outgoing-ttl {n.multihop};")
            if n.passive:
                out.append("  passive true;")
            out.append("  family {")
            out += [f"    {fam} unicast;" for fam in (n.families or [n.family])]
            out += ["  }",
                    "  api {", "    processes [ lab-api ];", "    neighbor-changes;",
                    "    receive { parsed; update; }", "  }"]
            routes = [r for r in self.routes_out if r.family in (n.families or [n.family])]
            if routes:
                out.append("  static {")
                out += [f"    {_route_line(r)};" for r in routes]
                out.append("  }")
            out += ["}", ""]
        return "\n".join(out)

    def _write_config(self):
        self.conf.write_text(self.config_text())
        self.events.write_text("")
        if not self.fifo.exists():
            os.mkfifo(self.fifo)

    def _env(self):
        env = dict(os.environ)
        passive = any(n.passive for n in self.neighbors)
        env.update({
            "exabgp_daemon_user": "root", "exabgp_daemon_drop": "false",
            "exabgp_daemon_daemonize": "false", "exabgp_daemon_pid": str(self.dir / "exabgp.pid"),
            "exabgp_log_destination": "stdout", "exabgp_log_level": "INFO",
            "exabgp_api_cli": "false", "exabgp_api_ack": "false",
            "exabgp_api_pipename": f"exabgp-{self.node.ns}",
            "exabgp_tcp_bind": " ".join(self.local_address_for(n) for n in self.neighbors)
                               if passive else "",
            "exabgp_tcp_port": "179", "exabgp_bgp_openwait": "10",
        })
        return env

    def _start_processes(self):
        self.procs = [self.node.popen([EXABGP, self.conf], name=self.name,
                                      log=self.dir / "exabgp.log", env=self._env(),
                                      cwd=self.dir)]

    def _ready(self):
        # Up once the API helper runs (it is started after the config is parsed).
        return self._helper_running()

    def _helper_running(self):
        for pid in self.node.pids():
            try:
                if str(API_HELPER).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
        return False

    def log_files(self):
        return [self.dir / "exabgp.log", self.events]

    # --- control -----------------------------------------------------------------
    def command(self, line):
        """Send one API command to ExaBGP ("announce route ...", "withdraw route ...")."""
        # ENXIO while the helper re-opens the FIFO between two writers: retry.
        fd = wait_until(lambda: _open_writer(self.fifo), 5, f"{self.name}'s command FIFO",
                        interval=0.02)
        try:
            os.write(fd, (line.rstrip("\n") + "\n").encode())
        finally:
            os.close(fd)

    def announce(self, route):
        self.command("announce " + _route_line(as_route(route)))

    def withdraw(self, route):
        r = as_route(route)
        self.command(f"withdraw route {r.prefix} next-hop {r.next_hop or 'self'}")

    # --- readers -----------------------------------------------------------------
    def _messages(self):
        try:
            text = self.events.read_text(errors="replace")
        except OSError:
            return
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def bgp_sessions(self):
        out = {n.address: {"state": "Idle", "uptime": None, "remote_as": n.remote_as}
               for n in self.neighbors}
        for msg in self._messages():
            if msg.get("type") != "state":
                continue
            nb = msg.get("neighbor", {})
            peer = (nb.get("address") or {}).get("peer")
            if peer:
                state = _STATES.get(nb.get("state"), nb.get("state"))
                since = msg.get("time")
                out[peer] = {"state": state, "since": since,
                             "uptime": int(time.time() - since)
                             if since and state == "Established" else None,
                             "remote_as": (nb.get("asn") or {}).get("peer"),
                             "reason": nb.get("reason")}
        return out

    def routes(self, family="ipv4"):
        """RIB rebuilt from the UPDATEs received: announce/withdraw per neighbor,
        a neighbor's routes dropped when its session goes down, and paths
        containing our own AS ignored (loop detection, as a real RIB would)."""
        rib = {}   # (neighbor, prefix) -> attrs
        for msg in self._messages():
            nb = msg.get("neighbor", {})
            peer = (nb.get("address") or {}).get("peer")
            if msg.get("type") == "state" and nb.get("state") == "down":
                rib = {k: v for k, v in rib.items() if k[0] != peer}
                continue
            if msg.get("type") != "update":
                continue
            upd = (nb.get("message") or {}).get("update") or {}
            for nlris in (upd.get("withdraw") or {}).values():
                for n in nlris:
                    rib.pop((peer, n.get("nlri") if isinstance(n, dict) else n), None)
            attrs = upd.get("attribute") or {}
            seen = set()
            for by_hop in (upd.get("announce") or {}).values():
                # IPv6 NLRI are listed under the global and again under the
                # link-local next hop: the first one is the global address.
                for hop, nlris in by_hop.items():
                    for n in nlris:
                        prefix = n.get("nlri") if isinstance(n, dict) else n
                        if prefix in seen:
                            continue
                        seen.add(prefix)
                        as_path = list(attrs.get("as-path", []))
                        if self.asn in as_path:
                            rib.pop((peer, prefix), None)
                            continue
                        rib[(peer, prefix)] = {
                            "as_path": as_path,
                            "next_hop": hop,
                            "med": attrs.get("med"),
                            "local_pref": attrs.get("local-preference"),
                            "communities": [f"{a}:{b}" for a, b in attrs.get("community", [])],
                            "large_communities": [f"{a}:{b}:{c}" for a, b, c in
                                                  attrs.get("large-community", [])],
                            "origin": attrs.get("origin"),
                            "neighbor": peer,
                        }
        out = {}
        for (peer, prefix), attrs in rib.items():
            if family_of(prefix) == family:
                out.setdefault(prefix, attrs)
        return out
