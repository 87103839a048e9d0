"""Fixtures that run the real fbfd/fbfctl binaries on loopback (no root needed)."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("FBF_BUILD_DIR", REPO / "build"))
FBFD = BUILD / "agent" / "fbfd"
FBFCTL = BUILD / "agent" / "fbfctl"


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def minimal_config(tmp, port, extra=""):
    return f"""
[agent]
local_as = 65001
router_id = "192.0.2.1"
control_socket = "{tmp}/run/fbfd.sock"
state_dir = "{tmp}/state"
metrics_listen = "127.0.0.1:{port}"
log_level = "debug"
{extra}
"""


# A sanitizer report (FBF_SANITIZE builds, scripts/sanitize) in fbfd's log or
# fbfctl's stderr fails the test even if the program carried on; the same
# patterns as tests/lab/fbflab/sanitizer.py. Elsewhere the sanitizers' exit
# code (86 under scripts/sanitize) makes exit-status assertions fail.
SANITIZER_REPORT = re.compile(
    r"==\d+==ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
    r"|==\d+==LeakSanitizer has encountered a fatal error|: runtime error: ")


def fail_on_sanitizer_report(text, what):
    m = SANITIZER_REPORT.search(text or "")
    if m:
        start = text.rfind("\n", 0, m.start()) + 1
        pytest.fail(f"sanitizer report in {what}:\n{text[start:start + 6000]}", pytrace=False)


def wait_until(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}")


class Agent:
    """One fbfd process with its own config, socket and log in a temp dir."""

    def __init__(self, tmp, env=None):
        self.tmp = pathlib.Path(tmp)
        self.port = free_tcp_port()
        self.config = self.tmp / "fbf.toml"
        self.config.write_text(minimal_config(self.tmp, self.port))
        self.socket = self.tmp / "run" / "fbfd.sock"
        self.log_path = self.tmp / "fbfd.log"
        self.env = dict(os.environ, **(env or {}))
        self.wrapper = []  # argv run in front of fbfd's, e.g. unshare (test_bfd_auth_libcrypto.py)
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        argv = self.wrapper + [str(FBFD), "-c", str(self.config), "--foreground"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            wait_until(lambda: self.ctl("show", "status").returncode == 0, 5, "fbfd to answer")
        return self

    def ctl(self, *args, json_out=False):
        argv = [str(FBFCTL), "-s", str(self.socket)] + (["--json"] if json_out else []) + list(args)
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=15)
        fail_on_sanitizer_report(cp.stderr, "fbfctl's stderr")
        return cp

    def signal(self, signo):
        self.proc.send_signal(signo)

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            fail_on_sanitizer_report(self.log_text(), f"fbfd's log {self.log_path}")


@pytest.fixture
def agent(tmp_path):
    if not FBFD.exists():
        pytest.fail(f"{FBFD} not built (run scripts/test, or set FBF_BUILD_DIR)")
    a = Agent(tmp_path)
    yield a
    a.stop()
