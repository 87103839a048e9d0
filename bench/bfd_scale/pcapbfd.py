"""BFD Control packets from a pcap file, and what the bench computes from them.

Pure functions (no processes, no namespaces) so they can be checked on their
own: read_pcap() yields (timestamp ns, frame), parse_bfd() decodes an
Ethernet/IPv4/UDP frame carrying RFC 5880 §4.1 Control packets, and
analyse() turns the packets of a measurement window into the figures of
docs/performance.md:

- transmit jitter of the measured daemon, per session: the gap between two
  consecutive periodic transmissions divided by the transmit interval in use
  (RFC 5880 §6.8.7: "the interval MUST be reduced by a random value of 0 to
  25%", so the gap must lie in [75 %, 100 %] of the interval, [75 %, 90 %]
  when bfd.DetectMult is 1). The interval is the greater of the packet's
  Desired Min TX Interval and the Required Min RX Interval the peer last
  sent (§6.8.2, §6.8.7). Gaps next to a packet with the F bit are left out:
  a Final answers a Poll at once, outside the periodic schedule (§6.8.7).
- flaps seen on the wire, both directions: a packet whose State is not Up
  inside the window, and gaps longer than the Detection Time the receiver
  uses (Detect Mult × the interval, §6.8.4) — a loss the receiver would
  have declared the session Down for.
"""
import bisect
import struct
from collections import defaultdict

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
BFD_PORTS = (3784, 4784)        # RFC 5881 §4, RFC 5883 §4
STATES = ("AdminDown", "Down", "Init", "Up")


def read_pcap(path):
    """(linktype, [(ts_ns, frame bytes)]) of a classic pcap file (µs or ns)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return LINKTYPE_ETHERNET, []
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise ValueError(f"{path}: not a pcap file")
    scale = 1 if magic == PCAP_MAGIC_NS else 1000
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    rec = struct.Struct(endian + "IIII")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = rec.unpack_from(data, off)
        off += 16
        out.append((sec * 1_000_000_000 + frac * scale, data[off:off + incl]))
        off += incl
    return linktype, out


def parse_bfd(frame, linktype=LINKTYPE_ETHERNET):
    """A dict with the addresses and the §4.1 fields, or None (not IPv4/UDP/BFD)."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        ethertype, off = struct.unpack_from("!H", frame, 12)[0], 14
        if ethertype == 0x8100 and len(frame) >= 18:   # one VLAN tag
            ethertype, off = struct.unpack_from("!H", frame, 16)[0], 18
    elif linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        ethertype, off = struct.unpack_from("!H", frame, 14)[0], 16
    else:
        return None
    if ethertype != 0x0800 or len(frame) < off + 20:
        return None
    ihl = (frame[off] & 0x0F) * 4
    if frame[off + 9] != 17:                           # UDP
        return None
    ttl = frame[off + 8]
    src = ".".join(map(str, frame[off + 12:off + 16]))
    dst = ".".join(map(str, frame[off + 16:off + 20]))
    udp = off + ihl
    if len(frame) < udp + 8 + 24:
        return None
    sport, dport = struct.unpack_from("!HH", frame, udp)
    if dport not in BFD_PORTS:
        return None
    b = udp + 8
    vers_diag, sta_flags, mult, _length, my, your, tx, rx, echo = struct.unpack_from(
        "!BBBBIIIII", frame, b)
    return {"src": src, "dst": dst, "sport": sport, "dport": dport, "ttl": ttl,
            "version": vers_diag >> 5, "diag": vers_diag & 0x1F,
            "state": STATES[sta_flags >> 6], "poll": bool(sta_flags & 0x20),
            "final": bool(sta_flags & 0x10), "detect_mult": mult,
            "my_disc": my, "your_disc": your, "desired_min_tx": tx,
            "required_min_rx": rx, "required_min_echo_rx": echo}


def quantile(sorted_values, q):
    """Nearest-rank quantile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def analyse(packets, measured, start_ns, end_ns):
    """Figures for one window.

    packets: [(ts_ns, parsed)] in capture order, both directions.
    measured: the set of addresses of the measured daemon (its transmissions
    are the packets sourced from them).
    Only packets with start_ns <= ts < end_ns count.
    """
    tx = defaultdict(list)        # (measured addr, peer addr) -> [(ts, pkt)]
    rx = defaultdict(list)        # same key, packets from the peer
    for ts, p in packets:
        if not start_ns <= ts < end_ns:
            continue
        if p["src"] in measured:
            tx[(p["src"], p["dst"])].append((ts, p))
        elif p["dst"] in measured:
            rx[(p["dst"], p["src"])].append((ts, p))

    ratios, gaps_ms, skipped = [], [], 0
    early = late = inside = 0
    late_at = []                  # when each late gap ended (ts_ns)
    for key, sent in tx.items():
        peer = rx.get(key, [])
        j = 0
        peer_min_rx = None
        for (t0, p0), (t1, p1) in zip(sent, sent[1:]):
            while j < len(peer) and peer[j][0] <= t1:
                peer_min_rx = peer[j][1]["required_min_rx"]
                j += 1
            if p0["final"] or p1["final"] or p0["state"] != p1["state"]:
                skipped += 1
                continue
            interval_us = max(p1["desired_min_tx"], peer_min_rx or 0)
            if interval_us == 0:
                skipped += 1
                continue
            gap_us = (t1 - t0) / 1000
            ratio = gap_us / interval_us
            ceiling = 0.90 if p1["detect_mult"] == 1 else 1.0
            if ratio < 0.75:
                early += 1
            elif ratio > ceiling:
                late += 1
                late_at.append(t1)
            else:
                inside += 1
            ratios.append(ratio)
            gaps_ms.append(gap_us / 1000)
    ratios.sort()
    gaps_ms.sort()
    total = len(ratios)
    jitter = {
        "gaps": total, "skipped": skipped,
        "inside": inside, "early": early, "late": late,
        "inside_pct": 100.0 * inside / total if total else None,
        "gap_ms": {q: quantile(gaps_ms, v) for q, v in
                   (("min", 0.0), ("p0.1", 0.001), ("p50", 0.5), ("p99", 0.99),
                    ("p99.9", 0.999), ("max", 1.0))},
        "ratio": {q: quantile(ratios, v) for q, v in
                  (("min", 0.0), ("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999),
                   ("max", 1.0))},
    }
    if gaps_ms:
        jitter["gap_ms"]["min"], jitter["gap_ms"]["max"] = gaps_ms[0], gaps_ms[-1]
    jitter["late_episodes"] = late_episodes(late_at, packets, measured, start_ns, end_ns)
    return {"jitter": jitter,
            "wire_flaps": {"from_measured": _flaps(tx, rx), "from_peer": _flaps(rx, tx),
                           "origins": flap_origins(tx, rx)},
            "sessions_seen": len(tx)}


def flap_origins(tx, rx):
    """Who left Up first in each session that left Up on the wire, and with
    which diagnostic: {"measured": {diag: sessions}, "peer": {diag: sessions}}
    (diag 1: Control Detection Time Expired, 3: Neighbor Signaled Session
    Down; RFC 5880 §4.1). The side that follows says 3, or goes Down on its
    own Detection Time when the other side stopped sending."""
    out = {"measured": {}, "peer": {}}
    for key in set(tx) | set(rx):
        firsts = []
        for side, sent in (("measured", tx.get(key, [])), ("peer", rx.get(key, []))):
            prev = "Up"
            for ts, p in sent:
                if p["state"] != "Up" and prev == "Up":
                    firsts.append((ts, side, p["diag"]))
                    break
                prev = p["state"]
        if firsts:
            _ts, side, diag = min(firsts)
            out[side][diag] = out[side].get(diag, 0) + 1
    return out


def late_episodes(late_at, packets, measured, start_ns, end_ns, join_ns=100_000_000):
    """Late gaps grouped into episodes (late packets less than join_ns apart),
    each with the longest silence on the wire in each direction during the
    join_ns before it ended: a silence of both directions is a stall of the
    whole machine (the peer sent nothing either), one of the measured
    direction alone a stall of the measured daemon."""
    if not late_at:
        return []
    late_at = sorted(late_at)
    groups = [[late_at[0], late_at[0], 1]]
    for t in late_at[1:]:
        if t - groups[-1][1] < join_ns:
            groups[-1][1] = t
            groups[-1][2] += 1
        else:
            groups.append([t, t, 1])
    sent = sorted(ts for ts, p in packets if start_ns <= ts < end_ns and p["src"] in measured)
    received = sorted(ts for ts, p in packets if start_ns <= ts < end_ns and p["dst"] in measured)

    def silence_ms(stamps, lo, hi):
        # stamps are sorted: only the episode's slice
        inside = stamps[bisect.bisect_left(stamps, lo):bisect.bisect_right(stamps, hi)]
        edges = [lo] + inside + [hi]
        return max(b - a for a, b in zip(edges, edges[1:])) / 1e6

    return [{"at_s": round((first - start_ns) / 1e9, 3), "late_gaps": n,
             "measured_silence_ms": round(silence_ms(sent, first - join_ns, last), 2),
             "peer_silence_ms": round(silence_ms(received, first - join_ns, last), 2)}
            for first, last, n in groups]


def _flaps(sent_by, other_side):
    """Sessions whose sender said anything but Up, and gaps beyond the
    receiver's Detection Time, in one direction."""
    not_up, transitions, detect_gaps = set(), 0, 0
    for key, sent in sent_by.items():
        prev = "Up"
        for _ts, p in sent:
            if p["state"] != "Up":
                not_up.add(key)
                if prev == "Up":
                    transitions += 1
            prev = p["state"]
        back = other_side.get(key, [])
        receiver_min_rx = max((p["required_min_rx"] for _t, p in back), default=0)
        for (t0, p0), (t1, _p1) in zip(sent, sent[1:]):
            interval_us = max(p0["desired_min_tx"], receiver_min_rx)
            if interval_us and (t1 - t0) / 1000 > p0["detect_mult"] * interval_us:
                detect_gaps += 1
    return {"sessions_not_up": len(not_up), "up_to_other": transitions,
            "gaps_over_detection_time": detect_gaps}
