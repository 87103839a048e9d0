"""FRR as a lab peer: zebra + bgpd (+ bfdd) per namespace, read with vtysh json.

Every path is explicit so instances in several namespaces coexist: config
files, pid files, the zserv socket (-z), the vty sockets (--vty_socket DIR)
and bfdd's control socket (--bfdctl) all live in the peer's directory; the
TCP vty is disabled (-P 0). vtysh talks to the instance with
`vtysh --vty_socket DIR -c '...json'`.
"""
import json
import os
import shutil
import socket

from ..util import LabError, family_of, run
from .base import Peer, bfd_state, bgp_state

FRR_DIR = os.environ.get("FBF_FRR_DIR", "/usr/lib/frr")
VTYSH = "/usr/bin/vtysh"
FRR_USER = "frr"
BFD_PROFILE = "lab"


# FRR names the well-known communities (RFC 1997, RFC 8326, RFC 7999) in its
# JSON; the lab speaks numbers everywhere.
_WELL_KNOWN = {"gracefulshutdown": "65535:0", "graceful-shutdown": "65535:0",
               "blackhole": "65535:666", "noexport": "65535:65281", "no-export": "65535:65281",
               "noadvertise": "65535:65282", "no-advertise": "65535:65282",
               "localas": "65535:65283", "local-as": "65535:65283",
               "no-peer": "65535:65284", "nopeer": "65535:65284"}


def _communities(c):
    raw = (c or {}).get("list") or str((c or {}).get("string", "")).split()
    return [_WELL_KNOWN.get(str(x).lower(), str(x)) for x in raw]


def _json_docs(text):
    """Parse one or more concatenated JSON documents (vtysh -c a -c b)."""
    dec, docs, i = json.JSONDecoder(), [], 0
    text = text.strip()
    while i < len(text):
        doc, end = dec.raw_decode(text, i)
        docs.append(doc)
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
    return docs


class Frr(Peer):
    """FRR bgpd/bfdd/zebra. Originated routes are `network` statements with a
    route-map setting their attributes (no RIB entry needed: import-check off)."""

    kind = "frr"
    DAEMONS = ("zebra", "bfdd", "bgpd")

    def __init__(self, node, *, bfd=None, bfd_peers=(), **kw):
        super().__init__(node, **kw)
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(exist_ok=True)
        self.zsock = self.run_dir / "zserv.api"
        # Standalone bfdd `peer` sessions (BfdPeer), independent of BGP.
        self.bfd_peers = list(bfd_peers)
        if any(p.auth_type for p in self.bfd_peers):
            raise LabError("FRR bfdd has no BFD authentication")
        # bfdd is started when a neighbor asks for BFD, when there are
        # standalone BFD peers, or when bfd=True.
        self.want_bfdd = bfd if bfd is not None else (
            any(n.bfd for n in self.neighbors) or bool(self.bfd_peers))

    # --- config ------------------------------------------------------------------
    def _bfd_timers(self):
        for n in self.neighbors:
            if n.bfd:
                return n.bfd
        from .base import Bfd
        return Bfd()

    def config_texts(self):
        """{daemon: config text}"""
        log = f"log file {self.dir}/frr.log\nlog timestamp precision 3\n"
        host = f"hostname {self.node.name}-{self.name}\n"
        zebra = host + log
        b = self._bfd_timers()
        bfdd = (host + log + "bfd\n"
                f" profile {BFD_PROFILE}\n"
                f"  transmit-interval {b.min_tx}\n  receive-interval {b.min_rx}\n"
                f"  detect-multiplier {b.multiplier}\n"
                + "".join(f"  {line}\n" for line in self._echo_lines(b.echo))
                + " exit\n"
                + "".join(self._bfd_peer_config(p) for p in self.bfd_peers)
                + "exit\n")
        lines = [host.strip(), log.strip(), f"router bgp {self.asn}",
                 f" bgp router-id {self.router_id}",
                 " no bgp ebgp-requires-policy", " no bgp network import-check",
                 " no bgp default ipv4-unicast", " timers bgp 3 9"]
        for n in self.neighbors:
            a = n.address
            lines += [f" neighbor {a} remote-as {n.remote_as}",
                      f" neighbor {a} timers {max(1, n.hold_time // 3)} {n.hold_time}",
                      f" neighbor {a} timers connect 1",
                      f" neighbor {a} advertisement-interval 0"]
            if n.local_address:
                lines.append(f" neighbor {a} update-source {n.local_address}")
            if n.multihop:
                lines.append(f" neighbor {a} ebgp-multihop {n.multihop}")
            if n.ttl_security:
                lines.append(f" neighbor {a} ttl-security hops {n.ttl_security}")
            if n.password:
                lines.append(f" neighbor {a} password {n.password}")
            if n.passive:
                lines.append(f" neighbor {a} passive")
            if n.bfd:
                lines += [f" neighbor {a} bfd", f" neighbor {a} bfd profile {BFD_PROFILE}"]
        fams = sorted({r.family for r in self.routes_out}
                      | {f for n in self.neighbors for f in (n.families or [n.family])})
        rmaps = []
        if any(n.honour_gshut for n in self.neighbors):
            # RFC 8326 §4: the receiver lowers LOCAL_PREF of routes tagged 65535:0.
            rmaps += ["bgp community-list standard GSHUT seq 5 permit graceful-shutdown",
                      "route-map HONOUR_GSHUT permit 10", " match community GSHUT",
                      " set local-preference 0", "exit", "route-map HONOUR_GSHUT permit 20",
                      "exit"]
        for fam in fams:
            lines.append(f" address-family {fam} unicast")
            for i, r in enumerate(self.routes_out):
                if r.family != fam:
                    continue
                rm = f"ORIG_{fam}_{i}"
                lines.append(f"  network {r.prefix} route-map {rm}")
                rmaps += [f"route-map {rm} permit 10"]
                if r.med is not None:
                    rmaps.append(f" set metric {r.med}")
                if r.local_pref is not None:
                    rmaps.append(f" set local-preference {r.local_pref}")
                if r.communities:
                    rmaps.append(f" set community {' '.join(r.communities)} additive")
                if r.large_communities:
                    rmaps.append(f" set large-community {' '.join(r.large_communities)} additive")
                if r.as_path_prepend:
                    rmaps.append(f" set as-path prepend {' '.join(map(str, r.as_path_prepend))}")
                if r.next_hop:
                    kw = "ipv6 next-hop global" if fam == "ipv6" else "ip next-hop"
                    rmaps.append(f" set {kw} {r.next_hop}")
                rmaps.append("exit")
            for n in self.neighbors:
                if fam in (n.families or [n.family]):
                    lines.append(f"  neighbor {n.address} activate")
                    if n.honour_gshut:
                        lines.append(f"  neighbor {n.address} route-map HONOUR_GSHUT in")
            lines.append(" exit-address-family")
        lines.append("exit")
        # Route-maps first and no route-map delay: otherwise the network
        # statements wait for the 5 s route-map delay timer before being sent.
        bgpd = "\n".join(lines[:2] + ["bgp route-map delay-timer 0"] + rmaps + lines[2:]) + "\n"
        return {"zebra": zebra, "bfdd": bfdd, "bgpd": bgpd}

    @staticmethod
    def _echo_lines(echo):
        """bfdd lines for a BfdEcho (profile or peer); none for None."""
        if echo is None:
            return []
        lines = ["echo-mode"] if echo.mode else []
        if echo.tx is not None:
            lines.append(f"echo transmit-interval {echo.tx}")
        if echo.rx is not None:
            lines.append("echo receive-interval "
                         + (str(echo.rx) if echo.rx else "disabled"))
        return lines

    @staticmethod
    def _bfd_peer_config(p):
        head = f" peer {p.address}"
        if p.multihop:
            head += " multihop"
        if p.local_address:
            head += f" local-address {p.local_address}"
        if p.interface and not p.multihop:
            head += f" interface {p.interface}"
        lines = [head, f"  receive-interval {p.bfd.min_rx}",
                 f"  transmit-interval {p.bfd.min_tx}",
                 f"  detect-multiplier {p.bfd.multiplier}"]
        if p.multihop and p.min_ttl is not None:
            lines.append(f"  minimum-ttl {p.min_ttl}")
        lines += [f"  {line}" for line in Frr._echo_lines(p.bfd.echo)]
        return "\n".join(lines + [" exit"]) + "\n"

    def _write_config(self):
        for daemon, text in self.config_texts().items():
            (self.dir / f"{daemon}.conf").write_text(text)
        # The daemons drop to the frr user: it must write logs, pid files, sockets.
        for path in (self.dir, self.run_dir, *self.dir.iterdir()):
            shutil.chown(path, FRR_USER, FRR_USER)

    def _start_processes(self):
        self.procs = []
        # A killed zebra leaves its socket file behind: waiting for the file
        # would then not wait at all.
        self.zsock.unlink(missing_ok=True)
        for daemon in self.DAEMONS:
            if daemon == "bfdd" and not self.want_bfdd:
                continue
            argv = [f"{FRR_DIR}/{daemon}", "-f", self.dir / f"{daemon}.conf",
                    "-i", self.run_dir / f"{daemon}.pid", "-z", self.zsock,
                    "--vty_socket", self.run_dir,
                    "-A", "127.0.0.1", "-P", "0", "--log", f"file:{self.dir}/{daemon}.log"]
            if daemon == "bfdd":
                argv += ["--bfdctl", self.run_dir / "bfdd.sock"]
            self.procs.append(self.node.popen(argv, name=f"{self.name}-{daemon}",
                                              log=self.dir / f"{daemon}.stdout"))
            if daemon == "zebra":
                # bgpd/bfdd whose first connect is refused try again only 10 s
                # later, and a BFD registration bgpd sends before bfdd is
                # connected can be lost for good (the soak saw FRR's BFD
                # session never come back after a restart): start them once
                # zebra accepts, not once its socket file exists.
                from ..util import wait_until
                wait_until(lambda: self._zserv_accepts() or not self.procs[0].alive(), 10,
                           "zebra's zserv socket to accept")

    def _zserv_accepts(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(str(self.zsock))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _ready(self):
        for p in self.procs:
            if not p.alive():
                raise LabError(f"{p.name} exited: {p.log_tail(10)}")
        cp = run([VTYSH, "--vty_socket", self.run_dir, "-c", "show bgp summary json"],
                 check=False, timeout=10)
        return cp.returncode == 0 and cp.stdout.strip().startswith("{")

    def stop(self, timeout=5.0):
        super().stop(timeout)
        self._remove_crash_dirs()

    def kill(self):
        super().kill()
        self._remove_crash_dirs()

    def _remove_crash_dirs(self):
        """FRR keeps a per-process /var/tmp/frr/<daemon>.<pid>/ and removes it
        only on a clean exit; drop ours after a kill or a failed start."""
        for p in self.procs:
            if not p.alive():
                daemon = p.name.rsplit("-", 1)[-1]
                shutil.rmtree(f"/var/tmp/frr/{daemon}.{p.pid}", ignore_errors=True)

    def log_files(self):
        return [self.dir / f"{d}.log" for d in self.DAEMONS] + [self.dir / "frr.log"] + \
            [self.dir / f"{d}.stdout" for d in self.DAEMONS]

    # --- control -----------------------------------------------------------------
    def vtysh(self, *commands, check=True):
        """Run vtysh commands (each its own -c); returns the text output."""
        argv = [VTYSH, "--vty_socket", self.run_dir]
        for c in commands:
            argv += ["-c", c]
        cp = run(argv, check=False, timeout=15)
        if check and cp.returncode != 0:
            raise LabError(f"vtysh {commands}: exit {cp.returncode}: {cp.stdout}{cp.stderr}")
        return cp.stdout

    def vtysh_json(self, command):
        out = self.vtysh(command).strip()
        return json.loads(out) if out else {}

    def configure(self, *lines):
        """Apply configuration lines in `configure terminal`."""
        return self.vtysh("configure terminal", *lines)

    # --- readers -----------------------------------------------------------------
    def bgp_sessions(self):
        out = {}
        for addr, n in self.vtysh_json("show bgp neighbors json").items():
            if not isinstance(n, dict) or "bgpState" not in n:
                continue
            out[addr] = {
                "state": bgp_state(n["bgpState"]),
                "uptime": n.get("bgpTimerUpString"),
                "uptime_ms": n.get("bgpTimerUpMsec"),
                "remote_as": n.get("remoteAs"),
                "local_as": n.get("localAs"),
                "last_reset": n.get("lastResetDueTo"),
                "last_notification": n.get("lastNotificationReason"),
                "bfd": (n.get("peerBfdInfo") or {}).get("status"),
                "raw": n,
            }
        return out

    def routes(self, family="ipv4"):
        """Best paths from `show bgp <afi> unicast json`, attributes from the
        per-prefix detail (communities are only shown there)."""
        table = self.vtysh_json(f"show bgp {family} unicast json").get("routes", {})
        prefixes = [p for p in table if family_of(p) == family]
        if not prefixes:
            return {}
        docs = _json_docs(self.vtysh(*[f"show bgp {family} unicast {p} json"
                                       for p in prefixes]))
        out = {}
        for prefix, doc in zip(prefixes, docs):
            paths = doc.get("paths", [])
            best = next((p for p in paths if (p.get("bestpath") or {}).get("overall")),
                        paths[0] if paths else None)
            if best is None or (best.get("peer") or {}).get("type") == "static" \
                    or best.get("sourced") or best.get("local"):
                continue  # locally originated
            aspath = best.get("aspath") or {}
            hops = [h.get("ip") for h in best.get("nexthops", []) if h.get("ip")]
            out[prefix] = {
                "as_path": [int(a) for a in str(aspath.get("string", "")).split() if a.isdigit()],
                "next_hop": hops[0] if hops else None,
                "med": best.get("metric", best.get("med")),
                "local_pref": best.get("locPrf", best.get("localpref")),
                "communities": _communities(best.get("community")),
                "large_communities": str((best.get("largeCommunity") or {})
                                         .get("string", "")).split(),
                "origin": str(best.get("origin", "")).lower() or None,
                "from": (best.get("peer") or {}).get("peerId"),
            }
        return out

    def bfd_sessions(self):
        out = {}
        for s in self.vtysh_json("show bfd peers json") or []:
            out[s["peer"]] = {
                "state": bfd_state(s.get("status", "")),
                "remote_state": None,
                "diag": s.get("diagnostic"),
                "remote_diag": s.get("remote-diagnostic"),
                "local": s.get("local"),
                "interface": s.get("interface"),
                "multihop": s.get("multihop"),
                "uptime": s.get("uptime"),
                "detect_multiplier": s.get("detect-multiplier"),
                "rx_interval": s.get("receive-interval"),
                "tx_interval": s.get("transmit-interval"),
                "remote_rx_interval": s.get("remote-receive-interval"),
                "remote_tx_interval": s.get("remote-transmit-interval"),
                "raw": s,
            }
        return out
