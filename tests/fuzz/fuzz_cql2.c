/*
 * fuzz_cql2.c - cql2_parse on arbitrary bytes, in both encodings, and what
 * a parsed filter promises.
 *
 * The first byte chooses how the rest is read: bit 0 cql2-json (else
 * cql2-text), bit 1 filter-crs lat/lon, bit 2 a converter moving every
 * literal position (seed files start with '0'..'7').  Then:
 *   - a refusal is MS_EUSAGE, no filter, and a message "filter: ..." in
 *     valid UTF-8 (it goes into problem+json as it is);
 *   - a filter has a canonical text in valid UTF-8 that parses back, as
 *     plain CRS84 cql2-text, to itself (unless it grew past the input
 *     bound) and to a filter with the same value for every record;
 *   - every record the filter makes TRUE lies in the box cql2_bbox gives.
 * The records cover every queryable type, NULLs, and points on the
 * antimeridian, near the pole and at the origin.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <unistr.h>

#include "cql2/cql2.h"
#include "fuzz.h"

#define H "fuzz_cql2"
#define MODE_JSON 1
#define MODE_LAT_FIRST 2
#define MODE_CONVERT 4
/* The converter's scale: keeps every position in range. */
#define CONVERT_SCALE 0.999

/* The queryables of the unit tests' fixture (tests/data/cql2/fixture.json),
 * so that the seeds taken from their tables reach past the property
 * names. */
static const char *const materials[] = {"brick", "bricks", "wood", "stone"};

static const struct cql2_queryable queryables[] = {
    {"id", CQL2_STRING, NULL, 0},
    {"name", CQL2_STRING, NULL, 0},
    {"owner", CQL2_STRING, NULL, 0},
    {"material", CQL2_STRING, materials, 4},
    {"floors", CQL2_INTEGER, NULL, 0},
    {"taxes", CQL2_NUMBER, NULL, 0},
    {"swimming_pool", CQL2_BOOLEAN, NULL, 0},
    {"value", CQL2_NUMBER, NULL, 0},
    {"foo", CQL2_NUMBER, NULL, 0},
    {"built", CQL2_DATE, NULL, 0},
    {"updated", CQL2_DATE, NULL, 0},
    {"updated_at", CQL2_TIMESTAMP, NULL, 0},
    {"starts_at", CQL2_TIMESTAMP, NULL, 0},
    {"ends_at", CQL2_TIMESTAMP, NULL, 0},
    {"event_time", CQL2_TIMESTAMP, NULL, 0},
    {"touchdown", CQL2_TIMESTAMP, NULL, 0},
    {"liftOff", CQL2_TIMESTAMP, NULL, 0},
    {"geometry", CQL2_GEOMETRY, NULL, 0},
    {"location", CQL2_GEOMETRY, NULL, 0},
    {"footprint", CQL2_GEOMETRY, NULL, 0},
    {"road", CQL2_GEOMETRY, NULL, 0},
    {"city", CQL2_STRING, NULL, 0},
    {"cityName", CQL2_STRING, NULL, 0},
    {"category", CQL2_INTEGER, NULL, 0},
    {"depth", CQL2_NUMBER, NULL, 0},
    {"road_class", CQL2_STRING, NULL, 0},
    {"etat_vol", CQL2_STRING, NULL, 0},
    {"eo:instrument", CQL2_STRING, NULL, 0},
    {"eo:cloud_cover", CQL2_NUMBER, NULL, 0},
    {"landsat:scene_id", CQL2_STRING, NULL, 0},
    {"landsat:wrs_row", CQL2_NUMBER, NULL, 0},
    {"landsat:wrs_path", CQL2_NUMBER, NULL, 0},
    {"beamMode", CQL2_STRING, NULL, 0},
    {"swathDirection", CQL2_STRING, NULL, 0},
    {"polarization", CQL2_STRING, NULL, 0},
    {"geophys:SURVEY_NAME", CQL2_STRING, NULL, 0},
    {"balance", CQL2_NUMBER, NULL, 0},
    {"windSpeed", CQL2_NUMBER, NULL, 0},
    {"vehicle_height", CQL2_NUMBER, NULL, 0},
    {"bridge_clearance", CQL2_NUMBER, NULL, 0},
    {"名称", CQL2_STRING, NULL, 0},
};
#define NQ (sizeof queryables / sizeof queryables[0])
#define GEOMETRY 17 /* the first geometry queryable: the one cql2_bbox is about */
static const struct cql2_schema schema = {queryables, NQ};

/* Record 0 is all NULL; the others take, for queryable q, value number
 * (r * 7 + q) of the lists of its type, or NULL now and then. */
#define NREC 6
#define NULL_EVERY 5
static struct cql2_value records[NREC][NQ];

static const char *const strings[] = {"foo", "Mike Jones", "STRASSE ß", "%_\\'",
                                      "",    "纪念馆",     "Οδος",      "brick"};
static const double numbers[] = {0, 1.5, -7, 10, 1e300, 0.1, 20, 5};
static const char *const dates[] = {"2020-02-29", "1969-07-20", "0000-01-01", "2015-01-01"};
static const char *const stamps[] = {"2020-02-29T12:00:00Z", "1969-07-20T20:17:40.5Z",
                                     "9999-12-31T23:59:59.999999Z", "2010-02-10T00:00:00Z"};
static const double points[][2] = {
    {0, 0}, {180, -15}, {-179.999999, 89.999999}, {118.160735, 36.849547}, {-117.95, 33.9}, {5, 1}};
#define PICK(list, k) (list)[(k) % (sizeof(list) / sizeof((list)[0]))]

static void setup(void)
{
	for (size_t r = 1; r < NREC; r++)
		for (size_t q = 0; q < NQ; q++) {
			struct cql2_value *v = &records[r][q];
			size_t k = r * 7 + q;
			if ((r * 3 + q) % NULL_EVERY == 0)
				continue; /* NULL */
			bool is_date;
			switch (queryables[q].type) {
			case CQL2_STRING:
				v->type = CQL2_VSTRING, v->str = PICK(strings, k), v->len = strlen(v->str);
				break;
			case CQL2_NUMBER:
			case CQL2_INTEGER: v->type = CQL2_VNUMBER, v->num = PICK(numbers, k); break;
			case CQL2_BOOLEAN: v->type = CQL2_VBOOL, v->b = k % 2; break;
			case CQL2_DATE:
			case CQL2_TIMESTAMP: {
				const char *t =
				    queryables[q].type == CQL2_DATE ? PICK(dates, k) : PICK(stamps, k);
				v->type = CQL2_VTIME;
				if (!cql2_parse_time(t, strlen(t), &v->time_us, &is_date))
					fuzz_fail(H, "fixture time %s", t);
				break;
			}
			case CQL2_GEOMETRY:
				v->type = CQL2_VPOINT, v->lon = PICK(points, k)[0],
				v->lat = PICK(points, k)[1];
				break;
			}
		}
}

static void get(const void *rec, size_t qi, struct cql2_value *out)
{
	*out = ((const struct cql2_value *)rec)[qi];
}

static void shrink(void *ctx, double *lon, double *lat)
{
	(void)ctx;
	*lon *= CONVERT_SCALE;
	*lat *= CONVERT_SCALE;
}

static bool utf8(const char *s)
{
	return u8_check((const uint8_t *)s, strlen(s)) == NULL;
}

static bool in_box(const struct cql2_box *b, double lon, double lat)
{
	if (lat < b->south || lat > b->north)
		return false;
	return b->west <= b->east ? lon >= b->west && lon <= b->east : lon >= b->west || lon <= b->east;
}

static void check_filter(const struct cql2 *f)
{
	const char *text = cql2_to_text(f);
	if (!text || !*text || !utf8(text))
		fuzz_fail(H, "canonical text empty or not UTF-8");
	struct cql2_box box;
	enum cql2_bbox_kind kind = cql2_bbox(f, &box);
	for (int r = 0; r < NREC; r++) {
		if (cql2_eval(f, get, records[r]) != CQL2_TRUE)
			continue;
		const struct cql2_value *g = &records[r][GEOMETRY];
		if (kind == CQL2_BBOX_EMPTY)
			fuzz_fail(H, "record %d matches a filter said to match nothing: %s", r, text);
		if (kind == CQL2_BBOX_BOX && (g->type != CQL2_VPOINT || !in_box(&box, g->lon, g->lat)))
			fuzz_fail(H, "record %d matches outside the box: %s", r, text);
	}
	size_t len = strlen(text);
	if (len > CQL2_MAX_INPUT)
		return; /* literals written longer than they came */
	struct cql2_opts plain = {.schema = &schema, .lang = CQL2_TEXT};
	struct cql2 *again = NULL;
	struct ms_error err = {0};
	if (cql2_parse(text, len, &plain, &again, &err) != MS_OK)
		fuzz_fail(H, "canonical text does not parse: %s\n  text: %s", err.msg, text);
	if (strcmp(cql2_to_text(again), text))
		fuzz_fail(H, "canonical text changes when read back:\n  %s\n  %s", text, cql2_to_text(again));
	for (int r = 0; r < NREC; r++)
		if (cql2_eval(f, get, records[r]) != cql2_eval(again, get, records[r]))
			fuzz_fail(H, "record %d: the canonical text means something else: %s", r, text);
	cql2_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size == 0)
		return 0;
	unsigned mode = data[0];
	struct cql2_opts o = {
	    .schema = &schema,
	    .lang = mode & MODE_JSON ? CQL2_JSON : CQL2_TEXT,
	    .lat_first = (mode & MODE_LAT_FIRST) != 0,
	    .to_wgs84 = mode & MODE_CONVERT ? shrink : NULL,
	};
	struct cql2 *f = NULL;
	struct ms_error err = {0};
	enum ms_status rc = cql2_parse((const char *)data + 1, size - 1, &o, &f, &err);
	if (rc == MS_OK) {
		if (!f)
			fuzz_fail(H, "MS_OK without a filter");
		check_filter(f);
	} else {
		if (rc != MS_EUSAGE || f)
			fuzz_fail(H, "status %s, filter %p", ms_status_str(rc), (void *)f);
		if (strncmp(err.msg, "filter: ", 8) || !utf8(err.msg))
			fuzz_fail(H, "message not \"filter: ...\" in UTF-8: %s", err.msg);
	}
	cql2_free(f);
	return 0;
}
