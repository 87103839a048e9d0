# Every dependency comes from a Debian package; a missing one stops configure
# with the package to install (or run scripts/install-deps).
find_package(PkgConfig REQUIRED)

function(fbf_missing what package)
  if(CMAKE_SYSTEM_NAME STREQUAL "OpenBSD")
    # No Debian packages there: the port names every dependency (docs/openbsd.md).
    message(FATAL_ERROR "${what} not found: install the dependencies the port lists "
                        "(packaging/openbsd/net/fbf/Makefile: BUILD_DEPENDS, LIB_DEPENDS)")
  endif()
  message(FATAL_ERROR "${what} not found: install the Debian package '${package}' "
                      "(apt-get install ${package}, or run scripts/install-deps)")
endfunction()

# fbf_pkg(<target> <pkg-config module> <debian package>) -> PkgConfig::<target>
macro(fbf_pkg target module package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND)
    fbf_missing("${module}" "${package}")
  endif()
endmacro()

# fbf_cmake_pkg(<find_package name> <debian package>)
macro(fbf_cmake_pkg name package)
  find_package(${name} QUIET CONFIG)
  if(NOT ${name}_FOUND)
    find_package(${name} QUIET)
  endif()
  if(NOT ${name}_FOUND)
    fbf_missing("${name}" "${package}")
  endif()
endmacro()

# Linux-only ones (libnl, libsystemd) are below; on OpenBSD libevent 2 comes
# from the devel/libevent2 port and libcrypto from LibreSSL in base.
fbf_pkg(EVENT_CORE  libevent_core   libevent-dev)
fbf_pkg(EVENT_EXTRA libevent_extra  libevent-dev)
fbf_cmake_pkg(tomlplusplus  libtomlplusplus-dev)
fbf_cmake_pkg(fmt           libfmt-dev)
fbf_cmake_pkg(spdlog        libspdlog-dev)
fbf_cmake_pkg(OpenSSL       libssl-dev)
fbf_cmake_pkg(nlohmann_json nlohmann-json3-dev)
fbf_cmake_pkg(CLI11         libcli11-dev)

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  fbf_pkg(NL3       libnl-3.0       libnl-3-dev)
  fbf_pkg(NL3_ROUTE libnl-route-3.0 libnl-route-3-dev)
  fbf_pkg(NL3_IDIAG libnl-idiag-3.0 libnl-idiag-3-dev)
  option(FBF_WITH_SYSTEMD "Use libsystemd for sd_notify (READY/STOPPING/WATCHDOG)" ON)
  if(FBF_WITH_SYSTEMD)
    fbf_pkg(SYSTEMD libsystemd libsystemd-dev)
  endif()
endif()

if(FBF_BUILD_TESTS)
  fbf_cmake_pkg(GTest libgtest-dev)
endif()
if(FBF_BUILD_BENCH)
  fbf_cmake_pkg(benchmark libbenchmark-dev)
endif()
