# Compiler warnings and sanitizers for fbf's own targets (never for dependencies).
add_library(fbf_build_flags INTERFACE)
target_compile_options(fbf_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
if(FBF_WERROR)
  target_compile_options(fbf_build_flags INTERFACE -Werror)
endif()
if(FBF_SANITIZE)
  target_compile_options(fbf_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(fbf_build_flags INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(fbf_build_flags INTERFACE
  "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
