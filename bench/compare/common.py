"""What every bench/compare section shares: result rows, statistics, paths.

A section (bfd_cost, detection, fulltable, failover, footprint) measures fbfd
and the other daemons on identical work, `reps` times, and returns a list of
Row. compare.py turns the rows of every section into one markdown table of
ratios with min / median / max over the repetitions (report.py).

A Row is one measured quantity, e.g. "CPU % of a core, N = 200 @ 50 ms":

    Row(section="bfd", metric="CPU % of a core, N=200 @50ms", unit="%",
        better="lower",
        values={"fbfd": [5.1, 6.2, 5.9], "bird": [12.6, 13.0, 12.2], "frr": [...]},
        target=Target("≤ 0.5 × BIRD", ok=True), note="...")

values[daemon][i] is repetition i; None where that repetition failed for
that daemon (then the row says so). Ratios are fbfd / other computed within
one repetition (both measured on the same machine state), never across.
Rows whose values can be zero or negative (latency minus detect time) set
ratio=False: the report then shows the values, not ratios.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
for p in (REPO / "tests" / "lab", REPO / "bench" / "bfd_scale", REPO / "bench" / "bgp_fulltable"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# Display names, in table order.
DAEMON_NAMES = {
    "fbfd": "fbfd",
    "bird": "BIRD 2",
    "frr": "FRR",
    "gobgp": "GoBGP",
    "exabgp": "ExaBGP",
    "bird-script": "BIRD + watchdog script",
    "exabgp-healthcheck": "ExaBGP healthcheck",
}


@dataclass
class Target:
    text: str                  # e.g. "≤ 0.5 × BIRD"
    ok: bool | None = None     # None: not decidable from this run (say why in note)


@dataclass
class Row:
    section: str
    metric: str
    unit: str
    better: str                           # "lower" or "higher"
    values: dict[str, list]               # daemon -> one value (or None) per repetition
    target: Target | None = None
    ratio: bool = True                    # False: show values only (see module doc)
    note: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self):
        return asdict(self)

    @staticmethod
    def from_json(d):
        d = dict(d)
        t = d.pop("target", None)
        return Row(target=Target(**t) if t else None, **d)


# --- statistics ----------------------------------------------------------------------------
def clean(values):
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list: a value that
    was actually measured, never an interpolation."""
    s = sorted(values)
    if not s:
        raise ValueError("percentile of nothing")
    k = max(1, math.ceil(q / 100 * len(s)))
    return s[k - 1]


def median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of nothing")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def summary(values):
    """(min, median, max) of the values that exist, or None."""
    v = clean(values)
    return (min(v), median(v), max(v)) if v else None


def paired_ratios(mine, theirs):
    """fbfd / other per repetition, skipping repetitions where either is
    missing or the other is zero."""
    return [a / b for a, b in zip(mine, theirs)
            if a is not None and b is not None and b != 0]


# --- environment ---------------------------------------------------------------------------
def build_dir():
    """The fbfd build tree the lab harness uses ($FBF_BUILD_DIR)."""
    return Path(os.environ.get("FBF_BUILD_DIR") or REPO / "build")


from fbflab.procfs import cpu_seconds, proc_status, timeslices  # noqa: E402,F401  (for the sections)


def versions():
    """First line of each daemon's --version (None where it is missing)."""
    def first_line(argv):
        try:
            cp = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                                timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        lines = (cp.stdout + cp.stderr).strip().splitlines()
        return lines[0] if lines else None
    return {"fbfd": first_line([build_dir() / "agent" / "fbfd", "--version"]),
            "bird": first_line(["bird", "--version"]),
            "frr": first_line(["/usr/lib/frr/bgpd", "--version"]),
            "gobgp": first_line(["gobgpd", "--version"]),
            "exabgp": first_line(["exabgp", "--version"])}


# --- running one section alone ---------------------------------------------------------------
def add_standalone_args(ap, daemons, reps=3):
    """The options every section's main() shares."""
    ap.add_argument("--reps", type=int, default=reps, help=f"repetitions (default {reps})")
    ap.add_argument("--daemons", default=",".join(daemons),
                    help=f"comma-separated subset of {','.join(daemons)}")
    ap.add_argument("--build-dir", help="fbfd build tree (default $FBF_BUILD_DIR or build/)")


def standalone_setup(ap, args, daemons):
    """Applies --build-dir (also to the harness, which read $FBF_BUILD_DIR when
    it was imported), refuses to run without root, returns the daemons asked for."""
    if args.build_dir:
        use_build_dir(args.build_dir)
    if os.geteuid() != 0:
        ap.error("needs root (network namespaces)")
    wanted = [d for d in args.daemons.split(",") if d]
    for d in wanted:
        if d not in daemons:
            ap.error(f"unknown {d!r}: one of {', '.join(daemons)}")
    return wanted


def use_build_dir(path):
    """Points $FBF_BUILD_DIR and the harness' fbfd/fbfctl paths at `path`."""
    from fbflab import fbfd as harness
    bd = Path(path).resolve()
    os.environ["FBF_BUILD_DIR"] = str(bd)
    harness.BUILD, harness.FBFD, harness.FBFCTL = bd, bd / "agent" / "fbfd", bd / "agent" / "fbfctl"


def print_and_save(rows, raw, path):
    """A section's table on stdout; rows and raw samples as JSON in `path` (if given)."""
    import json

    import report
    print()
    print(report.section_table(rows))
    if path:
        Path(path).write_text(json.dumps({"rows": [r.to_json() for r in rows], "raw": raw},
                                         indent=1, default=str) + "\n")
        print(f"\nwritten: {path}")
