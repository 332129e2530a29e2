/* test_route_sheet.c - plans from coordinates and the four sheet writers,
 * checked with the tools a user would open them with: jansson for the
 * GeoJSON, gpsbabel for the GPX, pdftotext/pdfinfo/pdffonts for the PDF.
 * Set MAPSVC_ROUTE_OUT=DIR to keep the sheets for a look. */
#include <cairo.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "geo/geo.h"
#include "route/route.h"

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
		struct site s = {0};
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
			CHECK_NEAR(p->legs[i].minutes, d * ROUTE_DRIVE_DETOUR / (ROUTE_DRIVE_KMH / 0.06), 1e-9);
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
		json_t *props = json_object_get(root, "properties");
		CHECK_NEAR(json_real_value(json_object_get(props, "total_distance_m")), p->total_distance_m, 0.06);
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
			CHECK_STR(json_string_value(json_object_get(f, "id")), p->stops[i]->field[SITE_ID]);
			CHECK_INT(json_integer_value(json_object_get(fp, "seq")), i + 1);
			CHECK_STR(json_string_value(json_object_get(fp, "name_zh")), p->stops[i]->field[SITE_NAME_ZH]);
			CHECK_NEAR(json_number_value(json_object_get(fp, "leg_distance_m")), p->legs[i].distance_m, 0.06);
			CHECK_NEAR(json_number_value(json_object_get(fp, "bearing_deg")), p->legs[i].bearing_deg, 0.06);
			int sec = route_compass_sector(p->legs[i].bearing_deg);
			CHECK_STR(json_string_value(json_object_get(fp, "bearing_zh")), route_compass_zh(sec));
			json_t *pt = json_object_get(json_object_get(f, "geometry"), "coordinates");
			CHECK_NEAR(json_real_value(json_array_get(pt, 1)), p->stops[i]->lat, 1e-6);
			/* the line passes through the stops in the same order */
			CHECK_NEAR(json_real_value(json_array_get(json_array_get(coords, i + 1), 1)), p->stops[i]->lat, 1e-6);
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
			const char *src = at_start ? "张店区人民公园" : p->stops[seq - 1]->field[SITE_NAME_ZH];
			for (; *src && w < name + sizeof name - 1; src++)
				if (*src != ' ')
					*w++ = *src;
			*w = '\0';
			double lat = 0, lon = 0;
			CHECK_MSG(sscanf(line[i], "%lf, %lf", &lat, &lon) == 2 && fabs(lat - elat) < 6e-6 &&
					  fabs(lon - elon) < 6e-6,
				  "line %zu: %s, want %.6f, %.6f", i + 1, line[i], elat, elon);
			CHECK_MSG(strstr(line[i], name) != NULL, "line %zu: %s, want %s", i + 1, line[i], name);
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
	CHECK(strstr(h, "<img src=\"http://127.0.0.1:8080/staticmap.png?bbox=117.9,36.2,118.4,36.9&amp;width=800\"") != NULL);
	CHECK(strstr(h, "2024-05-01") != NULL); /* 09:30 in UTC+8 */
	CHECK(strstr(h, route_estimate_note_zh) != NULL);
	const char *names[ROUTE_MAX_STOPS];
	for (size_t i = 0; i < p->n; i++)
		names[i] = p->stops[i]->field[SITE_NAME_ZH];
	const char *after = NULL;
	/* once in the leg table, then again in the stop details */
	CHECK(in_order(h, names, p->n, &after));
	CHECK(after && in_order(after, names, p->n, NULL));
	CHECK(strstr(h, p->stops[0]->field[SITE_DESCRIPTION]) != NULL);
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
				 "d=$(mktemp -d) && %s --headless --no-sandbox --disable-gpu --disable-background-networking "
				 "--disable-component-update --disable-sync --no-pdf-header-footer --user-data-dir=$d "
				 "--print-to-pdf='%s.pdf' 'file://%s' >/dev/null 2>&1; rm -rf \"$d\"; "
				 "pdfinfo '%s.pdf' | sed -n 's/^Pages: *//p'",
				 chrome, path, path, path);
			char *out = run(cmd);
			CHECK_MSG(out && atoi(out) >= 1 && atoi(out) <= 2, "ten stops print on %s pages", out ? out : "?");
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
				names[i] = p->stops[i]->field[SITE_NAME_ZH];
			const char *after = NULL;
			CHECK(in_order(text, names, p->n, &after));
			CHECK(after && in_order(after, names, p->n, NULL));
			CHECK(strstr(text, "未使用道路网络") != NULL);
			CHECK(strstr(text, "Page 1 of ") != NULL);
			free(text);
		}
		snprintf(cmd, sizeof cmd, "pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
		char *pages = run(cmd);
		CHECK_MSG(pages && atoi(pages) >= 1 && atoi(pages) <= 2, "ten stops on %s pages", pages ? pages : "?");
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
	struct site s = {0};
	for (int f = 0; f < SITE_NFIELDS; f++)
		s.field[f] = "";
	s.field[SITE_ID] = "x-1";
	s.field[SITE_NAME_ZH] = "\"红\"&<旧址>";
	s.field[SITE_NAME_EN] = "Tom's <b>Hall</b> & more\x01";
	s.lat = 36.8;
	s.lon = 118.1;
	s.extra = "{}";
	const struct site *one = &s;
	struct route_options opt = {true, ROUTE_WALK};
	struct route_plan *p = NULL;
	CHECK_INT(route_plan_build(36.81, 118.05, &one, 1, &opt, &p, NULL), MS_OK);
	if (!p)
		return;
	struct route_sheet sh = {.title = "A<B", .generated = 0};
	struct buf b = BUF_INIT;
	route_write_gpx(p, &sh, &b);
	CHECK(strstr(buf_str(&b), "<name>1. &quot;红&quot;&amp;&lt;旧址&gt; Tom&#39;s &lt;b&gt;Hall&lt;/b&gt; &amp; more</name>") !=
	      NULL);
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
