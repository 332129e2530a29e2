# setup.cmake - installs the OpenAPI check's npm dependencies (exactly those
# of package-lock.json) unless the pinned versions are already there.
#   cmake -DNPM=npm -DDIR=tests/openapi -P setup.cmake
file(READ ${DIR}/package-lock.json lock)
string(JSON want GET "${lock}" packages node_modules/@apidevtools/swagger-parser version)
set(have "")
if(EXISTS ${DIR}/node_modules/@apidevtools/swagger-parser/package.json)
  file(READ ${DIR}/node_modules/@apidevtools/swagger-parser/package.json pkg)
  string(JSON have GET "${pkg}" version)
endif()
if(have STREQUAL want)
  message(STATUS "@apidevtools/swagger-parser ${have} is installed")
  return()
endif()
execute_process(COMMAND ${NPM} ci --no-audit --no-fund WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (${rc})")
endif()
