"""The project's own daemon in a lab node: fbfd with a generated config, fbfctl.

    agent = Fbfd(host, local_as=65001, router_id="192.0.2.1",
                 neighbors=[{"name": "router", "address": "192.0.2.0",
                             "remote_as": 65000, "bfd": True}],
                 services=[{"name": "web", "prefixes": ["203.0.113.10/32"],
                            "check": {"type": "tcp", "target": "203.0.113.10:80"}}])
    agent.start()
    agent.fbfctl("show", "status")          # parsed JSON (fbfctl --json)
    agent.fbfctl("reload", json=False)      # text

Binaries: $FBF_BUILD_DIR/agent/{fbfd,fbfctl} (default <repo>/build). Command
lines per the CLI contract (docs/man/fbfd.8, fbfctl.8), configuration keys per
fbf.toml(5).
"""
import json as jsonlib
import os
import re
import signal
from pathlib import Path

from . import sanitizer
from .util import LabError, run, wait_until


def parse_metric_samples(text):
    """Prometheus text -> {(name, ((label, value), ...) sorted): value}. The
    strict grammar check of the format is tests/system/promtext.py; the lab
    only looks values up."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$', line)
        if m:
            labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
            out[(m.group(1), labels)] = float(m.group(3))
    return out

REPO = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("FBF_BUILD_DIR") or REPO / "build")
FBFD = BUILD / "agent" / "fbfd"
FBFCTL = BUILD / "agent" / "fbfctl"

# fbfctl exit codes (CLI.md)
EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


class FbfctlError(LabError):
    def __init__(self, argv, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        super().__init__(f"{' '.join(map(str, argv))}: exit {returncode}: "
                         f"{(stderr or stdout).strip()}")


def missing_binaries():
    """Paths of fbfd/fbfctl that are not built yet (empty list if both exist)."""
    return [str(p) for p in (FBFD, FBFCTL) if not os.access(p, os.X_OK)]


# --- a small TOML writer (stdlib has tomllib for reading only) -------------------
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return jsonlib.dumps(v)           # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def _is_table(v):
    return isinstance(v, dict)


def _is_table_array(v):
    return isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v)


def _emit_table(lines, header, table, array=False, inline_keys=()):
    lines.append(f"[[{header}]]" if array else f"[{header}]")
    subtables = []
    for k, v in table.items():
        if v is None:
            continue
        if _is_table(v) and k not in inline_keys:
            subtables.append((k, v))
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in subtables:
        _emit_table(lines, f"{header}.{k}", v, inline_keys=inline_keys)
    lines.append("")


def to_toml(doc, inline_keys=("degraded",)):
    """dict -> TOML text. Dicts become [tables], lists of dicts [[arrays]];
    keys in inline_keys (e.g. service.degraded) are written as inline tables."""
    lines = []
    for k, v in doc.items():
        if v is None:
            continue
        if _is_table_array(v):
            for item in v:
                _emit_table(lines, k, item, array=True, inline_keys=inline_keys)
        elif _is_table(v):
            _emit_table(lines, k, v, inline_keys=inline_keys)
        else:
            lines.insert(0, f"{k} = {_toml_value(v)}")
    return "\n".join(lines)


def _neighbor_dict(n):
    """Accept a dict, or a peers.base.Neighbor (converted to CONFIG.md keys)."""
    if isinstance(n, dict):
        return dict(n)
    d = {"name": n.name or n.label("n"), "address": n.address, "remote_as": n.remote_as,
         "local_address": n.local_address, "password": n.password,
         "multihop": n.multihop, "hold_time": f"{n.hold_time}s", "passive": n.passive or None}
    if n.families:
        d["families"] = [f"{f}-unicast" for f in n.families]
    if n.bfd:
        d["bfd"] = {"min_tx": f"{n.bfd.min_tx}ms", "min_rx": f"{n.bfd.min_rx}ms",
                    "multiplier": n.bfd.multiplier}
    return {k: v for k, v in d.items() if v is not None}


class Fbfd:
    """fbfd running in a lab node, with its config, socket, state and log in
    the node's directory. Extra top-level tables (bfd, maintenance, bfd_peer)
    and per-key overrides of [agent] come in as keyword arguments."""

    _metrics_ports = {}

    def __init__(self, node, *, local_as, router_id=None, neighbors=(), services=(),
                 bfd=None, maintenance=None, bfd_peers=(), log_level="debug",
                 metrics=True, agent=None, name="fbfd"):
        self.node, self.lab, self.name = node, node.lab, name
        self.dir = node.path(name)
        (self.dir / "run").mkdir(parents=True, exist_ok=True)
        (self.dir / "state").mkdir(exist_ok=True)
        self.conf = self.dir / "fbf.toml"
        self.log = self.dir / "fbfd.log"
        self.sock = self.dir / "run" / "fbfd.sock"
        port = Fbfd._metrics_ports.get(node.ns, 9473) + 1
        Fbfd._metrics_ports[node.ns] = port
        self.metrics_port = port if metrics else None
        self.doc = {
            "agent": {"local_as": local_as, "router_id": router_id,
                      "control_socket": str(self.sock), "state_dir": str(self.dir / "state"),
                      "metrics_listen": f"127.0.0.1:{port}" if metrics else "",
                      "log_level": log_level, **(agent or {})},
            "bfd": bfd,
            "neighbor": [_neighbor_dict(n) for n in neighbors] or None,
            "bfd_peer": list(bfd_peers) or None,
            "service": [dict(s) for s in services] or None,
            "maintenance": maintenance,
        }
        self.proc = None
        self.lab.peers.append(self)

    def __repr__(self):
        return f"<Fbfd {self.name} in {self.node.ns}>"

    # --- config ------------------------------------------------------------------
    def config_text(self):
        return to_toml(self.doc)

    def write_config(self):
        self.conf.write_text(self.config_text())
        return self.conf

    def check_config(self):
        """`fbfd --check-config`: (ok, output)."""
        self._require()
        cp = run([FBFD, "--check-config", "-c", self.write_config()], check=False)
        found = sanitizer.report(cp.stderr)
        if found:
            raise LabError(f"fbfd --check-config: sanitizer report:\n{found}")
        return cp.returncode == 0, (cp.stdout + cp.stderr).strip()

    # --- lifecycle -----------------------------------------------------------------
    @staticmethod
    def _require():
        missing = missing_binaries()
        if missing:
            raise LabError(f"not built: {', '.join(missing)} (build with cmake, "
                           "or set FBF_BUILD_DIR)")

    def start(self, timeout=10):
        """Write the config, start `fbfd -c FILE --foreground` in the node and wait
        until `fbfctl show status` answers."""
        self._require()
        self.write_config()
        self.proc = self.node.popen([FBFD, "-c", self.conf, "--foreground"],
                                    name=self.name, log=self.log)

        def probe():
            if not self.proc.alive():
                return "exited"
            return self.fbfctl("show", "status", check=False, json=False).returncode == 0

        try:
            res = wait_until(probe, timeout, f"{self!r} to answer fbfctl on {self.sock}")
        except AssertionError as exc:
            raise LabError(f"{exc}\n--- {self.log}:\n{self.proc.log_tail(30)}") from None
        if res == "exited":
            raise LabError(f"fbfd exited with {self.proc.returncode}:\n{self.proc.log_tail(30)}")
        return self

    def stop(self, timeout=5.0):
        """SIGTERM (graceful: withdraw, Cease, BFD AdminDown), SIGKILL after timeout.
        Returns the exit status (None if it never ran)."""
        if self.proc is None:
            return None
        self.proc.stop(timeout)
        self.check_sanitizer()
        return self.proc.returncode

    def check_sanitizer(self):
        """Raise LabError if fbfd's log holds a sanitizer report (FBF_SANITIZE
        builds; scripts/sanitize). Called by stop(), so by every lab's close()."""
        found = sanitizer.report(self.log_text())
        if found:
            raise LabError(f"{self!r}: sanitizer report in {self.log}:\n{found}")

    def kill(self):
        if self.proc:
            self.proc.kill()

    def pause(self):
        self.proc.pause()

    def resume(self):
        self.proc.resume()

    def reload(self, rewrite=True):
        """Rewrite the config (from self.doc) and send SIGHUP."""
        if rewrite:
            self.write_config()
        self.proc.signal(signal.SIGHUP)

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def log_text(self):
        return self.proc.log_text() if self.proc else ""

    def log_files(self):
        return [self.log]

    # --- fbfctl ----------------------------------------------------------------------
    def fbfctl(self, *args, json=True, check=True, timeout=15):
        """Run `fbfctl -s SOCK [--json] ARGS...`.

        json=True: returns the parsed JSON document (raises FbfctlError on a
        non-zero exit when check). json=False: returns the CompletedProcess.
        """
        argv = [FBFCTL, "-s", self.sock] + (["--json"] if json else []) + [str(a) for a in args]
        cp = run(argv, check=False, timeout=timeout)
        found = sanitizer.report(cp.stderr)
        if found:
            raise LabError(f"{' '.join(map(str, argv))}: sanitizer report:\n{found}")
        if check and cp.returncode != 0:
            raise FbfctlError(argv, cp.returncode, cp.stdout, cp.stderr)
        if not json:
            return cp
        if cp.returncode != 0:
            return None
        try:
            return jsonlib.loads(cp.stdout)
        except ValueError as exc:
            raise LabError(f"fbfctl --json {' '.join(args)}: not JSON: {cp.stdout!r}") from exc

    def status(self):
        return self.fbfctl("show", "status")

    def metrics(self):
        """The Prometheus text from metrics_listen (fetched inside the namespace)."""
        if not self.metrics_port:
            raise LabError("metrics disabled")
        cp = self.node.run(["curl", "-sf", "--max-time", "5",
                            f"http://127.0.0.1:{self.metrics_port}/metrics"], check=False)
        if cp.returncode != 0:
            raise LabError(f"GET /metrics failed (curl exit {cp.returncode})")
        return cp.stdout

    def metric_samples(self):
        """{(name, ((label, value), ...) sorted): value} of every sample."""
        return parse_metric_samples(self.metrics())
