"""The lab every interop module shares among its tests.

    b (BIRD 2) ---- f (fbfd) ---- x (attacker)
      192.0.2.1       192.0.2.0
                      198.51.100.1/24   198.51.100.2, .3, .10 ...

- BIRD: eBGP with fbfd (AS 65000 <- AS 65001), BFD on the session, route
  tracing on. It receives fbfd's service prefix 203.0.113.10/32 once; that
  route must never be removed or re-added while the barrage runs, fbfd's
  BGP session and BFD session with BIRD never leave Established/Up.
- x: the attacker. `attackers` passive BGP neighbors of fbfd, one address
  each (198.51.100.10, .11, ...): every BGP test takes a fresh one, so
  counters start at 0 and peer oscillation damping never kicks in.
  Optionally an authenticated standalone BFD session with 198.51.100.3.
"""
import ipaddress

from fbflab import Bfd, BfdPeer, Bird, Lab, Neighbor, wait_until
from fbflab.fbfd import Fbfd

AS_FBFD, AS_BIRD, AS_ATTACKER = 65001, 65000, 65100
SERVICE_PREFIX = "203.0.113.10/32"
FBFD_B, BIRD_B = "192.0.2.0", "192.0.2.1"   # the fbfd-BIRD link; fbfd's router id is FBFD_B
FBFD_X = "198.51.100.1"           # fbfd's address towards the attacker
ATTACKER_BFD = "198.51.100.3"     # the attacker's authenticated BFD session
POOL_START = 10                   # 198.51.100.10 ... : one BGP neighbor each
# A second, standalone BFD session between fbfd and BIRD on the same link
# (no BGP rides on it): the target of tests that may take a session down.
VICTIM_FBFD, VICTIM_BIRD = "192.0.2.4", "192.0.2.5"
BIRD_BFD = Bfd(min_tx=100, min_rx=100, multiplier=5)


class InteropLab:
    def __init__(self, name, attackers=0, bfd_peers=(), victim=False):
        self.lab = Lab(name=name)
        try:
            self._build(attackers, list(bfd_peers), victim)
        except BaseException:
            self.lab.close()
            raise

    def _build(self, attackers, bfd_peers, victim):
        lab = self.lab
        self.f, self.b, self.x = lab.add_node("f"), lab.add_node("b"), lab.add_node("x")
        self.fb = lab.add_link(self.f, self.b, a_addrs=[f"{FBFD_B}/31"], b_addrs=[f"{BIRD_B}/31"])
        self.fx = lab.add_link(self.f, self.x, a_addrs=[f"{FBFD_X}/24"],
                               b_addrs=["198.51.100.2/24", f"{ATTACKER_BFD}/24"])
        self.fip, self.bip = self.fb.ip_a(), self.fb.ip_b()
        net = ipaddress.ip_network("198.51.100.0/24")
        self.pool = [str(net[POOL_START + i]) for i in range(attackers)]
        if self.pool:
            batch = "".join(f"address add {a}/24 dev {self.fx.ifname_b}\n" for a in self.pool)
            self.x.run(["ip", "-batch", "-"], input=batch)
        self._next = 0

        bird_peers = []
        if victim:
            self.f.add_address(f"{VICTIM_FBFD}/31", dev=self.fb.ifname_a)
            self.b.add_address(f"{VICTIM_BIRD}/31", dev=self.fb.ifname_b)
            bird_peers.append(BfdPeer(VICTIM_FBFD, local_address=VICTIM_BIRD, bfd=BIRD_BFD))
            bfd_peers.append({"address": VICTIM_BIRD, "local_address": VICTIM_FBFD,
                              "min_tx": "100ms", "min_rx": "100ms", "multiplier": 5})
        self.bird = Bird(self.b, asn=AS_BIRD, router_id=self.bip, trace_routes=True,
                         bfd_peers=bird_peers,
                         neighbors=[Neighbor(self.fip, AS_FBFD, bfd=BIRD_BFD, passive=True)])
        bird_nbr = {"name": "bird", "address": self.bip, "remote_as": AS_BIRD,
                    "hold_time": "9s", "connect_retry": "1s", "families": ["ipv4-unicast"],
                    "bfd": {"min_tx": "100ms", "min_rx": "100ms", "multiplier": 5}}
        atk = [{"name": self.attacker_name(a), "address": a, "remote_as": AS_ATTACKER,
                "passive": True} for a in self.pool]
        self.agent = Fbfd(self.f, local_as=AS_FBFD, router_id=self.fip,
                          neighbors=[bird_nbr] + atk, bfd_peers=bfd_peers,
                          services=[{"name": "web", "prefixes": [SERVICE_PREFIX],
                                     "neighbors": ["bird"]}])
        self.bird.start()
        self.agent.start(timeout=20)
        self.pid = self.agent.status()["pid"]
        wait_until(lambda: self.bgp("bird").get("state") == "Established", 30,
                   "fbfd's BGP session with BIRD Established")
        self.bird.wait_route(SERVICE_PREFIX, timeout=15)
        self.bird.wait_bfd(self.fip, "Up", timeout=15)
        wait_until(lambda: self.bfd(self.bip).get("state") == "Up", 15, "fbfd's BFD with BIRD Up")
        if victim:
            wait_until(lambda: self.bfd(VICTIM_BIRD).get("state") == "Up", 15,
                       "fbfd's standalone BFD session with BIRD Up")
        self.bfd_discr = self.bfd(self.bip)["local_discriminator"]
        self.bgp_transitions = self.bgp("bird")["established_transitions"]

    def close(self):
        self.lab.close()

    # --- readers -----------------------------------------------------------------------
    @staticmethod
    def attacker_name(address):
        return "atk" + address.rsplit(".", 1)[1]

    def bgp(self, name):
        for n in self.agent.fbfctl("show", "bgp")["neighbors"]:
            if n["name"] == name:
                return n
        return {}

    def bfd(self, peer):
        for s in self.agent.fbfctl("show", "bfd")["sessions"]:
            if s["peer"] == peer:
                return s
        return {}

    def metrics(self):
        return self.agent.metric_samples()

    def next_attacker(self):
        """A configured, never used neighbor address of the attacker."""
        assert self._next < len(self.pool), "attacker address pool exhausted: raise `attackers`"
        addr = self.pool[self._next]
        self._next += 1
        return addr

    # --- what must never change ---------------------------------------------------------------
    def bystanders(self):
        """fbfd is the same process; BIRD's route from it was added exactly
        once and never removed; BGP and BFD with BIRD never left
        Established/Up (fbfd's counters, BIRD's own view)."""
        problems = []
        if not self.agent.alive():
            problems.append(f"fbfd exited with {self.agent.proc.returncode}")
        else:
            pid = self.agent.status()["pid"]
            if pid != self.pid:
                problems.append(f"fbfd pid changed {self.pid} -> {pid}")
        events = [e for _, e in self.bird.route_events(SERVICE_PREFIX)]
        if events != ["added"]:
            problems.append(f"BIRD's route {SERVICE_PREFIX} flapped: trace events {events}")
        if self.agent.alive():
            n = self.bgp("bird")
            if n.get("state") != "Established" or \
                    n.get("established_transitions") != self.bgp_transitions:
                problems.append(f"fbfd's BGP session with BIRD disturbed: {n}")
            s = self.bfd(self.bip)
            if s.get("state") != "Up" or s.get("flaps") != 0 or \
                    s.get("local_discriminator") != self.bfd_discr:
                problems.append(f"fbfd's BFD session with BIRD disturbed: {s}")
        bs = self.bird.bfd_sessions().get(self.fip, {})
        if bs.get("state") != "Up":
            problems.append(f"BIRD's BFD session with fbfd: {bs}")
        if self.bird.session(self.fip).get("state") != "Established":
            problems.append(f"BIRD's BGP session with fbfd: {self.bird.session(self.fip)}")
        assert not problems, "\n".join(problems)

