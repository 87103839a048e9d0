"""What fbfd and fbfctl load at start, by build option (cmake/FbfDependencies.cmake).

FBF_STATIC_DEPS=ON, the default: libstdc++, libgcc, libevent, libnl, fmt,
spdlog and toml++ are inside the programs, which load only glibc (fbfd: libc
and ld.so, not even libm: platform/ceil.h); libcrypto and libsystemd are still loaded only when needed
(test_bfd_auth_libcrypto.py). That is most of fbfd's resident set gone
(docs/performance.md "Footprint"). FBF_STATIC_DEPS=OFF, as the Debian package
builds (packaging/debian/rules; test_deb.py checks its Depends): every one of
them is a shared library again.
"""
import re
import subprocess

import pytest

from conftest import BUILD, FBFCTL, FBFD

# fbfd loads no libm: `ceil`, its one use of it, is resolved to
# platform/ceil.cpp at link time (loading libm cost the daemon 0.3 MiB
# resident). fbfctl, a command that lives for milliseconds, may load it.
GLIBC = {"libc.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
ALLOWED_WHEN_ON = {"fbfd": GLIBC, "fbfctl": GLIBC | {"libm.so.6"}}
# With the option off, what each program links shared (the linker drops what
# fbfctl does not call: it never touches libevent, libnl, spdlog or toml++).
SHARED_WHEN_OFF = {
    "fbfd": ["libstdc++.so", "libevent_core", "libnl-route-3", "libspdlog", "libfmt",
             "libtomlplusplus"],
    "fbfctl": ["libstdc++.so", "libfmt"],
}


def static_deps_option():
    cache = (BUILD / "CMakeCache.txt").read_text()
    m = re.search(r"^FBF_STATIC_DEPS:\w+=(\w+)$", cache, re.M)
    return m is not None and m.group(1).upper() in ("ON", "TRUE", "1")


def needed(program):
    out = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


@pytest.mark.parametrize("program", [FBFD, FBFCTL], ids=["fbfd", "fbfctl"])
def test_programs_load_what_the_build_option_says(program):
    libs = needed(program)
    if static_deps_option():
        allowed = ALLOWED_WHEN_ON[program.name]
        assert libs <= allowed, f"{program.name} needs more than {sorted(allowed)}: {sorted(libs - allowed)}"
    else:
        for lib in SHARED_WHEN_OFF[program.name]:
            assert any(n.startswith(lib) for n in libs), f"{lib} not linked shared: {sorted(libs)}"


def test_libcrypto_and_libsystemd_are_never_linked():
    # Both are dlopen()ed on first use (bfd/digest.cpp, platform/linux/
    # service_notify_systemd.cpp) in either build.
    libs = needed(FBFD)
    assert not any(n.startswith(("libcrypto", "libsystemd")) for n in libs), sorted(libs)


def relative_relocations(program):
    """(R_X86_64_RELATIVE entries left in .rela.dyn, has a DT_RELR table)."""
    relocs = subprocess.run(["readelf", "-rW", str(program)], capture_output=True, text=True,
                            check=True).stdout
    dynamic = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True,
                             check=True).stdout
    return len(re.findall(r"R_(?:X86_64|AARCH64)_RELATIVE", relocs)), "(RELR)" in dynamic


@pytest.mark.parametrize("program", [FBFD, FBFCTL], ids=["fbfd", "fbfctl"])
def test_relative_relocations_are_packed(program):
    """-z pack-relative-relocs (cmake/FbfDependencies.cmake): the relative
    relocations of the PIE live in a DT_RELR bitmap, not one 24-byte .rela.dyn
    entry each (112 KiB of fbfd's binary and resident set); still a PIE."""
    loose, packed = relative_relocations(program)
    assert packed and loose == 0, (loose, packed)
    header = subprocess.run(["readelf", "-h", str(program)], capture_output=True, text=True,
                            check=True).stdout
    assert "DYN (Position-Independent Executable file)" in header
