#!/usr/bin/python3
"""fbfd side by side with BIRD 2, FRR, GoBGP and ExaBGP: one command, one report.

    sudo bench/compare/compare.py                    # everything, 3 repetitions (~1 h)
    sudo bench/compare/compare.py --quick            # a smoke run of every section (~10 min)
    sudo bench/compare/compare.py --sections bfd,detection --reps 5 -o /tmp/cmp
    bench/compare/compare.py --render /tmp/cmp/report.json   # its report again, today's rules

Installs what is missing (scripts/install-deps), builds fbfd, fbfctl and
bgp_blaster (Release, into build-compare/ unless --build-dir/--no-build),
then runs each section on identical work for every daemon, in one run, the
daemon order rotated per repetition:

  bfd        BFD cost: N = 1, 100, 200, 1000 sessions at 50 ms × 3 and N = 100
             at 10 ms × 3 — CPU, RSS, false flaps, §6.8.7 window (bfd_cost.py)
  detection  100 trials of "the peer goes silent": detection latency minus
             the Detection Time, p50 / p99 / max (detection.py)
  table      full table: 1M IPv4 (packed, realistic) and 200k IPv6, time
             and peak RSS; ExaBGP at 100k (bgp_table.py)
  failover   service failure / host failure → route gone at the router, and
             maintenance → probes lost, against BIRD + watchdog script and
             ExaBGP healthcheck (failover.py)
  footprint  idle RSS and CPU with 10 sessions at 300 ms, binary size (also
             as Debian ships each daemon: builds fbf's package with
             scripts/build-deb unless --deb), start-up to BFD Up (footprint.py)

Writes OUT/report.md (the markdown tables of ratios: median (min–max) over
the repetitions, fbfd ÷ other computed within each repetition) and
OUT/report.json (every row and every raw sample), and prints the report.
Needs root (network namespaces). Reading the figures: docs/performance.md.
"""
import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SECTIONS = ("bfd", "detection", "table", "failover", "footprint")


def build(build_dir):
    subprocess.run([str(REPO / "scripts" / "install-deps")], check=True)
    subprocess.run(["cmake", "-S", str(REPO), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                    "-DFBF_BUILD_TESTS=OFF", "-DFBF_BUILD_BENCH=ON"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build_dir), f"-j{os.cpu_count() or 2}",
                    "--target", "fbfd", "fbfctl", "bgp_blaster"], check=True)


def compilers_running():
    """Other heavy processes that would make the figures noisy (cc1plus, ld)."""
    n = 0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() in ("cc1plus", "cc1", "ld", "clang++"):
                    n += 1
            except OSError:
                pass
    return n


def machine():
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "")
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                / 2**30, 1)}


def run_section(name, args, log):
    """Import the section late: common.py reads $FBF_BUILD_DIR at import."""
    reps = args.reps
    if name == "bfd":
        import bfd_cost
        points = ((100, 50), (100, 10)) if args.quick else bfd_cost.DEFAULT_POINTS
        return bfd_cost.run(reps, points, duration=5.0 if args.quick else 10.0, log=log)
    if name == "detection":
        import detection
        return detection.run(reps=reps, trials=20 if args.quick else 100, log=log)
    if name == "table":
        import bgp_table
        return bgp_table.run(reps, quick=args.quick, log=log)
    if name == "failover":
        import failover
        return failover.run(reps=reps, trials=1 if args.quick else 5, log=log)
    if name == "footprint":
        import footprint
        return footprint.run(reps=reps, idle_seconds=10 if args.quick else 60, log=log,
                             deb=args.deb)
    raise ValueError(name)


def render(doc, rows):
    """The markdown report of one run (doc: what report.json holds)."""
    import report
    m = doc["machine"]
    header = "\n".join([
        "# fbfd side by side", "",
        f"`{doc['command']}` — {doc['started']}, {doc['reps']} repetition(s)"
        f"{' (quick: a smoke run, not the figures)' if doc['quick'] else ''}.", "",
        f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB, Linux {m['kernel']}. "
        "Versions: " + "; ".join(f"{k}: {v}" for k, v in doc["versions"].items() if v) + ".", "",
        "Each cell: median (min–max) over the repetitions; fbfd ÷ other is computed "
        "within each repetition. Sections: " + "; ".join(
            f"{n} {s['seconds']:.0f} s, load {s['load_1m'][0]}→{s['load_1m'][1]}"
            + (f", **failed: {s['error']}**" if s["error"] else "")
            for n, s in doc["sections"].items()) + "."])
    return report.markdown(rows, header)


def render_saved(path):
    """Print the report of a saved run again (report.json), with this
    checkout's verdict rules: old runs judged as new ones are."""
    sys.path.insert(0, str(HERE))
    import common
    doc = json.loads(Path(path).read_text())
    rows = [common.Row.from_json(r) for s in doc["sections"].values() for r in s["rows"]]
    print(render(doc, rows), end="")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; quick 1)")
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: fewer points, trials and seconds, 1/10 of the table")
    ap.add_argument("--build-dir", default=str(REPO / "build-compare"))
    ap.add_argument("--no-build", action="store_true", help="use --build-dir as it is")
    ap.add_argument("--deb", metavar="FBF_DEB",
                    help="footprint: this fbf_*.deb for the Debian package rows (default: "
                         "scripts/build-deb builds one from the tree)")
    ap.add_argument("-o", "--out", help="output directory (default: a new one in /tmp)")
    ap.add_argument("--render", metavar="REPORT_JSON",
                    help="print the report of a saved run (its report.json) again; runs nothing")
    args = ap.parse_args(argv)
    if args.render:
        return render_saved(args.render)
    if os.geteuid() != 0:
        ap.error("needs root (network namespaces): sudo bench/compare/compare.py")
    args.reps = args.reps or (1 if args.quick else 3)
    sections = [s for s in args.sections.split(",") if s]
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"unknown section {s!r}: one of {', '.join(SECTIONS)}")
    build_dir = Path(args.build_dir).resolve()
    if not args.no_build:
        build(build_dir)
    os.environ["FBF_BUILD_DIR"] = str(build_dir)
    sys.path.insert(0, str(HERE))
    import common

    out = Path(args.out or tempfile.mkdtemp(prefix="fbf-compare-"))
    out.mkdir(parents=True, exist_ok=True)
    command = "sudo " + " ".join(shlex.quote(a) for a in
                                 ["bench/compare/compare.py"] + (argv or sys.argv[1:]))
    doc = {"command": command, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
           "machine": machine(), "versions": common.versions(), "reps": args.reps,
           "quick": args.quick, "sections": {}}
    rows = []
    for name in sections:
        print(f"== {name} ({args.reps} repetitions)", flush=True)
        quiet0, load0, t0 = compilers_running(), os.getloadavg()[0], time.monotonic()
        try:
            sec_rows, raw = run_section(name, args, lambda *a: print(*a, flush=True))
            error = None
        except Exception as exc:     # one broken section must not lose the others
            sec_rows, raw, error = [], {}, f"{type(exc).__name__}: {exc}"
            print(f"== {name} FAILED: {error}", flush=True)
        rows += sec_rows
        doc["sections"][name] = {
            "seconds": round(time.monotonic() - t0, 1), "error": error,
            "load_1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "compilers_running": [quiet0, compilers_running()],
            "rows": [r.to_json() for r in sec_rows], "raw": raw}
        (out / "report.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")

    md = render(doc, rows)
    (out / "report.md").write_text(md)
    print(md)
    print(f"written: {out / 'report.md'}, {out / 'report.json'}")
    failed = [n for n, s in doc["sections"].items() if s["error"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
