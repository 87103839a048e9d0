"""Processes started by the lab, and the registry used to prove none is left.

Every daemon runs in its own session (process group), inside its namespace
via `ip netns exec` (which execs, so the Popen pid is the daemon itself),
with stdout/stderr appended to a log file in the lab directory.
"""
import os
import signal
import subprocess
import time

from .util import LabError, tail

# Every process the harness ever started in this interpreter, for
# leftover_processes() (the end-of-session check).
_REGISTRY = []


def _proc_starttime(pid):
    """Kernel start time of pid (field 22 of /proc/PID/stat) and its state."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None, None
    rest = data[data.rindex(")") + 2:].split()
    return int(rest[19]), rest[0]


class Process:
    """One started program: signal it, pause/resume it, stop it, read its log."""

    def __init__(self, argv, *, name, log_path, ns=None, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.ns = ns
        self.log_path = str(log_path)
        full = (["ip", "netns", "exec", ns] if ns else []) + self.argv
        self._log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=self._log,
                                          stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                          start_new_session=True)
        except OSError as exc:
            self._log.close()
            raise LabError(f"cannot start {name}: {exc}") from exc
        self.pid = self.popen.pid
        self.starttime, _ = _proc_starttime(self.pid)
        _REGISTRY.append(self)

    def __repr__(self):
        where = f" in {self.ns}" if self.ns else ""
        return f"<Process {self.name} pid {self.pid}{where} {' '.join(self.argv)!r}>"

    def alive(self):
        return self.popen.poll() is None

    @property
    def returncode(self):
        return self.popen.poll()

    def _killpg(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def signal(self, sig):
        """Send sig to the process only (not its group)."""
        if self.alive():
            os.kill(self.pid, sig)

    def pause(self):
        """SIGSTOP the process group: the daemon freezes (no packets, no timers)."""
        if not self.alive():
            raise LabError(f"{self.name} is not running")
        self._killpg(signal.SIGSTOP)

    def resume(self):
        self._killpg(signal.SIGCONT)

    def kill(self):
        """SIGKILL the whole group, no goodbye messages (a crash)."""
        self._killpg(signal.SIGKILL)
        self._reap(5)

    def stop(self, timeout=5.0):
        """SIGTERM (and SIGCONT, in case it was paused), then SIGKILL after timeout."""
        if self.alive():
            self._killpg(signal.SIGTERM)
            self._killpg(signal.SIGCONT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self._killpg(signal.SIGKILL)  # stragglers in the group, or the daemon itself
        self._reap(5)

    def wait(self, timeout=None):
        return self.popen.wait(timeout)

    def _reap(self, timeout):
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{self.name} (pid {self.pid}) survived SIGKILL") from exc
        finally:
            if not self._log.closed and self.popen.poll() is not None:
                self._log.close()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=40):
        return tail(self.log_path, lines)

    def still_running(self):
        """True if the kernel still has this very process (not a reused pid, not a zombie)."""
        self.popen.poll()
        start, state = _proc_starttime(self.pid)
        return start is not None and start == self.starttime and state != "Z"


def leftover_processes():
    """Harness-started processes that are still alive."""
    return [p for p in _REGISTRY if p.still_running()]


def wait_gone(procs, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(p.still_running() for p in procs):
        time.sleep(0.05)
    return [p for p in procs if p.still_running()]
