#!/usr/bin/env python3
"""Captures fuzzing seeds from real interop peers (run as root).

    sudo /usr/bin/python3 tests/fuzz/capture_seeds.py            # all peers
    sudo /usr/bin/python3 tests/fuzz/capture_seeds.py bird frr   # some
    FBF_BUILD_DIR=build-ci sudo -E /usr/bin/python3 tests/fuzz/capture_seeds.py

Runs fbfd (from $FBF_BUILD_DIR, default build/) against BIRD 2, FRR (bgpd +
bfdd), GoBGP and ExaBGP in network namespaces with the lab harness
(tests/lab/fbflab), records the link with tcpdump and writes what crossed it
into tests/fuzz/corpus/<harness>/:

- bgp_message/<peer>-<type>-<n>: each distinct BGP message (both directions;
  fbfd's own as fbfd-<peer>-...);
- bgp_fsm/<peer>-session: the peer's side of the conversation as a
  bgp_fsm_fuzz script (start, connect, the peer's messages with their real
  spacing in time, hold-time advances);
- bfd_packet/<peer>[-<auth>]-<state>[-poll|-final]-<n>: distinct BFD Control
  packets (the keys are the ones bfd_packet_fuzz knows, so signed ones verify);
- bfd_session/<peer>[-<auth>]-session: the peer's packets as a
  bfd_session_fuzz script, with fbfd's discriminator, timers and key.

Each session runs through: up, routes/Up, a ROUTE-REFRESH (BGP) or a Poll
Sequence (BFD), then the peer stops (NOTIFICATION Cease / AdminDown) — so the
seeds hold every message type. Files are deduplicated by content and capped
per kind, keeping the committed corpus small. Only documentation addresses
are used; the namespaces are torn down on every exit path (fbflab.Lab).
"""
import hashlib
import ipaddress
import os
import signal
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from fbflab import Bfd, BfdPeer, Bird, ExaBgp, Frr, GoBgp, Lab, Neighbor, Route, wait_until  # noqa: E402
from fbflab.fbfd import Fbfd, missing_binaries  # noqa: E402
from fbflab.peers import missing  # noqa: E402

CORPUS = HERE / "corpus"
AS_FBFD, AS_PEER = 65001, 65000
P4, P6 = "203.0.113.10/32", "2001:db8:ffff::10/128"
PEER_ROUTES = [Route("198.51.100.0/24", med=10, communities=["65000:100"]),
               Route("203.0.113.128/25", large_communities=["65000:1:2"]),
               Route("2001:db8:100::/48", communities=["65000:200"])]
# The keys bfd_packet_fuzz.cpp configures: signed seeds verify there too.
BFD_AUTH = {None: None,
            "simple": ("password", 5), "keyed-md5": ("secret", 7),
            "meticulous-keyed-md5": ("secret", 7), "keyed-sha1": ("secret", 7),
            "meticulous-keyed-sha1": ("secret", 7)}
AUTH_CODE = {None: 0, "simple": 1, "keyed-md5": 2, "meticulous-keyed-md5": 3,
             "keyed-sha1": 4, "meticulous-keyed-sha1": 5}
BGP_TYPES = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "route-refresh"}
BFD_STATES = {0: "admindown", 1: "down", 2: "init", 3: "up"}
PER_KIND = 4          # files per (peer, message kind) at most


# --- pcap reading (stdlib) -------------------------------------------------------------
def read_pcap(path):
    """Yields (time, src, dst, proto, sport, dport, seq, flags, payload) of the
    IPv4/IPv6 TCP/UDP packets of an Ethernet pcap."""
    data = Path(path).read_bytes()
    if len(data) < 24:
        return
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < incl:
            break
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:                       # Ethernet
            etype, l3 = struct.unpack("!H", frame[12:14])[0], frame[14:]
            if etype == 0x8100:
                etype, l3 = struct.unpack("!H", frame[16:18])[0], frame[18:]
        elif linktype == 113:                   # Linux cooked
            etype, l3 = struct.unpack("!H", frame[14:16])[0], frame[16:]
        else:
            raise SystemExit(f"{path}: link type {linktype} not handled")
        if etype == 0x0800:
            ihl = (l3[0] & 0x0f) * 4
            total = struct.unpack("!H", l3[2:4])[0]
            proto, src, dst = l3[9], ipaddress.ip_address(l3[12:16]), ipaddress.ip_address(l3[16:20])
            l4 = l3[ihl:total]
        elif etype == 0x86dd:
            plen = struct.unpack("!H", l3[4:6])[0]
            proto, src, dst = l3[6], ipaddress.ip_address(l3[8:24]), ipaddress.ip_address(l3[24:40])
            l4 = l3[40:40 + plen]                # no extension headers on this link
        else:
            continue
        if proto == 6:
            sport, dport, seq = struct.unpack("!HHI", l4[:8])
            doff = (l4[12] >> 4) * 4
            yield t, str(src), str(dst), "tcp", sport, dport, seq, l4[13], l4[doff:]
        elif proto == 17:
            sport, dport = struct.unpack("!HH", l4[:4])
            yield t, str(src), str(dst), "udp", sport, dport, 0, 0, l4[8:]


def bgp_messages(path):
    """[(time, src, message bytes)] of every TCP port 179 stream, reassembled
    in sequence order (retransmissions dropped) and split at BGP headers."""
    streams = {}
    for t, src, dst, proto, sport, dport, seq, flags, payload in read_pcap(path):
        if proto != "tcp" or 179 not in (sport, dport):
            continue
        s = streams.setdefault((src, sport, dst, dport), {"next": None, "buf": b"", "out": []})
        if flags & 0x02:                        # SYN
            s["next"], s["buf"] = (seq + 1) & 0xffffffff, b""
            continue
        if not payload or s["next"] is None:
            continue
        if seq != s["next"]:                    # a retransmission (nothing is lost on a veth)
            continue
        s["next"] = (seq + len(payload)) & 0xffffffff
        s["buf"] += payload
        while len(s["buf"]) >= 19 and len(s["buf"]) >= struct.unpack("!H", s["buf"][16:18])[0]:
            n = struct.unpack("!H", s["buf"][16:18])[0]
            if n < 19:
                break
            s["out"].append((t, src, s["buf"][:n]))
            s["buf"] = s["buf"][n:]
    return sorted((m for s in streams.values() for m in s["out"]), key=lambda m: m[0])


def bfd_packets(path):
    return [(t, src, payload) for t, src, dst, proto, sport, dport, *_, payload
            in read_pcap(path) if proto == "udp" and dport in (3784, 4784)]


# --- writing seeds ---------------------------------------------------------------------
class Corpus:
    def __init__(self, harness, kinds):
        self.dir = CORPUS / harness
        self.dir.mkdir(parents=True, exist_ok=True)
        # A new capture of a peer replaces its seeds.
        for p in self.dir.iterdir():
            if any(p.name.startswith((f"{k}-", f"fbfd-{k}-")) for k in kinds):
                p.unlink()
        self.seen = {hashlib.sha1(p.read_bytes()).digest() for p in self.dir.iterdir()}
        self.counts = {}
        self.written = []

    def add(self, stem, data, cap=PER_KIND):
        digest = hashlib.sha1(data).digest()
        if digest in self.seen or self.counts.get(stem, 0) >= cap:
            return
        self.seen.add(digest)
        self.counts[stem] = self.counts.get(stem, 0) + 1
        path = self.dir / f"{stem}-{self.counts[stem]}"
        path.write_bytes(data)
        self.written.append(path)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def advance_steps(seconds, ops):
    """bfd_session / bgp_fsm 'advance' steps for a gap (op, unit seconds)."""
    op, unit = ops
    out = b""
    ticks = max(0, round(seconds / unit))
    while ticks > 0:
        n = min(ticks, 0xffff)
        out += bytes([op]) + u16(n)
        ticks -= n
    return out


def bgp_fsm_script(messages, peer_ip, router_id):
    """The peer's messages as a bgp_fsm_fuzz input (see its header)."""
    flags = 0x10                                 # IPv4 + IPv6 unicast, eBGP, active
    head = bytes([flags]) + u32(AS_FBFD) + u32(AS_PEER) + u16(9) + u32(
        int(ipaddress.ip_address(router_id)))
    steps = bytes([0x02, 0x05])                  # start, outbound connected
    last = None
    for t, src, m in messages:
        if src != peer_ip:
            continue
        if last is not None:
            steps += advance_steps(t - last, (0x00, 0.001))      # 1 ms units
        last = t
        steps += bytes([0x08]) + u16(len(m)) + m                  # raw bytes, outbound
        if len(steps) > 8000:
            break
    steps += bytes([0x20]) + u16(10)             # and ten more seconds: hold timer
    return head + steps


def bfd_session_script(packets, peer_ip, fbfd_discr, auth):
    """The peer's packets as a bfd_session_fuzz input (see its header)."""
    key, key_id = BFD_AUTH[auth] or ("", 0)
    flags = AUTH_CODE[auth] << 1                 # Active
    head = bytes([flags, 255, 3]) + u32(fbfd_discr) + u16(1000) * 2 + u16(0) * 2
    head += bytes([key_id, len(key)]) + key.encode()
    steps, last, kept = b"", None, 0
    for t, src, payload in packets:
        if src != peer_ip:
            continue
        if last is not None:
            steps += advance_steps(t - last, (0x08, 0.0001))     # 100 us units
        last = t
        steps += bytes([0x02, len(payload)]) + payload + bytes([255])
        kept += 1
        if kept >= 120:                          # 256 steps at most
            break
    steps += bytes([0x10]) + u16(100)            # then a second of silence: Detection Time
    return head + steps


# --- running the peers ------------------------------------------------------------------
class Tcpdump:
    def __init__(self, node, ifname, name):
        self.path = node.path(f"{name}.pcap")
        self.proc = node.popen(["tcpdump", "-i", ifname, "-n", "-U", "-s", "0", "-w",
                                str(self.path), "tcp port 179 or udp port 3784 or udp port 4784"],
                               name=f"tcpdump-{name}")
        wait_until(lambda: "listening on" in self.proc.log_text() or not self.proc.alive(), 20,
                   "tcpdump to start")
        if not self.proc.alive():
            raise SystemExit(f"tcpdump: {self.proc.log_tail(5)}")

    def stop(self):
        self.proc.signal(signal.SIGINT)
        try:
            self.proc.wait(5)
        except Exception:  # noqa: BLE001 - stop() kills it
            pass
        self.proc.stop(3)
        return self.path


PEERS = {"bird": Bird, "frr": Frr, "gobgp": GoBgp, "exabgp": ExaBgp}


def route_refresh(kind, router, addr):
    if kind == "bird":
        router.birdc(f"reload in {router._proto_for(addr)}")
    elif kind == "frr":
        router.vtysh(f"clear bgp ipv4 unicast {addr} soft in")
    elif kind == "gobgp":
        router.gobgp("neighbor", addr, "softresetin")


def optional(wait):
    """A wait whose timeout only costs a seed, not the capture."""
    try:
        wait()
    except AssertionError as exc:
        print(f"  (not captured: {str(exc).splitlines()[0]})")


def capture_bgp(kind):
    cls = PEERS[kind]
    with Lab(name=f"seeds-bgp-{kind}") as lab:
        h, r = lab.add_node("h"), lab.add_node("r")
        link = lab.add_link(h, r)
        fip, rip = link.ip_a("ipv4"), link.ip_b("ipv4")
        router = cls(r, asn=AS_PEER, router_id="198.51.100.254",
                     neighbors=[Neighbor(fip, AS_FBFD, families=["ipv4", "ipv6"],
                                         passive=cls is ExaBgp)],
                     routes=PEER_ROUTES)
        agent = Fbfd(h, local_as=AS_FBFD, router_id=fip, neighbors=[{
            "name": "r", "address": rip, "remote_as": AS_PEER, "hold_time": "9s",
            "connect_retry": "1s", "families": ["ipv4-unicast", "ipv6-unicast"],
            "next_hop": ["self", link.ip_a("ipv6")]}],
            services=[{"name": "web", "prefixes": [P4, P6], "med": 42,
                       "communities": ["65001:100"], "large_communities": ["65001:1:1"]}],
            maintenance={"shutdown_message": "fbf seeds: planned maintenance"})
        cap = Tcpdump(r, link.ifname_b, f"bgp-{kind}")
        router.start()
        agent.start()
        router.wait_established(fip, timeout=30)
        router.wait_route(P4, timeout=30)

        def seen(pred, what, timeout=20):
            return wait_until(lambda: pred(bgp_messages(cap.path)), timeout, what)
        # The peer's routes and a KEEPALIVE after them.
        seen(lambda ms: any(s == rip and m[18] == 2 for _, s, m in ms), f"an UPDATE from {kind}")
        seen(lambda ms: [m[18] for _, s, m in ms if s == rip][-1] == 4,
             f"a KEEPALIVE from {kind} after its UPDATEs")
        if kind in ("bird", "frr", "gobgp"):
            route_refresh(kind, router, fip)
            optional(lambda: seen(lambda ms: any(s == rip and m[18] == 5 for _, s, m in ms),
                                  f"a ROUTE-REFRESH from {kind}", timeout=10))
        router.stop()                            # Cease from the peer
        optional(lambda: seen(lambda ms: any(s == rip and m[18] == 3 for _, s, m in ms),
                              f"a NOTIFICATION from {kind}", timeout=5))
        agent.stop()
        return bgp_messages(cap.stop()), rip, fip


def capture_bfd(kind, auth):
    cls = {"bird": Bird, "frr": Frr}[kind]
    fast = Bfd(min_tx=100, min_rx=100, multiplier=3)
    with Lab(name=f"seeds-bfd-{kind}") as lab:
        f, p = lab.add_node("f"), lab.add_node("p")
        link = lab.add_link(f, p)
        fip, pip = link.ip_a("ipv4"), link.ip_b("ipv4")
        extra, fextra = {}, {}
        if auth:
            key, key_id = BFD_AUTH[auth]
            extra = {"auth_type": auth, "auth_key_id": key_id, "auth_key": key}
            fextra = dict(extra)
        peer = cls(p, asn=AS_PEER, router_id=pip,
                   bfd_peers=[BfdPeer(fip, local_address=pip, bfd=fast, **extra)])
        agent = Fbfd(f, local_as=AS_FBFD, router_id=fip, bfd_peers=[{
            "address": pip, "local_address": fip, "min_tx": "100ms", "min_rx": "100ms",
            "multiplier": 3, **fextra}])
        cap = Tcpdump(p, link.ifname_b, f"bfd-{kind}")
        peer.start()
        agent.start()

        def fbfd_session():
            s = agent.fbfctl("show", "bfd")["sessions"]
            return s[0] if s else {}
        wait_until(lambda: fbfd_session().get("state") == "Up" and fbfd_session()
                   .get("remote_state") == "Up", 20, f"BFD Up with {kind}")

        def up_from_peer():
            return sum(1 for _, s, pl in bfd_packets(cap.path) if s == pip and pl[1] >> 6 == 3)
        wait_until(lambda: up_from_peer() >= 10, 10, f"ten Up packets from {kind}")
        # A Poll Sequence: fbfd slows down, the peer answers with Final.
        agent.doc["bfd_peer"][0]["min_tx"] = "300ms"
        agent.reload()
        wait_until(lambda: any(s == pip and pl[1] & 0x10 for _, s, pl in bfd_packets(cap.path)),
                   10, f"a Final from {kind}")
        n = up_from_peer()
        wait_until(lambda: up_from_peer() >= n + 5, 10, f"five more Up packets from {kind}")
        peer.stop()                              # AdminDown (or silence: Detection Time)
        wait_until(lambda: fbfd_session().get("state") == "Down", 10, "fbfd to see it Down")
        agent.stop()
        discr = None
        packets = bfd_packets(cap.stop())
        for _, src, payload in packets:
            if src == fip and len(payload) >= 24:
                discr = struct.unpack("!I", payload[4:8])[0]
                break
        return packets, pip, fip, discr


def bfd_name(payload):
    name = BFD_STATES[payload[1] >> 6]
    if payload[1] & 0x20:
        name += "-poll"
    if payload[1] & 0x10:
        name += "-final"
    return name


def main(argv):
    if os.geteuid() != 0:
        raise SystemExit("capture_seeds.py: run as root (network namespaces)")
    if missing_binaries():
        raise SystemExit(f"not built: {', '.join(missing_binaries())} (set FBF_BUILD_DIR)")
    kinds = argv or list(PEERS)
    corpora = {h: Corpus(h, kinds) for h in ("bgp_message", "bgp_fsm", "bfd_packet", "bfd_session")}
    for kind in kinds:
        if missing(PEERS[kind]):
            print(f"{kind}: not installed ({', '.join(missing(PEERS[kind]))}), skipped")
            continue
        t0 = time.monotonic()
        messages, rip, fip = capture_bgp(kind)
        for _, src, m in messages:
            who = kind if src == rip else f"fbfd-{kind}"
            corpora["bgp_message"].add(f"{who}-{BGP_TYPES.get(m[18], 'type%d' % m[18])}", m)
        corpora["bgp_fsm"].add(f"{kind}-session", bgp_fsm_script(messages, rip, fip), cap=1)
        print(f"{kind}: {len(messages)} BGP messages in {time.monotonic() - t0:.1f} s")
        if kind not in ("bird", "frr"):
            continue                             # GoBGP and ExaBGP have no BFD
        for auth in ([None] + list(AUTH_CODE)[1:] if kind == "bird" else [None]):
            t0 = time.monotonic()
            packets, pip, fip, discr = capture_bfd(kind, auth)
            tag = kind + (f"-{auth}" if auth else "")
            for _, src, payload in packets:
                who = tag if src == pip else f"fbfd-{tag}"
                corpora["bfd_packet"].add(f"{who}-{bfd_name(payload)}", payload, cap=2)
            if discr:
                corpora["bfd_session"].add(f"{tag}-session",
                                           bfd_session_script(packets, pip, discr, auth), cap=1)
            print(f"{tag}: {len(packets)} BFD packets in {time.monotonic() - t0:.1f} s")
    for name, c in corpora.items():
        total = sum(p.stat().st_size for p in c.dir.iterdir())
        print(f"corpus/{name}: {len(c.written)} new files, {total} bytes in all")


if __name__ == "__main__":
    main(sys.argv[1:])
