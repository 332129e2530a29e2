/* export.c - a plan as GeoJSON and as GPX 1.1; see route.h. */
#include <stdio.h>
#include <time.h>

#include "../util/jsonw.h"
#include "route_int.h"

/* RFC 7946 §11.2: six decimals (about 0.1 m) is more than any site's
 * coordinate can claim. */
#define COORD_DECIMALS 6

static void position(struct jsonw *w, double lat, double lon)
{
	jw_array_begin(w);
	jw_fixed(w, lon, COORD_DECIMALS);
	jw_fixed(w, lat, COORD_DECIMALS);
	jw_array_end(w);
}

/* A string, or null for NULL. */
static void string_or_null(struct jsonw *w, const char *s)
{
	if (s)
		jw_string(w, s);
	else
		jw_null(w);
}

/* The leg's members: its quality first, then the numbers, whose bearing
 * and time are null for a leg that has none (route.h). */
static void leg_members(struct jsonw *w, const struct route_leg *l)
{
	bool ok = l->quality == ROUTE_LEG_OK;
	int sec = route_compass_sector(l->bearing_deg);
	char both[32];
	snprintf(both, sizeof both, "%s %s", route_compass_zh(sec), route_compass_en(sec));
	jw_key(w, "leg_quality");
	jw_string(w, route_leg_quality_name(l->quality));
	jw_key(w, "leg_distance_m");
	jw_fixed(w, l->distance_m, 1);
	jw_key(w, "leg_uncertainty_m");
	jw_fixed(w, l->uncertainty_m, 1);
	jw_key(w, "leg_time_min");
	jw_fixed(w, l->minutes, 1); /* NAN: null */
	jw_key(w, "bearing_deg");
	jw_fixed(w, l->bearing_deg, 1);
	jw_key(w, "bearing");
	string_or_null(w, ok ? both : NULL);
	jw_key(w, "bearing_zh");
	string_or_null(w, ok ? route_compass_zh(sec) : NULL);
	jw_key(w, "bearing_en");
	string_or_null(w, ok ? route_compass_en(sec) : NULL);
	if (!ok) {
		char note[ROUTE_NOTE_LEN];
		route_leg_note_zh(l, note);
		jw_key(w, "leg_note_zh");
		jw_string(w, note);
		route_leg_note_en(l, note);
		jw_key(w, "leg_note_en");
		jw_string(w, note);
	}
}

static void clock_member(struct jsonw *w, const char *key, double s)
{
	char c[HOURS_CLOCK_TEXT];
	route_clock(s, c);
	jw_key(w, key);
	jw_string(w, c);
}

/* Text or null. */
static void text_member(struct jsonw *w, const char *key, const char *v)
{
	jw_key(w, key);
	string_or_null(w, v && *v ? v : NULL);
}

/* The day in the summary: visits, date, clock, and the stops left out
 * with why. */
/* A missed stop's members: who, and why in both languages. */
static void missed_members(struct jsonw *w, const struct route_plan *p, const struct route_missed_stop *m)
{
	char note[ROUTE_NOTE_LEN];
	jw_key(w, "id");
	jw_string(w, site_field(m->site, SITE_ID));
	jw_key(w, "name_zh");
	jw_string(w, site_field(m->site, SITE_NAME_ZH));
	text_member(w, "name_en", site_field(m->site, SITE_NAME_EN));
	jw_key(w, "reason");
	jw_string(w, route_day_reason_name(m->reason));
	route_missed_zh(p, m, note);
	jw_key(w, "reason_zh");
	jw_string(w, note);
	route_missed_en(p, m, note);
	jw_key(w, "reason_en");
	jw_string(w, note);
}

static void day_members(struct jsonw *w, const struct route_plan *p)
{
	jw_key(w, "visit_total_min");
	jw_fixed(w, p->total_visit_min, 1);
	if (p->has_date) {
		char d[16];
		snprintf(d, sizeof d, "%04d-%02d-%02d", p->date.year, p->date.month, p->date.day);
		jw_key(w, "date");
		jw_string(w, d);
		jw_key(w, "day_order");
		jw_string(w, p->day_exact ? "exact" : "heuristic");
	}
	if (p->has_times) {
		clock_member(w, "start_time", p->start_s);
		clock_member(w, "end_time", p->end_s);
	}
	if (!p->has_date)
		return;
	jw_key(w, "missed");
	jw_array_begin(w);
	for (size_t i = 0; i < p->nmissed; i++) {
		const struct route_missed_stop *m = &p->missed[i];
		jw_object_begin(w);
		missed_members(w, p, m);
		struct buf day = BUF_INIT;
		route_hours_on_day(p, m->hours, true, &day);
		text_member(w, "hours_on_day", buf_str(&day));
		buf_free(&day);
		jw_object_end(w);
	}
	jw_array_end(w);
}

/* A stop's visit: its length, the clock, its hours. */
static void visit_members(struct jsonw *w, const struct route_plan *p, size_t i)
{
	const struct site *st = p->stops[i];
	text_member(w, "opening_hours", site_field(st, SITE_OPENING_HOURS));
	text_member(w, "opening_hours_text", site_field(st, SITE_OPENING_HOURS_TEXT));
	if (!p->times)
		return;
	const struct route_stop_time *t = &p->times[i];
	jw_key(w, "visit_min");
	jw_fixed(w, t->visit_min, 1);
	if (p->has_times) {
		clock_member(w, "arrive", t->arrive_s);
		clock_member(w, "visit_start", t->start_s);
		clock_member(w, "depart", t->depart_s);
		jw_key(w, "wait_min");
		jw_fixed(w, (t->start_s - t->arrive_s) / 60, 1);
	}
	if (p->has_date) {
		struct buf day = BUF_INIT;
		route_hours_on_day(p, t->hours, true, &day);
		text_member(w, "hours_on_day", buf_str(&day));
		buf_free(&day);
	}
}

/* The route's summary: the members of the route feature's properties. */
static void summary_members(struct jsonw *w, const struct route_plan *p, const struct route_sheet *s)
{
	jw_key(w, "kind");
	jw_string(w, "route");
	jw_key(w, "title");
	jw_string(w, route_sheet_title(s));
	jw_key(w, "start");
	position(w, p->start_lat, p->start_lon);
	jw_key(w, "mode");
	jw_string(w, route_mode_name(p->opt.mode));
	jw_key(w, "round_trip");
	jw_bool(w, p->has_return);
	jw_key(w, "stops");
	jw_int(w, (int64_t)p->n);
	jw_key(w, "total_distance_m");
	jw_fixed(w, p->total_distance_m, 1);
	jw_key(w, "total_time_min");
	jw_fixed(w, p->total_minutes, 1);
	jw_key(w, "approximate_stops");
	jw_int(w, (int64_t)p->approximate_stops);
	jw_key(w, "total_uncertainty_m");
	jw_fixed(w, p->total_uncertainty_m, 1);
	jw_key(w, "total_uncertainty_min");
	jw_fixed(w, p->total_uncertainty_minutes, 1);
	if (p->has_return) {
		jw_key(w, "return_leg");
		jw_object_begin(w);
		leg_members(w, &p->return_leg);
		jw_object_end(w);
	}
	day_members(w, p);
	jw_key(w, "estimated");
	jw_bool(w, true);
	jw_key(w, "note_zh");
	jw_string(w, route_estimate_note_zh);
	jw_key(w, "note_en");
	jw_string(w, route_estimate_note_en);
	char note[ROUTE_NOTE_LEN];
	route_uncertainty_zh(p, note);
	if (*note) {
		jw_key(w, "uncertainty_note_zh");
		jw_string(w, note);
		route_uncertainty_en(p, note);
		jw_key(w, "uncertainty_note_en");
		jw_string(w, note);
	}
}

/* A stop the day could not fit: a Point of kind "missed" after the stops,
 * so that a map shows where it is and why it is not on the route. */
static void missed_feature(struct jsonw *w, const struct route_plan *p, const struct route_missed_stop *m)
{
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Feature");
	jw_key(w, "id");
	jw_string(w, site_field(m->site, SITE_ID));
	jw_key(w, "properties");
	jw_object_begin(w);
	jw_key(w, "kind");
	jw_string(w, "missed");
	missed_members(w, p, m);
	jw_object_end(w);
	jw_key(w, "geometry");
	jw_object_begin(w);
	jw_key(w, "type");
	jw_string(w, "Point");
	jw_key(w, "coordinates");
	position(w, m->site->lat, m->site->lon);
	jw_object_end(w);
	jw_object_end(w);
}

void route_write_geojson(const struct route_plan *p, const struct route_sheet *s, struct buf *out)
{
	struct jsonw w;
	jw_init(&w, out);
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "FeatureCollection");
	jw_key(&w, "features");
	jw_array_begin(&w);

	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "Feature");
	jw_key(&w, "properties");
	jw_object_begin(&w);
	summary_members(&w, p, s);
	jw_object_end(&w);
	jw_key(&w, "geometry");
	jw_object_begin(&w);
	jw_key(&w, "type");
	jw_string(&w, "LineString");
	jw_key(&w, "coordinates");
	jw_array_begin(&w);
	position(&w, p->start_lat, p->start_lon);
	for (size_t i = 0; i < p->n; i++)
		position(&w, p->stops[i]->lat, p->stops[i]->lon);
	if (p->has_return)
		position(&w, p->start_lat, p->start_lon);
	jw_array_end(&w);
	jw_object_end(&w);
	jw_object_end(&w);

	for (size_t i = 0; i < p->n; i++) {
		const struct site *st = p->stops[i];
		jw_object_begin(&w);
		jw_key(&w, "type");
		jw_string(&w, "Feature");
		jw_key(&w, "id");
		jw_string(&w, site_field(st, SITE_ID));
		jw_key(&w, "properties");
		jw_object_begin(&w);
		jw_key(&w, "kind");
		jw_string(&w, "stop");
		jw_key(&w, "seq");
		jw_int(&w, (int64_t)i + 1);
		jw_key(&w, "id");
		jw_string(&w, site_field(st, SITE_ID));
		jw_key(&w, "name_zh");
		jw_string(&w, site_field(st, SITE_NAME_ZH));
		jw_key(&w, "name_en");
		string_or_null(&w, *site_field(st, SITE_NAME_EN) ? site_field(st, SITE_NAME_EN) : NULL);
		jw_key(&w, SITE_COLUMN_QUALITY);
		jw_string(&w, site_quality_name(st->quality));
		jw_key(&w, SITE_COLUMN_UNCERTAINTY);
		jw_fixed(&w, site_uncertainty(st), 1);
		jw_key(&w, "approximate");
		jw_bool(&w, site_quality_approximate(st->quality));
		leg_members(&w, &p->legs[i]);
		visit_members(&w, p, i);
		jw_object_end(&w);
		jw_key(&w, "geometry");
		jw_object_begin(&w);
		jw_key(&w, "type");
		jw_string(&w, "Point");
		jw_key(&w, "coordinates");
		position(&w, st->lat, st->lon);
		jw_object_end(&w);
		jw_object_end(&w);
	}
	for (size_t i = 0; i < p->nmissed; i++)
		missed_feature(&w, p, &p->missed[i]);
	jw_array_end(&w);
	jw_object_end(&w);
}

/* "3. 焦裕禄纪念馆 Jiao Yulu Memorial Hall": the number keeps the order
 * visible on devices that sort waypoints by name. */
static void gpx_stop_name(struct buf *out, size_t seq, const struct site *st)
{
	buf_printf(out, "<name>%zu. ", seq);
	html_escape(out, site_field(st, SITE_NAME_ZH));
	if (*site_field(st, SITE_NAME_EN)) {
		buf_putc(out, ' ');
		html_escape(out, site_field(st, SITE_NAME_EN));
	}
	buf_puts(out, "</name>");
}

static void gpx_point(struct buf *out, const char *tag, double lat, double lon)
{
	buf_printf(out, "<%s lat=\"%.6f\" lon=\"%.6f\">", tag, lat, lon);
}

/* What a stop's wpt and rtept say after the name, in the schema's order:
 * <desc> (the name again, the address, the honesty notes), <type> (the
 * arriving leg's quality) and our <extensions>. */
static void gpx_stop_details(struct buf *out, const struct route_plan *p, size_t i)
{
	size_t seq = i + 1;
	const struct site *st = p->stops[i];
	const struct route_leg *leg = &p->legs[i];
	char note[ROUTE_NOTE_LEN];
	bool approximate = site_quality_approximate(st->quality);
	/* desc repeats the name first: GPS units and gpsbabel's csv show desc
	 * in place of the name when present. */
	if (*site_field(st, SITE_ADDRESS) || approximate || leg->quality != ROUTE_LEG_OK || p->has_times) {
		buf_printf(out, "<desc>%zu. ", seq);
		html_escape(out, site_field(st, SITE_NAME_ZH));
		if (p->has_times && p->times) {
			char a[HOURS_CLOCK_TEXT], d[HOURS_CLOCK_TEXT];
			route_clock(p->times[i].start_s, a);
			route_clock(p->times[i].depart_s, d);
			buf_printf(out, " · %s–%s", a, d);
		}
		if (*site_field(st, SITE_ADDRESS)) {
			buf_puts(out, " · ");
			html_escape(out, site_field(st, SITE_ADDRESS));
		}
		if (approximate) {
			route_approx_zh(st, note);
			buf_printf(out, " · %s ", note);
			route_approx_en(st, note);
			buf_puts(out, note);
		}
		if (leg->quality != ROUTE_LEG_OK) {
			route_leg_note_zh(leg, note);
			buf_printf(out, " · %s ", note);
			route_leg_note_en(leg, note);
			buf_puts(out, note);
		}
		buf_puts(out, "</desc>");
	}
	buf_printf(out, "<type>%s</type>", route_leg_quality_name(leg->quality));
	buf_printf(out,
	           "<extensions><mapsvc:position quality=\"%s\" uncertainty_m=\"%.1f\"/>"
	           "<mapsvc:leg quality=\"%s\" distance_m=\"%.1f\" uncertainty_m=\"%.1f\"/></extensions>",
	           site_quality_name(st->quality), site_uncertainty(st), route_leg_quality_name(leg->quality),
	           leg->distance_m, leg->uncertainty_m);
}

/* Element order inside metadata, wpt and rte follows the xsd:sequence of
 * the GPX 1.1 schema (gpx.xsd: metadataType name, desc, ..., time;
 * wptType ..., name, cmt, desc, ...; rteType name, ..., rtept). */
void route_write_gpx(const struct route_plan *p, const struct route_sheet *s, struct buf *out)
{
	char when[32] = "1970-01-01T00:00:00Z";
	struct tm tm;
	time_t t = s ? s->generated : 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);

	buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	              "<gpx version=\"1.1\" creator=\"mapsvc\" xmlns=\"http://www.topografix.com/GPX/1/1\" "
	              "xmlns:mapsvc=\"" ROUTE_GPX_NS "\" "
	              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	              "xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 "
	              "http://www.topografix.com/GPX/1/1/gpx.xsd\">\n");
	buf_puts(out, "<metadata><name>");
	html_escape(out, route_sheet_title(s));
	char dist[32], mins[32];
	route_format_distance(p->total_distance_m, dist);
	route_format_minutes(p->total_minutes, mins);
	buf_printf(out, "</name><desc>%zu stops, %s, about %s (%s). ", p->n, dist, mins,
	           route_mode_name(p->opt.mode));
	html_escape(out, route_estimate_note_en);
	char note[ROUTE_NOTE_LEN];
	route_uncertainty_en(p, note);
	if (*note) {
		buf_putc(out, ' ');
		html_escape(out, note);
	}
	/* the stops the day could not fit are not on the route: say so */
	for (size_t i = 0; i < p->nmissed; i++) {
		buf_puts(out, i ? "; " : " Not in the plan: ");
		html_escape(out, site_field(p->missed[i].site, SITE_NAME_ZH));
		route_missed_en(p, &p->missed[i], note);
		buf_puts(out, " (");
		html_escape(out, note);
		buf_putc(out, ')');
	}
	buf_printf(out, "</desc><time>%s</time></metadata>\n", when);

	for (size_t i = 0; i < p->n; i++) {
		const struct site *st = p->stops[i];
		gpx_point(out, "wpt", st->lat, st->lon);
		gpx_stop_name(out, i + 1, st);
		gpx_stop_details(out, p, i);
		buf_puts(out, "</wpt>\n");
	}

	buf_puts(out, "<rte><name>");
	html_escape(out, route_sheet_title(s));
	buf_puts(out, "</name>\n");
	gpx_point(out, "rtept", p->start_lat, p->start_lon);
	buf_puts(out, "<name>0. ");
	html_escape(out, route_sheet_start(s));
	buf_puts(out, "</name></rtept>\n");
	for (size_t i = 0; i < p->n; i++) {
		gpx_point(out, "rtept", p->stops[i]->lat, p->stops[i]->lon);
		gpx_stop_name(out, i + 1, p->stops[i]);
		gpx_stop_details(out, p, i);
		buf_puts(out, "</rtept>\n");
	}
	if (p->has_return) {
		gpx_point(out, "rtept", p->start_lat, p->start_lon);
		buf_printf(out, "<name>%zu. ", p->n + 1);
		html_escape(out, route_sheet_start(s));
		buf_printf(out, "</name><type>%s</type></rtept>\n",
		           route_leg_quality_name(p->return_leg.quality));
	}
	buf_puts(out, "</rte>\n</gpx>\n");
}
