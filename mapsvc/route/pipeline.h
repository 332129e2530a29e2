/*
 * pipeline.h - a route sheet from request to bytes: the one pipeline that
 * GET /route and `mapsvc route` both call.
 *
 * A request names a start, the stops (ids, or the N sites nearest the
 * start), the options and a format; the pipeline chooses the stops in the
 * snapshot, plans the tour (route.h), draws the overview map when the
 * format shows one (overlay.h) and writes the sheet, answering with the
 * bytes, their media type and a file name.  So the formats, the map's
 * size and style and the printed date's time zone are decided here once.
 *
 * The one thing a front chooses is where the HTML sheet's map lives: the
 * server links it to its own static map (map_link: the /staticmap.png
 * URL, to which the map's parameters are appended, drawing the very same
 * picture), so the page stays small; a file has no server behind it, so
 * `mapsvc route` leaves map_link NULL and the map is embedded as a data:
 * URI PNG (RFC 2397), and the page stands alone (mail it, print it
 * offline).  The PDF always embeds its map.
 *
 * No I/O: everything is in memory.  Thread-safety: none of its own; the
 * drawing's context is the calling thread's (render/tile.h).
 */
#ifndef MS_ROUTE_PIPELINE_H
#define MS_ROUTE_PIPELINE_H

#include <stdbool.h>
#include <time.h>

#include "../render/tile.h"
#include "../store/snapshot.h"
#include "places.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "route.h"

enum route_format {
	ROUTE_FORMAT_JSON,
	ROUTE_FORMAT_GPX,
	ROUTE_FORMAT_HTML,
	ROUTE_FORMAT_PDF,
	ROUTE_FORMAT_ICS,
	ROUTE_FORMAT_PNG, /* the sheet's map alone (sheetmap.h): what the HTML sheet shows */
};
/* "json", "gpx", "html", "pdf", "ics", "png" in enum route_format order,
 * then NULL (the HTTP parameter table's value list). */
extern const char *const route_format_names[];
/* The format called s, or -1. */
int route_format_parse(const char *s);

/* The sheet's map (sheetmap.h) is drawn at 2x: 1800 px across the 186 mm
 * of an A4 page's text width, about 250 dpi, in ROUTE_MAP_STYLE. */
#define ROUTE_SHEET_MAP_SCALE 2
/* The printed date is China Standard Time (UTC+8, no daylight saving):
 * the sites' and their guides' time zone. */
#define ROUTE_SHEET_UTC_OFFSET_MIN 480

struct route_request {
	double from_lat, from_lon; /* the start, WGS-84 */
	const char *sites;         /* the stops: comma-separated ids, or NULL... */
	long nearest;              /* ...for the N sites nearest the start */
	struct route_options opt;
	/* The day (route.h's route_plan_make): a date plans with the opening
	 * hours; a start gives clock times; visits are by category unless
	 * visit_min (every stop) or visits ("ID:MIN,...", those stops) say. */
	bool has_date;
	struct hours_date date;
	bool has_start;
	int start_min;
	bool has_visit;
	int visit_min;
	const char *visits;
	enum route_format format;
	const char *title; /* NULL: the default title */
	time_t generated;  /* the sheet's date */
	/* HTML: where this route is served (".../route"): the sheet's map is
	 * that URL with this request's query and format=png; NULL: the map is
	 * embedded */
	const char *map_link;
	const char *site_url; /* the sites' pages (struct route_sheet's site_url), or NULL */
};

/* What draws the overview map: the map of the snapshot planned from, the
 * calling thread's context, and the styles ROUTE_MAP_STYLE is found in.
 * Borrowed for the call. */
struct route_drawing {
	struct tile_map *map;
	struct tile_ctx *ctx;
	const struct style *styles;
	size_t nstyles;
	const struct route_places *places; /* named on the map; may be NULL */
};

/* A sheet made. */
struct route_output {
	struct buf body;
	const char *content_type; /* static */
	const char *filename;     /* static: "route.gpx", "route.pdf"; NULL for pages shown as they are */
	bool attachment;          /* for saving rather than showing (GPX: a device's file) */
};

/* True when the request's format draws a map here (PDF, PNG; HTML
 * without a map_link), so that rq needs a drawing. */
bool route_request_draws(const struct route_request *rq);
/* The request as a query string (no '?'): what it plans, not how it is
 * written out, so format and title are left out; values percent-encoded. */
void route_request_query(const struct route_request *rq, struct buf *q);

/* Per-stop visits "ID:MIN,ID:MIN" into visit_min[] (aligned with
 * stops[0..n), left as they are for the stops not named).  MS_EUSAGE
 * naming "visits" and the item for an item that is not ID:MIN, an id that
 * is not one of the stops, a stop named twice or minutes outside
 * 0..ROUTE_VISIT_MAX_MIN. */
enum ms_status route_parse_visits(const char *text, const struct site *const *stops, size_t n,
                                  double *visit_min, struct ms_error *err);

/* Makes the sheet into out (whose body the caller frees, also on
 * failure).  Errors: MS_EUSAGE for a bad request (neither or both of
 * sites and nearest, a duplicate id, a start that is not a coordinate)
 * and MS_ENOTFOUND for an id the snapshot lacks, naming the parameter;
 * MS_EDATA when the styles have no ROUTE_MAP_STYLE; MS_EUSAGE naming
 * "date" for a calendar without a date; the writers' and the renderer's
 * errors.  draw may be NULL unless route_request_draws. */
enum ms_status route_sheet_make(const struct snapshot *snap, const struct route_request *rq,
                                const struct route_drawing *draw, struct route_output *out,
                                struct ms_error *err);

#endif
