# embed.cmake - turns the files listed in assets.txt into a C source with
# one byte array per file and the table that web.c serves (web_embedded.h).
#
#   cmake -DMANIFEST=assets.txt -DSRC_DIR=dir -DLEAFLET_DIR=dir
#         -DOUT=web_assets.c -P embed.cmake
#
# A CMake script rather than a program of our own, so that the build needs
# nothing that CMake itself does not have.  Each asset's ETag is the first
# 64 bits of the SHA-256 of the bytes served: a strong validator (RFC 9110
# §8.8.1), the same for the same bytes on every build.  Text assets are
# staged first: their source-map comments are dropped (maps are not
# served, and a browser would ask for them) and {{v:PATH}} becomes PATH's
# tag, so the page can name versioned URLs that caches may keep for good.
cmake_minimum_required(VERSION 3.25)
foreach(v MANIFEST SRC_DIR LEAFLET_DIR OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "embed.cmake: -D${v}=... is required")
  endif()
endforeach()

set(stage_dir "${OUT}.stage")
file(REMOVE_RECURSE "${stage_dir}")
file(MAKE_DIRECTORY "${stage_dir}") # COPY_FILE, unlike WRITE, makes no folders

function(content_type path out)
  if(path MATCHES "\\.html$")
    set(t "text/html; charset=utf-8")
  elseif(path MATCHES "\\.js$")
    set(t "text/javascript; charset=utf-8")
  elseif(path MATCHES "\\.css$")
    set(t "text/css; charset=utf-8")
  elseif(path MATCHES "\\.svg$")
    set(t "image/svg+xml")
  elseif(path MATCHES "\\.png$")
    set(t "image/png")
  elseif(path MATCHES "\\.json$")
    set(t "application/json")
  elseif(path MATCHES "\\.geojson$")
    set(t "application/geo+json") # RFC 7946 §12
  else()
    message(FATAL_ERROR "embed.cmake: no content type known for ${path}")
  endif()
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

# Read the manifest: the templated text assets (the HTML) go last, so the
# tags they name are known by then.
file(STRINGS "${MANIFEST}" lines)
set(paths "")
set(late "")
set(lineno 0)
foreach(line IN LISTS lines)
  math(EXPR lineno "${lineno} + 1")
  if(line MATCHES "^[ \t]*(#|$)")
    continue()
  endif()
  if(NOT line MATCHES "^(/[^ \t]+)[ \t]+([^ \t]+)[ \t]*$")
    message(FATAL_ERROR "${MANIFEST}:${lineno}: expected 'URL-PATH SOURCE'")
  endif()
  set(p "${CMAKE_MATCH_1}")
  string(REPLACE "@LEAFLET@" "${LEAFLET_DIR}" src "${CMAKE_MATCH_2}")
  if(NOT IS_ABSOLUTE "${src}")
    set(src "${SRC_DIR}/${src}")
  endif()
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "${MANIFEST}:${lineno}: ${src} does not exist (for Leaflet: apt-get install libjs-leaflet)")
  endif()
  if(DEFINED src_${p})
    message(FATAL_ERROR "${MANIFEST}:${lineno}: ${p} listed twice")
  endif()
  set(src_${p} "${src}")
  if(p MATCHES "\\.html$")
    list(APPEND late "${p}")
  else()
    list(APPEND paths "${p}")
  endif()
endforeach()

# Stage, hash.
set(n 0)
foreach(p IN LISTS paths late)
  set(src "${src_${p}}")
  set(staged "${stage_dir}/${n}")
  content_type("${p}" type_${p})
  if(type_${p} MATCHES "^text/|svg")
    file(READ "${src}" text)
    string(REGEX REPLACE "\n?//# sourceMappingURL=[^\n]*" "" text "${text}")
    string(REGEX REPLACE "/\\*# sourceMappingURL=[^*]*\\*/" "" text "${text}")
    while(text MATCHES "{{v:(/[^}]+)}}")
      set(ref "${CMAKE_MATCH_1}")
      if(NOT DEFINED tag_${ref})
        message(FATAL_ERROR "embed.cmake: ${p} names {{v:${ref}}}, which is not an earlier asset")
      endif()
      string(REPLACE "{{v:${ref}}}" "${tag_${ref}}" text "${text}")
    endwhile()
    file(WRITE "${staged}" "${text}")
  else()
    file(COPY_FILE "${src}" "${staged}")
  endif()
  file(SHA256 "${staged}" sha)
  string(SUBSTRING "${sha}" 0 16 tag_${p})
  set(staged_${p} "${staged}")
  math(EXPR n "${n} + 1")
endforeach()

# Emit, sorted by path (web.c bisects).
set(all ${paths} ${late})
list(SORT all)
set(arrays "")
set(table "")
set(i 0)
foreach(p IN LISTS all)
  file(READ "${staged_${p}}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  if(len EQUAL 0)
    set(bytes "0")
  else()
    string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])" "\\1\n" hex "${hex}")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  endif()
  string(APPEND arrays "/* ${p} */\nstatic const unsigned char asset_${i}[] = {\n${bytes}\n};\n\n")
  string(APPEND table "\t{\"${p}\", asset_${i}, ${len}, \"${type_${p}}\", \"\\\"${tag_${p}}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()

file(WRITE "${OUT}.tmp" "/* Generated from mapsvc/web/assets.txt by mapsvc/web/embed.cmake; do not edit. */
#include \"web/web_embedded.h\"

${arrays}const struct web_asset web_embedded_assets[] = {
${table}};
const size_t web_embedded_count = ${i};
")
file(RENAME "${OUT}.tmp" "${OUT}")
file(REMOVE_RECURSE "${stage_dir}")
