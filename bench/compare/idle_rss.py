#!/usr/bin/python3
"""VmRSS of a bare, idle fbfd (no neighbors, no sessions): what a host pays
before any work, and what the on-demand libraries changed (docs/performance.md).

    sudo FBF_BUILD_DIR=build-perf bench/compare/idle_rss.py [--runs 3] [--sessions N]

--sessions N adds N [[bfd_peer]] sessions to unanswered loopback addresses
(127.0.1.x), to see the memory a session costs. Prints one
VmRSS/RssAnon/RssFile line per run (KiB), read 2 s after start; --smaps
adds the resident KiB of each mapped file (/proc/PID/smaps): which library
the resident set is made of (docs/performance.md, "Footprint"); --sections
the resident KiB of fbfd's own binary by ELF section (/proc/PID/pagemap,
the binary read whole first): which part of the program that is.
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


PAGE = 4096


def file_sections(readelf_sections):
    """[(name, file offset, size)] of the sections a program maps from its
    file (`readelf -SW` text; NOBITS such as .bss have no bytes in it)."""
    out = []
    for line in readelf_sections.splitlines():
        f = line.replace("[ ", "[").split()    # [Nr] Name Type Address Off Size ...
        if len(f) < 6 or not f[0].startswith("[") or f[2] == "NOBITS":
            continue
        try:
            address, offset, size = int(f[3], 16), int(f[4], 16), int(f[5], 16)
        except ValueError:
            continue
        if address and size:    # address 0: not loaded (.comment, debug info)
            out.append((f[1], offset, size))
    return out


def resident_by_section(sections, present_file_pages):
    """{section: (resident KiB, KiB)} from the program's sections and the set
    of file page numbers (offset // 4096) present in the process. A page two
    sections share counts for both."""
    out = {}
    for name, offset, size in sections:
        pages = range(offset // PAGE, (offset + size + PAGE - 1) // PAGE)
        resident = sum(1 for p in pages if p in present_file_pages)
        out[name] = (resident * PAGE // 1024, len(pages) * PAGE // 1024)
    return out


def present_file_pages(pid, path):
    """File page numbers of `path` mapped and present in process pid
    (/proc/PID/maps, and bit 63 of /proc/PID/pagemap; needs root)."""
    present = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            f = line.split()
            if len(f) < 6 or os.path.realpath(f[5]) != os.path.realpath(path):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            first = int(f[2], 16) // PAGE
            pagemap.seek(lo // PAGE * 8)
            entries = pagemap.read((hi - lo) // PAGE * 8)
            for i in range(len(entries) // 8):
                if int.from_bytes(entries[i * 8:i * 8 + 8], "little") >> 63:
                    present.add(first + i)
    return present


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=0)
    ap.add_argument("--smaps", action="store_true", help="resident KiB per mapped file")
    ap.add_argument("--sections", action="store_true",
                    help="resident KiB of fbfd's binary per ELF section (/proc/PID/pagemap)")
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
            if args.sections:
                # Fault-around maps what the page cache holds near each page
                # touched: read the binary whole first, so that the figure
                # does not depend on what an earlier reader left cached.
                fbfd.read_bytes()
            p = subprocess.Popen([str(fbfd), "-c", str(conf), "--foreground"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(2)
                status = Path(f"/proc/{p.pid}/status").read_text().splitlines()
                vals = {k: v.split()[0] for k, _, v in (l.partition(":") for l in status)
                        if k in ("VmRSS", "RssAnon", "RssFile")}
                print(f"VmRSS {vals['VmRSS']} KiB  RssAnon {vals['RssAnon']} KiB  "
                      f"RssFile {vals['RssFile']} KiB  ({args.sessions} sessions)")
                if args.sections:
                    elf = subprocess.run(["readelf", "-SW", str(fbfd)], capture_output=True,
                                         text=True, check=True).stdout
                    present = present_file_pages(p.pid, fbfd)
                    by = resident_by_section(file_sections(elf), present)
                    for name, (kib, total) in by.items():
                        if total >= 16:
                            print(f"  {name:20s} {kib:6d} of {total:6d} KiB resident")
                    print(f"  binary: {len(present) * PAGE // 1024} KiB resident")
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
