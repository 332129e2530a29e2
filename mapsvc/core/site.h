/*
 * site.h - the data model: one red-resource site, and a set of them.
 *
 * A site is a point (WGS-84 latitude/longitude, the only system the store
 * holds) with the text fields of DESIGN.md's data model and any extra
 * properties an import brought along, kept as a JSON object text.  A
 * site_set owns its sites and every string they point to (one arena), and
 * is what the readers produce, the store writes and the snapshot indexes.
 * Not thread-safe while being filled; read-only sharing afterwards is fine.
 */
#ifndef MS_SITE_H
#define MS_SITE_H

#include <stdbool.h>
#include <stddef.h>

enum site_category {
	CAT_MEMORIAL_HALL,
	CAT_MUSEUM,
	CAT_MARTYRS_CEMETERY,
	CAT_FORMER_SITE,
	CAT_MONUMENT,
	CAT_EDUCATION_BASE,
	CAT_STUDY_STATION,
	CAT_TRAINING_SCHOOL,
	CAT_COUNT
};

/* "memorial_hall", ...; NULL for an out-of-range value. */
const char *site_category_name(enum site_category c);
/* Chinese and English display names ("纪念馆", "Memorial hall"). */
const char *site_category_label_zh(enum site_category c);
const char *site_category_label_en(enum site_category c);
/* The category named by s[0..n), or -1 when it is not one of the eight. */
int site_category_parse(const char *s, size_t n);

/* The text fields, in the column order of data/sites.csv.  Latitude and
 * longitude sit between opening_hours and coord_source in the CSV but are
 * numbers, so they live in struct site itself. */
enum site_field {
	SITE_ID,
	SITE_NAME_ZH,
	SITE_NAME_EN,
	SITE_CATEGORY,
	SITE_COUNTY,
	SITE_TOWN,
	SITE_ADDRESS,
	SITE_DESCRIPTION,
	SITE_OPENING_HOURS,
	SITE_COORD_SOURCE,
	SITE_CONFIDENCE,
	SITE_SOURCE_URL,
	SITE_NFIELDS
};

/* "id", "name_zh", ... indexed by enum site_field. */
extern const char *const site_field_names[SITE_NFIELDS];
/* The field called name, or -1. */
int site_field_parse(const char *name);

struct site {
	const char *field[SITE_NFIELDS]; /* never NULL; "" when absent */
	double lat, lon;                  /* WGS-84 degrees */
	enum site_category category;      /* agrees with field[SITE_CATEGORY] */
	const char *extra;                /* JSON object text, "{}" when none */
};

struct site_set {
	struct site *v;
	size_t n, cap;
	struct arena *strings; /* owns every string of every site */
};

struct site_set *site_set_new(void);
void site_set_free(struct site_set *set);
/* Appends a copy of *s (its strings are copied into the set's arena; NULL
 * fields become "" and a NULL extra becomes "{}").  Returns the new site. */
struct site *site_set_add(struct site_set *set, const struct site *s);
/* Makes room for n sites in all, so that adding them moves nothing. */
void site_set_reserve(struct site_set *set, size_t n);
/* Sorts by id (bytewise), the canonical order: snapshot indices follow it,
 * so breaking ties "by id" is breaking them by index. */
void site_set_sort_by_id(struct site_set *set);

/* True when lat/lon are finite and within [-90,90] x [-180,180]. */
bool site_coord_valid(double lat, double lon);

#endif
