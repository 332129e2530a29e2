/* site.c - the data model; see site.h. */
#include "site.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	[SITE_COORD_SOURCE] = "coord_source",
	[SITE_CONFIDENCE] = "confidence",
	[SITE_SOURCE_URL] = "source_url",
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

struct site *site_set_add(struct site_set *set, const struct site *s)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
	struct site *d = &set->v[set->n++];
	/* Absent fields share one static "" (and absent extras one "{}"): a
	 * million sites with five columns would otherwise hold nine million
	 * one-byte copies. */
	for (int f = 0; f < SITE_NFIELDS; f++)
		d->field[f] = s->field[f] && *s->field[f] ? arena_strdup(set->strings, s->field[f]) : "";
	d->lat = s->lat;
	d->lon = s->lon;
	d->category = s->category;
	d->extra = s->extra && s->extra[0] && strcmp(s->extra, "{}") ? arena_strdup(set->strings, s->extra) : "{}";
	return d;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct site *)a)->field[SITE_ID], ((const struct site *)b)->field[SITE_ID]);
}

void site_set_sort_by_id(struct site_set *set)
{
	/* Sets read back from an imported database are usually in order
	 * already (imports write them sorted): one pass checks that. */
	size_t i = 1;
	while (i < set->n && strcmp(set->v[i - 1].field[SITE_ID], set->v[i].field[SITE_ID]) <= 0)
		i++;
	if (i < set->n)
		qsort(set->v, set->n, sizeof *set->v, cmp_id);
}

bool site_coord_valid(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
	       lon <= 180.0;
}
