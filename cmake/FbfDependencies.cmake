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

# On OpenBSD libevent 2 comes from the devel/libevent2 port and libcrypto
# from LibreSSL in base; libnl and libsystemd are Linux-only.
#
# FBF_STATIC_DEPS: fbfd and fbfctl carry their C++ and C dependencies
# inside (libstdc++, libgcc, libevent, libnl; fmt, spdlog and toml++ in their
# header-only form) and load only glibc and ld.so. Pages a process touches in a
# shared library count whole (the kernel maps 64 KiB around each fault), so
# eight small libraries cost ~3 MiB of resident set; linked in with
# --gc-sections the code that runs sits on far fewer pages
# (docs/performance.md "Footprint"). The Debian package turns it off: there,
# libraries come as packages that get their own security updates.
include(CMakeDependentOption)
cmake_dependent_option(FBF_STATIC_DEPS
  "Link libstdc++, libevent, libnl, fmt, spdlog and toml++ into the programs"
  ON "CMAKE_SYSTEM_NAME STREQUAL Linux;NOT FBF_SANITIZE;NOT FBF_BUILD_FUZZ" OFF)

# A build tree configured the other way before keeps the library paths
# pkg-config's module found then: forget those of the other kind.
if(FBF_STATIC_DEPS)
  set(fbf_other_kind "\\.so$")
else()
  set(fbf_other_kind "\\.a$")
endif()
get_cmake_property(fbf_cached CACHE_VARIABLES)
foreach(var IN LISTS fbf_cached)
  if(var MATCHES "^pkgcfg_lib_(EVENT_CORE|EVENT_EXTRA|NL3|NL3_ROUTE|NL3_IDIAG)_" AND
     "${${var}}" MATCHES "${fbf_other_kind}")
    unset(${var} CACHE)
  endif()
endforeach()
if(FBF_STATIC_DEPS)
  # pkg-config's -l flags resolve to the archives Debian's -dev packages ship.
  set(fbf_saved_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
endif()
fbf_pkg(EVENT_CORE  libevent_core   libevent-dev)
fbf_pkg(EVENT_EXTRA libevent_extra  libevent-dev)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  fbf_pkg(NL3       libnl-3.0       libnl-3-dev)
  fbf_pkg(NL3_ROUTE libnl-route-3.0 libnl-route-3-dev)
  fbf_pkg(NL3_IDIAG libnl-idiag-3.0 libnl-idiag-3-dev)
endif()
if(FBF_STATIC_DEPS)
  set(CMAKE_FIND_LIBRARY_SUFFIXES ${fbf_saved_suffixes})
  # What the archives' Libs.private ask for.
  find_package(Threads REQUIRED)
  target_link_libraries(PkgConfig::NL3 INTERFACE Threads::Threads m)
endif()
fbf_cmake_pkg(tomlplusplus  libtomlplusplus-dev)
fbf_cmake_pkg(fmt           libfmt-dev)
fbf_cmake_pkg(spdlog        libspdlog-dev)

# fbf_config_deps / fbf_log_deps: toml++, and spdlog with fmt, either as the
# shared libraries or header-only.
add_library(fbf_config_deps INTERFACE)
add_library(fbf_log_deps INTERFACE)
if(FBF_STATIC_DEPS)
  target_compile_definitions(fbf_config_deps INTERFACE TOML_HEADER_ONLY=1)
  target_include_directories(fbf_config_deps SYSTEM INTERFACE
    $<TARGET_PROPERTY:tomlplusplus::tomlplusplus,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(fbf_log_deps INTERFACE spdlog::spdlog_header_only)
  # spdlog's header-only target still names the shared fmt: fmt header-only instead.
  set_target_properties(spdlog::spdlog_header_only PROPERTIES INTERFACE_LINK_LIBRARIES Threads::Threads)
  target_link_libraries(fbf_log_deps INTERFACE fmt::fmt-header-only)
else()
  target_link_libraries(fbf_config_deps INTERFACE tomlplusplus::tomlplusplus)
  target_link_libraries(fbf_log_deps INTERFACE spdlog::spdlog fmt::fmt)
endif()

# fbf_static_program(<target>): the programs fbf ships (fbfd, fbfctl). Tests
# and benchmarks keep the shared libstdc++ that GoogleTest and Google
# Benchmark are built against.
#
# Every function and object in a section of its own, and the programs linked
# with --gc-sections: what nothing calls is left out — with the libraries
# linked in (FBF_STATIC_DEPS) most of libevent and libnl, and in every build
# the parts of our own libraries a program does not use (fbfctl links the
# agent's). 6 % of the Debian package's fbfd (docs/performance.md,
# "Binary size").
target_compile_options(fbf_build_flags INTERFACE -ffunction-sections -fdata-sections)
# `ceil` is resolved to platform/ceil.cpp's fbf_ceil (see there why): with
# libstdc++ inside, that was the programs' only reason to load libm.
#
# Relative relocations packed as DT_RELR (glibc 2.36, binutils 2.38): a PIE's
# pointers in vtables and tables (.data.rel.ro) are relocated at start from
# a bitmap of a few hundred bytes instead of 24 bytes of .rela.dyn each.
# ld.so reads those tables at every start and they stay mapped: 112 KiB of
# fbfd's binary and of its resident set (docs/performance.md, "Footprint").
# Still a PIE: ASLR is kept.
include(CheckLinkerFlag)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" FBF_LINKER_PACKS_RELATIVE_RELOCS)
endif()
function(fbf_static_program target)
  target_link_options(${target} PRIVATE -Wl,--gc-sections)
  if(FBF_STATIC_DEPS)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc
                        -Wl,--undefined=fbf_ceil -Wl,--defsym=ceil=fbf_ceil)
  endif()
  if(FBF_LINKER_PACKS_RELATIVE_RELOCS)
    target_link_options(${target} PRIVATE -Wl,-z,pack-relative-relocs)
  endif()
endfunction()
fbf_cmake_pkg(OpenSSL       libssl-dev)
fbf_cmake_pkg(nlohmann_json nlohmann-json3-dev)
fbf_cmake_pkg(CLI11         libcli11-dev)

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
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
