# Writes OUTPUT (a C++ source defining fbf::kGitRevision) from the git
# revision of SOURCE_DIR. Run at configure time and again by the
# fbf_revision target at every build, so `fbfd --version`, fbf_build_info
# and the bench reports name the commit that was built, not the one the
# tree was configured at. The file is rewritten only when the revision
# changes (configure_file), so an unchanged revision recompiles nothing.
#
#   cmake -DSOURCE_DIR=... -DOUTPUT=... [-DREVISION=abc1234] -P FbfRevision.cmake
#
# REVISION (the FBF_GIT_REVISION cache variable) overrides git, for builds
# from a tarball.
if(NOT REVISION)
  set(REVISION "unknown")
  find_program(FBF_GIT git)
  if(FBF_GIT AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${FBF_GIT}" rev-parse --short HEAD
                    WORKING_DIRECTORY "${SOURCE_DIR}"
                    OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE failed ERROR_QUIET)
    if(NOT failed AND head)
      set(REVISION "${head}")
    endif()
  endif()
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/revision.cpp.in" "${OUTPUT}" @ONLY)
