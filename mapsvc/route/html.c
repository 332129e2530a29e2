/* html.c - the printable route sheet as one standalone HTML5 page; see
 * route.h.  Everything (styles, QR codes as inline SVG) is in the page so
 * it prints the same when saved or opened offline; only the map image is
 * fetched (or embedded as a data: URI).  It says what the PDF says, line
 * for line, from the same helpers (route_int.h). */
#include <stdio.h>
#include <string.h>

#include "qr.h"
#include "route_int.h"

/* A4 at 10 mm margins leaves 190 x 277 mm.  Sizes in pt and mm so the
 * printout does not depend on the screen.  A stop is one row of the table
 * (number, names, hours, position, summary; its time; the leg there; its
 * QR code) that never breaks across pages; ten rows, the header and the
 * map fit on one page.  Headers never wrap: "序号" and "No." are two
 * lines on purpose, each nowrap. */
static const char css[] =
    "@page{size:A4;margin:10mm}\n"
    "*{box-sizing:border-box}\n"
    "body{font-family:\"WenQuanYi Micro Hei\",\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;"
    "font-size:8.5pt;line-height:1.25;color:#111;margin:0 auto;max-width:190mm}\n"
    "h1{font-size:14pt;color:#a40000;margin:0 0 1mm;border-bottom:0.5mm solid #a40000;padding-bottom:0.5mm}\n"
    ".meta{margin:0;display:flex;flex-wrap:wrap;gap:0 5mm}\n"
    ".en{color:#444;font-size:7.5pt}\n"
    ".totals{margin:0.5mm 0 1mm;font-weight:bold}\n"
    ".totals .en{font-weight:normal}\n"
    ".uncertain{margin:0 0 1mm;padding:0.6mm 1.5mm;background:#fff4d6;border-left:0.8mm solid #c77700;"
    "font-size:7.5pt}\n"
    ".missed{margin:0 0 1mm;padding:0.6mm 1.5mm;border-left:0.8mm solid #777;background:#f1f1f1}\n"
    ".missed ul{margin:0;padding-left:4mm}\n"
    ".map{margin:1mm 0;break-inside:avoid}\n"
    ".map img{display:block;width:100%;height:auto;border:0.2mm solid #999}\n"
    ".map figcaption{font-size:6.5pt;color:#444;margin-top:0.3mm}\n"
    "table{border-collapse:collapse;width:100%;font-size:7.5pt}\n"
    "thead{display:table-header-group}\n"
    "th,td{border-bottom:0.2mm solid #aaa;padding:0.5mm 1mm;text-align:left;vertical-align:top}\n"
    "th{background:#f3e3e3;white-space:nowrap;font-size:7.5pt;line-height:1.15}\n"
    "tr{break-inside:avoid}\n"
    "col.num{width:8mm}col.time{width:23mm}col.leg{width:25mm}col.qr{width:16mm}\n"
    "td.num{text-align:center;font-weight:bold;font-size:10pt;white-space:nowrap}\n"
    ".name{font-size:9pt}\n"
    ".name .en{font-size:7pt;margin-left:1.4mm}\n"
    ".hours,.desc{font-size:7pt}\n"
    ".approx{color:#8a5200;font-size:7pt}\n"
    "td.time b{font-size:9pt}\n"
    "td.time,td.leg{white-space:nowrap}\n"
    "td.flag{color:#8a5200;font-style:italic;white-space:normal}\n"
    "td.qr{padding:0.5mm}td.qr svg{display:block;width:15mm;height:15mm}\n"
    "tr.total td{font-weight:bold;border-bottom:none}\n"
    ".note{font-size:6.5pt;color:#333;margin:1mm 0 0}\n"
    "@media print{body{max-width:none}a{color:inherit;text-decoration:none}}\n";

static void esc(struct buf *b, const char *s)
{
	html_escape(b, s);
}

/* The QR code of url as an SVG path, dark modules merged into runs, with
 * its quiet zone; nothing when url is empty. */
static void qr_svg(struct buf *out, const char *url)
{
	struct route_qr q;
	struct ms_error err = {0};
	if (!*url || route_qr_encode(url, &q, &err) != MS_OK)
		return;
	int side = q.width + 2 * ROUTE_QR_QUIET;
	buf_printf(
	    out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" "
	    "role=\"img\" aria-label=\"",
	    side, side);
	esc(out, url);
	buf_puts(out, "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
	for (int y = 0; y < q.width; y++)
		for (int x = 0; x < q.width;) {
			if (!route_qr_dark(&q, x, y)) {
				x++;
				continue;
			}
			int run = 1;
			while (route_qr_dark(&q, x + run, y))
				run++;
			buf_printf(out, "M%d %dh%dv1h-%dz", x + ROUTE_QR_QUIET, y + ROUTE_QR_QUIET, run, run);
			x += run;
		}
	buf_puts(out, "\"/></svg>");
	route_qr_free(&q);
}

/* The leg's cell: distance, bearing and time, or the note of a leg the
 * plan could not trust. */
static void leg_cell(struct buf *out, const struct route_leg *l)
{
	char note[ROUTE_NOTE_LEN];
	if (l->quality != ROUTE_LEG_OK) {
		/* each part of the note on a line of its own, as the PDF has it */
		buf_puts(out, "<td class=\"leg flag\">");
		for (int en = 0; en < 2; en++) {
			(en ? route_leg_note_en : route_leg_note_zh)(l, note);
			char *dot = strstr(note, " · ");
			if (dot)
				*dot = '\0';
			buf_printf(out, "%s%s%s", en ? "<br><span class=\"en\">" : "", note,
			           dot ? "<br>" : "");
			if (dot)
				buf_puts(out, dot + strlen(" · "));
			if (en)
				buf_puts(out, "</span>");
		}
		buf_puts(out, "</td>");
		return;
	}
	char dist[32], mins[32];
	int sec = route_compass_sector(l->bearing_deg);
	const char *approx = l->approximate ? "≈ " : "";
	route_format_distance(l->distance_m, dist);
	route_format_minutes(l->minutes, mins);
	buf_printf(out, "<td class=\"leg\">%s%s<br>%s %s %.0f°<br>%s%s</td>", approx, dist,
	           route_compass_zh(sec), route_compass_en(sec), l->bearing_deg, approx, mins);
}

/* The time's cell: the visit's clock, how long, and any wait. */
static void time_cell(struct buf *out, const struct route_plan *p, size_t i)
{
	char when[32], v[32];
	route_stop_when(p, i, when);
	buf_puts(out, "<td class=\"time\">");
	if (*when)
		buf_printf(out, "<b>%s</b><br>", when);
	if (p->times) {
		route_visit_zh(p->times[i].visit_min, v);
		buf_printf(out, "%s<br><span class=\"en\">", v);
		route_visit_en(p->times[i].visit_min, v);
		buf_printf(out, "%s</span>", v);
		double wait = p->has_times ? (p->times[i].start_s - p->times[i].arrive_s) / 60 : 0;
		if (wait >= 1) {
			char a[HOURS_CLOCK_TEXT];
			route_clock(p->times[i].arrive_s, a);
			buf_printf(out, "<br>%s 到，等 %.0f 分 <span class=\"en\">wait</span>", a, wait);
		}
	}
	buf_puts(out, "</td>");
}

static void stop_row(struct buf *out, const struct route_plan *p, const struct route_sheet *s, size_t i)
{
	const struct site *st = p->stops[i];
	const struct route_leg *l = &p->legs[i];
	char note[ROUTE_NOTE_LEN];
	buf_printf(out,
	           "<tr class=\"stop leg-%s\" id=\"stop-%zu\"><td class=\"num\">%zu</td><td class=\"stop\">",
	           route_leg_quality_name(l->quality), i + 1, i + 1);
	buf_printf(out, "<div class=\"name\">%s", route_approx_mark(st));
	esc(out, site_field(st, SITE_NAME_ZH));
	if (*site_field(st, SITE_NAME_EN)) {
		buf_puts(out, " <span class=\"en\">");
		esc(out, site_field(st, SITE_NAME_EN));
		buf_puts(out, "</span>");
	}
	buf_puts(out, "</div>");
	struct buf t = BUF_INIT;
	route_stop_hours_zh(p, i, &t);
	buf_puts(out, "<div class=\"hours\">");
	esc(out, buf_str(&t));
	buf_reset(&t);
	route_stop_hours_en(p, i, &t);
	buf_puts(out, " <span class=\"en\">");
	esc(out, buf_str(&t));
	buf_puts(out, "</span></div>");
	if (site_quality_approximate(st->quality)) {
		route_approx_zh(st, note);
		buf_printf(out, "<div class=\"approx\">%s ", note);
		route_approx_en(st, note);
		buf_printf(out, "<span class=\"en\">%s</span>", note);
		/* the address is how a guide finds a stop the map cannot pin */
		if (*site_field(st, SITE_ADDRESS)) {
			buf_puts(out, " · 地址 ");
			esc(out, site_field(st, SITE_ADDRESS));
		}
		buf_puts(out, "</div>");
	}
	if (*site_field(st, SITE_DESCRIPTION)) {
		buf_reset(&t);
		route_summary(site_field(st, SITE_DESCRIPTION), ROUTE_SUMMARY_CHARS, &t);
		buf_puts(out, "<div class=\"desc\">");
		esc(out, buf_str(&t));
		buf_puts(out, "</div>");
	}
	buf_puts(out, "</td>");
	time_cell(out, p, i);
	leg_cell(out, l);
	buf_reset(&t);
	route_site_url(s, st, &t);
	buf_puts(out, "<td class=\"qr\">");
	qr_svg(out, buf_str(&t));
	buf_puts(out, "</td></tr>\n");
	buf_free(&t);
}

static void header(struct buf *out, const struct route_plan *p, const struct route_sheet *s)
{
	char date[32], note[ROUTE_NOTE_LEN];
	buf_puts(out, "<h1>");
	esc(out, route_sheet_title(s));
	buf_puts(out, "</h1>\n<p class=\"meta\">");
	if (p->has_date) {
		route_date_zh(p, date);
		buf_printf(out, "<span>日期 <span class=\"en\">Date</span>: %s</span>", date);
	}
	if (p->has_times) {
		char c[HOURS_CLOCK_TEXT];
		route_clock(p->start_s, c);
		buf_printf(out, "<span>出发 <span class=\"en\">Leave</span>: %s</span>", c);
	}
	buf_printf(out, "<span>方式 <span class=\"en\">Mode</span>: %s</span>",
	           p->opt.mode == ROUTE_DRIVE ? "驾车 drive" : "步行 walk");
	buf_puts(out, "<span>起点 <span class=\"en\">Start</span>: ");
	if (s && s->start_label && *s->start_label) { /* the default label would repeat "起点 Start" */
		esc(out, s->start_label);
		buf_putc(out, ' ');
	}
	buf_printf(out, "(%.6f, %.6f)</span>", p->start_lat, p->start_lon);
	route_sheet_date(s, date);
	buf_printf(out, "<span>制表 <span class=\"en\">Made</span>: %s</span></p>\n", date);
	struct buf t = BUF_INIT;
	route_totals_zh(p, &t);
	buf_puts(out, "<p class=\"totals\">");
	esc(out, buf_str(&t));
	buf_reset(&t);
	route_totals_en(p, &t);
	buf_puts(out, " <span class=\"en\">");
	esc(out, buf_str(&t));
	buf_puts(out, "</span></p>\n");
	buf_free(&t);
	route_uncertainty_zh(p, note);
	if (*note) {
		buf_printf(out, "<p class=\"uncertain\">%s <span class=\"en\">", note);
		route_uncertainty_en(p, note);
		buf_printf(out, "%s</span></p>\n", note);
	}
	if (p->nmissed) {
		buf_puts(
		    out,
		    "<div class=\"missed\"><b>未能安排</b> <span class=\"en\">Not in the plan</span><ul>");
		for (size_t i = 0; i < p->nmissed; i++) {
			buf_puts(out, "<li>× ");
			esc(out, site_field(p->missed[i].site, SITE_NAME_ZH));
			route_missed_zh(p, &p->missed[i], note);
			buf_printf(out, "：%s <span class=\"en\">", note);
			route_missed_en(p, &p->missed[i], note);
			buf_printf(out, "%s</span></li>", note);
		}
		buf_puts(out, "</ul></div>\n");
	}
}

void route_write_html(const struct route_plan *p, const struct route_sheet *s, struct buf *out)
{
	const char *title = route_sheet_title(s);
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	esc(out, title);
	buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	header(out, p, s);
	if (s && s->map_url && *s->map_url) {
		buf_puts(out, "<figure class=\"map\"><img class=\"route-map\" src=\"");
		esc(out, s->map_url);
		if (s->map_width > 0)
			buf_printf(out, "\" width=\"%d\" height=\"%d", s->map_width, s->map_height);
		buf_printf(out,
		           "\" alt=\"路线图 Route map\"><figcaption>%s <span "
		           "class=\"en\">%s</span></figcaption></figure>\n",
		           route_legend_zh, route_legend_en);
	}
	buf_puts(
	    out,
	    "<table class=\"stops\"><colgroup><col class=\"num\"><col class=\"stop\"><col class=\"time\">"
	    "<col class=\"leg\"><col class=\"qr\"></colgroup>\n<thead><tr><th>序号<br><span "
	    "class=\"en\">No.</span></th><th>站点 <span class=\"en\">Stop</span></th><th>时间 <span "
	    "class=\"en\">Time</span></th><th>路程 <span class=\"en\">Leg</span></th><th>二维码 "
	    "<span class=\"en\">QR</span></th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < p->n; i++)
		stop_row(out, p, s, i);
	if (p->has_return) {
		buf_printf(
		    out,
		    "<tr class=\"return leg-%s\"><td class=\"num\">↩</td><td class=\"stop\"><div "
		    "class=\"name\">返回起点 <span class=\"en\">Back to the start</span></div></td><td "
		    "class=\"time\">",
		    route_leg_quality_name(p->return_leg.quality));
		if (p->has_times) {
			char c[HOURS_CLOCK_TEXT];
			route_clock(p->end_s, c);
			buf_printf(out, "<b>%s</b>", c);
		}
		buf_puts(out, "</td>");
		leg_cell(out, &p->return_leg);
		buf_puts(out, "<td></td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n<p class=\"note\"><b>说明</b> ");
	esc(out, route_estimate_note_zh);
	buf_puts(out, " <span class=\"en\">Note: ");
	esc(out, route_estimate_note_en);
	if (s && s->site_url && *s->site_url)
		buf_puts(out, "</span> 扫描二维码可查看站点介绍。<span class=\"en\">Scan a QR code for the "
		              "site's page.");
	buf_puts(out, "</span></p>\n</body>\n</html>\n");
}
