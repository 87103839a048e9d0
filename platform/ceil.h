#pragma once
// ceil(3) without libm, for the programs linked with FBF_STATIC_DEPS. Their
// one use of libm is std::ceil in fmt's fixed-precision float formatting:
// inlined at -O2, but a call at -Os (agent/CMakeLists.txt), and that call
// alone made fbfd load libm.so.6 (its IFUNC resolvers run at start): about
// 0.3 MiB of fbfd's RSS (docs/performance.md, full table row). fbf_static_program() (cmake/FbfDependencies.cmake) resolves
// `ceil` to fbf_ceil at link time (-Wl,--defsym), so fbfd needs only libc.

extern "C" double fbf_ceil(double x);
