"""Rows (common.Row) -> the markdown report: one table per section, each
cell "median (min–max)" over the repetitions, fbfd ÷ other ratios computed
within each repetition, the target verdict, and whether fbfd is ahead.
Pure functions: tests/system/test_bench_compare.py drives them."""
from common import DAEMON_NAMES, clean, paired_ratios, summary

SECTION_TITLES = {
    "bfd": "BFD cost",
    "detection": "Detection",
    "table": "Full table",
    "failover": "Failover end-to-end",
    "footprint": "Footprint",
}


def fmt_number(v):
    if v is None:
        return "—"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_summary(values):
    s = summary(values)
    if s is None:
        return "—"
    lo, mid, hi = s
    if lo == hi:
        return fmt_number(mid)
    return f"{fmt_number(mid)} ({fmt_number(lo)}–{fmt_number(hi)})"


def others(row):
    return [d for d in DAEMON_NAMES if d in row.values and d != "fbfd"] + \
           [d for d in row.values if d not in DAEMON_NAMES and d != "fbfd"]


def record(row, rival):
    """(repetitions fbfd was better in, worse in, compared) against rival,
    pairing the repetitions as the ratios do: the daemons of one repetition
    ran in the same lab, one after the other."""
    wins = losses = compared = 0
    for a, b in zip(row.values.get("fbfd", []), row.values.get(rival, [])):
        if not clean([a]) or not clean([b]):
            continue
        compared += 1
        if a != b:
            if (a < b) == (row.better == "lower"):
                wins += 1
            else:
                losses += 1
    return wins, losses, compared


def standing(row):
    """Whether fbfd is ahead of every other daemon on this row, repetition by
    repetition: ("ahead" | "level" | "behind" | None, [daemons fbfd is
    behind], [daemons it is level with]). Ahead of a daemon: better in every
    repetition; behind: worse in every one; level: anything between (ties,
    or a scatter that puts either first) — a median alone would name a
    winner that another run reverses. None when fbfd or every other daemon
    has no value: there is nothing to be ahead of."""
    if not clean(row.values.get("fbfd", [])):
        return None, [], []
    behind, level, compared = [], [], 0
    for d in others(row):
        wins, losses, n = record(row, d)
        if not n:
            continue
        compared += 1
        if losses == n:
            behind.append(d)
        elif wins < n:
            level.append(d)
    if not compared:
        return None, [], []     # nothing to be ahead of
    return ("behind" if behind else "level" if level else "ahead"), behind, level


def _level_names(row, daemons):
    """"FRR (ahead in 1, behind in 2 of 3 repetitions)" for each daemon; the
    name alone where every repetition was a tie."""
    out = []
    for d in daemons:
        wins, losses, n = record(row, d)
        score = ", ".join(f"{word} in {k}" for word, k in (("ahead", wins), ("behind", losses)) if k)
        out.append(DAEMON_NAMES.get(d, d) + (f" ({score} of {n} repetitions)" if score else ""))
    return ", ".join(out)


def _names(daemons):
    return ", ".join(DAEMON_NAMES.get(d, d) for d in daemons)


def verdict_cell(row):
    parts = []
    if row.target is not None:
        mark = {True: "met", False: "**missed**", None: "not decided"}[row.target.ok]
        parts.append(f"{row.target.text}: {mark}")
    status, behind, level = standing(row)
    if status == "ahead":
        parts.append("ahead")
    elif status == "level":
        parts.append(f"level with {_level_names(row, level)}")
    elif status == "behind":
        parts.append(f"**behind** {_names(behind)}")
    return "; ".join(parts) or "—"


def section_table(rows):
    """One markdown table for rows of one section."""
    if not rows:
        return ""
    daemons = []
    for r in rows:
        for d in ["fbfd"] + others(r):
            if d not in daemons:
                daemons.append(d)
    rivals = [d for d in daemons if d != "fbfd"]
    head = (["metric", "unit"] + [DAEMON_NAMES.get(d, d) for d in daemons]
            + [f"fbfd ÷ {DAEMON_NAMES.get(d, d)}" for d in rivals] + ["target / verdict"])
    lines = ["| " + " | ".join(head) + " |",
             "|---|---|" + "---:|" * (len(daemons) + len(rivals)) + "---|"]
    notes = {}     # note -> the metrics it is about (one line per distinct note)
    for r in rows:
        cells = [r.metric, r.unit]
        cells += [fmt_summary(r.values[d]) if d in r.values else "" for d in daemons]
        for d in rivals:
            if d not in r.values or d == "fbfd":
                cells.append("")
            elif not r.ratio:
                cells.append("—")
            else:
                cells.append(fmt_summary(paired_ratios(r.values.get("fbfd", []), r.values[d])))
        cells.append(verdict_cell(r))
        lines.append("| " + " | ".join(cells) + " |")
        if r.note:
            notes.setdefault(r.note, []).append(r.metric)
    missing = [f"- {r.metric}: no value for {_names(d for d in r.values if not clean(r.values[d]))}"
               for r in rows if any(not clean(v) for v in r.values.values())]
    note_lines = [f"- {'; '.join(metrics)}: {note}" for note, metrics in notes.items()]
    return "\n".join(lines + ([""] + note_lines if note_lines else [])
                     + ([""] + missing if missing else []))


def verdict_summary(rows):
    """Bullet lines: every target missed, every daemon fbfd is behind, and
    every daemon that beat fbfd in some repetitions but not all."""
    out = []
    for r in rows:
        if r.target is not None and r.target.ok is False:
            out.append(f"- target missed — {SECTION_TITLES.get(r.section, r.section)}: "
                       f"{r.metric}: {r.target.text}")
        status, behind, level = standing(r)
        title = SECTION_TITLES.get(r.section, r.section)
        if behind:
            out.append(f"- behind — {title}: {r.metric}: {_names(behind)}")
        # Level with a daemon that is not always level (it won a repetition):
        # a row fbfd is not ahead on either. Rows where every daemon scores
        # the same (0 false flaps everywhere) are not news.
        mixed = [d for d in level if record(r, d)[1]]
        if mixed:
            out.append(f"- level — {title}: {r.metric}: {_level_names(r, mixed)}")
    return out


def markdown(rows, header=""):
    """The whole report: header, verdict summary, one table per section."""
    out = [header] if header else []
    misses = verdict_summary(rows)
    met = sum(1 for r in rows if r.target is not None and r.target.ok)
    targets = sum(1 for r in rows if r.target is not None)
    out += ["## Verdicts", "", f"{met} of {targets} targets met."]
    out += [""] + (misses or ["- every target met, and no other daemon beat fbfd in any "
                              "repetition of any row."])
    for section, title in SECTION_TITLES.items():
        sec = [r for r in rows if r.section == section]
        if sec:
            out += ["", f"## {title}", "", section_table(sec)]
    return "\n".join(out) + "\n"
