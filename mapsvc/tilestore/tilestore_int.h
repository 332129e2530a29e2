/*
 * tilestore_int.h - the backends of tilestore.c, one file each.  Internal
 * to mapsvc/tilestore/: a new format is a file defining one more struct
 * tilestore_backend (the operations of tilestore.h) and a line in
 * tilestore.c's table.  Owns nothing; each backend's state is its own.
 */
#ifndef MS_TILESTORE_INT_H
#define MS_TILESTORE_INT_H

#include "tilestore.h"

/* MBTiles 1.3 (mbtiles.c). */
extern const struct tilestore_backend tilestore_mbtiles;

#endif
