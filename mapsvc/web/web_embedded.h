/*
 * web_embedded.h - the table that the build generates from assets.txt
 * (web_assets.c in the build folder, written by embed.cmake) and web.c
 * reads.  Internal to web/: everyone else goes through web.h.  The
 * entries are sorted by path (bytewise), so lookups can bisect.
 *
 * Owns nothing at run time: the table and the bytes it points to are
 * static, read-only data of the binary, so any thread may read them and
 * nothing is freed.
 */
#ifndef MS_WEB_EMBEDDED_H
#define MS_WEB_EMBEDDED_H

#include <stddef.h>

#include "web.h"

extern const struct web_asset web_embedded_assets[];
extern const size_t web_embedded_count;

#endif
