"""Fixtures for the malformed-input interop suite (tests/interop).

Reuses the lab harness (tests/lab/fbflab) and its rules: skip -- or fail
under CI=true -- when a daemon or the fbfd build is missing, fail the
session if a namespace or process is left behind. Each test module builds
one lab for all its tests (module scope, see interop.topology).
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))

from fbflab.util import tail  # noqa: E402

# The harness' CI/leftover rules; importing them here registers them for
# this directory too (running both directories runs them twice: harmless,
# the second call finds nothing left).
from lab.conftest import pytest_runtest_makereport, pytest_sessionfinish  # noqa: E402,F401
from lab.conftest import need_installed as need  # noqa: E402,F401  (module-scoped fixtures call it)


@pytest.fixture(autouse=True)
def _log_tails_on_failure(request):
    """A failing test gets the tails of its module lab's daemon logs."""
    yield
    rep = getattr(request.node, "rep_call", None)
    il = getattr(request.node.module, "_interop_lab", None)
    if rep is None or not rep.failed or il is None:
        return
    for peer in il.lab.peers:
        for path in peer.log_files():
            text = tail(path, 40)
            if text.strip():
                rep.sections.append((f"{peer!r}: {path}", text))
