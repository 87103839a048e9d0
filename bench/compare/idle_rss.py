#!/usr/bin/python3
"""VmRSS of a bare, idle fbfd (no neighbors, no sessions): what a host pays
before any work, and what the on-demand libraries changed (docs/performance.md).

    sudo FBF_BUILD_DIR=build-perf bench/compare/idle_rss.py [--runs 3] [--sessions N]

--sessions N adds N [[bfd_peer]] sessions to unanswered loopback addresses
(127.0.1.x), to see the memory a session costs. Prints one
VmRSS/RssAnon/RssFile line per run (KiB), read 2 s after start; --smaps
adds the resident KiB of each mapped file (/proc/PID/smaps): which library
the resident set is made of (docs/performance.md, "Footprint").
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def config(d, sessions, user="root"):
    lines = ["[agent]", "local_as = 65001", 'router_id = "192.0.2.1"',
             f'control_socket = "{d}/fbfd.sock"', f'state_dir = "{d}/state"',
             'metrics_listen = ""', 'log_level = "info"', f'user = "{user}"', ""]
    for i in range(sessions):
        lines += ["[[bfd_peer]]", f'address = "127.0.{1 + i // 250}.{1 + i % 250}"',
                  'local_address = "127.0.0.1"', 'min_tx = "50ms"', 'min_rx = "50ms"',
                  "multiplier = 3", ""]
    return "\n".join(lines)


def resident_by_mapping(smaps):
    """{mapping name (file path, [heap], [stack], "" for anonymous): Rss KiB}."""
    out, name = {}, None
    for line in smaps.splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5 and ":" not in fields[0]:
            name = fields[5] if len(fields) > 5 else ""
        elif fields and fields[0] == "Rss:" and name is not None:
            out[name] = out.get(name, 0) + int(fields[1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=0)
    ap.add_argument("--smaps", action="store_true", help="resident KiB per mapped file")
    ap.add_argument("--user", default="root",
                    help="[agent] user; the default _fbf, missing here, is looked up through "
                         "every name service source (nsswitch.conf) before fbfd stays root")
    args = ap.parse_args()
    fbfd = common.build_dir() / "agent" / "fbfd"
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="fbf-idle-") as d:
            (Path(d) / "state").mkdir()
            conf = Path(d) / "fbf.toml"
            conf.write_text(config(d, args.sessions, args.user))
            env = {k: v for k, v in os.environ.items()
                   if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
            p = subprocess.Popen([str(fbfd), "-c", str(conf), "--foreground"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(2)
                status = Path(f"/proc/{p.pid}/status").read_text().splitlines()
                vals = {k: v.split()[0] for k, _, v in (l.partition(":") for l in status)
                        if k in ("VmRSS", "RssAnon", "RssFile")}
                print(f"VmRSS {vals['VmRSS']} KiB  RssAnon {vals['RssAnon']} KiB  "
                      f"RssFile {vals['RssFile']} KiB  ({args.sessions} sessions)")
                if args.smaps:
                    per = resident_by_mapping(Path(f"/proc/{p.pid}/smaps").read_text())
                    for name, kib in sorted(per.items(), key=lambda kv: -kv[1]):
                        if kib:
                            print(f"  {kib:6d} KiB  {name}")
            finally:
                p.terminate()
                p.wait(5)


if __name__ == "__main__":
    main()
