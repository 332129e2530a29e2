/* site.c - the data model; see site.h. */
#include "site.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../util/mem.h"

static const struct {
	const char *name, *zh, *en;
} categories[CAT_COUNT] = {
    [CAT_MEMORIAL_HALL] = {"memorial_hall", "纪念馆", "Memorial hall"},
    [CAT_MUSEUM] = {"museum", "博物馆", "Museum"},
    [CAT_MARTYRS_CEMETERY] = {"martyrs_cemetery", "烈士陵园", "Martyrs' cemetery"},
    [CAT_FORMER_SITE] = {"former_site", "革命旧址", "Former revolutionary site"},
    [CAT_MONUMENT] = {"monument", "纪念碑（亭）", "Monument"},
    [CAT_EDUCATION_BASE] = {"education_base", "教育基地", "Education base"},
    [CAT_STUDY_STATION] = {"study_station", "学习驿站", "Study station"},
    [CAT_TRAINING_SCHOOL] = {"training_school", "党校（干部学院）", "Training school"},
};

static const struct {
	const char *name, *zh, *en;
	double default_m, max_m;
} qualities[SITE_QUALITY_COUNT] = {
    [SITE_QUALITY_SURVEYED] = {"surveyed", "实测", "Surveyed", 30, 100},
    [SITE_QUALITY_STREET] = {"street", "街道级", "Street level", 200, 500},
    [SITE_QUALITY_VILLAGE] = {"village", "村级", "Village level", 1000, SITE_UNCERTAINTY_MAX_M},
    [SITE_QUALITY_TOWN] = {"town", "乡镇级", "Town level", 5000, SITE_UNCERTAINTY_MAX_M},
    [SITE_QUALITY_COUNTY] = {"county", "县级", "County level", 30000, SITE_UNCERTAINTY_MAX_M},
    [SITE_QUALITY_UNKNOWN] = {"unknown", "未知", "Unknown", 50000, SITE_UNCERTAINTY_MAX_M},
};

const char *const site_field_names[SITE_NFIELDS] = {
    [SITE_ID] = "id",
    [SITE_NAME_ZH] = "name_zh",
    [SITE_NAME_EN] = "name_en",
    [SITE_CATEGORY] = "category",
    [SITE_COUNTY] = "county",
    [SITE_TOWN] = "town",
    [SITE_ADDRESS] = "address",
    [SITE_DESCRIPTION] = "description",
    [SITE_OPENING_HOURS] = "opening_hours",
    [SITE_OPENING_HOURS_TEXT] = "opening_hours_text",
    [SITE_COORD_SOURCE] = "coord_source",
    [SITE_CONFIDENCE] = "confidence",
    [SITE_SOURCE_URL] = "source_url",
};

/* field is only meaningful for SITE_COL_TEXT (SITE_ID, i.e. 0, otherwise) */
const struct site_column site_columns[SITE_NCOLUMNS] = {
    {"id", SITE_COL_TEXT, SITE_ID},
    {"name_zh", SITE_COL_TEXT, SITE_NAME_ZH},
    {"name_en", SITE_COL_TEXT, SITE_NAME_EN},
    {"category", SITE_COL_TEXT, SITE_CATEGORY},
    {"county", SITE_COL_TEXT, SITE_COUNTY},
    {"town", SITE_COL_TEXT, SITE_TOWN},
    {"address", SITE_COL_TEXT, SITE_ADDRESS},
    {"description", SITE_COL_TEXT, SITE_DESCRIPTION},
    {"opening_hours", SITE_COL_TEXT, SITE_OPENING_HOURS},
    {"opening_hours_text", SITE_COL_TEXT, SITE_OPENING_HOURS_TEXT},
    {"lat", SITE_COL_LAT, SITE_ID},
    {"lon", SITE_COL_LON, SITE_ID},
    {"coord_source", SITE_COL_TEXT, SITE_COORD_SOURCE},
    {"confidence", SITE_COL_TEXT, SITE_CONFIDENCE},
    {SITE_COLUMN_QUALITY, SITE_COL_QUALITY, SITE_ID},
    {SITE_COLUMN_UNCERTAINTY, SITE_COL_UNCERTAINTY, SITE_ID},
    {"source_url", SITE_COL_TEXT, SITE_SOURCE_URL},
};

const char *site_category_name(enum site_category c)
{
	return (unsigned)c < CAT_COUNT ? categories[c].name : NULL;
}

const char *site_category_label_zh(enum site_category c)
{
	return (unsigned)c < CAT_COUNT ? categories[c].zh : NULL;
}

const char *site_category_label_en(enum site_category c)
{
	return (unsigned)c < CAT_COUNT ? categories[c].en : NULL;
}

int site_category_parse(const char *s, size_t n)
{
	for (int c = 0; c < CAT_COUNT; c++)
		if (strlen(categories[c].name) == n && memcmp(categories[c].name, s, n) == 0)
			return c;
	return -1;
}

const char *site_quality_name(enum site_quality q)
{
	return (unsigned)q < SITE_QUALITY_COUNT ? qualities[q].name : NULL;
}

const char *site_quality_label_zh(enum site_quality q)
{
	return (unsigned)q < SITE_QUALITY_COUNT ? qualities[q].zh : NULL;
}

const char *site_quality_label_en(enum site_quality q)
{
	return (unsigned)q < SITE_QUALITY_COUNT ? qualities[q].en : NULL;
}

int site_quality_parse(const char *s, size_t n)
{
	for (int q = 0; q < SITE_QUALITY_COUNT; q++)
		if (strlen(qualities[q].name) == n && memcmp(qualities[q].name, s, n) == 0)
			return q;
	return -1;
}

double site_quality_default_m(enum site_quality q)
{
	if ((unsigned)q >= SITE_QUALITY_COUNT)
		q = SITE_QUALITY_UNKNOWN;
	return qualities[q].default_m;
}

double site_quality_max_m(enum site_quality q)
{
	return (unsigned)q < SITE_QUALITY_COUNT ? qualities[q].max_m : SITE_UNCERTAINTY_MAX_M;
}

bool site_uncertainty_valid(enum site_quality q, double m)
{
	/* NaN fails both comparisons, so it is refused too */
	return (unsigned)q < SITE_QUALITY_COUNT && m > 0 && m <= qualities[q].max_m;
}

bool site_quality_approximate(enum site_quality q)
{
	return q != SITE_QUALITY_SURVEYED && q != SITE_QUALITY_STREET;
}

enum site_quality site_quality_from_confidence(const char *confidence)
{
	static const struct {
		const char *confidence;
		enum site_quality quality;
	} map[] = {
	    {"exact", SITE_QUALITY_STREET},
	    {"approximate", SITE_QUALITY_UNKNOWN},
	};
	if (!confidence)
		return SITE_QUALITY_UNKNOWN;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(confidence, map[i].confidence) == 0)
			return map[i].quality;
	int q = site_quality_parse(confidence, strlen(confidence));
	return q >= 0 ? (enum site_quality)q : SITE_QUALITY_UNKNOWN;
}

void site_format_uncertainty(double m, char out[SITE_UNCERTAINTY_TEXT])
{
	/* Rounded so that the text claims no more precision than the radius
	 * itself has; the thresholds sit where rounding would carry into the
	 * next unit ("±1000 m" and "±10.0 km" never appear). */
	if (!(m >= 0) || !isfinite(m))
		snprintf(out, SITE_UNCERTAINTY_TEXT, "±?");
	else if (m < 99.5)
		snprintf(out, SITE_UNCERTAINTY_TEXT, "±%.0f m", m < 1 ? 1.0 : round(m));
	else if (m < 995)
		snprintf(out, SITE_UNCERTAINTY_TEXT, "±%.0f m", round(m / 10) * 10);
	else if (m < 9950) {
		double tenths = round(m / 100);
		if (fmod(tenths, 10) == 0)
			snprintf(out, SITE_UNCERTAINTY_TEXT, "±%.0f km", tenths / 10);
		else
			snprintf(out, SITE_UNCERTAINTY_TEXT, "±%.1f km", tenths / 10);
	} else
		snprintf(out, SITE_UNCERTAINTY_TEXT, "±%.0f km", round(m / 1000));
}

int site_field_parse(const char *name)
{
	for (int f = 0; f < SITE_NFIELDS; f++)
		if (strcmp(site_field_names[f], name) == 0)
			return f;
	return -1;
}

struct site_set *site_set_new(void)
{
	struct site_set *set = xcalloc(1, sizeof *set);
	set->strings = arena_new();
	return set;
}

void site_set_free(struct site_set *set)
{
	if (!set)
		return;
	free(set->v);
	arena_free(set->strings);
	free(set);
}

void site_set_reserve(struct site_set *set, size_t n)
{
	if (n > set->cap) {
		set->cap = n;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
}

void site_set_append(struct site_set *set, struct site_set *from)
{
	if (!from)
		return;
	site_set_reserve(set, set->n + from->n);
	if (from->n)
		memcpy(&set->v[set->n], from->v, from->n * sizeof *from->v);
	set->n += from->n;
	arena_adopt(set->strings, from->strings);
	free(from->v);
	free(from);
}

/* The text of a site (site.h): the mask, the radius unless it is the
 * default, then each field that has text, and the extra properties, each
 * with its NUL, in field order.  Absent fields and extras cost nothing (a
 * million sites with five columns would otherwise hold nine million
 * one-byte copies), nor does a category spelled as one of the eight names
 * (13 MB for a million sites).  A table of where each text starts cost a
 * byte a field, 15 MB for a million sites, to save stepping over a few
 * short texts: the fields read most (the id and the names) come first. */
_Static_assert(SITE_NFIELDS + 1 <= 14, "a bit for each text and two flags fit in the 16-bit mask");

static const char *pack_text(struct arena *a, const struct site_draft *d)
{
	const char *v[SITE_NFIELDS + 1];
	size_t len[SITE_NFIELDS + 1], size = sizeof(uint16_t);
	unsigned mask = 0;
	const char *cat = site_category_name(d->category);
	for (unsigned k = 0; k < SITE_NFIELDS + 1; k++) {
		v[k] = k < SITE_NFIELDS ? d->field[k] : d->extra;
		len[k] = 0;
		if (k == SITE_CATEGORY && v[k] && cat && !strcmp(v[k], cat)) {
			mask |= SITE_TEXT_CATNAME_;
			continue;
		}
		if (!v[k] || !*v[k] || (k == SITE_NFIELDS && !strcmp(v[k], "{}")))
			continue;
		mask |= 1u << k;
		len[k] = strlen(v[k]) + 1;
		size += len[k];
	}
	/* the radius unless it is the default (compared bitwise, so that it
	 * reads back the same) */
	double def = site_quality_default_m(d->quality);
	if (memcmp(&def, &d->uncertainty_m, sizeof def)) {
		mask |= SITE_TEXT_RADIUS_;
		size += sizeof def;
	}
	char *t = arena_alloc_raw(a, size, 1);
	uint16_t m16 = (uint16_t)mask;
	memcpy(t, &m16, sizeof m16);
	size_t at = sizeof m16;
	if (mask & SITE_TEXT_RADIUS_) {
		memcpy(t + at, &d->uncertainty_m, sizeof d->uncertainty_m);
		at += sizeof d->uncertainty_m;
	}
	for (unsigned k = 0; k < SITE_NFIELDS + 1; k++) {
		if (len[k])
			memcpy(t + at, v[k], len[k]);
		at += len[k];
	}
	return t;
}

/* The bytes of s's text, its head and its last NUL included. */
static size_t text_size(const struct site *s)
{
	unsigned m = site_text_mask_(s);
	const char *p = site_text_body_(s, m);
	for (unsigned k = m & ((1u << (SITE_NFIELDS + 1)) - 1u); k; k &= k - 1u)
		p += strlen(p) + 1;
	return (size_t)(p - s->text_);
}

/* A new site at the end of set, its fields not set. */
static struct site *append(struct site_set *set)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
	return &set->v[set->n++];
}

struct site *site_set_add(struct site_set *set, const struct site_draft *d)
{
	struct site *s = append(set);
	*s = (struct site){.text_ = pack_text(set->strings, d),
	                   .lat = d->lat,
	                   .lon = d->lon,
	                   .category = d->category,
	                   .quality = d->quality};
	s->radius_ = (site_text_mask_(s) & SITE_TEXT_RADIUS_) != 0;
	return s;
}

struct site *site_set_copy(struct site_set *set, const struct site *s)
{
	size_t size = text_size(s);
	char *text = memcpy(arena_alloc_raw(set->strings, size, 1), s->text_, size);
	struct site copy = *s; /* s may be in set, which append may move */
	copy.text_ = text;
	struct site *d = append(set);
	*d = copy;
	return d;
}

void site_draft_of(const struct site *s, struct site_draft *d)
{
	for (int f = 0; f < SITE_NFIELDS; f++)
		d->field[f] = site_field(s, (enum site_field)f);
	d->lat = s->lat;
	d->lon = s->lon;
	d->category = s->category;
	d->quality = s->quality;
	d->uncertainty_m = site_uncertainty(s);
	d->extra = site_extra(s);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(site_field(a, SITE_ID), site_field(b, SITE_ID));
}

void site_set_sort_by_id(struct site_set *set)
{
	/* Sets read back from an imported database are usually in order
	 * already (imports write them sorted): one pass checks that. */
	size_t i = 1;
	while (i < set->n &&
	       strcmp(site_field(&set->v[i - 1], SITE_ID), site_field(&set->v[i], SITE_ID)) <= 0)
		i++;
	if (i < set->n)
		qsort(set->v, set->n, sizeof *set->v, cmp_id);
}

bool site_coord_valid(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

/* The bytes site_hash_update hashes, gathered so that XXH3 is updated
 * once per site rather than once per field (its cost at a million sites
 * was the calls): the stream, and so the hash, is the same. */
struct hash_buf {
	XXH3_state_t *h;
	size_t n;
	unsigned char b[1024];
};

static void hb_put(struct hash_buf *hb, const void *p, size_t n)
{
	if (hb->n + n > sizeof hb->b) {
		XXH3_64bits_update(hb->h, hb->b, hb->n);
		hb->n = 0;
		if (n > sizeof hb->b) {
			XXH3_64bits_update(hb->h, p, n);
			return;
		}
	}
	memcpy(hb->b + hb->n, p, n);
	hb->n += n;
}

void site_hash_update(void *state, const struct site *s)
{
	struct hash_buf hb;
	hb.h = state;
	hb.n = 0;
	/* Each text with its NUL, so that "ab"+"c" and "a"+"bc" differ.  The
	 * fields that have text lie one after another in the packed text,
	 * each with its NUL, in field order (pack_text): a run of them is
	 * hashed straight from there. */
	unsigned m = site_text_mask_(s);
	const char *p = site_text_body_(s, m), *run = p;
	for (unsigned f = 0; f < SITE_NFIELDS; f++) {
		if (m >> f & 1u) {
			p += strlen(p) + 1;
			continue;
		}
		hb_put(&hb, run, (size_t)(p - run));
		run = p;
		const char *v =
		    f == SITE_CATEGORY && (m & SITE_TEXT_CATNAME_) ? site_category_name(s->category) : "";
		hb_put(&hb, v, strlen(v) + 1);
	}
	hb_put(&hb, run, (size_t)(p - run));
	hb_put(&hb, &s->lat, sizeof s->lat);
	hb_put(&hb, &s->lon, sizeof s->lon);
	uint32_t quality = (uint32_t)s->quality; /* a fixed width, whatever the enum's */
	hb_put(&hb, &quality, sizeof quality);
	double radius = site_uncertainty(s);
	hb_put(&hb, &radius, sizeof radius);
	if (m >> SITE_NFIELDS & 1u) /* p is at the extra properties */
		hb_put(&hb, p, strlen(p) + 1);
	else
		hb_put(&hb, "{}", 3);
	XXH3_64bits_update(hb.h, hb.b, hb.n);
}

uint64_t site_hash(const struct site *s)
{
	XXH3_state_t *h = XXH3_createState();
	if (!h)
		abort(); /* out of memory: mapsvc's policy, see mem.h */
	XXH3_64bits_reset(h);
	site_hash_update(h, s);
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}
