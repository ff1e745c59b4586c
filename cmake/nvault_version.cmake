# nvault_version.cmake: nvault's version, from the newest git tag "vX.Y.Z"
# (`git describe --tags`: "1.2.0", or "1.2.0-3-gabc1234" three commits
# later, "-dirty" with uncommitted changes), else FALLBACK (the CMake
# project version) when there is no git, no repository or no tag.
#
# include()d by CMakeLists.txt (sets NV_VERSION), or run as a script:
#   cmake -DSRC=DIR -DFALLBACK=0.1.0 -P cmake/nvault_version.cmake   # prints it
function(nvault_version src fallback out)
  set(version "${fallback}")
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${src}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" describe --tags --dirty --match "v[0-9]*"
      WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc OUTPUT_VARIABLE described
      ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND described MATCHES "^v[0-9]")
      string(REGEX REPLACE "^v" "" version "${described}")
    endif()
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND SRC)
  nvault_version("${SRC}" "${FALLBACK}" v)
  message("${v}")
endif()
