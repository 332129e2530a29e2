/*
 * pipeline.c - a route sheet from request to bytes; see pipeline.h.
 */
#include "pipeline.h"

#include <string.h>

#include "../render/png.h"
#include "../util/html.h"
#include "../util/numparse.h"
#include "overlay.h"
#include "sheetmap.h"

const char *const route_format_names[] = {"json", "gpx", "html", "pdf", "ics", "png", NULL};

int route_format_parse(const char *s)
{
	for (int i = 0; route_format_names[i]; i++)
		if (!strcmp(s, route_format_names[i]))
			return i;
	return -1;
}

bool route_request_draws(const struct route_request *rq)
{
	return rq->format == ROUTE_FORMAT_PDF || rq->format == ROUTE_FORMAT_PNG ||
	       (rq->format == ROUTE_FORMAT_HTML && !rq->map_link);
}

enum ms_status route_parse_visits(const char *text, const struct site *const *stops, size_t n,
                                  double *visit_min, struct ms_error *err)
{
	bool named[ROUTE_MAX_STOPS] = {false};
	const char *p = text;
	for (;;) {
		size_t len = strcspn(p, ","), idlen = strcspn(p, ":");
		if (idlen >= len || idlen == 0)
			return ms_fail(err, MS_EUSAGE, "visits: '%.*s' is not ID:MINUTES",
			               (int)(len > 80 ? 80 : len), p);
		size_t k = 0;
		while (k < n && (strlen(site_field(stops[k], SITE_ID)) != idlen ||
		                 memcmp(site_field(stops[k], SITE_ID), p, idlen) != 0))
			k++;
		if (k == n)
			return ms_fail(err, MS_EUSAGE, "visits: '%.*s' is not a stop of this route",
			               (int)(idlen > 80 ? 80 : idlen), p);
		if (named[k])
			return ms_fail(err, MS_EUSAGE, "visits: '%s' is named twice",
			               site_field(stops[k], SITE_ID));
		named[k] = true;
		long long m;
		if (ms_parse_int(p + idlen + 1, len - idlen - 1, 0, ROUTE_VISIT_MAX_MIN, &m) != MS_PARSE_OK)
			return ms_fail(err, MS_EUSAGE, "visits: '%.*s' for '%s' is not 0..%d minutes",
			               (int)(len - idlen - 1 > 20 ? 20 : len - idlen - 1), p + idlen + 1,
			               site_field(stops[k], SITE_ID), ROUTE_VISIT_MAX_MIN);
		visit_min[k] = (double)m;
		if (!p[len])
			return MS_OK;
		p += len + 1;
	}
}

/* The plan of the request's start, stops and day. */
static enum ms_status plan_of(const struct snapshot *snap, const struct route_request *rq,
                              struct route_plan **plan, struct ms_error *err)
{
	if (!rq->sites == !rq->nearest)
		return ms_fail(err, MS_EUSAGE, "sites: give either sites=ID,... or nearest=N");
	const struct site *stops[ROUTE_MAX_STOPS];
	size_t n = 0;
	enum ms_status st =
	    rq->sites ? route_select_ids(snap, rq->sites, stops, &n, err)
	              : route_select_nearest(snap, rq->from_lat, rq->from_lon, rq->nearest, stops, &n, err);
	if (st != MS_OK)
		return st;
	double visit[ROUTE_MAX_STOPS];
	const struct hours *hours[ROUTE_MAX_STOPS];
	for (size_t i = 0; i < n; i++) {
		visit[i] = rq->has_visit ? rq->visit_min : route_visit_default_min(stops[i]->category);
		hours[i] = snapshot_hours(snap, (size_t)(stops[i] - snap->sites));
	}
	if (rq->visits && (st = route_parse_visits(rq->visits, stops, n, visit, err)) != MS_OK)
		return st;
	struct route_day day = {.has_date = rq->has_date,
	                        .date = rq->date,
	                        .start_min = rq->has_start ? rq->start_min : -1,
	                        .visit_min = visit,
	                        .hours = hours};
	return route_plan_make(rq->from_lat, rq->from_lon, stops, n, &rq->opt, &day, plan, err);
}

/* The sheet's map of the plan as PNG (sheetmap.h), at the plan's size. */
static enum ms_status map_png(const struct route_drawing *draw, const struct route_plan *p, struct buf *png,
                              struct ms_error *err)
{
	if (!draw || !draw->ctx)
		return ms_fail(err, MS_EINTERNAL, "route sheet: a map to draw and nothing to draw it with");
	const struct style *print = style_find(draw->styles, draw->nstyles, ROUTE_MAP_STYLE);
	if (!print) /* the server's or the folder's data, not the request */
		return ms_fail(err, MS_EDATA, "the styles have no %s style (%s.json) for the sheet's map",
		               ROUTE_MAP_STYLE, ROUTE_MAP_STYLE);
	struct glyphs *gl = tile_ctx_glyphs(draw->ctx, print, err);
	if (!gl)
		return err->status;
	int w, h;
	route_sheet_map_size(p, &w, &h);
	struct route_sheet_map m;
	enum ms_status st =
	    route_sheet_map_draw(p, print, gl, draw->places, w, h, ROUTE_SHEET_MAP_SCALE, &m, err);
	if (st == MS_OK)
		st = pngenc_encode(m.canvas, png, err);
	route_sheet_map_free(&m);
	return st;
}

static void query_value(struct buf *q, const char *key, const char *value)
{
	buf_printf(q, "&%s=", key);
	html_url_component(q, value);
}

void route_request_query(const struct route_request *rq, struct buf *q)
{
	buf_printf(q, "from=%.6f,%.6f", rq->from_lat, rq->from_lon);
	if (rq->sites)
		query_value(q, "sites", rq->sites);
	else
		buf_printf(q, "&nearest=%ld", rq->nearest);
	if (rq->opt.round_trip)
		buf_puts(q, "&return=1");
	buf_printf(q, "&mode=%s", route_mode_name(rq->opt.mode));
	if (rq->has_date)
		buf_printf(q, "&date=%04d-%02d-%02d", rq->date.year, rq->date.month, rq->date.day);
	if (rq->has_start) {
		char c[HOURS_CLOCK_TEXT];
		hours_format_clock(rq->start_min, c);
		buf_printf(q, "&start=%s", c);
	}
	if (rq->has_visit)
		buf_printf(q, "&visit=%d", rq->visit_min);
	if (rq->visits)
		query_value(q, "visits", rq->visits);
}

/* RFC 4648 base64, for the data: URI. */
static void base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	buf_reserve(out, (n + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_putc(out, tab[v >> 18 & 63]);
		buf_putc(out, tab[v >> 12 & 63]);
		buf_putc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* The HTML sheet, its map linked or embedded. */
static enum ms_status write_html(const struct route_request *rq, const struct route_drawing *draw,
                                 const struct route_plan *p, struct route_sheet *sheet, struct buf *out,
                                 struct ms_error *err)
{
	struct buf url = BUF_INIT, png = BUF_INIT;
	enum ms_status st = MS_OK;
	if (rq->map_link) {
		buf_printf(&url, "%s?", rq->map_link);
		route_request_query(rq, &url);
		buf_puts(&url, "&format=png");
	} else if ((st = map_png(draw, p, &png, err)) == MS_OK) {
		buf_puts(&url, "data:image/png;base64,");
		base64(&url, (const unsigned char *)png.data, png.len);
	}
	if (st == MS_OK) {
		sheet->map_url = buf_str(&url);
		route_sheet_map_size(p, &sheet->map_width, &sheet->map_height);
		route_write_html(p, sheet, out);
	}
	buf_free(&png);
	buf_free(&url);
	return st;
}

static enum ms_status write_pdf(const struct route_drawing *draw, const struct route_plan *p,
                                struct route_sheet *sheet, struct buf *out, struct ms_error *err)
{
	struct buf png = BUF_INIT;
	enum ms_status st = map_png(draw, p, &png, err);
	if (st == MS_OK) {
		sheet->map_png = (const unsigned char *)png.data;
		sheet->map_png_len = png.len;
		st = route_write_pdf(p, sheet, out, err);
	}
	buf_free(&png);
	return st;
}

enum ms_status route_sheet_make(const struct snapshot *snap, const struct route_request *rq,
                                const struct route_drawing *draw, struct route_output *out,
                                struct ms_error *err)
{
	out->content_type = NULL;
	out->filename = NULL;
	out->attachment = false;
	if (rq->format == ROUTE_FORMAT_ICS && !rq->has_date)
		return ms_fail(err, MS_EUSAGE,
		               "date: a calendar needs the day of the visit (date=YYYY-MM-DD)");
	struct route_plan *plan = NULL;
	enum ms_status st = plan_of(snap, rq, &plan, err);
	if (st != MS_OK)
		return st;
	struct route_sheet sheet = {.title = rq->title,
	                            .generated = rq->generated,
	                            .utc_offset_min = ROUTE_SHEET_UTC_OFFSET_MIN,
	                            .site_url = rq->site_url};
	switch (rq->format) {
	case ROUTE_FORMAT_JSON:
		route_write_geojson(plan, &sheet, &out->body);
		out->content_type = "application/geo+json";
		break;
	case ROUTE_FORMAT_GPX:
		route_write_gpx(plan, &sheet, &out->body);
		out->content_type = "application/gpx+xml";
		out->filename = "route.gpx";
		out->attachment = true;
		break;
	case ROUTE_FORMAT_HTML:
		st = write_html(rq, draw, plan, &sheet, &out->body, err);
		out->content_type = "text/html; charset=utf-8";
		break;
	case ROUTE_FORMAT_PDF:
		st = write_pdf(draw, plan, &sheet, &out->body, err);
		out->content_type = "application/pdf";
		out->filename = "route.pdf";
		break;
	case ROUTE_FORMAT_ICS:
		route_write_ics(plan, &sheet, &out->body);
		/* RFC 5545 §8.1 */
		out->content_type = "text/calendar; charset=utf-8";
		out->filename = "route.ics";
		out->attachment = true;
		break;
	case ROUTE_FORMAT_PNG:
		st = map_png(draw, plan, &out->body, err);
		out->content_type = "image/png";
		break;
	default: st = ms_fail(err, MS_EUSAGE, "format: %d is not a sheet format", (int)rq->format);
	}
	route_plan_free(plan);
	return st;
}
