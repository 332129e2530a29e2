/*
 * site.h - the data model: one red-resource site, and a set of them.
 *
 * A site is a point (WGS-84 latitude/longitude, the only system the store
 * holds) with the text fields of DESIGN.md's data model, how good that
 * point is (a position quality and an uncertainty radius, below) and any
 * extra properties an import brought along, kept as a JSON object text.  A
 * site_set owns its sites and every string they point to (one arena), and
 * is what the readers produce, the store writes and the snapshot indexes.
 * Not thread-safe while being filled; read-only sharing afterwards is fine.
 *
 * Positions are honest.  Most coordinates of red-resource sites are not
 * surveyed: many sit on a village's or a county seat's point because no
 * better one is published.  So every site says how its position was
 * obtained (enum site_quality) and within how many metres of it the site
 * really is (site_uncertainty, the radius of a circle around the point).
 * Sheets, pages and tiles use these two to avoid showing noise as fact:
 * a route leg shorter than its ends' combined radii has no bearing.
 */
#ifndef MS_SITE_H
#define MS_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* The text fields, in the column order of data/sites.csv.  Latitude,
 * longitude and the two position columns are columns of the CSV too but
 * not text, so they live in struct site itself; site_columns below gives
 * the order of all of them. */
enum site_field {
	SITE_ID,
	SITE_NAME_ZH,
	SITE_NAME_EN,
	SITE_CATEGORY,
	SITE_COUNTY,
	SITE_TOWN,
	SITE_ADDRESS,
	SITE_DESCRIPTION,
	SITE_OPENING_HOURS,      /* OpenStreetMap syntax (hours/hours.h), checked at import */
	SITE_OPENING_HOURS_TEXT, /* the source's own words, kept as published */
	SITE_COORD_SOURCE,
	SITE_CONFIDENCE,
	SITE_SOURCE_URL,
	SITE_NFIELDS
};

/* "id", "name_zh", ... indexed by enum site_field. */
extern const char *const site_field_names[SITE_NFIELDS];
/* The field called name, or -1. */
int site_field_parse(const char *name);

/*
 * Position quality, from the best to the worst.  Each has a default radius
 * (used when an input gives the quality but no radius, or neither and a
 * `confidence` to derive them from) and, for the two precise ones, a
 * largest radius: a "surveyed" point 5 km off is a contradiction, refused
 * by ingest/ and by the store's CHECK constraints alike.
 *
 *   quality   means                                          default  largest
 *   surveyed  measured at the site (GNSS on the spot, a         30 m    100 m
 *             survey, the operator's own official POI)
 *   street    the site's own point from a secondary source     200 m    500 m
 *             (a map app, a web page), or geocoded from a
 *             street address
 *   village   placed in the right village or at a named          1 km    any
 *             point nearby (another site, a landmark)
 *   town      only the town or township is known; placed          5 km    any
 *             at its centre
 *   county    only the county is known                           30 km    any
 *   unknown   nothing is known about where it is                 50 km    any
 *
 * The defaults are typical scales, not guarantees.  Street: a geocoded
 * address or a map app's pin lands on the right block, and a street block
 * in a Chinese town is a few hundred metres.  Village, town and county:
 * the radius of a circle of the unit's typical area -- China has about
 * 500,000 administrative villages, 38,000 townships and 2,850 county-level
 * units over 9.6 million km^2, so means of about 19, 250 and 3,400 km^2, a
 * disk of radius 2.5, 9 and 33 km; the populated east, where most sites
 * are, has smaller units, hence 1, 5 and 30 km.  Unknown is larger than a
 * county so that it never looks better than one.
 */
enum site_quality {
	SITE_QUALITY_SURVEYED,
	SITE_QUALITY_STREET,
	SITE_QUALITY_VILLAGE,
	SITE_QUALITY_TOWN,
	SITE_QUALITY_COUNTY,
	SITE_QUALITY_UNKNOWN,
	SITE_QUALITY_COUNT
};

/* The names of the two position columns (CSV header, GeoJSON properties,
 * database columns). */
#define SITE_COLUMN_QUALITY "position_quality"
#define SITE_COLUMN_UNCERTAINTY "position_uncertainty_m"

/* No radius is larger: about half the Earth's circumference, the farthest
 * any two places on it can be apart (20,004 km along a meridian). */
#define SITE_UNCERTAINTY_MAX_M 20000000.0

/* "surveyed", ...; NULL for an out-of-range value. */
const char *site_quality_name(enum site_quality q);
/* Display names ("实测", "Surveyed"). */
const char *site_quality_label_zh(enum site_quality q);
const char *site_quality_label_en(enum site_quality q);
/* The quality named by s[0..n), or -1. */
int site_quality_parse(const char *s, size_t n);
/* The default and the largest radius of a quality, in metres (the table
 * above; SITE_UNCERTAINTY_MAX_M for "any"). */
double site_quality_default_m(enum site_quality q);
double site_quality_max_m(enum site_quality q);
/* True for a radius a site of quality q may have: finite, above 0 and at
 * most site_quality_max_m(q). */
bool site_uncertainty_valid(enum site_quality q, double m);
/* True when a page or sheet should call the position approximate: any
 * quality coarser than street. */
bool site_quality_approximate(enum site_quality q);
/*
 * The quality a `confidence` value (data/README.md's levels) stands for,
 * for inputs and databases that have no position_quality:
 *   exact -> street       "a source gives the site's own coordinate": a
 *                         point from a map app or a web page, not a survey
 *   street -> street, town -> town
 *   approximate -> unknown  "a best estimate", with no bound stated
 *   surveyed, village, county, unknown -> themselves
 *   anything else, or empty -> unknown
 * Compared exactly (lower case), like every enumerated column.
 */
enum site_quality site_quality_from_confidence(const char *confidence);

/* A radius for people: "±30 m", "±250 m", "±1 km", "±1.5 km", "±15 km"
 * (metres below 100 m, tens of metres below 1 km, one decimal below
 * 10 km, whole kilometres above).  The map page formats the same way. */
#define SITE_UNCERTAINTY_TEXT 32
void site_format_uncertainty(double m, char out[SITE_UNCERTAINTY_TEXT]);

/*
 * A site as a set holds it: 32 bytes and its text, packed.  A million
 * sites had 13 text pointers each (144-byte records, 144 MB) where the
 * text itself took 67 MB; now the record holds one pointer to its text,
 * whose first two bytes say which fields have text (below), and the
 * radius when it is not its quality's default, so a site costs its
 * record, its text and two bytes.  Read them
 * through site_field, site_extra and site_uncertainty; a site's text
 * lives as long as its set, and sites are made by site_set_add from a
 * struct site_draft.
 */
struct site {
	const char *text_;             /* private: the packed fields (site.c) */
	double lat, lon;               /* WGS-84 degrees */
	enum site_category category;   /* agrees with the category field */
	enum site_quality quality : 8; /* how the position was obtained */
	bool radius_ : 1;              /* private: the text holds the radius */
};

/* A site being made or changed (the readers, the store's row decoding,
 * edits): the fields as separate strings, which the draft borrows.
 * site_set_add copies them into a set. */
struct site_draft {
	const char *field[SITE_NFIELDS]; /* NULL reads as "" */
	double lat, lon;
	enum site_category category;
	enum site_quality quality;
	double uncertainty_m;
	const char *extra; /* JSON object text; NULL or "" reads as "{}" */
};

/* Field f of s: never NULL, "" when absent. */
static inline const char *site_field(const struct site *s, enum site_field f);
/* The extra properties: a JSON object text, "{}" when none. */
static inline const char *site_extra(const struct site *s);
/* The site is within this many metres of lat/lon. */
static inline double site_uncertainty(const struct site *s);
/* A draft of s: its fields borrowed from s (valid as long as s). */
void site_draft_of(const struct site *s, struct site_draft *d);

/*
 * Every column of a site, in the order of data/sites.csv, of exports and
 * of GeoJSON properties: the text fields with lat/lon after
 * opening_hours_text and the two position columns after confidence.
 */
enum site_column_kind { SITE_COL_TEXT, SITE_COL_LAT, SITE_COL_LON, SITE_COL_QUALITY, SITE_COL_UNCERTAINTY };
struct site_column {
	const char *name;
	enum site_column_kind kind;
	enum site_field field; /* for SITE_COL_TEXT */
};
#define SITE_NCOLUMNS (SITE_NFIELDS + 4)
extern const struct site_column site_columns[SITE_NCOLUMNS];

struct site_set {
	struct site *v;
	size_t n, cap;
	struct arena *strings; /* owns every string of every site */
};

struct site_set *site_set_new(void);
void site_set_free(struct site_set *set);
/* Appends a copy of *d (its strings are copied into the set's arena; NULL
 * fields become "" and a NULL extra becomes "{}"; the position quality and
 * radius are copied as they are).  Returns the new site. */
struct site *site_set_add(struct site_set *set, const struct site_draft *d);
/* Appends a copy of s, a site of any set. */
struct site *site_set_copy(struct site_set *set, const struct site *s);
/* Moves every site of from to the end of set, strings and all, and frees
 * from: no string is copied. */
void site_set_append(struct site_set *set, struct site_set *from);
/* Makes room for n sites in all, so that adding them moves nothing. */
void site_set_reserve(struct site_set *set, size_t n);
/* Sorts by id (bytewise), the canonical order: snapshot indices follow it,
 * so breaking ties "by id" is breaking them by index. */
void site_set_sort_by_id(struct site_set *set);

/* A 64-bit hash (XXH3) of everything a site holds: its text fields, its
 * position's IEEE-754 bytes, its quality and radius, its extra
 * properties.  Equal sites give equal hashes on one machine; any change
 * gives another (but for a 2^-64 chance), so it is an item's strong ETag
 * and what a write's If-Match is compared with. */
uint64_t site_hash(const struct site *s);
/* Feeds the bytes site_hash hashes into state, an XXH3_state_t of
 * xxhash.h already reset: for one hash over many sites (a snapshot's
 * version). */
void site_hash_update(void *state, const struct site *s);

/* True when lat/lon are finite and within [-90,90] x [-180,180]. */
bool site_coord_valid(double lat, double lon);

/* ---- the packed text (private; see site.c) ---- */
/* The text starts with a 16-bit mask (native byte order, unaligned): bit
 * k for each field k and for the extra properties (k = SITE_NFIELDS) that
 * has text, SITE_TEXT_RADIUS_ when the radius is not its quality's default
 * (site_quality_default_m) and SITE_TEXT_CATNAME_ when the category field
 * is the category's own name (site_category_name), which is not copied.
 * Then the radius's 8 bytes, if its bit is set, and the texts the mask
 * names, each with its NUL, in field order: a field is found by stepping
 * over the texts before it. */
#define SITE_TEXT_RADIUS_ (1u << 14)
#define SITE_TEXT_CATNAME_ (1u << 15)

static inline unsigned site_text_mask_(const struct site *s)
{
	uint16_t m;
	memcpy(&m, s->text_, sizeof m);
	return m;
}

/* The first text after the head. */
static inline const char *site_text_body_(const struct site *s, unsigned m)
{
	return s->text_ + sizeof(uint16_t) + (m & SITE_TEXT_RADIUS_ ? sizeof(double) : 0);
}

/* Text k (a field, or SITE_NFIELDS for the extra properties); NULL when
 * it has none. */
static inline const char *site_text_(const struct site *s, unsigned k)
{
	unsigned m = site_text_mask_(s);
	if (!(m >> k & 1u))
		return NULL;
	const char *p = site_text_body_(s, m);
	for (unsigned before = m & ((1u << k) - 1u); before; before &= before - 1u)
		p += strlen(p) + 1;
	return p;
}

static inline const char *site_field(const struct site *s, enum site_field f)
{
	if (f == SITE_CATEGORY && (site_text_mask_(s) & SITE_TEXT_CATNAME_))
		return site_category_name(s->category);
	const char *p = site_text_(s, (unsigned)f);
	return p ? p : "";
}

static inline const char *site_extra(const struct site *s)
{
	const char *e = site_text_(s, SITE_NFIELDS);
	return e ? e : "{}";
}

static inline double site_uncertainty(const struct site *s)
{
	/* the record says whether the text has it: a crowded view asks for
	 * the radius of thousands of sites, most of them at the default,
	 * and reading each one's text was most of deciding its circles */
	if (!s->radius_)
		return site_quality_default_m(s->quality);
	double m;
	memcpy(&m, s->text_ + sizeof(uint16_t), sizeof m);
	return m;
}

#endif
