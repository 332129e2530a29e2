/*
 * rtree_load.c - a packed R*Tree written straight into SQLite's shadow
 * tables; see rtree_load.h.
 *
 * What SQLite keeps, as rtree.c documents at its top: an R*Tree `t` is
 * three ordinary tables.  t_node(nodeno, data) holds one blob per node,
 * all of the root's size; the root is node 1 and its first two bytes are
 * the tree's depth (0 when the root is a leaf), then every node has a
 * two-byte cell count and its cells, each an 8-byte id (a rowid in a
 * leaf, a child's nodeno above) and the box as 4-byte floats, xmin, xmax,
 * ymin, ymax, all big-endian.  t_rowid(rowid, nodeno) names the leaf of
 * every entry and t_parent(nodeno, parentnode) the parent of every node
 * but the root.  The node size, and so the most cells a node may hold,
 * is read from the root blob, as SQLite itself reads it.
 *
 * The tree: Sort-Tile-Recursive packing (Leutenegger, Lopez and Edgington,
 * ICDE 1997).  Each level's boxes are sorted by the x of their centres,
 * cut into about sqrt(nodes) vertical slices, each slice sorted by y and
 * cut into nodes, as evenly as the counts allow; then the same one level
 * up until one node is left.  Full, square-ish leaves make a smaller and
 * faster tree than one-by-one insertion, in O(n log n) with no I/O per
 * entry but three row writes (the node blobs, the rowid map, the parents).
 *
 * Trust, but verify: SQLite's rtreecheck() walks the whole result (every
 * box inside its parent's, every rowid and parent mapping in place) and
 * the import fails unless it says "ok".  Anything but a plain 2-D float
 * rtree is left alone (MS_EUSAGE), so the caller falls back to row-by-row
 * inserts through the virtual table.
 */
#include "rtree_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

/* Bytes of a node's header (depth or unused, then the cell count), and
 * of a 2-D cell (the 8-byte id and four 4-byte floats). */
#define NODE_HEADER 4
#define CELL_BYTES 24
/* The fewest cells a node size must allow for this module to write it:
 * SQLite's own smallest node (512 - 64 bytes) holds 18. */
#define MIN_NODE_CELLS 4
/* rtree.c's rounding factors: one unit in the 24th bit of a float. */
#define RND_TOWARDS (1.0 - 1.0 / 8388608.0)
#define RND_AWAY (1.0 + 1.0 / 8388608.0)

float store_rtree_down(double d)
{
	float f = (float)d;
	if (f > d)
		f = (float)(d * (d < 0 ? RND_AWAY : RND_TOWARDS));
	return f;
}

float store_rtree_up(double d)
{
	float f = (float)d;
	if (f < d)
		f = (float)(d * (d < 0 ? RND_TOWARDS : RND_AWAY));
	return f;
}

/* An entry of a level: a leaf's rowid or a child node (its index in the
 * level below until numbers are given out), and its box. */
struct cell {
	int64_t id;
	float box[4]; /* xmin, xmax, ymin, ymax */
};

/* A node of a level: cells[first, first + count) of that level. */
struct node {
	size_t first, count;
	int64_t no;     /* its nodeno */
	int64_t parent; /* the parent's nodeno, 0 for the root */
};

struct level {
	struct cell *cells;
	size_t ncells;
	struct node *nodes;
	size_t nnodes;
};

static double centre(const struct cell *c, int axis)
{
	return ((double)c->box[2 * axis] + (double)c->box[2 * axis + 1]) / 2.0;
}

static int cmp_x(const void *a, const void *b)
{
	double x = centre(a, 0), y = centre(b, 0);
	if (x != y)
		return x < y ? -1 : 1;
	int64_t i = ((const struct cell *)a)->id, j = ((const struct cell *)b)->id;
	return (i > j) - (i < j);
}

static int cmp_y(const void *a, const void *b)
{
	double x = centre(a, 1), y = centre(b, 1);
	if (x != y)
		return x < y ? -1 : 1;
	int64_t i = ((const struct cell *)a)->id, j = ((const struct cell *)b)->id;
	return (i > j) - (i < j);
}

/* Cuts cells[0, n) into nodes of at most m cells, STR order (reorders
 * cells); returns the node count, nodes in *out (new array). */
static size_t pack(struct cell *cells, size_t n, size_t m, struct node **out)
{
	size_t nnodes = n == 0 ? 1 : (n + m - 1) / m;
	struct node *nodes = xcalloc(nnodes, sizeof *nodes);
	*out = nodes;
	if (n == 0)
		return 1; /* the empty root */
	size_t slices = (size_t)ceil(sqrt((double)nnodes));
	size_t per_slice = (nnodes + slices - 1) / slices * m; /* cells */
	qsort(cells, n, sizeof *cells, cmp_x);
	size_t k = 0;
	for (size_t s0 = 0; s0 < n; s0 += per_slice) {
		size_t sn = n - s0 < per_slice ? n - s0 : per_slice;
		qsort(cells + s0, sn, sizeof *cells, cmp_y);
		/* sn cells into ceil(sn / m) nodes whose sizes differ by at most
		 * one, so that no node is left nearly empty */
		size_t parts = (sn + m - 1) / m;
		for (size_t p = 0, at = s0; p < parts; p++) {
			size_t size = sn / parts + (p < sn % parts);
			nodes[k].first = at;
			nodes[k].count = size;
			at += size;
			k++;
		}
	}
	return k;
}

static void node_box(const struct cell *cells, const struct node *nd, float box[4])
{
	box[0] = box[2] = INFINITY;
	box[1] = box[3] = -INFINITY;
	for (size_t i = nd->first; i < nd->first + nd->count; i++) {
		const float *b = cells[i].box;
		box[0] = fminf(box[0], b[0]);
		box[1] = fmaxf(box[1], b[1]);
		box[2] = fminf(box[2], b[2]);
		box[3] = fmaxf(box[3], b[3]);
	}
}

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static void put_float(unsigned char *p, float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	put_be(p, u, 4);
}

struct writer {
	sqlite3 *db;
	const char *path; /* for messages: the table */
	sqlite3_stmt *node, *parent, *rowid;
	unsigned char *blob;
	size_t node_size;
};

static enum ms_status write_node(struct writer *w, const struct level *lv, const struct node *nd, int depth,
                                 struct ms_error *err)
{
	memset(w->blob, 0, w->node_size);
	if (nd->no == 1)
		put_be(w->blob, (uint64_t)depth, 2);
	put_be(w->blob + 2, nd->count, 2);
	unsigned char *p = w->blob + NODE_HEADER;
	for (size_t i = nd->first; i < nd->first + nd->count; i++, p += CELL_BYTES) {
		const struct cell *c = &lv->cells[i];
		put_be(p, (uint64_t)c->id, 8);
		for (int k = 0; k < 4; k++)
			put_float(p + 8 + 4 * k, c->box[k]);
	}
	sqlite3_bind_int64(w->node, 1, nd->no);
	sqlite3_bind_blob(w->node, 2, w->blob, (int)w->node_size, SQLITE_STATIC);
	int rc = sqlite3_step(w->node);
	sqlite3_reset(w->node);
	if (rc == SQLITE_DONE && nd->parent) {
		sqlite3_bind_int64(w->parent, 1, nd->no);
		sqlite3_bind_int64(w->parent, 2, nd->parent);
		rc = sqlite3_step(w->parent);
		sqlite3_reset(w->parent);
	}
	if (rc != SQLITE_DONE)
		return ms_fail(err, MS_EIO, "%s: cannot write a node: %s", w->path, sqlite3_errmsg(w->db));
	return MS_OK;
}

/* The leaf of each entry, written in rowid order so that the rowid
 * table's B-tree only ever appends. */
struct rowid_map {
	int64_t rowid, leaf;
};

static int cmp_rowid_map(const void *a, const void *b)
{
	int64_t x = ((const struct rowid_map *)a)->rowid, y = ((const struct rowid_map *)b)->rowid;
	return (x > y) - (x < y);
}

static enum ms_status write_rowids(struct writer *w, const struct level *leaves, struct ms_error *err)
{
	size_t n = leaves->ncells;
	struct rowid_map *map = xmalloc((n ? n : 1) * sizeof *map);
	for (size_t k = 0; k < leaves->nnodes; k++) {
		const struct node *nd = &leaves->nodes[k];
		for (size_t i = nd->first; i < nd->first + nd->count; i++)
			map[i] = (struct rowid_map){leaves->cells[i].id, nd->no};
	}
	if (n > 1)
		qsort(map, n, sizeof *map, cmp_rowid_map);
	enum ms_status rs = MS_OK;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(w->rowid, 1, map[i].rowid);
		sqlite3_bind_int64(w->rowid, 2, map[i].leaf);
		int rc = sqlite3_step(w->rowid);
		sqlite3_reset(w->rowid);
		if (rc != SQLITE_DONE) {
			rs = ms_fail(err, MS_EIO, "%s: cannot map rowid %lld: %s", w->path,
			             (long long)map[i].rowid, sqlite3_errmsg(w->db));
			break;
		}
	}
	free(map);
	return rs;
}

/* A one-value integer query, or -1. */
static long long one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The node size when `table` is a plain 2-D float rtree with the shadow
 * tables rtree.c describes; 0 otherwise. */
static size_t plain_rtree_node_size(sqlite3 *db, const char *table)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s' AND "
	         "sql LIKE 'CREATE VIRTUAL TABLE%%USING rtree(%%'",
	         table);
	if (one_int(db, sql) != 1)
		return 0;
	static const struct {
		const char *suffix;
		long long columns;
	} shape[] = {{"", 5}, {"_node", 2}, {"_rowid", 2}, {"_parent", 2}};
	for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s%s')", table,
		         shape[i].suffix);
		if (one_int(db, sql) != shape[i].columns)
			return 0;
	}
	snprintf(sql, sizeof sql, "SELECT length(data) FROM \"%s_node\" WHERE nodeno = 1", table);
	long long size = one_int(db, sql);
	if (size < NODE_HEADER + MIN_NODE_CELLS * CELL_BYTES)
		return 0;
	return (size_t)size;
}

/* Appends the tree's current entries with an id below min_id to cells. */
static enum ms_status read_existing(sqlite3 *db, const char *table, int64_t min_id, struct cell **cells,
                                    size_t *n, size_t *cap, struct ms_error *err)
{
	char sql[256];
	/* an rtree's columns are the id, then min and max of each axis */
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ms_fail(err, MS_EIO, "%s: cannot read the spatial index: %s", table,
		               sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id >= min_id)
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			*cells = xrealloc(*cells, *cap * sizeof **cells);
		}
		struct cell *c = &(*cells)[(*n)++];
		c->id = id;
		for (int k = 0; k < 4; k++) /* floats, stored as doubles: exact */
			c->box[k] = (float)sqlite3_column_double(st, 1 + k);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ms_fail(err, MS_EIO, "%s: cannot read the spatial index: %s", table,
		               sqlite3_errmsg(db));
	return MS_OK;
}

enum ms_status store_rtree_load(sqlite3 *db, const char *table, const struct rtree_point *pts, size_t n,
                                bool keep_existing, struct ms_error *err)
{
	size_t node_size = plain_rtree_node_size(db, table);
	if (node_size == 0)
		return ms_fail(err, MS_EUSAGE, "%s: not a plain 2-D R*Tree", table);
	size_t m = (node_size - NODE_HEADER) / CELL_BYTES;

	enum ms_status rs = MS_OK;
	struct level *levels = NULL;
	size_t nlevels = 0;
	struct writer w = {db, table, NULL, NULL, NULL, xcalloc(1, node_size), node_size};
	size_t ncells = 0, cap = n;
	struct cell *cells = xmalloc((cap ? cap : 1) * sizeof *cells);
	int64_t min_new = INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		cells[ncells++] = (struct cell){pts[i].id,
		                                {store_rtree_down(pts[i].x), store_rtree_up(pts[i].x),
		                                 store_rtree_down(pts[i].y), store_rtree_up(pts[i].y)}};
		min_new = pts[i].id < min_new ? pts[i].id : min_new;
	}
	if (keep_existing && (rs = read_existing(db, table, min_new, &cells, &ncells, &cap, err)) != MS_OK)
		goto done;

	/* Levels bottom-up until a single node. */
	for (;;) {
		levels = xrealloc(levels, (nlevels + 1) * sizeof *levels);
		struct level *lv = &levels[nlevels++];
		lv->cells = cells;
		lv->ncells = ncells;
		lv->nnodes = pack(cells, ncells, m, &lv->nodes);
		if (lv->nnodes == 1)
			break;
		cells = xmalloc(lv->nnodes * sizeof *cells);
		for (size_t k = 0; k < lv->nnodes; k++) {
			cells[k].id = (int64_t)k; /* the child's index, numbered below */
			node_box(lv->cells, &lv->nodes[k], cells[k].box);
		}
		ncells = lv->nnodes;
	}
	cells = NULL;
	/* Numbers top-down: the root is 1, as SQLite requires. */
	int64_t next = 1;
	for (size_t l = nlevels; l-- > 0;)
		for (size_t k = 0; k < levels[l].nnodes; k++)
			levels[l].nodes[k].no = next++;
	for (size_t l = nlevels; l-- > 1;) {
		struct level *up = &levels[l], *down = &levels[l - 1];
		for (size_t k = 0; k < up->nnodes; k++) {
			struct node *nd = &up->nodes[k];
			for (size_t i = nd->first; i < nd->first + nd->count; i++) {
				struct node *child = &down->nodes[up->cells[i].id];
				up->cells[i].id = child->no;
				child->parent = nd->no;
			}
		}
	}

	char sql[3][256];
	snprintf(sql[0], sizeof sql[0], "INSERT INTO \"%s_node\" (nodeno, data) VALUES (?1, ?2)", table);
	snprintf(sql[1], sizeof sql[1], "INSERT INTO \"%s_parent\" (nodeno, parentnode) VALUES (?1, ?2)",
	         table);
	snprintf(sql[2], sizeof sql[2], "INSERT INTO \"%s_rowid\" (rowid, nodeno) VALUES (?1, ?2)", table);
	char clear[3][128];
	static const char *const shadow[3] = {"node", "parent", "rowid"};
	for (int i = 0; i < 3; i++) {
		snprintf(clear[i], sizeof clear[i], "DELETE FROM \"%s_%s\"", table, shadow[i]);
		if (sqlite3_exec(db, clear[i], NULL, NULL, NULL) != SQLITE_OK) {
			rs = ms_fail(err, MS_EIO, "%s: cannot clear: %s", table, sqlite3_errmsg(db));
			goto done;
		}
	}
	if (sqlite3_prepare_v2(db, sql[0], -1, &w.node, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql[1], -1, &w.parent, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql[2], -1, &w.rowid, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EIO, "%s: cannot prepare the writes: %s", table, sqlite3_errmsg(db));
		goto done;
	}
	for (size_t l = nlevels; l-- > 0;)
		for (size_t k = 0; k < levels[l].nnodes; k++)
			if ((rs = write_node(&w, &levels[l], &levels[l].nodes[k], (int)(nlevels - 1), err)) !=
			    MS_OK)
				goto done;
	if ((rs = write_rowids(&w, &levels[0], err)) != MS_OK)
		goto done;

	char check[256];
	snprintf(check, sizeof check, "SELECT rtreecheck('%s')", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, check, -1, &st, NULL) != SQLITE_OK) {
		rs = ms_fail(err, MS_EIO, "%s: cannot check: %s", table, sqlite3_errmsg(db));
		goto done;
	}
	const unsigned char *verdict = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (!verdict || strcmp((const char *)verdict, "ok") != 0)
		rs = ms_fail(err, MS_EINTERNAL, "%s: the bulk-loaded R*Tree fails rtreecheck: %.200s", table,
		             verdict ? (const char *)verdict : sqlite3_errmsg(db));
	sqlite3_finalize(st);
done:
	sqlite3_finalize(w.node);
	sqlite3_finalize(w.parent);
	sqlite3_finalize(w.rowid);
	free(w.blob);
	free(cells);
	for (size_t l = 0; l < nlevels; l++) {
		free(levels[l].cells);
		free(levels[l].nodes);
	}
	free(levels);
	return rs;
}
