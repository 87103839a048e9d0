"""The container image: scripts/build-image builds it with podman (chroot
isolation, base image from debootstrap, no registry), and the image, looked
at through `podman image mount` and chroot, runs fbfd.

Containers cannot run on this machine, so fbfd is started the way the image
says (Entrypoint, Cmd, User) in a chroot of the mounted image instead.

To keep the test short the image is built from the package the session
already built (scripts/build-image --deb: the Containerfile's "prebuilt"
stage) rather than compiling fbf again in its "build" stage; the final
stage, the one that ships, is the same either way. The debootstrapped base
image is kept between runs (created once per machine, ~3 minutes).
"""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time
import tomllib

import pytest
import yaml

from pkgtest import REPO, built_deb, changelog_version, machine_lock, run  # noqa: F401 (fixtures)

TAG = "localhost/fbf-pytest:latest"
EXAMPLES = REPO / "packaging" / "container" / "examples" / "kubernetes"


def podman(*args, **kw):
    return run(["podman", *args], **kw)


@pytest.fixture(scope="module")
def image(built_deb):
    if shutil.which("podman") is None or shutil.which("debootstrap") is None:
        pytest.skip("podman and debootstrap are not installed (scripts/install-deps)")
    started = time.monotonic()
    run([REPO / "scripts" / "build-image", "--deb", built_deb.deb, "--tag", TAG], timeout=1800)
    print(f"scripts/build-image took {time.monotonic() - started:.0f}s")
    yield TAG
    podman("rmi", "--force", TAG, check=False)


@pytest.fixture(scope="module")
def rootfs(image):
    mount = pathlib.Path(podman("image", "mount", image).stdout.strip())
    yield mount
    podman("image", "unmount", image, check=False)


@pytest.fixture(scope="module")
def config(image):
    return json.loads(podman("image", "inspect", image).stdout)[0]["Config"]


def in_image(rootfs, *cmd, user=None, check=True):
    userspec = [f"--userspec={user}"] if user else []
    return run(["chroot", *userspec, rootfs, *cmd], check=check)


def test_image_runs_fbfd_in_the_foreground_as_non_root(config):
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["/usr/sbin/fbfd", "--foreground"]
    assert config["Cmd"] == ["-c", "/etc/fbf/fbf.toml"]


def test_fbfd_version_in_the_image(rootfs):
    out = in_image(rootfs, "/usr/sbin/fbfd", "--version").stdout
    assert out.startswith(f"fbfd {changelog_version()} ("), out
    assert in_image(rootfs, "/usr/sbin/fbfctl", "--version").stdout.startswith("fbfctl ")


def test_check_config_in_the_image(rootfs):
    out = in_image(rootfs, "/usr/sbin/fbfd", "--check-config", "-c", "/etc/fbf/fbf.toml").stdout
    assert out.strip() == "/etc/fbf/fbf.toml: OK"
    # As the image's user too: the file is root:_fbf 0640.
    in_image(rootfs, "/usr/sbin/fbfd", "--check-config", "-c", "/etc/fbf/fbf.toml",
             user="10001:10001")


def test_fbfd_carries_its_capabilities(rootfs):
    out = run(["getcap", rootfs / "usr/sbin/fbfd"]).stdout
    caps = out.split()[-1]
    assert caps in ("cap_net_bind_service,cap_net_admin=ep", "cap_net_admin,cap_net_bind_service=ep"), out


def test_final_stage_has_runtime_libraries_only(rootfs):
    pkgs = in_image(rootfs, "dpkg-query", "-W", "-f", "${Package}\n").stdout.split()
    assert "fbf" in pkgs
    dev = [p for p in pkgs if p.endswith("-dev") or p in ("gcc", "g++", "cmake", "make", "debhelper")]
    assert not dev, f"build tools in the final image: {dev}"
    for tool in ("usr/bin/gcc", "usr/bin/g++", "usr/bin/cmake", "usr/sbin/setcap"):
        assert not (rootfs / tool).exists(), tool
    for binary in ("/usr/sbin/fbfd", "/usr/sbin/fbfctl"):
        libs = in_image(rootfs, "/lib64/ld-linux-x86-64.so.2", "--list", binary).stdout
        assert "not found" not in libs, libs
    assert not list((rootfs / "usr/share/man").glob("*/*")), "manual pages in a slim image"


# Runs the image's Entrypoint + Cmd as its User in a chroot of the mounted
# image, with what a container runtime would give it: its own network and
# mount namespaces, /proc, writable /run/fbf and /var/lib/fbf (emptyDirs
# in the Kubernetes example), a bounding set with the added capabilities.
CONTAINER = r"""
set -e
root=$1; shift
ip link set lo up
mount --make-rprivate /
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=0755 tmpfs "$root/dev" && touch "$root/dev/null" && mount --bind /dev/null "$root/dev/null"
for d in run/fbf var/lib/fbf; do mount -t tmpfs -o "mode=0750,uid=$FBF_UID,gid=$FBF_UID" tmpfs "$root/$d"; done
exec setpriv --bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap,+net_admin \
  chroot --userspec="$FBF_UID:$FBF_UID" "$root" "$@"
"""


def test_image_entrypoint_starts_fbfd_as_its_user_with_its_capabilities(rootfs, config, tmp_path):
    uid = config["User"].split(":")[0]
    env = dict(os.environ, FBF_UID=uid)
    log = open(tmp_path / "fbfd.log", "w")
    proc = subprocess.Popen(["unshare", "--mount", "--net", "sh", "-c", CONTAINER, "sh", rootfs,
                             *config["Entrypoint"], *config["Cmd"]],
                            env=env, stdout=log, stderr=log)
    try:
        sock = pathlib.Path(f"/proc/{proc.pid}/root/run/fbf/fbfd.sock")
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert proc.poll() is None, (tmp_path / "fbfd.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "fbfd.log").read_text()
            time.sleep(0.05)
        status = pathlib.Path(f"/proc/{proc.pid}/status").read_text()
        assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.M), status
        # From the file capabilities: CAP_NET_ADMIN (12), CAP_NET_BIND_SERVICE (10).
        assert re.search(r"^CapEff:\s+0*1400$", status, re.M), status
        # As `podman exec CONTAINER fbfctl show status`: the image's fbfctl,
        # in the container's mount namespace and root, on the default socket.
        out = run(["nsenter", f"--target={proc.pid}", "--mount", "--root", "--wd",
                   "--setuid", uid, "--setgid", uid, "/usr/sbin/fbfctl", "show", "status"]).stdout
        assert "config file    /etc/fbf/fbf.toml" in out, out
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, (tmp_path / "fbfd.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the Kubernetes example ------------------------------------------------------

def load_examples():
    docs = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[(doc["kind"], doc["metadata"]["name"])] = doc
    return docs


def seconds(duration):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", duration)
    assert m, duration
    return int(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m[2]]


def test_kubernetes_example_is_a_drained_sidecar():
    docs = load_examples()
    pods = [d for (kind, _), d in docs.items() if kind == "Pod"]
    assert len(pods) == 1
    spec = pods[0]["spec"]
    assert not spec.get("hostNetwork"), "the sidecar shares the pod's network namespace"
    containers = {c["name"]: c for c in spec["containers"]}
    assert set(containers) == {"web", "fbf"}
    fbf = containers["fbf"]
    sc = fbf["securityContext"]
    assert sc["runAsUser"] == 10001
    assert set(sc["capabilities"]["add"]) == {"NET_ADMIN", "NET_BIND_SERVICE"}
    assert sc.get("allowPrivilegeEscalation") is not False, "would void fbfd's file capabilities"
    assert spec["securityContext"]["runAsNonRoot"] is True

    volume = next(v for v in spec["volumes"]
                  if v["name"] == next(m["name"] for m in fbf["volumeMounts"]
                                       if m["mountPath"] == "/etc/fbf"))
    cm = docs[("ConfigMap", volume["configMap"]["name"])]
    drain = seconds(tomllib.loads(cm["data"]["fbf.toml"])["maintenance"]["drain_time"])

    pre_stop = fbf["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[:4] == ["fbfctl", "maintenance", "start", "--wait"], pre_stop
    grace = spec["terminationGracePeriodSeconds"]
    timeout = seconds(pre_stop[pre_stop.index("--timeout") + 1])
    assert drain < timeout < grace, (drain, timeout, grace)
    assert grace >= drain + 10, "no time left to withdraw and stop after the drain"
    app_wait = containers["web"]["lifecycle"]["preStop"]["exec"]["command"]
    assert app_wait[0] == "sleep" and drain < int(app_wait[1]) < grace, app_wait


def test_kubernetes_example_config_checks_in_the_image(rootfs, tmp_path):
    docs = load_examples()
    toml = tmp_path / "fbf.toml"
    toml.write_text(docs[("ConfigMap", "fbf-config")]["data"]["fbf.toml"])
    # Mounted over the image's file, as the ConfigMap is in the pod.
    out = run(["unshare", "--mount", "sh", "-ec",
               'mount --bind "$1" "$2/etc/fbf/fbf.toml"; '
               'chroot "$2" /usr/sbin/fbfd --check-config -c /etc/fbf/fbf.toml',
               "sh", toml, rootfs]).stdout
    assert out.strip() == "/etc/fbf/fbf.toml: OK"
