#!/usr/bin/python3
"""Detection: how long after the peer goes silent each daemon declares it Down.

For each measured daemon (fbfd, BIRD 2 `protocol bfd`, FRR bfdd) a fresh
lab like bench/bfd_scale's: namespace `m` runs the measured daemon,
namespace `p` the peer (always BIRD), joined by one veth carrying
`parallel` address pairs and one single-hop session per pair at
--interval ms × --mult. Rounds of:

    all sessions Up on both sides, settle, tcpdump on m's veth,
    cut (the peer goes silent), wait until the measured daemon has them all
    Down, stop the capture, restore, wait Up again

until `trials` sessions have been measured. Two ways of going silent:

- nft: an nftables rule in the PEER namespace drops the peer's outgoing
  BFD (udp dport 3784); the peer keeps running and keeps receiving;
- sigstop: SIGSTOP of the peer's BIRD (SIGCONT to restore).

Measured on the wire, the same way for every daemon (kernel timestamps of
tcpdump on m's veth, bench/bfd_scale's Capture and pcapbfd), per session:

    t_last  = the last packet from the peer before t_down
    t_down  = the first packet the measured daemon sends after the cut whose
              State is not Up (counted only if State Down, Diag 1 "Control
              Detection Time Expired"; anything else is a missed detection)
    detect  = the measured daemon's Detection Time (RFC 5880 §6.8.4): the
              peer's Detect Mult × max(peer's Desired Min TX, our Required
              Min RX), read from the packets (the peer's last packet, the
              measured daemon's last packet before t_down)
    excess  = (t_down − t_last) − detect, ms (negative: declared early)

The wire time of the Down packet is the detection time only if the daemon
sends a packet at once when it goes Down (§6.8.7 does not require it).
Each sample therefore also records how long after the daemon's previous
transmission the Down packet left: sent at once, that gap is spread over
the whole transmit interval; sent on the periodic schedule, it is never
below 75 % of it. The row note says which it was (`sends_down_at_once`).

    sudo bench/compare/detection.py --reps 1 --trials 20
    sudo bench/compare/detection.py --how sigstop --daemons fbfd,frr

Needs root, bird, FRR, tcpdump, nft and a built fbfd ($FBF_BUILD_DIR or
--build-dir). compare.py calls run().
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402  (puts tests/lab and bench/bfd_scale on sys.path)
from common import DAEMON_NAMES, Row, Target, percentile  # noqa: E402

import bfd_scale  # noqa: E402
import pcapbfd  # noqa: E402
from bfd_scale import Capture, Side, addr  # noqa: E402

SECTION = "detection"
DAEMONS = ("fbfd", "bird", "frr")
HOWS = ("nft", "sigstop")
TARGET_EXCESS_MS = 5.0
NFT_TABLE = "fbfbench"
CAPTURE_TAIL_S = 2.5              # capture kept running after a batch's last round
DIAG_DETECT_EXPIRED = 1            # RFC 5880 §4.1 "Control Detection Time Expired"
AT_ONCE_RATIO = 0.70               # a Down sent this early in the tx interval was not periodic
AT_ONCE_SHARE = 0.25               # sent at once: ~70 % of samples below AT_ONCE_RATIO


# --- the wire ---------------------------------------------------------------------------------
def analyse_round(packets, pairs, cut_ns, end_ns, start_ns=0):
    """One round's per-session results from the capture.

    packets: [(ts_ns, parsed)] (pcapbfd), both directions, capture order.
    pairs: [(measured address, peer address)].
    cut_ns: wall-clock ns just before the cut was applied; [start_ns, end_ns):
    the round's window (end_ns is before the restore).
    Returns [dict]: either a sample ("excess_ms" set) or a miss ("miss" set).
    """
    flows = {}                    # (src, dst) -> [(ts, pkt)]
    for ts, p in packets:
        if start_ns <= ts < end_ns:
            flows.setdefault((p["src"], p["dst"]), []).append((ts, p))
    out = []
    for m_addr, p_addr in pairs:
        sent = sorted(flows.get((m_addr, p_addr), []), key=lambda x: x[0])
        got = sorted(flows.get((p_addr, m_addr), []), key=lambda x: x[0])
        res = {"session": m_addr, "peer": p_addr}
        out.append(res)
        before_m = [x for x in sent if x[0] < cut_ns]
        before_p = [x for x in got if x[0] < cut_ns]
        if not before_m or not before_p:
            res["miss"] = "no packets before the cut"
            continue
        if before_m[-1][1]["state"] != "Up" or before_p[-1][1]["state"] != "Up":
            res["miss"] = (f"not Up at the cut (measured {before_m[-1][1]['state']}, "
                           f"peer {before_p[-1][1]['state']})")
            continue
        down = next(((t, p) for t, p in sent if t >= cut_ns and p["state"] != "Up"), None)
        if down is None:
            res["miss"] = "never went Down"
            continue
        t_down, pd = down
        if pd["state"] != "Down" or pd["diag"] != DIAG_DETECT_EXPIRED:
            res["miss"] = f"went {pd['state']} with diag {pd['diag']}"
            continue
        last = [x for x in got if x[0] < t_down]
        prev = [x for x in sent if x[0] < t_down]
        t_last, pl = last[-1]
        t_prev, pp = prev[-1]
        detect_us = pl["detect_mult"] * max(pl["desired_min_tx"], pp["required_min_rx"])
        latency_ms = (t_down - t_last) / 1e6
        tx_interval_us = max(pp["desired_min_tx"], pl["required_min_rx"])
        res.update({
            "latency_ms": round(latency_ms, 4),
            "detect_time_ms": detect_us / 1000,
            "excess_ms": round(latency_ms - detect_us / 1000, 4),
            "peer_detect_mult": pl["detect_mult"],
            "peer_desired_min_tx_ms": pl["desired_min_tx"] / 1000,
            "measured_required_min_rx_ms": pp["required_min_rx"] / 1000,
            "t_last_after_cut_ms": round((t_last - cut_ns) / 1e6, 3),
            "peer_packets_after_cut": sum(1 for t, _ in got if cut_ns <= t < t_down),
            # The Down packet's distance from the daemon's previous transmission,
            # as a fraction of the transmit interval in use (§6.8.7).
            "down_after_prev_tx_ratio": (round((t_down - t_prev) / 1000 / tx_interval_us, 3)
                                         if tx_interval_us else None),
        })
    return out


def sends_down_at_once(samples):
    """(verdict, share): share = the fraction of samples whose Down packet left
    earlier than AT_ONCE_RATIO of the transmit interval after the previous
    transmission. A daemon that sends at once on going Down puts ~70 % there
    (detection is unrelated to its own transmit schedule); one that waits for
    its next periodic transmission puts none (§6.8.7: gaps ≥ 75 %).
    verdict None when there are too few samples to tell."""
    ratios = [s["down_after_prev_tx_ratio"] for s in samples
              if s.get("down_after_prev_tx_ratio") is not None]
    if not ratios:
        return None, None
    share = sum(r < AT_ONCE_RATIO for r in ratios) / len(ratios)
    if len(ratios) < 8:
        return None, share
    return share >= AT_ONCE_SHARE, share


def stats(samples):
    ex = [s["excess_ms"] for s in samples]
    if not ex:
        return None
    return {"n": len(ex), "p50": percentile(ex, 50), "p99": percentile(ex, 99),
            "max": max(ex), "min": min(ex)}


# --- the lab ----------------------------------------------------------------------------------
class Silencer:
    """Makes the peer go silent and speak again."""

    def __init__(self, how, node, peer_side):
        self.how, self.node, self.peer = how, node, peer_side
        if how == "nft":
            rules = node.path("silence.nft")
            rules.write_text(f"table inet {NFT_TABLE} {{\n"
                             "  chain out { type filter hook output priority 0; "
                             "policy accept; }\n}\n")
            node.run(["nft", "-f", str(rules)])

    def cut(self):
        if self.how == "nft":
            self.node.run(["nft", "add", "rule", "inet", NFT_TABLE, "out",
                           "udp", "dport", "3784", "drop"])
        else:
            self.peer.daemon.pause()

    def restore(self):
        if self.how == "nft":
            self.node.run(["nft", "flush", "chain", "inet", NFT_TABLE, "out"])
        else:
            self.peer.daemon.resume()


def _fbfd_self_report(side):
    """fbfd's own last detection latency per session (µs clock, userspace
    receive to expiry): a cross-check of the wire figure, JSON only."""
    try:
        sessions = side.daemon.fbfctl("show", "bfd", timeout=30)["sessions"]
    except Exception:   # noqa: BLE001 - a cross-check must not fail the run
        return None
    return {s["peer"]: s.get("last_detection_latency_ms") for s in sessions}


def measure(kind, *, trials=100, parallel=10, interval=50, mult=3, how="nft", settle=1.0,
            keep=False, log=print):
    """One repetition for one measured daemon: rounds until `trials` samples.
    Returns {"samples": [...], "misses": [...], "rounds": [...], ...}."""
    from fbflab import Lab, wait_until
    k = parallel
    pairs = [(addr("m", i), addr("p", i)) for i in range(k)]
    max_rounds = 2 * math.ceil(trials / k) + 3
    detect_ms = interval * mult
    result = {"daemon": kind, "peer": "bird", "how": how, "parallel": k,
              "interval_ms": interval, "multiplier": mult,
              "samples": [], "misses": [], "rounds": [], "tcpdump": []}
    with Lab(name=f"detect-{kind}", keep_dir=keep or None) as lab:
        m, p = bfd_scale.two_nodes(lab, k, peer_buffers=False)
        peer = Side("bird", p, "p", k, "to-m", interval, mult).start()
        measured = Side(kind, m, "m", k, "to-p", interval, mult).start()
        silencer = Silencer(how, p, peer)

        def all_up():
            a, b = measured.state()["up"], peer.state()["up"]
            return (a, b) if a == k and b == k else None

        def none_up():
            return measured.state()["up"] == 0

        try:
            wait_until(all_up, 60, f"{k} sessions Up on {kind} and bird", interval=0.5)
        except AssertionError as exc:
            raise RuntimeError(f"{kind}: sessions did not come Up: {exc}") from None
        rnd, batch_no = 0, 0
        while len(result["samples"]) < trials and rnd < max_rounds and "error" not in result:
            # One capture for a batch of rounds: tcpdump hands packets over in
            # blocks retired up to ~1 s late (libpcap's TPACKET_V3 timeout)
            # and loses the open block on SIGINT, so the capture runs on well
            # past the last round's packets (CAPTURE_TAIL_S) before it stops.
            batch = min(math.ceil((trials - len(result["samples"])) / k), max_rounds - rnd)
            pcap = Path(lab.path(f"{kind}-batch{batch_no}.pcap"))
            cap = Capture(m, "to-p", pcap)
            windows, start_ns = [], time.time_ns()
            for _ in range(batch):
                time.sleep(settle)             # Poll Sequence to the fast rate (§6.8.3)
                time.sleep(random.uniform(0, interval / 1000))   # random phase
                cut_ns = time.time_ns()
                silencer.cut()
                time.sleep(2 * detect_ms / 1000 + 0.2)   # no queries while it detects
                try:
                    wait_until(none_up, 5, f"{kind} to declare every session Down",
                               interval=0.1)
                    all_down = True
                except AssertionError:
                    all_down = False
                time.sleep(0.1)                # the Down packets are on the wire
                end_ns = time.time_ns()
                info = {"round": rnd, "batch": batch_no, "cut_epoch_ns": cut_ns,
                        "all_down_by_daemon": all_down}
                if kind == "fbfd":
                    info["fbfd_last_detection_latency_ms"] = _fbfd_self_report(measured)
                silencer.restore()
                windows.append((start_ns, cut_ns, end_ns, info))
                start_ns = end_ns
                rnd += 1
                try:
                    wait_until(all_up, 60, f"{k} sessions back Up on {kind} and bird",
                               interval=0.2)
                except AssertionError as exc:
                    result["error"] = f"sessions did not come back Up after round {rnd}: {exc}"
                    break
            time.sleep(max(0.0, CAPTURE_TAIL_S - (time.time_ns() - end_ns) / 1e9))
            tcpdump_log = cap.stop()
            batch_no += 1
            linktype, frames = pcapbfd.read_pcap(pcap)
            packets = [(ts, b) for ts, b in
                       ((ts, pcapbfd.parse_bfd(f, linktype)) for ts, f in frames) if b]
            if not keep:
                pcap.unlink(missing_ok=True)
            result["tcpdump"].append(" ".join(l for l in tcpdump_log.splitlines()
                                              if "packets" in l))
            for w_start, cut_ns, end_ns, info in windows:
                per = analyse_round(packets, pairs, cut_ns, end_ns, start_ns=w_start)
                for s in per:
                    s["round"] = info["round"]
                got = [s for s in per if "excess_ms" in s]
                missed = [s for s in per if "miss" in s]
                room = trials - len(result["samples"])
                result["samples"] += got[:room]
                result["misses"] += missed
                info.update({"samples": len(got), "misses": len(missed),
                             "packets": sum(1 for t, _ in packets if w_start <= t < end_ns)})
                result["rounds"].append(info)
    st = stats(result["samples"])
    verdict, share = sends_down_at_once(result["samples"])
    result.update({"stats": st, "sends_down_at_once": verdict, "down_early_share": share,
                   "loadavg": list(os.getloadavg())})
    if st:
        log(f"  {kind:5} {st['n']:3d} samples, {len(result['misses'])} missed: excess "
            f"p50 {st['p50']:+.2f} / p99 {st['p99']:+.2f} / max {st['max']:+.2f} ms "
            f"(detect time {result['samples'][0]['detect_time_ms']:g} ms; Down sent at once: "
            f"{_yes_no(verdict)}, {share:.0%} early)")
    else:
        log(f"  {kind:5} no samples, {len(result['misses'])} missed")
    return result


def _yes_no(v):
    return "unknown" if v is None else ("yes" if v else "NO")


# --- the section ------------------------------------------------------------------------------
def run(reps=3, trials=100, parallel=10, interval=50, mult=3, how="nft",
        daemons=("fbfd", "bird", "frr"), log=print, keep=False):
    """The Detection section: (rows, raw). Each repetition measures `trials`
    sessions per daemon (daemon order rotated per repetition). keep: keep
    each lab's directory (pcaps, daemon logs)."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}")
    daemons = list(daemons)
    reps_out = []
    log(f"detection: {reps} × {trials} trials per daemon, {parallel} sessions in parallel, "
        f"{interval} ms × {mult}, peer silenced by {how}, peer BIRD")
    for r in range(reps):
        order = daemons[r % len(daemons):] + daemons[:r % len(daemons)]
        rep = {}
        for kind in order:
            try:
                rep[kind] = measure(kind, trials=trials, parallel=parallel, interval=interval,
                                    mult=mult, how=how, keep=keep, log=log)
            except Exception as exc:  # noqa: BLE001 - one daemon must not lose the others
                log(f"  {kind:5} FAILED: {exc}")
                rep[kind] = {"daemon": kind, "error": str(exc), "samples": [], "misses": [],
                             "stats": None}
        reps_out.append(rep)
    rows = make_rows(reps_out, daemons, trials=trials, parallel=parallel, interval=interval,
                     mult=mult, how=how)
    raw = {"config": {"reps": reps, "trials": trials, "parallel": parallel,
                      "interval_ms": interval, "multiplier": mult, "how": how,
                      "daemons": daemons, "peer": "bird"},
           "machine": bfd_scale.machine(), "versions": bfd_scale.versions(),
           "repetitions": reps_out}
    return rows, raw


def make_rows(reps_out, daemons, *, trials, parallel, interval, mult, how):
    def get(rep, d):
        return rep.get(d) or {}

    def per_rep(key):
        return {d: [get(rep, d)["stats"][key] if get(rep, d).get("stats") else None
                    for rep in reps_out] for d in daemons}

    setup = (f"{trials} trials per repetition ({parallel} sessions in parallel), "
             f"{interval} ms × {mult} against BIRD, peer silenced by "
             f"{'an nftables drop of its BFD' if how == 'nft' else 'SIGSTOP'}; "
             "wire times (tcpdump on the measured side)")
    notes, unsure = [], []
    for d in daemons:
        verdicts = [(rep.get(d) or {}).get("sends_down_at_once") for rep in reps_out]
        errors = [(rep.get(d) or {}).get("error") for rep in reps_out]
        if any(v is False for v in verdicts):
            notes.append(f"{DAEMON_NAMES.get(d, d)} did NOT send a packet at once on going "
                         "Down: its wire time includes the wait for its next transmission")
        elif not any(v is True for v in verdicts):
            unsure.append(DAEMON_NAMES.get(d, d))
        for i, e in enumerate(errors):
            if e:
                notes.append(f"{DAEMON_NAMES.get(d, d)} repetition {i + 1}: {e}")
    if unsure:
        notes.insert(0, "too few samples to tell whether the Down packet left at once: "
                        + ", ".join(unsure))
    elif not any("did NOT" in n for n in notes):
        notes.insert(0, "every daemon sent its Down packet at once")
    note = setup + ". " + "; ".join(notes)
    detect = {d: [((rep.get(d) or {}).get("samples") or [{}])[0].get("detect_time_ms")
                  for rep in reps_out] for d in daemons}
    extra = {"detect_time_ms": detect, "how": how, "interval_ms": interval, "multiplier": mult,
             "parallel": parallel, "trials": trials,
             "sends_down_at_once": {d: [(rep.get(d) or {}).get("sends_down_at_once")
                                        for rep in reps_out] for d in daemons}}
    rows = []
    p99 = per_rep("p99")
    fbfd_p99 = p99.get("fbfd")
    if fbfd_p99 is None:
        ok = None
    elif any(v is None for v in fbfd_p99):
        ok = None if all(v is None for v in fbfd_p99) else (
            False if max(common.clean(fbfd_p99)) > TARGET_EXCESS_MS else None)
    else:
        ok = max(fbfd_p99) <= TARGET_EXCESS_MS
    for key, label in (("p50", "p50"), ("p99", "p99"), ("max", "max")):
        rows.append(Row(section=SECTION, metric=f"detection − detect time, {label} (ms)",
                        unit="ms", better="lower", values=per_rep(key), ratio=False,
                        target=(Target(f"p99 ≤ detect time + {TARGET_EXCESS_MS:g} ms", ok=ok)
                                if key == "p99" and "fbfd" in daemons else None),
                        note=note, extra=extra))
    # None where the repetition failed before measuring anything.
    missed = {d: [None if d not in rep or (get(rep, d).get("error")
                                           and not get(rep, d).get("rounds"))
                  else len(get(rep, d).get("misses", [])) for rep in reps_out]
              for d in daemons}
    if any(v for vs in missed.values() for v in vs if v):
        reasons = {}
        for rep in reps_out:
            for d in daemons:
                for s in (rep.get(d) or {}).get("misses", []):
                    reasons.setdefault(f"{DAEMON_NAMES.get(d, d)}: {s['miss']}", 0)
                    reasons[f"{DAEMON_NAMES.get(d, d)}: {s['miss']}"] += 1
        rows.append(Row(section=SECTION, metric="missed detections (sessions)", unit="sessions",
                        better="lower", values=missed, ratio=False,
                        note="; ".join(f"{k} × {v}" for k, v in reasons.items()),
                        extra={"reasons": reasons}))
    return rows


# --- standalone -------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_standalone_args(ap, DAEMONS)
    ap.add_argument("--trials", type=int, default=100,
                    help="sessions measured per daemon and repetition (default 100)")
    ap.add_argument("--parallel", type=int, default=10,
                    help="sessions cut at once in each round (default 10)")
    ap.add_argument("--interval", type=int, default=50, help="min tx/rx, ms (default 50)")
    ap.add_argument("--mult", type=int, default=3, help="detect multiplier (default 3)")
    ap.add_argument("--how", choices=HOWS, default="nft",
                    help="how the peer goes silent (default nft)")
    ap.add_argument("--keep", action="store_true", help="keep each lab's directory (pcaps, logs)")
    ap.add_argument("-o", "--json", help="write rows and raw samples to this JSON file")
    args = ap.parse_args(argv)
    daemons = common.standalone_setup(ap, args, DAEMONS)
    rows, raw = run(reps=args.reps, trials=args.trials, parallel=args.parallel,
                    interval=args.interval, mult=args.mult, how=args.how, daemons=daemons,
                    keep=args.keep)
    common.print_and_save(rows, raw, args.json)
    return rows, raw


if __name__ == "__main__":
    main()
