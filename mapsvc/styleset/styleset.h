/*
 * styleset.h - the map's looks as loaded from disk: every style file of a
 * folder (styles/NAME.json) and the context GeoJSON files they name, read,
 * parsed and owned together.
 *
 * This is the I/O edge of styling: render/ parses texts (style_parse,
 * geodata_parse) and never opens a file; the loader reads the folder, each
 * style file and each context file (with its real size, refusing absurd
 * ones before reading), and resolves a source's "data" as
 * styles/README.md documents: a path relative to the folder above the
 * styles folder (share/mapsvc holds styles/ and basemap/, as does a build
 * folder), else to that folder's data/ (the source tree's data/basemap/).
 * A file named by several styles of one set is read once and shared.
 *
 * Errors keep the style's "FILE:LINE: reason" form: a missing or broken
 * context file is reported at the line of its source's "data" member
 * ("STYLE:LINE: source "NAME": FILE:LINE: reason").
 *
 * Ownership and threads: a styleset owns its styles and every context
 * geometry they borrow, and styleset_free releases all of it at once.  It
 * is immutable once loaded, so any number of threads may read it; the
 * owner frees it only when nothing uses it any more (no tile_map made over
 * its styles, no request in flight).  Reloading is loading a new set
 * beside the old one (which keeps serving; a broken folder leaves it
 * untouched), swapping, and freeing the old set after its last user.
 */
#ifndef MS_STYLESET_H
#define MS_STYLESET_H

#include <stddef.h>

#include "../render/style.h"
#include "../util/ms_error.h"

struct styleset;

/* Every *.json of dir, sorted by file name (an empty folder gives an empty
 * set).  Errors: MS_EIO for the folder or a file that cannot be read,
 * MS_EDATA "FILE:LINE: reason" for a broken style or context file; *out is
 * NULL then and nothing is left to free. */
enum ms_status styleset_load_dir(const char *dir, struct styleset **out, struct ms_error *err);
/* One style file (and its context files) as a set of one. */
enum ms_status styleset_load_file(const char *path, struct styleset **out, struct ms_error *err);
/* Frees the set, its styles and their context geometry; NULL is fine. */
void styleset_free(struct styleset *set);

/* The styles, sorted by name, borrowed for the set's lifetime; *n gets
 * their count. */
const struct style *styleset_styles(const struct styleset *set, size_t *n);
/* The style called name, or NULL. */
const struct style *styleset_find(const struct styleset *set, const char *name);
/* Context files read (each once), for tests and metrics. */
size_t styleset_files(const struct styleset *set);

#endif
