/*
 * h_download.c - GET /collections/sites/download.gpkg: the whole
 * collection as a GeoPackage file, for GIS tools (QGIS, ArcGIS, GDAL)
 * to open as it is.
 *
 * The file is built once per snapshot (snapshot_gpkg: one build per data
 * version, however many requests ask) and sent without a copy: the
 * response holds a reference to the snapshot that owns the bytes until
 * libmicrohttpd is done with them.  The ETag is the data version's, weak
 * because the file records when it was built: two builds of the same data
 * hold the same sites but not the same bytes (RFC 9110 §8.8.1).
 */
#include <inttypes.h>
#include <stdio.h>

#include "handlers.h"

#define GPKG_TYPE "application/geopackage+sqlite3"

static const struct http_pspec gpkg_specs[] = {HTTP_SPEC_COLLECTION};
const struct http_params h_gpkg_params = HTTP_PARAMS(gpkg_specs);

static void release_snapshot(void *snap)
{
	snapshot_release(snap);
}

void h_gpkg(struct http_ctx *c, struct http_response *r)
{
	const unsigned char *data;
	size_t len;
	struct ms_error err = {0};
	if (snapshot_gpkg(c->snap, &data, &len, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return;
	}
	r->content_type = GPKG_TYPE;
	r->cacheable = true;
	snprintf(r->etag, sizeof r->etag, "W/\"gpkg-%016" PRIx64 "\"", c->snap->version);
	char disposition[96];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"sites-%016" PRIx64 ".gpkg\"",
	         c->snap->version);
	http_add_header(r, "Content-Disposition", disposition);
	/* the bytes are the snapshot's: hold it until they are sent */
	r->ext_body = data;
	r->ext_len = len;
	r->ext_release = release_snapshot;
	r->ext_arg = snapshot_retain((struct snapshot *)c->snap);
}
