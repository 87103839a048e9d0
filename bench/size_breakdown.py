#!/usr/bin/python3
"""Where fbfd's bytes come from: links fbfd again, as the build does, with a
linker map, and sums the sections kept in the program (debug info left out)
by the archive or object they came from, and the libstdc++ members.

    bench/size_breakdown.py [--build-dir build-static] [--top 15]

Needs a configured and built tree (it reruns agent/CMakeFiles/fbfd.dir/
link.txt from agent/, writing the program and map to a temporary directory).
"""
import argparse
import collections
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

# An input section on one line, or its name alone with the rest on the next.
ONE_LINE = re.compile(r"^ (\.\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)")
NAME_ONLY = re.compile(r"^ (\.\S+)$")
CONTINUED = re.compile(r"^\s{10,}0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)")


def kept_sections(map_text):
    """(section, size, input file) of every input section the link kept."""
    lines = map_text.split("\n")
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("Linker script and memory map"))
    pending = None
    for line in lines[start:]:
        m = ONE_LINE.match(line)
        if m:
            pending = None
            yield m.group(1), int(m.group(2), 16), m.group(3)
            continue
        m = NAME_ONLY.match(line)
        if m:
            pending = m.group(1)
            continue
        m = CONTINUED.match(line)
        if m and pending:
            yield pending, int(m.group(1), 16), m.group(2)
        pending = None


def breakdown(map_text):
    """(bytes per archive/object, bytes per libstdc++ member), debug and
    comment sections left out."""
    by_origin, stdcxx = collections.Counter(), collections.Counter()
    for section, size, origin in kept_sections(map_text):
        if section.startswith((".debug", ".comment")):
            continue
        archive = re.sub(r"\(.*", "", origin).split("/")[-1]
        by_origin[archive] += size
        if archive == "libstdc++.a" and "(" in origin:
            stdcxx[origin.split("(")[-1].rstrip(")")] += size
    return by_origin, stdcxx


def link_with_map(build_dir, out_dir):
    agent = Path(build_dir) / "agent"
    argv = shlex.split((agent / "CMakeFiles" / "fbfd.dir" / "link.txt").read_text())
    i = argv.index("-o")
    argv[i + 1] = str(Path(out_dir) / "fbfd")
    argv.append(f"-Wl,-Map={out_dir}/fbfd.map")
    subprocess.run(argv, cwd=agent, check=True)
    return (Path(out_dir) / "fbfd.map").read_text()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build-static")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fbfd-size-") as tmp:
        by_origin, stdcxx = breakdown(link_with_map(args.build_dir, tmp))
    total = sum(by_origin.values())
    print(f"fbfd without debug info: {total / 1024:.0f} KiB")
    for name, size in by_origin.most_common(args.top):
        if name == "Scrt1.o":   # the map files what the linker makes under the first input
            name += " (and the linker's own tables: .eh_frame_hdr, relocations, symbols)"
        print(f"  {size / 1024:8.1f} KiB  {name}")
    locale = sum(v for k, v in stdcxx.items()
                 if "locale" in k or "facets" in k or "monetary" in k or "time_members" in k)
    print(f"libstdc++ members: {sum(stdcxx.values()) / 1024:.0f} KiB, of which locale "
          f"facets and their instantiations {locale / 1024:.0f} KiB")
    for name, size in stdcxx.most_common(args.top):
        print(f"  {size / 1024:8.1f} KiB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
