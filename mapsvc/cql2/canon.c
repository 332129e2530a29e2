/*
 * canon.c - the canonical cql2-text of a filter (cql2_to_text).
 *
 * Equal filters must give equal strings, because the text is what ETags
 * and caches will key on.  The builder already made the tree's shape
 * canonical (flat AND and OR, no NOT NOT, property before literal, folded
 * CASEI literals, times as instants, positions in CRS84); this file adds
 * the order: the operands of AND and OR, and the values of IN, are sorted
 * by their own canonical text and repeats dropped (both are commutative
 * and idempotent in three-valued logic too), and the tree is reordered to
 * match, so evaluation follows the text.  Dropping repeats can leave an
 * AND or OR with one operand, which then stands for it (and may be an AND
 * inside an AND, spliced in, or a NOT under a NOT, cancelled), so the
 * order is settled bottom-up before anything is printed: the text of a
 * subtree is printed once per level above it, O(size x depth), both
 * bounded (cql2.h).
 *
 * The spelling: keywords in capitals, properties in double quotes,
 * strings in single quotes (a quote doubled, a backslash and control
 * characters escaped with a backslash), numbers in their shortest exact
 * form, DATE('YYYY-MM-DD') and TIMESTAMP('...Z') in UTC, WKT as
 * "POLYGON((x y, ...))", one space around operators and after commas, and
 * parentheses around every AND or OR below the top.  NOT over LIKE,
 * BETWEEN, IN and IS NULL is written NOT LIKE, NOT BETWEEN, NOT IN and IS
 * NOT NULL.  The result is cql2-text that parses back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "cql2_int.h"

static void canon(const struct cql2 *f, const struct cq_node *n, struct buf *out, bool top);

static void put_string(struct buf *o, const char *s, size_t n)
{
	buf_putc(o, '\'');
	for (size_t i = 0; i < n; i++) {
		const char *esc = NULL;
		switch (s[i]) {
		case '\'': esc = "''"; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\v': esc = "\\v"; break;
		case '\f': esc = "\\f"; break;
		case '\r': esc = "\\r"; break;
		default: break;
		}
		if (esc)
			buf_puts(o, esc);
		else
			buf_putc(o, s[i]);
	}
	buf_putc(o, '\'');
}

static void put_prop(const struct cql2 *f, struct buf *o, size_t prop)
{
	buf_printf(o, "\"%s\"", f->schema->q[prop].name);
}

/* One end of an INTERVAL: a bare string, '..' or a property. */
static void put_interval_end(const struct cql2 *f, struct buf *o, const struct cq_node *n)
{
	if (n->kind == CQ_UNBOUNDED) {
		buf_puts(o, "'..'");
	} else if (n->kind == CQ_DATE || n->kind == CQ_TIMESTAMP) {
		buf_putc(o, '\'');
		cq_time_format(o, n->t, n->kind == CQ_DATE);
		buf_putc(o, '\'');
	} else {
		canon(f, n, o, false);
	}
}

/* The values of an IN list, comma-separated. */
static void put_list(const struct cql2 *f, const struct cq_node *n, struct buf *o)
{
	for (size_t i = 1; i < n->nkid; i++) {
		buf_puts(o, i > 1 ? ", " : "");
		canon(f, n->kid[i], o, false);
	}
}

struct item {
	struct buf text;
	struct cq_node *node;
};

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	size_t n = a->text.len < b->text.len ? a->text.len : b->text.len;
	int c = memcmp(buf_str(&a->text), buf_str(&b->text), n);
	return c ? c : (a->text.len > b->text.len) - (a->text.len < b->text.len);
}

/* Sorts kid[first..nkid) by canonical text and drops repeats. */
static void sort_kids(const struct cql2 *f, struct cq_node *n, size_t first)
{
	size_t m = n->nkid - first;
	struct item *items = xcalloc(m, sizeof *items);
	for (size_t i = 0; i < m; i++) {
		items[i].node = n->kid[first + i];
		canon(f, items[i].node, &items[i].text, false);
	}
	qsort(items, m, sizeof *items, item_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < m; i++) {
		if (i == 0 || item_cmp(&items[i - 1], &items[i])) /* sorted: repeats are neighbours */
			n->kid[first + kept++] = items[i].node;
	}
	for (size_t i = 0; i < m; i++)
		buf_free(&items[i].text);
	n->nkid = first + kept;
	free(items);
}

/* Puts n's subtree in canonical order; returns what stands for n. */
static struct cq_node *norm(struct cql2 *f, struct cq_node *n)
{
	switch (n->kind) {
	case CQ_AND:
	case CQ_OR: {
		size_t total = 0;
		for (size_t i = 0; i < n->nkid; i++) {
			n->kid[i] = norm(f, n->kid[i]);
			total += n->kid[i]->kind == n->kind ? n->kid[i]->nkid : 1;
		}
		if (total != n->nkid) { /* a kid collapsed into one of our kind: splice it */
			struct cq_node **kids = arena_alloc(f->arena, total * sizeof *kids);
			size_t k = 0;
			for (size_t i = 0; i < n->nkid; i++) {
				struct cq_node *c = n->kid[i];
				if (c->kind == n->kind) {
					memcpy(kids + k, c->kid, c->nkid * sizeof *kids);
					k += c->nkid;
				} else {
					kids[k++] = c;
				}
			}
			n->kid = kids;
			n->nkid = total;
		}
		sort_kids(f, n, 0);
		return n->nkid == 1 ? n->kid[0] : n;
	}
	case CQ_NOT: {
		struct cq_node *x = norm(f, n->kid[0]);
		if (x->kind == CQ_NOT)
			return x->kid[0];
		n->kid[0] = x;
		return n;
	}
	case CQ_IN: sort_kids(f, n, 1); return n;
	default: return n;
	}
}

static void canon(const struct cql2 *f, const struct cq_node *n, struct buf *o, bool top)
{
	switch (n->kind) {
	case CQ_AND:
	case CQ_OR:
		buf_puts(o, top ? "" : "(");
		for (size_t i = 0; i < n->nkid; i++) {
			if (i)
				buf_puts(o, n->kind == CQ_AND ? " AND " : " OR ");
			canon(f, n->kid[i], o, false);
		}
		buf_puts(o, top ? "" : ")");
		return;
	case CQ_NOT: {
		const struct cq_node *x = n->kid[0];
		switch (x->kind) {
		case CQ_LIKE:
			canon(f, x->kid[0], o, false);
			buf_puts(o, " NOT LIKE ");
			canon(f, x->kid[1], o, false);
			return;
		case CQ_BETWEEN:
			canon(f, x->kid[0], o, false);
			buf_puts(o, " NOT BETWEEN ");
			canon(f, x->kid[1], o, false);
			buf_puts(o, " AND ");
			canon(f, x->kid[2], o, false);
			return;
		case CQ_IN:
			canon(f, x->kid[0], o, false);
			buf_puts(o, " NOT IN (");
			put_list(f, x, o);
			buf_putc(o, ')');
			return;
		case CQ_ISNULL:
			canon(f, x->kid[0], o, false);
			buf_puts(o, " IS NOT NULL");
			return;
		default:
			buf_puts(o, "NOT ");
			canon(f, x, o, false);
			return;
		}
	}
	case CQ_CMP:
		canon(f, n->kid[0], o, false);
		buf_printf(o, " %s ", cq_cmp_names[n->op]);
		canon(f, n->kid[1], o, false);
		return;
	case CQ_LIKE:
		canon(f, n->kid[0], o, false);
		buf_puts(o, " LIKE ");
		canon(f, n->kid[1], o, false);
		return;
	case CQ_BETWEEN:
		canon(f, n->kid[0], o, false);
		buf_puts(o, " BETWEEN ");
		canon(f, n->kid[1], o, false);
		buf_puts(o, " AND ");
		canon(f, n->kid[2], o, false);
		return;
	case CQ_IN:
		canon(f, n->kid[0], o, false);
		buf_puts(o, " IN (");
		put_list(f, n, o);
		buf_putc(o, ')');
		return;
	case CQ_ISNULL:
		canon(f, n->kid[0], o, false);
		buf_puts(o, " IS NULL");
		return;
	case CQ_SPATIAL:
	case CQ_TEMPORAL:
		buf_printf(o, "%s(", n->kind == CQ_SPATIAL ? cq_sfn_names[n->op] : cq_tfn_names[n->op]);
		canon(f, n->kid[0], o, false);
		buf_puts(o, ", ");
		canon(f, n->kid[1], o, false);
		buf_putc(o, ')');
		return;
	case CQ_BOOL: buf_puts(o, n->b ? "TRUE" : "FALSE"); return;
	case CQ_PROP: put_prop(f, o, n->prop); return;
	case CQ_STR: put_string(o, n->str, n->len); return;
	case CQ_NUM: cq_num_format(o, n->num); return;
	case CQ_DATE:
	case CQ_TIMESTAMP:
		buf_puts(o, n->kind == CQ_DATE ? "DATE('" : "TIMESTAMP('");
		cq_time_format(o, n->t, n->kind == CQ_DATE);
		buf_puts(o, "')");
		return;
	case CQ_GEOM: cq_geom_wkt(o, n->geom); return;
	case CQ_INTERVAL:
		buf_puts(o, "INTERVAL(");
		put_interval_end(f, o, n->kid[0]);
		buf_puts(o, ", ");
		put_interval_end(f, o, n->kid[1]);
		buf_putc(o, ')');
		return;
	case CQ_UNBOUNDED: buf_puts(o, "'..'"); return;
	case CQ_CASEI:
	case CQ_ACCENTI:
		buf_puts(o, n->kind == CQ_CASEI ? "CASEI(" : "ACCENTI(");
		if (n->konst)
			put_string(o, n->str, n->len);
		else
			canon(f, n->kid[0], o, false);
		buf_putc(o, ')');
		return;
	}
}

void cq_canonicalize(struct cql2 *f)
{
	struct buf out = BUF_INIT;
	f->root = norm(f, f->root);
	canon(f, f->root, &out, true);
	f->text = arena_strndup(f->arena, buf_str(&out), out.len);
	buf_free(&out);
}
