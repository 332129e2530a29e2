/*
 * route_int.h - what the sheet writers (export.c, html.c, pdf.c) share:
 * the default title and start label, XML/HTML escaping, and the date,
 * distance and duration formats, so that the JSON, GPX, HTML and PDF
 * sheets of one route say the same thing.  Internal to route/: not a
 * public API.
 *
 * Owns nothing: the strings returned are the sheet's own or static
 * constants; text is appended to the caller's buffers.  Threads: pure
 * functions with no shared state (dates through gmtime_r), callable from
 * any thread.
 */
#ifndef MS_ROUTE_INT_H
#define MS_ROUTE_INT_H

#include "route.h"

#define ROUTE_DEFAULT_TITLE "红色教育路线 Red-education route"
#define ROUTE_DEFAULT_START "起点 Start"

const char *route_sheet_title(const struct route_sheet *s);
const char *route_sheet_start(const struct route_sheet *s);
/* Appends s escaped for XML/HTML text and attribute values (& < > " '),
 * dropping the control characters XML 1.0 (§2.2) does not allow. */
void route_xml_escape(struct buf *b, const char *s);
/* "2024-05-01" in the sheet's UTC offset. */
void route_sheet_date(const struct route_sheet *s, char out[16]);
/* "1.23 km" or "850 m". */
void route_format_distance(double m, char out[32]);
/* "1 h 05 min" or "17 min". */
void route_format_minutes(double min, char out[32]);
/* The leg arriving at stop i; the return leg for i == p->n. */
const struct route_leg *route_leg_at(const struct route_plan *p, size_t i);

#endif
