/*
 * pages.c - the frame every page shares (head, navigation, language
 * switch, the JSON alternate) and the pages of the conformance
 * declaration, the collections and the items; see pages.h.  A site's own
 * page is site.c's.
 */
#include "pages.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../util/html.h"
#include "pages_int.h"

const char *const pages_lang_tags[PAGES_NLANGS + 1] = {"zh-CN", "en", NULL};
const char *const pages_lang_primary[PAGES_NLANGS] = {"zh", "en"};

int pages_lang_match(const char *s)
{
	size_t primary = strcspn(s, "-");
	for (int i = 0; i < PAGES_NLANGS; i++)
		if (strlen(pages_lang_primary[i]) == primary &&
		    strncasecmp(s, pages_lang_primary[i], primary) == 0)
			return i;
	return -1;
}

const char *pages_text(const struct pages_ctx *pc, const char *zh, const char *en)
{
	return pc->lang == PAGES_EN ? en : zh;
}

/* The head up to the point where a page adds its own elements. */
static const char head_tpl[] = "<!DOCTYPE html>\n"
                               "<html lang=\"{{lang}}\">\n"
                               "<head>\n"
                               "<meta charset=\"utf-8\">\n"
                               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                               "<title>{{title}} · {{service}}</title>\n"
                               "<link rel=\"stylesheet\" href=\"{{css}}\">\n"
                               "<link rel=\"alternate\" type=\"{{json_type}}\" href=\"{{json}}\">\n"
                               "<link rel=\"alternate\" hreflang=\"{{other_lang}}\" href=\"{{other}}\">\n";

void pages_head(struct buf *out, const struct pages_ctx *pc, const char *title)
{
	struct html_var v[] = {
	    {"lang", pages_lang_tags[pc->lang]},
	    {"title", title},
	    {"service", T(pc, "红色资源地图", "Red-resource map")},
	    {"css", pc->css_url},
	    {"json_type", pc->json_type},
	    {"json", pc->json_url},
	    {"other_lang", pages_lang_tags[pc->lang == PAGES_EN ? PAGES_ZH : PAGES_EN]},
	    {"other", pc->other_lang_url},
	};
	html_fill(out, head_tpl, v, sizeof v / sizeof v[0]);
}

static const char body_tpl[] = "</head>\n"
                               "<body>\n"
                               "<header class=\"bar\">\n"
                               "<a class=\"home\" href=\"{{base}}/\">{{service}}</a>\n"
                               "<nav>\n"
                               "<a href=\"{{base}}/collections\">{{collections}}</a>\n"
                               "<a href=\"{{base}}/conformance\">{{conformance}}</a>\n"
                               "<a href=\"{{base}}/api\">API</a>\n"
                               "<a class=\"lang\" lang=\"{{other_lang}}\" hreflang=\"{{other_lang}}\" "
                               "href=\"{{other}}\">{{other_name}}</a>\n"
                               "</nav>\n"
                               "</header>\n"
                               "<main>\n";

void pages_body(struct buf *out, const struct pages_ctx *pc)
{
	bool en = pc->lang == PAGES_EN;
	struct html_var v[] = {
	    {"base", pc->base_url},
	    {"service", T(pc, "红色资源地图", "Red-resource map")},
	    {"collections", T(pc, "数据集", "Collections")},
	    {"conformance", T(pc, "标准符合性", "Conformance")},
	    {"other_lang", pages_lang_tags[en ? PAGES_ZH : PAGES_EN]},
	    {"other", pc->other_lang_url},
	    {"other_name", en ? "中文" : "English"},
	};
	html_fill(out, body_tpl, v, sizeof v / sizeof v[0]);
}

static const char end_tpl[] = "</main>\n"
                              "<footer>\n"
                              "<a rel=\"alternate\" type=\"{{json_type}}\" href=\"{{json}}\">JSON</a>\n"
                              "</footer>\n"
                              "</body>\n"
                              "</html>\n";

void pages_end(struct buf *out, const struct pages_ctx *pc)
{
	struct html_var v[] = {{"json_type", pc->json_type}, {"json", pc->json_url}};
	html_fill(out, end_tpl, v, sizeof v / sizeof v[0]);
}

void pages_links(struct buf *out, const struct pages_ctx *pc, const struct pages_link *links, size_t n)
{
	buf_puts(out, "<ul class=\"links\">\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "<li><a href=\"");
		html_escape(out, links[i].href);
		buf_puts(out, "\"");
		if (links[i].type) {
			buf_puts(out, " type=\"");
			html_escape(out, links[i].type);
			buf_puts(out, "\"");
		}
		buf_puts(out, ">");
		html_escape(out, T(pc, links[i].label_zh, links[i].label_en));
		buf_puts(out, "</a>");
		if (links[i].type) {
			buf_puts(out, " <span class=\"type\">");
			html_escape(out, links[i].type);
			buf_puts(out, "</span>");
		}
		buf_puts(out, "</li>\n");
	}
	buf_puts(out, "</ul>\n");
}

/* --- conformance ------------------------------------------------------- */

void pages_conformance(struct buf *out, const struct pages_ctx *pc, const char *const *classes, size_t n)
{
	const char *title = T(pc, "标准符合性声明", "Conformance declaration");
	pages_head(out, pc, title);
	pages_body(out, pc);
	buf_puts(out, "<h1>");
	html_escape(out, title);
	buf_puts(out, "</h1>\n<p>");
	html_escape(out, T(pc, "本服务实现的 OGC 标准符合性类：",
	                   "The OGC conformance classes this service implements:"));
	buf_puts(out, "</p>\n<ul class=\"classes\">\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "<li><a href=\"");
		html_escape(out, classes[i]);
		buf_puts(out, "\">");
		html_escape(out, classes[i]);
		buf_puts(out, "</a></li>\n");
	}
	buf_puts(out, "</ul>\n");
	pages_end(out, pc);
}

/* --- collections -------------------------------------------------------- */

/* One collection's description: heading level h (1 on its own page). */
static void collection_section(struct buf *out, const struct pages_ctx *pc, const struct pages_collection *c,
                               int h)
{
	buf_printf(out, "<section class=\"collection\" id=\"");
	html_escape(out, c->id);
	buf_printf(out, "\">\n<h%d>", h);
	if (h > 1) {
		buf_puts(out, "<a href=\"");
		html_escape(out, c->url);
		buf_puts(out, "\">");
	}
	html_escape(out, c->title);
	if (h > 1)
		buf_puts(out, "</a>");
	buf_printf(out, "</h%d>\n<p>", h);
	html_escape(out, c->description);
	buf_puts(out, "</p>\n<dl>\n<dt>");
	html_escape(out, T(pc, "编号", "Id"));
	buf_puts(out, "</dt><dd><code>");
	html_escape(out, c->id);
	buf_puts(out, "</code></dd>\n<dt>");
	html_escape(out, T(pc, "地点数", "Sites"));
	buf_printf(out, "</dt><dd>%zu</dd>\n", c->count);
	if (c->has_extent) {
		buf_puts(out, "<dt>");
		html_escape(out, T(pc, "范围（WGS-84 经纬度）", "Extent (WGS-84 longitude, latitude)"));
		buf_printf(out, "</dt><dd>%.6f, %.6f – %.6f, %.6f</dd>\n", c->west, c->south, c->east,
		           c->north);
	}
	buf_puts(out, "</dl>\n");
	pages_links(out, pc, c->links, c->nlinks);
	buf_puts(out, "</section>\n");
}

void pages_collections(struct buf *out, const struct pages_ctx *pc, const struct pages_collection *v,
                       size_t n)
{
	const char *title = T(pc, "数据集", "Collections");
	pages_head(out, pc, title);
	pages_body(out, pc);
	buf_puts(out, "<h1>");
	html_escape(out, title);
	buf_puts(out, "</h1>\n");
	for (size_t i = 0; i < n; i++)
		collection_section(out, pc, &v[i], 2);
	pages_end(out, pc);
}

void pages_collection(struct buf *out, const struct pages_ctx *pc, const struct pages_collection *c)
{
	pages_head(out, pc, c->title);
	pages_body(out, pc);
	collection_section(out, pc, c, 1);
	pages_end(out, pc);
}

/* --- items -------------------------------------------------------------- */

/* A site's name in the page's language first, the other one after it. */
void pages_site_names(struct buf *out, const struct pages_ctx *pc, const struct site *s, const char *tag)
{
	const char *zh = site_field(s, SITE_NAME_ZH), *en = site_field(s, SITE_NAME_EN);
	bool en_first = pc->lang == PAGES_EN && *en;
	buf_printf(out, "<%s lang=\"%s\">", tag, en_first ? "en" : "zh-CN");
	html_escape(out, en_first ? en : zh);
	buf_printf(out, "</%s>", tag);
	const char *second = en_first ? zh : en;
	if (*second) {
		buf_printf(out, " <%s class=\"alt\" lang=\"%s\">", tag, en_first ? "zh-CN" : "en");
		html_escape(out, second);
		buf_printf(out, "</%s>", tag);
	}
}

/* "±200 m，近似位置" / "±200 m, approximate": the radius, and the word
 * when the quality is coarser than street (site.h). */
void pages_quality(struct buf *out, const struct pages_ctx *pc, const struct site *s)
{
	char radius[SITE_UNCERTAINTY_TEXT];
	site_format_uncertainty(site_uncertainty(s), radius);
	html_escape(out, T(pc, site_quality_label_zh(s->quality), site_quality_label_en(s->quality)));
	buf_puts(out, " ");
	html_escape(out, radius);
	if (site_quality_approximate(s->quality)) {
		buf_puts(out, "<span class=\"approx\">");
		html_escape(out, T(pc, "，近似位置", ", approximate position"));
		buf_puts(out, "</span>");
	}
}

static void items_table(struct buf *out, const struct pages_ctx *pc, const struct pages_items *it)
{
	static const char *const heads[][2] = {
	    {"图中编号", "No. on the map"}, {"名称", "Name"}, {"类别", "Category"}, {"县区", "County"},
	    {"位置精度", "Position"},
	};
	buf_puts(out, "<table class=\"items\">\n<thead><tr>");
	for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
		buf_puts(out, "<th>");
		html_escape(out, T(pc, heads[k][0], heads[k][1]));
		buf_puts(out, "</th>");
	}
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < it->n; i++) {
		const struct site *s = it->sites[i];
		buf_printf(out, "<tr data-id=\"");
		html_escape(out, site_field(s, SITE_ID));
		buf_printf(out, "\"><td class=\"num\">%zu</td><td><a href=\"", i + 1);
		html_escape(out, it->site_urls[i]);
		buf_puts(out, "\">");
		pages_site_names(out, pc, s, "span");
		buf_puts(out, "</a></td><td>");
		html_escape(out,
		            T(pc, site_category_label_zh(s->category), site_category_label_en(s->category)));
		buf_puts(out, "</td><td>");
		html_escape(out, site_field(s, SITE_COUNTY));
		buf_puts(out, "</td><td>");
		pages_quality(out, pc, s);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n");
}

static void paging(struct buf *out, const struct pages_ctx *pc, const struct pages_items *it)
{
	if (!it->prev_url && !it->next_url)
		return;
	buf_puts(out, "<nav class=\"paging\">\n");
	if (it->prev_url) {
		buf_puts(out, "<a rel=\"prev\" href=\"");
		html_escape(out, it->prev_url);
		buf_puts(out, "\">");
		html_escape(out, T(pc, "← 上一页", "← Previous"));
		buf_puts(out, "</a>\n");
	}
	if (it->next_url) {
		buf_puts(out, "<a rel=\"next\" href=\"");
		html_escape(out, it->next_url);
		buf_puts(out, "\">");
		html_escape(out, T(pc, "下一页 →", "Next →"));
		buf_puts(out, "</a>\n");
	}
	buf_puts(out, "</nav>\n");
}

void pages_items(struct buf *out, const struct pages_ctx *pc, const struct pages_items *it)
{
	const char *title = T(pc, "红色资源地点", "Red-resource sites");
	pages_head(out, pc, title);
	pages_body(out, pc);
	buf_puts(out, "<h1>");
	html_escape(out, title);
	buf_puts(out, "</h1>\n<p class=\"count\">");
	size_t first = it->offset + 1, last = it->offset + it->n;
	if (pc->lang == PAGES_EN && it->n)
		buf_printf(out, "%zu sites; this page shows %zu–%zu.", it->matched, first, last);
	else if (pc->lang == PAGES_EN)
		buf_printf(out, "%zu sites; none on this page.", it->matched);
	else if (it->n)
		buf_printf(out, "共 %zu 处，本页第 %zu–%zu 处。", it->matched, first, last);
	else
		buf_printf(out, "共 %zu 处，本页没有地点。", it->matched);
	buf_puts(out, "</p>\n");
	if (it->map_url && it->n) {
		buf_puts(out, "<figure class=\"map\"><img src=\"");
		html_escape(out, it->map_url);
		buf_puts(out, "\" alt=\"");
		html_escape(out, T(pc, "本页地点的地图，编号与下表相同",
		                   "A map of this page's sites, numbered as in the table"));
		buf_printf(out, "\" width=\"%d\" height=\"%d\"></figure>\n", PAGES_ITEMS_MAP_W,
		           PAGES_ITEMS_MAP_H);
	}
	if (it->n)
		items_table(out, pc, it);
	paging(out, pc, it);
	buf_puts(out, "<h2>");
	html_escape(out, T(pc, "下载本页", "This page as"));
	buf_puts(out, "</h2>\n");
	pages_links(out, pc, it->downloads, it->ndownloads);
	buf_puts(out, "<p><a href=\"");
	html_escape(out, it->collection_url);
	buf_puts(out, "\">");
	html_escape(out, T(pc, "关于此数据集", "About this collection"));
	buf_puts(out, "</a></p>\n");
	pages_end(out, pc);
}
