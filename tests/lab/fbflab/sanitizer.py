"""Sanitizer reports in the output of fbfd/fbfctl built with FBF_SANITIZE
(scripts/sanitize): AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer.

A report must fail the test even when the daemon carried on or the test did
not look at its exit status: the harness checks fbfd's log when it stops it,
and fbfctl's stderr after each run. Without sanitizers nothing ever matches.
"""
import os
import re

# The first line of each kind of report (sanitizer_common's Report() and
# UBSan's diagnostics), e.g. "==123==ERROR: AddressSanitizer: heap-use-after-free",
# "==123==ERROR: LeakSanitizer: detected memory leaks",
# "agent/x.cpp:10:5: runtime error: signed integer overflow".
PATTERN = re.compile(r"==\d+==ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
                     r"|==\d+==LeakSanitizer has encountered a fatal error"
                     r"|: runtime error: ")


def report(text, context=40):
    """The first sanitizer report in text (up to `context` lines of it), or ''."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if PATTERN.search(line):
            return "\n".join(lines[max(0, i - 2):i + context])
    return ""


def active():
    """True when the fbfd under test is the sanitized build (scripts/sanitize
    exports FBF_SANITIZED=1). ASan's quarantine and allocator keep freed
    memory, so an RSS-flatness check means nothing there; LeakSanitizer
    checks every allocation at fbfd's exit instead (Fbfd.stop)."""
    return os.environ.get("FBF_SANITIZED") == "1"
