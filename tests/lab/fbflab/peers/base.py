"""What every peer shares: the small description it is configured from, and
the Peer interface (start/stop/kill/pause/resume and the state readers).

Readers return plain data:
    bgp_sessions() -> {"192.0.2.1": {"state": "Established", "uptime": "...",
                                      "remote_as": 65001, ...}}
    routes("ipv4") -> {"203.0.113.0/24": {"as_path": [65001], "next_hop": "192.0.2.1",
                                           "med": 50, "local_pref": None,
                                           "communities": ["65001:100"],
                                           "large_communities": ["65001:1:1"],
                                           "origin": "igp"}}
    bfd_sessions() -> {"192.0.2.1": {"state": "Up", "remote_state": "Up",
                                      "diag": "...", ...}}
State names are normalised: BGP states as in RFC 4271 ("Idle", "Connect",
"Active", "OpenSent", "OpenConfirm", "Established"), BFD states as in
RFC 5880 ("AdminDown", "Down", "Init", "Up").
"""
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from ..util import LabError, family_of, tail, wait_until

BGP_STATES = {s.lower(): s for s in
              ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established")}
BFD_STATES = {"admindown": "AdminDown", "shutdown": "AdminDown", "down": "Down",
              "init": "Init", "up": "Up"}


def bgp_state(raw):
    """Normalise a daemon's spelling of a BGP FSM state ('ESTABLISHED', 'established'...)."""
    key = str(raw).replace("_", "").replace(" ", "").lower()
    return BGP_STATES.get(key, str(raw))


def bfd_state(raw):
    key = str(raw).replace("_", "").replace("-", "").replace(" ", "").lower()
    return BFD_STATES.get(key, str(raw))


@dataclass
class BfdEcho:
    """The Echo function (RFC 5880 §6.4) of a session, FRR bfdd only (BIRD has
    none); milliseconds. None leaves the daemon's default: FRR 8.4 then sends
    no echoes but still advertises Required Min Echo RX 50 ms."""
    mode: bool = True                     # echo-mode: send our own echoes
    tx: Optional[int] = None              # echo transmit-interval
    rx: Optional[int] = None              # echo receive-interval; 0 = disabled (advertise 0)


@dataclass
class Bfd:
    """BFD timers for one session (milliseconds)."""
    min_tx: int = 100
    min_rx: int = 100
    multiplier: int = 3
    echo: Optional[BfdEcho] = None        # FRR only; None = the daemon's defaults


@dataclass
class Neighbor:
    """One BGP neighbor as seen from the peer being configured."""
    address: str
    remote_as: int
    local_address: Optional[str] = None   # source address (needed for multihop)
    password: Optional[str] = None        # TCP-MD5 (RFC 2385)
    multihop: Optional[int] = None        # eBGP multihop TTL; BFD becomes multihop too
    bfd: Union[bool, Bfd] = False         # True = Bfd() defaults
    passive: bool = False
    hold_time: int = 9                    # seconds; keepalive = hold_time / 3
    name: Optional[str] = None            # protocol/peer name where the daemon has one
    families: Optional[list] = None       # ["ipv4", "ipv6"]; default: the neighbor's family
    ttl_security: Optional[int] = None    # GTSM (RFC 5082): the neighbor is this many hops away
    honour_gshut: bool = False            # import: GRACEFUL_SHUTDOWN (65535:0) -> LOCAL_PREF 0

    def __post_init__(self):
        self.address = str(ipaddress.ip_address(self.address))
        if self.bfd is True:
            self.bfd = Bfd()

    @property
    def family(self):
        return family_of(self.address)

    def label(self, prefix="n"):
        return self.name or prefix + self.address.replace(".", "_").replace(":", "_")


# fbfd's auth_type names (RFC 5880 §4.1), the peers' config spell them their own way.
BFD_AUTH_TYPES = ("simple", "keyed-md5", "meticulous-keyed-md5", "keyed-sha1",
                  "meticulous-keyed-sha1")


@dataclass
class BfdPeer:
    """A standalone BFD session (no BGP) as seen from the peer being configured:
    BIRD `protocol bfd { neighbor ...; }`, FRR bfdd `peer ...`."""
    address: str
    local_address: Optional[str] = None   # required for multihop (FRR)
    interface: Optional[str] = None       # single hop: bind to this interface
    multihop: bool = False
    bfd: Bfd = field(default_factory=Bfd)
    auth_type: Optional[str] = None       # one of BFD_AUTH_TYPES (BIRD only)
    auth_key_id: int = 1
    auth_key: Optional[str] = None
    min_ttl: Optional[int] = None         # multihop: lowest TTL accepted (FRR minimum-ttl)

    def __post_init__(self):
        self.address = str(ipaddress.ip_address(self.address))
        if self.auth_type is not None and self.auth_type not in BFD_AUTH_TYPES:
            raise LabError(f"BfdPeer auth_type {self.auth_type!r}: one of {BFD_AUTH_TYPES}")

    @property
    def family(self):
        return family_of(self.address)


@dataclass
class Route:
    """A route to originate, with the attributes to attach."""
    prefix: str
    next_hop: Optional[str] = None        # None = the session's local address (self)
    med: Optional[int] = None
    local_pref: Optional[int] = None
    communities: list = field(default_factory=list)        # ["65000:100"]
    large_communities: list = field(default_factory=list)  # ["65000:1:1"]
    as_path_prepend: list = field(default_factory=list)    # extra ASNs (GoBGP/ExaBGP/BIRD)

    def __post_init__(self):
        self.prefix = str(ipaddress.ip_network(self.prefix, strict=False))

    @property
    def family(self):
        return family_of(self.prefix)


def as_route(r):
    return r if isinstance(r, Route) else Route(r)


class Peer:
    """A routing daemon running inside one lab node.

    Subclasses implement _write_config(), _start_processes(), _ready() and the
    readers. Public lifecycle: start(), stop(), kill(), pause(), resume(),
    restart().
    """

    kind = "peer"

    def __init__(self, node, *, asn, router_id, neighbors=(), routes=(), name=None):
        self.node = node
        self.lab = node.lab
        self.asn = int(asn)
        self.router_id = router_id
        self.neighbors = list(neighbors)
        self.routes_out = [as_route(r) for r in routes]
        self.name = name or self.kind
        n = 1
        while name is None and node.path(self.name).exists():   # a second one in the node
            n += 1
            self.name = f"{self.kind}{n}"
        self.dir = node.path(self.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.procs = []
        self.started = False
        self.lab.peers.append(self)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name} AS{self.asn} in {self.node.ns}>"

    # lifecycle -----------------------------------------------------------------
    def start(self, timeout=15):
        """Write the config, start the daemon(s), wait until they answer."""
        self._write_config()
        self._start_processes()
        self.started = True

        def ready():
            dead = [p for p in self.procs if not p.alive()]
            return ("exited", dead) if dead else self._ready()

        try:
            res = wait_until(ready, timeout, f"{self!r} to answer its control interface")
            failure = (f"{', '.join(p.name for p in res[1])} exited during start"
                       if isinstance(res, tuple) else None)
        except AssertionError as exc:
            failure = str(exc)
        if failure:
            logs = "\n".join(f"--- {path}:\n{text}" for path, text in self.logs(20).items()
                             if text.strip())
            raise LabError(f"{failure}\n{logs}")
        self._after_start()
        return self

    def stop(self, timeout=5.0):
        """Graceful stop (SIGTERM; SIGKILL after timeout). Idempotent."""
        for p in reversed(self.procs):
            p.stop(timeout)
        self.started = False

    def kill(self):
        """SIGKILL every process of the peer: a crash, no NOTIFICATION sent."""
        for p in self.procs:
            p.kill()
        self.started = False

    def pause(self):
        """SIGSTOP: the peer stops sending (BFD/keepalives) but keeps its sockets."""
        for p in self.procs:
            p.pause()

    def resume(self):
        for p in self.procs:
            p.resume()

    def restart(self, timeout=15):
        self.stop()
        self.procs = []
        return self.start(timeout)

    def alive(self):
        return bool(self.procs) and all(p.alive() for p in self.procs)

    def log_files(self):
        """Files worth reading when something fails (daemon logs)."""
        return [Path(p.log_path) for p in self.procs]

    def logs(self, lines=40):
        """{file name: last lines} of log_files()."""
        return {str(f): tail(f, lines) for f in self.log_files()}

    def local_address_for(self, n):
        """n.local_address, or this node's address on the subnet of n.address."""
        if n.local_address:
            return n.local_address
        peer = ipaddress.ip_address(n.address)
        for addr in self.node.addresses():
            iface = ipaddress.ip_interface(addr)
            if iface.version == peer.version and peer in iface.network:
                return str(iface.ip)
        raise LabError(f"{self!r}: no local address towards {n.address}; "
                       "set Neighbor(local_address=...)")

    # hooks ---------------------------------------------------------------------
    def _write_config(self):
        raise NotImplementedError

    def _start_processes(self):
        raise NotImplementedError

    def _ready(self):
        raise NotImplementedError

    def _after_start(self):
        pass

    # readers ---------------------------------------------------------------------
    def bgp_sessions(self):
        raise NotImplementedError

    def routes(self, family="ipv4"):
        raise NotImplementedError

    def bfd_sessions(self):
        raise LabError(f"{self.kind} has no BFD")

    # waits -------------------------------------------------------------------------
    def session(self, neighbor):
        return self.bgp_sessions().get(str(ipaddress.ip_address(neighbor)), {})

    def wait_established(self, neighbor, timeout=30):
        """Wait for the BGP session with neighbor to be Established; returns its dict."""
        neighbor = str(ipaddress.ip_address(neighbor))
        wait_until(lambda: self.session(neighbor).get("state"), timeout,
                   f"{self.name}: BGP with {neighbor} Established", expect="Established")
        return self.session(neighbor)

    def wait_route(self, prefix, timeout=30, check=None):
        """Wait until prefix is in routes() (and check(attrs) is true); returns attrs."""
        prefix = str(ipaddress.ip_network(prefix, strict=False))
        fam = family_of(prefix)

        def probe():
            attrs = self.routes(fam).get(prefix)
            if attrs is not None and (check is None or check(attrs)):
                return attrs
            return None

        return wait_until(probe, timeout, f"{self.name}: route {prefix}"
                          + (" with the expected attributes" if check else ""))

    def wait_no_route(self, prefix, timeout=30):
        prefix = str(ipaddress.ip_network(prefix, strict=False))
        fam = family_of(prefix)
        wait_until(lambda: prefix not in self.routes(fam), timeout,
                   f"{self.name}: route {prefix} withdrawn")

    def wait_bfd(self, peer, state="Up", timeout=15):
        peer = str(ipaddress.ip_address(peer))
        wait_until(lambda: self.bfd_sessions().get(peer, {}).get("state"), timeout,
                   f"{self.name}: BFD with {peer} {state}", expect=state)
        return self.bfd_sessions()[peer]
