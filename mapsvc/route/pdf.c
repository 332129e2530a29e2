/*
 * pdf.c - the route sheet as an A4 PDF; see route.h.
 *
 * Why cairo: Debian ships it with a PDF surface and a FreeType font
 * backend, so a TrueType collection (WenQuanYi Micro Hei is a .ttc) is
 * opened by FreeType and cairo embeds a real subset of the glyphs used,
 * as a CID font with a ToUnicode map: the text stays text (pdftotext and
 * screen readers get the Chinese back) and the file stays small.  libharu
 * (Debian's 2.3.0) was the other candidate: its built-in Chinese fonts
 * (HPDF_UseCNSFonts) are predefined CID fonts that are not embedded at all
 * and rely on the reader having SimSun/SimHei; it can load a TrueType
 * collection by index and write UTF-8 through a CIDFontType2 font
 * (HPDF_LoadTTFontFromFile2 + HPDF_UseUTFEncodings), but it keeps every
 * glyph slot of the font in the embedded copy, only emptying the unused
 * outlines, and offers no text measurement against the real face for
 * wrapping.  cairo also draws the PNG overview map with the same calls.
 *
 * The layout runs twice: once to count pages (output discarded), once for
 * real, so every footer can say "page N of M".
 */
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "../util/utf8.h"
#include "qr.h"
#include "route_int.h"

/* A4 in PostScript points (ISO 216: 210 x 297 mm, 72 pt per inch), with
 * the HTML sheet's 10 mm margins: the same text width, 190 mm. */
#define MM (72.0 / 25.4)
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN (10 * MM)
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define FOOTER_Y (PAGE_H - 4 * MM)
#define BOTTOM (PAGE_H - MARGIN - 2 * MM)
/* The table's columns (html.c's col widths): number, stop, time, leg, QR. */
#define COL_NUM (8 * MM)
#define COL_TIME (23 * MM)
#define COL_LEG (25 * MM)
#define COL_QR (16 * MM)
#define COL_STOP (CONTENT_W - COL_NUM - COL_TIME - COL_LEG - COL_QR)
#define QR_SIZE (15 * MM)
#define CELL_PAD (1 * MM)
#define ROW_PAD (0.6 * MM)
/* A paragraph's line spacing, times its size; the closing note's size. */
#define PARA_LEAD 1.4
#define FOOTNOTE_PT 6.5

struct ftowner {
	FT_Library lib;
	FT_Face face;
};

static const cairo_user_data_key_t ft_key;

/* cairo may keep the font face alive in its caches after we drop our
 * reference; the FreeType objects must live exactly as long, so they are
 * freed from the face's destroy hook (the pattern cairo-ft documents). */
static void ft_release(void *p)
{
	struct ftowner *o = p;
	FT_Done_Face(o->face);
	FT_Done_FreeType(o->lib);
	free(o);
}

static enum ms_status open_font(const char *path, cairo_font_face_t **out, struct ms_error *err)
{
	struct ftowner *o = xcalloc(1, sizeof *o);
	if (FT_Init_FreeType(&o->lib)) {
		free(o);
		return ms_fail(err, MS_EINTERNAL, "route pdf: FreeType initialisation failed");
	}
	if (FT_New_Face(o->lib, path, 0, &o->face)) {
		FT_Done_FreeType(o->lib);
		free(o);
		return ms_fail(err, MS_EIO, "route pdf: cannot open font %s", path);
	}
	cairo_font_face_t *ff = cairo_ft_font_face_create_for_ft_face(o->face, 0);
	if (cairo_font_face_set_user_data(ff, &ft_key, o, ft_release) != CAIRO_STATUS_SUCCESS) {
		cairo_font_face_destroy(ff);
		ft_release(o);
		return ms_fail(err, MS_EINTERNAL, "route pdf: cairo font face set-up failed");
	}
	*out = ff;
	return MS_OK;
}

struct png_reader {
	const unsigned char *p;
	size_t left;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int length)
{
	struct png_reader *r = closure;
	if (length > r->left)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p, length);
	r->p += length;
	r->left -= length;
	return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int length)
{
	if (closure)
		buf_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

struct layout {
	cairo_t *cr;
	cairo_surface_t *surface;
	cairo_font_face_t *font;
	const struct route_plan *plan;
	const struct route_sheet *sheet;
	cairo_surface_t *map; /* NULL when none */
	double y;             /* the top of the next line */
	int page, pages;      /* pages is 0 in the counting pass */
};

static void set_size(struct layout *L, double pt)
{
	cairo_set_font_face(L->cr, L->font);
	cairo_set_font_size(L->cr, pt);
}

static double text_width(struct layout *L, const char *s, size_t n)
{
	char tmp[1024];
	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	cairo_text_extents_t e;
	cairo_text_extents(L->cr, tmp, &e);
	return e.x_advance;
}

static void show(struct layout *L, double x, double baseline, const char *s, size_t n)
{
	char tmp[1024];
	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	cairo_move_to(L->cr, x, baseline);
	cairo_show_text(L->cr, tmp);
}

static void footer(struct layout *L)
{
	char t[96];
	if (L->pages)
		snprintf(t, sizeof t, "第 %d / %d 页   Page %d of %d", L->page, L->pages, L->page, L->pages);
	else
		snprintf(t, sizeof t, "第 %d 页   Page %d", L->page, L->page);
	set_size(L, 8);
	cairo_set_source_rgb(L->cr, 0.35, 0.35, 0.35);
	show(L, PAGE_W / 2 - text_width(L, t, strlen(t)) / 2, FOOTER_Y, t, strlen(t));
	show(L, MARGIN, FOOTER_Y, route_sheet_title(L->sheet), strlen(route_sheet_title(L->sheet)));
	cairo_set_source_rgb(L->cr, 0, 0, 0);
}

static void new_page(struct layout *L)
{
	footer(L);
	cairo_show_page(L->cr);
	L->page++;
	L->y = MARGIN;
}

/* Starts a new page unless h points still fit on this one. */
static void need(struct layout *L, double h)
{
	if (L->y + h > BOTTOM)
		new_page(L);
}

/* Closing punctuation that must not begin a line (the Chinese layout
 * rule, W3C "Requirements for Chinese Text Layout" §3.1.7). */
static bool no_line_start(const char *s)
{
	static const char *const closing[] = {"。", "，", "、", "；", "：", "？", "！", "）",
	                                      "」", "』", "》", "〉", "”",  "’",  "…",  ")",
	                                      ",",  ".",  ";",  ":",  "!",  "?"};
	for (size_t i = 0; i < sizeof closing / sizeof closing[0]; i++)
		if (strncmp(s, closing[i], strlen(closing[i])) == 0)
			return true;
	return false;
}

/* Splits s into lines no wider than width at the current font size:
 * after spaces, and between any two characters of CJK text (which has no
 * spaces), as UAX #14 allows for ideographs.  Calls emit for each line
 * (trailing spaces cut).  Returns the number of lines. */
static int wrap(struct layout *L, const char *s, double width,
                void (*emit)(struct layout *, const char *, size_t, void *), void *ctx)
{
	int lines = 0;
	size_t len = strlen(s);
	const char *line = s;
	while (line < s + len) {
		while (*line == ' ')
			line++;
		if (!*line)
			break;
		const char *p = line, *brk = NULL, *fit = line;
		while (*p && *p != '\n') {
			/* One character at a time, so a line never ends inside
			 * one (an ill-formed subpart is one step); never past
			 * the NUL. */
			uint32_t cp;
			const char *next = p + utf8_decode(p, &cp);
			if (text_width(L, line, (size_t)(next - line)) > width && p > line)
				break;
			fit = next;
			unsigned char c0 = (unsigned char)*p;
			/* after a space, or after CJK text unless what follows
			 * may not begin a line */
			if (c0 == ' ' || (c0 >= 0xE2 && !no_line_start(next)))
				brk = next;
			p = next;
		}
		const char *end = (!*p || *p == '\n') ? p : (brk && brk > line ? brk : fit);
		size_t n = (size_t)(end - line);
		while (n && line[n - 1] == ' ')
			n--;
		emit(L, line, n, ctx);
		lines++;
		line = end;
		if (*line == '\n')
			line++;
	}
	return lines;
}

struct para {
	double x, size, lead;
};

static void emit_line(struct layout *L, const char *s, size_t n, void *ctx)
{
	struct para *pa = ctx;
	need(L, pa->lead);
	set_size(L, pa->size);
	show(L, pa->x, L->y + pa->size, s, n);
	L->y += pa->lead;
}

static void paragraph(struct layout *L, double x, double width, double size, const char *text)
{
	struct para pa = {x, size, size * PARA_LEAD};
	set_size(L, size);
	wrap(L, text, width, emit_line, &pa);
}

static void count_line(struct layout *L, const char *s, size_t n, void *ctx)
{
	(void)L, (void)s, (void)n, (void)ctx;
}

static void rule(struct layout *L, double y, double width)
{
	cairo_set_line_width(L->cr, width);
	cairo_set_source_rgb(L->cr, 0.67, 0.67, 0.67);
	cairo_move_to(L->cr, MARGIN, y);
	cairo_line_to(L->cr, MARGIN + CONTENT_W, y);
	cairo_stroke(L->cr);
	cairo_set_source_rgb(L->cr, 0, 0, 0);
}

/* The sheet's amber, for what is uncertain. */
static void amber(struct layout *L)
{
	cairo_set_source_rgb(L->cr, 0.54, 0.32, 0);
}

static void grey(struct layout *L)
{
	cairo_set_source_rgb(L->cr, 0.27, 0.27, 0.27);
}

static void black(struct layout *L)
{
	cairo_set_source_rgb(L->cr, 0, 0, 0);
}

/* A cell's lines: text, size, colour; wrapped into the column's width. */
#define CELL_MAX_LINES 12
struct cell_line {
	char text[1024];
	double size;
	int colour;    /* 0 black, 1 grey, 2 amber */
	char alt[512]; /* a second text after this one, grey at ALT_SIZE, on */
	               /* the same line when both fit (a name and its English) */
};
#define ALT_SIZE 7.0
#define ALT_GAP 4.0
struct cell {
	struct cell_line line[CELL_MAX_LINES];
	int n;
};

static void cell_add(struct cell *c, double size, int colour, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cell_add(struct cell *c, double size, int colour, const char *fmt, ...)
{
	if (c->n == CELL_MAX_LINES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->line[c->n].text, sizeof c->line[c->n].text, fmt, ap);
	va_end(ap);
	c->line[c->n].size = size;
	c->line[c->n].colour = colour;
	c->n++;
}

static double lead(double size)
{
	return size * 1.3;
}

/* Whether line l's alt fits after it on one line of width w. */
static bool alt_inline(struct layout *L, const struct cell_line *l, double w)
{
	if (!*l->alt)
		return false;
	set_size(L, l->size);
	double a = text_width(L, l->text, strlen(l->text));
	set_size(L, ALT_SIZE);
	return a + ALT_GAP + text_width(L, l->alt, strlen(l->alt)) <= w;
}

/* The height of a cell's wrapped lines in a column of width w. */
static double cell_height(struct layout *L, const struct cell *c, double w)
{
	double h = 0;
	for (int i = 0; i < c->n; i++) {
		const struct cell_line *l = &c->line[i];
		set_size(L, l->size);
		h += wrap(L, l->text, w, count_line, NULL) * lead(l->size);
		if (*l->alt && !alt_inline(L, l, w)) {
			set_size(L, ALT_SIZE);
			h += wrap(L, l->alt, w, count_line, NULL) * lead(ALT_SIZE);
		}
	}
	return h;
}

static void cell_draw(struct layout *L, const struct cell *c, double x, double top, double w)
{
	double y = L->y;
	L->y = top;
	for (int i = 0; i < c->n; i++) {
		if (c->line[i].colour == 1)
			grey(L);
		else if (c->line[i].colour == 2)
			amber(L);
		const struct cell_line *l = &c->line[i];
		bool inline_alt = alt_inline(L, l, w);
		struct para pa = {x, l->size, lead(l->size)};
		set_size(L, l->size);
		double first = L->y;
		wrap(L, l->text, w, emit_line, &pa);
		black(L);
		if (!*l->alt)
			continue;
		grey(L);
		set_size(L, ALT_SIZE);
		if (inline_alt) {
			set_size(L, l->size);
			double a = text_width(L, l->text, strlen(l->text));
			set_size(L, ALT_SIZE);
			show(L, x + a + ALT_GAP, first + l->size, l->alt, strlen(l->alt));
		} else {
			struct para pe = {x, ALT_SIZE, lead(ALT_SIZE)};
			wrap(L, l->alt, w, emit_line, &pe);
		}
		black(L);
	}
	L->y = y;
}

/* The QR code of url, w points wide, quiet zone included. */
static void draw_qr(struct layout *L, const char *url, double x, double y, double w)
{
	struct route_qr q;
	struct ms_error err = {0};
	if (!*url || route_qr_encode(url, &q, &err) != MS_OK)
		return;
	double m = w / (q.width + 2 * ROUTE_QR_QUIET);
	cairo_set_source_rgb(L->cr, 1, 1, 1);
	cairo_rectangle(L->cr, x, y, w, w);
	cairo_fill(L->cr);
	black(L);
	for (int r = 0; r < q.width; r++)
		for (int k = 0; k < q.width;) {
			if (!route_qr_dark(&q, k, r)) {
				k++;
				continue;
			}
			int run = 1;
			while (route_qr_dark(&q, k + run, r))
				run++;
			cairo_rectangle(L->cr, x + (k + ROUTE_QR_QUIET) * m, y + (r + ROUTE_QR_QUIET) * m,
			                run * m, m);
			k += run;
		}
	cairo_fill(L->cr);
	route_qr_free(&q);
}

static void table_head(struct layout *L)
{
	static const char *const zh[5] = {"序号", "站点", "时间", "路程", "二维码"};
	static const char *const en[5] = {"No.", "Stop", "Time", "Leg", "QR"};
	const double x[5] = {0, COL_NUM, COL_NUM + COL_STOP, COL_NUM + COL_STOP + COL_TIME,
	                     COL_NUM + COL_STOP + COL_TIME + COL_LEG};
	double h = lead(7.5) * 2 + 2 * ROW_PAD;
	cairo_set_source_rgb(L->cr, 0.95, 0.89, 0.89);
	cairo_rectangle(L->cr, MARGIN, L->y, CONTENT_W, h);
	cairo_fill(L->cr);
	black(L);
	for (int c = 0; c < 5; c++) {
		set_size(L, 7.5);
		show(L, MARGIN + x[c] + CELL_PAD, L->y + ROW_PAD + 7.5, zh[c], strlen(zh[c]));
		grey(L);
		show(L, MARGIN + x[c] + CELL_PAD, L->y + ROW_PAD + 7.5 + lead(7.5), en[c], strlen(en[c]));
		black(L);
	}
	L->y += h;
	rule(L, L->y, 0.5);
}

/* A stop's cells, as html.c's row has them. */
static void stop_cells(struct layout *L, size_t i, struct cell *stop, struct cell *time)
{
	const struct route_plan *p = L->plan;
	const struct site *st = p->stops[i];
	char a[ROUTE_NOTE_LEN], b[ROUTE_NOTE_LEN];
	cell_add(stop, 9, 0, "%s%s", route_approx_mark(st), site_field(st, SITE_NAME_ZH));
	snprintf(stop->line[stop->n - 1].alt, sizeof stop->line[0].alt, "%s", site_field(st, SITE_NAME_EN));
	struct buf zh = BUF_INIT, en = BUF_INIT;
	route_stop_hours_zh(p, i, &zh);
	route_stop_hours_en(p, i, &en);
	cell_add(stop, 7, 0, "%s  %s", buf_str(&zh), buf_str(&en));
	if (site_quality_approximate(st->quality)) {
		route_approx_zh(st, a);
		route_approx_en(st, b);
		/* with the address, as html.c's row has it */
		cell_add(stop, 7, 2, "%s %s%s%s", a, b, *site_field(st, SITE_ADDRESS) ? " · 地址 " : "",
		         site_field(st, SITE_ADDRESS));
	}
	if (*site_field(st, SITE_DESCRIPTION)) {
		buf_reset(&zh);
		route_summary(site_field(st, SITE_DESCRIPTION), ROUTE_SUMMARY_CHARS, &zh);
		cell_add(stop, 7, 0, "%s", buf_str(&zh));
	}
	buf_free(&zh);
	buf_free(&en);
	char when[32], v[32];
	route_stop_when(p, i, when);
	if (*when)
		cell_add(time, 9, 0, "%s", when);
	if (p->times) {
		route_visit_zh(p->times[i].visit_min, v);
		cell_add(time, 7.5, 0, "%s", v);
		route_visit_en(p->times[i].visit_min, v);
		cell_add(time, 7, 1, "%s", v);
		double wait = p->has_times ? (p->times[i].start_s - p->times[i].arrive_s) / 60 : 0;
		if (wait >= 1) {
			char c[HOURS_CLOCK_TEXT];
			route_clock(p->times[i].arrive_s, c);
			cell_add(time, 7.5, 0, "%s 到，等 %.0f 分 wait", c, wait);
		}
	}
}

/* The leg's cell: html.c's leg_cell. */
static void leg_cell(const struct route_leg *l, struct cell *c)
{
	char a[ROUTE_NOTE_LEN];
	if (l->quality != ROUTE_LEG_OK) {
		/* "同一地点 · 至多相距 80 km": a line for each part, a narrow
		 * column would break it anywhere */
		for (int en = 0; en < 2; en++) {
			(en ? route_leg_note_en : route_leg_note_zh)(l, a);
			char *dot = strstr(a, " · ");
			if (dot)
				*dot = '\0';
			cell_add(c, en ? 7 : 7.5, 2, "%s", a);
			if (dot)
				cell_add(c, en ? 7 : 7.5, 2, "%s", dot + strlen(" · "));
		}
		return;
	}
	char dist[32], mins[32];
	int sec = route_compass_sector(l->bearing_deg);
	const char *approx = l->approximate ? "≈ " : "";
	route_format_distance(l->distance_m, dist);
	route_format_minutes(l->minutes, mins);
	cell_add(c, 7.5, 0, "%s%s", approx, dist);
	cell_add(c, 7.5, 0, "%s %s %.0f°", route_compass_zh(sec), route_compass_en(sec), l->bearing_deg);
	cell_add(c, 7.5, 0, "%s%s", approx, mins);
}

/* One row of the table, kept whole on one page (the header again on a new
 * page). */
static void row(struct layout *L, const char *seq, const struct cell *stop, const struct cell *time,
                const struct cell *leg, const char *url)
{
	double h = fmax(fmax(cell_height(L, stop, COL_STOP - 2 * CELL_PAD),
	                     cell_height(L, time, COL_TIME - 2 * CELL_PAD)),
	                cell_height(L, leg, COL_LEG - 2 * CELL_PAD));
	if (*url)
		h = fmax(h, QR_SIZE);
	h += 2 * ROW_PAD;
	if (L->y + h > BOTTOM) {
		new_page(L);
		table_head(L);
	}
	double top = L->y + ROW_PAD;
	set_size(L, 10);
	show(L, MARGIN + COL_NUM / 2 - text_width(L, seq, strlen(seq)) / 2, top + 10, seq, strlen(seq));
	cell_draw(L, stop, MARGIN + COL_NUM + CELL_PAD, top, COL_STOP - 2 * CELL_PAD);
	cell_draw(L, time, MARGIN + COL_NUM + COL_STOP + CELL_PAD, top, COL_TIME - 2 * CELL_PAD);
	cell_draw(L, leg, MARGIN + COL_NUM + COL_STOP + COL_TIME + CELL_PAD, top, COL_LEG - 2 * CELL_PAD);
	if (*url)
		draw_qr(L, url, MARGIN + CONTENT_W - COL_QR + (COL_QR - QR_SIZE) / 2, top, QR_SIZE);
	L->y += h;
	rule(L, L->y, 0.4);
}

static void draw_map(struct layout *L)
{
	double w = cairo_image_surface_get_width(L->map), h = cairo_image_surface_get_height(L->map);
	if (w <= 0 || h <= 0)
		return;
	double scale = CONTENT_W / w, dh = h * scale;
	need(L, dh + 2 * MM);
	cairo_save(L->cr);
	cairo_translate(L->cr, MARGIN, L->y);
	cairo_scale(L->cr, scale, scale);
	cairo_set_source_surface(L->cr, L->map, 0, 0);
	/* the map is drawn at 2x for print: a good filter when scaling down */
	cairo_pattern_set_filter(cairo_get_source(L->cr), CAIRO_FILTER_GOOD);
	cairo_paint(L->cr);
	cairo_restore(L->cr);
	cairo_set_line_width(L->cr, 0.5);
	cairo_set_source_rgb(L->cr, 0.6, 0.6, 0.6);
	cairo_rectangle(L->cr, MARGIN, L->y, CONTENT_W, dh);
	cairo_stroke(L->cr);
	black(L);
	L->y += dh + 1 * MM;
	grey(L);
	struct buf legend = BUF_INIT;
	buf_printf(&legend, "%s %s", route_legend_zh, route_legend_en);
	paragraph(L, MARGIN, CONTENT_W, 6.5, buf_str(&legend));
	buf_free(&legend);
	black(L);
	L->y += 1 * MM;
}

static void header(struct layout *L)
{
	const struct route_plan *p = L->plan;
	char line[1024], date[32], note[ROUTE_NOTE_LEN];
	cairo_set_source_rgb(L->cr, 0.64, 0, 0);
	paragraph(L, MARGIN, CONTENT_W, 14, route_sheet_title(L->sheet));
	cairo_set_source_rgb(L->cr, 0.64, 0, 0);
	cairo_set_line_width(L->cr, 1.4);
	cairo_move_to(L->cr, MARGIN, L->y + 1);
	cairo_line_to(L->cr, MARGIN + CONTENT_W, L->y + 1);
	cairo_stroke(L->cr);
	black(L);
	L->y += 4;
	size_t n = 0;
	line[0] = '\0';
	if (p->has_date) {
		route_date_zh(p, date);
		n += (size_t)snprintf(line + n, sizeof line - n, "日期 Date: %s     ", date);
	}
	if (p->has_times) {
		char c[HOURS_CLOCK_TEXT];
		route_clock(p->start_s, c);
		n += (size_t)snprintf(line + n, sizeof line - n, "出发 Leave: %s     ", c);
	}
	/* the label only when the caller named the start: "起点 Start: 起点 Start" says nothing */
	const char *named =
	    L->sheet && L->sheet->start_label && *L->sheet->start_label ? L->sheet->start_label : NULL;
	route_sheet_date(L->sheet, date);
	snprintf(line + n, sizeof line - n,
	         "方式 Mode: %s     起点 Start: %s%s(%.6f, %.6f)     制表 Made: %s",
	         p->opt.mode == ROUTE_DRIVE ? "驾车 drive" : "步行 walk", named ? named : "",
	         named ? " " : "", p->start_lat, p->start_lon, date);
	paragraph(L, MARGIN, CONTENT_W, 8.5, line);
	struct buf t = BUF_INIT;
	route_totals_zh(p, &t);
	buf_puts(&t, "  ");
	route_totals_en(p, &t);
	paragraph(L, MARGIN, CONTENT_W, 8.5, buf_str(&t));
	buf_free(&t);
	route_uncertainty_zh(p, note);
	if (*note) {
		char both[2 * ROUTE_NOTE_LEN + 2];
		amber(L);
		snprintf(both, sizeof both, "%s ", note);
		route_uncertainty_en(p, note);
		strncat(both, note, sizeof both - strlen(both) - 1);
		paragraph(L, MARGIN, CONTENT_W, 7.5, both);
		black(L);
	}
	for (size_t i = 0; i < p->nmissed; i++) {
		char why[ROUTE_NOTE_LEN];
		struct buf m = BUF_INIT;
		buf_printf(&m, "%s× %s：", i ? "" : "未能安排 Not in the plan: ",
		           site_field(p->missed[i].site, SITE_NAME_ZH));
		route_missed_zh(p, &p->missed[i], why);
		buf_printf(&m, "%s ", why);
		route_missed_en(p, &p->missed[i], why);
		buf_puts(&m, why);
		paragraph(L, MARGIN, CONTENT_W, 8, buf_str(&m));
		buf_free(&m);
	}
	L->y += 1 * MM;
}

static void layout_sheet(struct layout *L)
{
	const struct route_plan *p = L->plan;
	L->page = 1;
	L->y = MARGIN;
	header(L);
	if (L->map)
		draw_map(L);
	need(L, 20 * MM);
	table_head(L);
	struct buf url = BUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		struct cell stop = {0}, time = {0}, leg = {0};
		stop_cells(L, i, &stop, &time);
		leg_cell(&p->legs[i], &leg);
		char seq[24];
		snprintf(seq, sizeof seq, "%zu", i + 1);
		buf_reset(&url);
		route_site_url(L->sheet, p->stops[i], &url);
		row(L, seq, &stop, &time, &leg, buf_str(&url));
	}
	if (p->has_return) {
		struct cell stop = {0}, time = {0}, leg = {0};
		cell_add(&stop, 9, 0, "返回起点");
		snprintf(stop.line[0].alt, sizeof stop.line[0].alt, "Back to the start");
		if (p->has_times) {
			char c[HOURS_CLOCK_TEXT];
			route_clock(p->end_s, c);
			cell_add(&time, 9, 0, "%s", c);
		}
		leg_cell(&p->return_leg, &leg);
		row(L, "↩", &stop, &time, &leg, "");
	}
	buf_free(&url);
	L->y += 1 * MM;
	char line[1024];
	snprintf(line, sizeof line, "说明：%s Note: %s%s", route_estimate_note_zh, route_estimate_note_en,
	         L->sheet && L->sheet->site_url && *L->sheet->site_url
	             ? " 扫描二维码可查看站点介绍。Scan a QR code for the site's page."
	             : "");
	/* the note kept whole: its second half alone on a page of its own
	 * would read as a sheet of its own */
	set_size(L, FOOTNOTE_PT);
	need(L, wrap(L, line, CONTENT_W, count_line, NULL) * FOOTNOTE_PT * PARA_LEAD);
	grey(L);
	paragraph(L, MARGIN, CONTENT_W, FOOTNOTE_PT, line);
	black(L);
	footer(L);
	cairo_show_page(L->cr);
}

/* One full layout onto a new PDF surface writing to out (NULL: discard).
 * Returns the page count, or -1 when cairo failed. */
static int run_layout(struct layout *L, struct buf *out)
{
	L->surface = cairo_pdf_surface_create_for_stream(write_buf, out, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(L->surface, CAIRO_PDF_METADATA_TITLE, route_sheet_title(L->sheet));
	cairo_pdf_surface_set_metadata(L->surface, CAIRO_PDF_METADATA_CREATOR, "mapsvc");
	L->cr = cairo_create(L->surface);
	layout_sheet(L);
	int pages = L->page;
	cairo_status_t st = cairo_status(L->cr);
	cairo_destroy(L->cr);
	cairo_surface_finish(L->surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(L->surface);
	cairo_surface_destroy(L->surface);
	L->cr = NULL;
	L->surface = NULL;
	return st == CAIRO_STATUS_SUCCESS ? pages : -1;
}

enum ms_status route_write_pdf(const struct route_plan *p, const struct route_sheet *s, struct buf *out,
                               struct ms_error *err)
{
	struct layout L = {.plan = p, .sheet = s};
	enum ms_status st = open_font(s && s->font_path ? s->font_path : ROUTE_PDF_FONT, &L.font, err);
	if (st != MS_OK)
		return st;
	if (s && s->map_png && s->map_png_len) {
		struct png_reader r = {s->map_png, s->map_png_len};
		L.map = cairo_image_surface_create_from_png_stream(png_read, &r);
		if (cairo_surface_status(L.map) != CAIRO_STATUS_SUCCESS) {
			st = ms_fail(err, MS_EDATA, "route pdf: the overview map is not a readable PNG (%s)",
			             cairo_status_to_string(cairo_surface_status(L.map)));
			goto done;
		}
	}
	int pages = run_layout(&L, NULL);
	if (pages > 0) {
		L.pages = pages;
		pages = run_layout(&L, out);
	}
	if (pages < 0)
		st = ms_fail(err, MS_EINTERNAL, "route pdf: cairo failed to write the sheet");
done:
	if (L.map)
		cairo_surface_destroy(L.map);
	cairo_font_face_destroy(L.font);
	return st;
}
