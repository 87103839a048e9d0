"""BIRD 2 as a lab peer: `bird -f -c CONF -s SOCK`, state read with birdc.

birdc prints text only, so the readers parse `show protocols all`,
`show route all` and `show bfd sessions`.
"""
import re
import shutil

from ..util import LabError, family_of, run
from .base import Peer, bfd_state, bgp_state

BIRD = shutil.which("bird") or "/usr/sbin/bird"
BIRDC = shutil.which("birdc") or "/usr/sbin/birdc"


def _community(c):
    return "(" + ",".join(c.split(":")) + ")"


class Bird(Peer):
    """BIRD 2 with one BGP protocol per neighbor, a static protocol for the
    routes to originate and, if any neighbor wants it, a BFD protocol.

    kernel=True also exports learned routes to the namespace's kernel table
    (so traffic through the router follows BGP).
    """

    kind = "bird"

    def __init__(self, node, *, kernel=False, bfd_peers=(), trace_routes=False, **kw):
        super().__init__(node, **kw)
        self.kernel = kernel
        # trace_routes: log every route change of the BGP protocols with a
        # microsecond timestamp (route_events() reads them back).
        self.trace_routes = trace_routes
        self.bfd_peers = list(bfd_peers)   # BfdPeer: standalone `neighbor` sessions
        self.conf = self.dir / "bird.conf"
        self.sock = self.dir / "bird.ctl"
        self.pidfile = self.dir / "bird.pid"
        self.logfile = self.dir / "bird.log"

    # --- config ------------------------------------------------------------------
    def config_text(self):
        out = [f'log "{self.logfile}" all;', f"router id {self.router_id};", "",
               'timeformat log "%F %T.%6f";' if self.trace_routes else "",
               "protocol device { scan time 10; }", ""]
        fams = sorted({r.family for r in self.routes_out}
                      | {f for n in self.neighbors for f in self._families(n)})
        for fam in fams:
            routes = [r for r in self.routes_out if r.family == fam]
            out.append(f"protocol static static_{fam} {{")
            out.append(f"  {fam};")
            out += [f"  route {r.prefix} blackhole;" for r in routes]
            out.append("}")
            # Attributes are set on export: BIRD drops a MED that was not set
            # by the export filter when it sends a route to an eBGP neighbor.
            out.append(f"filter export_{fam} {{")
            out.append("  if source != RTS_STATIC then reject;")
            for r in routes:
                stmts = []
                if r.next_hop:
                    stmts.append(f"bgp_next_hop = {r.next_hop};")
                if r.med is not None:
                    stmts.append(f"bgp_med = {r.med};")
                if r.local_pref is not None:
                    stmts.append(f"bgp_local_pref = {r.local_pref};")
                for c in r.communities:
                    stmts.append(f"bgp_community.add({_community(c)});")
                for c in r.large_communities:
                    stmts.append(f"bgp_large_community.add({_community(c)});")
                for asn in reversed(r.as_path_prepend):
                    stmts.append(f"bgp_path.prepend({asn});")
                if stmts:
                    out.append(f"  if net = {r.prefix} then {{ {' '.join(stmts)} }}")
            out += ["  accept;", "}"]
            if self.kernel:
                out.append(f"protocol kernel kernel_{fam} {{ {fam} {{ export all; }}; }}")
            out.append("")
        bfd_nbrs = [n for n in self.neighbors if n.bfd]
        if self.bfd_peers:
            out += self._bfd_protocol(bfd_nbrs)
        elif bfd_nbrs:
            b = bfd_nbrs[0].bfd
            opts = (f"min rx interval {b.min_rx} ms; min tx interval {b.min_tx} ms; "
                    f"idle tx interval {max(b.min_tx, 1000)} ms; multiplier {b.multiplier};")
            out += ["protocol bfd {", f'  interface "*" {{ {opts} }};',
                    f"  multihop {{ {opts} }};", "}", ""]
        for n in self.neighbors:
            out += self._bgp_protocol(n) + [""]
        return "\n".join(out)

    @staticmethod
    def _bfd_options(b, peer=None):
        """Session options of an `interface`/`multihop` block (BIRD has no
        per-neighbor options: they come from the block the session matches)."""
        opts = (f"min rx interval {b.min_rx} ms; min tx interval {b.min_tx} ms; "
                f"idle tx interval {max(b.min_tx, 1000)} ms; multiplier {b.multiplier};")
        if peer is not None and peer.auth_type:
            kind = peer.auth_type.replace("-", " ")
            opts += (f' authentication {kind}; password "{peer.auth_key}" '
                     f"{{ id {peer.auth_key_id}; }};")
        return opts

    def _bfd_protocol(self, bfd_nbrs):
        """protocol bfd with standalone neighbors; options per interface named by a
        single-hop BfdPeer, then "*" (the first single-hop peer without one),
        then multihop (the first multihop peer)."""
        default = bfd_nbrs[0].bfd if bfd_nbrs else None
        single = [p for p in self.bfd_peers if not p.multihop]
        multi = [p for p in self.bfd_peers if p.multihop]
        out = ["protocol bfd {"]
        named = {}
        for p in single:
            if p.interface and p.interface not in named:
                named[p.interface] = p
                out.append(f'  interface "{p.interface}" {{ {self._bfd_options(p.bfd, p)} }};')
        star = next((p for p in single if not p.interface), None)
        if star is not None or default is not None:
            b = star.bfd if star is not None else default
            out.append(f'  interface "*" {{ {self._bfd_options(b, star)} }};')
        mh = multi[0] if multi else None
        if mh is not None or default is not None:
            b = mh.bfd if mh is not None else default
            out.append(f"  multihop {{ {self._bfd_options(b, mh)} }};")
        for p in self.bfd_peers:
            line = f"  neighbor {p.address}"
            if p.interface and not p.multihop:
                line += f' dev "{p.interface}"'
            if p.local_address:
                line += f" local {p.local_address}"
            line += f" multihop {'yes' if p.multihop else 'no'};"
            out.append(line)
        return out + ["}", ""]

    def _families(self, n):
        return n.families or [n.family]

    def _bgp_protocol(self, n):
        local = f" {n.local_address}" if n.local_address else ""
        out = [f"protocol bgp {self.protocol_name(n)} {{",
               f"  local{local} as {self.asn};",
               f"  neighbor {n.address} as {n.remote_as};",
               f"  hold time {n.hold_time}; keepalive time {max(1, n.hold_time // 3)};",
               "  connect delay time 1; connect retry time 1; error wait time 1, 5;"]
        if n.multihop:
            out.append(f"  multihop {n.multihop};")
        if n.ttl_security:   # BIRD takes the hop count from `multihop` (direct: 1)
            out.append("  ttl security on;")
        if n.password:
            out.append(f'  password "{n.password}";')
        if n.passive:
            out.append("  passive on;")
        if n.bfd:
            out.append("  bfd on;")
        if self.trace_routes:
            out.append("  debug { routes };")
        # RFC 8326 §4: the receiver lowers LOCAL_PREF of routes tagged 65535:0.
        imp = ("import filter { if (65535, 0) ~ bgp_community then bgp_local_pref = 0; "
               "accept; }" if n.honour_gshut else "import all")
        for fam in self._families(n):
            out.append(f"  {fam} {{ {imp}; export filter export_{fam}; }};")
        out.append("}")
        return out

    def route_events(self, prefix):
        """[(datetime, "added"|"removed"), ...] for prefix from the trace log
        (trace_routes=True), oldest first."""
        import datetime
        events = []
        pat = re.compile(r"^(\S+ \S+) <TRACE> \S+ [<>] (added|removed|updated)\S* .*?"
                         + re.escape(str(prefix)) + r"\b")
        for line in self.logfile.read_text(errors="replace").splitlines():
            m = pat.match(line)
            if m:
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
                events.append((t, m.group(2)))
        return events

    def protocol_name(self, n):
        return n.label("bgp_")

    def _write_config(self):
        self.conf.write_text(self.config_text())
        cp = run([BIRD, "-p", "-c", self.conf], check=False)
        if cp.returncode != 0:
            raise LabError(f"bird rejected {self.conf}: {cp.stderr.strip()}\n{self.config_text()}")

    def _start_processes(self):
        self.procs = [self.node.popen([BIRD, "-f", "-c", self.conf, "-s", self.sock,
                                       "-P", self.pidfile], name=self.name,
                                      log=self.dir / "stdout.log")]

    def _ready(self):
        return "Daemon is up and running" in self.birdc("show status", check=False)

    def log_files(self):
        return [self.logfile, self.dir / "stdout.log"]

    # --- control -----------------------------------------------------------------
    def birdc(self, command, check=True):
        """Run one birdc command; returns its text output."""
        cp = run([BIRDC, "-s", self.sock] + command.split(), check=False, timeout=10)
        if check and cp.returncode != 0:      # birdc exits 1 on an error reply
            raise LabError(f"birdc {command}: {cp.stdout.strip()} {cp.stderr.strip()}")
        out = cp.stdout
        if out.startswith("BIRD ") and "ready." in out.split("\n", 1)[0]:
            out = out.split("\n", 1)[1] if "\n" in out else ""
        return out

    def reconfigure(self):
        """Rewrite the config from the current description and `birdc configure`."""
        self._write_config()
        return self.birdc("configure")

    def disable(self, neighbor):
        return self.birdc(f"disable {self._proto_for(neighbor)}")

    def enable(self, neighbor):
        return self.birdc(f"enable {self._proto_for(neighbor)}")

    def _proto_for(self, addr):
        for n in self.neighbors:
            if n.address == str(addr):
                return self.protocol_name(n)
        raise LabError(f"{self!r} has no neighbor {addr}")

    # --- readers -----------------------------------------------------------------
    def protocols(self):
        """`show protocols all` as {name: {"proto", "state", "info", "neighbor", ...}}."""
        text = self.birdc("show protocols all")
        protos, cur = {}, None
        for line in text.splitlines():
            if not line.strip() or line.startswith("BIRD ") or line.startswith("Name "):
                continue
            if not line[0].isspace():
                f = line.split(None, 5)
                if len(f) >= 4:
                    cur = {"proto": f[1], "table": f[2], "up": f[3],
                           "since": f[4] if len(f) > 4 else "",
                           "info": f[5].strip() if len(f) > 5 else ""}
                    protos[f[0]] = cur
                continue
            if cur is None:
                continue
            m = re.match(r"\s+([A-Za-z][A-Za-z ]*?):\s*(.*)$", line)
            if m:
                key = m.group(1).strip().lower().replace(" ", "_")
                cur.setdefault(key, m.group(2).strip())
        return protos

    def bgp_sessions(self):
        out = {}
        for name, p in self.protocols().items():
            if p["proto"] != "BGP" or "neighbor_address" not in p:
                continue
            state = p.get("bgp_state") or (p["info"].split()[0] if p["info"] else p["up"])
            out[p["neighbor_address"]] = {
                "state": bgp_state(state),
                "uptime": p["since"],
                "protocol": name,
                "remote_as": int(p["neighbor_as"]) if p.get("neighbor_as", "").isdigit() else None,
                "info": p["info"],
                "last_error": p.get("last_error"),
            }
        return out

    def routes(self, family="ipv4"):
        """Best routes learned over BGP in master4/master6, with attributes."""
        table = "master6" if family == "ipv6" else "master4"
        text = self.birdc(f"show route all table {table}")
        routes, cur, prefix = {}, None, None
        for line in text.splitlines():
            if not line.strip() or line.startswith("BIRD ") or line.startswith("Table "):
                continue
            # An alternative route for the same prefix is indented under the
            # first: "                     unicast [bgp_b 12:00:00] (100) ...".
            alternative = re.match(r"\s+(unicast|blackhole|unreachable|prohibit)\s+\[", line)
            if not line[0].isspace() or alternative:
                f = line.split()
                if "/" in f[0]:
                    prefix, rest = f[0], f[1:]
                else:
                    rest = f
                best = "*" in rest
                proto = re.search(r"\[(\S+)", line)
                cur = {"as_path": [], "next_hop": None, "med": None, "local_pref": None,
                       "communities": [], "large_communities": [], "origin": None,
                       "protocol": proto.group(1) if proto else None, "best": best}
                if cur["protocol"] and not cur["protocol"].startswith("static"):
                    if prefix not in routes or best:
                        routes[prefix] = cur
                continue
            if cur is None:
                continue
            m = re.match(r"\s+BGP\.(\w+):\s*(.*)$", line)
            if not m:
                continue
            key, val = m.group(1), m.group(2).strip()
            if key == "as_path":
                cur["as_path"] = [int(a) for a in re.findall(r"\d+", val)]
            elif key == "next_hop":
                cur["next_hop"] = val.split()[0] if val else None
            elif key == "med":
                cur["med"] = int(val)
            elif key == "local_pref":
                cur["local_pref"] = int(val)
            elif key == "origin":
                cur["origin"] = val.lower()
            elif key == "community":
                cur["communities"] = [f"{a}:{b}" for a, b in
                                      re.findall(r"\((\d+),\s*(\d+)\)", val)]
            elif key == "large_community":
                cur["large_communities"] = [f"{a}:{b}:{c}" for a, b, c in
                                            re.findall(r"\((\d+),\s*(\d+),\s*(\d+)\)", val)]
        return {p: a for p, a in routes.items() if family_of(p) == family}

    def bfd_sessions(self):
        """`show bfd sessions` (BIRD 2.0 shows state, interface and timers only)."""
        text = self.birdc("show bfd sessions")
        out = {}
        for line in text.splitlines():
            f = line.split()
            if len(f) >= 4 and re.match(r"^[0-9a-fA-F:.]+$", f[0]) and (":" in f[0] or "." in f[0]):
                # IP address, [Interface], State, Since, Interval, Timeout
                idx = 2 if f[2].lower() in BFD_WORDS else 1
                out[f[0]] = {"state": bfd_state(f[idx]),
                             "interface": f[1] if idx == 2 else None,
                             "since": f[idx + 1] if len(f) > idx + 1 else None,
                             "interval": f[idx + 2] if len(f) > idx + 2 else None,
                             "timeout": f[idx + 3] if len(f) > idx + 3 else None,
                             "remote_state": None, "diag": None}
        return out


BFD_WORDS = {"admindown", "down", "init", "up"}
