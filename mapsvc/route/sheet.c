/* sheet.c - what the sheet writers share; see route_int.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "route_int.h"

const char *route_sheet_title(const struct route_sheet *s)
{
	return s && s->title && *s->title ? s->title : ROUTE_DEFAULT_TITLE;
}

const char *route_sheet_start(const struct route_sheet *s)
{
	return s && s->start_label && *s->start_label ? s->start_label : ROUTE_DEFAULT_START;
}

void route_xml_escape(struct buf *b, const char *s)
{
	size_t start = 0, i = 0;
	for (; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				rep = "";
		}
		if (!rep)
			continue;
		buf_append(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_append(b, s + start, i - start);
}

void route_sheet_date(const struct route_sheet *s, char out[16])
{
	time_t t = (s ? s->generated : 0) + (time_t)(s ? s->utc_offset_min : 0) * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

void route_format_distance(double m, char out[32])
{
	if (m < 1000)
		snprintf(out, 32, "%.0f m", m);
	else
		snprintf(out, 32, "%.2f km", m / 1000);
}

void route_format_minutes(double min, char out[32])
{
	long r = lround(min);
	if (r < 1 && min > 0)
		r = 1; /* a few metres still take a moment; "0 min" reads wrong */
	if (r < 60)
		snprintf(out, 32, "%ld min", r);
	else
		snprintf(out, 32, "%ld h %02ld min", r / 60, r % 60);
}

const struct route_leg *route_leg_at(const struct route_plan *p, size_t i)
{
	return i < p->n ? &p->legs[i] : &p->return_leg;
}
