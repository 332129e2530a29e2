/*
 * eval.c - evaluating opening hours for an instant or a day; see hours.h.
 *
 * A calendar day is evaluated as a timeline of its 1440 minutes, painted
 * rule by rule in order, which is the specification's override semantics
 * made literal:
 *   - each minute holds a state (closed, open, unknown), whether some rule
 *     has matched it yet, and which rule painted it last;
 *   - a rule whose selectors match the day paints its times with its
 *     state; a normal rule that is not closed first wipes the whole day
 *     (it replaces what earlier rules said about it), while closed rules
 *     and additional rules only paint over their own times;
 *   - a fallback rule paints only minutes no rule has matched yet;
 *   - the part of a span past midnight is painted on the next day, right
 *     after the rule's own times, when the rule's selectors matched the
 *     day before (as opening_hours.js does: a later rule that wipes the
 *     next day wipes it too, one that replaces the day before does not).
 * Painting at most HOURS_MAX_RULES rules of at most HOURS_MAX_ITEMS spans
 * over 1440 minutes bounds a day at about 0.7 M byte writes, and typical
 * values (two or three rules) take a few thousand.
 *
 * Public holidays: whether a date is PH comes from the State Council's
 * table (holidays.c).  When it is not known, the day is evaluated both
 * ways (and the day before both ways, for spans past midnight): minutes
 * on which the answers agree keep it, the others are unknown.  A value
 * without PH needs one evaluation.
 *
 * hours_next_change walks forward a day at a time.  A day's timeline is
 * fully determined by which rules match it and the day before (its
 * "signature"), so consecutive days with the same signature, nearly all of
 * them, are not painted again; the walk costs one selector test per rule
 * and day.
 */
#include <string.h>

#include "hours_int.h"

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_DAY 86400
#define DAYS_PER_WEEK 7

/* A minute's cell: the state in the low bits, MATCHED once a rule painted
 * it. */
#define STATE_MASK 0x03
#define MATCHED 0x80
/* rule[] values that are not a rule index. */
#define NO_RULE 0xFF
#define PH_DEPENDENT 0xFE

_Static_assert(HOURS_MAX_RULES <= 32, "rule masks are 32-bit");
_Static_assert(HOURS_MAX_RULES < PH_DEPENDENT, "rule indices fit a byte");

struct timeline {
	uint8_t st[HOURS_MINUTES_PER_DAY];
	uint8_t rule[HOURS_MINUTES_PER_DAY];
};

/* What the selectors look at, computed once per day. */
struct dayinfo {
	struct hours_date date;
	int wday;         /* 0 = Monday */
	int week;         /* ISO 8601 */
	int nth, nth_end; /* the day is the nth of its weekday in the month, nth_end-th from the end */
	enum hours_cn_day cn;
};

/* Which rules match a day (own) and the day before (spill), for each way
 * PH may fall on the two days. */
#define MAX_CASES 4
struct daysig {
	int ncases;
	uint32_t own[MAX_CASES], spill[MAX_CASES];
};

static void dayinfo_of(int64_t days, struct dayinfo *di)
{
	di->date = hours_civil_from_days(days);
	int64_t w = (days + 3) % DAYS_PER_WEEK; /* 1970-01-01 was a Thursday */
	di->wday = (int)(w < 0 ? w + DAYS_PER_WEEK : w);
	di->nth = (di->date.day - 1) / DAYS_PER_WEEK + 1;
	di->nth_end = (hours_days_in_month(di->date.year, di->date.month) - di->date.day) / DAYS_PER_WEEK + 1;
	/* The day before 1900-01-01 (for spans past midnight) is outside the
	 * calendar handled; its ISO week is not needed by anything valid. */
	bool valid = hours_date_valid(di->date);
	di->week = valid ? hours_iso_week(di->date) : 0;
	di->cn = hours_cn_day(di->date, NULL);
}

static bool in_cycle(int v, int from, int to)
{
	return from <= to ? v >= from && v <= to : v >= from || v <= to;
}

static bool match_dates(const struct hours_dates *r, const struct hours_date *d)
{
	if (r->d1 == 0)
		return in_cycle(d->month, r->m1, r->m2);
	/* Month and day as one ordered key (days never exceed 31). */
	int key = d->month * 32 + d->day, k1 = r->m1 * 32 + r->d1, k2 = r->m2 * 32 + r->d2;
	return in_cycle(key, k1, k2);
}

static bool match_wday(const struct hours_wdays *w, const struct dayinfo *d)
{
	if (!in_cycle(d->wday, w->from, w->to))
		return false;
	if (w->nth == 0)
		return true;
	return (w->nth >> (d->nth - 1) & 1) || (w->nth >> (HOURS_NTH_LAST + d->nth_end - 1) & 1);
}

/* Whether rule r's selectors all match day d, PH being ph. */
static bool match_rule(const struct hours_rule *r, const struct dayinfo *d, bool ph)
{
	if (r->always)
		return true;
	bool ok = r->nyears == 0;
	for (int i = 0; i < r->nyears && !ok; i++)
		ok = d->date.year >= r->years[i].from && d->date.year <= r->years[i].to;
	if (!ok)
		return false;
	ok = r->ndates == 0;
	for (int i = 0; i < r->ndates && !ok; i++)
		ok = match_dates(&r->dates[i], &d->date);
	if (!ok)
		return false;
	ok = r->nweeks == 0;
	for (int i = 0; i < r->nweeks && !ok; i++) {
		const struct hours_weeks *w = &r->weeks[i];
		ok = d->week >= w->from && d->week <= w->to && (d->week - w->from) % w->step == 0;
	}
	if (!ok)
		return false;
	if (r->nwdays == 0 && !r->ph)
		return true;
	if (r->ph && ph)
		return true;
	for (int i = 0; i < r->nwdays; i++)
		if (match_wday(&r->wdays[i], d))
			return true;
	return false;
}

static bool has_spill(const struct hours_rule *r)
{
	for (int i = 0; i < r->ntimes; i++)
		if (r->times[i].kind != HOURS_TIME_OPEN_END && r->times[i].to > HOURS_MINUTES_PER_DAY)
			return true;
	return false;
}

static uint32_t own_mask(const struct hours *h, const struct dayinfo *d, bool ph)
{
	uint32_t m = 0;
	for (size_t i = 0; i < h->nrules; i++)
		if (match_rule(&h->rule[i], d, ph))
			m |= 1u << i;
	return m;
}

static uint32_t spill_mask(const struct hours *h, const struct dayinfo *before, bool ph)
{
	uint32_t m = 0;
	for (size_t i = 0; i < h->nrules; i++)
		if (has_spill(&h->rule[i]) && match_rule(&h->rule[i], before, ph))
			m |= 1u << i;
	return m;
}

/* The ways PH may be for a day: known (one) or not (both). */
static int ph_cases(const struct hours *h, const struct dayinfo *d, bool out[2])
{
	if (!h->uses_ph || d->cn == HOURS_CN_REGULAR || d->cn == HOURS_CN_WORKDAY) {
		out[0] = false;
		return 1;
	}
	if (d->cn == HOURS_CN_HOLIDAY) {
		out[0] = true;
		return 1;
	}
	out[0] = false;
	out[1] = true;
	return 2;
}

static void signature(const struct hours *h, int64_t days, struct daysig *sig)
{
	struct dayinfo today, before;
	dayinfo_of(days, &today);
	dayinfo_of(days - 1, &before);
	bool pt[2], pb[2];
	int nt = ph_cases(h, &today, pt), nb = ph_cases(h, &before, pb);
	memset(sig, 0, sizeof *sig);
	for (int a = 0; a < nt; a++) {
		for (int b = 0; b < nb; b++) {
			sig->own[sig->ncases] = own_mask(h, &today, pt[a]);
			sig->spill[sig->ncases] = spill_mask(h, &before, pb[b]);
			sig->ncases++;
		}
	}
}

static void paint(struct timeline *tl, int from, int to, uint8_t state, uint8_t rule, bool fallback)
{
	if (to > HOURS_MINUTES_PER_DAY)
		to = HOURS_MINUTES_PER_DAY;
	for (int m = from; m < to; m++) {
		if (fallback && (tl->st[m] & MATCHED))
			continue;
		tl->st[m] = (uint8_t)(state | MATCHED);
		tl->rule[m] = rule;
	}
}

static void clear(struct timeline *tl)
{
	memset(tl->st, HOURS_CLOSED, sizeof tl->st);
	memset(tl->rule, NO_RULE, sizeof tl->rule);
}

static uint8_t mod_state(uint8_t mod)
{
	return mod == HOURS_MOD_OPEN ? HOURS_OPEN : mod == HOURS_MOD_CLOSED ? HOURS_CLOSED : HOURS_UNKNOWN;
}

/* One day's timeline for one case of the signature. */
static void paint_day(const struct hours *h, uint32_t own, uint32_t spill, struct timeline *tl)
{
	clear(tl);
	for (size_t i = 0; i < h->nrules; i++) {
		const struct hours_rule *r = &h->rule[i];
		bool o = own >> i & 1, s = spill >> i & 1;
		if (!o && !s)
			continue;
		bool fb = r->sep == HOURS_SEP_FALLBACK;
		uint8_t state = mod_state(r->mod), rule = (uint8_t)i;
		/* Open end: the closing time is not known, so what follows the
		 * opening is unknown unless the rule closes. */
		uint8_t tail = r->mod == HOURS_MOD_CLOSED ? HOURS_CLOSED : HOURS_UNKNOWN;
		if (o) {
			if (r->sep == HOURS_SEP_NORMAL && r->mod != HOURS_MOD_CLOSED)
				clear(tl);
			if (r->always || r->ntimes == 0)
				paint(tl, 0, HOURS_MINUTES_PER_DAY, state, rule, fb);
			for (int k = 0; k < r->ntimes; k++) {
				const struct hours_time *t = &r->times[k];
				switch (t->kind) {
				case HOURS_TIME_OPEN_END:
					paint(tl, t->from, HOURS_MINUTES_PER_DAY, tail, rule, fb);
					break;
				case HOURS_TIME_SPAN_OPEN_END:
					paint(tl, t->from, t->to, state, rule, fb);
					paint(tl, t->to, HOURS_MINUTES_PER_DAY, tail, rule, fb);
					break;
				default: paint(tl, t->from, t->to, state, rule, fb); break;
				}
			}
		}
		if (s) {
			for (int k = 0; k < r->ntimes; k++) {
				const struct hours_time *t = &r->times[k];
				if (t->kind != HOURS_TIME_OPEN_END && t->to > HOURS_MINUTES_PER_DAY)
					paint(tl, 0, t->to - HOURS_MINUTES_PER_DAY, state, rule, fb);
			}
		}
	}
}

/* The timeline of a day from its signature: the cases' states where they
 * agree, unknown where they do not. */
static void eval_sig(const struct hours *h, const struct daysig *sig, struct timeline *tl)
{
	paint_day(h, sig->own[0], sig->spill[0], tl);
	for (int c = 1; c < sig->ncases; c++) {
		struct timeline other;
		paint_day(h, sig->own[c], sig->spill[c], &other);
		for (int m = 0; m < HOURS_MINUTES_PER_DAY; m++) {
			if ((tl->st[m] & STATE_MASK) != (other.st[m] & STATE_MASK)) {
				tl->st[m] = HOURS_UNKNOWN | MATCHED;
				tl->rule[m] = PH_DEPENDENT;
			} else if (tl->rule[m] != other.rule[m]) {
				tl->rule[m] = PH_DEPENDENT;
			}
		}
	}
}

static int64_t last_day(void)
{
	return hours_days_from_civil(HOURS_MAX_YEAR, 12, 31);
}

static time_t day_start(int64_t days)
{
	return (time_t)(days * SECONDS_PER_DAY - HOURS_UTC_OFFSET_S);
}

const char *hours_state_name(enum hours_state s)
{
	switch (s) {
	case HOURS_CLOSED: return "closed";
	case HOURS_OPEN: return "open";
	case HOURS_UNKNOWN: return "unknown";
	}
	return "unknown";
}

enum hours_state hours_is_open(const struct hours *h, time_t t)
{
	struct hours_date d;
	int sec;
	if (!hours_local(t, &d, &sec))
		return HOURS_UNKNOWN;
	struct daysig sig;
	struct timeline tl;
	signature(h, hours_days_from_civil(d.year, d.month, d.day), &sig);
	eval_sig(h, &sig, &tl);
	return (enum hours_state)(tl.st[sec / SECONDS_PER_MINUTE] & STATE_MASK);
}

bool hours_next_change(const struct hours *h, time_t t, time_t *next)
{
	struct hours_date d;
	int sec;
	if (!hours_local(t, &d, &sec))
		return false;
	int64_t days = hours_days_from_civil(d.year, d.month, d.day);
	struct daysig sig, prev;
	struct timeline tl;
	signature(h, days, &sig);
	eval_sig(h, &sig, &tl);
	uint8_t now = tl.st[sec / SECONDS_PER_MINUTE] & STATE_MASK;
	for (int m = sec / SECONDS_PER_MINUTE + 1; m < HOURS_MINUTES_PER_DAY; m++) {
		if ((tl.st[m] & STATE_MASK) != now) {
			*next = day_start(days) + (time_t)m * SECONDS_PER_MINUTE;
			return true;
		}
	}
	for (int k = 1; k <= HOURS_LOOKAHEAD_DAYS && days + k <= last_day(); k++) {
		prev = sig;
		signature(h, days + k, &sig);
		/* Every day reached so far ended in state now, so a day with
		 * the same signature as the day before is all now too. */
		if (k > 1 && memcmp(&sig, &prev, sizeof sig) == 0)
			continue;
		eval_sig(h, &sig, &tl);
		for (int m = 0; m < HOURS_MINUTES_PER_DAY; m++) {
			if ((tl.st[m] & STATE_MASK) != now) {
				*next = day_start(days + k) + (time_t)m * SECONDS_PER_MINUTE;
				return true;
			}
		}
	}
	return false;
}

size_t hours_day_spans(const struct hours *h, struct hours_date d, struct hours_span *out, size_t cap)
{
	if (!hours_date_valid(d)) {
		if (cap > 0)
			out[0] = (struct hours_span){0, HOURS_MINUTES_PER_DAY, HOURS_UNKNOWN, -1};
		return 1;
	}
	struct daysig sig;
	struct timeline tl;
	signature(h, hours_days_from_civil(d.year, d.month, d.day), &sig);
	eval_sig(h, &sig, &tl);
	size_t n = 0;
	int m = 0;
	while (m < HOURS_MINUTES_PER_DAY) {
		uint8_t s = tl.st[m] & STATE_MASK, rule = tl.rule[m];
		int end = m + 1;
		while (end < HOURS_MINUTES_PER_DAY && (tl.st[end] & STATE_MASK) == s && tl.rule[end] == rule)
			end++;
		if (s != HOURS_CLOSED) {
			if (n < cap)
				out[n] =
				    (struct hours_span){m, end, (enum hours_state)s,
				                        rule == PH_DEPENDENT || rule == NO_RULE ? -1 : rule};
			n++;
		}
		m = end;
	}
	return n;
}
