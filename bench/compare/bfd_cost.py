#!/usr/bin/python3
"""BFD cost section: fbfd vs BIRD `protocol bfd` vs FRR bfdd on the same
sessions, by bench/bfd_scale (one fresh lab per point: the measured daemon
and a BIRD peer joined by a veth, N single-hop sessions).

Per point: CPU % of a core over the window, RSS at its end, false flaps and
the share of fbfd's transmissions inside the RFC 5880 §6.8.7 window. Points
are N = 1, 100, 200, 1000 at 50 ms × 3 and N = 100 at 10 ms × 3; each
repetition runs every point once for every daemon, the daemon order rotated.

    sudo FBF_BUILD_DIR=build-perf bench/compare/bfd_cost.py --reps 1 --points 100@50 -d 5
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, Target  # noqa: E402

DEFAULT_POINTS = ((1, 50), (100, 50), (200, 50), (1000, 50), (100, 10))
DAEMONS = ("fbfd", "bird", "frr")
CPU_TARGET = 0.5          # fbfd CPU ≤ 0.5 × BIRD's (issue 8) ...
CPU_TARGET_AT = (200, 1000)  # ... at these session counts, 50 ms


def parse_points(text):
    """"100@50,1000@50" -> ((100, 50), (1000, 50))."""
    out = []
    for item in text.split(","):
        n, _, ms = item.strip().partition("@")
        out.append((int(n), int(ms or 50)))
    return tuple(out)


def run(reps=3, points=DEFAULT_POINTS, daemons=DAEMONS, duration=10.0, mult=3,
        frr_max_sessions=200, log=print):
    """Returns (rows, raw). FRR bfdd already saturates a core at 200 sessions
    × 50 ms on this class of machine (docs/performance.md), so points above
    frr_max_sessions are not run for it (the row says so) rather than
    waiting minutes for sessions that cannot all come Up."""
    import bfd_scale
    raw = {"points": [], "failures": []}
    got = {}     # (n, ms, daemon) -> [point or None per rep]
    for rep in range(reps):
        order = list(daemons[rep % len(daemons):]) + list(daemons[:rep % len(daemons)])
        for n, ms in points:
            for kind in order:
                key = (n, ms, kind)
                got.setdefault(key, [None] * reps)
                if kind == "frr" and n > frr_max_sessions:
                    continue
                try:
                    p = bfd_scale.run_point(kind, n, duration=duration, interval=ms, mult=mult,
                                            log=log)
                except RuntimeError as exc:
                    log(f"  {kind} N={n} @{ms} ms FAILED: {exc}")
                    raw["failures"].append({"daemon": kind, "sessions": n, "interval_ms": ms,
                                            "rep": rep, "error": str(exc)})
                    continue
                p["rep"] = rep
                raw["points"].append(p)
                got[key][rep] = p
    return rows_from(got, points, daemons, reps, frr_max_sessions), raw


def _values(got, n, ms, daemons, reps, field):
    out = {}
    for d in daemons:
        pts = got.get((n, ms, d), [None] * reps)
        out[d] = [field(p) if p else None for p in pts]
    return out


def peer_marks_note(got, n, ms, daemons, reps):
    """What bfd_scale.total_flaps leaves out, per daemon and repetition: peer
    marks that moved with no other sign of a flap, and flaps the peer started
    on its own Detection Time with no late packet of the measured daemon;
    "" when there were none."""
    def per_daemon(field):
        parts = []
        for d in daemons:
            per_rep = [(p.get("flaps") or {}).get(field, 0) if p else 0
                       for p in got.get((n, ms, d), [None] * reps)]
            if any(per_rep):
                parts.append(f"{d} {'/'.join(str(v) for v in per_rep)}")
        return ", ".join(parts)
    notes = []
    if marks := per_daemon("peer_marks_without_evidence"):
        notes.append("not counted: the BIRD peer's \"since\" moved for sessions that neither "
                     "side left Up on the wire or in the measured daemon (per repetition: "
                     + marks + ")")
    if started := per_daemon("peer_detections_without_gap"):
        notes.append("not counted against the measured daemon: sessions the BIRD peer took "
                     "Down first on its own Detection Time (diag 1) while no gap of the "
                     "measured daemon's packets on the wire exceeded it; the measured side "
                     "followed (per repetition: " + started + ")")
    return "; ".join(notes)


def late_episodes_note(got, n, ms, reps):
    """fbfd's late gaps per repetition as "K (J)": K episodes, J of them
    machine-wide stalls (bfd_scale.episodes_summary); "" when none was late."""
    import bfd_scale
    per_rep = [bfd_scale.episodes_summary((p.get("jitter") or {}).get("late_episodes", []), ms)
               if p else "n/a" for p in got.get((n, ms, "fbfd"), [None] * reps)]
    if all(s.startswith("0 ") for s in per_rep):
        return ""
    return ("fbfd's late gaps, episodes per repetition (of them machine-wide: both "
            "directions silent): " + ", ".join(per_rep))


def rows_from(got, points, daemons, reps, frr_max_sessions=200):
    rows = []
    for n, ms in points:
        label = f"N = {n} @ {ms} ms × 3"
        skipped = [d for d in daemons if d == "frr" and n > frr_max_sessions]
        note = (f"FRR not run above {frr_max_sessions} sessions: bfdd saturates a core at 200"
                if skipped else "")
        cpu = _values(got, n, ms, daemons, reps, lambda p: p["cpu_pct_of_core"])
        target = None
        if ms == 50 and n in CPU_TARGET_AT and "bird" in daemons:
            ratios = [a / b for a, b in zip(cpu["fbfd"], cpu["bird"]) if a and b]
            target = Target(f"≤ {CPU_TARGET} × BIRD",
                            ok=(max(ratios) <= CPU_TARGET) if ratios else None)
        rows.append(Row("bfd", f"CPU, {label}", "% of a core", "lower", cpu, target, note=note))
        rows.append(Row("bfd", f"RSS, {label}", "MiB", "lower",
                        _values(got, n, ms, daemons, reps,
                                lambda p: (p.get("rss_kib") or 0) / 1024 or None),
                        note=note))
        flaps = _values(got, n, ms, daemons, reps, lambda p: p["false_flaps"])
        rows.append(Row("bfd", f"false flap signs, {label}", "count", "lower", flaps,
                        Target("0", ok=all(v == 0 for v in flaps["fbfd"] if v is not None)
                               if any(v is not None for v in flaps["fbfd"]) else None),
                        ratio=False,
                        note="; ".join(x for x in (note, peer_marks_note(got, n, ms, daemons, reps))
                                       if x)))
        window = _values(got, n, ms, daemons, reps,
                         lambda p: (p.get("jitter") or {}).get("inside_pct"))
        rows.append(Row("bfd", f"transmissions in the §6.8.7 window, {label}", "%", "higher",
                        window,
                        Target("≥ 99.9 %", ok=all(v >= 99.9 for v in window["fbfd"]
                                                  if v is not None)
                               if any(v is not None for v in window["fbfd"]) else None),
                        ratio=False,
                        note="; ".join(x for x in (note, late_episodes_note(got, n, ms, reps))
                                       if x)))
    return rows


def main(argv=None):
    import report
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--points", default=",".join(f"{n}@{ms}" for n, ms in DEFAULT_POINTS))
    ap.add_argument("--daemons", default=",".join(DAEMONS))
    ap.add_argument("-d", "--duration", type=float, default=10.0)
    args = ap.parse_args(argv)
    rows, _ = run(args.reps, parse_points(args.points), tuple(args.daemons.split(",")),
                  args.duration)
    print(report.section_table(rows))


if __name__ == "__main__":
    main()
