/*
 * ngram.c - the trigram index of ngram.h.
 *
 * Texts are read as code points (UTF-8, RFC 3629), ASCII letters folded to
 * lower case.  Every text is padded with two end marks (code point 0,
 * which no C string holds) and each of its positions gives one trigram,
 * the code points there and at the next two positions, packed in 63 bits
 * (three times 21).  An item's posting is the set of trigrams of all its
 * texts; each trigram keeps the sorted list of items that have it.
 *
 * Why code points and not bytes: three bytes are one Chinese character, so
 * byte trigrams would be no better than a one-character index for Chinese
 * names.  Why it is still exact for a bytewise substring test: a valid
 * UTF-8 q that occurs in a text starts at a lead or ASCII byte, and a
 * decoder that takes a multi-byte sequence only when it is whole and valid
 * (and otherwise one byte, as a code point of its own above U+10FFFF)
 * decodes the text there into q's own code points; the converse holds
 * because valid UTF-8 encodes each code point one way.  A q that is not
 * valid UTF-8 could match across such bytes, so it is answered by testing
 * every item (callers validate q first; this keeps the index exact anyway).
 *
 * Queries.  q of three or more code points: the lists of its trigrams
 * are intersected, rarest first, as long as the next list is at most
 * MERGE_FACTOR times longer than the candidates left (a longer one would
 * cost more to walk than the candidates cost to verify), and every
 * candidate is verified against its texts - except when q is exactly one
 * trigram, where having it is matching.  q of one or two code points: the
 * trigrams that start with them, which the end padding guarantees for
 * every occurrence, are a contiguous range of the sorted keys; their lists
 * are united (in a bitmap over the items when there are several) and the
 * answer is exact without verification.  The empty q matches everything.
 *
 * Memory.  A posting list of m items among n is Elias-Fano coded (Elias,
 * 1974; Fano, 1971): each item split into its l = floor(log2(n / m)) low
 * bits, stored as they are, and its high part, stored as a bit set at
 * (high part + rank) in m + (n >> l) + 1 bits, so at most 2 + l bits an
 * item: 28 MB for the million names below, where gaps as varints took 42.
 * The lists are one array; per distinct trigram, its key (8 bytes),
 * offset and count (4 + 4).  Building reads every text once: each
 * posting goes to its trigram's cell, found through a hash table of cell
 * indices, a cache line that holds the newest bytes of the list (gaps as
 * varints, LEB128) and chains the older ones in a pool; the lists are
 * then copied in key order into a slice's array, and the table, cells and
 * pool are freed.  Joining the slices codes each list once, whole.
 *
 * Measured at a million sites: with names like "点123456" (the peer
 * yardsticks' data) the index builds in 0.12 s and holds 7.6 MB; with a
 * Chinese and an English name of usual length on every site (37 trigrams
 * a site, half a million distinct) 1.3 s and 48 MB as varints, 35 MB
 * Elias-Fano coded, the build bound by cache misses among the cells of
 * rare trigrams.
 *
 * Immutable after ngram_build; queries allocate their own scratch, so any
 * number of threads may query at once.
 */
#include "ngram.h"

#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

/* Bits per code point in a key; code points, invalid bytes mapped above
 * U+10FFFF, and the end mark all fit. */
#define CP_BITS 21
/* The end mark padding every text, and where invalid bytes go. */
#define CP_END 0
#define CP_BAD_BASE 0x110000u
/* See the top comment: a list is intersected while it is at most this
 * many times longer than the candidates left. */
#define MERGE_FACTOR 8
/* Bytes of posting data a build cell holds before moving them to a
 * chunk: what is left of a 64-byte cache line. */
#define CHUNK_DATA 34
/* Candidates ahead whose texts are fetched while one is verified. */
#define VERIFY_AHEAD 6
/* Code points of q kept on the stack before the heap is used. */
#define Q_STACK 64
/* Zero bytes after an index's lists, so that bits are read and written
 * eight bytes at a time anywhere in them. */
#define EF_PAD 8

struct ngram {
	size_t n;
	unsigned ntexts;
	ngram_text_fn text;
	const void *ctx;
	size_t nkeys;
	uint64_t *keys;  /* sorted */
	uint32_t *off;   /* nkeys + 1 offsets into data */
	uint32_t *count; /* postings per key */
	uint32_t *last;  /* a slice's: the last item of each list; NULL once joined */
	uint8_t *data;   /* a slice's lists as varint gaps, an index's Elias-Fano */
	size_t data_len; /* (and EF_PAD zero bytes after them) */
};

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* One code point at s (s[0] != 0): its value, ASCII folded, or
 * CP_BAD_BASE + s[0] when no whole valid sequence starts there; returns
 * the bytes it took. */
static int decode(const unsigned char *s, uint32_t *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = fold((unsigned char)c);
		return 1;
	}
	int extra;
	uint32_t min, v;
	if ((c & 0xe0) == 0xc0)
		extra = 1, min = 0x80, v = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		extra = 2, min = 0x800, v = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		extra = 3, min = 0x10000, v = c & 0x07;
	else
		goto bad;
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL ends it too */
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return extra + 1;
bad:
	*cp = CP_BAD_BASE + c;
	return 1;
}

static uint64_t make_key(uint32_t a, uint32_t b, uint32_t c)
{
	return ((uint64_t)a << (2 * CP_BITS)) | ((uint64_t)b << CP_BITS) | c;
}

bool ngram_text_contains(const char *hay, const char *needle)
{
	if (!needle[0])
		return true;
	if (!hay)
		return false;
	unsigned char first = fold((unsigned char)needle[0]);
	for (const char *h = hay; *h; h++) {
		if (fold((unsigned char)*h) != first)
			continue;
		size_t i = 1;
		while (needle[i] && h[i] && fold((unsigned char)h[i]) == fold((unsigned char)needle[i]))
			i++;
		if (!needle[i])
			return true;
		if (!h[i]) /* the text ran out: no later start can fit */
			return false;
	}
	return false;
}

/* ---- building ---- */

/* One distinct trigram while building: a 64-byte cell holding its key,
 * its counters and the newest bytes of its list, so that recording a
 * posting touches one cache line past the hash slot.  When buf fills it
 * is moved to the chunk pool, appended in order, and chained.  Cells are
 * dense (one per distinct trigram, half a million for a million English
 * and Chinese names); the open hash table holds only their indices. */
struct cell {
	uint64_t key;
	uint32_t last;       /* the last item recorded */
	uint32_t count;      /* postings */
	uint32_t bytes;      /* encoded bytes, pool and buf */
	uint32_t head, tail; /* pool chunks, 0 for none (chunk 0 is never used) */
	uint8_t fill;        /* bytes in buf */
	uint8_t buf[CHUNK_DATA];
};

struct chunk {
	uint32_t next;
	uint8_t data[CHUNK_DATA];
};

struct builder {
	struct cell *cell;
	size_t ncells, ccap;
	uint32_t *slot; /* cell index + 1, 0 for empty */
	size_t nslots;  /* a power of two */
	struct chunk *pool;
	size_t npool, pcap;
	uint32_t item;
};

/* splitmix64's finalizer: every key bit reaches the low bits the table
 * uses (code points fill the low bits of a key alike). */
static size_t key_hash(uint64_t key, size_t nslots)
{
	uint64_t h = key;
	h = (h ^ (h >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94D049BB133111EB);
	return (size_t)(h ^ (h >> 31)) & (nslots - 1);
}

static void grow_slots(struct builder *b)
{
	free(b->slot);
	b->nslots *= 2;
	b->slot = xcalloc(b->nslots, sizeof *b->slot);
	for (size_t k = 0; k < b->ncells; k++) {
		size_t h = key_hash(b->cell[k].key, b->nslots);
		while (b->slot[h])
			h = (h + 1) & (b->nslots - 1);
		b->slot[h] = (uint32_t)k + 1;
	}
}

static void flush_cell(struct builder *b, struct cell *c)
{
	if (b->npool == b->pcap) {
		b->pcap *= 2;
		b->pool = xrealloc(b->pool, b->pcap * sizeof *b->pool);
	}
	uint32_t k = (uint32_t)b->npool++;
	b->pool[k].next = 0;
	memcpy(b->pool[k].data, c->buf, CHUNK_DATA);
	if (c->tail)
		b->pool[c->tail].next = k;
	else
		c->head = k;
	c->tail = k;
	c->fill = 0;
}

/* Records that the current item has trigram key. */
static void add_key(struct builder *b, uint64_t key)
{
	size_t h = key_hash(key, b->nslots);
	struct cell *c = NULL;
	for (; b->slot[h]; h = (h + 1) & (b->nslots - 1)) {
		struct cell *t = &b->cell[b->slot[h] - 1];
		if (t->key == key) {
			c = t;
			break;
		}
	}
	if (!c) {
		if (b->ncells == b->ccap) {
			b->ccap *= 2;
			b->cell = xrealloc(b->cell, b->ccap * sizeof *b->cell);
		}
		c = &b->cell[b->ncells++];
		*c = (struct cell){.key = key};
		b->slot[h] = (uint32_t)b->ncells;
		if (b->ncells * 2 > b->nslots)
			grow_slots(b);
	} else if (c->last == b->item) {
		return; /* this item has it already */
	}
	uint32_t v = c->count ? b->item - c->last : b->item;
	do {
		if (c->fill == CHUNK_DATA)
			flush_cell(b, c);
		c->buf[c->fill++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		c->bytes++;
		v >>= 7;
	} while (v);
	c->last = b->item;
	c->count++;
}

/* Calls f(arg, key) for every trigram of one text, end marks included
 * (inlined, with f, into each caller). */
static inline void each_key(const unsigned char *s, void (*f)(void *, uint64_t), void *arg)
{
	uint32_t w0 = 0, w1 = 0;
	size_t seen = 0;
	while (*s) {
		uint32_t cp;
		s += decode(s, &cp);
		if (seen >= 2)
			f(arg, make_key(w0, w1, cp));
		w0 = w1;
		w1 = cp;
		seen++;
	}
	if (seen >= 2)
		f(arg, make_key(w0, w1, CP_END));
	if (seen >= 1)
		f(arg, make_key(w1, CP_END, CP_END));
}

static void add_key_to(void *b, uint64_t key)
{
	add_key(b, key);
}

static void add_text(struct builder *b, const unsigned char *s)
{
	each_key(s, add_key_to, b);
}

/* A used cell by key, for the final ordering. */
struct order {
	uint64_t key;
	uint32_t cell;
};

static int cmp_order(const void *a, const void *b)
{
	uint64_t x = ((const struct order *)a)->key, y = ((const struct order *)b)->key;
	return (x > y) - (x < y);
}

struct ngram *ngram_build_slice(size_t n, size_t lo, size_t hi, unsigned ntexts, ngram_text_fn text,
                                const void *ctx, struct ms_error *err)
{
	if (n >= UINT32_MAX) {
		ms_fail(err, MS_EUSAGE, "name index: %zu items is more than it can hold", n);
		return NULL;
	}
	/* The cells and the chunk pool are reserved at about what a slice of
	 * names uses (distinct keys about half its items, chunks about one an
	 * item, at a million sites): untouched pages hold no memory, and grown
	 * by doubling from 4,096 they were copied and filled afresh at every
	 * step, half of the name index's page faults. */
	size_t items = hi > lo ? hi - lo : 0;
	struct builder b = {0};
	b.ccap = items > 4096 ? items : 4096;
	b.cell = xmalloc(b.ccap * sizeof *b.cell);
	b.nslots = 8192;
	while (b.nslots < 2 * b.ccap)
		b.nslots *= 2;
	b.slot = xcalloc(b.nslots, sizeof *b.slot);
	b.pcap = 2 * b.ccap;
	b.pool = xmalloc(b.pcap * sizeof *b.pool);
	b.npool = 1; /* chunk 0 means "none" */
	for (size_t i = lo; i < hi; i++) {
		b.item = (uint32_t)i;
		for (unsigned w = 0; w < ntexts; w++) {
			const char *t = text(ctx, (uint32_t)i, w);
			if (t)
				add_text(&b, (const unsigned char *)t);
		}
	}

	free(b.slot);
	struct order *ord = xmalloc((b.ncells ? b.ncells : 1) * sizeof *ord);
	size_t nkeys = b.ncells, total = 0;
	for (size_t k = 0; k < b.ncells; k++) {
		ord[k] = (struct order){b.cell[k].key, (uint32_t)k};
		total += b.cell[k].bytes;
	}
	struct ngram *ix = NULL;
	if (total >= UINT32_MAX) {
		ms_fail(err, MS_EUSAGE, "name index: %zu bytes of postings is more than it can hold", total);
		goto done;
	}
	if (nkeys > 1)
		qsort(ord, nkeys, sizeof *ord, cmp_order);
	ix = xcalloc(1, sizeof *ix);
	ix->n = n;
	ix->ntexts = ntexts;
	ix->text = text;
	ix->ctx = ctx;
	ix->nkeys = nkeys;
	ix->keys = xmalloc((nkeys ? nkeys : 1) * sizeof *ix->keys);
	ix->off = xmalloc((nkeys + 1) * sizeof *ix->off);
	ix->count = xmalloc((nkeys ? nkeys : 1) * sizeof *ix->count);
	ix->last = xmalloc((nkeys ? nkeys : 1) * sizeof *ix->last);
	ix->data = xmalloc(total ? total : 1);
	ix->data_len = total;
	size_t at = 0;
	for (size_t k = 0; k < nkeys; k++) {
		const struct cell *c = &b.cell[ord[k].cell];
		ix->keys[k] = c->key;
		ix->count[k] = c->count;
		ix->last[k] = c->last;
		ix->off[k] = (uint32_t)at;
		for (uint32_t ch = c->head; ch; ch = b.pool[ch].next) {
			memcpy(ix->data + at, b.pool[ch].data, CHUNK_DATA);
			at += CHUNK_DATA;
		}
		memcpy(ix->data + at, c->buf, c->fill);
		at += c->fill;
	}
	ix->off[nkeys] = (uint32_t)at;
done:
	free(ord);
	free(b.cell);
	free(b.pool);
	return ix;
}

/* The varint at in (whole, as the builder wrote it); returns its bytes. */
static size_t get_varint(const uint8_t *in, uint32_t *v)
{
	size_t k = 0;
	uint32_t x = 0;
	unsigned shift = 0;
	do {
		x |= (uint32_t)(in[k] & 0x7f) << shift;
		shift += 7;
	} while (in[k++] & 0x80);
	*v = x;
	return k;
}

/* ---- Elias-Fano lists (see the top comment) ---- */

/* floor(log2(n / m)), 0 when m >= n. */
static unsigned ef_low_bits(size_t n, size_t m)
{
	unsigned l = 0;
	while (m && ((size_t)m << (l + 1)) <= n)
		l++;
	return l;
}

static size_t ef_low_bytes(size_t m, unsigned l)
{
	return ((size_t)m * l + 7) / 8;
}

/* The bytes of a list of m items below n. */
static size_t ef_bytes(size_t n, size_t m)
{
	if (!m)
		return 0;
	unsigned l = ef_low_bits(n, m);
	return ef_low_bytes(m, l) + (m + (n >> l) + 1 + 7) / 8;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/* Codes v[0..m) (increasing, below n) at out, whose ef_bytes(n, m) bytes
 * and EF_PAD after them are zero. */
static void ef_encode(const uint32_t *v, size_t m, size_t n, uint8_t *out)
{
	unsigned l = ef_low_bits(n, m);
	uint8_t *high = out + ef_low_bytes(m, l);
	uint32_t mask = l ? (uint32_t)((UINT64_C(1) << l) - 1) : 0;
	for (size_t i = 0; i < m; i++) {
		if (l) {
			size_t bit = i * l;
			uint64_t w = load64(out + bit / 8) | (uint64_t)(v[i] & mask) << (bit % 8);
			memcpy(out + bit / 8, &w, sizeof w);
		}
		size_t h = (size_t)(v[i] >> l) + i;
		high[h / 8] |= (uint8_t)(1u << (h % 8));
	}
}

/* Walks an index's list k (start with list_start). */
struct cursor {
	const uint8_t *low, *high;
	unsigned l;
	uint32_t i, m; /* items read, and in all */
	size_t base;   /* the bit of high where word starts */
	uint64_t word; /* the high bits not read yet from there */
	size_t bit;    /* the next low bits' */
	uint64_t mask; /* l ones */
};

static struct cursor list_start(const struct ngram *ix, size_t k)
{
	uint32_t m = ix->count[k];
	unsigned l = ef_low_bits(ix->n, m);
	const uint8_t *p = ix->data + ix->off[k], *high = p + ef_low_bytes(m, l);
	return (struct cursor){p, high, l, 0, m, 0, load64(high), 0, (UINT64_C(1) << l) - 1};
}

/* The next item of the list, false at its end. */
static inline bool list_next(struct cursor *c, uint32_t *item)
{
	if (c->i == c->m)
		return false;
	while (!c->word) { /* the list has a bit left, so this stops within it */
		c->base += 64;
		c->word = load64(c->high + c->base / 8);
	}
	size_t b = c->base + (size_t)__builtin_ctzll(c->word);
	c->word &= c->word - 1;
	/* l = 0 reads no bit: the mask is 0 */
	uint64_t low = (load64(c->low + c->bit / 8) >> (c->bit % 8)) & c->mask;
	*item = (uint32_t)(((uint64_t)(b - c->i) << c->l) | low);
	c->bit += c->l;
	c->i++;
	return true;
}

/* An index of n items with nkeys keys and total bytes of lists, its
 * arrays allocated (the lists zeroed, as ef_encode wants them) and to be
 * filled; NULL with err when the offsets cannot address total. */
static struct ngram *index_new(size_t n, unsigned ntexts, ngram_text_fn text, const void *ctx, size_t nkeys,
                               size_t total, struct ms_error *err)
{
	if (total >= UINT32_MAX) {
		ms_fail(err, MS_EUSAGE, "name index: %zu bytes of postings is more than it can hold", total);
		return NULL;
	}
	struct ngram *ix = xcalloc(1, sizeof *ix);
	*ix = (struct ngram){.n = n, .ntexts = ntexts, .text = text, .ctx = ctx, .nkeys = nkeys};
	ix->keys = xmalloc((nkeys ? nkeys : 1) * sizeof *ix->keys);
	ix->off = xmalloc((nkeys + 1) * sizeof *ix->off);
	ix->count = xmalloc((nkeys ? nkeys : 1) * sizeof *ix->count);
	ix->data = xcalloc(total + EF_PAD, 1);
	ix->data_len = total;
	ix->off[nkeys] = (uint32_t)total;
	return ix;
}

/* The smallest key at the slices' positions pos, or false when every
 * slice is done. */
static bool next_key(struct ngram *const *slices, size_t k, const size_t *pos, uint64_t *key)
{
	bool any = false;
	for (size_t j = 0; j < k; j++)
		if (pos[j] < slices[j]->nkeys && (!any || slices[j]->keys[pos[j]] < *key))
			*key = slices[j]->keys[pos[j]], any = true;
	return any;
}

/* Joining: the slices' keys are merged in order; a key's list is its
 * lists in slice order (a slice's items are all below the next one's),
 * decoded and coded again, whole, as one Elias-Fano list.  A first pass
 * counts keys and bytes, so that the arrays are sized exactly.  The
 * result is the single build's: the same keys, counts and bytes. */
struct ngram *ngram_join(struct ngram **slices, size_t k, struct ms_error *err)
{
	struct ngram *ix = NULL;
	uint32_t *items = NULL;
	if (!k || k > NGRAM_SLICES_MAX) {
		ms_fail(err, MS_EUSAGE, "name index: %zu slices (1 to %d)", k, NGRAM_SLICES_MAX);
		goto done;
	}
	size_t n = slices[0]->n, nkeys = 0, total = 0, longest = 0;
	size_t pos[NGRAM_SLICES_MAX] = {0};
	uint64_t key = 0;
	while (next_key(slices, k, pos, &key)) {
		size_t count = 0;
		for (size_t j = 0; j < k; j++)
			if (pos[j] < slices[j]->nkeys && slices[j]->keys[pos[j]] == key)
				count += slices[j]->count[pos[j]++];
		nkeys++;
		total += ef_bytes(n, count);
		longest = count > longest ? count : longest;
	}
	ix = index_new(n, slices[0]->ntexts, slices[0]->text, slices[0]->ctx, nkeys, total, err);
	if (!ix)
		goto done;
	items = xmalloc((longest ? longest : 1) * sizeof *items);
	memset(pos, 0, sizeof pos);
	size_t at = 0, out = 0;
	while (next_key(slices, k, pos, &key)) {
		size_t m = 0;
		for (size_t j = 0; j < k; j++) {
			const struct ngram *s = slices[j];
			size_t p = pos[j];
			if (p == s->nkeys || s->keys[p] != key)
				continue;
			const uint8_t *src = s->data + s->off[p];
			uint32_t item = 0;
			for (uint32_t i = 0; i < s->count[p]; i++) {
				uint32_t gap;
				src += get_varint(src, &gap);
				item = i ? item + gap : gap;
				items[m++] = item;
			}
			pos[j]++;
		}
		ix->keys[out] = key;
		ix->off[out] = (uint32_t)at;
		ix->count[out++] = (uint32_t)m;
		ef_encode(items, m, n, ix->data + at);
		at += ef_bytes(n, m);
	}
done:
	free(items);
	for (size_t j = 0; j < k; j++)
		ngram_free(slices[j]);
	return ix;
}

/* ---- patching ----
 *
 * The changed items' trigrams, old (from old's texts) and new, as (key,
 * item, op) sorted by key and item; a pair with both ops is no change,
 * one with the old op alone leaves the key's list, one with the new op
 * alone joins it.  The output is old's keys merged with the edited ones:
 * a list no edit touches is copied as it is, an edited one is decoded,
 * edited and re-coded (and dropped when it is left empty). */

struct edit {
	uint64_t key;
	uint32_t item;
	uint32_t op; /* EDIT_LOSE or EDIT_GAIN */
};

enum { EDIT_LOSE, EDIT_GAIN };

struct edits {
	struct edit *v;
	size_t n, cap;
	uint32_t item, op; /* of the keys being pushed */
};

static void push_edit(void *arg, uint64_t key)
{
	struct edits *e = arg;
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 256;
		e->v = xrealloc(e->v, e->cap * sizeof *e->v);
	}
	e->v[e->n++] = (struct edit){key, e->item, e->op};
}

static int cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return (x->op > y->op) - (x->op < y->op);
}

/* The real changes of the items changed[0..k), sorted; returns how many. */
static size_t collect_edits(const struct ngram *old, const uint32_t *changed, size_t k, ngram_text_fn text,
                            const void *ctx, struct edits *e)
{
	for (size_t j = 0; j < k; j++) {
		e->item = changed[j];
		for (unsigned w = 0; w < old->ntexts; w++) {
			const char *was = old->text(old->ctx, changed[j], w), *now = text(ctx, changed[j], w);
			e->op = EDIT_LOSE;
			each_key((const unsigned char *)(was ? was : ""), push_edit, e);
			e->op = EDIT_GAIN;
			each_key((const unsigned char *)(now ? now : ""), push_edit, e);
		}
	}
	if (e->n > 1)
		qsort(e->v, e->n, sizeof *e->v, cmp_edit);
	size_t out = 0;
	for (size_t a = 0; a < e->n;) {
		size_t b = a;
		bool lose = false, gain = false;
		for (; b < e->n && e->v[b].key == e->v[a].key && e->v[b].item == e->v[a].item; b++) {
			if (e->v[b].op == EDIT_GAIN)
				gain = true;
			else
				lose = true;
		}
		if (lose != gain)
			e->v[out++] = (struct edit){e->v[a].key, e->v[a].item, gain ? EDIT_GAIN : EDIT_LOSE};
		a = b;
	}
	return out;
}

/* old's list k (none when k is old's key count) edited by ed[0..m) (one
 * key, by item), into *items (grown as needed); returns its count. */
static size_t edit_list(const struct ngram *old, size_t k, const struct edit *ed, size_t m, uint32_t **items,
                        size_t *cap)
{
	size_t have = k < old->nkeys ? old->count[k] : 0;
	if (*cap < have + m) {
		*cap = have + m;
		*items = xrealloc(*items, *cap * sizeof **items);
	}
	uint32_t *v = *items, item;
	size_t n = 0, j = 0;
	struct cursor c = k < old->nkeys ? list_start(old, k) : (struct cursor){0};
	while (list_next(&c, &item)) {
		for (; j < m && ed[j].item < item; j++)
			if (ed[j].op == EDIT_GAIN) /* a lose is of an item the list has */
				v[n++] = ed[j].item;
		bool lost = j < m && ed[j].item == item && ed[j].op == EDIT_LOSE;
		if (j < m && ed[j].item == item)
			j++;
		if (!lost)
			v[n++] = item;
	}
	for (; j < m; j++)
		if (ed[j].op == EDIT_GAIN)
			v[n++] = ed[j].item;
	return n;
}

struct ngram *ngram_patch(const struct ngram *old, const uint32_t *changed, size_t k, ngram_text_fn text,
                          const void *ctx, struct ms_error *err)
{
	for (size_t j = 0; j < k; j++)
		if (changed[j] >= old->n || (j && changed[j] <= changed[j - 1])) {
			ms_fail(err, MS_EUSAGE, "name index: changed items must be increasing and below %zu",
			        old->n);
			return NULL;
		}
	struct edits e = {0};
	size_t ne = collect_edits(old, changed, k, text, ctx, &e), n = old->n;
	/* Two walks over old's keys merged with the edited ones: the first
	 * counts each list after its edits (a gain adds an item it lacked, a
	 * lose takes one it had), and so the keys and bytes; the second
	 * writes them. */
	size_t nkeys = 0, total = 0;
	struct ngram *ix = NULL;
	uint32_t *items = NULL;
	size_t cap = 0, out = 0, at = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !(ix = index_new(n, old->ntexts, text, ctx, nkeys, total, err)))
			break;
		for (size_t i = 0, j = 0; i < old->nkeys || j < ne;) {
			uint64_t key = i < old->nkeys && (j == ne || old->keys[i] <= e.v[j].key)
			                   ? old->keys[i]
			                   : e.v[j].key;
			bool in_old = i < old->nkeys && old->keys[i] == key;
			size_t end = j, count = in_old ? old->count[i] : 0;
			for (; end < ne && e.v[end].key == key; end++)
				count = e.v[end].op == EDIT_GAIN ? count + 1 : count - 1;
			if (pass == 0) {
				nkeys += count > 0;
				total += ef_bytes(n, count);
			} else if (count) {
				ix->keys[out] = key;
				ix->off[out] = (uint32_t)at;
				ix->count[out++] = (uint32_t)count;
				if (end == j) { /* untouched: the same count, the same bytes */
					memcpy(ix->data + at, old->data + old->off[i], ef_bytes(n, count));
				} else {
					size_t m = edit_list(old, in_old ? i : old->nkeys, &e.v[j], end - j,
					                     &items, &cap);
					ef_encode(items, m, n, ix->data + at);
				}
				at += ef_bytes(n, count);
			}
			i += in_old;
			j = end;
		}
	}
	free(items);
	free(e.v);
	return ix;
}

struct ngram *ngram_build(size_t n, unsigned ntexts, ngram_text_fn text, const void *ctx,
                          struct ms_error *err)
{
	struct ngram *one = ngram_build_slice(n, 0, n, ntexts, text, ctx, err);
	return one ? ngram_join(&one, 1, err) : NULL;
}

void ngram_free(struct ngram *ix)
{
	if (!ix)
		return;
	free(ix->keys);
	free(ix->off);
	free(ix->count);
	free(ix->last);
	free(ix->data);
	free(ix);
}

size_t ngram_size(const struct ngram *ix)
{
	return ix ? ix->n : 0;
}

size_t ngram_memory(const struct ngram *ix)
{
	if (!ix)
		return 0;
	return sizeof *ix + ix->nkeys * (sizeof *ix->keys + sizeof *ix->off + sizeof *ix->count) +
	       sizeof *ix->off + ix->data_len;
}

/* ---- querying ---- */

/* The first key >= key. */
static size_t lower_bound(const struct ngram *ix, uint64_t key)
{
	size_t lo = 0, hi = ix->nkeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool item_matches(const struct ngram *ix, uint32_t i, const char *q)
{
	for (unsigned w = 0; w < ix->ntexts; w++)
		if (ngram_text_contains(ix->text(ix->ctx, i, w), q))
			return true;
	return false;
}

/* Visits items in increasing order; the visit count, stopping early when
 * visit says so. */
struct visitor {
	ngram_visit_fn fn;
	void *ctx;
	size_t visited;
	bool stop;
};

static void emit(struct visitor *v, uint32_t i)
{
	v->visited++;
	if (v->fn && !v->fn(i, v->ctx))
		v->stop = true;
}

static void scan_all(const struct ngram *ix, const char *q, struct visitor *v, struct ngram_stats *st)
{
	for (size_t i = 0; i < ix->n && !v->stop; i++) {
		st->verified += q[0] != '\0';
		if (q[0] == '\0' || item_matches(ix, (uint32_t)i, q))
			emit(v, (uint32_t)i);
	}
}

/* q of one or two code points: the union of the lists of keys [lo, hi). */
static void query_prefix(const struct ngram *ix, size_t lo, size_t hi, struct visitor *v,
                         struct ngram_stats *st)
{
	uint32_t item;
	st->lists += hi - lo;
	if (hi - lo == 1) {
		struct cursor c = list_start(ix, lo);
		while (!v->stop && list_next(&c, &item)) {
			st->postings++;
			emit(v, item);
		}
		return;
	}
	size_t words = (ix->n + 63) / 64;
	uint64_t *bits = xcalloc(words ? words : 1, sizeof *bits);
	for (size_t k = lo; k < hi; k++) {
		struct cursor c = list_start(ix, k);
		while (list_next(&c, &item)) {
			st->postings++;
			bits[item >> 6] |= UINT64_C(1) << (item & 63);
		}
	}
	for (size_t w = 0; w < words && !v->stop; w++)
		for (uint64_t x = bits[w]; x && !v->stop; x &= x - 1)
			emit(v, (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x)));
	free(bits);
}

static int cmp_by_count(const void *a, const void *b, void *ctx)
{
	const uint32_t *count = ctx;
	uint32_t x = count[*(const size_t *)a], y = count[*(const size_t *)b];
	return (x > y) - (x < y);
}

/* q of three or more code points (L of them in cp). */
static void query_trigrams(const struct ngram *ix, const char *q, const uint32_t *cp, size_t len,
                           struct visitor *v, struct ngram_stats *st)
{
	size_t nk = len - 2;
	size_t *lists = xmalloc(nk * sizeof *lists);
	size_t m = 0;
	for (size_t j = 0; j < nk; j++) {
		uint64_t key = make_key(cp[j], cp[j + 1], cp[j + 2]);
		size_t k = lower_bound(ix, key);
		if (k == ix->nkeys || ix->keys[k] != key) {
			free(lists);
			return; /* a trigram no text has */
		}
		bool dup = false;
		for (size_t t = 0; t < m && !dup; t++)
			dup = lists[t] == k;
		if (!dup)
			lists[m++] = k;
	}
	qsort_r(lists, m, sizeof *lists, cmp_by_count, ix->count);
	size_t ncand = ix->count[lists[0]];
	uint32_t *cand = xmalloc((ncand ? ncand : 1) * sizeof *cand);
	struct cursor c = list_start(ix, lists[0]);
	for (size_t j = 0; list_next(&c, &cand[j]); j++)
		st->postings++;
	st->lists++;
	for (size_t t = 1; t < m && ncand > 0 && ix->count[lists[t]] <= (size_t)MERGE_FACTOR * ncand; t++) {
		struct cursor d = list_start(ix, lists[t]);
		size_t keep = 0, j = 0;
		uint32_t item;
		st->lists++;
		while (j < ncand && list_next(&d, &item)) {
			st->postings++;
			while (j < ncand && cand[j] < item)
				j++;
			if (j < ncand && cand[j] == item)
				cand[keep++] = cand[j++];
		}
		ncand = keep;
	}
	bool exact = len == 3; /* q is its one trigram */
	for (size_t j = 0; j < ncand && !v->stop; j++) {
		if (!exact) {
			/* Verifying is bound by fetching texts from all over
			 * memory: ask for the texts of a candidate a few ahead
			 * while this one is compared. */
			if (j + VERIFY_AHEAD < ncand)
				for (unsigned w = 0; w < ix->ntexts; w++)
					__builtin_prefetch(ix->text(ix->ctx, cand[j + VERIFY_AHEAD], w));
			st->verified++;
		}
		if (exact || item_matches(ix, cand[j], q))
			emit(v, cand[j]);
	}
	free(cand);
	free(lists);
}

size_t ngram_query(const struct ngram *ix, const char *q, ngram_visit_fn visit, void *vctx,
                   struct ngram_stats *st)
{
	struct ngram_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	struct visitor v = {visit, vctx, 0, false};
	if (!ix || ix->n == 0)
		return 0;
	size_t qlen = strlen(q);
	uint32_t stack[Q_STACK];
	uint32_t *cp = qlen <= Q_STACK ? stack : xmalloc(qlen * sizeof *cp);
	size_t len = 0;
	bool valid = true;
	for (const unsigned char *s = (const unsigned char *)q; *s;) {
		s += decode(s, &cp[len]);
		valid = valid && cp[len] < CP_BAD_BASE;
		len++;
	}
	if (!valid || len == 0) {
		st->scanned = !valid;
		scan_all(ix, q, &v, st);
	} else if (len <= 2) {
		uint64_t lo = len == 1 ? make_key(cp[0], 0, 0) : make_key(cp[0], cp[1], 0);
		uint64_t span = len == 1 ? UINT64_C(1) << (2 * CP_BITS) : UINT64_C(1) << CP_BITS;
		size_t a = lower_bound(ix, lo), b = lower_bound(ix, lo + span);
		if (a < b)
			query_prefix(ix, a, b, &v, st);
	} else {
		query_trigrams(ix, q, cp, len, &v, st);
	}
	if (cp != stack)
		free(cp);
	return v.visited;
}
