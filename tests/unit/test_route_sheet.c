/* test_route_sheet.c - plans from coordinates and the four sheet writers,
 * checked with the tools a user would open them with: jansson for the
 * GeoJSON, gpsbabel for the GPX, pdftotext/pdfinfo/pdffonts for the PDF.
 * And the honesty rules on the Gaotai visit of issue 12 (four sites on
 * one recorded point, ±1 to ±40 km): "same place" and "position
 * unverified" legs without bearing or time in every format, approximate
 * stops marked, the totals' error bounded.
 * Set MAPSVC_ROUTE_OUT=DIR to keep the sheets for a look. */
#include <cairo.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "geo/geo.h"
#include "route/route.h"
#include "route/route_int.h"

static struct site_set *load_sites(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	struct site_set *set = site_set_new();
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *col[8] = {0};
		char *p = line;
		for (int i = 0; i < 8; i++) {
			col[i] = p;
			p = strchr(p, '\t');
			if (!p && i < 7) {
				fprintf(stderr, "%s: short line\n", path);
				exit(1);
			}
			if (p)
				*p++ = '\0';
		}
		struct site_draft s = {0};
		s.field[SITE_ID] = col[0];
		s.field[SITE_NAME_ZH] = col[1];
		s.field[SITE_NAME_EN] = col[2];
		s.field[SITE_ADDRESS] = col[3];
		s.field[SITE_OPENING_HOURS] = col[4];
		s.field[SITE_DESCRIPTION] = col[5];
		s.lat = atof(col[6]);
		s.lon = atof(col[7]);
		site_set_add(set, &s);
	}
	fclose(f);
	return set;
}

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	struct buf b = BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, p)) > 0)
		buf_append(&b, tmp, n);
	int rc = pclose(p);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static bool have_tool(const char *name)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static char tmpdir[512];

static void write_file(const char *name, const void *data, size_t n, char *path, size_t pathsz)
{
	snprintf(path, pathsz, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
	const char *keep = getenv("MAPSVC_ROUTE_OUT");
	if (keep && *keep) {
		char k[1024];
		snprintf(k, sizeof k, "%s/%s", keep, name);
		FILE *g = fopen(k, "wb");
		if (g) {
			fwrite(data, 1, n, g);
			fclose(g);
		}
	}
}

/* Each needle appears in hay, in order, after the previous one. */
static bool in_order(const char *hay, const char *const *needles, size_t n, const char **after)
{
	const char *at = hay;
	for (size_t i = 0; i < n; i++) {
		const char *f = strstr(at, needles[i]);
		if (!f) {
			fprintf(stderr, "missing or out of order: %s\n", needles[i]);
			return false;
		}
		at = f + strlen(needles[i]);
	}
	if (after)
		*after = at;
	return true;
}

static const double START_LAT = 36.8100, START_LON = 118.0500; /* Zhangdian, Zibo */

static void test_plan(const struct site_set *set)
{
	const struct site *ptrs[10];
	for (size_t i = 0; i < 10; i++)
		ptrs[i] = &set->v[i];
	for (int rt = 0; rt <= 1; rt++) {
		struct route_options opt = {rt, ROUTE_DRIVE};
		struct route_plan *p = NULL;
		struct ms_error err = {0};
		CHECK_INT(route_plan_build(START_LAT, START_LON, ptrs, 10, &opt, &p, &err), MS_OK);
		if (!p)
			continue;
		CHECK_INT(p->n, 10);
		CHECK(p->has_return == (rt == 1));
		double sum = 0, lat = START_LAT, lon = START_LON;
		for (size_t i = 0; i < p->n; i++) {
			double d, az;
			geo_inverse(lat, lon, p->stops[i]->lat, p->stops[i]->lon, &d, &az);
			CHECK_NEAR(p->legs[i].distance_m, d, 1e-6);
			CHECK_NEAR(p->legs[i].bearing_deg, az, 1e-9);
			CHECK_NEAR(p->legs[i].minutes, d * ROUTE_DRIVE_DETOUR / (ROUTE_DRIVE_KMH / 0.06),
			           1e-9);
			sum += d;
			lat = p->stops[i]->lat;
			lon = p->stops[i]->lon;
		}
		if (rt)
			sum += geo_distance_m(lat, lon, START_LAT, START_LON);
		CHECK_NEAR(p->total_distance_m, sum, 1e-6);
		/* Optimal: no order of the same stops is shorter; spot-check
		 * against every swap of two stops and the input order. */
		for (size_t a = 0; a < 10; a++) {
			for (size_t b = a + 1; b < 10; b++) {
				struct route_plan q = *p;
				const struct site *sw[10];
				struct route_leg legs[10];
				memcpy(sw, p->stops, sizeof sw);
				const struct site *t = sw[a];
				sw[a] = sw[b];
				sw[b] = t;
				q.stops = sw;
				q.legs = legs;
				route_plan_compute_legs(&q);
				CHECK(q.total_distance_m >= p->total_distance_m - 1e-6);
			}
		}
		route_plan_free(p);
	}
	/* A round trip over the real stops is at least as long as the open
	 * path (it adds a leg). */
}

static void test_plan_errors(const struct site_set *set)
{
	struct route_options opt = {false, ROUTE_WALK};
	struct route_plan *p = (struct route_plan *)1;
	struct ms_error err = {0};
	const struct site *dup[3] = {&set->v[0], &set->v[1], &set->v[0]};
	CHECK_INT(route_plan_build(START_LAT, START_LON, dup, 3, &opt, &p, &err), MS_EUSAGE);
	CHECK(p == NULL);
	CHECK_MSG(strstr(err.msg, "zb-heitieshan-memorial") != NULL, "%s", err.msg);
	CHECK_INT(route_plan_build(START_LAT, START_LON, dup, 0, &opt, &p, &err), MS_EUSAGE);
	const struct site *many[51];
	for (int i = 0; i < 51; i++)
		many[i] = &set->v[i % 10];
	CHECK_INT(route_plan_build(START_LAT, START_LON, many, 51, &opt, &p, &err), MS_EUSAGE);
	CHECK_MSG(strstr(err.msg, "51") != NULL, "%s", err.msg);
	CHECK_INT(route_plan_build(91, START_LON, dup, 2, &opt, &p, &err), MS_EUSAGE);
	CHECK(strstr(err.msg, "91") != NULL);
}

static void test_geojson(const struct route_plan *p, const struct route_sheet *sh)
{
	struct buf b = BUF_INIT;
	route_write_geojson(p, sh, &b);
	json_error_t je;
	json_t *root = json_loads(buf_str(&b), 0, &je);
	CHECK_MSG(root != NULL, "GeoJSON does not parse: %s at %d", je.text, je.position);
	if (root) {
		CHECK_STR(json_string_value(json_object_get(root, "type")), "FeatureCollection");
		/* RFC 7946 §7.1: no "properties" on the collection; the summary is
		 * the route feature's */
		CHECK(json_object_get(root, "properties") == NULL);
		json_t *props =
		    json_object_get(json_array_get(json_object_get(root, "features"), 0), "properties");
		CHECK_STR(json_string_value(json_object_get(props, "kind")), "route");
		CHECK_INT(json_integer_value(json_object_get(props, "stops")), p->n);
		CHECK_NEAR(json_real_value(json_object_get(props, "total_distance_m")), p->total_distance_m,
		           0.06);
		CHECK(json_is_true(json_object_get(props, "round_trip")) == p->has_return);
		json_t *feats = json_object_get(root, "features");
		CHECK_INT(json_array_size(feats), p->n + 1);
		json_t *line = json_object_get(json_array_get(feats, 0), "geometry");
		CHECK_STR(json_string_value(json_object_get(line, "type")), "LineString");
		json_t *coords = json_object_get(line, "coordinates");
		CHECK_INT(json_array_size(coords), p->n + 1 + (p->has_return ? 1 : 0));
		CHECK_NEAR(json_real_value(json_array_get(json_array_get(coords, 0), 0)), START_LON, 1e-6);
		CHECK_NEAR(json_real_value(json_array_get(json_array_get(coords, 0), 1)), START_LAT, 1e-6);
		for (size_t i = 0; i < p->n; i++) {
			json_t *f = json_array_get(feats, i + 1);
			json_t *fp = json_object_get(f, "properties");
			CHECK_STR(json_string_value(json_object_get(f, "id")),
			          site_field(p->stops[i], SITE_ID));
			CHECK_INT(json_integer_value(json_object_get(fp, "seq")), i + 1);
			CHECK_STR(json_string_value(json_object_get(fp, "name_zh")),
			          site_field(p->stops[i], SITE_NAME_ZH));
			CHECK_NEAR(json_number_value(json_object_get(fp, "leg_distance_m")),
			           p->legs[i].distance_m, 0.06);
			CHECK_NEAR(json_number_value(json_object_get(fp, "bearing_deg")),
			           p->legs[i].bearing_deg, 0.06);
			int sec = route_compass_sector(p->legs[i].bearing_deg);
			CHECK_STR(json_string_value(json_object_get(fp, "bearing_zh")),
			          route_compass_zh(sec));
			json_t *pt = json_object_get(json_object_get(f, "geometry"), "coordinates");
			CHECK_NEAR(json_real_value(json_array_get(pt, 1)), p->stops[i]->lat, 1e-6);
			/* the line passes through the stops in the same order */
			CHECK_NEAR(json_real_value(json_array_get(json_array_get(coords, i + 1), 1)),
			           p->stops[i]->lat, 1e-6);
		}
		json_decref(root);
	}
	buf_free(&b);
}

static void test_gpx(const struct route_plan *p, const struct route_sheet *sh)
{
	struct buf b = BUF_INIT;
	route_write_gpx(p, sh, &b);
	CHECK(strstr(buf_str(&b), "<time>2024-05-01T01:30:00Z</time>") != NULL);
	CHECK(strstr(buf_str(&b), "xmlns=\"http://www.topografix.com/GPX/1/1\"") != NULL);
	char path[1024];
	write_file(p->has_return ? "route-rt.gpx" : "route.gpx", b.data, b.len, path, sizeof path);
	if (!have_tool("gpsbabel")) {
		printf("SKIP gpx: gpsbabel is not installed\n");
		buf_free(&b);
		return;
	}
	char cmd[1200];
	/* gpsbabel's csv lists the waypoints, then the route points, as
	 * "lat, lon, name" with 5 decimals and the spaces of names removed. */
	snprintf(cmd, sizeof cmd, "gpsbabel -i gpx -f '%s' -o csv -F - 2>&1", path);
	char *out = run(cmd);
	CHECK_MSG(out != NULL, "gpsbabel rejected %s", path);
	if (out) {
		size_t want = p->n + p->n + 1 + (p->has_return ? 1 : 0), lines = 0;
		char *line[2 * ROUTE_MAX_STOPS + 2];
		for (char *q = strtok(out, "\n"); q && lines < want + 1; q = strtok(NULL, "\n"))
			line[lines++] = q;
		CHECK_INT(lines, want);
		for (size_t i = 0; i < lines && i < want; i++) {
			/* waypoint i+1, or route point i-n (0 = the start) */
			size_t seq = i < p->n ? i + 1 : i - p->n;
			bool at_start = i >= p->n && (seq == 0 || seq == p->n + 1);
			double elat = at_start ? START_LAT : p->stops[seq - 1]->lat;
			double elon = at_start ? START_LON : p->stops[seq - 1]->lon;
			char name[300], *w = name;
			w += snprintf(name, sizeof name, "%zu.", seq);
			const char *src =
			    at_start ? "张店区人民公园" : site_field(p->stops[seq - 1], SITE_NAME_ZH);
			for (; *src && w < name + sizeof name - 1; src++)
				if (*src != ' ')
					*w++ = *src;
			*w = '\0';
			double lat = 0, lon = 0;
			CHECK_MSG(sscanf(line[i], "%lf, %lf", &lat, &lon) == 2 && fabs(lat - elat) < 6e-6 &&
			              fabs(lon - elon) < 6e-6,
			          "line %zu: %s, want %.6f, %.6f", i + 1, line[i], elat, elon);
			CHECK_MSG(strstr(line[i], name) != NULL, "line %zu: %s, want %s", i + 1, line[i],
			          name);
		}
		free(out);
	}
	buf_free(&b);
}

static cairo_status_t png_to_buf(void *closure, const unsigned char *data, unsigned int length)
{
	buf_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

/* A stand-in overview map: the route drawn in a box, as PNG bytes. */
static void make_map(const struct route_plan *p, struct buf *png)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 800, 500);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.93, 0.95, 0.9);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.75, 0, 0);
	cairo_set_line_width(cr, 4);
	double x0 = 117.9, y1 = 36.9, sx = 800 / 0.5, sy = 500 / 0.9;
	cairo_move_to(cr, (p->start_lon - x0) * sx, (y1 - p->start_lat) * sy);
	for (size_t i = 0; i < p->n; i++)
		cairo_line_to(cr, (p->stops[i]->lon - x0) * sx, (y1 - p->stops[i]->lat) * sy);
	cairo_stroke(cr);
	cairo_surface_write_to_png_stream(s, png_to_buf, png);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
}

static void test_html(const struct route_plan *p, const struct route_sheet *sh)
{
	struct buf b = BUF_INIT;
	route_write_html(p, sh, &b);
	const char *h = buf_str(&b);
	CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(h, "<html lang=\"zh-CN\">") != NULL);
	CHECK(strstr(h, "@page{size:A4") != NULL);
	CHECK(strstr(h, "@media print") != NULL);
	CHECK(
	    strstr(h,
	           "<img class=\"route-map\" "
	           "src=\"http://127.0.0.1:8080/staticmap.png?bbox=117.9,36.2,118.4,36.9&amp;width=800\"") !=
	    NULL);
	CHECK(strstr(h, "2024-05-01") != NULL); /* 09:30 in UTC+8 */
	CHECK(strstr(h, route_estimate_note_zh) != NULL);
	const char *names[ROUTE_MAX_STOPS];
	for (size_t i = 0; i < p->n; i++)
		names[i] = site_field(p->stops[i], SITE_NAME_ZH);
	/* one row a stop, in visiting order, each with its summary */
	CHECK(in_order(strstr(h, "<table"), names, p->n, NULL));
	struct buf summary = BUF_INIT;
	route_summary(site_field(p->stops[0], SITE_DESCRIPTION), ROUTE_SUMMARY_CHARS, &summary);
	CHECK(summary.len > 20 && strstr(h, buf_str(&summary)) != NULL);
	buf_free(&summary);
	/* headers never wrap: "序号" and "No." are lines of their own */
	CHECK(strstr(h, "th{background:#f3e3e3;white-space:nowrap") != NULL);
	CHECK(strstr(h, "<th>序号<br><span class=\"en\">No.</span></th>") != NULL);
	char path[1024];
	write_file(p->has_return ? "route-rt.html" : "route.html", b.data, b.len, path, sizeof path);
	if (!p->has_return) {
		/* print with a real 800 x 500 map beside the page, so the page
		 * count includes it */
		struct buf png = BUF_INIT;
		char mpath[1024], url[1100];
		make_map(p, &png);
		write_file("map.png", png.data, png.len, mpath, sizeof mpath);
		buf_free(&png);
		snprintf(url, sizeof url, "file://%s", mpath);
		struct route_sheet withmap = *sh;
		withmap.map_url = url;
		buf_reset(&b);
		route_write_html(p, &withmap, &b);
		write_file("route-map.html", b.data, b.len, path, sizeof path);
		const char *chrome = have_tool("chromium") ? "chromium" : NULL;
		if (!chrome) {
			printf("SKIP html page count: chromium is not installed\n");
		} else if (have_tool("pdfinfo")) {
			char cmd[4096];
			snprintf(cmd, sizeof cmd,
			         "d=$(mktemp -d) && %s --headless --no-sandbox --disable-gpu "
			         "--disable-background-networking "
			         "--disable-component-update --disable-sync --no-pdf-header-footer "
			         "--user-data-dir=$d "
			         "--print-to-pdf='%s.pdf' 'file://%s' >/dev/null 2>&1; rm -rf \"$d\"; "
			         "pdfinfo '%s.pdf' | sed -n 's/^Pages: *//p'",
			         chrome, path, path, path);
			char *out = run(cmd);
			CHECK_MSG(out && atoi(out) >= 1 && atoi(out) <= 2, "ten stops print on %s pages",
			          out ? out : "?");
			free(out);
		}
	}
	buf_free(&b);
}

static void test_pdf(const struct route_plan *p, const struct route_sheet *sh0)
{
	struct buf png = BUF_INIT, pdf = BUF_INIT;
	make_map(p, &png);
	struct route_sheet sh = *sh0;
	sh.map_png = (const unsigned char *)png.data;
	sh.map_png_len = png.len;
	struct ms_error err = {0};
	CHECK_INT(route_write_pdf(p, &sh, &pdf, &err), MS_OK);
	CHECK(pdf.len > 1000 && memcmp(pdf.data, "%PDF-", 5) == 0);
	char path[1024];
	write_file(p->has_return ? "route-rt.pdf" : "route.pdf", pdf.data, pdf.len, path, sizeof path);
	if (!have_tool("pdftotext") || !have_tool("pdfinfo") || !have_tool("pdffonts")) {
		printf("SKIP pdf text checks: poppler-utils are not installed\n");
	} else {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' - 2>&1", path);
		char *text = run(cmd);
		CHECK_MSG(text != NULL, "pdftotext failed on %s", path);
		if (text) {
			const char *names[ROUTE_MAX_STOPS];
			for (size_t i = 0; i < p->n; i++)
				names[i] = site_field(p->stops[i], SITE_NAME_ZH);
			CHECK(in_order(text, names, p->n, NULL));
			CHECK(strstr(text, "未使用道路网络") != NULL);
			CHECK(strstr(text, "Page 1 of ") != NULL);
			free(text);
		}
		snprintf(cmd, sizeof cmd, "pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
		char *pages = run(cmd);
		CHECK_MSG(pages && atoi(pages) >= 1 && atoi(pages) <= 2, "ten stops on %s pages",
		          pages ? pages : "?");
		if (pages) {
			char want[64];
			snprintf(want, sizeof want, "Page 1 of %d", atoi(pages));
			snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' - 2>&1", path);
			char *again = run(cmd);
			CHECK(again && strstr(again, want) != NULL);
			free(again);
		}
		free(pages);
		/* the font is embedded (a subset), not referenced by name */
		snprintf(cmd, sizeof cmd, "pdffonts '%s'", path);
		char *fonts = run(cmd);
		CHECK(fonts && strstr(fonts, "WenQuanYi") != NULL);
		CHECK(fonts && strstr(fonts, " yes yes ") != NULL);
		free(fonts);
	}

	/* broken inputs fail cleanly */
	struct buf junk = BUF_INIT;
	sh.map_png = (const unsigned char *)"not a png at all";
	sh.map_png_len = 16;
	CHECK_INT(route_write_pdf(p, &sh, &junk, &err), MS_EDATA);
	sh.map_png = NULL;
	sh.font_path = "no-such-font.ttc";
	CHECK_INT(route_write_pdf(p, &sh, &junk, &err), MS_EIO);
	CHECK(strstr(err.msg, "no-such-font.ttc") != NULL);
	buf_free(&junk);
	buf_free(&png);
	buf_free(&pdf);
}

static void test_escaping(void)
{
	struct site_draft s = {0};
	for (int f = 0; f < SITE_NFIELDS; f++)
		s.field[f] = "";
	s.field[SITE_ID] = "x-1";
	s.field[SITE_NAME_ZH] = "\"红\"&<旧址>";
	s.field[SITE_NAME_EN] = "Tom's <b>Hall</b> & more\x01";
	s.lat = 36.8;
	s.lon = 118.1;
	s.extra = "{}";
	struct site_set *made = site_set_new();
	const struct site *one = site_set_add(made, &s);
	struct route_options opt = {true, ROUTE_WALK};
	struct route_plan *p = NULL;
	CHECK_INT(route_plan_build(36.81, 118.05, &one, 1, &opt, &p, NULL), MS_OK);
	if (!p) {
		site_set_free(made);
		return;
	}
	struct route_sheet sh = {.title = "A<B", .generated = 0};
	struct buf b = BUF_INIT;
	route_write_gpx(p, &sh, &b);
	CHECK(strstr(buf_str(&b), "<name>1. &quot;红&quot;&amp;&lt;旧址&gt; Tom&#39;s "
	                          "&lt;b&gt;Hall&lt;/b&gt; &amp; more</name>") != NULL);
	CHECK(strstr(buf_str(&b), "<name>A&lt;B</name>") != NULL);
	buf_reset(&b);
	route_write_html(p, &sh, &b);
	CHECK(strstr(buf_str(&b), "<b>Hall") == NULL);
	CHECK(strstr(buf_str(&b), "&lt;b&gt;Hall") != NULL);
	buf_reset(&b);
	route_write_geojson(p, &sh, &b);
	json_t *root = json_loads(buf_str(&b), 0, NULL);
	CHECK(root != NULL);
	json_t *fp = json_object_get(json_array_get(json_object_get(root, "features"), 1), "properties");
	CHECK_STR(json_string_value(json_object_get(fp, "name_zh")), "\"红\"&<旧址>");
	json_decref(root);
	buf_free(&b);
	route_plan_free(p);
	site_set_free(made);
}

/* What an unusable leg's note says in English (route.h), rebuilt here:
 * "same place · at most 80 km apart", the bound the recorded distance
 * plus the ends' radii. */
static void leg_note_en(const struct route_leg *l, char *out, size_t n)
{
	char bound[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(l->distance_m + l->uncertainty_m, bound);
	snprintf(out, n, "%s · at most %s apart", route_leg_quality_en(l->quality), bound + strlen("±"));
}

/* Occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The Gaotai sites guides link into one visit, as data/sites.csv places
 * them: all four on the county's reference point, with their radii. */
static struct site_set *gaotai_sites(void)
{
	static const struct {
		const char *id, *zh, *en;
		enum site_quality q;
		double m, lat, lon;
	} rows[] = {
	    {"gt-west-route-memorial", "中国工农红军西路军纪念馆", "Western Route Army Memorial Hall",
	     SITE_QUALITY_VILLAGE, 1000, 39.379379, 99.826863},
	    {"gt-red-army-locust", "红军槐", "Red Army Locust Tree", SITE_QUALITY_TOWN, 2500, 39.379379,
	     99.826863},
	    {"gt-red-army-camp", "红军营", "Red Army Camp", SITE_QUALITY_COUNTY, 40000, 39.379379, 99.826863},
	    {"gt-red-memory-museum", "红色记忆博物馆", "Red Memory Museum", SITE_QUALITY_COUNTY, 40000,
	     39.379379, 99.826863},
	    /* a surveyed stop far enough for an ok leg from an approximate one */
	    {"zz-far", "远处纪念碑", "A distant monument", SITE_QUALITY_SURVEYED, 30, 39.9, 99.3},
	};
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct site_draft s = {0};
		s.field[SITE_ID] = rows[i].id;
		s.field[SITE_NAME_ZH] = rows[i].zh;
		s.field[SITE_NAME_EN] = rows[i].en;
		s.quality = rows[i].q;
		s.uncertainty_m = rows[i].m;
		s.lat = rows[i].lat;
		s.lon = rows[i].lon;
		site_set_add(set, &s);
	}
	return set;
}

/* The plan: the four Gaotai stops first (one point, 2.5 km from the
 * start), three "same place" legs between them, then the far stop. */
static void check_gaotai_plan(const struct route_plan *p)
{
	CHECK_INT(p->n, 5);
	CHECK_INT(p->approximate_stops, 4);
	CHECK_STR(site_field(p->stops[4], SITE_ID), "zz-far");
	double bound = 0, prev_r = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct route_leg *l = &p->legs[i];
		double r = site_uncertainty(p->stops[i]);
		CHECK_NEAR(l->uncertainty_m, prev_r + r, 0);
		bound += l->uncertainty_m;
		enum route_leg_quality want = i == 0
		                                  ? (l->distance_m < r ? ROUTE_LEG_UNVERIFIED : ROUTE_LEG_OK)
		                              : i < 4 ? ROUTE_LEG_SAME_PLACE
		                                      : ROUTE_LEG_OK;
		CHECK_MSG(l->quality == want, "leg %zu: %s", i + 1, route_leg_quality_name(l->quality));
		CHECK_MSG(l->quality == ROUTE_LEG_OK ? isfinite(l->bearing_deg) && isfinite(l->minutes)
		                                     : isnan(l->bearing_deg) && isnan(l->minutes),
		          "leg %zu: bearing %g, minutes %g", i + 1, l->bearing_deg, l->minutes);
		CHECK(l->approximate); /* every leg touches a Gaotai stop */
		prev_r = r;
	}
	CHECK_NEAR(p->total_uncertainty_m, bound, 1e-9);
	CHECK_NEAR(p->total_uncertainty_minutes, route_estimate_minutes(bound, p->opt.mode), 1e-9);
	CHECK_NEAR(p->total_minutes, route_estimate_minutes(p->total_distance_m, p->opt.mode), 1e-9);
}

static void test_gaotai(void)
{
	struct site_set *set = gaotai_sites();
	const struct site *ptrs[5];
	for (size_t i = 0; i < set->n; i++)
		ptrs[i] = &set->v[i];
	struct route_options opt = {false, ROUTE_DRIVE};
	struct route_plan *p = NULL;
	struct ms_error err = {0};
	/* a start in the county seat, 2.5 km south-west of the point */
	CHECK_INT(route_plan_build(39.37, 99.80, ptrs, 5, &opt, &p, &err), MS_OK);
	if (!p)
		return;
	check_gaotai_plan(p);
	struct route_sheet sh = {.title = "高台红色教育路线", .generated = 1714527000, .utc_offset_min = 480};

	/* GeoJSON: the flag and null bearing/time per leg, the positions. */
	struct buf b = BUF_INIT;
	route_write_geojson(p, &sh, &b);
	json_t *root = json_loads(buf_str(&b), 0, NULL);
	CHECK(root != NULL);
	json_t *props = json_object_get(json_array_get(json_object_get(root, "features"), 0), "properties");
	CHECK_INT(json_integer_value(json_object_get(props, "approximate_stops")), 4);
	CHECK_NEAR(json_number_value(json_object_get(props, "total_uncertainty_m")), p->total_uncertainty_m,
	           0.06);
	CHECK(strstr(json_string_value(json_object_get(props, "uncertainty_note_zh")),
	             "5 站中有 4 站位置为近似") != NULL);
	for (size_t i = 0; i < p->n; i++) {
		json_t *fp =
		    json_object_get(json_array_get(json_object_get(root, "features"), i + 1), "properties");
		const struct route_leg *l = &p->legs[i];
		CHECK_STR(json_string_value(json_object_get(fp, "leg_quality")),
		          route_leg_quality_name(l->quality));
		CHECK_STR(json_string_value(json_object_get(fp, "position_quality")),
		          site_quality_name(p->stops[i]->quality));
		CHECK_NEAR(json_number_value(json_object_get(fp, "position_uncertainty_m")),
		           site_uncertainty(p->stops[i]), 0);
		CHECK(json_is_true(json_object_get(fp, "approximate")) ==
		      site_quality_approximate(p->stops[i]->quality));
		bool ok = l->quality == ROUTE_LEG_OK;
		static const char *const noisy[] = {"leg_time_min", "bearing_deg", "bearing", "bearing_zh",
		                                    "bearing_en"};
		for (size_t k = 0; k < sizeof noisy / sizeof noisy[0]; k++)
			CHECK_MSG(json_is_null(json_object_get(fp, noisy[k])) == !ok, "leg %zu: %s", i + 1,
			          noisy[k]);
		if (!ok) {
			char want[256];
			leg_note_en(l, want, sizeof want);
			CHECK_STR(json_string_value(json_object_get(fp, "leg_note_en")), want);
		} else {
			CHECK(json_object_get(fp, "leg_note_en") == NULL);
		}
	}
	json_decref(root);

	/* GPX: the flag in desc, type and our extensions; gpsbabel still reads it. */
	buf_reset(&b);
	route_write_gpx(p, &sh, &b);
	const char *g = buf_str(&b);
	CHECK(strstr(g, "xmlns:mapsvc=\"" ROUTE_GPX_NS "\"") != NULL);
	CHECK_INT(count(g, "<type>same_place</type>"), 6); /* three wpts, three rtepts */
	CHECK_INT(count(g, "<mapsvc:leg quality=\"same_place\" distance_m=\"0.0\""), 6);
	CHECK(strstr(g, "<mapsvc:position quality=\"county\" uncertainty_m=\"40000.0\"/>") != NULL);
	/* each stop's wpt: name, address-less desc with both notes, type */
	for (size_t i = 0; i < p->n; i++) {
		const struct site *st = p->stops[i];
		const struct route_leg *l = &p->legs[i];
		char r[SITE_UNCERTAINTY_TEXT], want[1024], zh[256] = "", en[256] = "";
		site_format_uncertainty(site_uncertainty(st), r);
		if (l->quality != ROUTE_LEG_OK) {
			char bound[SITE_UNCERTAINTY_TEXT];
			site_format_uncertainty(l->distance_m + l->uncertainty_m, bound);
			snprintf(zh, sizeof zh, " · %s · 至多相距 %s", route_leg_quality_zh(l->quality),
			         bound + strlen("±"));
			leg_note_en(l, en + 1, sizeof en - 1);
			en[0] = ' ';
		}
		if (site_quality_approximate(st->quality))
			snprintf(want, sizeof want,
			         "<desc>%zu. %s · 位置为近似（约 %s） approximate position "
			         "(%s)%s%s</desc><type>%s</type>",
			         i + 1, site_field(st, SITE_NAME_ZH), r, r, zh, en,
			         route_leg_quality_name(l->quality));
		else
			snprintf(want, sizeof want, "</name><type>%s</type>",
			         route_leg_quality_name(l->quality));
		CHECK_MSG(count(g, want) == 2, "stop %zu: want twice (wpt, rtept): %s", i + 1, want);
	}
	char path[1024];
	write_file("gaotai.gpx", b.data, b.len, path, sizeof path);
	if (have_tool("xmllint")) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>&1", path);
		char *out = run(cmd);
		CHECK_MSG(out != NULL, "xmllint refused %s", path);
		free(out);
	}
	if (have_tool("gpsbabel")) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "gpsbabel -i gpx -f '%s' -o csv -F - 2>&1", path);
		char *out = run(cmd);
		CHECK_MSG(out && count(out, "\n") == 5 + 6, "gpsbabel: %s", out ? out : "failed");
		free(out);
	}

	/* HTML: the three rows say "same place" across the columns, with no
	 * bearing or time; approximate stops and the totals say so. */
	buf_reset(&b);
	route_write_html(p, &sh, &b);
	const char *h = buf_str(&b);
	CHECK_INT(count(h, "<tr class=\"stop leg-same_place\""), 3);
	for (const char *row = strstr(h, "<tr class=\"stop leg-same_place\""); row;
	     row = strstr(row + 1, "<tr class=\"stop leg-same_place\"")) {
		/* the leg's cell: the note instead of distance, bearing and time */
		const char *leg = strstr(row, "<td class=\"leg");
		const char *end = leg ? strstr(leg, "</td>") : NULL;
		char one[4096];
		snprintf(one, sizeof one, "%.*s", end ? (int)(end - leg) : 0, leg ? leg : "");
		CHECK_MSG(strstr(one, "同一地点") && strstr(one, "same place") && !strstr(one, "°") &&
		              !strstr(one, " min") && !strstr(one, "北") && !strstr(one, "东"),
		          "%s", one);
	}
	CHECK(strstr(h, "≈ 红色记忆博物馆") != NULL);
	CHECK(strstr(h, "位置为近似（约 ±1 km）") != NULL);
	CHECK(strstr(h, "approximate position (±40 km)") != NULL);
	CHECK(strstr(h, "位置为近似（约 ±2.5 km）") != NULL);
	CHECK(strstr(h, "5 站中有 4 站位置为近似（≈）") != NULL);
	CHECK(strstr(h, "4 of 5 stops have approximate positions") != NULL);
	CHECK(strstr(h, "≈ 远处纪念碑") == NULL); /* the surveyed stop is not approximate */
	write_file("gaotai.html", b.data, b.len, path, sizeof path);

	/* PDF: read back as a user's tool sees it. */
	buf_reset(&b);
	CHECK_INT(route_write_pdf(p, &sh, &b, &err), MS_OK);
	write_file("gaotai.pdf", b.data, b.len, path, sizeof path);
	if (have_tool("pdftotext")) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "pdftotext -layout -enc UTF-8 '%s' - 2>&1", path);
		char *text = run(cmd);
		CHECK(text != NULL);
		if (text) {
			CHECK_INT(count(text, "同一地点"), 3);
			CHECK_INT(count(text, "至多相距"), 4); /* and the unverified first leg */
			CHECK(strstr(text, "5 站中有 4 站位置为近似") != NULL);
			CHECK(strstr(text, "位置为近似（约 ±40 km）") != NULL);
			CHECK(strstr(text, "approximate position (±1 km)") != NULL);
			/* no bearing or time on a same-place line */
			for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
				if (strstr(line, "同一地点"))
					CHECK_MSG(!strstr(line, "°") && !strstr(line, " min"), "%s", line);
			free(text);
		}
	}
	route_plan_free(p);

	/* A start inside the first stop's radius: that leg is unverified. */
	const struct site *two[2] = {&set->v[0], &set->v[1]};
	CHECK_INT(route_plan_build(39.3800, 99.8300, two, 2, &opt, &p, &err), MS_OK);
	if (p) {
		CHECK_INT(p->legs[0].quality, ROUTE_LEG_UNVERIFIED);
		CHECK(p->legs[0].distance_m > 100 && p->legs[0].distance_m < p->legs[0].uncertainty_m);
		CHECK_INT(p->legs[1].quality, ROUTE_LEG_SAME_PLACE);
		buf_reset(&b);
		route_write_html(p, &sh, &b);
		CHECK(strstr(buf_str(&b), "<tr class=\"stop leg-unverified\"") != NULL);
		CHECK(strstr(buf_str(&b), "位置待核实<br>至多相距") != NULL);
		CHECK(strstr(buf_str(&b), "position unverified<br>at most") != NULL);
		route_plan_free(p);
	}
	/* A round trip: the return leg is judged too. */
	opt.round_trip = true;
	CHECK_INT(route_plan_build(39.3800, 99.8300, two, 2, &opt, &p, &err), MS_OK);
	if (p) {
		CHECK_INT(p->return_leg.quality, ROUTE_LEG_UNVERIFIED);
		CHECK(isnan(p->return_leg.minutes));
		route_plan_free(p);
	}
	buf_free(&b);
	site_set_free(set);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/route-test-XXXXXX", t && *t ? t : P_tmpdir);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	struct site_set *set = load_sites("data/route/zibo10.tsv");
	CHECK_INT(set->n, 10);
	test_plan(set);
	test_plan_errors(set);
	test_escaping();
	test_gaotai();

	const struct site *ptrs[10];
	for (size_t i = 0; i < 10; i++)
		ptrs[i] = &set->v[i];
	/* 2024-05-01 01:30 UTC = 09:30 in Beijing */
	struct route_sheet sh = {
	    .title = "淄博红色教育路线 Zibo red-education route",
	    .start_label = "张店区人民公园 Zhangdian People's Park",
	    .generated = 1714527000,
	    .utc_offset_min = 480,
	    .map_url = "http://127.0.0.1:8080/staticmap.png?bbox=117.9,36.2,118.4,36.9&width=800",
	};
	for (int rt = 0; rt <= 1; rt++) {
		struct route_options opt = {rt, ROUTE_DRIVE};
		struct route_plan *p = NULL;
		if (route_plan_build(START_LAT, START_LON, ptrs, 10, &opt, &p, NULL) != MS_OK)
			return 1;
		test_geojson(p, &sh);
		test_gpx(p, &sh);
		test_html(p, &sh);
		test_pdf(p, &sh);
		route_plan_free(p);
	}
	site_set_free(set);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	cairo_debug_reset_static_data();
	return CHECK_DONE();
}
