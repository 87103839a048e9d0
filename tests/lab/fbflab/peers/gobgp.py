"""GoBGP as a lab peer: `gobgpd -f gobgpd.toml`, driven and read with `gobgp -j`.

GoBGP has no BFD. Routes to originate are added through the API after
start (`gobgp global rib add ...`), which is also how a test adds or
withdraws routes later (announce()/withdraw()).
"""
import itertools
import json
import shutil
import time

from ..util import LabError, family_of
from .base import Peer, as_route, bgp_state

GOBGPD = shutil.which("gobgpd") or "/usr/bin/gobgpd"
GOBGP = shutil.which("gobgp") or "/usr/bin/gobgp"
_ports = itertools.count(50051)

# api.BgpState / session_state enum as printed by `gobgp -j`
_STATE_NUM = {0: "Unknown", 1: "Idle", 2: "Connect", 3: "Active", 4: "OpenSent",
              5: "OpenConfirm", 6: "Established"}
# BGP path attribute type codes as they appear in `gobgp -j` "attrs"
_ORIGIN, _AS_PATH, _NEXT_HOP, _MED, _LOCAL_PREF = 1, 2, 3, 4, 5
_COMMUNITIES, _MP_REACH, _LARGE_COMMUNITY = 8, 14, 32
_ORIGINS = {0: "igp", 1: "egp", 2: "incomplete"}


def _community_str(c):
    return f"{c >> 16}:{c & 0xffff}" if isinstance(c, int) else str(c)


def _uptime(peer):
    """Seconds since the session came up (gobgp prints the start as epoch seconds)."""
    since = (((peer.get("timers") or {}).get("state") or {}).get("uptime") or {}).get("seconds")
    return max(0, int(time.time()) - int(since)) if since else None


class GoBgp(Peer):
    kind = "gobgp"

    def __init__(self, node, **kw):
        super().__init__(node, **kw)
        self.conf = self.dir / "gobgpd.toml"
        self.api_port = next(_ports)

    # --- config ------------------------------------------------------------------
    def config_text(self):
        out = ["[global.config]", f"  as = {self.asn}", f'  router-id = "{self.router_id}"',
               "  port = 179", ""]
        for n in self.neighbors:
            out += ["[[neighbors]]", "  [neighbors.config]",
                    f'    neighbor-address = "{n.address}"', f"    peer-as = {n.remote_as}"]
            if n.password:
                out.append(f'    auth-password = "{n.password}"')
            out += ["  [neighbors.timers.config]", "    connect-retry = 1",
                    f"    hold-time = {n.hold_time}",
                    f"    keepalive-interval = {max(1, n.hold_time // 3)}"]
            out.append("  [neighbors.transport.config]")
            if n.local_address:
                out.append(f'    local-address = "{n.local_address}"')
            if n.passive:
                out.append("    passive-mode = true")
            if n.multihop:
                out += ["  [neighbors.ebgp-multihop.config]", "    enabled = true",
                        f"    multihop-ttl = {n.multihop}"]
            if n.ttl_security:
                out += ["  [neighbors.ttl-security.config]", "    enabled = true",
                        f"    ttl-min = {256 - n.ttl_security}"]
            if n.bfd:
                raise LabError("GoBGP has no BFD; use BIRD or FRR for BFD peers")
            for fam in (n.families or [n.family]):
                out += ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]",
                        f'      afi-safi-name = "{fam}-unicast"']
            out.append("")
        return "\n".join(out)

    def _write_config(self):
        self.conf.write_text(self.config_text())

    def _start_processes(self):
        self.procs = [self.node.popen(
            [GOBGPD, "-f", self.conf, "-t", "toml", "-p", "-l", "info", "--pprof-disable",
             "--api-hosts", f"127.0.0.1:{self.api_port}"],
            name=self.name, log=self.dir / "gobgpd.log")]

    def _ready(self):
        cp = self.node.run([GOBGP, "-p", self.api_port, "-j", "global"], check=False,
                           timeout=10)
        return cp.returncode == 0 and '"router_id"' in cp.stdout

    def _after_start(self):
        for r in self.routes_out:
            self.announce(r)

    # --- control -----------------------------------------------------------------
    def gobgp(self, *args, check=True):
        """Run the gobgp CLI against this instance; returns stdout."""
        cp = self.node.run([GOBGP, "-p", self.api_port] + [str(a) for a in args],
                           check=False, timeout=15)
        if check and cp.returncode != 0:
            raise LabError(f"gobgp {' '.join(map(str, args))}: {cp.stderr or cp.stdout}")
        return cp.stdout

    def gobgp_json(self, *args):
        out = self.gobgp("-j", *args).strip()
        return json.loads(out) if out else None

    def _rib_args(self, r):
        args = ["global", "rib", "-a", r.family, "add", r.prefix, "origin", "igp"]
        if r.as_path_prepend:
            args += ["aspath", " ".join(map(str, r.as_path_prepend))]
        if r.next_hop:
            args += ["nexthop", r.next_hop]
        if r.med is not None:
            args += ["med", r.med]
        if r.local_pref is not None:
            args += ["local-pref", r.local_pref]
        if r.communities:
            args += ["community", ",".join(r.communities)]
        if r.large_communities:
            args += ["large-community", ",".join(r.large_communities)]
        return args

    def announce(self, route):
        """Originate a route (Route or prefix string) now."""
        self.gobgp(*self._rib_args(as_route(route)))

    def withdraw(self, route):
        r = as_route(route)
        self.gobgp("global", "rib", "-a", r.family, "del", r.prefix)

    # --- readers -----------------------------------------------------------------
    def bgp_sessions(self):
        out = {}
        for p in self.gobgp_json("neighbor") or []:
            conf, state = p.get("conf", {}), p.get("state", {})
            addr = conf.get("neighbor_address") or state.get("neighbor_address")
            raw = state.get("session_state")
            name = _STATE_NUM.get(raw, raw) if isinstance(raw, int) else raw
            out[addr] = {
                "state": bgp_state(name or "Idle"),
                "uptime": _uptime(p) if name == "Established" else None,
                "remote_as": conf.get("peer_asn") or conf.get("peer_as"),
                "admin_state": state.get("admin_state"),
                "raw": p,
            }
        return out

    def routes(self, family="ipv4"):
        rib = self.gobgp_json("global", "rib", "-a", family) or {}
        out = {}
        for prefix, paths in rib.items():
            if family_of(prefix) != family:
                continue
            best = next((p for p in paths if p.get("best")), paths[0] if paths else None)
            if best is None or not best.get("neighbor-ip"):
                continue  # locally originated
            out[prefix] = self._attrs(best)
        return out

    @staticmethod
    def _attrs(path):
        a = {"as_path": [], "next_hop": None, "med": None, "local_pref": None,
             "communities": [], "large_communities": [], "origin": None,
             "from": path.get("source-id"), "neighbor": path.get("neighbor-ip")}
        for attr in path.get("attrs", []):
            t = attr.get("type")
            if t == _ORIGIN:
                a["origin"] = _ORIGINS.get(attr.get("value"), attr.get("value"))
            elif t == _AS_PATH:
                for seg in attr.get("as_paths", []):
                    a["as_path"] += seg.get("asns", [])
            elif t == _NEXT_HOP:
                a["next_hop"] = attr.get("nexthop")
            elif t == _MP_REACH:
                hops = attr.get("nexthop")
                a["next_hop"] = hops if isinstance(hops, str) else (hops or [None])[0]
            elif t == _MED:
                a["med"] = attr.get("metric")
            elif t == _LOCAL_PREF:
                a["local_pref"] = attr.get("value")
            elif t == _COMMUNITIES:
                a["communities"] = [_community_str(c) for c in attr.get("communities", [])]
            elif t == _LARGE_COMMUNITY:
                a["large_communities"] = [
                    f"{v['ASN']}:{v['LocalData1']}:{v['LocalData2']}"
                    for v in attr.get("value") or attr.get("values") or []]
        return a
