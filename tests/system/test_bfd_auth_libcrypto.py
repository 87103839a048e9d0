"""BFD authentication on a host without a loadable libcrypto.

fbfd loads libcrypto on first use (bfd/digest.cpp). Every BFD auth type needs
it — MD5/SHA1 for the digests, CRYPTO_memcmp and OPENSSL_cleanse for the
simple password too — so where it cannot be loaded a configuration asking for
BFD authentication is refused, at start and at reload, with FILE:LINE:COL of
its auth_type (agent/config_bfd.cpp): auth fails closed, never runs
unauthenticated.

Each fbfd here runs in its own mount and network namespaces (`unshare`): when
libcrypto is hidden, the file its soname resolves to is bind-mounted over by
/dev/null in that mount namespace only; the network namespace keeps the BFD
ports off the host's. The host is not touched. Needs root.
"""
import functools
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import FBFD, Agent, minimal_config, wait_until

AUTH_TYPES = ["simple", "keyed-md5", "meticulous-keyed-md5", "keyed-sha1",
              "meticulous-keyed-sha1"]
REFUSED = "needs libcrypto, which cannot be loaded: "

# Runs in the new namespaces: loopback up, each path before "--" hidden, then
# fbfd in the same process (its pid is the Popen's). 97: the setup failed.
SETUP = """
ip link set lo up || exit 97
while [ "$1" != -- ]; do mount --bind /dev/null "$1" || exit 97; shift; done
shift
exec "$@"
"""


@functools.cache
def libcrypto_soname():
    """The soname fbfd dlopens (FBF_LIBCRYPTO_SONAME, compiled into the binary)."""
    found = set(re.findall(rb"libcrypto\.so\.[0-9.]+", FBFD.read_bytes()))
    assert len(found) == 1, f"expected one libcrypto soname in {FBFD}, found {found}"
    return found.pop().decode()


@functools.cache
def libcrypto_files(soname):
    """The real files the dynamic loader's cache maps the soname to."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    files = {os.path.realpath(line.split(" => ")[1].strip())
             for line in out.splitlines() if line.strip().startswith(soname + " ")}
    assert files, f"{soname} is not in the loader cache (ldconfig -p)"
    return sorted(files)


@pytest.fixture
def jail():
    """argv prefix running fbfd in private namespaces, libcrypto hidden or not."""
    if not FBFD.exists():
        pytest.fail(f"{FBFD} not built (run scripts/test, or set FBF_BUILD_DIR)")
    if os.geteuid() != 0:
        pytest.skip("needs root: unshare --mount --net and a bind mount hide libcrypto")
    for tool in ("unshare", "mount", "ip", "ldconfig"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} not found")
    soname = libcrypto_soname()
    files = libcrypto_files(soname)

    def wrap(hide):
        return (["unshare", "--mount", "--net", "--propagation", "private", "--",
                 "sh", "-c", SETUP, "sh"] + (files if hide else []) + ["--"])
    wrap.soname = soname
    return wrap


def bfd_peer(auth_type=None):
    text = '\n[[bfd_peer]]\naddress = "127.0.0.2"\n'
    if auth_type:
        text += f'auth_type = "{auth_type}"\nauth_key = "sixteen-octets!!"\n'
    return text


def position(config_text, key):
    """FILE:LINE:COL as the config errors give it: the value of `key`."""
    for number, line in enumerate(config_text.splitlines(), 1):
        if line.startswith(key + " = "):
            return f"{number}:{len(key) + 4}"
    raise AssertionError(f"{key} not in the config")


def sessions(agent):
    r = agent.ctl("show", "bfd", json_out=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["sessions"]


def run_to_exit(argv, timeout=3):
    """Runs fbfd expected to refuse its configuration; fails at once if it runs on."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"fbfd still running after {timeout}s: the configuration was accepted\n{err}")
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def make_agent(tmp_path, wrapper, auth_type=None):
    a = Agent(tmp_path)
    a.config.write_text(minimal_config(tmp_path, a.port, bfd_peer(auth_type)))
    a.wrapper = wrapper
    return a


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_start_refuses_bfd_auth_without_libcrypto(jail, tmp_path, auth_type):
    a = make_agent(tmp_path, jail(hide=True), auth_type)
    text = a.config.read_text()
    error = (f"{a.config}:{position(text, 'auth_type')}: 'auth_type' {auth_type} {REFUSED}")
    for mode in (["--foreground"], ["--check-config"]):
        r = run_to_exit(a.wrapper + [str(FBFD), "-c", str(a.config)] + mode)
        assert r.returncode == 1, (mode, r.returncode, r.stderr)  # spec/CLI.md: config error
        lines = [l for l in r.stderr.splitlines() if REFUSED in l]
        assert len(lines) == 1 and lines[0].startswith(error), (mode, r.stderr)
        assert jail.soname in lines[0], lines[0]  # dlerror(3) names the library
    assert not a.socket.exists()


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_start_with_bfd_auth_and_libcrypto(jail, tmp_path, auth_type):
    """The control: the same configurations, same namespaces, libcrypto visible."""
    a = make_agent(tmp_path, jail(hide=False), auth_type)
    try:
        a.start()
        [s] = sessions(a)
        expected = "simple_password" if auth_type == "simple" else auth_type.replace("-", "_")
        assert s["auth"] == expected
    finally:
        a.stop()


@pytest.mark.parametrize("hide", [True, False], ids=["libcrypto_hidden", "libcrypto_visible"])
def test_reload_adding_bfd_auth(jail, tmp_path, hide):
    """Without libcrypto, unauthenticated BFD runs and a reload adding a key is
    refused, the running session kept; with it (the control) the reload applies."""
    a = make_agent(tmp_path, jail(hide=hide))
    try:
        a.start()
        [before] = sessions(a)
        assert before["auth"] == "none"
        a.config.write_text(minimal_config(tmp_path, a.port, bfd_peer("keyed-md5")))
        r = a.ctl("reload")
        status = json.loads(a.ctl("show", "status", json_out=True).stdout)
        [after] = sessions(a)
        if not hide:
            assert r.returncode == 0, r.stderr
            assert status["last_reload"]["result"] == "ok"
            assert after["auth"] == "keyed_md5"
            return
        error = (f"{a.config}:{position(a.config.read_text(), 'auth_type')}: "
                 f"'auth_type' keyed-md5 {REFUSED}")
        assert r.returncode == 1, r.stderr  # spec/CLI.md: the agent refused
        assert error in r.stderr and jail.soname in r.stderr, r.stderr
        assert a.proc.poll() is None
        assert status["last_reload"]["result"] == "error"
        assert any(e.startswith(error) for e in status["last_reload"]["errors"])
        # The old configuration stays in force: same session, still unauthenticated.
        assert after["auth"] == "none"
        assert after["local_discriminator"] == before["local_discriminator"]
        wait_until(lambda: f"reload: {error}" in a.log_text(), 5, "the reload error in the log")
    finally:
        a.stop()
