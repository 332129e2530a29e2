/*
 * print.c - the canonical text of a parsed value; see hours_to_text.
 *
 * Canonical means one spelling per meaning the parser keeps apart, so that
 * printing, parsing and printing again gives the same bytes (the fuzzer
 * checks it): separators and spaces as the specification writes them,
 * "off" for closed, an explicit state before every comment, PH before the
 * weekdays, the readability colon dropped, a span past midnight written
 * with its end on the clock ("22:00-02:00") unless that would read as a
 * shorter span ("02:00-26:00" stays).
 */
#include "hours_int.h"

#define MINUTES_PER_HOUR 60

static void put_clock(struct buf *b, int minutes)
{
	buf_printf(b, "%02d:%02d", minutes / MINUTES_PER_HOUR, minutes % MINUTES_PER_HOUR);
}

/* Starts a part of a rule: a space unless it is the first. */
static void part(struct buf *b, bool *any)
{
	if (*any)
		buf_putc(b, ' ');
	*any = true;
}

static void put_years(struct buf *b, const struct hours_rule *r)
{
	for (int i = 0; i < r->nyears; i++) {
		const struct hours_years *y = &r->years[i];
		buf_printf(b, "%s%d", i ? "," : "", y->from);
		if (y->plus)
			buf_putc(b, '+');
		else if (y->to != y->from)
			buf_printf(b, "-%d", y->to);
	}
}

static void put_dates(struct buf *b, const struct hours_rule *r)
{
	for (int i = 0; i < r->ndates; i++) {
		const struct hours_dates *d = &r->dates[i];
		const char *m1 = hours_month_names[d->m1 - 1], *m2 = hours_month_names[d->m2 - 1];
		if (i)
			buf_putc(b, ',');
		if (d->d1 == 0) {
			buf_puts(b, m1);
			if (d->m2 != d->m1)
				buf_printf(b, "-%s", m2);
		} else if (d->m1 == d->m2 && d->d1 == d->d2) {
			buf_printf(b, "%s %02d", m1, d->d1);
		} else if (d->m1 == d->m2 && d->d2 > d->d1) {
			buf_printf(b, "%s %02d-%02d", m1, d->d1, d->d2);
		} else {
			buf_printf(b, "%s %02d-%s %02d", m1, d->d1, m2, d->d2);
		}
	}
}

static void put_weeks(struct buf *b, const struct hours_rule *r)
{
	buf_puts(b, "week ");
	for (int i = 0; i < r->nweeks; i++) {
		const struct hours_weeks *w = &r->weeks[i];
		buf_printf(b, "%s%02d", i ? "," : "", w->from);
		if (w->to != w->from)
			buf_printf(b, "-%02d", w->to);
		if (w->step != 1)
			buf_printf(b, "/%d", w->step);
	}
}

static void put_nth(struct buf *b, uint16_t nth)
{
	bool first = true;
	buf_putc(b, '[');
	for (int k = 1; k <= HOURS_NTH_MAX; k++) {
		if (nth >> (k - 1) & 1) {
			buf_printf(b, "%s%d", first ? "" : ",", k);
			first = false;
		}
	}
	for (int k = 1; k <= HOURS_NTH_MAX; k++) {
		if (nth >> (HOURS_NTH_LAST + k - 1) & 1) {
			buf_printf(b, "%s-%d", first ? "" : ",", k);
			first = false;
		}
	}
	buf_putc(b, ']');
}

static void put_wdays(struct buf *b, const struct hours_rule *r)
{
	bool first = true;
	if (r->ph) {
		buf_puts(b, "PH");
		first = false;
	}
	for (int i = 0; i < r->nwdays; i++) {
		const struct hours_wdays *w = &r->wdays[i];
		if (!first)
			buf_putc(b, ',');
		first = false;
		buf_puts(b, hours_weekday_names[w->from]);
		if (w->to != w->from)
			buf_printf(b, "-%s", hours_weekday_names[w->to]);
		if (w->nth)
			put_nth(b, w->nth);
	}
}

static void put_times(struct buf *b, const struct hours_rule *r)
{
	for (int i = 0; i < r->ntimes; i++) {
		const struct hours_time *t = &r->times[i];
		if (i)
			buf_putc(b, ',');
		put_clock(b, t->from);
		if (t->kind == HOURS_TIME_OPEN_END) {
			buf_putc(b, '+');
			continue;
		}
		int to = t->to;
		if (to > HOURS_MINUTES_PER_DAY && to - HOURS_MINUTES_PER_DAY < t->from)
			to -= HOURS_MINUTES_PER_DAY;
		buf_putc(b, '-');
		put_clock(b, to);
		if (t->kind == HOURS_TIME_SPAN_OPEN_END)
			buf_putc(b, '+');
	}
}

void hours_to_text(const struct hours *h, struct buf *out)
{
	static const char *const seps[] = {
	    [HOURS_SEP_NORMAL] = "; ",
	    [HOURS_SEP_ADDITIONAL] = ", ",
	    [HOURS_SEP_FALLBACK] = " || ",
	};
	static const char *const mods[] = {
	    [HOURS_MOD_OPEN] = "open",
	    [HOURS_MOD_CLOSED] = "off",
	    [HOURS_MOD_UNKNOWN] = "unknown",
	};
	for (size_t i = 0; i < h->nrules; i++) {
		const struct hours_rule *r = &h->rule[i];
		bool any = false;
		if (i)
			buf_puts(out, seps[r->sep]);
		if (r->always) {
			part(out, &any);
			buf_puts(out, "24/7");
		}
		if (r->nyears) {
			part(out, &any);
			put_years(out, r);
		}
		if (r->ndates) {
			part(out, &any);
			put_dates(out, r);
		}
		if (r->nweeks) {
			part(out, &any);
			put_weeks(out, r);
		}
		if (r->nwdays || r->ph) {
			part(out, &any);
			put_wdays(out, r);
		}
		if (r->ntimes) {
			part(out, &any);
			put_times(out, r);
		}
		/* "open" is the default, written only when nothing else would
		 * be, or before a comment (a comment alone means unknown). */
		if (r->mod != HOURS_MOD_OPEN || r->comment || !any) {
			part(out, &any);
			buf_puts(out, mods[r->mod]);
		}
		if (r->comment) {
			part(out, &any);
			buf_printf(out, "\"%s\"", r->comment);
		}
	}
}
