"""Small helpers shared by the lab modules: retries, commands, addresses."""
import ipaddress
import subprocess
import time


class LabError(RuntimeError):
    """A lab operation failed (command error, daemon did not come up, ...)."""


class WaitTimeout(AssertionError):
    """wait_until gave up; the message shows the last value seen."""


def wait_until(fn, timeout=10.0, what=None, interval=0.1, expect=None):
    """Call fn() until it returns a truthy value (or == expect when given).

    Like FRR topotests' run_and_expect: retries, and on timeout raises
    WaitTimeout naming what was awaited and the last value (or exception)
    fn produced, so a failing test says *what* it saw. Returns the final
    value. Exceptions raised by fn count as "not yet" while retrying.
    """
    what = what or getattr(fn, "__name__", "condition")
    deadline = time.monotonic() + timeout
    last, last_exc = None, None
    while True:
        try:
            last = fn()
            last_exc = None
            if (last == expect) if expect is not None else bool(last):
                return last
        except Exception as exc:  # noqa: BLE001 - reported below
            last_exc = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if last_exc is not None:
        seen = f"last attempt raised {type(last_exc).__name__}: {last_exc}"
    else:
        seen = f"last value: {last!r}"
    want = f" (expected {expect!r})" if expect is not None else ""
    raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}{want}; {seen}")


def run(argv, check=True, timeout=30, input=None):
    """Run a command, capture text output; raise LabError with stderr on failure."""
    try:
        cp = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                            timeout=timeout, input=input)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{' '.join(map(str, argv))}: timed out after {timeout}s") from exc
    if check and cp.returncode != 0:
        raise LabError(f"{' '.join(map(str, argv))}: exit {cp.returncode}: "
                       f"{(cp.stderr or cp.stdout).strip()}")
    return cp


def ip_of(addr):
    """'192.0.2.1/31' -> '192.0.2.1' (accepts bare addresses too)."""
    return str(ipaddress.ip_interface(addr).ip)


def family_of(addr):
    """'ipv4' or 'ipv6' for an address or prefix string."""
    return "ipv6" if ipaddress.ip_interface(addr).version == 6 else "ipv4"


def tail(path, lines=40):
    """Last lines of a text file ('' if missing), for failure reports."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
