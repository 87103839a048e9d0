"""Helpers and fixtures shared by test_deb.py and test_image.py: the Debian
package, built once per session by scripts/build-deb.

Not a conftest.py: tests/system's modules import names from `conftest`, and
would get this directory's instead of their own once pytest had loaded it.
The test modules import the fixtures from here, so pytest sees each fixture
once per module; `built_deb` and `machine_lock` remember their result, so
that the package is still built, and the lock taken, once per session.

These tests install a package and create a system user on the machine they
run on, so they need root and take a lock: two runs at once (developers on
a shared machine) wait for each other instead of fighting over dpkg.
"""
import fcntl
import os
import pathlib
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
LOCK_FILE = pathlib.Path(os.environ.get("FBF_PACKAGING_LOCK", "/tmp/fbf-packaging-tests.lock"))
LOCK_WAIT_S = 20 * 60


def run(cmd, check=True, timeout=600, **kw):
    """Runs cmd, returns the CompletedProcess; on failure the assertion shows
    its output."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert p.returncode == 0, (
            f"{' '.join(map(str, cmd))} exited {p.returncode}\n"
            f"--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-4000:]}")
    return p


def changelog_version():
    first = (REPO / "packaging" / "debian" / "changelog").read_text().splitlines()[0]
    return first.split("(", 1)[1].split(")", 1)[0]


_session = {}  # what the session fixtures made, whichever module asked first


@pytest.fixture(scope="session")
def machine_lock():
    """Held until the session ends by the tests that change the machine."""
    if os.geteuid() != 0:
        pytest.skip("packaging tests install a package and build images: run as root")
    if "lock" in _session:
        yield
        return
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                pytest.fail(f"{LOCK_FILE} still held by another packaging test run "
                            f"after {LOCK_WAIT_S}s")
            time.sleep(2)
    _session["lock"] = fd
    yield
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    del _session["lock"]


class Built:
    """What scripts/build-deb left in its output directory."""

    def __init__(self, out):
        self.out = out
        debs = sorted(out.glob("fbf_*.deb"))
        assert len(debs) == 1, f"expected one fbf_*.deb in {out}, found {debs}"
        self.deb = debs[0]
        changes = sorted(out.glob("fbf_*.changes"))
        assert len(changes) == 1, f"expected one .changes in {out}, found {changes}"
        self.changes = changes[0]


@pytest.fixture(scope="session")
def built_deb(machine_lock, tmp_path_factory):
    """scripts/build-deb into a temp directory, once per session. Lintian runs
    in test_deb.py, where its findings are reported one by one; the debug
    symbols package is left out to save its compression time."""
    if "deb" not in _session:
        out = tmp_path_factory.mktemp("deb")
        env = dict(os.environ)
        env["DEB_BUILD_OPTIONS"] = (env.get("DEB_BUILD_OPTIONS", "") + " noautodbgsym").strip()
        started = time.monotonic()
        run([REPO / "scripts" / "build-deb", "--no-lintian", out], env=env, timeout=1800)
        print(f"scripts/build-deb took {time.monotonic() - started:.0f}s")
        _session["deb"] = Built(out)
    return _session["deb"]
