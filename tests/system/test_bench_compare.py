"""bench/compare's statistics and report (pure functions, no lab): ratios are
paired within a repetition, percentiles are measured values, the verdicts
name every missed target and every daemon fbfd is behind."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "compare"))

import common  # noqa: E402
import report  # noqa: E402
from common import Row, Target  # noqa: E402


def test_percentile_is_nearest_rank_of_measured_values():
    values = list(range(1, 101))          # 1..100
    assert common.percentile(values, 50) == 50
    assert common.percentile(values, 99) == 99
    assert common.percentile(values, 100) == 100
    assert common.percentile([7.5, 1.0, 3.0], 50) == 3.0
    with pytest.raises(ValueError):
        common.percentile([], 50)


def test_ratios_pair_repetitions_and_skip_failed_ones():
    mine, theirs = [1.0, 2.0, None, 4.0], [2.0, 8.0, 5.0, 0.0]
    # rep 3 failed for fbfd, rep 4 divides by zero: only reps 1 and 2 count
    assert common.paired_ratios(mine, theirs) == [0.5, 0.25]
    assert common.summary([3.0, None, 1.0, 2.0]) == (1.0, 2.0, 3.0)
    assert common.summary([None, None]) is None


def test_standing_lower_and_higher_is_better_and_ties():
    lower = Row("bfd", "cpu", "%", "lower", {"fbfd": [1, 2, 3], "bird": [4, 5, 6], "frr": [1, 2, 9]})
    assert report.standing(lower) == ("level", [], ["frr"])
    worse = Row("bfd", "rss", "MiB", "lower", {"fbfd": [10], "bird": [5], "frr": [20]})
    assert report.standing(worse) == ("behind", ["bird"], [])
    higher = Row("bfd", "window", "%", "higher", {"fbfd": [99.9], "bird": [97.0]}, ratio=False)
    assert report.standing(higher) == ("ahead", [], [])
    nothing = Row("bfd", "x", "s", "lower", {"fbfd": [None], "bird": [1.0]})
    assert report.standing(nothing) == (None, [], [])
    alone = Row("bfd", "x", "s", "lower", {"fbfd": [1.0], "bird": [None]})
    assert report.standing(alone) == (None, [], [])
    assert "ahead" not in report.verdict_cell(alone)


def test_ahead_and_behind_hold_in_every_repetition_or_the_row_is_level():
    # cmp17's CPU at one session: fbfd's median is lower (0.34 against 0.37),
    # but BIRD was cheaper in the second repetition (the median rule: ahead).
    cpu = Row("bfd", "CPU, N = 1", "%", "lower",
              {"fbfd": [0.30, 0.39, 0.34], "bird": [0.46, 0.22, 0.37], "frr": [1.1, 1.2, 1.1]})
    assert report.standing(cpu) == ("level", [], ["bird"])
    assert report.verdict_cell(cpu) == "level with BIRD 2 (ahead in 2, behind in 1 of 3 repetitions)"
    md = report.markdown([cpu])
    assert "- level — BFD cost: CPU, N = 1: BIRD 2 (ahead in 2, behind in 1 of 3 repetitions)" in md
    assert "every target met" not in md
    # A median behind, but fbfd won a repetition (the median rule: behind).
    close = Row("detection", "p50", "ms", "lower", {"fbfd": [0.40, 0.30, 0.45],
                                                    "frr": [0.35, 0.32, 0.41]})
    assert report.standing(close) == ("level", [], ["frr"])
    # Worse in every repetition is behind.
    worse = Row("detection", "p50", "ms", "lower", {"fbfd": [2.0, 3.1, 4.0], "frr": [1.9, 3.0, 3.9]})
    assert report.standing(worse) == ("behind", ["frr"], [])
    # A failed repetition of either side is left out of the pairing.
    gap = Row("table", "time", "s", "lower", {"fbfd": [1.0, None, 1.0], "bird": [2.0, 0.5, 2.0]})
    assert report.standing(gap) == ("ahead", [], [])
    # The same score everywhere (0 false flaps) is level, and not news.
    flaps = Row("bfd", "false flaps", "count", "lower", {"fbfd": [0, 0], "bird": [0, 0]},
                Target("0", ok=True), ratio=False)
    assert report.verdict_cell(flaps) == "0: met; level with BIRD 2"
    assert "- level" not in report.markdown([flaps])


def test_render_prints_a_saved_run_again_under_the_current_rules(tmp_path):
    cpu = Row("bfd", "CPU, N = 1", "%", "lower", {"fbfd": [0.30, 0.39], "bird": [0.46, 0.22]})
    doc = {"command": "sudo bench/compare/compare.py --sections bfd", "started": "then",
           "reps": 2, "quick": False, "versions": {"fbfd": "fbfd 0.1.0 (abc1234)"},
           "machine": {"cpu": "c", "cpus": 2, "memory_gib": 1, "kernel": "k"},
           "sections": {"bfd": {"seconds": 10.0, "error": None, "load_1m": [0.1, 0.2],
                                "rows": [cpu.to_json()], "raw": {}}}}
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(doc))
    compare = Path(__file__).resolve().parents[2] / "bench" / "compare" / "compare.py"
    out = subprocess.run([sys.executable, str(compare), "--render", str(saved)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# fbfd side by side\n")
    assert "`sudo bench/compare/compare.py --sections bfd` — then, 2 repetition(s)." in out.stdout
    assert "level with BIRD 2 (ahead in 1, behind in 1 of 2 repetitions)" in out.stdout


def test_section_table_shows_median_range_and_paired_ratio():
    row = Row("table", "time to receive 1M IPv4 packed", "s", "lower",
              {"fbfd": [0.02, 0.03, 0.025], "bird": [0.5, 0.6, 0.4]},
              Target("≥ 2 × faster than BIRD", ok=True))
    md = report.section_table([row])
    line = next(l for l in md.splitlines() if l.startswith("| time to receive"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2] == "0.025 (0.02–0.03)"            # fbfd median (min–max)
    assert cells[3] == "0.50 (0.40–0.60)"             # BIRD
    # per-repetition ratios 0.04, 0.05, 0.0625 -> median 0.05
    assert cells[4] == "0.05 (0.04–0.0625)"
    assert "met" in cells[5] and "ahead" in cells[5]


def test_value_rows_show_no_ratio_and_report_names_misses():
    rows = [Row("detection", "detection − detect time, p99", "ms", "lower",
                {"fbfd": [6.0, 7.0], "bird": [3.0, 2.0]},
                Target("p99 ≤ detect time + 5 ms", ok=False), ratio=False),
            Row("footprint", "idle RSS", "MiB", "lower", {"fbfd": [7.0], "bird": [None]},
                Target("≤ 8 MiB", ok=True))]
    md = report.markdown(rows, "# header")
    assert "1 of 2 targets met." in md
    assert "- target missed — Detection: detection − detect time, p99" in md
    assert "- behind — Detection: detection − detect time, p99 (ms)" not in md  # metric text only
    assert "- behind — Detection: detection − detect time, p99: BIRD 2" in md
    det = next(l for l in md.splitlines() if l.startswith("| detection"))
    assert "| — |" in det                                  # no ratio for value rows
    assert "idle RSS: no value for BIRD 2" in md


def test_rows_round_trip_through_json():
    row = Row("bfd", "cpu", "%", "lower", {"fbfd": [1.0, None]}, Target("t", ok=None), note="n")
    assert Row.from_json(row.to_json()) == row


def test_idle_rss_sums_resident_kib_per_mapped_file():
    import idle_rss
    smaps = """\
55d0c0a00000-55d0c0a10000 r--p 00000000 fe:01 123 /usr/sbin/fbfd
Size:                 64 kB
Rss:                  16 kB
55d0c0a10000-55d0c0b00000 r-xp 00010000 fe:01 123 /usr/sbin/fbfd
Rss:                 200 kB
7f0000000000-7f0000021000 rw-p 00000000 00:00 0
Rss:                   8 kB
55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0 [heap]
Rss:                 132 kB
7f1000000000-7f1000100000 r-xp 00000000 fe:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1024 kB
"""
    assert idle_rss.resident_by_mapping(smaps) == {
        "/usr/sbin/fbfd": 216, "": 8, "[heap]": 132,
        "/usr/lib/x86_64-linux-gnu/libc.so.6": 1024}


def test_idle_rss_counts_resident_pages_per_loaded_section():
    import idle_rss
    readelf = """\
Section Headers:
  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al
  [ 0]                   NULL            0000000000000000 000000 000000 00      0   0  0
  [10] .rela.dyn         RELA            00000000000028e8 0028e8 01e000 18   A  6   0  8
  [15] .text             PROGBITS        0000000000030000 030000 003000 00  AX  0   0 16
  [26] .data.rel.ro      PROGBITS        0000000000040000 040000 000800 00  WA  0   0 32
  [30] .bss              NOBITS          0000000000050000 041000 002000 00  WA  0   0 32
  [31] .comment          PROGBITS        0000000000000000 041000 00002b 01  MS  0   0  1
"""
    sections = idle_rss.file_sections(readelf)
    assert sections == [(".rela.dyn", 0x28e8, 0x1e000), (".text", 0x30000, 0x3000),
                        (".data.rel.ro", 0x40000, 0x800)]
    # .rela.dyn spans file pages 2..32, .text 48..50, .data.rel.ro page 64.
    present = {2, 3, 48, 50, 64}
    assert idle_rss.resident_by_section(sections, present) == {
        ".rela.dyn": (8, 124), ".text": (8, 12), ".data.rel.ro": (4, 4)}


def test_idle_rss_config_names_the_user_to_look_up():
    import idle_rss
    assert 'user = "root"' in idle_rss.config("/tmp/x", 0)
    text = idle_rss.config("/tmp/x", 2, user="_fbf")
    assert 'user = "_fbf"' in text and text.count("[[bfd_peer]]") == 2


def test_debian_package_rows_compare_what_debian_ships():
    import footprint
    mib = footprint.MIB

    def entry(stripped, libs, deb=None, deb_libs=None):
        e = {"bytes": stripped, "stripped_bytes": stripped, "shared_libs_bytes": libs}
        if deb is not None:
            e.update(deb_bytes=deb, deb_shared_libs_bytes=deb_libs)
        return e

    daemons = ["fbfd", "bird"]
    none = {d: [None] for d in daemons}
    bins = {"fbfd": [entry(2 * mib, 2 * mib, deb=1 * mib, deb_libs=7 * mib)],
            "bird": [entry(1.08 * mib, 5.64 * mib)]}  # its installed package
    rows = {r.metric: r for r in footprint.make_rows(daemons, none, bins, {}, none, 3)}
    deb = rows[footprint.M_BIN_DEB]
    assert deb.values == {"fbfd": [1.0], "bird": [1.08]}
    assert report.standing(deb)[0] == "ahead"
    both = rows[footprint.M_BIN_LIBS_DEB]
    assert both.values == {"fbfd": [8.0], "bird": [pytest.approx(6.72)]}
    assert report.standing(both)[0] == "behind"
    # The default build's rows stay as they were: stripped 2.0 against 1.08.
    assert rows[footprint.M_BIN_STRIPPED].values["fbfd"] == [2.0]
    # Without a packaged fbfd (--no-deb) there are no Debian package rows.
    del bins["fbfd"][0]["deb_bytes"]
    metrics = {r.metric for r in footprint.make_rows(daemons, none, bins, {}, none, 3)}
    assert footprint.M_BIN_DEB not in metrics and footprint.M_BIN_LIBS_DEB not in metrics
