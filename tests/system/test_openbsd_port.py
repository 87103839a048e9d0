"""The OpenBSD port (packaging/openbsd/net/fbf), checked on Linux.

The port cannot be built here, but its packing list can be held against the
same CMake install rules it runs: configure with the port's CONFIGURE_ARGS
and OpenBSD's GNUInstallDirs default (man pages under man/, not
share/man/), build fbfd and fbfctl, `cmake --install` into a staging
directory under PREFIX=/usr/local, and compare with pkg/PLIST both ways.

Also cheap static checks: platform/openbsd/ includes no Linux header, CMake
compiles every file there on OpenBSD, the port's pre-configure sed still
matches the files it rewrites, and the rc.d script has rc.subr's shape.
"""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO

PORT = REPO / "packaging" / "openbsd" / "net" / "fbf"
PREFIX = "/usr/local"

# Directories the OpenBSD hierarchy (mtree) already has: a package does not
# list them.
BASE_DIRS = {"sbin", "man", "man/man5", "man/man8", "share", "share/examples"}

# Annotations whose argument is a path below PREFIX that the port installs.
PATH_ANNOTATIONS = {"@bin", "@man", "@lib", "@static-lib", "@so", "@info", "@file"}


def make_variable(name):
    """The value of a (possibly continued) NAME = ... assignment in the Makefile."""
    text = (PORT / "Makefile").read_text()
    m = re.search(rf"^{name}\s*\+?=\s*((?:.*\\\n)*.*)$", text, re.M)
    assert m, f"{name} not set in the port's Makefile"
    return m.group(1).replace("\\\n", " ").split()


def plist_entries():
    """(kind, path) for every PLIST line: kind is 'file', 'dir', 'rcscript' or None."""
    out = []
    for raw in (PORT / "pkg" / "PLIST").read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("@"):
            word, _, arg = line.partition(" ")
            if word == "@rcscript":
                out.append(("rcscript", arg.strip()))
            elif word in PATH_ANNOTATIONS:
                out.append(("file", arg.strip()))
            else:
                out.append((None, line))  # @mode, @owner, @sample, @newuser, @comment ...
        elif line.endswith("/"):
            out.append(("dir", line.rstrip("/")))
        else:
            out.append(("file", line))
    return out


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The port's install step, as run on Linux: the staged PREFIX."""
    # A sibling of the main build directory: at the same depth below the
    # source tree, ccache (CCACHE_BASEDIR) sees the same relative paths and
    # serves the objects scripts/test compiled there.
    build = BUILD.parent / f"{BUILD.name}-openbsd-port"
    args = make_variable("CONFIGURE_ARGS")
    assert "-DFBF_INSTALL_EXAMPLE_CONFIG=ON" in args
    configure = [
        "cmake", "-S", str(REPO), "-B", str(build), *args,
        # What OpenBSD's GNUInstallDirs picks by itself on a BSD.
        "-DCMAKE_INSTALL_MANDIR=man",
        # Not install rules: the same compile flags as scripts/test, and
        # ccache back on, so the objects come from the cache.
        "-DFBF_CCACHE=ON", "-DFBF_WERROR=ON", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
    ]
    subprocess.run(configure, check=True, capture_output=True, text=True)
    jobs = str(os.cpu_count() or 2)
    built = subprocess.run(["cmake", "--build", str(build), "-j", jobs, "--target", "fbfd", "fbfctl"],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    destdir = tmp_path_factory.mktemp("fake")
    env = dict(os.environ, DESTDIR=str(destdir))
    subprocess.run(["cmake", "--install", str(build), "--prefix", PREFIX], check=True,
                   capture_output=True, text=True, env=env)
    root = destdir / PREFIX.lstrip("/")
    assert root.is_dir(), f"nothing installed under {PREFIX}"
    return root


def test_every_plist_path_is_installed(staged):
    missing = []
    for kind, path in plist_entries():
        if kind == "file" and not (staged / path).is_file():
            missing.append(path)
        elif kind == "dir" and not (staged / path).is_dir():
            missing.append(path + "/")
        elif kind == "rcscript":
            # bsd.port.mk installs pkg/NAME.rc as ${RCDIR}/NAME.
            assert path.startswith("${RCDIR}/"), path
            if not (PORT / "pkg" / (path.split("/", 1)[1] + ".rc")).is_file():
                missing.append(path)
    assert not missing, f"in pkg/PLIST but not installed: {missing}"


def test_everything_installed_is_in_the_plist(staged):
    listed_files = {p for kind, p in plist_entries() if kind == "file"}
    listed_dirs = {p for kind, p in plist_entries() if kind == "dir"}
    unlisted = []
    for item in sorted(staged.rglob("*")):
        rel = item.relative_to(staged).as_posix()
        if item.is_dir():
            if rel not in BASE_DIRS and rel not in listed_dirs:
                unlisted.append(rel + "/")
        elif rel not in listed_files:
            unlisted.append(rel)
    assert not unlisted, f"installed but missing from pkg/PLIST: {unlisted}"


def test_the_plist_names_the_binaries_man_pages_and_example(staged):
    files = {p for kind, p in plist_entries() if kind == "file"}
    for expected in ("sbin/fbfd", "sbin/fbfctl", "man/man8/fbfd.8", "man/man8/fbfctl.8",
                     "man/man5/fbf.toml.5", "share/examples/fbf/fbf.toml"):
        assert expected in files, expected
    text = (PORT / "pkg" / "PLIST").read_text()
    assert re.search(r"^@newgroup _fbf:\d+$", text, re.M)
    assert re.search(r"^@newuser _fbf:\d+:_fbf::.*:/var/empty:/sbin/nologin$", text, re.M)
    assert "@sample ${SYSCONFDIR}/fbf/fbf.toml" in text


def test_the_installed_example_is_a_valid_configuration(staged):
    fbfd = staged / "sbin" / "fbfd"
    example = staged / "share" / "examples" / "fbf" / "fbf.toml"
    # The rc.d script's rc_pre runs exactly this before every start.
    r = subprocess.run([str(fbfd), "--check-config", "-c", str(example)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith(": OK")


def test_rc_script_has_the_rc_subr_shape():
    rc = PORT / "pkg" / "fbfd.rc"
    text = rc.read_text()
    lines = text.splitlines()
    assert lines[0] == "#!/bin/ksh"
    assert 'daemon="${TRUEPREFIX}/sbin/fbfd"' in lines
    assert 'daemon_flags="-c ${SYSCONFDIR}/fbf/fbf.toml"' in lines
    source = lines.index(". /etc/rc.d/rc.subr")
    # daemon_* defaults before rc.subr, rc_* settings after it, rc_cmd last.
    assert all(lines.index(l) < source for l in lines if l.startswith("daemon"))
    assert lines.index("rc_bg=YES") > source
    assert lines[-1] == "rc_cmd $1"
    # The flags the script passes are ones fbfd accepts (checked above with
    # the built binary); here the script must at least parse.
    sh = shutil.which("ksh") or shutil.which("sh")
    assert subprocess.run([sh, "-n", str(rc)]).returncode == 0


def sed_expressions():
    """The port's pre-configure `sed -e 's,A,B,g'` pairs, as Python regexes."""
    text = (PORT / "Makefile").read_text()
    exprs = re.findall(r"-e\s+'s,((?:[^,\\]|\\.)*),((?:[^,\\]|\\.)*),g'", text)
    assert exprs, "no sed expressions found in pre-configure"
    out = []
    for pattern, replacement in exprs:
        # Basic regular expressions: \( \) group, other characters literal.
        py = pattern.replace("\\(", "(").replace("\\)", ")")
        repl = replacement.replace("${LOCALSTATEDIR}", "/var").replace("\\1", r"\1")
        out.append((re.compile(py), repl))
    return out


def test_pre_configure_substitutions_still_match():
    files = make_variable("FBF_PATH_FILES")
    exprs = sed_expressions()
    used = [False] * len(exprs)
    for name in files:
        text = (REPO / name).read_text()
        changed = text
        for i, (rx, repl) in enumerate(exprs):
            new = rx.sub(repl, changed)
            used[i] |= new != changed
            changed = new
        assert changed != text, f"the port's sed changes nothing in {name}"
        # What is left afterwards is OpenBSD's layout only.
        assert not re.search(r"(?<!/var)/run/fbf/", changed), name
        assert "/var/lib/fbf" not in changed, name
        assert "systemctl reload" not in changed, name
    unused = [exprs[i][0].pattern for i, u in enumerate(used) if not u]
    assert not unused, f"sed expressions that match nothing: {unused}"


LINUX_ONLY = re.compile(
    r'#\s*include\s*[<"]('
    r"linux/|netlink/|netpacket/|systemd/|sys/prctl\.h|sys/capability\.h|sys/epoll\.h|"
    r"sys/sysinfo\.h|sys/inotify\.h|sys/signalfd\.h|sys/timerfd\.h|asm/|"
    r"platform/linux/)")


def test_openbsd_sources_include_no_linux_header():
    sources = sorted((REPO / "platform" / "openbsd").glob("*.[ch]*"))
    assert sources, "platform/openbsd is empty"
    offenders = []
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if LINUX_ONLY.search(line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_cmake_compiles_every_openbsd_source_on_openbsd_only():
    cmake = (REPO / "platform" / "CMakeLists.txt").read_text()
    m = re.search(r'elseif\(CMAKE_SYSTEM_NAME STREQUAL "OpenBSD"\)(.*?)\n(?:else|endif)\(',
                  cmake, re.S)
    assert m, "platform/CMakeLists.txt has no OpenBSD branch"
    branch = m.group(1)
    for path in sorted((REPO / "platform" / "openbsd").glob("*.cpp")):
        assert f"openbsd/{path.name}" in branch, f"{path.name} is not compiled on OpenBSD"
    assert "linux/" not in branch
    assert "openbsd/" not in cmake.replace(branch, "")
