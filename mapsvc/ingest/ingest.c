/* ingest.c - what the readers share, and ingest_file; see ingest.h and
 * ingest_int.h. */
#include "ingest_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "../hours/hours.h"
#include "../util/buf.h"
#include "../util/mem.h"

/*
 * The id set: open addressing with linear probing over borrowed id
 * strings.  A sorted array would do for the final check, but the readers
 * must name the first duplicate as they meet it, in file order, and a
 * million ids must not cost a quadratic scan.
 */
struct ingest_idset {
	const char **key;
	size_t *val; /* where it was seen; 0 for an id of the set appended to */
	size_t cap;  /* a power of two */
	size_t n;
};

static size_t idset_slot(const struct ingest_idset *s, const char *id)
{
	size_t mask = s->cap - 1;
	size_t i = (size_t)XXH3_64bits(id, strlen(id)) & mask;
	while (s->key[i] && strcmp(s->key[i], id) != 0)
		i = (i + 1) & mask;
	return i;
}

static void idset_grow(struct ingest_idset *s)
{
	struct ingest_idset old = *s;
	s->cap = old.cap ? old.cap * 2 : 1024;
	s->key = xcalloc(s->cap, sizeof *s->key);
	s->val = xcalloc(s->cap, sizeof *s->val);
	for (size_t i = 0; i < old.cap; i++) {
		if (old.key[i]) {
			size_t j = idset_slot(s, old.key[i]);
			s->key[j] = old.key[i];
			s->val[j] = old.val[i];
		}
	}
	free(old.key);
	free(old.val);
}

/* Returns true when id was already present (*seen tells where). */
static bool idset_insert(struct ingest_idset *s, const char *id, size_t where, size_t *seen)
{
	if (2 * (s->n + 1) > s->cap) /* load factor at most 1/2 */
		idset_grow(s);
	size_t i = idset_slot(s, id);
	if (s->key[i]) {
		*seen = s->val[i];
		return true;
	}
	s->key[i] = id;
	s->val[i] = where;
	s->n++;
	return false;
}

void ingest_batch_init(struct ingest_batch *b, enum coordsys cs, enum ingest_where kind,
                       const struct site_set *into)
{
	memset(b, 0, sizeof *b);
	b->cs = cs;
	b->where_kind = kind;
	b->into = into;
	b->tmp = site_set_new();
	b->ids = xcalloc(1, sizeof *b->ids);
	size_t seen;
	for (size_t i = 0; into && i < into->n; i++)
		idset_insert(b->ids, site_field(&into->v[i], SITE_ID), 0, &seen);
}

void ingest_batch_free(struct ingest_batch *b)
{
	site_set_free(b->tmp);
	free(b->where);
	if (b->ids) {
		free(b->ids->key);
		free(b->ids->val);
		free(b->ids);
	}
	memset(b, 0, sizeof *b);
}

static void category_list(struct buf *out)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		if (c)
			buf_puts(out, ", ");
		buf_puts(out, site_category_name((enum site_category)c));
	}
}

static void quality_list(struct buf *out)
{
	for (int q = 0; q < SITE_QUALITY_COUNT; q++) {
		if (q)
			buf_puts(out, ", ");
		buf_puts(out, site_quality_name((enum site_quality)q));
	}
}

/* The position quality and radius of a row (ingest.h's rules). */
static enum ms_status validate_position(struct ingest_row *row, struct ms_error *err)
{
	struct site_draft *s = &row->site;
	bool has_quality = row->quality && row->quality[0];
	if (!has_quality) {
		if (row->has_uncertainty)
			return ms_fail(err, MS_EDATA,
			               SITE_COLUMN_UNCERTAINTY
			               " is given without " SITE_COLUMN_QUALITY " (give "
			               "both, or neither to derive them from confidence)");
		s->quality = site_quality_from_confidence(s->field[SITE_CONFIDENCE]);
		s->uncertainty_m = site_quality_default_m(s->quality);
		return MS_OK;
	}
	int q = site_quality_parse(row->quality, strlen(row->quality));
	if (q < 0) {
		struct buf valid = BUF_INIT;
		quality_list(&valid);
		ms_fail(err, MS_EDATA, SITE_COLUMN_QUALITY " '%.60s' is not one of: %s", row->quality,
		        buf_str(&valid));
		buf_free(&valid);
		return MS_EDATA;
	}
	s->quality = (enum site_quality)q;
	if (!row->has_uncertainty) {
		s->uncertainty_m = site_quality_default_m(s->quality);
		return MS_OK;
	}
	double m = row->uncertainty_m;
	if (!(m > 0))
		return ms_fail(err, MS_EDATA, SITE_COLUMN_UNCERTAINTY " %.9g must be more than 0", m);
	if (!site_uncertainty_valid(s->quality, m)) {
		if (site_quality_max_m(s->quality) < SITE_UNCERTAINTY_MAX_M)
			return ms_fail(err, MS_EDATA,
			               SITE_COLUMN_UNCERTAINTY " %.9g is more than a '%s' position allows "
			                                       "(%.0f m; use a coarser " SITE_COLUMN_QUALITY
			                                       ")",
			               m, row->quality, site_quality_max_m(s->quality));
		return ms_fail(err, MS_EDATA,
		               SITE_COLUMN_UNCERTAINTY " %.9g is more than %.0f m, as far as two places on "
		                                       "Earth can be apart",
		               m, SITE_UNCERTAINTY_MAX_M);
	}
	s->uncertainty_m = m;
	return MS_OK;
}

/* opening_hours, when given, must be in the subset hours_parse reads: a
 * schedule the planner cannot read is no schedule.  The source's free
 * text belongs in opening_hours_text, which is kept as it is.  The
 * parser's message already starts "opening_hours: at character N". */
static enum ms_status validate_hours(const struct site_draft *s, struct ms_error *err)
{
	const char *text = s->field[SITE_OPENING_HOURS];
	if (!*text)
		return MS_OK;
	struct hours *h = NULL;
	enum ms_status st = hours_parse(text, strlen(text), &h, err);
	hours_free(h);
	if (st != MS_OK) {
		/* the one mistake to expect: the source's words where the
		 * schedule goes (the bundled data had them there once) */
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, "; free text goes in opening_hours_text");
	}
	return st;
}

enum ms_status ingest_row_validate(struct ingest_row *row, enum coordsys cs, struct ms_error *err)
{
	struct site_draft *s = &row->site;
	enum ms_status st;
	for (int f = 0; f < SITE_NFIELDS; f++) {
		if (!s->field[f])
			s->field[f] = "";
		/* The readers stop longer fields earlier, with the column's
		 * position; this is for records that come from elsewhere. */
		if (strlen(s->field[f]) > INGEST_MAX_FIELD)
			return ms_fail(err, MS_EDATA, "%s is longer than %zu bytes", site_field_names[f],
			               INGEST_MAX_FIELD);
	}
	const char *id = s->field[SITE_ID];
	size_t idlen = strlen(id);
	if (idlen == 0)
		return ms_fail(err, MS_EDATA, "id is empty");
	if (idlen > INGEST_MAX_ID)
		return ms_fail(err, MS_EDATA, "id '%.40s...' longer than %d bytes", id, INGEST_MAX_ID);
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ms_fail(err, MS_EDATA, "id contains a control character (byte 0x%02X)", *p);

	if (!s->field[SITE_NAME_ZH][0])
		return ms_fail(err, MS_EDATA, "name_zh is empty (id '%s')", id);

	const char *cat = s->field[SITE_CATEGORY];
	int c = site_category_parse(cat, strlen(cat));
	if (c < 0) {
		struct buf valid = BUF_INIT;
		category_list(&valid);
		ms_fail(err, MS_EDATA, "category '%s' is not one of: %s", cat, buf_str(&valid));
		buf_free(&valid);
		return MS_EDATA;
	}
	s->category = (enum site_category)c;

	/* Ranges are checked in the input's own system: that is what the
	 * file says, so that is what the message must quote. */
	if (!(s->lat >= -90.0 && s->lat <= 90.0))
		return ms_fail(err, MS_EDATA, "lat %.9g out of range -90..90", s->lat);
	if (!(s->lon >= -180.0 && s->lon <= 180.0))
		return ms_fail(err, MS_EDATA, "lon %.9g out of range -180..180", s->lon);
	double wlat, wlon;
	coordsys_to_wgs84(cs, s->lat, s->lon, &wlat, &wlon);
	if (!site_coord_valid(wlat, wlon))
		return ms_fail(err, MS_EDATA, "lat %.9g, lon %.9g has no WGS-84 equivalent", s->lat, s->lon);
	/* + 0.0 turns a negative zero into zero: the same place, which an
	 * export writes as "-0" and a reader may take back as 0, so a site
	 * and its own export would differ (site_hash, the item's ETag). */
	s->lat = wlat + 0.0;
	s->lon = wlon + 0.0;
	if ((st = validate_hours(s, err)) != MS_OK)
		return st;
	return validate_position(row, err);
}

enum ms_status ingest_batch_add(struct ingest_batch *b, struct ingest_row *row, size_t where,
                                struct ms_error *err)
{
	enum ms_status st = ingest_row_validate(row, b->cs, err);
	if (st != MS_OK)
		return st;
	const char *id = row->site.field[SITE_ID];
	struct site *added = site_set_add(b->tmp, &row->site);
	size_t seen;
	if (idset_insert(b->ids, site_field(added, SITE_ID), where, &seen)) {
		b->tmp->n--; /* the strings stay in the arena until the batch is freed */
		if (seen == 0)
			return ms_fail(err, MS_EDATA, "id '%s' already exists", id);
		return ms_fail(err, MS_EDATA, "id '%s' is a duplicate (also %s %zu)", id,
		               b->where_kind == INGEST_LINE ? "on line" : "feature",
		               seen - (b->where_kind == INGEST_FEATURE));
	}
	if (b->tmp->n > b->where_cap) {
		b->where_cap = b->tmp->cap;
		b->where = xrealloc(b->where, b->where_cap * sizeof *b->where);
	}
	b->where[b->tmp->n - 1] = where;
	return MS_OK;
}

void ingest_batch_commit(struct ingest_batch *b, struct site_set *into)
{
	for (size_t i = 0; i < b->tmp->n; i++)
		site_set_copy(into, &b->tmp->v[i]);
}

size_t ingest_line_of(const char *data, size_t off)
{
	size_t line = 1;
	for (const char *p = data, *end = data + off; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		line++;
	return line;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);
	const char *slash = strrchr(path, '/');
	return n > e && strcasecmp(path + n - e, ext) == 0 && (!slash || (size_t)(slash - path) < n - e - 1);
}

enum ms_status ingest_file(const char *path, enum coordsys cs, struct site_set *into, struct ms_error *err)
{
	enum ms_status (*reader)(const char *, const char *, size_t, enum coordsys, struct site_set *,
	                         struct ms_error *);
	if (has_ext(path, ".csv"))
		reader = ingest_csv;
	else if (has_ext(path, ".geojson") || has_ext(path, ".json"))
		reader = ingest_geojson;
	else
		return ms_fail(err, MS_EUSAGE, "%s: unknown format (expected .csv, .geojson or .json)", path);

	FILE *f = fopen(path, "rb");
	if (!f)
		return ms_fail(err, errno == ENOENT ? MS_ENOTFOUND : MS_EIO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return ms_fail(err, MS_EIO, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > INGEST_MAX_FILE) {
		fclose(f);
		return ms_fail(err, MS_EDATA, "%s: %lld bytes, more than the %zu a site file may have", path,
		               (long long)st.st_size, INGEST_MAX_FILE);
	}
	size_t size = (size_t)st.st_size;
	char *data = xmalloc(size + 1);
	size_t got = fread(data, 1, size, f);
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (got != size) {
		free(data);
		return ms_fail(err, MS_EIO, "%s: read failed: %s", path,
		               rerr ? strerror(rerr) : "file shrank");
	}
	data[size] = '\0';
	enum ms_status st2 = reader(path, data, size, cs, into, err);
	free(data);
	return st2;
}
