#!/usr/bin/python3
"""Full-table section: time to receive a full table and peak RSS, fbfd vs
BIRD 2 vs FRR vs GoBGP (and ExaBGP at 100k prefixes), by
bench/bgp_fulltable (bgp_blaster pushes a pre-encoded table over one eBGP
session into each freshly started receiver; see its docstring for how
"done" is observed and why fbfd's figure is the conservative one).

Shapes: 1M IPv4 packed and realistic, 200k IPv6; ExaBGP (Python) gets the
realistic shape scaled to 100k, and fbfd is measured on the same 100k so
the row has a ratio.

    sudo FBF_BUILD_DIR=build-perf bench/compare/bgp_table.py --reps 1 --quick
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, Target  # noqa: E402

RECEIVERS = ("fbfd", "bird", "frr", "gobgp")
SHAPES = ("packed", "realistic", "ipv6")
EXABGP_PREFIXES = 100_000
SPEED_TARGET = 0.5        # fbfd time ≤ 0.5 × BIRD's (≥ 2× faster)
RSS_TARGET = 0.1          # fbfd peak RSS ≤ 1/10 of BIRD's


def _label(shape, prefixes):
    fam = "IPv6" if shape == "ipv6" else "IPv4"
    count = f"{prefixes // 1000}k" if prefixes < 1_000_000 else f"{prefixes // 1_000_000}M"
    return f"{count} {fam} {shape}" if shape != "ipv6" else f"{count} IPv6"


def run(reps=3, receivers=RECEIVERS, shapes=SHAPES, exabgp=True, quick=False, settle=1.0,
        timeout=240, log=print):
    import fulltable as ft
    import run as ftrun
    from fbflab import Lab
    scale = 10 if quick else 1
    work = [(shape, ft.SHAPES[shape][1] // scale, list(receivers)) for shape in shapes]
    if exabgp:
        work.append(("realistic", EXABGP_PREFIXES // scale, ["fbfd", "exabgp"]))
    results = {}     # (shape, prefixes, receiver) -> [result or None per rep]
    raw = {"results": []}
    for rep in range(reps):
        with Lab(name="cmp-fulltable") as lab:
            gen, rcv = lab.add_node("gen"), lab.add_node("rcv")
            link = lab.add_link(gen, rcv)
            for shape, prefixes, names in work:
                order = names[rep % len(names):] + names[:rep % len(names)]
                for name in order:
                    cls = ftrun.RECEIVERS[name]
                    key = (shape, prefixes, name)
                    results.setdefault(key, [None] * reps)
                    missing = cls.missing()
                    if missing:
                        log(f"  {name}: not installed: {', '.join(missing)}")
                        continue
                    r = ftrun.measure(lab, gen, rcv, link, cls, shape, prefixes, settle,
                                      timeout)
                    r["rep"] = rep
                    raw["results"].append(r)
                    took = "—" if r["seconds"] is None else f"{r['seconds']:.3f}"
                    log(f"  {shape} {prefixes}: {name}: {took} s, "
                        f"peak RSS {r['peak_rss_mib']:.1f} MiB")
                    results[key][rep] = r
    return rows_from(results, work, reps), raw


def rows_from(results, work, reps):
    rows = []
    for shape, prefixes, names in work:
        label = _label(shape, prefixes)

        def values(field):
            return {n: [(field(r) if r and r["complete"] else None)
                        for r in results.get((shape, prefixes, n), [None] * reps)]
                    for n in names}

        # A receiver done before the poll after the first table byte has a
        # lower bound clamped to 0 (run.py): below the poll resolution, not
        # a time — no value rather than an infinitely fast daemon.
        secs = values(lambda r: r["seconds"] or None)
        rss = values(lambda r: r["peak_rss_mib"])
        t_speed = t_rss = None
        if "bird" in names:
            sp = [a / b for a, b in zip(secs["fbfd"], secs["bird"]) if a and b]
            t_speed = Target("≥ 2 × faster than BIRD", ok=max(sp) <= SPEED_TARGET if sp else None)
            rr = [a / b for a, b in zip(rss["fbfd"], rss["bird"]) if a and b]
            t_rss = Target("≤ 1/10 of BIRD's", ok=max(rr) <= RSS_TARGET if rr else None)
        incomplete = sorted({n for n in names for r in results.get((shape, prefixes, n), [])
                             if r and not r["complete"]})
        unresolved = sorted({n for n in names for r in results.get((shape, prefixes, n), [])
                             if r and r["complete"] and not r["seconds"]})
        note = "; ".join(
            ([f"did not receive everything within the timeout: {', '.join(incomplete)}"]
             if incomplete else [])
            + ([f"done before the first poll (below the poll resolution): "
                f"{', '.join(unresolved)}"] if unresolved else []))
        rows.append(Row("table", f"time to receive {label}", "s", "lower", secs, t_speed,
                        note=note))
        rows.append(Row("table", f"peak RSS, {label}", "MiB", "lower", rss, t_rss, note=note))
    return rows


def main(argv=None):
    import report
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--receivers", default=",".join(RECEIVERS))
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--no-exabgp", action="store_true")
    ap.add_argument("--quick", action="store_true", help="1/10 of the prefixes")
    args = ap.parse_args(argv)
    rows, _ = run(args.reps, tuple(args.receivers.split(",")), tuple(args.shapes.split(",")),
                  exabgp=not args.no_exabgp, quick=args.quick)
    print(report.section_table(rows))


if __name__ == "__main__":
    main()
