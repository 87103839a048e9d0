"""Throw-away topologies: network namespaces joined by veth pairs.

    with Lab() as lab:
        r = lab.add_node("r", router=True)
        h = lab.add_node("h")
        link = lab.add_link(r, h, a_addrs=["192.0.2.0/31", "2001:db8::/127"],
                            b_addrs=["192.0.2.1/31", "2001:db8::1/127"])
        h.run(["ip", "route"])

Namespaces are named fbf<run><lab>-<node>: <run> is four hex digits chosen
per interpreter (RUN_PREFIX = "fbf<run>"), <lab> counts labs, so parallel runs
and several labs in one run never collide. Everything a lab creates
(namespaces, processes, its temporary directory) is removed by close(), which
runs on leaving the `with` block, at interpreter exit (atexit) and on
SIGINT/SIGTERM/SIGHUP.
"""
import atexit
import ipaddress
import os
import re
import secrets
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from .process import Process, _proc_starttime, leftover_processes
from .util import LabError, family_of, ip_of, run, wait_until


def _existing_namespaces():
    try:
        cp = run(["ip", "netns", "list"], check=False)
    except OSError:          # no iproute2: nothing of ours can exist either
        return []
    return [line.split()[0] for line in cp.stdout.splitlines() if line.strip()]


def _pick_run_prefix():
    taken = _existing_namespaces()
    for _ in range(100):
        prefix = "fbf" + secrets.token_hex(2)
        if not any(ns.startswith(prefix) for ns in taken):
            return prefix
    raise LabError("cannot find an unused namespace prefix")


RUN_PREFIX = _pick_run_prefix()
_NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,9}$")
_IFNAME_MAX = 15

_labs = []               # labs not yet closed
_netns_ids = set()       # (st_dev, st_ino) of every namespace created in this run
_lab_counter = 0
_handlers_installed = False
_BLOCK = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class Node:
    """One network namespace. run()/popen() execute inside it."""

    def __init__(self, lab, name, router):
        self.lab = lab
        self.name = name
        self.ns = f"{lab.id}-{name}"
        self.router = router
        self.dir = lab.dir / name
        self.interfaces = {}     # ifname -> [address/prefixlen, ...]

    def __repr__(self):
        return f"<Node {self.name} ns={self.ns}>"

    def run(self, argv, check=True, timeout=30, input=None):
        """Run argv inside the namespace; returns CompletedProcess (text)."""
        return run(["ip", "netns", "exec", self.ns] + list(argv), check=check,
                   timeout=timeout, input=input)

    def popen(self, argv, name=None, log=None, env=None, cwd=None):
        """Start a long-running program in the namespace (tracked, stopped on close)."""
        name = name or Path(str(argv[0])).name
        log = log or self.dir / f"{name}.log"
        proc = Process(argv, name=f"{self.name}/{name}", log_path=log, ns=self.ns,
                       env=env, cwd=cwd)
        self.lab.processes.append(proc)
        return proc

    def path(self, *parts):
        """A path in this node's private directory of the lab dir."""
        return self.dir.joinpath(*parts)

    def sysctl(self, key, value):
        self.run(["sysctl", "-q", "-w", f"{key}={value}"])

    def add_address(self, addr, dev="lo"):
        """Add an address (with prefix length; /32 or /128 if none) to dev."""
        iface = ipaddress.ip_interface(addr)
        argv = ["ip", "addr", "add", str(iface), "dev", dev]
        if iface.version == 6:
            argv.append("nodad")
        self.run(argv)
        self.interfaces.setdefault(dev, []).append(str(iface))

    def del_address(self, addr, dev="lo"):
        iface = ipaddress.ip_interface(addr)
        self.run(["ip", "addr", "del", str(iface), "dev", dev])
        if str(iface) in self.interfaces.get(dev, []):
            self.interfaces[dev].remove(str(iface))

    def add_route(self, prefix, via=None, dev=None):
        argv = ["ip", "-6" if family_of(prefix) == "ipv6" else "-4", "route", "add", prefix]
        if via:
            argv += ["via", ip_of(via)]
        if dev:
            argv += ["dev", dev]
        self.run(argv)

    def addresses(self, family=None, dev=None):
        """Configured addresses (as 'addr/len'), optionally one family/interface."""
        out = []
        for ifname, addrs in self.interfaces.items():
            if dev is None or dev == ifname:
                out += [a for a in addrs if family is None or family_of(a) == family]
        return out

    def pids(self):
        """Every process inside the namespace (ours or escaped children)."""
        cp = run(["ip", "netns", "pids", self.ns], check=False)
        return [int(p) for p in cp.stdout.split()]


class Link:
    """A veth pair: a.ifname_a <-> b.ifname_b, each end with its addresses."""

    def __init__(self, a, b, ifname_a, ifname_b, addrs_a, addrs_b):
        self.a, self.b = a, b
        self.ifname_a, self.ifname_b = ifname_a, ifname_b
        self.addrs_a, self.addrs_b = list(addrs_a), list(addrs_b)

    def __repr__(self):
        return f"<Link {self.a.name}:{self.ifname_a} <-> {self.b.name}:{self.ifname_b}>"

    def _pick(self, addrs, family):
        for a in addrs:
            if family_of(a) == family:
                return ip_of(a)
        raise LabError(f"{self!r} has no {family} address")

    def ip_a(self, family="ipv4"):
        """Address (without length) of the a end."""
        return self._pick(self.addrs_a, family)

    def ip_b(self, family="ipv4"):
        return self._pick(self.addrs_b, family)

    def ip_of(self, node, family="ipv4"):
        """Address of node's end of this link."""
        return self.ip_a(family) if node is self.a else self.ip_b(family)

    def ifname_of(self, node):
        return self.ifname_a if node is self.a else self.ifname_b

    def set_up(self, up=True, side="both"):
        """Bring one or both ends down/up (a cable pull, as far as BFD can tell)."""
        for node, ifname, s in ((self.a, self.ifname_a, "a"), (self.b, self.ifname_b, "b")):
            if side in ("both", s):
                node.run(["ip", "link", "set", ifname, "up" if up else "down"])


class Lab:
    """A set of namespaces, links and processes with one owner and one cleanup."""

    def __init__(self, name="lab", base_dir=None, keep_dir=None):
        global _lab_counter
        _install_handlers()
        _lab_counter += 1
        self.id = f"{RUN_PREFIX}{_lab_counter}"
        self.name = name
        self.keep_dir = (os.environ.get("FBF_LAB_KEEP", "") not in ("", "0")
                         if keep_dir is None else keep_dir)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.id}-", dir=base_dir))
        os.chmod(self.dir, 0o755)
        # Who owns this lab, for `python3 -m fbflab.cleanup` after a SIGKILL.
        (self.dir / "owner").write_text(f"{os.getpid()} {_proc_starttime(os.getpid())[0]}\n")
        self.nodes = {}
        self.links = []
        self.processes = []
        self.peers = []          # objects with .stop(); stopped before processes
        self.closed = False
        self._ifcount = 0
        _labs.append(self)

    def __repr__(self):
        return f"<Lab {self.id} dir={self.dir} nodes={list(self.nodes)}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- building -------------------------------------------------------------
    def add_node(self, name, router=False):
        """Create namespace fbf<run><lab>-<name>: lo up, no DAD, forwarding if router."""
        if not _NAME_RE.match(name):
            raise LabError(f"node name {name!r}: use 1-10 lower-case letters/digits")
        if name in self.nodes:
            raise LabError(f"node {name!r} exists")
        node = Node(self, name, router)
        node.dir.mkdir(parents=True)
        run(["ip", "netns", "add", node.ns])
        self.nodes[name] = node
        st = os.stat(f"/run/netns/{node.ns}")
        _netns_ids.add((st.st_dev, st.st_ino))
        node.run(["ip", "link", "set", "lo", "up"])
        node.sysctl("net.ipv6.conf.all.accept_dad", 0)
        node.sysctl("net.ipv6.conf.default.accept_dad", 0)
        if router:
            node.sysctl("net.ipv4.ip_forward", 1)
            node.sysctl("net.ipv6.conf.all.forwarding", 1)
        return node

    def node(self, name):
        return self.nodes[name]

    def add_link(self, a, b, a_addrs=None, b_addrs=None, a_ifname=None, b_ifname=None,
                 mtu=None):
        """Join nodes a and b with a veth pair and bring both ends up.

        Addresses default to the next free 192.0.2.N/31 pair and
        2001:db8:0:N::1/64 / ::2/64. IPv6 addresses are added with nodad.
        """
        a, b = self._as_node(a), self._as_node(b)
        self._ifcount += 1
        n = self._ifcount
        a_ifname = a_ifname or f"to-{b.name}"[:_IFNAME_MAX]
        b_ifname = b_ifname or f"to-{a.name}"[:_IFNAME_MAX]
        for ifname in (a_ifname, b_ifname):
            if len(ifname) > _IFNAME_MAX:
                raise LabError(f"interface name {ifname!r} is longer than {_IFNAME_MAX}")
        if a_addrs is None and b_addrs is None:
            if n > 127:
                raise LabError("out of automatic link addresses")
            a_addrs = [f"192.0.2.{2 * (n - 1)}/31", f"2001:db8:0:{n:x}::1/64"]
            b_addrs = [f"192.0.2.{2 * (n - 1) + 1}/31", f"2001:db8:0:{n:x}::2/64"]
        a_addrs, b_addrs = list(a_addrs or []), list(b_addrs or [])
        # Created inside a's namespace with the peer end placed straight into
        # b's: the root namespace never sees either name.
        a.run(["ip", "link", "add", a_ifname, "type", "veth", "peer", "name", b_ifname,
               "netns", b.ns])
        link = Link(a, b, a_ifname, b_ifname, a_addrs, b_addrs)
        self.links.append(link)
        for node, ifname, addrs in ((a, a_ifname, a_addrs), (b, b_ifname, b_addrs)):
            node.interfaces.setdefault(ifname, [])
            if mtu:
                node.run(["ip", "link", "set", ifname, "mtu", str(mtu)])
            for addr in addrs:
                node.add_address(addr, dev=ifname)
            node.run(["ip", "link", "set", ifname, "up"])
        for node, ifname in ((a, a_ifname), (b, b_ifname)):
            wait_until(lambda: "LOWER_UP" in node.run(["ip", "-o", "link", "show", "dev",
                                                       ifname]).stdout,
                       5, f"{node.ns} {ifname} to have carrier", interval=0.02)
        return link

    def run(self, ns, argv, check=True, timeout=30):
        """Run argv in node/namespace ns (a Node or a node name)."""
        return self._as_node(ns).run(argv, check=check, timeout=timeout)

    def _as_node(self, n):
        return n if isinstance(n, Node) else self.nodes[n]

    def path(self, *parts):
        return self.dir.joinpath(*parts)

    # --- teardown -------------------------------------------------------------
    def close(self):
        """Stop peers and processes, delete namespaces, remove the lab directory.

        Idempotent, never raises for a missing piece; SIGINT/SIGTERM are held
        back while it runs so the cleanup itself is not interrupted. Raises
        LabError at the end if something could not be removed.
        """
        if self.closed:
            return
        main = threading.current_thread() is threading.main_thread()
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCK) if main else None
        problems = []
        try:
            for peer in reversed(self.peers):
                try:
                    peer.stop()
                except Exception as exc:  # noqa: BLE001 - keep cleaning
                    problems.append(f"stopping {peer!r}: {exc}")
            for proc in reversed(self.processes):
                try:
                    proc.stop(timeout=3)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"stopping {proc!r}: {exc}")
            mine = [ns for ns in _existing_namespaces() if ns.startswith(self.id + "-")]
            for ns in mine:
                for pid in run(["ip", "netns", "pids", ns], check=False).stdout.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                cp = run(["ip", "netns", "del", ns], check=False)
                if cp.returncode != 0:
                    problems.append(f"ip netns del {ns}: {cp.stderr.strip()}")
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.closed = True
            if self in _labs:
                _labs.remove(self)
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if problems:
            raise LabError("lab cleanup incomplete: " + "; ".join(problems))


# --- process-wide safety net ----------------------------------------------------
def close_all():
    """Close every lab still open (atexit and signal handlers call this)."""
    errors = []
    for lab in list(_labs):
        try:
            lab.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(str(exc))
    return errors


def _on_signal(signum, frame):
    close_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    # SIGTERM/SIGHUP: die of the signal as the caller expects, after cleaning up.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    atexit.register(close_all)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, _on_signal)
    _handlers_installed = True


def leftover_namespaces(prefix=RUN_PREFIX):
    """Namespaces of this run that still exist."""
    return [ns for ns in _existing_namespaces() if ns.startswith(prefix)]


def processes_in_our_namespaces():
    """pids of any process still living in a namespace this run created."""
    found = []
    if not _netns_ids:
        return found
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                st = os.stat(f"/proc/{entry}/ns/net")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in _netns_ids:
                found.append(int(entry))
    return found


def leftovers():
    """Everything this run created that still exists: {'namespaces', 'processes'}."""
    procs = [repr(p) for p in leftover_processes()]
    seen = {p.split(" pid ")[1].split()[0] for p in procs}
    for pid in processes_in_our_namespaces():
        if str(pid) not in seen:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            procs.append(f"<pid {pid} in a lab namespace: {cmd.strip()!r}>")
    return {"namespaces": leftover_namespaces(), "processes": procs}
