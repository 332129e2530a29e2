/* test_site.c - site/site, the data model: category and position
 * quality names and labels round-trip, the columns follow data/sites.csv,
 * confidence maps onto a quality, radii are checked and formatted, a
 * site_set copies strings into its arena, reserves, grows and sorts, and
 * coordinates are valid exactly within WGS-84's ranges. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "check.h"
#include "site/site.h"
#include "util/mem.h"
#include "util/utf8.h"

/* The bundled dataset, from tests/ (where CTest runs unit tests). */
#define SITES_CSV "../data/sites.csv"
/* Enough sites for many doublings of a set's array. */
#define MANY_SITES 10000

static void test_categories(void)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		const char *name = site_category_name((enum site_category)c);
		CHECK_MSG(name && *name, "category %d has no name", c);
		if (!name)
			continue;
		CHECK_MSG(site_category_parse(name, strlen(name)) == c, "\"%s\" does not parse back", name);
		const char *zh = site_category_label_zh((enum site_category)c);
		const char *en = site_category_label_en((enum site_category)c);
		CHECK_MSG(zh && *zh && utf8_valid(zh, strlen(zh)), "category %s: Chinese label", name);
		CHECK_MSG(en && *en, "category %s: English label", name);
		for (int k = 0; k < c; k++)
			CHECK_MSG(strcmp(name, site_category_name((enum site_category)k)) != 0,
			          "\"%s\" twice", name);
	}
	CHECK_STR(site_category_name(CAT_MARTYRS_CEMETERY), "martyrs_cemetery");
	CHECK_STR(site_category_label_zh(CAT_MUSEUM), "博物馆");
	CHECK(site_category_name(CAT_COUNT) == NULL);
	CHECK(site_category_name((enum site_category) - 1) == NULL);
	CHECK(site_category_label_zh(CAT_COUNT) == NULL);
	CHECK(site_category_label_en(CAT_COUNT) == NULL);

	/* By length: the bytes after n do not count, a prefix is not a name,
	 * and names are exact (case matters). */
	CHECK_INT(site_category_parse("museum,1", 6), CAT_MUSEUM);
	CHECK_INT(site_category_parse("museu", 5), -1);
	CHECK_INT(site_category_parse("museums", 7), -1);
	CHECK_INT(site_category_parse("Museum", 6), -1);
	CHECK_INT(site_category_parse("", 0), -1);
}

static void test_fields(void)
{
	for (int f = 0; f < SITE_NFIELDS; f++) {
		CHECK_MSG(site_field_names[f] != NULL, "field %d has no name", f);
		CHECK_MSG(site_field_parse(site_field_names[f]) == f, "\"%s\" does not parse back",
		          site_field_names[f]);
	}
	/* lat and lon are numbers in struct site, not text fields. */
	CHECK_INT(site_field_parse("lat"), -1);
	CHECK_INT(site_field_parse("lon"), -1);
	CHECK_INT(site_field_parse("ID"), -1);
	CHECK_INT(site_field_parse(""), -1);

	/* The header of the bundled CSV is the columns in order: the text
	 * fields in theirs, with lat and lon between opening_hours_text and
	 * coord_source and the position columns after confidence (site.h). */
	FILE *f = fopen(SITES_CSV, "r");
	CHECK_MSG(f != NULL, "cannot open %s", SITES_CSV);
	if (!f)
		return;
	char header[1024] = "";
	CHECK(fgets(header, sizeof header, f) != NULL);
	fclose(f);
	header[strcspn(header, "\r\n")] = '\0';
	char want[1024] = "";
	int next_field = 0;
	for (int k = 0; k < SITE_NCOLUMNS; k++) {
		if (k)
			strcat(want, ",");
		strcat(want, site_columns[k].name);
		if (site_columns[k].kind == SITE_COL_TEXT) {
			CHECK_MSG((int)site_columns[k].field == next_field, "column %s out of field order",
			          site_columns[k].name);
			CHECK_STR(site_columns[k].name, site_field_names[site_columns[k].field]);
			next_field++;
		}
	}
	CHECK_INT(next_field, SITE_NFIELDS);
	CHECK_STR(header, "id,name_zh,name_en,category,county,town,address,description,opening_hours,"
	                  "opening_hours_text,lat,lon,"
	                  "coord_source,confidence,position_quality,position_uncertainty_m,source_url");
	CHECK_STR(header, want);
}

static void test_qualities(void)
{
	for (int q = 0; q < SITE_QUALITY_COUNT; q++) {
		const char *name = site_quality_name((enum site_quality)q);
		CHECK_MSG(name && *name, "quality %d has no name", q);
		if (!name)
			continue;
		CHECK_MSG(site_quality_parse(name, strlen(name)) == q, "\"%s\" does not parse back", name);
		const char *zh = site_quality_label_zh((enum site_quality)q);
		CHECK_MSG(zh && *zh && utf8_valid(zh, strlen(zh)), "quality %s: Chinese label", name);
		CHECK_MSG(site_quality_label_en((enum site_quality)q) != NULL, "quality %s: English label",
		          name);
		/* The default radius is a valid one, and the defaults grow from
		 * the best quality to the worst. */
		double d = site_quality_default_m((enum site_quality)q);
		CHECK_MSG(site_uncertainty_valid((enum site_quality)q, d), "quality %s: default %g", name, d);
		if (q > 0)
			CHECK_MSG(d > site_quality_default_m((enum site_quality)(q - 1)), "quality %s", name);
		/* a confidence may name a quality directly */
		CHECK_INT(site_quality_from_confidence(name), q);
	}
	CHECK(site_quality_name(SITE_QUALITY_COUNT) == NULL);
	CHECK(site_quality_label_zh(SITE_QUALITY_COUNT) == NULL);
	CHECK_INT(site_quality_parse("Street", 6), -1);
	CHECK_INT(site_quality_parse("street,", 6), SITE_QUALITY_STREET);
	CHECK_INT(site_quality_parse("", 0), -1);

	/* data/README.md's confidence levels */
	CHECK_INT(site_quality_from_confidence("exact"), SITE_QUALITY_STREET);
	CHECK_INT(site_quality_from_confidence("street"), SITE_QUALITY_STREET);
	CHECK_INT(site_quality_from_confidence("town"), SITE_QUALITY_TOWN);
	CHECK_INT(site_quality_from_confidence("approximate"), SITE_QUALITY_UNKNOWN);
	CHECK_INT(site_quality_from_confidence(""), SITE_QUALITY_UNKNOWN);
	CHECK_INT(site_quality_from_confidence(NULL), SITE_QUALITY_UNKNOWN);
	CHECK_INT(site_quality_from_confidence("Exact"), SITE_QUALITY_UNKNOWN);
	CHECK_INT(site_quality_from_confidence("high"), SITE_QUALITY_UNKNOWN);

	CHECK(!site_quality_approximate(SITE_QUALITY_SURVEYED));
	CHECK(!site_quality_approximate(SITE_QUALITY_STREET));
	for (int q = SITE_QUALITY_VILLAGE; q < SITE_QUALITY_COUNT; q++)
		CHECK(site_quality_approximate((enum site_quality)q));

	/* Radii: above 0, at most the quality's largest. */
	CHECK(site_uncertainty_valid(SITE_QUALITY_SURVEYED, 100));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_SURVEYED, 100.5));
	CHECK(site_uncertainty_valid(SITE_QUALITY_STREET, 500));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_STREET, 501));
	CHECK(site_uncertainty_valid(SITE_QUALITY_COUNTY, SITE_UNCERTAINTY_MAX_M));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_UNKNOWN, SITE_UNCERTAINTY_MAX_M * 1.01));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_TOWN, 0));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_TOWN, -5));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_TOWN, NAN));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_TOWN, INFINITY));
	CHECK(!site_uncertainty_valid(SITE_QUALITY_COUNT, 10));

	static const struct {
		double m;
		const char *text;
	} formats[] = {
	    {0.2, "±1 m"},     {30, "±30 m"},     {99.4, "±99 m"},       {99.5, "±100 m"}, {100, "±100 m"},
	    {254, "±250 m"},   {300, "±300 m"},   {994, "±990 m"},       {995, "±1 km"},   {1000, "±1 km"},
	    {1500, "±1.5 km"}, {2500, "±2.5 km"}, {9949, "±9.9 km"},     {9950, "±10 km"}, {15000, "±15 km"},
	    {40000, "±40 km"}, {50000, "±50 km"}, {1234567, "±1235 km"},
	};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		char out[SITE_UNCERTAINTY_TEXT];
		site_format_uncertainty(formats[i].m, out);
		CHECK_MSG(strcmp(out, formats[i].text) == 0, "%g m: \"%s\", want \"%s\"", formats[i].m, out,
		          formats[i].text);
	}
}

static void test_add_copies(void)
{
	struct site_set *set = site_set_new();
	CHECK(set->n == 0 && set->strings != NULL);
	char id[] = "zb-001", name[] = "淄博市革命烈士陵园", extra[] = "{\"phone\":\"0533\"}";
	struct site_draft s = {0};
	s.field[SITE_ID] = id;
	s.field[SITE_NAME_ZH] = name;
	s.field[SITE_CATEGORY] = "martyrs_cemetery";
	s.field[SITE_TOWN] = ""; /* empty and NULL are both absent */
	s.lat = 36.8;
	s.lon = 118.05;
	s.category = CAT_MARTYRS_CEMETERY;
	s.quality = SITE_QUALITY_UNKNOWN;
	s.uncertainty_m = 1234.5;
	s.extra = extra;
	struct site *d = site_set_add(set, &s);
	CHECK(d == &set->v[0]);
	CHECK_INT(set->n, 1);
	/* The strings are the set's own copies: the caller's buffers may
	 * change or go. */
	id[0] = 'X';
	name[0] = 'X';
	extra[1] = 'X';
	CHECK_STR(site_field(d, SITE_ID), "zb-001");
	CHECK_STR(site_field(d, SITE_NAME_ZH), "淄博市革命烈士陵园");
	CHECK_STR(site_extra(d), "{\"phone\":\"0533\"}");
	CHECK(site_field(d, SITE_ID) != id && site_extra(d) != extra);
	CHECK(arena_size(set->strings) > 0);
	/* Absent fields are "", never NULL. */
	for (int f = 0; f < SITE_NFIELDS; f++)
		CHECK_MSG(site_field(d, f) != NULL, "field %s is NULL", site_field_names[f]);
	CHECK_STR(site_field(d, SITE_TOWN), "");
	CHECK_STR(site_field(d, SITE_SOURCE_URL), "");
	CHECK(d->lat == 36.8 && d->lon == 118.05 && d->category == CAT_MARTYRS_CEMETERY);
	CHECK(d->quality == SITE_QUALITY_UNKNOWN && site_uncertainty(d) == 1234.5);

	/* No extra, or an empty one, is "{}". */
	struct site_draft bare = {0};
	bare.field[SITE_ID] = "a";
	CHECK_STR(site_extra(site_set_add(set, &bare)), "{}");
	bare.extra = "";
	CHECK_STR(site_extra(site_set_add(set, &bare)), "{}");
	bare.extra = "{}";
	CHECK_STR(site_extra(site_set_add(set, &bare)), "{}");
	CHECK_INT(set->n, 4);
	site_set_free(set);
	site_set_free(NULL);
}

/* site_hash as its stream is defined (site.h): every text with its NUL,
 * lat, lon, the quality as 32 bits, the radius, the extra text with its
 * NUL; fed piece by piece, as the fields are (however site.c gathers
 * them). */
static uint64_t hash_by_fields(const struct site *s)
{
	XXH3_state_t *h = XXH3_createState();
	XXH3_64bits_reset(h);
	for (int f = 0; f < SITE_NFIELDS; f++) {
		const char *t = site_field(s, (enum site_field)f);
		XXH3_64bits_update(h, t, strlen(t) + 1);
	}
	XXH3_64bits_update(h, &s->lat, sizeof s->lat);
	XXH3_64bits_update(h, &s->lon, sizeof s->lon);
	uint32_t quality = (uint32_t)s->quality;
	XXH3_64bits_update(h, &quality, sizeof quality);
	double radius = site_uncertainty(s);
	XXH3_64bits_update(h, &radius, sizeof radius);
	XXH3_64bits_update(h, site_extra(s), strlen(site_extra(s)) + 1);
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}

/* The packed text (site.h): every field reads back as given, whatever its
 * length (past 64 KiB the offsets are 32-bit), a category spelled as its
 * name costs nothing, one spelled otherwise is kept as written, and a
 * draft of a site, a copy of it and the site hash alike. */
static void test_packed_text(void)
{
	struct site_set *set = site_set_new();
	enum { LONG = 70000 };
	char *big = malloc(LONG + 1);
	for (size_t i = 0; i < LONG; i++)
		big[i] = (char)('a' + i % 26);
	big[LONG] = '\0';
	static const size_t lens[] = {0, 1, 30, 65000, LONG};
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		struct site_draft d = {0};
		char *text[SITE_NFIELDS];
		for (int f = 0; f < SITE_NFIELDS; f++) {
			/* field f gets lens[(k + f) % 5] bytes, so that short and
			 * long fields come in every order */
			size_t n = lens[(k + (size_t)f) % 5];
			text[f] = malloc(n + 1);
			memcpy(text[f], big, n);
			text[f][n] = '\0';
			d.field[f] = text[f];
		}
		d.field[SITE_ID] = text[SITE_ID][0] ? text[SITE_ID] : "id";
		d.category = CAT_MUSEUM;
		d.extra = k % 2 ? "{\"k\":1}" : NULL;
		d.lat = (double)k;
		d.quality = SITE_QUALITY_VILLAGE; /* its own radius, or the default */
		d.uncertainty_m = k % 2 ? 1234.5 : site_quality_default_m(SITE_QUALITY_VILLAGE);
		const struct site *s = site_set_add(set, &d);
		CHECK(site_uncertainty(s) == d.uncertainty_m);
		for (int f = 0; f < SITE_NFIELDS; f++)
			CHECK_MSG(!strcmp(site_field(s, f), d.field[f]), "set %zu: field %s differs", k,
			          site_field_names[f]);
		CHECK_STR(site_extra(s), k % 2 ? "{\"k\":1}" : "{}");
		/* a draft of it adds to the same site */
		struct site_draft again;
		site_draft_of(s, &again);
		const struct site *t = site_set_add(set, &again);
		s = &set->v[set->n - 2]; /* the add may have moved the sites */
		CHECK(site_hash(s) == site_hash(t));
		CHECK(site_hash(s) == hash_by_fields(s));
		CHECK(site_hash(site_set_copy(set, s)) == site_hash(&set->v[set->n - 3]));
		for (int f = 0; f < SITE_NFIELDS; f++)
			free(text[f]);
	}
	/* one long name around 255 and 65,535 bytes */
	for (size_t n = 200; n < 300; n++) {
		static const size_t jump[] = {0, 65000, 65400};
		for (size_t j = 0; j < sizeof jump / sizeof jump[0]; j++) {
			struct site_draft d = {0};
			size_t len = n + jump[j];
			char *name = malloc(len + 1);
			memcpy(name, big, len);
			name[len] = '\0';
			d.field[SITE_ID] = "x";
			d.field[SITE_NAME_ZH] = name;
			d.field[SITE_SOURCE_URL] = "u";
			d.extra = "{\"e\":2}";
			d.quality = SITE_QUALITY_STREET;
			d.uncertainty_m = n % 2 ? 321.0 : site_quality_default_m(SITE_QUALITY_STREET);
			site_set_add(set, &d);
			/* a copy of it, from the set into itself, reads the same */
			const struct site *s = site_set_copy(set, &set->v[set->n - 1]);
			CHECK(site_hash(s) == site_hash(&set->v[set->n - 2]));
			CHECK(site_hash(s) == hash_by_fields(s));
			CHECK_MSG(!strcmp(site_field(s, SITE_NAME_ZH), name) &&
			              !strcmp(site_field(s, SITE_ID), "x") &&
			              !strcmp(site_field(s, SITE_SOURCE_URL), "u") &&
			              !strcmp(site_extra(s), "{\"e\":2}") && !*site_field(s, SITE_TOWN) &&
			              site_uncertainty(s) == d.uncertainty_m,
			          "a name of %zu bytes", len);
			free(name);
		}
	}
	/* the category: its own name shared, anything else kept */
	struct site_draft c = {.category = CAT_MONUMENT};
	c.field[SITE_ID] = "c";
	c.field[SITE_CATEGORY] = "monument";
	CHECK(site_field(site_set_add(set, &c), SITE_CATEGORY) == site_category_name(CAT_MONUMENT));
	c.field[SITE_CATEGORY] = "Monument";
	CHECK_STR(site_field(site_set_add(set, &c), SITE_CATEGORY), "Monument");
	c.field[SITE_CATEGORY] = NULL;
	CHECK_STR(site_field(site_set_add(set, &c), SITE_CATEGORY), "");
	/* a site's text costs its texts, their NULs and two bytes (and the
	 * radius when it is not the default): sites added one after another
	 * lie one after another in the set's arena */
	for (int r = 0; r < 2; r++) {
		struct site_draft t = {.category = CAT_MUSEUM, .quality = SITE_QUALITY_TOWN};
		t.field[SITE_ID] = "s1";
		t.field[SITE_NAME_ZH] = "甲";
		t.field[SITE_NAME_EN] = "A";
		t.field[SITE_CATEGORY] = "museum";
		t.uncertainty_m = r ? 7.5 : site_quality_default_m(SITE_QUALITY_TOWN);
		const char *a = site_set_add(set, &t)->text_;
		const char *b = site_set_add(set, &t)->text_;
		CHECK(b - a == 2 + (r ? 8 : 0) + 3 + 4 + 2);
		CHECK(site_uncertainty(&set->v[set->n - 1]) == t.uncertainty_m);
	}
	/* the record stays small: a pointer and the numbers */
	CHECK(sizeof(struct site) <= 32);
	free(big);
	site_set_free(set);
}

static void test_reserve_and_growth(void)
{
	struct site_set *set = site_set_new();
	site_set_reserve(set, MANY_SITES);
	CHECK(set->cap >= MANY_SITES);
	struct site *first = set->v;
	char id[32];
	struct site_draft s = {0};
	s.field[SITE_ID] = id;
	for (int i = 0; i < MANY_SITES; i++) {
		snprintf(id, sizeof id, "s%05d", i);
		site_set_add(set, &s);
	}
	CHECK(set->v == first); /* reserved room: adding moved nothing */
	CHECK_INT(set->n, MANY_SITES);
	site_set_reserve(set, 10); /* never shrinks */
	CHECK(set->cap >= MANY_SITES);
	site_set_free(set);

	/* Without a reservation the array grows, and every site survives. */
	set = site_set_new();
	for (int i = 0; i < MANY_SITES; i++) {
		snprintf(id, sizeof id, "s%05d", i);
		s.lat = i * 0.001;
		site_set_add(set, &s);
	}
	size_t wrong = 0;
	for (int i = 0; i < MANY_SITES; i++) {
		snprintf(id, sizeof id, "s%05d", i);
		wrong += strcmp(site_field(&set->v[i], SITE_ID), id) != 0 || set->v[i].lat != i * 0.001;
	}
	CHECK_INT(wrong, 0);
	site_set_free(set);
}

static void test_sort(void)
{
	/* Bytewise, so "B" < "a" and UTF-8 ids sort after ASCII ones. */
	static const char *const ids[] = {"zb-10", "a", "红色", "zb-2", "B", "zb-1", "é", ""};
	static const char *const sorted[] = {"", "B", "a", "zb-1", "zb-10", "zb-2", "é", "红色"};
	size_t n = sizeof ids / sizeof ids[0];
	struct site_set *set = site_set_new();
	for (size_t i = 0; i < n; i++) {
		struct site_draft s = {0};
		s.field[SITE_ID] = ids[i];
		s.lat = (double)i; /* to see that whole sites moved */
		site_set_add(set, &s);
	}
	site_set_sort_by_id(set);
	for (size_t i = 0; i < n; i++) {
		CHECK_MSG(strcmp(site_field(&set->v[i], SITE_ID), sorted[i]) == 0, "position %zu: \"%s\"", i,
		          site_field(&set->v[i], SITE_ID));
		CHECK_MSG(strcmp(ids[(size_t)set->v[i].lat], site_field(&set->v[i], SITE_ID)) == 0,
		          "position %zu: fields and coordinates were separated", i);
	}
	/* Sorting a sorted set changes nothing. */
	site_set_sort_by_id(set);
	for (size_t i = 0; i < n; i++)
		CHECK_STR(site_field(&set->v[i], SITE_ID), sorted[i]);
	site_set_free(set);

	struct site_set *empty = site_set_new();
	site_set_sort_by_id(empty);
	CHECK_INT(empty->n, 0);
	site_set_free(empty);
}

static void test_coords(void)
{
	CHECK(site_coord_valid(0, 0));
	CHECK(site_coord_valid(36.8, 118.05));
	CHECK(site_coord_valid(90, 180));
	CHECK(site_coord_valid(-90, -180));
	CHECK(!site_coord_valid(90.000001, 0));
	CHECK(!site_coord_valid(-90.000001, 0));
	CHECK(!site_coord_valid(0, 180.000001));
	CHECK(!site_coord_valid(0, -180.000001));
	CHECK(!site_coord_valid(NAN, 0));
	CHECK(!site_coord_valid(0, NAN));
	CHECK(!site_coord_valid(INFINITY, 0));
	CHECK(!site_coord_valid(0, -INFINITY));
	CHECK(!site_coord_valid(118.05, 36.8)); /* lon, lat swapped */
}

int main(void)
{
	test_categories();
	test_fields();
	test_qualities();
	test_add_copies();
	test_packed_text();
	test_reserve_and_growth();
	test_sort();
	test_coords();
	return CHECK_DONE();
}
