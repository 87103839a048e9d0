"""Remove labs left behind by runs that were killed outright (SIGKILL, OOM,
a CI timeout), which no handler could clean up.

    cd tests/lab && sudo /usr/bin/python3 -m fbflab.cleanup            # list
    cd tests/lab && sudo /usr/bin/python3 -m fbflab.cleanup --remove   # remove

A lab is stale when its owner process (recorded in <lab dir>/owner) is gone;
namespaces of labs whose owner still runs are never touched, nor any
namespace not named like a lab's (fbf<4 hex><n>-<node>).
"""
import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from .process import _proc_starttime

LAB_NS = re.compile(r"^(fbf[0-9a-f]{4}\d+)-[a-z][a-z0-9]*$")


def owner_alive(lab_id, base_dir):
    for d in glob.glob(os.path.join(base_dir, f"{lab_id}-*")):
        try:
            pid, start = open(os.path.join(d, "owner")).read().split()
        except (OSError, ValueError):
            continue
        now, state = _proc_starttime(int(pid))
        return now == int(start) and state != "Z"
    return False


def stale_labs(base_dir=None):
    """{lab id: [namespaces]} of labs whose owner process is gone."""
    base_dir = base_dir or tempfile.gettempdir()
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    labs = {}
    for line in out.splitlines():
        ns = line.split()[0] if line.strip() else ""
        m = LAB_NS.match(ns)
        if m:
            labs.setdefault(m.group(1), []).append(ns)
    return {lab: nss for lab, nss in labs.items() if not owner_alive(lab, base_dir)}


def remove(lab_id, namespaces, base_dir=None):
    for ns in namespaces:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        for pid in pids.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", ns], check=False)
    for d in glob.glob(os.path.join(base_dir or tempfile.gettempdir(), f"{lab_id}-*")):
        shutil.rmtree(d, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--remove", action="store_true", help="remove them (default: list)")
    args = ap.parse_args(argv)
    stale = stale_labs()
    for lab_id, nss in sorted(stale.items()):
        print(f"{'removing' if args.remove else 'stale'} {lab_id}: {' '.join(sorted(nss))}")
        if args.remove:
            remove(lab_id, nss)
    if not stale:
        print("no stale labs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
