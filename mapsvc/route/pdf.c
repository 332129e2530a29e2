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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"
#include "../util/utf8.h"
#include "route_int.h"

/* A4 in PostScript points (ISO 216: 210 x 297 mm, 72 pt per inch). */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN 42.0 /* about 15 mm */
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define FOOTER_Y (PAGE_H - 22.0)
#define BOTTOM (PAGE_H - MARGIN - 6.0)
#define MAP_MAX_H 230.0

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
	struct para pa = {x, size, size * 1.4};
	set_size(L, size);
	wrap(L, text, width, emit_line, &pa);
}

static void count_line(struct layout *L, const char *s, size_t n, void *ctx)
{
	(void)L, (void)s, (void)n, (void)ctx;
}

/* Table geometry: number, name, distance, bearing, time. */
static const double col_x[5] = {0, 24, 290, 362, 448};
#define COL_END CONTENT_W

static void rule(struct layout *L, double y)
{
	cairo_set_line_width(L->cr, 0.5);
	cairo_set_source_rgb(L->cr, 0.55, 0.55, 0.55);
	cairo_move_to(L->cr, MARGIN, y);
	cairo_line_to(L->cr, MARGIN + COL_END, y);
	cairo_stroke(L->cr);
	cairo_set_source_rgb(L->cr, 0, 0, 0);
}

/* The sheet's amber, for what is uncertain. */
static void amber(struct layout *L)
{
	cairo_set_source_rgb(L->cr, 0.54, 0.32, 0);
}

/* One row of the leg table: the leg arriving at stop (NULL: the return
 * leg).  An approximate stop's name carries "≈" and a line saying so; a
 * leg the plan could not trust gets its note across the distance, bearing
 * and time columns instead of numbers. */
static void leg_row(struct layout *L, const char *seq, const struct site *stop, const char *zh,
                    const char *en, const struct route_leg *l)
{
	double name_w = col_x[2] - col_x[1] - 6, flag_w = COL_END - col_x[2];
	/* two notes and their separator */
	char name[1024], approx[2 * ROUTE_NOTE_LEN + 2] = "", note[2 * ROUTE_NOTE_LEN + 2] = "";
	snprintf(name, sizeof name, "%s%s", stop ? route_approx_mark(stop) : "", zh);
	if (stop && site_quality_approximate(stop->quality)) {
		char a[ROUTE_NOTE_LEN], b[ROUTE_NOTE_LEN];
		route_approx_zh(stop, a);
		route_approx_en(stop, b);
		snprintf(approx, sizeof approx, "%s %s", a, b);
	}
	if (l->quality != ROUTE_LEG_OK) {
		char a[ROUTE_NOTE_LEN], b[ROUTE_NOTE_LEN];
		route_leg_note_zh(l, a);
		route_leg_note_en(l, b);
		snprintf(note, sizeof note, "%s\n%s", a, b);
	}
	set_size(L, 9);
	int zl = wrap(L, name, name_w, count_line, NULL);
	int nl = *note ? wrap(L, note, flag_w, count_line, NULL) : 0;
	set_size(L, 7.5);
	int el = *en ? wrap(L, en, name_w, count_line, NULL) : 0;
	int al = *approx ? wrap(L, approx, name_w, count_line, NULL) : 0;
	double h = 3 + zl * 12 + (el + al) * 9.5 + 3;
	if (3 + nl * 12 + 3 > h)
		h = 3 + nl * 12 + 3;
	need(L, h);
	double top = L->y;
	set_size(L, 9);
	show(L, MARGIN + col_x[0] + 2, top + 12, seq, strlen(seq));
	if (l->quality != ROUTE_LEG_OK) {
		amber(L);
		L->y = top + 2;
		struct para pn = {MARGIN + col_x[2], 9, 12};
		wrap(L, note, flag_w, emit_line, &pn);
		cairo_set_source_rgb(L->cr, 0, 0, 0);
	} else {
		char dist[40], mins[40], bear[48], d[32], m[32];
		int sec = route_compass_sector(l->bearing_deg);
		route_format_distance(l->distance_m, d);
		route_format_minutes(l->minutes, m);
		snprintf(dist, sizeof dist, "%s%s", l->approximate ? "≈ " : "", d);
		snprintf(mins, sizeof mins, "%s%s", l->approximate ? "≈ " : "", m);
		snprintf(bear, sizeof bear, "%s %s %.0f°", route_compass_zh(sec), route_compass_en(sec),
		         l->bearing_deg);
		show(L, MARGIN + col_x[2], top + 12, dist, strlen(dist));
		show(L, MARGIN + col_x[3], top + 12, bear, strlen(bear));
		show(L, MARGIN + col_x[4], top + 12, mins, strlen(mins));
	}
	L->y = top + 2;
	struct para pz = {MARGIN + col_x[1], 9, 12};
	wrap(L, name, name_w, emit_line, &pz);
	if (el) {
		cairo_set_source_rgb(L->cr, 0.3, 0.3, 0.3);
		struct para pe = {MARGIN + col_x[1], 7.5, 9.5};
		wrap(L, en, name_w, emit_line, &pe);
		cairo_set_source_rgb(L->cr, 0, 0, 0);
	}
	if (al) {
		amber(L);
		struct para pa = {MARGIN + col_x[1], 7.5, 9.5};
		wrap(L, approx, name_w, emit_line, &pa);
		cairo_set_source_rgb(L->cr, 0, 0, 0);
	}
	L->y = top + h;
	rule(L, L->y);
}

static void heading(struct layout *L, const char *text, double size)
{
	need(L, size * 2.2);
	L->y += size * 0.5;
	cairo_set_source_rgb(L->cr, 0.64, 0, 0);
	set_size(L, size);
	show(L, MARGIN, L->y + size, text, strlen(text));
	cairo_set_source_rgb(L->cr, 0, 0, 0);
	L->y += size * 1.6;
}

static void draw_map(struct layout *L)
{
	double w = cairo_image_surface_get_width(L->map), h = cairo_image_surface_get_height(L->map);
	if (w <= 0 || h <= 0)
		return;
	double scale = CONTENT_W / w;
	if (h * scale > MAP_MAX_H)
		scale = MAP_MAX_H / h;
	double dw = w * scale, dh = h * scale, x = MARGIN + (CONTENT_W - dw) / 2;
	need(L, dh + 8);
	cairo_save(L->cr);
	cairo_translate(L->cr, x, L->y);
	cairo_scale(L->cr, scale, scale);
	cairo_set_source_surface(L->cr, L->map, 0, 0);
	cairo_paint(L->cr);
	cairo_restore(L->cr);
	cairo_set_line_width(L->cr, 0.6);
	cairo_set_source_rgb(L->cr, 0.5, 0.5, 0.5);
	cairo_rectangle(L->cr, x, L->y, dw, dh);
	cairo_stroke(L->cr);
	cairo_set_source_rgb(L->cr, 0, 0, 0);
	L->y += dh + 8;
}

static void labelled(struct layout *L, const char *label, const char *value)
{
	if (!*value)
		return;
	size_t n = strlen(label) + strlen(value) + 4;
	char *t = xmalloc(n);
	snprintf(t, n, "%s：%s", label, value);
	paragraph(L, MARGIN + 12, CONTENT_W - 12, 8.5, t);
	free(t);
}

static void layout_sheet(struct layout *L)
{
	const struct route_plan *p = L->plan;
	char line[512], date[16], dist[32], mins[32];
	L->page = 1;
	L->y = MARGIN;

	cairo_set_source_rgb(L->cr, 0.64, 0, 0);
	paragraph(L, MARGIN, CONTENT_W, 18, route_sheet_title(L->sheet));
	cairo_set_source_rgb(L->cr, 0.64, 0, 0);
	cairo_set_line_width(L->cr, 1.5);
	cairo_move_to(L->cr, MARGIN, L->y + 2);
	cairo_line_to(L->cr, MARGIN + CONTENT_W, L->y + 2);
	cairo_stroke(L->cr);
	cairo_set_source_rgb(L->cr, 0, 0, 0);
	L->y += 8;

	route_sheet_date(L->sheet, date);
	route_format_distance(p->total_distance_m, dist);
	route_format_minutes(p->total_minutes, mins);
	snprintf(line, sizeof line, "日期 Date: %s      方式 Mode: %s", date,
	         p->opt.mode == ROUTE_DRIVE ? "驾车 drive" : "步行 walk");
	paragraph(L, MARGIN, CONTENT_W, 10, line);
	/* the label only when the caller named the start: "起点 Start: 起点 Start" says nothing */
	const char *named =
	    L->sheet && L->sheet->start_label && *L->sheet->start_label ? L->sheet->start_label : NULL;
	snprintf(line, sizeof line, "起点 Start: %s%s(%.6f, %.6f)", named ? named : "", named ? " " : "",
	         p->start_lat, p->start_lon);
	paragraph(L, MARGIN, CONTENT_W, 10, line);
	snprintf(line, sizeof line, "共 %zu 站%s  %zu stops%s: %s, 约 about %s", p->n,
	         p->has_return ? "，返回起点" : "", p->n, p->has_return ? ", round trip" : "", dist, mins);
	paragraph(L, MARGIN, CONTENT_W, 10, line);
	char note[ROUTE_NOTE_LEN];
	route_uncertainty_zh(p, note);
	if (*note) {
		amber(L);
		paragraph(L, MARGIN, CONTENT_W, 9.5, note);
		route_uncertainty_en(p, note);
		paragraph(L, MARGIN, CONTENT_W, 8.5, note);
		cairo_set_source_rgb(L->cr, 0, 0, 0);
	}
	L->y += 6;

	if (L->map)
		draw_map(L);

	heading(L, "行程  Legs", 13);
	static const char *const head[5] = {"序号", "名称 Name", "距离 Distance", "方向 Bearing",
	                                    "用时 Time"};
	need(L, 20);
	cairo_set_source_rgb(L->cr, 0.95, 0.89, 0.89);
	cairo_rectangle(L->cr, MARGIN, L->y, COL_END, 16);
	cairo_fill(L->cr);
	cairo_set_source_rgb(L->cr, 0, 0, 0);
	set_size(L, 8.5);
	for (int c = 0; c < 5; c++)
		show(L, MARGIN + col_x[c] + 2, L->y + 11.5, head[c], strlen(head[c]));
	L->y += 16;
	rule(L, L->y);
	for (size_t i = 0; i < p->n; i++) {
		char seq[24];
		snprintf(seq, sizeof seq, "%zu", i + 1);
		const struct site *st = p->stops[i];
		leg_row(L, seq, st, st->field[SITE_NAME_ZH], st->field[SITE_NAME_EN], &p->legs[i]);
	}
	if (p->has_return)
		leg_row(L, "↩", NULL, "返回起点", "Back to the start", &p->return_leg);
	need(L, 16);
	set_size(L, 9);
	char total_d[48], total_m[48];
	snprintf(total_d, sizeof total_d, "%s%s", p->approximate_stops ? "≈ " : "", dist);
	snprintf(total_m, sizeof total_m, "%s%s", p->approximate_stops ? "≈ " : "", mins);
	show(L, MARGIN + col_x[1], L->y + 12, "合计 Total", strlen("合计 Total"));
	show(L, MARGIN + col_x[2], L->y + 12, total_d, strlen(total_d));
	show(L, MARGIN + col_x[4], L->y + 12, total_m, strlen(total_m));
	L->y += 16;

	heading(L, "站点介绍  Stops", 13);
	for (size_t i = 0; i < p->n; i++) {
		const struct site *st = p->stops[i];
		need(L, 40); /* keep a stop's name with at least two lines of it */
		snprintf(line, sizeof line, "%zu. %s%s", i + 1, route_approx_mark(st),
		         st->field[SITE_NAME_ZH]);
		paragraph(L, MARGIN, CONTENT_W, 10.5, line);
		cairo_set_source_rgb(L->cr, 0.3, 0.3, 0.3);
		paragraph(L, MARGIN + 12, CONTENT_W - 12, 8, st->field[SITE_NAME_EN]);
		cairo_set_source_rgb(L->cr, 0, 0, 0);
		if (site_quality_approximate(st->quality)) {
			char a[ROUTE_NOTE_LEN], b[ROUTE_NOTE_LEN], both[2 * ROUTE_NOTE_LEN + 1];
			route_approx_zh(st, a);
			route_approx_en(st, b);
			snprintf(both, sizeof both, "%s %s", a, b);
			amber(L);
			labelled(L, "位置 Position", both);
			cairo_set_source_rgb(L->cr, 0, 0, 0);
		}
		labelled(L, "地址 Address", st->field[SITE_ADDRESS]);
		labelled(L, "开放时间 Opening hours", st->field[SITE_OPENING_HOURS]);
		labelled(L, "简介 About", st->field[SITE_DESCRIPTION]);
		L->y += 3;
	}

	L->y += 4;
	snprintf(line, sizeof line, "说明：%s", route_estimate_note_zh);
	paragraph(L, MARGIN, CONTENT_W, 9, line);
	paragraph(L, MARGIN, CONTENT_W, 8.5, route_estimate_note_en);
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
