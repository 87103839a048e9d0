"""What bench/bgp_fulltable/run.py and tests/lab/test_fulltable.py share:
the bgp_blaster sender in a lab node, fbfd's control socket kept open for
cheap polling, and /proc readings (peak RSS, CPU time) of a receiver.

Times are time.monotonic() seconds, the clock bgp_blaster reports in
(CLOCK_MONOTONIC is not per network namespace).
"""
import json
import os
import signal
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from fbflab.fbfd import BUILD  # noqa: E402
from fbflab.procfs import cpu_seconds, proc_status  # noqa: E402,F401  (re-exported)
from fbflab.util import LabError, wait_until  # noqa: E402

BLASTER = BUILD / "bench" / "bgp_blaster" / "bgp_blaster"
GEN_AS = 65010      # the sender
RECEIVER_AS = 65001
HOLD_TIME = 3       # seconds, on both sides: keepalives every second

# name -> (family, prefixes), as bench/bgp_blaster/shapes.cpp encodes them
SHAPES = {
    "packed": ("ipv4", 1_000_000),
    "realistic": ("ipv4", 1_000_000),
    "ipv6": ("ipv6", 200_000),
}


def blaster_missing():
    return None if os.access(BLASTER, os.X_OK) else str(BLASTER)


# --- /proc -------------------------------------------------------------------------
def mib(kib):
    return kib / 1024.0


# --- the sender ------------------------------------------------------------------------
class Blaster:
    """bgp_blaster in a lab node. BGP mode keeps the session up until
    finish() (SIGTERM: Cease, then the report); raw mode (into a sink)
    ends by itself."""

    def __init__(self, node, *, connect, next_hop, shape, prefixes=None, hold=HOLD_TIME,
                 raw=False, port=None, enforce_hold=False, name="blaster"):
        if blaster_missing():
            raise LabError(f"not built: {BLASTER} (cmake --build BUILD --target bgp_blaster)")
        self.node, self.name = node, name
        self.report_path = node.path(f"{name}.json")
        argv = [BLASTER, "send", "--connect", connect, "--next-hop", next_hop,
                "--shape", shape, "--hold", hold, "--local-as", GEN_AS,
                "--report", self.report_path]
        if prefixes:
            argv += ["--prefixes", prefixes]
        if raw:
            argv.append("--raw")
        if port:
            argv += ["--port", port]
        if enforce_hold:
            argv.append("--enforce-hold")
        self.proc = node.popen(argv, name=name, log=node.path(f"{name}.log"))

    def report(self):
        try:
            return json.loads(Path(self.report_path).read_text())
        except (OSError, ValueError):
            return None

    def finish(self, timeout=10):
        """End the session (SIGTERM -> Cease) and return the report."""
        if self.proc.alive():
            self.proc.signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout=60):
        wait_until(lambda: not self.proc.alive(), timeout, f"{self.name} to exit", interval=0.02)
        rep = self.report()
        if rep is None:
            raise LabError(f"{self.name} wrote no report:\n{self.proc.log_tail(20)}")
        return rep


class Sink:
    """`bgp_blaster sink`: takes one connection, reads it to EOF."""

    def __init__(self, node, *, listen, port, name="sink"):
        self.report_path = node.path(f"{name}.json")
        self.proc = node.popen([BLASTER, "sink", "--listen", listen, "--port", port,
                                "--report", self.report_path],
                               name=name, log=node.path(f"{name}.log"))

    def wait_listening(self, node, port, timeout=10):
        wait_until(lambda: f":{port} " in node.run(["ss", "-Htln"]).stdout, timeout,
                   f"sink listening on port {port}", interval=0.02)

    def wait(self, timeout=60):
        wait_until(lambda: not self.proc.alive(), timeout, "sink to exit", interval=0.02)
        return json.loads(Path(self.report_path).read_text())


# --- fbfd ------------------------------------------------------------------------------
class FbfdControl:
    """One open connection to fbfd's control socket (newline-delimited JSON,
    docs/control-protocol.md): a poll costs a round trip, not a process."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")
        self.next_id = 0

    def call(self, command):
        self.next_id += 1
        req = json.dumps({"command": command, "id": self.next_id}) + "\n"
        self.sock.sendall(req.encode())
        reply = json.loads(self.file.readline())
        if not reply.get("ok"):
            raise LabError(f"fbfd {command}: {reply.get('error')}")
        return reply["result"]

    def neighbor(self, name):
        for n in self.call("show bgp")["neighbors"]:
            if n["name"] == name:
                return n
        raise LabError(f"fbfd has no neighbor {name}")

    def close(self):
        self.file.close()
        self.sock.close()
