"""fbfd/fbfctl command lines: check-config, versions, usage errors, exit codes."""
import os
import re
import subprocess

from conftest import FBFCTL, FBFD, REPO


def run(*argv, env=None):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=15, env=env)


def test_example_config_passes_check():
    example = REPO / "packaging" / "fbf.toml"
    r = run(FBFD, "--check-config", "-c", example)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{example}: OK\n"
    assert r.stderr == ""


def test_three_mistakes_give_three_located_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[agent]\n"
        'local_as = "65500"\n'             # line 2: wrong type
        "colour = \"blue\"\n"              # line 3: unknown key
        "\n"
        "[[service]]\n"
        'name = "web"\n'
        'prefixes = ["192.0.2.300/32"]\n'  # line 7: bad prefix
    )
    r = run(FBFD, "--check-config", "-c", bad)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 3, r.stderr
    for line in lines:
        assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: \S", line), line
    assert [int(l.split(":")[1]) for l in lines] == [2, 3, 7], r.stderr
    assert "local_as" in lines[0] and "colour" in lines[1] and "192.0.2.300" in lines[2]


def test_check_config_opens_no_sockets(tmp_path):
    # A config whose control socket directory cannot be created still checks OK:
    # --check-config must not try to open anything.
    cfg = tmp_path / "c.toml"
    cfg.write_text('[agent]\nlocal_as = 1\ncontrol_socket = "/proc/nonexistent/x.sock"\n'
                   'metrics_listen = "127.0.0.1:1"\n')
    r = run(FBFD, "--check-config", "-c", cfg)
    assert r.returncode == 0, r.stderr


def test_missing_config_file_is_an_error(tmp_path):
    r = run(FBFD, "--check-config", "-c", tmp_path / "absent.toml")
    assert r.returncode == 1
    assert str(tmp_path / "absent.toml") in r.stderr


def test_versions_and_help():
    for binary in (FBFD, FBFCTL):
        r = run(binary, "--version")
        assert r.returncode == 0
        assert re.match(rf"^{binary.name} \d+\.\d+\.\d+ \(", r.stdout), r.stdout
        h = run(binary, "--help")
        assert h.returncode == 0 and "Usage" in h.stdout


def git(repo, *argv):
    return subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True,
                          text=True).stdout.strip()


def write_revision(source, out, revision=""):
    subprocess.run(["cmake", f"-DSOURCE_DIR={source}", f"-DOUTPUT={out}",
                    f"-DREVISION={revision}", "-P", str(REPO / "cmake" / "FbfRevision.cmake")],
                   check=True, capture_output=True, timeout=30)
    return re.search(r'kGitRevision = "([^"]*)"', out.read_text()).group(1)


def test_the_revision_follows_each_commit_and_is_rewritten_only_when_it_changes(tmp_path):
    """cmake/FbfRevision.cmake, which the fbf_revision target runs at every
    build: `--version` names the commit built, not the one configured."""
    src, out = tmp_path / "src", tmp_path / "revision.cpp"
    src.mkdir()
    git(src, "init", "-q")
    for key, value in (("user.email", "t@example.org"), ("user.name", "t")):
        git(src, "config", key, value)
    git(src, "commit", "-q", "--allow-empty", "-m", "one")
    assert write_revision(src, out) == git(src, "rev-parse", "--short", "HEAD")
    # Unchanged revision: the file is left alone (nothing recompiles).
    os.utime(out, (1_000_000_000, 1_000_000_000))
    write_revision(src, out)
    assert out.stat().st_mtime == 1_000_000_000
    git(src, "commit", "-q", "--allow-empty", "-m", "two")
    assert write_revision(src, out) == git(src, "rev-parse", "--short", "HEAD")
    assert out.stat().st_mtime > 1_000_000_000
    # A tree without git (a tarball): "unknown", or what the packager names.
    bare = tmp_path / "tarball"
    bare.mkdir()
    assert write_revision(bare, out) == "unknown"
    assert write_revision(bare, out, "1a2b3c4") == "1a2b3c4"


def test_version_names_the_commit_the_binaries_were_built_from():
    if not (REPO / ".git").exists():
        want = "unknown"
    else:
        want = git(REPO, "rev-parse", "--short", "HEAD")
    for binary in (FBFD, FBFCTL):
        assert run(binary, "--version").stdout.split()[-1] == f"({want})"


def test_usage_errors_exit_2():
    assert run(FBFD, "--no-such-flag").returncode == 2
    assert run(FBFD, "--log-level", "loud").returncode == 2
    assert run(FBFCTL).returncode == 2
    assert run(FBFCTL, "show").returncode == 2
    assert run(FBFCTL, "show", "nonsense").returncode == 2
    assert run(FBFCTL, "frobnicate").returncode == 2


def test_features_not_landed_are_absent_from_help():
    h = run(FBFCTL, "--help").stdout + run(FBFCTL, "show", "--help").stdout
    assert "status" in h and "reload" in h


def test_unreachable_agent_exits_3(tmp_path):
    r = run(FBFCTL, "-s", tmp_path / "nobody.sock", "show", "status")
    assert r.returncode == 3
    assert "cannot reach fbfd" in r.stderr


def test_socket_from_environment(tmp_path):
    import os
    env = dict(os.environ, FBF_SOCKET=str(tmp_path / "env.sock"))
    r = run(FBFCTL, "show", "status", env=env)
    assert r.returncode == 3
    assert str(tmp_path / "env.sock") in r.stderr
