"""Fixtures for the namespace lab (tests/lab).

- `lab`: a fresh fbflab.Lab per test, closed after it even when it fails
  (the daemons' log tails are attached to a failing test's report).
- `need(*what)`: skip -- or fail under CI=true -- when a peer daemon or the
  fbfd build is missing.
- Under CI=true a skipped test counts as a failure (tests/conftest.py).
- At the end of the session no namespace of this run and no process the
  harness started may be left: otherwise the session fails.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fbflab  # noqa: E402
from fbflab import peers  # noqa: E402
from fbflab.util import tail  # noqa: E402

PEER_CLASSES = {"bird": fbflab.Bird, "frr": fbflab.Frr, "gobgp": fbflab.GoBgp,
                "exabgp": fbflab.ExaBgp}


def ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")  # as tests/conftest.py


def skip_or_fail(reason):
    """Outside CI a missing prerequisite skips; under CI=true it fails."""
    if ci():
        pytest.fail(f"{reason} (CI=true: the lab must run, not skip)", pytrace=False)
    pytest.skip(reason)


def require_root():
    if os.geteuid() != 0:
        skip_or_fail("lab tests create network namespaces: run as root (sudo scripts/test)")
    if not shutil.which("ip"):
        skip_or_fail("iproute2 (`ip`) is not installed: run scripts/install-deps")


def need_installed(*what):
    """need_installed("bird", "frr", "fbfd"): skip (fail under CI=true) unless
    those are installed/built. A plain function, for module-scoped fixtures."""
    require_root()
    missing = []
    for w in what:
        if w == "fbfd":
            missing += fbflab.missing_binaries()
        else:
            missing += peers.missing(PEER_CLASSES[w])
    if missing:
        skip_or_fail(f"not installed/built: {', '.join(missing)} "
                     "(run scripts/install-deps, build with cmake)")


@pytest.fixture
def need():
    """need("bird", "frr", "fbfd"): skip/fail unless those are installed/built."""
    return need_installed


@pytest.fixture
def lab(request):
    require_root()
    lab = fbflab.Lab(name=request.node.name)
    yield lab
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for peer in lab.peers:
            for path in peer.log_files():
                text = tail(path, 40)
                if text.strip():
                    rep.sections.append((f"{peer!r}: {path}", text))
    lab.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Kept for the `lab` fixture's log tails. The CI skip-to-failure rule
    # lives in tests/conftest.py, which pytest.ini's rootdir always loads.
    setattr(item, f"rep_{report.when}", report)


def pytest_sessionfinish(session, exitstatus):
    left = fbflab.leftovers()
    if not left["namespaces"] and not left["processes"]:
        return
    errors = fbflab.close_all()
    msg = ["lab: left behind after the session (now removed):"]
    msg += [f"  namespace {ns}" for ns in left["namespaces"]]
    msg += [f"  process {p}" for p in left["processes"]]
    msg += [f"  cleanup error: {e}" for e in errors]
    for proc in fbflab.leftover_processes():  # anything close_all could not reach
        proc.kill()
    for ns in fbflab.leftover_namespaces():
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        for pid in pids.stdout.split():
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "del", ns], check=False)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line("\n".join(msg), red=True, bold=True)
    else:
        print("\n".join(msg), file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
