# setup.cmake - installs the browser tests' npm dependencies (exactly those
# of package-lock.json) unless the pinned versions are already there.  The
# browser download that playwright packages may attempt is switched off:
# the tests use Debian's chromium.
#   cmake -DNPM=npm -DDIR=tests/browser -P setup.cmake
file(READ ${DIR}/package-lock.json lock)
string(JSON want GET "${lock}" packages node_modules/playwright-core version)
set(have "")
if(EXISTS ${DIR}/node_modules/playwright-core/package.json)
  file(READ ${DIR}/node_modules/playwright-core/package.json pkg)
  string(JSON have GET "${pkg}" version)
endif()
if(have STREQUAL want)
  message(STATUS "playwright-core ${have} is installed")
  return()
endif()
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
execute_process(COMMAND ${NPM} ci --no-audit --no-fund WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (${rc})")
endif()
