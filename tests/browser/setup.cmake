# setup.cmake - installs a test folder's npm dependencies (exactly those
# of its package-lock.json) unless the pinned versions of every package
# its package.json names are already there.  The browser download that
# playwright packages may attempt is switched off: the tests use Debian's
# chromium.  Used by tests/browser and tests/clients.
#   cmake -DNPM=npm -DDIR=tests/browser -P setup.cmake
file(READ ${DIR}/package.json manifest)
file(READ ${DIR}/package-lock.json lock)
string(JSON ndeps LENGTH "${manifest}" devDependencies)
math(EXPR last "${ndeps} - 1")
set(stale "")
foreach(i RANGE ${last})
  string(JSON name MEMBER "${manifest}" devDependencies ${i})
  string(JSON want GET "${lock}" packages "node_modules/${name}" version)
  set(have "")
  if(EXISTS ${DIR}/node_modules/${name}/package.json)
    file(READ ${DIR}/node_modules/${name}/package.json pkg)
    string(JSON have GET "${pkg}" version)
  endif()
  if(NOT have STREQUAL want)
    list(APPEND stale "${name}@${want}")
  endif()
endforeach()
if(NOT stale)
  message(STATUS "${DIR}: the pinned npm packages are installed")
  return()
endif()
message(STATUS "${DIR}: installing ${stale}")
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
execute_process(COMMAND ${NPM} ci --no-audit --no-fund WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (${rc})")
endif()
