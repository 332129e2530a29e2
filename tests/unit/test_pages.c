/*
 * test_pages.c - the HTML pages: a site's page (its JSON-LD read back and
 * checked member by member, Open Graph tags, the position's honesty, the
 * two languages), the items page (table, numbering, paging, downloads),
 * the collection pages, and what every page must never hold: unescaped
 * data, inline scripts or styles, a script that is not a JSON-LD data
 * block.
 */
#include <jansson.h>
#include <string.h>

#include "check.h"
#include "pages/pages.h"
#include "util/mem.h"

#define BASE "http://maps.example"
#define HOSTILE "<script>alert(1)</script>\"'&"

static struct site_draft site_of(const char *id, const char *zh, const char *en, enum site_category cat,
                                 enum site_quality q, double radius, const char *hours, const char *extra)
{
	struct site_draft s = {0};
	for (int f = 0; f < SITE_NFIELDS; f++)
		s.field[f] = "";
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = zh;
	s.field[SITE_NAME_EN] = en;
	s.field[SITE_CATEGORY] = site_category_name(cat);
	s.field[SITE_ADDRESS] = "山东省淄博市高新区太平村";
	s.field[SITE_TOWN] = "四宝山街道";
	s.field[SITE_COUNTY] = "淄博高新区";
	s.field[SITE_OPENING_HOURS] = hours;
	s.field[SITE_DESCRIPTION] = "纪念1937年12月黑铁山抗日武装起义的专题纪念馆。";
	s.field[SITE_SOURCE_URL] = "http://www.zbbx.org/article-7-6153.aspx";
	s.category = cat;
	s.lat = 36.849547;
	s.lon = 118.160735;
	s.quality = q;
	s.uncertainty_m = radius;
	s.extra = extra;
	return s;
}

/* The sites the tests made, kept until the end (room reserved in main, so
 * that no pointer into it moves). */
static struct site_set *made;

static const struct site *add(struct site_draft d)
{
	return site_set_add(made, &d);
}

static const struct pages_ctx zh_ctx = {PAGES_ZH,
                                        BASE,
                                        BASE "/static/pages.css?v=1",
                                        BASE "/x?f=json",
                                        "application/json",
                                        BASE "/x?lang=en&f=html"};
static const struct pages_ctx en_ctx = {PAGES_EN,
                                        BASE,
                                        BASE "/static/pages.css?v=1",
                                        BASE "/x?f=json",
                                        "application/json",
                                        BASE "/x?lang=zh-CN&f=html"};

/* What no page may contain. */
static void check_safe(const char *html, const char *what)
{
	CHECK_MSG(strstr(html, "<script>") == NULL, "%s: an executable script", what);
	CHECK_MSG(strstr(html, " style=") == NULL && strstr(html, "<style") == NULL, "%s: an inline style",
	          what);
	static const char *const handlers[] = {" onclick=", " onload=", " onerror=", "javascript:"};
	for (size_t k = 0; k < sizeof handlers / sizeof handlers[0]; k++)
		CHECK_MSG(strstr(html, handlers[k]) == NULL, "%s: %s", what, handlers[k]);
	const char *p = html;
	while ((p = strstr(p, "<script"))) {
		CHECK_MSG(!strncmp(p, "<script type=\"application/ld+json\">", 35),
		          "%s: a script that is not data", what);
		p++;
	}
	CHECK_MSG(!strncmp(html, "<!DOCTYPE html>\n<html lang=\"", 28), "%s: not an HTML5 document", what);
	CHECK_MSG(strstr(html, "</html>\n") != NULL, "%s: not finished", what);
}

/* The JSON-LD of a page, parsed. */
static json_t *jsonld_of(const char *html)
{
	const char *open = "<script type=\"application/ld+json\">";
	const char *a = strstr(html, open), *b = a ? strstr(a, "</script>") : NULL;
	if (!a || !b)
		return NULL;
	a += strlen(open);
	return json_loadb(a, (size_t)(b - a), 0, NULL);
}

static bool has_meta(const char *html, const char *property, const char *content)
{
	char want[512];
	snprintf(want, sizeof want, "<meta property=\"%s\" content=\"%s\">", property, content);
	return strstr(html, want) != NULL;
}

static const char *tagged_value(json_t *a, const char *lang)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (!strcmp(json_string_value(json_object_get(v, "@language")),
	                                        lang)) return json_string_value(json_object_get(v, "@value"));
	return NULL;
}

static void test_site_page(void)
{
	struct site_draft d =
	    site_of("zb-hall", "黑铁山抗日武装起义纪念馆", "Heitieshan Memorial Hall", CAT_MEMORIAL_HALL,
	            SITE_QUALITY_STREET, 100, "Tu-Su 08:30-11:30,13:30-17:30; PH off", "{\"fee\":\"no\"}");
	struct hours *h = NULL;
	struct ms_error err = {0};
	const char *value = d.field[SITE_OPENING_HOURS];
	CHECK(hours_parse(value, strlen(value), &h, &err) == MS_OK);
	d.field[SITE_OPENING_HOURS_TEXT] = "周二至周日 8:30-11:30, 13:30-17:30";
	const struct site *s = add(d);
	/* Tuesday 2025-05-13, 10:00 CST */
	struct pages_site ps = {s,
	                        BASE "/collections/sites/items/zb-hall",
	                        BASE "/staticmap.png?center=1",
	                        BASE "/staticmap.png?card=1",
	                        1200,
	                        630,
	                        BASE "/collections/sites/items?f=html",
	                        h,
	                        1747101600};
	struct buf b = BUF_INIT;
	pages_site(&b, &zh_ctx, &ps);
	const char *html = buf_str(&b);
	/* the hours: the OSM value, the source's words, today and now */
	CHECK(strstr(html, "<code class=\"osm\">Tu-Su 08:30-11:30,13:30-17:30; PH off</code>") != NULL);
	CHECK(strstr(html, "周二至周日 8:30-11:30, 13:30-17:30") != NULL);
	CHECK_MSG(strstr(html, "今天（周二，5月13日）</dt><dd class=\"today\">08:30–11:30, 13:30–17:30 · "
	                       "<span class=\"now open\">现在开放</span>，11:30 关门") != NULL,
	          "%s", strstr(html, "今天") ? strstr(html, "今天") : html);
	check_safe(html, "site page");
	CHECK(strstr(html, "<html lang=\"zh-CN\">") != NULL);
	CHECK(strstr(html, "<h1><span lang=\"zh-CN\">黑铁山抗日武装起义纪念馆</span> <span class=\"alt\" "
	                   "lang=\"en\">Heitieshan Memorial Hall</span></h1>") != NULL);
	CHECK(strstr(html, "<link rel=\"canonical\" href=\"" BASE "/collections/sites/items/zb-hall\">") !=
	      NULL);
	CHECK(has_meta(html, "og:type", "place"));
	CHECK(has_meta(html, "og:url", BASE "/collections/sites/items/zb-hall"));
	CHECK(has_meta(html, "og:title", "黑铁山抗日武装起义纪念馆 Heitieshan Memorial Hall"));
	CHECK(has_meta(html, "og:image", BASE "/staticmap.png?card=1"));
	CHECK(has_meta(html, "og:image:width", "1200"));
	CHECK(has_meta(html, "og:locale", "zh_CN"));
	CHECK(has_meta(html, "place:location:latitude", "36.849547"));
	CHECK(strstr(html, "data-quality=\"street\"") != NULL);
	CHECK(strstr(html, "±100 m") != NULL);
	CHECK(strstr(html, "class=\"uncertain\"") == NULL); /* street is not approximate */
	CHECK(strstr(html, "<img src=\"" BASE "/staticmap.png?center=1\"") != NULL);

	json_t *ld = jsonld_of(html);
	CHECK_MSG(json_is_object(ld), "the JSON-LD does not parse");
	CHECK_STR(json_string_value(json_object_get(ld, "@context")), "https://schema.org");
	json_t *types = json_object_get(ld, "@type");
	CHECK_STR(json_string_value(json_array_get(types, 0)), "TouristAttraction");
	CHECK_STR(json_string_value(json_array_get(types, 1)), "LandmarksOrHistoricalBuildings");
	CHECK_STR(json_string_value(json_object_get(ld, "@id")), ps.url);
	json_t *name = json_object_get(ld, "name");
	CHECK_STR(tagged_value(name, "zh-CN"), "黑铁山抗日武装起义纪念馆");
	CHECK_STR(tagged_value(name, "en"), "Heitieshan Memorial Hall");
	json_t *geo = json_object_get(ld, "geo");
	CHECK_STR(json_string_value(json_object_get(geo, "@type")), "GeoCoordinates");
	CHECK(json_real_value(json_object_get(geo, "latitude")) == 36.849547);
	CHECK(json_real_value(json_object_get(geo, "longitude")) == 118.160735);
	json_t *addr = json_object_get(ld, "address");
	CHECK_STR(json_string_value(json_object_get(addr, "streetAddress")), "山东省淄博市高新区太平村");
	CHECK_STR(json_string_value(json_object_get(addr, "addressCountry")), "CN");
	json_t *hours = json_object_get(ld, "openingHours");
	CHECK_INT(json_array_size(hours), 2);
	CHECK_STR(json_string_value(json_array_get(hours, 0)), "Tu-Su 08:30-11:30,13:30-17:30");
	CHECK(json_is_true(json_object_get(ld, "isAccessibleForFree")));
	json_t *props = json_object_get(ld, "additionalProperty");
	CHECK_STR(json_string_value(json_object_get(json_array_get(props, 0), "value")), "street");
	CHECK(json_number_value(json_object_get(json_array_get(props, 1), "value")) == 100);
	json_decref(ld);

	/* English: the English name first, Chinese after it */
	buf_reset(&b);
	pages_site(&b, &en_ctx, &ps);
	html = buf_str(&b);
	check_safe(html, "English site page");
	CHECK(strstr(html, "<html lang=\"en\">") != NULL);
	CHECK(strstr(html, "<h1><span lang=\"en\">Heitieshan Memorial Hall</span> <span class=\"alt\" "
	                   "lang=\"zh-CN\">") != NULL);
	CHECK(strstr(html, "Memorial hall") != NULL);
	CHECK(has_meta(html, "og:locale", "en_US"));
	CHECK(strstr(html, "Today (Tuesday 2025-05-13)") != NULL);
	CHECK(strstr(html, "open now</span>, closes at 11:30") != NULL);
	/* a Monday: closed all day, open again on Tuesday morning */
	ps.now = 1747101600 - 86400;
	buf_reset(&b);
	pages_site(&b, &zh_ctx, &ps);
	html = buf_str(&b);
	CHECK_MSG(strstr(html, "今天（周一，5月12日）</dt><dd class=\"today\">不开放 · "
	                       "<span class=\"now closed\">现在不开放</span>，周二 08:30 开门") != NULL,
	          "%s", strstr(html, "今天") ? strstr(html, "今天") : html);
	hours_free(h);
	buf_free(&b);
}

/* A town-level position says it is approximate; free-text hours and an
 * unknown fee are no schema.org data; hostile text stays text. */
static void test_site_honest_and_escaped(void)
{
	struct site_draft d = site_of("x&y", HOSTILE, "", CAT_FORMER_SITE, SITE_QUALITY_TOWN, 5000,
	                              "周二至周日 8:30-11:30", "{}");
	d.field[SITE_DESCRIPTION] = HOSTILE;
	const struct site *s = add(d);
	struct pages_site ps = {
	    s, BASE "/collections/sites/items/x%26y", BASE "/m", BASE "/c", 1200, 630, BASE "/i", NULL, 0};
	struct buf b = BUF_INIT;
	pages_site(&b, &zh_ctx, &ps);
	const char *html = buf_str(&b);
	check_safe(html, "hostile site page");
	CHECK(strstr(html, "alert(1)") != NULL &&
	      strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(html, "class=\"uncertain\"") != NULL && strstr(html, "±5 km") != NULL);
	CHECK(strstr(html, "近似位置") != NULL);
	json_t *ld = jsonld_of(html);
	CHECK_MSG(json_is_object(ld), "the JSON-LD does not parse");
	CHECK_STR(tagged_value(json_object_get(ld, "name"), "zh-CN"), HOSTILE);
	CHECK(tagged_value(json_object_get(ld, "name"), "en") == NULL);
	CHECK(json_object_get(ld, "openingHours") == NULL);
	CHECK(json_object_get(ld, "isAccessibleForFree") == NULL);
	json_decref(ld);
	buf_free(&b);

	ps.s = add(site_of("p", "馆", "", CAT_MUSEUM, SITE_QUALITY_SURVEYED, 30, "", "{\"fee\":\"yes\"}"));
	pages_site_jsonld(&b, &ps);
	ld = json_loads(buf_str(&b), 0, NULL);
	CHECK(json_is_false(json_object_get(ld, "isAccessibleForFree")));
	json_decref(ld);
	buf_free(&b);
}

static void test_items_page(void)
{
	const struct site *sites[] = {
	    add(site_of("a", "甲馆", "Hall A", CAT_MUSEUM, SITE_QUALITY_COUNTY, 30000, "", "{}")),
	    add(site_of("c<", "丙馆", "", CAT_MONUMENT, SITE_QUALITY_SURVEYED, 30, "", "{}"))};
	const char *urls[] = {BASE "/collections/sites/items/a", BASE "/collections/sites/items/c%3C"};
	const struct pages_link downloads[] = {{BASE "/items?f=csv", "CSV", "CSV", "text/csv"}};
	struct pages_items it = {sites,
	                         urls,
	                         2,
	                         25,
	                         10,
	                         BASE "/staticmap.png?bbox=1",
	                         BASE "/items?offset=0",
	                         BASE "/items?offset=12",
	                         BASE "/collections/sites?f=html",
	                         downloads,
	                         1};
	struct buf b = BUF_INIT;
	pages_items(&b, &zh_ctx, &it);
	const char *html = buf_str(&b);
	check_safe(html, "items page");
	CHECK(strstr(html, "共 25 处，本页第 11–12 处。") != NULL);
	CHECK(strstr(html, "<tr data-id=\"a\"><td class=\"num\">1</td><td><a href=\"" BASE
	                   "/collections/sites/items/a\">") != NULL);
	CHECK(strstr(html, "<tr data-id=\"c&lt;\"><td class=\"num\">2</td>") != NULL);
	CHECK(strstr(html, "<a rel=\"prev\" href=\"" BASE "/items?offset=0\">") != NULL);
	CHECK(strstr(html, "<a rel=\"next\" href=\"" BASE "/items?offset=12\">") != NULL);
	CHECK(strstr(html, "±30 km<span class=\"approx\">") != NULL); /* county: approximate */
	CHECK(strstr(html, "<img src=\"" BASE "/staticmap.png?bbox=1\"") != NULL);
	CHECK(strstr(html, "<a href=\"" BASE "/items?f=csv\" type=\"text/csv\">CSV</a>") != NULL);
	buf_reset(&b);
	it.n = 0;
	it.prev_url = it.next_url = NULL;
	pages_items(&b, &en_ctx, &it);
	html = buf_str(&b);
	check_safe(html, "empty items page");
	CHECK(strstr(html, "25 sites; none on this page.") != NULL);
	CHECK(strstr(html, "<table") == NULL && strstr(html, "<img") == NULL &&
	      strstr(html, "rel=\"next\"") == NULL);
	buf_free(&b);
}

static void test_collection_pages(void)
{
	const struct pages_link links[] = {
	    {BASE "/collections/sites/items?f=html", "地点列表", "The sites", "text/html"}};
	struct pages_collection c = {"sites",
	                             "Red-resource sites",
	                             "Sites & <points>",
	                             BASE "/collections/sites?f=html",
	                             25,
	                             true,
	                             99.8,
	                             36.8,
	                             118.3,
	                             39.4,
	                             links,
	                             1};
	struct buf b = BUF_INIT;
	pages_collections(&b, &zh_ctx, &c, 1);
	check_safe(buf_str(&b), "collections page");
	CHECK(strstr(buf_str(&b), "Sites &amp; &lt;points&gt;") != NULL);
	CHECK(strstr(buf_str(&b), "<h2><a href=\"" BASE
	                          "/collections/sites?f=html\">Red-resource sites</a></h2>") != NULL);
	CHECK(strstr(buf_str(&b), "99.800000, 36.800000 – 118.300000, 39.400000") != NULL);
	buf_reset(&b);
	pages_collection(&b, &en_ctx, &c);
	check_safe(buf_str(&b), "collection page");
	CHECK(strstr(buf_str(&b), "<h1>Red-resource sites</h1>") != NULL);
	CHECK(strstr(buf_str(&b), ">The sites</a>") != NULL);
	buf_reset(&b);
	const char *classes[] = {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"};
	pages_conformance(&b, &zh_ctx, classes, 1);
	check_safe(buf_str(&b), "conformance page");
	CHECK(strstr(buf_str(&b), ">http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core</a>") !=
	      NULL);
	buf_free(&b);
}

static void test_langs_and_zoom(void)
{
	CHECK_INT(pages_lang_match("zh-CN"), PAGES_ZH);
	CHECK_INT(pages_lang_match("zh-Hant"), PAGES_ZH);
	CHECK_INT(pages_lang_match("EN-gb"), PAGES_EN);
	CHECK_INT(pages_lang_match("fr"), -1);
	CHECK_INT(pages_lang_match("english"), -1);
	/* a 100 m circle fits ~100 px at zoom 16 or so near 37 N; a county needs zoom 8 */
	int street = pages_site_map_zoom(36.85, 100, 3, 18),
	    county = pages_site_map_zoom(36.85, 30000, 3, 18);
	CHECK(street >= 15 && street <= 17);
	CHECK(county >= 7 && county <= 9);
	CHECK(street > county);
	CHECK_INT(pages_site_map_zoom(36.85, 1, 3, 16), 16);
	CHECK_INT(pages_site_map_zoom(36.85, 2e7, 3, 16), 3);
}

int main(void)
{
	made = site_set_new();
	site_set_reserve(made, 16);
	test_site_page();
	test_site_honest_and_escaped();
	test_items_page();
	test_collection_pages();
	test_langs_and_zoom();
	site_set_free(made);
	return CHECK_DONE();
}
