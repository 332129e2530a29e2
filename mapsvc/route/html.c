/* html.c - the printable route sheet as one standalone HTML5 page; see
 * route.h.  Everything (styles included) is inline so the page prints the
 * same when saved or opened offline; only the map image is fetched. */
#include <stdio.h>

#include "route_int.h"

/* A4 at 12 mm margins leaves 186 x 273 mm.  Sizes in pt and mm so the
 * printout does not depend on the screen.  Ten stops fit on two pages:
 * page one holds the header, a map of at most 95 mm and the leg table
 * (about 7 mm a row); the stop details follow in two columns. */
static const char css[] =
    "@page{size:A4;margin:12mm}\n"
    "*{box-sizing:border-box}\n"
    "body{font-family:\"WenQuanYi Micro Hei\",\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;"
    "font-size:10pt;line-height:1.35;color:#111;margin:0 auto;max-width:186mm}\n"
    "h1{font-size:16pt;color:#a40000;margin:0 0 2mm;border-bottom:0.6mm solid #a40000;padding-bottom:1mm}\n"
    "h2{font-size:12pt;color:#a40000;margin:3mm 0 1.5mm}\n"
    ".meta{margin:0 0 2mm;display:flex;flex-wrap:wrap;gap:1mm 6mm}\n"
    ".map{text-align:center;margin:2mm 0}\n"
    ".map img{max-width:100%;max-height:95mm;border:0.3mm solid #999}\n"
    "table{border-collapse:collapse;width:100%;font-size:9pt}\n"
    "th,td{border:0.2mm solid #888;padding:0.8mm 1.5mm;text-align:left;vertical-align:top}\n"
    "th{background:#f3e3e3}\n"
    "td.num{text-align:right;white-space:nowrap}\n"
    "tr.total td{font-weight:bold}\n"
    ".en{color:#444;font-size:8.5pt}\n"
    ".stops{columns:2;column-gap:6mm;font-size:8.5pt}\n"
    ".stop{break-inside:avoid;margin:0 0 2.5mm;padding-top:1mm;border-top:0.2mm solid #ccc}\n"
    ".stop h3{font-size:10pt;margin:0}\n"
    ".stop p{margin:0.5mm 0}\n"
    ".note{font-size:8.5pt;color:#333;border:0.3mm solid "
    "#a40000;padding:1.5mm;margin-top:3mm;break-inside:avoid}\n"
    ".uncertain{margin:0 0 2mm;padding:1mm 1.5mm;background:#fff4d6;border-left:0.8mm solid #c77700}\n"
    ".approx{color:#8a5200;font-size:8.5pt}\n"
    "td.flag{color:#8a5200;font-style:italic}\n"
    "@media print{body{max-width:none}a{color:inherit;text-decoration:none}"
    "tr{break-inside:avoid}h2{break-after:avoid}.map{break-inside:avoid}}\n";

static void esc(struct buf *b, const char *s)
{
	html_escape(b, s);
}

/* One row of the leg table: the leg arriving at stop (NULL: the return
 * leg, whose end is the start).  A leg the plan could not trust gets its
 * note across the distance, bearing and time columns instead of numbers. */
static void leg_row(struct buf *out, const char *seq, const struct site *stop, const char *zh, const char *en,
                    const struct route_leg *l)
{
	char dist[32], mins[32], note[ROUTE_NOTE_LEN];
	buf_printf(out, "<tr class=\"leg-%s\"><td class=\"num\">%s</td><td>",
	           route_leg_quality_name(l->quality), seq);
	if (stop)
		buf_puts(out, route_approx_mark(stop));
	esc(out, zh);
	buf_puts(out, "<br><span class=\"en\">");
	esc(out, en);
	buf_puts(out, "</span>");
	if (stop && site_quality_approximate(stop->quality)) {
		route_approx_zh(stop, note);
		buf_printf(out, "<br><span class=\"approx\">%s ", note);
		route_approx_en(stop, note);
		buf_printf(out, "<span class=\"en\">%s</span></span>", note);
	}
	buf_puts(out, "</td>");
	if (l->quality != ROUTE_LEG_OK) {
		route_leg_note_zh(l, note);
		buf_printf(out, "<td colspan=\"3\" class=\"flag\">%s ", note);
		route_leg_note_en(l, note);
		buf_printf(out, "<span class=\"en\">%s</span></td></tr>\n", note);
		return;
	}
	int sec = route_compass_sector(l->bearing_deg);
	const char *approx = l->approximate ? "≈ " : "";
	route_format_distance(l->distance_m, dist);
	route_format_minutes(l->minutes, mins);
	buf_printf(out, "<td class=\"num\">%s%s</td><td>%s %s (%.0f°)</td><td class=\"num\">%s%s</td></tr>\n",
	           approx, dist, route_compass_zh(sec), route_compass_en(sec), l->bearing_deg, approx, mins);
}

static void detail(struct buf *out, const char *label_zh, const char *label_en, const char *value)
{
	if (!*value)
		return;
	buf_printf(out, "<p><b>%s</b> <span class=\"en\">%s</span>: ", label_zh, label_en);
	esc(out, value);
	buf_puts(out, "</p>\n");
}

void route_write_html(const struct route_plan *p, const struct route_sheet *s, struct buf *out)
{
	char date[16], dist[32], mins[32];
	route_sheet_date(s, date);
	route_format_distance(p->total_distance_m, dist);
	route_format_minutes(p->total_minutes, mins);
	const char *title = route_sheet_title(s);

	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	esc(out, title);
	buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
	esc(out, title);
	buf_puts(out, "</h1>\n<div class=\"meta\">");
	buf_printf(out, "<span>日期 <span class=\"en\">Date</span>: %s</span>", date);
	buf_puts(out, "<span>起点 <span class=\"en\">Start</span>: ");
	if (s && s->start_label && *s->start_label) { /* the default label would repeat "起点 Start" */
		esc(out, s->start_label);
		buf_putc(out, ' ');
	}
	buf_printf(out, "(%.6f, %.6f)</span>", p->start_lat, p->start_lon);
	buf_printf(out, "<span>方式 <span class=\"en\">Mode</span>: %s</span>",
	           p->opt.mode == ROUTE_DRIVE ? "驾车 drive" : "步行 walk");
	buf_printf(out, "<span>共 %zu 站%s <span class=\"en\">%zu stops%s</span>: %s, 约 %s</span>", p->n,
	           p->has_return ? "，返回起点" : "", p->n, p->has_return ? ", round trip" : "", dist, mins);
	buf_puts(out, "</div>\n");
	char note[ROUTE_NOTE_LEN];
	route_uncertainty_zh(p, note);
	if (*note) {
		buf_printf(out, "<p class=\"uncertain\">%s<br><span class=\"en\">", note);
		route_uncertainty_en(p, note);
		buf_printf(out, "%s</span></p>\n", note);
	}

	if (s && s->map_url && *s->map_url) {
		buf_puts(out, "<div class=\"map\"><img src=\"");
		esc(out, s->map_url);
		buf_puts(out, "\" alt=\"路线总览图 Route overview map\"></div>\n");
	}

	buf_puts(out,
	         "<h2>行程 <span class=\"en\">Legs</span></h2>\n<table>\n<thead><tr><th>序号<br><span "
	         "class=\"en\">No.</span></th><th>名称 <span class=\"en\">Name</span></th><th>距离<br><span "
	         "class=\"en\">Distance</span></th><th>方向<br><span "
	         "class=\"en\">Bearing</span></th><th>预计用时<br><span "
	         "class=\"en\">Est. time</span></th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < p->n; i++) {
		char seq[24];
		snprintf(seq, sizeof seq, "%zu", i + 1);
		const struct site *st = p->stops[i];
		leg_row(out, seq, st, st->field[SITE_NAME_ZH], st->field[SITE_NAME_EN], &p->legs[i]);
	}
	if (p->has_return)
		leg_row(out, "↩", NULL, "返回起点", "Back to the start", &p->return_leg);
	const char *approx = p->approximate_stops ? "≈ " : "";
	buf_printf(out,
	           "<tr class=\"total\"><td></td><td>合计 <span class=\"en\">Total</span></td><td "
	           "class=\"num\">%s%s</td><td></td><td class=\"num\">%s%s</td></tr>\n"
	           "</tbody>\n</table>\n",
	           approx, dist, approx, mins);

	buf_puts(out, "<h2>站点介绍 <span class=\"en\">Stops</span></h2>\n<div class=\"stops\">\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct site *st = p->stops[i];
		buf_printf(out, "<div class=\"stop\" id=\"stop-%zu\"><h3>%zu. %s", i + 1, i + 1,
		           route_approx_mark(st));
		esc(out, st->field[SITE_NAME_ZH]);
		buf_puts(out, "</h3>\n<p class=\"en\">");
		esc(out, st->field[SITE_NAME_EN]);
		buf_puts(out, "</p>\n");
		if (site_quality_approximate(st->quality)) {
			route_approx_zh(st, note);
			buf_printf(out,
			           "<p class=\"approx\"><b>位置</b> <span class=\"en\">Position</span>: %s ",
			           note);
			route_approx_en(st, note);
			buf_printf(out, "<span class=\"en\">%s</span></p>\n", note);
		}
		detail(out, "地址", "Address", st->field[SITE_ADDRESS]);
		detail(out, "开放时间", "Opening hours", st->field[SITE_OPENING_HOURS]);
		detail(out, "简介", "About", st->field[SITE_DESCRIPTION]);
		buf_puts(out, "</div>\n");
	}
	buf_puts(out, "</div>\n<p class=\"note\"><b>说明</b> ");
	esc(out, route_estimate_note_zh);
	buf_puts(out, "<br><span class=\"en\">Note: ");
	esc(out, route_estimate_note_en);
	buf_puts(out, "</span></p>\n</body>\n</html>\n");
}
