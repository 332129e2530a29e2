/*
 * h_edit.c - OGC API - Features Part 4 on the sites collection: create
 * (POST .../items), replace (PUT), update (PATCH, a JSON merge patch, RFC
 * 7396) and delete (DELETE .../items/{id}), for holders of an edit key.
 *
 * The routes exist only with serve --edit (the server answers 405
 * otherwise).  Each request is checked in the order that tells a client
 * the most without telling a stranger anything: who (401 without a key or
 * with an unknown one, 429 after too many failures, 403 for a read-only
 * key), then the body's media type (415), then the precondition (428
 * without If-Match, RFC 6585 §3: a write without it could undo a change
 * the writer never saw), then the change itself (the editor: 400 for a
 * body that is no JSON object, 422 for one that is no valid site, 404,
 * 409 for a create of an existing id, 412 for a stale If-Match).  Tokens
 * go no further than the editor, and no answer repeats one.
 *
 * Answers: 201 with Location for a create, 200 with the site for a
 * replace or update, 204 for a delete; each write's answer has the new
 * ETag, which is what the next write's If-Match needs.  The body is the
 * site as the export writes it (every column), the representation a
 * client edits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "handlers.h"

/* What WWW-Authenticate says (RFC 6750 §3). */
#define AUTH_REALM "Bearer realm=\"mapsvc\""

static const struct http_pspec create_specs[] = {HTTP_SPEC_COLLECTION};
static const struct http_pspec write_specs[] = {
    HTTP_SPEC_COLLECTION,
    {.name = "featureId", .in = HTTP_IN_PATH, .type = HTTP_T_STRING, .required = true, .desc = "A site id."},
};
const struct http_params h_create_params = HTTP_PARAMS(create_specs);
const struct http_params h_write_params = HTTP_PARAMS(write_specs);

void h_item_etag(struct http_response *r, const struct site *s)
{
	snprintf(r->etag, sizeof r->etag, "\"%016" PRIx64 "-%016" PRIx64 "\"", site_hash(s),
	         (uint64_t)XXH3_64bits(r->body.data ? r->body.data : "", r->body.len));
}

bool h_item_if_match(const char *value, uint64_t *version, bool *any)
{
	*any = false;
	if (!value)
		return false;
	value += strspn(value, " \t");
	if (!strcmp(value, "*")) {
		*any = true;
		return true;
	}
	/* one strong tag of h_item_etag's form; a weak one never matches in
	 * If-Match (RFC 9110 §13.1.1: strong comparison) */
	char site_hex[17];
	int end = 0;
	if (sscanf(value, "\"%16[0-9a-f]-%*16[0-9a-f]\"%n", site_hex, &end) != 1 || end == 0 ||
	    strlen(site_hex) != 16 || value[end + strspn(value + end, " \t")] != '\0')
		return false;
	*version = strtoull(site_hex, NULL, 16);
	return true;
}

/* The media type of Content-Type, compared without its parameters; a
 * charset, when given, must be UTF-8 (RFC 8259 §8.1). */
static bool content_type_is(const char *ct, const char *const *types)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	const char *cs = strcasestr(ct + n, "charset=");
	if (cs && strncasecmp(cs + strlen("charset="), "utf-8", strlen("utf-8")) != 0 &&
	    strncasecmp(cs + strlen("charset="), "\"utf-8\"", strlen("\"utf-8\"")) != 0)
		return false;
	for (size_t i = 0; types[i]; i++)
		if (strlen(types[i]) == n && !strncasecmp(ct, types[i], n))
			return true;
	return false;
}

/* Who the client is; true for an edit key, else false with the answer. */
static bool authorized(struct http_ctx *c, struct http_response *r, char who[STORE_KEY_NAME_MAX + 1])
{
	enum editor_verdict v;
	unsigned retry = 0;
	struct ms_error err;
	if (editor_authenticate(c->cfg->editor, &c->client, http_header(c, "Authorization"), &v, who, &retry,
	                        &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return false;
	}
	char after[16];
	switch (v) {
	case EDITOR_AUTH_OK: return true;
	case EDITOR_AUTH_MISSING:
		http_problem(r, 401, "writes need an edit key, sent as 'Authorization: Bearer KEY'");
		http_add_header(r, "WWW-Authenticate", AUTH_REALM);
		return false;
	case EDITOR_AUTH_BAD:
		http_problem(r, 401, "the key is not one in use (revoked, mistyped or never made)");
		http_add_header(r, "WWW-Authenticate", AUTH_REALM ", error=\"invalid_token\"");
		return false;
	case EDITOR_AUTH_READONLY:
		http_problem(r, 403, "the key '%s' may read but not edit", who);
		http_add_header(r, "WWW-Authenticate", AUTH_REALM ", error=\"insufficient_scope\"");
		return false;
	case EDITOR_AUTH_LIMITED:
		snprintf(after, sizeof after, "%u", retry);
		http_problem(r, 429, "too many attempts with unknown keys from this address; retry in %u s",
		             retry);
		http_add_header(r, "Retry-After", after);
		return false;
	}
	return false;
}

/* The site as a write answers it, with its ETag. */
static void answer_site(struct http_response *r, int status, const struct site *s)
{
	struct ms_error err;
	if (ingest_export_feature(s, &r->body, &err) != MS_OK) {
		http_problem_from_error(r, &err);
		return;
	}
	r->status = status;
	r->content_type = "application/geo+json";
	h_item_etag(r, s);
	/* the server adds ETags to cacheable 200s only: a write's goes here */
	http_add_header(r, "ETag", r->etag);
	r->etag[0] = '\0';
}

/* The answer of a change that was not done, or failed. */
static void answer_refusal(struct http_response *r, enum ms_status st, const struct ms_error *err,
                           const struct store_applied *a, const char *id)
{
	if (st == MS_EUSAGE)
		http_problem(r, 400, "%s", err->msg);
	else if (st == MS_EDATA)
		http_problem(r, 422, "%s", err->msg);
	else if (st != MS_OK)
		http_problem_from_error(r, err);
	else if (a->outcome == STORE_MISSING)
		http_problem(r, 404, "no site with id '%.200s' in collection '" SITES_COLLECTION "'", id);
	else if (a->outcome == STORE_EXISTS)
		http_problem(r, 409, "a site with id '%.200s' exists already: replace or update it instead",
		             site_field(a->before, SITE_ID));
	else if (a->outcome == STORE_STALE)
		http_problem(
		    r, 412,
		    "site '%.200s' changed since the If-Match tag was given: read it again, merge, and "
		    "retry",
		    id);
}

/* Runs one write and answers it. */
static void run_write(struct http_ctx *c, struct http_response *r, struct editor_write *w)
{
	struct store_applied a;
	struct ms_error err;
	enum ms_status st = editor_write(c->cfg->editor, w, &a, &err);
	if (st != MS_OK || a.outcome != STORE_DONE) {
		answer_refusal(r, st, &err, &a, w->id);
	} else if (w->op == STORE_DELETE) {
		r->status = 204;
	} else {
		answer_site(r, w->op == STORE_CREATE ? 201 : 200, a.after);
		if (w->op == STORE_CREATE && r->status == 201) {
			struct buf loc = BUF_INIT;
			buf_printf(&loc, "%s/collections/" SITES_COLLECTION "/items/", c->base_url);
			http_url_encode(&loc, site_field(a.after, SITE_ID));
			buf_putc(&loc, '\0');
			http_add_header(r, "Location", loc.data);
			buf_free(&loc);
		}
	}
	store_applied_free(&a);
}

static const char *const feature_types[] = {"application/geo+json", "application/json", NULL};
static const char *const patch_types[] = {"application/merge-patch+json", "application/json", NULL};

void h_item_create(struct http_ctx *c, struct http_response *r)
{
	char who[STORE_KEY_NAME_MAX + 1];
	if (!authorized(c, r, who))
		return;
	if (!content_type_is(http_header(c, "Content-Type"), feature_types)) {
		http_problem(r, 415, "a new site is a GeoJSON Feature: Content-Type application/geo+json");
		http_add_header(r, "Accept-Post", "application/geo+json, application/json");
		return;
	}
	struct editor_write w = {
	    .op = STORE_CREATE, .kind = INGEST_BODY_FEATURE, .body = c->body, .len = c->body_len, .who = who};
	run_write(c, r, &w);
}

void h_item_write(struct http_ctx *c, struct http_response *r)
{
	char who[STORE_KEY_NAME_MAX + 1];
	if (!authorized(c, r, who))
		return;
	bool patch = !strcmp(c->method, "PATCH"), del = !strcmp(c->method, "DELETE");
	if (!del && !content_type_is(http_header(c, "Content-Type"), patch ? patch_types : feature_types)) {
		http_problem(r, 415, "%s",
		             patch ? "an update is a JSON merge patch (RFC 7396): Content-Type "
		                     "application/merge-patch+json"
		                   : "a replacement is a GeoJSON Feature: Content-Type "
		                     "application/geo+json");
		if (patch)
			http_add_header(r, "Accept-Patch", "application/merge-patch+json");
		return;
	}
	const char *im = http_header(c, "If-Match");
	uint64_t version = 0;
	bool any = false;
	if (!im) {
		http_problem(r, 428,
		             "send If-Match with the ETag of the site as last read, so that no change made "
		             "meanwhile is overwritten unseen");
		return;
	}
	bool known = h_item_if_match(im, &version, &any);
	struct editor_write w = {.op = del ? STORE_DELETE : STORE_REPLACE,
	                         .kind = patch ? INGEST_BODY_MERGE_PATCH : INGEST_BODY_FEATURE,
	                         .id = http_arg(c, "featureId")->text,
	                         .body = c->body,
	                         .len = c->body_len,
	                         .check_version = !any,
	                         /* a tag not of ours matches no version (a 412); 0 is as unlikely as any */
	                         .version = known ? version : 0,
	                         .who = who};
	if (!known) {
		http_problem(r, 412, "If-Match '%.80s' is not a tag this server gave", im);
		return;
	}
	run_write(c, r, &w);
}
