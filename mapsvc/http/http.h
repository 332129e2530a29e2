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
 * Threads: the server's own accept thread (door.h) admits connections
 * and hands them to libmicrohttpd's pool of threads once their first
 * request head is complete; handlers run on those threads, except a
 * route's expensive requests (http_route_traits.costly), which run on a
 * small bounded pool (pool.h) while their connection is suspended, so
 * cheap requests never wait behind them.  The config is read-only while
 * the server runs.
 */
#ifndef MS_HTTP_H
#define MS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../editor/editor.h"
#include "../mapservice/mapservice.h"
#include "../netaddr/netaddr.h"
#include "../store/snapshot.h"
#include "../util/buf.h"
#include "../util/ms_error.h"
#include "params.h"

struct http_log; /* accesslog.h */

/* Server settings, filled by `mapsvc serve`.  Strings, sets and the map
 * service are borrowed for the life of the server.  A zero limit means
 * its default (HTTP_DEFAULT_*), so a config written for the tests stays
 * safe. */
struct http_config {
	const char *host;        /* listen address (numeric IPv4 or IPv6), e.g. "127.0.0.1" */
	unsigned port;           /* 0 picks a free port (see http_server_port) */
	const char *public_url;  /* base of absolute links behind a proxy, or NULL: use Host */
	struct mapservice *maps; /* what is served: loaded (a current generation) before the start */
	/* Writes (OGC API - Features Part 4, serve --edit): the editor that
	 * applies them, or NULL, and then every write route answers 405. */
	struct editor *editor;
	unsigned threads;      /* libmicrohttpd threads, >= 2 (a pool of 1 stalls under load) */
	unsigned max_zoom;     /* tiles above it are 404 */
	const char *cors;      /* Access-Control-Allow-Origin value, or NULL for none */
	unsigned tile_max_age; /* Cache-Control max-age of tiles, s (0: HTTP_TILE_MAX_AGE) */
	/* The map page's optional basemap, handed to the page by /config.json:
	 * an XYZ URL template ("https://.../{z}/{x}/{y}.png", or NULL for
	 * none), its attribution (may be NULL), and whether it is drawn in
	 * GCJ-02 (AMap, Tencent), so the page asks for GCJ-02 overlay tiles. */
	const char *basemap_url;
	const char *basemap_attribution;
	bool basemap_gcj02;

	/* Connections (admit.h, door.h). */
	unsigned max_connections;        /* open at once */
	unsigned max_client_connections; /* per client address (an IPv6 /64) */
	unsigned head_timeout_s;         /* for each complete request head, from accept or the last answer */
	unsigned idle_timeout_s;         /* no byte moving either way for this long closes a connection */
	/* Proxies whose X-Forwarded-For is believed and whose connections are
	 * not counted per client (NULL: none). */
	const struct netaddr_set *trusted_proxies;
	/* Expensive requests (static maps, PDF sheets): workers, how many may
	 * wait, and how many one client may have running or waiting. */
	unsigned expensive_workers;
	unsigned expensive_queue;
	unsigned expensive_per_client;
	/* Hosts whose Host header may go into absolute links when there is no
	 * public_url; NULL: the listen address and localhost.  Any other Host
	 * gets relative links. */
	const struct netaddr_hosts *allowed_hosts;
	/* The CSP frame-ancestors sources of HTML answers (NULL: 'self'). */
	const char *frame_ancestors;
	/* A second listener for /metrics (and /healthz, /readyz), e.g. on a
	 * private address; NULL: /metrics is on the main listener. */
	const char *metrics_host;
	unsigned metrics_port;
	/* One line per answer goes there (accesslog.h), or nowhere when NULL;
	 * the command opens, reopens and closes it. */
	struct http_log *access_log;
	/* The program's version, for /metrics' mapsvc_build_info (NULL:
	 * "unknown"). */
	const char *version;
};

/* Defaults of the limits above.  The connection limit was measured on
 * 2 cores (README, Performance): with wrk on the same machine, answers
 * per second go from 28,500 at 128 keep-alive connections to 19,100 at
 * 4,096, none refused or failed, and each connection holds a 64 KiB
 * pool (HTTP_POOL_BYTES: about 260 MB for 4,096), so the limit guards
 * memory and descriptors rather than throughput.  Per client: a browser
 * opens about 6 connections per host; 64 leaves room for a small office
 * behind one address. */
#define HTTP_DEFAULT_MAX_CONNECTIONS 4096
#define HTTP_DEFAULT_CLIENT_CONNECTIONS 64
#define HTTP_DEFAULT_HEAD_TIMEOUT_S 10
#define HTTP_DEFAULT_IDLE_TIMEOUT_S 15
#define HTTP_DEFAULT_EXPENSIVE_QUEUE 4
#define HTTP_DEFAULT_EXPENSIVE_PER_CLIENT 2
#define HTTP_DEFAULT_DRAIN_TIMEOUT_S 30
/* Expensive workers are niced by this much, so libmicrohttpd's threads
 * always win the CPU from them. */
#define HTTP_EXPENSIVE_NICE 10
/* Retry-After of a 503 for a full pool, s: about one static map's time. */
#define HTTP_RETRY_AFTER_S 2

/* Request limits.  libmicrohttpd answers with its own HTML page when a
 * request line or header block does not fit in a connection's memory
 * pool, so the pool is made larger than these and the server checks them
 * itself, answering with problem+json (see server.c). */
#define HTTP_MAX_URI 8192      /* request target, bytes -> 414 */
#define HTTP_MAX_HEADERS 32768 /* sum of header names and values -> 431 */
/* Header lines at most -> 431 (Apache's LimitRequestFields): libmicrohttpd
 * keeps a record of each in the connection's pool, so thousands of tiny
 * ones would overflow it before any check of ours could run. */
#define HTTP_MAX_HEADER_LINES 100
/* A connection touches all of its pool once it has served a request
 * (libmicrohttpd sizes the read buffer from it and clears it between
 * requests), even while it sits idle: measured, 4,000 idle keep-alive
 * connections with 128 KiB pools took 502 MB.  A client may hold many
 * connections, so the pool is kept small: 64 KiB, room for the largest
 * head the door lets through (HTTP_MAX_URI + HTTP_MAX_HEADERS and a
 * request line's few more bytes), so that every first request reaches
 * our own 414 and 431.  A later request on a kept-alive connection whose
 * head outgrows the pool meets libmicrohttpd's own page (README). */
#define HTTP_POOL_BYTES (64 * 1024)
/* A write's body at most (a site with long texts is a few KiB) -> 413. */
#define HTTP_MAX_BODY (64 * 1024)
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
#define HTTP_PREPARED_VARIANTS 2
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
	 * aux is freed with free_fn) and returns the one kept.  The server
	 * keeps one prepared answer per variant: answers of one entity whose
	 * headers differ (a versioned tile is immutable, the same tile by its
	 * plain URL is not) say so with different ext_variant values. */
	void *(*ext_aux)(void *arg);
	void *(*ext_attach)(void *arg, void *aux, void (*free_fn)(void *));
	unsigned ext_variant; /* < HTTP_PREPARED_VARIANTS */
	/* An HTML answer that carries its own <style> (a route sheet, whole
	 * when saved): its Content-Security-Policy allows inline styles, never
	 * inline script. */
	bool inline_styles;
	/* For the access log: "hit" or "miss" when the answer came through
	 * the tile cache, else NULL (static string). */
	const char *cache_status;
};

struct http_metrics; /* metrics.h */

/* What a handler gets. */
struct http_ctx {
	const struct http_config *cfg;           /* cfg->maps: the map service (tiles, contexts) */
	const struct mapservice_gen *gen;        /* the generation this request reads (retained for it) */
	const struct snapshot *snap;             /* gen->snap: the sites */
	struct http_metrics *metrics;            /* the server's counters: /metrics, readiness, work done */
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
	/* A write route's request body (at most HTTP_MAX_BODY bytes; the
	 * server answers 413 for more) and its client, for the failure limit
	 * of key checks: the peer, or whom a trusted proxy names. */
	const char *body;
	size_t body_len;
	struct netaddr client;
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
 * when an address cannot be bound. */
struct http_server *http_server_start(const struct http_config *cfg, struct ms_error *err);
/* The port actually bound (useful with port 0), and the metrics
 * listener's (0 when there is none). */
unsigned http_server_port(const struct http_server *s);
unsigned http_server_metrics_port(const struct http_server *s);
/* What a drain did. */
struct http_drain_report {
	unsigned in_flight;   /* requests being served when it began */
	unsigned answered;    /* requests answered while it ran */
	unsigned refused;     /* expensive requests still waiting at the timeout: answered 503 */
	unsigned cut;         /* connections still busy when it gave up */
	unsigned idle_closed; /* connections closed while waiting for a request */
	uint64_t ms;          /* how long it took */
};
/* A graceful stop's first half: /readyz answers 503 from now on, the
 * listening socket is closed (new connections are refused), every answer
 * says Connection: close, idle keep-alive connections are closed, and
 * requests already received are answered, for at most timeout_ms (then
 * expensive requests still waiting get a 503; running ones are waited
 * for, their work being bounded).  Then call http_server_stop. */
void http_server_drain(struct http_server *s, unsigned timeout_ms, struct http_drain_report *out);
/* Stops serving at once (what is still open is closed), frees what the
 * server made (not the map service).  NULL is fine. */
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

/* What the server treats specially in a route, kept beside the table (in
 * routes.c, by handler) so that a row stays eight plain fields. */
struct http_route_traits {
	unsigned flags; /* HTTP_RF_* */
	/* Whether a request, its parameters parsed, is expensive (runs on the
	 * bounded pool, pool.h); NULL: never.  http_always_costly: always. */
	bool (*costly)(const struct http_ctx *c);
};
#define HTTP_RF_OPS 1u     /* operations: also served on the metrics listener */
#define HTTP_RF_PRIVATE 2u /* operators' data: no CORS; only on the metrics listener when there is one */
#define HTTP_RF_WRITE 4u   /* a write (Part 4): only with an editor; reads a body */

/* The traits of a route (all zero for most). */
const struct http_route_traits *http_route_traits_of(const struct http_route *rt);
/* A costly predicate for routes whose every request is expensive. */
bool http_always_costly(const struct http_ctx *c);

extern const struct http_route http_routes[];
extern const size_t http_nroutes;

/* The most segments of a path that can match a route. */
#define HTTP_MAX_SEGMENTS 16
/* Finds the route for path, the request target's path as sent (not yet
 * percent-decoded): each segment is decoded on its own before it is
 * compared or captured, so "%2F" inside a segment is a '/' of the value
 * (an id "zb/1" is items/zb%2F1) and never a separator.  capbuf holds the
 * decoded captures (strlen(path) + 1 bytes are enough).  Returns the
 * route's index, or -1 (also for a segment that decodes to a NUL).
 * Exposed for the unit tests and the fuzzer. */
int http_route_match(const char *path, const char **captures, char *capbuf, size_t capbuf_size,
                     int *ncaptures);
/* Several routes may share a pattern, each for its methods (a read and
 * a write of one resource); http_route_match finds the first.  This
 * finds, from that one, the route of the same pattern that takes method
 * (HEAD as GET), leaving out writes unless editing, or -1; allow gets
 * the methods of them all ("GET, HEAD, PUT, PATCH, DELETE") for Allow. */
#define HTTP_ALLOW_MAX 96
int http_route_for_method(int route, const char *method, bool editing, char *allow, size_t allow_size);
/* Runs route rt on c (its path, captures and query parameters set):
 * parses the parameters by the route's table, then calls its handler.
 * The one way a request reaches a handler (server.c, the fuzzer). */
void http_route_handle(const struct http_route *rt, struct http_ctx *c, struct http_response *r);

#endif
