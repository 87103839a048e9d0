"""bench/size_breakdown.py reads a GNU ld map: only sections the link kept
count (not the discarded ones listed before the memory map), a section whose
name is too long for its line is read from the next, debug info is left out,
and libstdc++ is also split by member."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import size_breakdown  # noqa: E402

MAP = """\
Discarded input sections

 .text.unused   0x0000000000000000     0x9999 libfbf_agent.a(daemon.cpp.o)

Linker script and memory map

 .text          0x0000000000001000      0x100 libfbf_agent.a(daemon.cpp.o)
 .text._ZN3fbf5agent13config_detail12_GLOBAL__N_112read_serviceERN
                0x0000000000001100      0x200 libfbf_agent.a(config.cpp.o)
 .text          0x0000000000001300       0x40 /usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a(locale-inst.o)
 .rodata        0x0000000000002000       0x10 /usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a(cp-demangle.o)
 .debug_info    0x0000000000000000     0x5000 libfbf_agent.a(daemon.cpp.o)
"""


def test_kept_sections_only_with_continued_lines_and_no_debug_info():
    by_origin, stdcxx = size_breakdown.breakdown(MAP)
    assert by_origin == {"libfbf_agent.a": 0x300, "libstdc++.a": 0x50}
    assert stdcxx == {"locale-inst.o": 0x40, "cp-demangle.o": 0x10}
