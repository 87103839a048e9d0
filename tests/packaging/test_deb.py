"""The Debian package: scripts/build-deb builds it, lintian accepts it, it
installs, its unit passes `systemd-analyze verify` and runs fbfd as its
user with its capabilities, its configuration checks, its completion knows
fbfctl's commands and options, and `dpkg --purge` leaves the machine as it
was.

The tests run in file order against one installation (module fixture
`installed`); the last one purges. The package keeps the _fbf system user on
purge, as Debian keeps system users (a later user given the same uid would
own the files _fbf left anywhere); the test checks that, then deletes the
user itself when the installation created it, so the machine ends as it was.
"""
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib

import pytest

from pkgtest import REPO, built_deb, changelog_version, machine_lock, run  # noqa: F401 (fixtures)

UNIT = pathlib.Path("/lib/systemd/system/fbf.service")
CONFIG = pathlib.Path("/etc/fbf/fbf.toml")
COMPLETION = pathlib.Path("/usr/share/bash-completion/completions/fbfctl")
OVERRIDES = REPO / "packaging" / "debian" / "fbf.lintian-overrides"
# Looked at before install and after purge: every path below them.
SNAPSHOT_ROOTS = ["/etc", "/usr", "/lib/systemd", "/var/lib/systemd", "/var/lib/fbf", "/run/fbf"]
# Rewritten in place by systemd-sysusers and userdel; compared by content
# elsewhere (the user itself).
USER_DB = {f"/etc/{name}{suffix}" for name in ("passwd", "group", "shadow", "gshadow")
           for suffix in ("", "-")} | {"/etc/.pwd.lock"}


def snapshot():
    paths = set()
    for root in SNAPSHOT_ROOTS:
        if not os.path.lexists(root):
            continue
        paths.add(root)
        for top, dirs, files in os.walk(root):
            for name in dirs + files:
                paths.add(os.path.join(top, name))
    return paths - USER_DB


def user_exists(name):
    return run(["getent", "passwd", name], check=False).returncode == 0


def group_exists(name):
    return run(["getent", "group", name], check=False).returncode == 0


def package_installed(name):
    p = run(["dpkg-query", "-W", "-f", "${Status}", name], check=False)
    return p.returncode == 0 and p.stdout.strip() == "install ok installed"


def package_known(name):
    """Installed, half-installed, or removed with its configuration left."""
    p = run(["dpkg-query", "-W", "-f", "${Status}", name], check=False)
    return p.returncode == 0 and not p.stdout.strip().endswith("not-installed")


def dpkg(*args):
    """dpkg, waiting while another dpkg or apt holds its lock."""
    deadline = time.monotonic() + 300
    while True:
        p = run(["dpkg", *args], check=False)
        if p.returncode == 0 or "lock" not in p.stderr or time.monotonic() > deadline:
            return p
        time.sleep(3)


def unit_settings(path):
    """[Service]/[Unit]/[Install] keys of a unit file; repeated keys keep
    every value in order."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def package_paths(deb):
    """Every path the package holds, as dpkg -L lists them."""
    names = run(["dpkg-deb", "--contents", deb]).stdout.splitlines()
    # "-rw-r--r-- root/root 7309 2026-11-22 03:30 ./etc/fbf/fbf.toml"
    return {os.path.normpath("/" + line.split(None, 5)[5].split(" -> ")[0]) for line in names}


class Installation:
    def __init__(self, deb):
        self.deb = deb
        self.user_existed = user_exists("_fbf")
        self.group_existed = group_exists("_fbf")
        self.statoverrides = run(["dpkg-statoverride", "--list"]).stdout
        self.before = snapshot()
        # What the package holds that was there before (/, /usr, ...).
        self.existed = {p for p in package_paths(deb) if os.path.lexists(p)}


@pytest.fixture(scope="module")
def installed(built_deb):
    if package_known("fbf"):
        # A run that died half-way left it behind: start from scratch.
        p = dpkg("--purge", "fbf")
        assert p.returncode == 0, p.stderr
    inst = Installation(built_deb.deb)
    p = dpkg("-i", str(built_deb.deb))
    assert p.returncode == 0, f"dpkg -i failed:\n{p.stdout}\n{p.stderr}"
    yield inst
    if package_known("fbf"):
        dpkg("--purge", "fbf")
    # The package keeps _fbf (Debian keeps system users); the test created
    # it, so the test removes it.
    if not inst.user_existed and user_exists("_fbf"):
        run(["userdel", "--force", "_fbf"], check=False)
    if not inst.group_existed and group_exists("_fbf"):
        run(["groupdel", "_fbf"], check=False)


# --- the build ------------------------------------------------------------------

def test_build_deb_produces_the_package(built_deb):
    deb = built_deb.deb
    assert deb.name == f"fbf_{changelog_version()}_{run(['dpkg', '--print-architecture']).stdout.strip()}.deb"
    fields = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"]).stdout
    assert "Package: fbf" in fields
    assert "libevent" in fields and "libnl-route-3-200" in fields, "shlibs:Depends missing"
    # The programs' relative relocations are packed (DT_RELR), which needs the
    # loader of glibc 2.36: the package says so (dpkg-shlibdeps cannot).
    with tempfile.TemporaryDirectory() as tree:
        run(["dpkg-deb", "-x", deb, tree])
        dynamic = run(["readelf", "-d", f"{tree}/usr/sbin/fbfd"]).stdout
    assert "(RELR)" in dynamic, dynamic
    assert "libc6 (>= 2.36)" in fields, fields
    contents = run(["dpkg-deb", "-c", deb]).stdout
    for path in ["./usr/sbin/fbfd", "./usr/sbin/fbfctl", "./etc/fbf/fbf.toml",
                 "./lib/systemd/system/fbf.service", "./usr/lib/sysusers.d/fbf.conf",
                 "./usr/share/bash-completion/completions/fbfctl",
                 "./usr/share/man/man8/fbfd.8.gz", "./usr/share/man/man8/fbfctl.8.gz",
                 "./usr/share/man/man5/fbf.toml.5.gz", "./usr/share/doc/fbf/copyright"]:
        assert re.search(rf"\s{re.escape(path)}$", contents, re.M), f"{path} not in the package"
    info = run(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split()
    assert info == ["/etc/fbf/fbf.toml"], info


def test_lintian_reports_no_errors_and_no_warnings(built_deb):
    p = run(["lintian", "--info", "--display-info", "--show-overrides", "--fail-on", "none",
             built_deb.changes], timeout=600)
    tags = [line for line in p.stdout.splitlines() if re.match(r"^[A-Z]: ", line)]
    bad = [t for t in tags if t.startswith(("E: ", "W: "))]
    assert not bad, "lintian:\n" + "\n".join(bad)
    unused = [t for t in tags if "unused-override" in t or "mismatched-override" in t]
    assert not unused, "overrides that match nothing:\n" + "\n".join(unused)


def test_every_lintian_override_is_justified():
    lines = OVERRIDES.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert i > 0 and lines[i - 1].startswith("#"), \
                f"{OVERRIDES.name}:{i + 1}: override without a comment above it: {line}"


# --- installed ------------------------------------------------------------------

def test_dpkg_installs_it(installed):
    assert package_installed("fbf")
    pw = run(["getent", "passwd", "_fbf"]).stdout.strip().split(":")
    assert int(pw[2]) < 1000, f"_fbf is not a system user: {pw}"
    assert pw[6] in ("/usr/sbin/nologin", "/sbin/nologin"), pw
    st = CONFIG.stat()
    assert (st.st_uid, oct(st.st_mode & 0o777)) == (0, "0o640")
    assert st.st_gid == int(run(["getent", "group", "_fbf"]).stdout.split(":")[2]), \
        "/etc/fbf/fbf.toml is not group _fbf: fbfd could not read it"
    assert os.path.islink("/etc/systemd/system/multi-user.target.wants/fbf.service"), \
        "the unit is not enabled"
    assert run(["/usr/sbin/fbfd", "--version"]).stdout.startswith(f"fbfd {changelog_version()} (")
    assert run(["/usr/sbin/fbfctl", "--version"]).stdout.startswith(f"fbfctl {changelog_version()}")


def test_systemd_analyze_verify_accepts_the_unit(installed):
    # Offline: needs no running systemd. Checks the syntax, that ExecStart is
    # there, and that the Documentation= man pages open.
    p = run(["systemd-analyze", "verify", UNIT], check=False)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        f"systemd-analyze verify:\n{p.stdout}{p.stderr}"
    # Exposure 0 (locked down) .. 100; 1.6 at the time of writing.
    p = run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", UNIT], check=False)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr


def test_unit_has_the_promised_settings(installed):
    s = unit_settings(UNIT)
    expect = {
        "Type": "notify",
        "ExecStart": "/usr/sbin/fbfd -c /etc/fbf/fbf.toml",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "User": "_fbf",
        "AmbientCapabilities": "CAP_NET_ADMIN CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet": "CAP_NET_ADMIN CAP_NET_BIND_SERVICE",
        "StateDirectory": "fbf",
        "RuntimeDirectory": "fbf",
        "ProtectSystem": "strict",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "NoNewPrivileges": "yes",
    }
    for key, value in expect.items():
        assert s.get(key) == [value], f"{key}={s.get(key)}, expected {value}"
    assert "WatchdogSec" in s
    assert "sysusers" in run(["dpkg", "-L", "fbf"]).stdout
    assert "_fbf" in pathlib.Path("/usr/lib/sysusers.d/fbf.conf").read_text()


def test_shipped_config_checks_and_announces_nothing(installed):
    p = run(["/usr/sbin/fbfd", "--check-config", "-c", CONFIG])
    assert p.stdout.strip() == f"{CONFIG}: OK"
    # Also with the unit's own command line (-c as in ExecStart).
    cfg = tomllib.loads(CONFIG.read_text())
    assert not cfg.get("neighbor") and not cfg.get("service") and not cfg.get("bfd_peer"), \
        "the shipped configuration must announce nothing until edited"


@pytest.fixture
def shared_tmp():
    """A temp dir _fbf can reach (pytest's tmp_path sits in a 0700 dir)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="fbf-packaging-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _notify_socket(tmp_path):
    path = tmp_path / "notify"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    os.chmod(path, 0o666)
    s.settimeout(10)
    return s, path


def _recv_until(sock, wanted):
    seen = []
    while True:
        msg = sock.recv(4096).decode()
        seen.append(msg)
        if wanted in msg.split("\n"):
            return seen


# What systemd does for the unit, as far as it can be done without systemd:
# its own network namespace (so nothing here collides with the host), a
# read-only root with /run/fbf and /var/lib/fbf writable and owned by User=
# (ProtectSystem=strict, RuntimeDirectory=, StateDirectory=), then ExecStart
# as User=/Group= with AmbientCapabilities= and CapabilityBoundingSet=,
# NoNewPrivileges=, NOTIFY_SOCKET and WATCHDOG_USEC. Not emulated: the
# seccomp filter and the other namespaces.
SANDBOX = r"""
set -e
ip link set lo up
mount --make-rprivate /
if [ -n "$FBF_TEST_CONFIG" ]; then mount --bind "$FBF_TEST_CONFIG" /etc/fbf/fbf.toml; fi
mount -o remount,bind,ro /
for d in /run /var/lib; do mount -t tmpfs -o mode=0755 tmpfs "$d"; done
install -d -o "$FBF_USER" -g "$FBF_GROUP" -m 0750 /run/fbf /var/lib/fbf
exec setpriv --reuid="$FBF_USER" --regid="$FBF_GROUP" --init-groups \
  --inh-caps=-all,"$FBF_CAPS" --ambient-caps=-all,"$FBF_CAPS" \
  --bounding-set=-all,"$FBF_CAPS" --no-new-privs "$@"
"""


def start_like_the_unit(tmp_path, notify_path, config=None):
    s = unit_settings(UNIT)
    caps = ",".join("+" + c.lower().removeprefix("cap_")
                    for c in s["AmbientCapabilities"][0].split())
    watchdog_s = int(s["WatchdogSec"][0].rstrip("s"))
    env = dict(os.environ, NOTIFY_SOCKET=str(notify_path),
               WATCHDOG_USEC=str(watchdog_s * 1_000_000),
               FBF_USER=s["User"][0], FBF_GROUP=s["Group"][0], FBF_CAPS=caps,
               FBF_TEST_CONFIG=str(config or ""))
    log = open(tmp_path / "fbfd.log", "w")
    proc = subprocess.Popen(["unshare", "--mount", "--net", "sh", "-c", SANDBOX, "sh",
                             *s["ExecStart"][0].split()], env=env, stdout=log, stderr=log)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def test_unit_runs_fbfd_as_its_user_with_its_capabilities(installed, shared_tmp):
    tmp_path = shared_tmp
    notify, notify_path = _notify_socket(tmp_path)
    proc = start_like_the_unit(tmp_path, notify_path)
    try:
        assert "READY=1" in "\n".join(_recv_until(notify, "READY=1"))
        # Pinged at half WatchdogSec; one ping right after READY.
        _recv_until(notify, "WATCHDOG=1")
        status = pathlib.Path(f"/proc/{proc.pid}/status").read_text()
        uid = int(run(["id", "-u", "_fbf"]).stdout)
        assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.M), status
        # CAP_NET_ADMIN (12) and CAP_NET_BIND_SERVICE (10), nothing else.
        assert re.search(r"^CapEff:\s+0*1400$", status, re.M), status
        sock = f"/proc/{proc.pid}/root/run/fbf/fbfd.sock"
        st = os.stat(sock)
        assert (st.st_uid, oct(st.st_mode & 0o777)) == (uid, "0o660")
        out = run(["fbfctl", "--socket", sock, "show", "status"]).stdout
        assert "config file    /etc/fbf/fbf.toml" in out, out
        # ExecReload=: SIGHUP re-reads the file (RELOADING=1 .. READY=1).
        proc.send_signal(signal.SIGHUP)
        seen = _recv_until(notify, "READY=1")
        assert any("RELOADING=1" in m for m in seen), seen
        proc.send_signal(signal.SIGTERM)
        _recv_until(notify, "STOPPING=1")
        assert proc.wait(10) == 0
    finally:
        stop(proc)
        notify.close()
    log = (tmp_path / "fbfd.log").read_text()
    assert not re.search(r"^\S+ (error|critical) ", log, re.M), log


def test_unit_capabilities_suffice_for_service_addresses(installed, shared_tmp):
    """CAP_NET_ADMIN as the unit grants it: fbfd (as _fbf) puts a service's
    address on the loopback (this machine's kernel has no dummy links), and
    completion finds the service."""
    tmp_path = shared_tmp
    config = tmp_path / "fbf.toml"
    config.write_text('[agent]\nlocal_as = 65500\nrouter_id = "192.0.2.111"\n'
                      'metrics_listen = ""\n\n[[service]]\nname = "web"\n'
                      'prefixes = ["192.0.2.80/32"]\ninterface = "lo"\n')
    config.chmod(0o644)
    notify, notify_path = _notify_socket(tmp_path)
    proc = start_like_the_unit(tmp_path, notify_path, config=config)
    try:
        _recv_until(notify, "READY=1")
        deadline = time.monotonic() + 5
        while True:
            addrs = run(["nsenter", "-t", str(proc.pid), "-n", "ip", "-4", "-o", "addr", "show",
                         "dev", "lo"], check=False).stdout
            if "192.0.2.80/32" in addrs or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert "192.0.2.80/32" in addrs, (addrs, (tmp_path / "fbfd.log").read_text())
        sock = f"/proc/{proc.pid}/root/run/fbf/fbfd.sock"
        assert complete(["fbfctl", "--socket", sock, "maintenance", "start", ""]) == ["web"]
        assert stop(proc) == 0
    finally:
        stop(proc)
        notify.close()


# --- bash completion ----------------------------------------------------------------

def complete(words):
    """COMPREPLY of the installed completion for the command line `words`,
    the cursor on the last word."""
    script = (f"source {COMPLETION}\n"
              'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))\n'
              "_fbfctl\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    p = run(["bash", "--norc", "--noprofile", "-c", script, "bash", *words])
    return [w for w in p.stdout.splitlines() if w]


def help_options(*args):
    """The long options `fbfctl ARGS --help` lists."""
    out = run(["/usr/sbin/fbfctl", *args, "--help"]).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", out))


def test_completion_offers_the_commands(installed):
    assert COMPLETION.is_file()
    assert complete(["fbfctl", ""]) == ["show", "maintenance", "reload"]
    assert sorted(complete(["fbfctl", "show", ""])) == \
        sorted(["status", "bfd", "bgp", "services", "routes"])
    assert sorted(complete(["fbfctl", "--json", "maintenance", ""])) == \
        sorted(["start", "stop", "status"])
    assert complete(["fbfctl", "re"]) == ["reload"]
    assert complete(["fbfctl", "maintenance", "start", "--drain-time", ""])
    # Not reachable: no service names, and no error.
    assert complete(["fbfctl", "-s", "/nonexistent.sock", "maintenance", "stop", ""]) == []


def test_completion_offers_every_option_fbfctl_has(installed):
    """Compared with fbfctl's own --help, so an option added to
    agent/fbfctl_main.cpp and not to the completion fails here."""
    cases = [([], ["fbfctl", "--"]),
             (["show", "bgp"], ["fbfctl", "show", "bgp", "--"]),
             (["reload"], ["fbfctl", "reload", "--"]),
             (["maintenance", "start"], ["fbfctl", "maintenance", "start", "--"]),
             (["maintenance", "stop"], ["fbfctl", "maintenance", "stop", "--"]),
             (["maintenance", "status"], ["fbfctl", "maintenance", "status", "--"])]
    for args, words in cases:
        want = help_options(*args)
        got = set(complete(words))
        assert want <= got, f"fbfctl {' '.join(args)}: completion lacks {sorted(want - got)}"
    assert set(complete(["fbfctl", "-"])) >= {"-s", "-h"}


# --- purge -----------------------------------------------------------------------------

def test_dpkg_purge_removes_everything(installed):
    listed = run(["dpkg", "-L", "fbf"]).stdout.splitlines()
    # What fbfd writes at run time (StateDirectory=), unknown to dpkg.
    state = pathlib.Path("/var/lib/fbf")
    state.mkdir(exist_ok=True)
    (state / "maintenance.json").write_text("{}\n")
    p = dpkg("--purge", "fbf")
    assert p.returncode == 0, p.stdout + p.stderr
    assert not package_known("fbf")

    assert {os.path.normpath(x) for x in listed} >= package_paths(installed.deb)
    left = [path for path in map(os.path.normpath, listed)
            if os.path.lexists(path) and path not in installed.existed]
    assert not left, f"left behind after purge: {left}"
    assert not os.path.lexists("/etc/fbf")
    assert not os.path.lexists("/var/lib/fbf")
    after = snapshot()
    assert after - installed.before == set(), f"new after purge: {sorted(after - installed.before)}"
    assert installed.before - after == set(), f"gone after purge: {sorted(installed.before - after)}"
    assert run(["dpkg-statoverride", "--list"]).stdout == installed.statoverrides
    # Debian keeps system users on purge; the fixture removes it afterwards.
    assert user_exists("_fbf")
