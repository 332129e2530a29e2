/*
 * fuzz_jsonpos.c - the JSON locator on arbitrary text and paths, checked
 * against jansson.
 *
 * Input: one byte n (the path's length, n % 6), n bytes choosing each
 * step, then the text.  On any text the locator must stay inside it and
 * give a line and column within it.  When jansson accepts the text, the
 * path is made of real steps (a key of the object, an element of the
 * array, chosen by the step's byte) and every prefix must be located
 * exactly: an element's offset is where jansson parses that very element
 * from; a member's offset is its key's opening quote, followed by the raw
 * key, a colon and the member's value, unless the key is written with
 * escapes in the text, when the object's own offset is answered.  A text
 * holding a NUL byte must be refused by jsonpos_refuse_nul (jansson drops
 * a raw NUL between tokens, so every reader refuses it first) and is not
 * compared with jansson.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "util/jsonpos.h"

#define H "fuzz_jsonpos"
#define MAX_STEPS 6

/* Does the text at off hold a JSON value equal to want? */
static bool value_at(const char *text, size_t len, size_t off, const json_t *want)
{
	json_error_t je;
	json_t *got = json_loadb(text + off, len - off, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
	bool same = got && json_equal(got, want);
	json_decref(got);
	return same;
}

static size_t skip_ws(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i;
}

/* Checks the offset located for a path ending in a member key of obj
 * (whose value is v); false when the key is escaped (the object's offset
 * was answered, deeper steps cannot be found either). */
static bool check_member(const char *text, size_t len, size_t off, const char *key, const json_t *obj,
                         const json_t *v)
{
	size_t kl = strlen(key);
	if (off < len && text[off] == '"' && off + 1 + kl < len && memcmp(text + off + 1, key, kl) == 0 &&
	    text[off + 1 + kl] == '"') {
		size_t i = skip_ws(text, len, off + 2 + kl);
		if (i >= len || text[i] != ':')
			fuzz_fail(H, "no ':' after the key \"%s\" at %zu", key, off);
		if (!value_at(text, len, skip_ws(text, len, i + 1), v))
			fuzz_fail(H, "the value after key \"%s\" at %zu is not the member's", key, off);
		return true;
	}
	if (!value_at(text, len, off, obj))
		fuzz_fail(H, "key \"%s\": offset %zu is neither the key nor its object", key, off);
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] % MAX_STEPS;
	if (size < 1 + n)
		return 0;
	const uint8_t *steps = data + 1;
	size_t len = size - 1 - n;
	char *text = malloc(len ? len : 1); /* exact size: ASan sees a read past it */
	if (!text)
		abort();
	memcpy(text, data + 1 + n, len);
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';

	/* any text, a path of made-up keys and indices */
	struct jsonpos_seg any[MAX_STEPS];
	for (size_t i = 0; i < n; i++)
		any[i] =
		    steps[i] & 1 ? (struct jsonpos_seg){"a", 0} : (struct jsonpos_seg){NULL, steps[i] >> 1};
	size_t off = jsonpos_locate(text, len, any, (int)n);
	int line, col;
	jsonpos_line_col(text, len, off, &line, &col);
	if (off > len || line < 1 || (size_t)line > lines || col < 1 || (size_t)col > len + 1)
		fuzz_fail(H, "offset %zu (line %d, column %d) outside a text of %zu bytes", off, line, col,
		          len);

	bool has_nul = memchr(text, '\0', len) != NULL;
	struct ms_error nul_err = {0};
	if (jsonpos_refuse_nul("t", text, len, &nul_err) == has_nul)
		fuzz_fail(H, "jsonpos_refuse_nul disagrees with memchr");
	json_error_t je;
	json_t *root = has_nul ? NULL : json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (root) {
		struct jsonpos_seg path[MAX_STEPS];
		const json_t *cur = root;
		for (size_t k = 0; k < n; k++) {
			const json_t *next;
			if (json_is_object(cur) && json_object_size(cur)) {
				void *it = json_object_iter((json_t *)cur);
				for (size_t j = steps[k] % json_object_size(cur); j > 0; j--)
					it = json_object_iter_next((json_t *)cur, it);
				path[k] = (struct jsonpos_seg){json_object_iter_key(it), 0};
				next = json_object_iter_value(it);
				off = jsonpos_locate(text, len, path, (int)k + 1);
				if (!check_member(text, len, off, path[k].key, cur, next))
					break;
			} else if (json_is_array(cur) && json_array_size(cur)) {
				size_t idx = steps[k] % json_array_size(cur);
				path[k] = (struct jsonpos_seg){NULL, idx};
				next = json_array_get(cur, idx);
				off = jsonpos_locate(text, len, path, (int)k + 1);
				if (!value_at(text, len, off, next))
					fuzz_fail(H,
					          "element %zu at depth %zu: offset %zu is not the element",
					          idx, k, off);
			} else {
				break;
			}
			cur = next;
		}
		if (!value_at(text, len, jsonpos_locate(text, len, path, 0), root))
			fuzz_fail(H, "the empty path is not the top-level value");
		json_decref(root);
	}
	free(text);
	return 0;
}
