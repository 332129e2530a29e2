/*
 * accept.c - Accept and Accept-Language, read as RFC 9110 §12.4-12.5
 * says; see accept.h.
 *
 * Both fields are comma-separated lists of elements, a range followed by
 * ";"-separated parameters of which only "q" matters here.  Each element
 * is looked at once, left to right, in place: the work is linear in the
 * field's length (the server bounds that with its header limit).
 */
#include "accept.h"

#include <string.h>
#include <strings.h>

#include "numparse.h"

/* RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals;
 * longer text is no weight. */
#define QVALUE_MAX_LEN 5

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The weight among the parameters p..end ("; q=0.5; x=y"), 1 when there
 * is none or it is malformed. */
static double element_weight(const char *p, const char *end)
{
	for (;;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			return 1;
		p = skip_ows(semi + 1);
		if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			const char *v = p + 2;
			size_t n = strspn(v, "0123456789.");
			double q;
			/* only blanks may follow the number inside its element */
			const char *after = skip_ows(v + n);
			if (n == 0 || n > QVALUE_MAX_LEN || (after < end && *after != ';') ||
			    !ms_parse_decimal(v, n, &q) || q < 0 || q > 1)
				return 1;
			return q;
		}
	}
}

/* Calls visit(range, range_len, weight, ctx) for each element of field. */
static void each_element(const char *field, void (*visit)(const char *, size_t, double, void *), void *ctx)
{
	const char *s = field;
	while (*s) {
		s = skip_ows(s);
		const char *end = s + strcspn(s, ",");
		size_t n = strcspn(s, " \t;,");
		if (n > 0)
			visit(s, n, element_weight(s + n, end), ctx);
		s = *end ? end + 1 : end;
	}
}

/* --- media types ------------------------------------------------------- */

struct media_best {
	const char *type;
	size_t major; /* length of "text" in "text/html" */
	enum accept_match how;
	double q;
};

static enum accept_match media_match(const char *range, size_t n, const struct media_best *b)
{
	if (n == strlen(b->type) && strncasecmp(range, b->type, n) == 0)
		return ACCEPT_EXACT;
	if (n == b->major + 2 && strncasecmp(range, b->type, b->major + 1) == 0 && range[b->major + 1] == '*')
		return ACCEPT_MAJOR;
	if (n == 3 && memcmp(range, "*/*", 3) == 0)
		return ACCEPT_ANY;
	return ACCEPT_NONE;
}

static void media_visit(const char *range, size_t n, double q, void *ctx)
{
	struct media_best *b = ctx;
	enum accept_match m = media_match(range, n, b);
	/* the most specific range decides; of equally specific ones, the
	 * first (a client that repeats a range has said what it means first) */
	if (m > b->how) {
		b->how = m;
		b->q = q;
	}
}

double accept_media_quality(const char *accept, const char *type, enum accept_match *how)
{
	const char *slash = strchr(type, '/');
	struct media_best b = {type, slash ? (size_t)(slash - type) : strlen(type), ACCEPT_NONE, -1};
	if (!accept || !*skip_ows(accept)) {
		b.how = ACCEPT_ANY;
		b.q = 1;
	} else {
		each_element(accept, media_visit, &b);
	}
	if (how)
		*how = b.how;
	return b.q;
}

bool accept_prefers_html(const char *accept, const char *json_type)
{
	enum accept_match how;
	double html = accept_media_quality(accept, "text/html", &how);
	if (how < ACCEPT_MAJOR || html <= 0)
		return false;
	double json = accept_media_quality(accept, "application/json", NULL);
	if (json_type) {
		double own = accept_media_quality(accept, json_type, NULL);
		if (own > json)
			json = own;
	}
	return html > json;
}

/* --- languages --------------------------------------------------------- */

struct lang_best {
	const char *lang;
	double exact, any; /* best weights of a matching range and of "*"; -1: none */
};

static void lang_visit(const char *range, size_t n, double q, void *ctx)
{
	struct lang_best *b = ctx;
	size_t primary = strcspn(range, "-");
	if (primary > n)
		primary = n;
	if (n == 1 && range[0] == '*') {
		if (q > b->any)
			b->any = q;
	} else if (primary == strlen(b->lang) && strncasecmp(range, b->lang, primary) == 0) {
		if (q > b->exact)
			b->exact = q;
	}
}

double accept_language_quality(const char *accept_language, const char *lang)
{
	struct lang_best b = {lang, -1, -1};
	if (accept_language)
		each_element(accept_language, lang_visit, &b);
	return b.exact >= 0 ? b.exact : b.any;
}

size_t accept_pick_language(const char *accept_language, const char *const *langs, size_t n)
{
	size_t best = 0;
	double best_q = 0;
	for (size_t i = 0; i < n; i++) {
		double q = accept_language_quality(accept_language, langs[i]);
		if (q > best_q) {
			best_q = q;
			best = i;
		}
	}
	return best;
}
