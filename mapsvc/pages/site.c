/*
 * site.c - a site's own page: what it is, where it is and how well that
 * is known, a map, and what a link to it shows elsewhere (Open Graph
 * tags for chat and social apps' cards, schema.org JSON-LD for search
 * engines); see pages.h.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hours/hours.h"
#include "../util/html.h"
#include "../util/utf8.h"
#include "pages_int.h"

/* A card's description is cut at this many characters: chat apps show
 * about two lines of it. */
#define CARD_DESCRIPTION_CHARS 120
/* Web Mercator ground resolution at zoom 0 on the equator, m per 256 px
 * tile pixel: the WGS-84 semi-major axis's circumference over 256. */
#define WEBMERC_M_PER_PX_Z0 156543.03392804097
/* JSON-LD numbers: 9 significant digits keep the 6 decimals of a
 * coordinate (RFC 7946 §11.2's precision) without float noise. */
#define JSONLD_REAL_DIGITS 9

int pages_site_map_zoom(double lat, double uncertainty_m, int min_zoom, int max_zoom)
{
	double r = uncertainty_m > 1 ? uncertainty_m : 1;
	double m_per_px_z0 = WEBMERC_M_PER_PX_Z0 * cos(lat * M_PI / 180);
	int z = (int)floor(log2(m_per_px_z0 * PAGES_MAP_RADIUS_PX / r));
	if (z > max_zoom)
		z = max_zoom;
	if (z < min_zoom)
		z = min_zoom;
	return z;
}

/* Appends at most max characters of s, with "…" when it was longer. */
static void truncated(struct buf *out, const char *s, size_t max)
{
	const char *p = s;
	size_t n = 0;
	uint32_t cp;
	int len;
	while (n < max && (len = utf8_decode(p, &cp)) > 0)
		p += len, n++;
	buf_append(out, s, (size_t)(p - s));
	if (*p)
		buf_puts(out, "…");
}

/* --- JSON-LD ------------------------------------------------------------ */

/* [{"@value": zh, "@language": "zh-CN"}, {"@value": en, "@language": "en"}],
 * each only when there is text; NULL when there is none. */
static json_t *tagged(const char *zh, const char *en)
{
	json_t *a = json_array();
	if (*zh)
		json_array_append_new(a, json_pack("{s:s,s:s}", "@value", zh, "@language", "zh-CN"));
	if (*en)
		json_array_append_new(a, json_pack("{s:s,s:s}", "@value", en, "@language", "en"));
	if (!json_array_size(a)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static void set_text(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

/* The opening hours as schema.org's openingHours: the canonical rules of
 * an OpenStreetMap value, one string each; NULL for free text. */
static json_t *opening_hours(const char *text)
{
	struct hours *h = NULL;
	struct ms_error err = {0};
	if (!*text || hours_parse(text, strlen(text), &h, &err) != MS_OK)
		return NULL;
	struct buf canon = BUF_INIT;
	hours_to_text(h, &canon);
	hours_free(h);
	json_t *a = json_array();
	const char *p = buf_str(&canon);
	for (;;) {
		const char *sep = strstr(p, "; ");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		if (!sep)
			break;
		p = sep + 2;
	}
	buf_free(&canon);
	return a;
}

/* OpenStreetMap's fee=no / fee=yes among the extra properties: true,
 * false, or -1 when the data do not say. */
static int free_entry(const struct site *s)
{
	json_t *extra = json_loads(site_extra(s), 0, NULL);
	const char *fee = json_string_value(json_object_get(extra, "fee"));
	int r = !fee ? -1 : !strcmp(fee, "no") ? 1 : !strcmp(fee, "yes") ? 0 : -1;
	json_decref(extra);
	return r;
}

static json_t *property_value(const char *name, json_t *value)
{
	return json_pack("{s:s,s:s,s:o}", "@type", "PropertyValue", "name", name, "value", value);
}

void pages_site_jsonld(struct buf *out, const struct pages_site *ps)
{
	const struct site *s = ps->s;
	json_t *o = json_object();
	json_object_set_new(o, "@context", json_string("https://schema.org"));
	json_object_set_new(o, "@type",
	                    json_pack("[ss]", "TouristAttraction", "LandmarksOrHistoricalBuildings"));
	json_object_set_new(o, "@id", json_string(ps->url));
	json_object_set_new(o, "url", json_string(ps->url));
	json_object_set_new(o, "identifier", json_string(site_field(s, SITE_ID)));
	json_t *name = tagged(site_field(s, SITE_NAME_ZH), site_field(s, SITE_NAME_EN));
	if (name)
		json_object_set_new(o, "name", name);
	json_t *desc = tagged(site_field(s, SITE_DESCRIPTION), "");
	if (desc)
		json_object_set_new(o, "description", desc);
	json_object_set_new(
	    o, "geo",
	    json_pack("{s:s,s:f,s:f}", "@type", "GeoCoordinates", "latitude", s->lat, "longitude", s->lon));
	json_t *addr = json_pack("{s:s,s:s}", "@type", "PostalAddress", "addressCountry", "CN");
	set_text(addr, "streetAddress", site_field(s, SITE_ADDRESS));
	set_text(addr, "addressLocality", site_field(s, SITE_TOWN));
	set_text(addr, "addressRegion", site_field(s, SITE_COUNTY));
	json_object_set_new(o, "address", addr);
	json_t *hours = opening_hours(site_field(s, SITE_OPENING_HOURS));
	if (hours)
		json_object_set_new(o, "openingHours", hours);
	int is_free = free_entry(s);
	if (is_free >= 0)
		json_object_set_new(o, "isAccessibleForFree", json_boolean(is_free));
	if (ps->image_url)
		json_object_set_new(o, "image", json_string(ps->image_url));
	if (*site_field(s, SITE_SOURCE_URL)) /* a published page about the site */
		json_object_set_new(
		    o, "subjectOf",
		    json_pack("{s:s,s:s}", "@type", "CreativeWork", "url", site_field(s, SITE_SOURCE_URL)));
	json_t *uncertainty = property_value(SITE_COLUMN_UNCERTAINTY, json_real(site_uncertainty(s)));
	json_object_set_new(uncertainty, "unitCode", json_string("MTR")); /* UN/CEFACT: metre */
	json_object_set_new(
	    o, "additionalProperty",
	    json_pack("[oo]", property_value(SITE_COLUMN_QUALITY, json_string(site_quality_name(s->quality))),
	              uncertainty));
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(JSONLD_REAL_DIGITS));
	html_script_json(out, text, strlen(text));
	free(text);
	json_decref(o);
}

/* --- the page ------------------------------------------------------------ */

static void meta(struct buf *out, const char *property, const char *content)
{
	buf_puts(out, "<meta property=\"");
	buf_puts(out, property);
	buf_puts(out, "\" content=\"");
	html_escape(out, content);
	buf_puts(out, "\">\n");
}

/* The card's title: both names. */
static void card_title(struct buf *title, const struct site *s)
{
	buf_puts(title, site_field(s, SITE_NAME_ZH));
	if (*site_field(s, SITE_NAME_EN))
		buf_printf(title, " %s", site_field(s, SITE_NAME_EN));
}

static void open_graph(struct buf *out, const struct pages_ctx *pc, const struct pages_site *ps)
{
	const struct site *s = ps->s;
	struct buf t = BUF_INIT;
	card_title(&t, s);
	meta(out, "og:title", buf_str(&t));
	buf_reset(&t);
	if (*site_field(s, SITE_DESCRIPTION)) {
		truncated(&t, site_field(s, SITE_DESCRIPTION), CARD_DESCRIPTION_CHARS);
	} else {
		buf_puts(&t, T(pc, site_category_label_zh(s->category), site_category_label_en(s->category)));
		if (*site_field(s, SITE_ADDRESS))
			buf_printf(&t, " · %s", site_field(s, SITE_ADDRESS));
	}
	meta(out, "og:description", buf_str(&t));
	meta(out, "og:type", "place");
	meta(out, "og:url", ps->url);
	meta(out, "og:site_name", T(pc, "红色资源地图", "Red-resource map"));
	meta(out, "og:locale", pc->lang == PAGES_EN ? "en_US" : "zh_CN");
	meta(out, "og:locale:alternate", pc->lang == PAGES_EN ? "zh_CN" : "en_US");
	if (ps->image_url) {
		meta(out, "og:image", ps->image_url);
		buf_reset(&t);
		buf_printf(&t, "%d", ps->image_width);
		meta(out, "og:image:width", buf_str(&t));
		buf_reset(&t);
		buf_printf(&t, "%d", ps->image_height);
		meta(out, "og:image:height", buf_str(&t));
		meta(out, "og:image:alt", T(pc, "地点位置图", "A map of where the site is"));
	}
	buf_reset(&t);
	buf_printf(&t, "%.6f", s->lat);
	meta(out, "place:location:latitude", buf_str(&t));
	buf_reset(&t);
	buf_printf(&t, "%.6f", s->lon);
	meta(out, "place:location:longitude", buf_str(&t));
	buf_free(&t);
}

/* A row of the facts list; nothing when the value is empty. */
static void fact(struct buf *out, const struct pages_ctx *pc, const char *zh, const char *en,
                 const char *value, const char *value_lang)
{
	if (!*value)
		return;
	buf_puts(out, "<dt>");
	html_escape(out, T(pc, zh, en));
	buf_puts(out, "</dt><dd");
	if (value_lang)
		buf_printf(out, " lang=\"%s\"", value_lang);
	buf_puts(out, ">");
	html_escape(out, value);
	buf_puts(out, "</dd>\n");
}

static bool is_web_url(const char *u)
{
	return !strncmp(u, "https://", 8) || !strncmp(u, "http://", 7);
}

static const char *const weekday_zh[7] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};
static const char *const weekday_en[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};

/* "现在开放，17:30 关门" / "open now, closes at 17:30": the state at now
 * and when it changes, with the weekday when that is not today. */
static void now_state(struct buf *out, const struct pages_ctx *pc, const struct hours *h, time_t now,
                      struct hours_date today)
{
	enum hours_state st = hours_is_open(h, now);
	time_t next;
	struct hours_date nd;
	int sec;
	bool change = hours_next_change(h, now, &next) && hours_local(next, &nd, &sec);
	char when[64] = "";
	if (change) {
		char clock[HOURS_CLOCK_TEXT];
		hours_format_clock(sec / 60, clock);
		bool same_day = nd.year == today.year && nd.month == today.month && nd.day == today.day;
		if (same_day)
			snprintf(when, sizeof when, "%s", clock);
		else
			snprintf(when, sizeof when, "%s %s",
			         T(pc, weekday_zh[hours_weekday(nd)], weekday_en[hours_weekday(nd)]), clock);
	}
	buf_printf(out, "<span class=\"now %s\">", hours_state_name(st));
	if (st == HOURS_OPEN)
		html_escape(out, T(pc, "现在开放", "open now"));
	else if (st == HOURS_CLOSED)
		html_escape(out, T(pc, "现在不开放", "closed now"));
	else
		html_escape(out, T(pc, "现在是否开放未知", "not known whether it is open now"));
	buf_puts(out, "</span>");
	if (*when && st != HOURS_UNKNOWN) {
		buf_puts(out, pc->lang == PAGES_EN ? ", " : "，");
		if (pc->lang == PAGES_EN)
			buf_printf(out, "%s at %s", st == HOURS_OPEN ? "closes" : "opens", when);
		else
			buf_printf(out, "%s %s", when, st == HOURS_OPEN ? "关门" : "开门");
	}
}

/* Opening hours: the OpenStreetMap value, the source's own words, and
 * today (China Standard Time). */
static void hours_facts(struct buf *out, const struct pages_ctx *pc, const struct pages_site *ps)
{
	const struct site *s = ps->s;
	const char *osm = site_field(s, SITE_OPENING_HOURS), *text = site_field(s, SITE_OPENING_HOURS_TEXT);
	if (!*osm && !*text)
		return;
	buf_puts(out, "<dt>");
	html_escape(out, T(pc, "开放时间", "Opening hours"));
	buf_puts(out, "</dt><dd class=\"hours\">");
	if (*osm) {
		buf_puts(out, "<code class=\"osm\">");
		html_escape(out, osm);
		buf_puts(out, "</code>");
	}
	if (*text) {
		buf_printf(out, "%s<span class=\"source-text\" lang=\"zh-CN\">", *osm ? "<br>" : "");
		html_escape(out, text);
		buf_puts(out, "</span>");
	}
	buf_puts(out, "</dd>\n");
	struct hours_date today;
	int sec;
	if (!ps->hours || !hours_local(ps->now, &today, &sec))
		return;
	int wd = hours_weekday(today);
	buf_puts(out, "<dt>");
	if (pc->lang == PAGES_EN)
		buf_printf(out, "Today (%s %04d-%02d-%02d)", weekday_en[wd], today.year, today.month,
		           today.day);
	else
		buf_printf(out, "今天（%s，%d月%d日）", weekday_zh[wd], today.month, today.day);
	buf_puts(out, "</dt><dd class=\"today\">");
	struct buf spans = BUF_INIT;
	if (hours_format_day(ps->hours, today, &spans))
		html_escape(out, buf_str(&spans));
	else
		html_escape(out, T(pc, "不开放", "closed"));
	buf_free(&spans);
	buf_puts(out, " · ");
	now_state(out, pc, ps->hours, ps->now, today);
	buf_puts(out, "</dd>\n");
}

static void facts(struct buf *out, const struct pages_ctx *pc, const struct pages_site *ps)
{
	const struct site *s = ps->s;
	buf_puts(out, "<dl class=\"facts\">\n");
	fact(out, pc, "类别", "Category",
	     T(pc, site_category_label_zh(s->category), site_category_label_en(s->category)), NULL);
	fact(out, pc, "县区", "County", site_field(s, SITE_COUNTY), "zh-CN");
	fact(out, pc, "乡镇", "Town", site_field(s, SITE_TOWN), "zh-CN");
	fact(out, pc, "地址", "Address", site_field(s, SITE_ADDRESS), "zh-CN");
	hours_facts(out, pc, ps);
	buf_puts(out, "<dt>");
	html_escape(out, T(pc, "位置（WGS-84）", "Position (WGS-84)"));
	buf_printf(out, "</dt><dd class=\"position\">%.6f, %.6f</dd>\n<dt>", s->lat, s->lon);
	html_escape(out, T(pc, "位置精度", "Position quality"));
	buf_printf(out, "</dt><dd class=\"quality\" data-quality=\"%s\">", site_quality_name(s->quality));
	pages_quality(out, pc, s);
	buf_puts(out, "</dd>\n");
	fact(out, pc, "坐标来源", "Where the position comes from", site_field(s, SITE_COORD_SOURCE), NULL);
	if (*site_field(s, SITE_SOURCE_URL)) {
		buf_puts(out, "<dt>");
		html_escape(out, T(pc, "资料来源", "Source"));
		buf_puts(out, "</dt><dd>");
		if (is_web_url(site_field(s, SITE_SOURCE_URL))) {
			buf_puts(out, "<a rel=\"nofollow noopener\" href=\"");
			html_escape(out, site_field(s, SITE_SOURCE_URL));
			buf_puts(out, "\">");
		}
		html_escape(out, site_field(s, SITE_SOURCE_URL));
		if (is_web_url(site_field(s, SITE_SOURCE_URL)))
			buf_puts(out, "</a>");
		buf_puts(out, "</dd>\n");
	}
	buf_puts(out, "</dl>\n");
}

void pages_site(struct buf *out, const struct pages_ctx *pc, const struct pages_site *ps)
{
	const struct site *s = ps->s;
	const char *title = pc->lang == PAGES_EN && *site_field(s, SITE_NAME_EN)
	                        ? site_field(s, SITE_NAME_EN)
	                        : site_field(s, SITE_NAME_ZH);
	pages_head(out, pc, title);
	buf_puts(out, "<link rel=\"canonical\" href=\"");
	html_escape(out, ps->url);
	buf_puts(out, "\">\n");
	open_graph(out, pc, ps);
	buf_puts(out, "<script type=\"application/ld+json\">");
	pages_site_jsonld(out, ps);
	buf_puts(out, "</script>\n");
	pages_body(out, pc);

	buf_puts(out, "<article class=\"site\" data-id=\"");
	html_escape(out, site_field(s, SITE_ID));
	buf_puts(out, "\">\n<h1>");
	pages_site_names(out, pc, s, "span");
	buf_puts(out, "</h1>\n");
	if (site_quality_approximate(s->quality)) {
		char radius[SITE_UNCERTAINTY_TEXT];
		site_format_uncertainty(site_uncertainty(s), radius);
		buf_puts(out, "<p class=\"uncertain\">");
		if (pc->lang == PAGES_EN)
			buf_printf(
			    out,
			    "The position is approximate: the site is somewhere within %s of the point "
			    "shown.",
			    radius);
		else
			buf_printf(out, "位置为近似：地点在所示位置 %s 范围内。", radius);
		buf_puts(out, "</p>\n");
	}
	buf_puts(out, "<figure class=\"map\"><img src=\"");
	html_escape(out, ps->map_url);
	buf_puts(out, "\" alt=\"");
	html_escape(out, T(pc, "地点位置图", "A map of where the site is"));
	buf_printf(out, "\" width=\"%d\" height=\"%d\"><figcaption>", PAGES_SITE_MAP_W, PAGES_SITE_MAP_H);
	html_escape(out, T(pc, "地图中心为记录的位置。", "The map is centred on the recorded position."));
	buf_puts(out, "</figcaption></figure>\n");
	facts(out, pc, ps);
	if (*site_field(s, SITE_DESCRIPTION)) {
		buf_puts(out, "<p class=\"description\" lang=\"zh-CN\">");
		html_escape(out, site_field(s, SITE_DESCRIPTION));
		buf_puts(out, "</p>\n");
	}
	buf_puts(out, "<p><a href=\"");
	html_escape(out, ps->collection_url);
	buf_puts(out, "\">");
	html_escape(out, T(pc, "← 全部地点", "← All sites"));
	buf_puts(out, "</a></p>\n</article>\n");
	pages_end(out, pc);
}
