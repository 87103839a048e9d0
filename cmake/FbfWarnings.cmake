# Compiler warnings and sanitizers for fbf's own targets (never for dependencies).
add_library(fbf_build_flags INTERFACE)
target_compile_options(fbf_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  # g++ 12 warns on designated initializers that skip members with defaults.
  -Wno-missing-field-initializers)
if(FBF_WERROR)
  target_compile_options(fbf_build_flags INTERFACE -Werror)
endif()
if(FBF_SANITIZE)
  # ASan (LeakSanitizer included) + UBSan; every UBSan finding aborts the
  # program (-fno-sanitize-recover=all) instead of printing and carrying on.
  # scripts/sanitize sets the matching *SAN_OPTIONS at run time.
  target_compile_options(fbf_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(fbf_build_flags INTERFACE -fsanitize=address,undefined)
endif()
if(FBF_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FBF_BUILD_FUZZ needs clang (scripts/fuzz configures clang++-16)")
  endif()
  # libstdc++ 12 only offers std::expected when __cpp_concepts >= 202002L;
  # clang 16 implements what that needs (P0848) but still reports 201907L.
  target_compile_options(fbf_build_flags INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -Wno-macro-redefined -D__cpp_concepts=202002L)
  target_link_options(fbf_build_flags INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(fbf_build_flags INTERFACE
  "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
