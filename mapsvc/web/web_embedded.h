/*
 * web_embedded.h - the table that the build generates from assets.txt
 * (web_assets.c in the build folder, written by embed.cmake) and web.c
 * reads.  Internal to web/.  The entries are sorted by path (bytewise),
 * so lookups can bisect.
 */
#ifndef MS_WEB_EMBEDDED_H
#define MS_WEB_EMBEDDED_H

#include <stddef.h>

#include "web.h"

extern const struct web_asset web_embedded_assets[];
extern const size_t web_embedded_count;

#endif
