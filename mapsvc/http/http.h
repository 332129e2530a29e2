/*
 * http.h - the HTTP front: server set-up and limits (libmicrohttpd), the
 * route table, problem+json errors, and what every handler is given.
 *
 * A handler reads its parameters, already parsed and checked by its
 * route's table (params.h), calls the engine (features/, render/, route/)
 * and fills a struct http_response; it never touches sockets or
 * libmicrohttpd.  Adding a route is one line in the table of routes.c,
 * a table of its parameters and a handler function in a file of its own
 * (declared in handlers.h); /api documents it from the same lines.
 *
 * State: the server owns sockets, limits, routing and its request
 * counters, and nothing of the map.  The data and the looks belong to the
 * map service (mapservice/mapservice.h) that the command builds and
 * passes in the config: each request acquires the service's current
 * generation (snapshot, styles, layouts) when it starts and releases it
 * when it ends, so a reload never changes data under a running request,
 * and a handler finds everything it draws with in its struct http_ctx,
 * never by reaching back into the server.
 *
 * Threads: libmicrohttpd runs a pool of epoll threads; handlers run on
 * them concurrently.  The config is read-only while the server runs.
 */
#ifndef MS_HTTP_H
#define MS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../mapservice/mapservice.h"
#include "../store/snapshot.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "params.h"

/* Server settings, filled by `mapsvc serve`.  Strings and the map
 * service are borrowed for the life of the server. */
struct http_config {
	const char *host;        /* listen address (numeric IPv4 or IPv6), e.g. "127.0.0.1" */
	unsigned port;           /* 0 picks a free port (see http_server_port) */
	const char *public_url;  /* base of absolute links behind a proxy, or NULL: use Host */
	struct mapservice *maps; /* what is served: loaded (a current generation) before the start */
	unsigned threads;        /* epoll threads, >= 2 (a pool of 1 stalls under load) */
	unsigned max_zoom;       /* tiles above it are 404 */
	const char *cors;        /* Access-Control-Allow-Origin value, or NULL for none */
	unsigned tile_max_age;   /* Cache-Control max-age of tiles, s (0: HTTP_TILE_MAX_AGE) */
	/* The map page's optional basemap, handed to the page by /config.json:
	 * an XYZ URL template ("https://.../{z}/{x}/{y}.png", or NULL for
	 * none), its attribution (may be NULL), and whether it is drawn in
	 * GCJ-02 (AMap, Tencent), so the page asks for GCJ-02 overlay tiles. */
	const char *basemap_url;
	const char *basemap_attribution;
	bool basemap_gcj02;
};

/* Request limits.  libmicrohttpd answers with its own HTML page when a
 * request line or header block does not fit in a connection's memory
 * pool, so the pool is made larger than these and the server checks them
 * itself, answering with problem+json (see server.c). */
#define HTTP_MAX_URI 8192      /* request target, bytes -> 414 */
#define HTTP_MAX_HEADERS 32768 /* sum of header names and values -> 431 */
/* A busy connection touches most of its pool (libmicrohttpd sizes the
 * read buffer from it and clears it between requests), so the size costs
 * resident memory and throughput: measured with 256 keep-alive clients,
 * 512 KiB pools took about 350 KiB each and throughput collapsed; 128 KiB
 * pools take about 115 KiB.  128 KiB still lets a 100 KB request target
 * through to our own 414. */
#define HTTP_POOL_BYTES (128 * 1024)
#define HTTP_MAX_CONNECTIONS 512 /* with the pool: at most 64 MiB */
#define HTTP_TIMEOUT_S 15        /* a slow or stalled client is dropped after this */
#define HTTP_MAX_PARAMS 32
#define HTTP_MAX_CAPTURES 6    /* {name} segments in a route pattern (a styled OGC tile has 6) */
#define HTTP_TILE_MAX_AGE 3600 /* default Cache-Control max-age of tiles, s */
#define HTTP_BASE_URL_MAX 300  /* bytes of http_ctx.base_url, its NUL included */

struct http_param {
	const char *key, *value; /* decoded; borrowed from libmicrohttpd */
};

/* An answer being built by a handler.  status and content_type default to
 * 200 and application/json; the body is sent as it is (empty for HEAD). */
#define HTTP_MAX_EXTRA_HEADERS 8
struct http_response {
	int status;
	const char *content_type; /* static string */
	struct buf body;
	int nheaders;
	struct {
		char *name, *value; /* owned */
	} headers[HTTP_MAX_EXTRA_HEADERS];
	bool cacheable; /* give an ETag and honour If-None-Match */
	/* A handler that knows its entity's version sets etag (quoted, as sent)
	 * instead of letting the server hash the body (RFC 9110 §8.8.3). */
	char etag[48];
	/* A body owned elsewhere (a cached tile), sent without copying when
	 * body is empty; ext_release(ext_arg) runs once the server is done
	 * with the bytes (the response is sent or dropped). */
	const void *ext_body;
	size_t ext_len;
	void (*ext_release)(void *arg);
	void *ext_arg;
	/* Optional, with ext_body: the entity's owner can keep one prepared
	 * answer (body and headers, which must then be the same on every
	 * request for it) for the server to reuse.  ext_aux returns the one
	 * kept or NULL; ext_attach keeps aux unless one is already kept (then
	 * aux is freed with free_fn) and returns the one kept. */
	void *(*ext_aux)(void *arg);
	void *(*ext_attach)(void *arg, void *aux, void (*free_fn)(void *));
};

struct http_metrics; /* metrics.h */

/* What a handler gets. */
struct http_ctx {
	const struct http_config *cfg;           /* cfg->maps: the map service (tiles, contexts) */
	const struct mapservice_gen *gen;        /* the generation this request reads (retained for it) */
	const struct snapshot *snap;             /* gen->snap: the sites */
	const struct http_metrics *metrics;      /* the server's counters, for /metrics */
	const char *path;                        /* decoded path, e.g. "/collections/sites/items/x" */
	const char *method;                      /* "GET", "HEAD", ... */
	const char *base_url;                    /* "http://host:port" (no trailing slash) for links */
	const char *captures[HTTP_MAX_CAPTURES]; /* the {name} segments of the route pattern, in order */
	int ncaptures;
	struct http_param params[HTTP_MAX_PARAMS]; /* query parameters in request order, raw */
	int nparams;
	/* The route's parameters, parsed (http_params_parse): read them with
	 * http_arg(c, name). */
	const struct http_params *spec;
	struct http_arg args[HTTP_MAX_ROUTE_PARAMS]; /* args[i] is spec->v[i]'s */
	double points[HTTP_MAX_POINTS][2];           /* storage of a HTTP_T_POINTS value */
	/* private */
	void *conn_;
};

typedef void (*http_handler_fn)(struct http_ctx *c, struct http_response *r);

/* --- for handlers -------------------------------------------------- */

/* A request header (case-insensitive name), or NULL. */
const char *http_header(const struct http_ctx *c, const char *name);
/* Adds a header to the answer (copied). */
void http_add_header(struct http_response *r, const char *name, const char *value);
/* Replaces the answer with an RFC 9457 problem+json document.  The type
 * is "about:blank", so the title is the status's reason phrase (RFC 9457
 * §4.2.1); detail says which parameter or value was wrong. */
void http_problem(struct http_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reason phrase of a status ("Not Found"). */
const char *http_reason(int status);
/* The HTTP status of an engine failure; the one rule, used wherever an
 * engine error becomes a problem:
 *   MS_EUSAGE     400  the request asked for something malformed
 *   MS_ENOTFOUND  400  a query parameter names something that does not
 *                      exist (sites=nope).  Every engine call takes its
 *                      input from the query: a path that names nothing is
 *                      a 404 before any engine call (its route's path
 *                      parameters, or the handler's own lookup), so here
 *                      the route, not the thing, is the resource.
 *   MS_EDATA      500  the server's own data (database, styles) is bad:
 *                      no request causes that
 *   MS_EIO        500, MS_EINTERNAL 500
 * and MS_OK 200. */
int http_status_of(enum ms_status st);
/* The problem of an engine error: http_status_of(err->status), and its
 * message (which names the parameter) as the detail. */
void http_problem_from_error(struct http_response *r, const struct ms_error *err);
/* Appends to b the request's query string with key's value replaced by
 * value (or removed when value is NULL), percent-encoded, starting with
 * '?' unless empty.  For next/prev links. */
void http_query_with(const struct http_ctx *c, struct buf *b, const char *key, const char *value);
/* Percent-encodes s for a query component (RFC 3986 unreserved kept). */
void http_url_encode(struct buf *b, const char *s);

/* --- the server ---------------------------------------------------- */

struct http_server;

/* Starts listening and serving cfg->maps.  Returns NULL with err filled
 * when the address cannot be bound. */
struct http_server *http_server_start(const struct http_config *cfg, struct ms_error *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *s);
/* Stops accepting, finishes running requests, frees what the server
 * made (not the map service).  NULL is fine. */
void http_server_stop(struct http_server *s);

/* --- routing (routes.c) -------------------------------------------- */

/* A route.  Its pattern is also its path in /api: "/collections/{collectionId}/items"
 * where {name} matches one non-empty segment, or the part of one before
 * the literal text that follows it in the pattern ("{y}@2x.png"), and
 * names a path parameter of the table. */
struct http_route {
	const char *pattern;
	const char *methods; /* "GET, HEAD" - also the Allow header of a 405 */
	http_handler_fn handler;
	const char *name;                 /* metrics label */
	const struct http_params *params; /* path parameters first, in pattern order */
	/* For /api (OpenAPI 3.0): the operation's id, summary and the media
	 * type of its 200.  No op_id: not part of the API (the map page's own
	 * assets and settings). */
	const char *op_id, *summary, *media_type;
};

extern const struct http_route http_routes[];
extern const size_t http_nroutes;

/* Finds the route for path, filling captures.  Returns its index, or -1.
 * Exposed for the unit tests. */
int http_route_match(const char *path, const char **captures, char *capbuf, size_t capbuf_size,
                     int *ncaptures);
/* Runs route rt on c (its path, captures and query parameters set):
 * parses the parameters by the route's table, then calls its handler.
 * The one way a request reaches a handler (server.c, the fuzzer). */
void http_route_handle(const struct http_route *rt, struct http_ctx *c, struct http_response *r);

#endif
