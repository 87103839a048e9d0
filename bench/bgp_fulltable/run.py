#!/usr/bin/python3
"""BGP full-table receive, side by side (issue 4 item 7).

bgp_blaster (bench/bgp_blaster) pushes a pre-encoded table over one eBGP
session to a receiver in another network namespace: fbfd, BIRD 2, FRR bgpd
and GoBGP, one after the other, each freshly started, in the same run.
For each shape and receiver it reports the time from the first table byte
sent to the receiver reporting every prefix, the receiver's peak RSS
(VmHWM; FRR: bgpd + zebra), its CPU time, and the longest silence the
sender saw from it (its KEEPALIVEs; hold time 3 s on both sides). The same
bytes are also written into a plain sink (`bgp_blaster sink`) to show the
sender alone is faster than any receiver.

    sudo FBF_BUILD_DIR=/work/main/build-bgpbench bench/bgp_fulltable/run.py
    sudo ... run.py --quick                       # 1/10 of the prefixes
    sudo ... run.py --receivers fbfd,bird --shapes realistic --json out.json

Receivers do the cheapest realistic thing: BIRD imports into its table with
no kernel protocol; FRR runs `bgp no-rib` (no zebra/kernel install); GoBGP
keeps its default global RIB; fbfd counts and keeps nothing. "Done" is when
the receiver's own counter shows every prefix: fbfd over its control socket
(the end of the poll that saw it: an upper bound), BIRD over its control
socket, FRR with vtysh, GoBGP with its CLI (the start of the poll before:
a lower bound), so the fbfd ratios are conservative. Polls thin out as a
run goes on (5 % of the elapsed time): frequent `vtysh`/`gobgp` polls slow
FRR and GoBGP down several times.
"""
import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fulltable as ft  # noqa: E402
from fbflab import Bird, ExaBgp, Fbfd, Frr, GoBgp, Lab, Neighbor, missing_binaries  # noqa: E402
from fbflab import peers as lab_peers  # noqa: E402
from fbflab.util import LabError, run  # noqa: E402

RSS_TARGET_MIB = 16
SPEEDUP_TARGET = 2.0
SINK_PORT = 5179


# --- receivers -------------------------------------------------------------------------
class Receiver:
    """One daemon receiving the table from the sender at gen_addr."""

    label = "?"
    interval = 0.05  # seconds between polls

    def __init__(self, node, *, gen_addr, router_id, family):
        self.node, self.gen_addr, self.router_id, self.family = node, gen_addr, router_id, family

    def neighbor(self):
        return Neighbor(self.gen_addr, ft.GEN_AS, passive=True, hold_time=ft.HOLD_TIME,
                        name="gen", families=[self.family])

    def start(self):
        raise NotImplementedError

    def poll(self):
        """(BGP state, prefixes received of self.family)."""
        raise NotImplementedError

    def pids(self):
        """{process name: pid} whose peak RSS counts."""
        raise NotImplementedError

    def extra(self):
        return {}

    def stop(self):
        raise NotImplementedError

    @classmethod
    def missing(cls):
        return []

    def version(self):
        return ""


class FbfdReceiver(Receiver):
    label = "fbfd"
    interval = 0.002

    def start(self):
        self.d = Fbfd(self.node, local_as=ft.RECEIVER_AS, router_id=self.router_id,
                      log_level="info",
                      neighbors=[{"name": "gen", "address": self.gen_addr,
                                  "remote_as": ft.GEN_AS, "passive": True,
                                  "hold_time": f"{ft.HOLD_TIME}s",
                                  "families": [f"{self.family}-unicast"]}]).start()
        self.ctl = ft.FbfdControl(self.d.sock)

    def poll(self):
        n = self.ctl.neighbor("gen")
        return n["state"], n[f"prefixes_received_{self.family}"]

    def pids(self):
        return {"fbfd": self.d.proc.pid}

    def extra(self):
        n = self.ctl.neighbor("gen")
        return {"established_transitions": n["established_transitions"],
                "updates_received": n["updates_received"]}

    def stop(self):
        self.ctl.close()
        self.d.stop()

    @classmethod
    def missing(cls):
        return missing_binaries()

    def version(self):
        return run([ft.BUILD / "agent" / "fbfd", "--version"], check=False).stdout.strip()


class BirdControl:
    """BIRD's control socket spoken directly (what birdc does): one request
    line, reply lines "CODE-text" or " text" up to a final "CODE text"."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")
        self._reply()  # "0001 BIRD 2.x ready."

    def _reply(self):
        lines = []
        while True:
            line = self.file.readline().decode(errors="replace")
            if not line:
                raise LabError("BIRD closed its control socket")
            lines.append(line)
            if re.match(r"^\d{4} ", line):
                return "".join(lines)

    def call(self, command):
        self.sock.sendall(command.encode() + b"\n")
        return self._reply()

    def close(self):
        self.file.close()
        self.sock.close()


class BirdReceiver(Receiver):
    label = "BIRD"
    interval = 0.005

    def start(self):
        self.d = Bird(self.node, asn=ft.RECEIVER_AS, router_id=self.router_id,
                      neighbors=[self.neighbor()]).start()
        self.ctl = BirdControl(self.d.sock)

    def poll(self):
        text = self.ctl.call("show protocols all gen")
        state = re.search(r"BGP state:\s+(\w+)", text)
        routes = re.search(r"Routes:\s+(\d+) imported", text)
        return (state.group(1) if state else "?"), (int(routes.group(1)) if routes else 0)

    def pids(self):
        return {"bird": self.d.procs[0].pid}

    def stop(self):
        self.ctl.close()
        self.d.stop()

    @classmethod
    def missing(cls):
        return lab_peers.missing(Bird)

    def version(self):
        return run(["bird", "--version"], check=False).stderr.strip()


class FrrReceiver(Receiver):
    label = "FRR"
    interval = 0.02

    def start(self):
        self.d = Frr(self.node, asn=ft.RECEIVER_AS, router_id=self.router_id,
                     neighbors=[self.neighbor()]).start()
        # Keep the routes in bgpd: no zebra RIB, no kernel (as BIRD without
        # a kernel protocol).
        self.d.configure("bgp no-rib")

    def poll(self):
        cp = run(["vtysh", "--vty_socket", self.d.run_dir, "-d", "bgpd", "-c",
                  f"show bgp {self.family} unicast summary json"], check=False, timeout=30)
        doc = json.loads(cp.stdout or "{}")
        peer = (doc.get("peers") or {}).get(self.gen_addr, {})
        return peer.get("state", "?"), int(peer.get("pfxRcd", 0))

    def pids(self):
        return {p.name.rsplit("-", 1)[-1]: p.pid for p in self.d.procs}

    def stop(self):
        self.d.stop()

    @classmethod
    def missing(cls):
        return lab_peers.missing(Frr)

    def version(self):
        out = run(["/usr/lib/frr/bgpd", "--version"], check=False).stdout
        return out.splitlines()[0] if out else ""


class GoBgpReceiver(Receiver):
    label = "GoBGP"
    interval = 0.02

    def start(self):
        self.d = GoBgp(self.node, asn=ft.RECEIVER_AS, router_id=self.router_id,
                       neighbors=[self.neighbor()]).start()

    def poll(self):
        doc = self.d.gobgp_json("neighbor", self.gen_addr) or {}
        raw = (doc.get("state") or {}).get("session_state")
        state = {6: "Established"}.get(raw, str(raw))
        got = 0
        for afi in doc.get("afi_safis") or []:
            got += int((afi.get("state") or {}).get("received", 0) or 0)
        return state, got

    def pids(self):
        return {"gobgpd": self.d.procs[0].pid}

    def stop(self):
        self.d.stop()

    @classmethod
    def missing(cls):
        return lab_peers.missing(GoBgp)

    def version(self):
        return run(["gobgpd", "--version"], check=False).stdout.strip()


class ExaBgpReceiver(Receiver):
    """ExaBGP 4.2 with the lab's API helper (`receive { parsed; update; }`,
    JSON encoder): how an ExaBGP user learns routes. ExaBGP parses every
    UPDATE into JSON for its API process; the helper appends it to a file,
    which poll() reads incrementally (only the new bytes) and counts the
    announced NLRI in. The counted RSS is ExaBGP's own process."""
    label = "ExaBGP"
    interval = 0.05

    def start(self):
        self.d = ExaBgp(self.node, asn=ft.RECEIVER_AS, router_id=self.router_id,
                        neighbors=[self.neighbor()]).start()
        self._offset, self._partial, self._count, self._state = 0, b"", 0, "Idle"

    def poll(self):
        with open(self.d.events, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if b'"type": "state"' in line or b'"type":"state"' in line:
                msg = json.loads(line)
                self._state = {"up": "Established"}.get(msg["neighbor"].get("state"),
                                                        msg["neighbor"].get("state"))
            elif b'"announce"' in line:
                upd = json.loads(line)["neighbor"]["message"]["update"]
                for by_hop in upd["announce"].values():
                    # IPv6: the same NLRI may be listed under the global and the
                    # link-local next hop; count the first list only.
                    self._count += len(next(iter(by_hop.values()), []))
        return self._state, self._count

    def pids(self):
        return {"exabgp": self.d.procs[0].pid}

    def stop(self):
        self.d.stop()

    @classmethod
    def missing(cls):
        return lab_peers.missing(ExaBgp)

    def version(self):
        out = run(["exabgp", "--version"], check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


RECEIVERS = {"fbfd": FbfdReceiver, "bird": BirdReceiver, "frr": FrrReceiver,
             "gobgp": GoBgpReceiver, "exabgp": ExaBgpReceiver}


# --- one measurement ---------------------------------------------------------------------
def measure(lab, gen, rcv, link, cls, shape, prefixes, settle, timeout):
    family, _ = ft.SHAPES[shape]
    gen_addr, rcv_addr = link.ip_a(family), link.ip_b(family)
    r = cls(rcv, gen_addr=gen_addr, router_id=link.ip_b(), family=family)
    r.start()
    pids = r.pids()
    cpu0 = {n: ft.cpu_seconds(p) for n, p in pids.items()}
    rss0 = {n: ft.proc_status(p) for n, p in pids.items()}
    blaster = ft.Blaster(gen, connect=rcv_addr, next_hop=gen_addr, shape=shape,
                         prefixes=prefixes if prefixes != ft.SHAPES[shape][1] else None,
                         name=f"blaster-{r.label}-{shape}")
    res = {"receiver": r.label, "shape": shape, "family": family, "prefixes": prefixes,
           "version": r.version()}
    deadline = time.monotonic() + timeout
    done_at, seen, state = None, 0, "?"
    up_at, prev_t0 = None, None
    lower, upper, polls = None, None, []
    try:
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                state, seen = r.poll()
            except (LabError, ValueError, OSError) as exc:
                state, seen = f"poll failed: {exc}", seen
            t1 = time.monotonic()
            polls.append((t0, t1, seen))
            if seen >= prefixes:
                # The count reached N between the previous poll and this one.
                # fbfd: the end of this poll (an upper bound); the others: the
                # start of the previous one (a lower bound).
                done_at = t1 if r.label == "fbfd" else (prev_t0 or t0)
                lower, upper = (prev_t0 or t0), t1
                break
            if not blaster.proc.alive():
                break
            prev_t0 = t0
            if up_at is None and (state == "Established" or seen > 0):
                up_at = t0
            # Polls cost the receiver too: once the session is up, at most
            # ~20 per elapsed time (5 % resolution), never more often than
            # the receiver's base interval.
            elapsed = time.monotonic() - up_at if up_at else 0
            time.sleep(max(r.interval, 0.05 * elapsed))
        # Keep the session up a while: keepalives must keep flowing both ways.
        states = set()
        settle_end = time.monotonic() + settle
        while time.monotonic() < settle_end and done_at is not None:
            try:
                states.add(r.poll()[0])
            except (LabError, ValueError, OSError) as exc:
                states.add(f"poll failed: {exc}")
            time.sleep(0.25)
        res["states_after"] = sorted(states)
        res.update(r.extra())
        rep = blaster.finish()
        hwm = {n: ft.proc_status(p)["VmHWM"] for n, p in pids.items()}
        cpu1 = {n: ft.cpu_seconds(p) for n, p in pids.items()}
    finally:
        if blaster.proc.alive():
            blaster.proc.kill()
        r.stop()
    tfb = rep["t_first_byte"]
    # Both bounds, for every receiver; a lower bound from a poll that began
    # before the first table byte is clamped to it (it would be <= 0 otherwise).
    bounds = ((max(lower, tfb) - tfb, upper - tfb) if done_at and tfb else (None, None))
    res.update({
        "received": seen,
        "seconds_lower": bounds[0],
        "seconds_upper": bounds[1],
        "polls": len(polls),
        "poll_seconds_max": max((b - a for a, b, _ in polls), default=None),
        "complete": done_at is not None,
        "last_state": state,
        "seconds": ((max(done_at, tfb) - tfb) if done_at and tfb else None),
        "sender_send_seconds": rep["send_seconds"],
        "table_bytes": rep["table_bytes"],
        "updates": rep["updates"],
        "peak_rss_mib": ft.mib(sum(hwm.values())),
        "peak_rss_by_process_mib": {n: round(ft.mib(v), 1) for n, v in hwm.items()},
        "start_rss_mib": ft.mib(sum(v["VmRSS"] for v in rss0.values())),
        "cpu_seconds": sum(cpu1.values()) - sum(cpu0.values()),
        "max_keepalive_gap_seconds": rep["max_rx_gap_seconds"],
        "hold_expired": rep["hold_expired"],
        "sender_outcome": rep["outcome"],
        "notification_received": rep["notification_received"],
    })
    return res


def measure_sink(gen, rcv, link, shape, prefixes):
    family, _ = ft.SHAPES[shape]
    sink = ft.Sink(rcv, listen=link.ip_b(family), port=SINK_PORT, name=f"sink-{shape}")
    sink.wait_listening(rcv, SINK_PORT)
    blaster = ft.Blaster(gen, connect=link.ip_b(family), next_hop=link.ip_a(family), shape=shape,
                         prefixes=prefixes if prefixes != ft.SHAPES[shape][1] else None,
                         raw=True, port=SINK_PORT, name=f"raw-{shape}")
    rep = blaster.wait()
    got = sink.wait()
    return {"shape": shape, "bytes": rep["table_bytes"], "updates": rep["updates"],
            "seconds": rep["send_seconds"], "sink_bytes": got["bytes"],
            "mb_per_second": rep["table_bytes"] / rep["send_seconds"] / 1e6
            if rep["send_seconds"] else None}


# --- report ------------------------------------------------------------------------------
def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(),
            "load_average": os.getloadavg()}


def fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def summarize(results, sinks):
    """Per shape: fbfd vs the fastest other receiver, RSS, session."""
    out = {}
    for shape in dict.fromkeys(r["shape"] for r in results):
        rows = [r for r in results if r["shape"] == shape]
        fbfd = next((r for r in rows if r["receiver"] == "fbfd"), None)
        others = [r for r in rows if r["receiver"] != "fbfd" and r["complete"]]
        fastest = min(others, key=lambda r: r["seconds"], default=None)
        s = {"fastest_other": fastest["receiver"] if fastest else None}
        if fbfd and fbfd["complete"] and fastest:
            s["speedup"] = fastest["seconds"] / fbfd["seconds"]
            s["speedup_ok"] = s["speedup"] >= SPEEDUP_TARGET
        if fbfd:
            s["fbfd_peak_rss_mib"] = fbfd["peak_rss_mib"]
            s["rss_ok"] = fbfd["peak_rss_mib"] < RSS_TARGET_MIB
            s["session_ok"] = (fbfd["complete"] and fbfd["states_after"] == ["Established"]
                               and fbfd.get("established_transitions") == 1
                               and not fbfd["hold_expired"])
        sink = next((k for k in sinks if k["shape"] == shape), None)
        if sink and sink["seconds"]:
            s["sender_seconds"] = sink["seconds"]
            done = [r["seconds"] for r in rows if r["complete"]]
            s["sender_faster_than_all"] = bool(done) and sink["seconds"] < min(done)
        out[shape] = s
    return out


def markdown(results, sinks, summary, info):
    lines = [f"Machine: {info['cpu']}, {info['cpus']} CPUs, Linux {info['kernel']}; "
             f"load average at start {info['load_start'][0]:.1f}, at end {info['load_end'][0]:.1f}.",
             "",
             "| shape | receiver | time to receive all (s) | between polls (s) | peak RSS (MiB) "
             "| CPU (s) | longest KEEPALIVE gap (s) | session |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        session = ("Established" if r.get("states_after") == ["Established"]
                   and not r["hold_expired"] else
                   f"{'/'.join(r.get('states_after') or [r['last_state']])}"
                   f"{', hold expired' if r['hold_expired'] else ''}")
        if "established_transitions" in r:
            session += f" ({r['established_transitions']} up)"
        t = fmt(r["seconds"], 3) if r["complete"] else f"incomplete ({r['received']})"
        between = (f"{fmt(r['seconds_lower'], 3)}–{fmt(r['seconds_upper'], 3)}"
                   if r.get("seconds_upper") is not None else "—")
        lines.append(f"| {r['shape']} | {r['receiver']} | {t} | {between} "
                     f"| {fmt(r['peak_rss_mib'], 1)} "
                     f"| {fmt(r['cpu_seconds'])} | {fmt(r['max_keepalive_gap_seconds'])} "
                     f"| {session} |")
    for k in sinks:
        lines.append(f"| {k['shape']} | *sender → sink* | {fmt(k['seconds'], 3)} | | | | | "
                     f"{k['bytes'] / 1e6:.1f} MB, {fmt(k['mb_per_second'], 0)} MB/s |")
    lines += ["", "| shape | fbfd vs fastest other | target ≥ 2× | fbfd peak RSS | "
              "target < 16 MiB | session stayed up | sender faster than every receiver |",
              "|---|---:|---|---:|---|---|---|"]
    yes = {True: "yes", False: "**no**", None: "—"}
    for shape, s in summary.items():
        speed = (f"{s['speedup']:.1f}× ({s['fastest_other']})" if "speedup" in s else "—")
        lines.append(f"| {shape} | {speed} | {yes[s.get('speedup_ok')]} "
                     f"| {fmt(s.get('fbfd_peak_rss_mib'), 1)} MiB | {yes[s.get('rss_ok')]} "
                     f"| {yes[s.get('session_ok')]} | {yes[s.get('sender_faster_than_all')]} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1/10 of the prefixes, shorter settle")
    ap.add_argument("--receivers", default="fbfd,bird,frr,gobgp")
    ap.add_argument("--shapes", default="packed,realistic,ipv6")
    ap.add_argument("--settle", type=float, default=None,
                    help="seconds to keep each session up after the table (default 3.5, quick 1)")
    ap.add_argument("--timeout", type=float, default=240, help="per receiver and shape")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--markdown", help="write the markdown tables here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run.py creates network namespaces: run it as root")
    if ft.blaster_missing():
        sys.exit(f"not built: {ft.BLASTER} (set FBF_BUILD_DIR to a build with FBF_BUILD_BENCH=ON)")
    settle = args.settle if args.settle is not None else (1.0 if args.quick else 3.5)
    wanted = [w.strip() for w in args.receivers.split(",") if w.strip()]
    classes = []
    for w in wanted:
        cls = RECEIVERS[w]
        gone = cls.missing()
        if gone:
            print(f"skipping {cls.label}: not installed/built: {', '.join(gone)}", file=sys.stderr)
        else:
            classes.append(cls)
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    info = machine()
    info["load_start"] = os.getloadavg()
    results, sinks = [], []
    with Lab(name="fulltable") as lab:
        gen, rcv = lab.add_node("gen"), lab.add_node("rcv")
        link = lab.add_link(gen, rcv)
        for shape in shapes:
            prefixes = ft.SHAPES[shape][1] // (10 if args.quick else 1)
            sinks.append(measure_sink(gen, rcv, link, shape, prefixes))
            print(f"{shape}: sender into a sink: {sinks[-1]['seconds']:.3f} s", file=sys.stderr)
            for cls in classes:
                r = measure(lab, gen, rcv, link, cls, shape, prefixes, settle, args.timeout)
                results.append(r)
                print(f"{shape}: {r['receiver']}: {fmt(r['seconds'], 3)} s, "
                      f"peak RSS {r['peak_rss_mib']:.1f} MiB, {r['received']} prefixes",
                      file=sys.stderr)
    info["load_end"] = os.getloadavg()
    summary = summarize(results, sinks)
    md = markdown(results, sinks, summary, info)
    print(md)
    command = "sudo FBF_BUILD_DIR=... bench/bgp_fulltable/run.py " + " ".join(sys.argv[1:])
    doc = {"command": command.strip(), "machine": info, "results": results, "sink": sinks,
           "summary": summary}
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")


if __name__ == "__main__":
    main()
