/*
 * server.c - the server: listeners, libmicrohttpd set-up, dispatch,
 * expensive requests, the headers every answer carries, and the drain;
 * the route table and HTTP, nothing of the map (each request acquires the
 * map service's current generation for its handler, http.h).  The request
 * counters are metrics.c's; this file adds its connection figures to them.
 *
 * Connections.  The door (door.h) accepts, admits (admit.h) and reads the
 * first request head of every connection before libmicrohttpd sees it;
 * from then on libmicrohttpd's threads own it and this file tells
 * the admit table what the connection is doing (waiting for a head, busy,
 * idle), so that the door's sweeps enforce the head deadline on later
 * requests too and never close a connection in the middle of a request.
 *
 * libmicrohttpd 0.9.75 runs an internal pool of poll(2) threads with
 * MHD_USE_TURBO; a pool of one thread stalls under many keep-alive
 * connections, so the pool always has two or more.  Not epoll: its loop
 * in 0.9.75 (and since) calls epoll_wait again, with the full timeout,
 * whenever a call returned its maximum of 128 events, and only then
 * handles the events it has - so when exactly 128 keep-alive clients
 * were ready at once it slept on their requests until an unrelated event
 * came (measured with wrk: 131 requests/s at 512 connections against
 * 30,000 at 128).  poll has no such loop, and measured as fast at 128
 * connections and steady up to 4,096 (README, Performance).  Three more
 * of the library's behaviours shape the code:
 *  - queueing the answer during the first access-handler call makes it
 *    close keep-alive connections, so the first call only sets up the
 *    request state and the answer is queued on the next one - except
 *    when the connection should close anyway (a request whose framing is
 *    refused, or whose large body will not be read);
 *  - a request head that does not fit in the connection's memory pool is
 *    answered with its own HTML page.  The pool (HTTP_POOL_BYTES) holds
 *    the largest first head the door lets through, so every first
 *    request reaches the checks here; only a later request on a
 *    kept-alive connection can still meet that page (README, "Error
 *    pages libmicrohttpd still writes");
 *  - the request target reaches the URI log callback raw, before it is
 *    split and percent-decoded; libmicrohttpd's decoding then ends a
 *    value at a decoded NUL.  So uri_logger refuses control characters
 *    (raw or percent-encoded) there, and keeps the raw path, which the
 *    router splits before decoding (routes.c).
 *
 * Expensive requests.  A route's costly predicate (routes.c) decides,
 * after its parameters are parsed, whether a request runs on the bounded
 * pool (pool.h).  The connection is suspended meanwhile, so no libmicrohttpd
 * thread waits for it; the job holds its own exchange (context, answer,
 * snapshot) and the connection is resumed when it is done, to send the
 * answer.  A client (its address, or the one X-Forwarded-For names when
 * the peer is a trusted proxy) may have expensive_per_client such
 * requests running or waiting; past that, or when the pool is full, the
 * answer is a 503 with Retry-After, at once.  The job holds its own
 * generation of the map, acquired with the request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <xxhash.h>

#include "../util/etag.h"
#include "../util/mem.h"
#include "accesslog.h"
#include "door.h"
#include "handlers.h"
#include "metrics.h"
#include "pool.h"

/* Descriptors kept free for everything but connections: the database,
 * styles, epoll sets, eventfds, the metrics listener's connections. */
#define FD_RESERVE 256
/* Connections of the metrics listener (operators' scrapers) at most. */
#define OPS_MAX_CONNECTIONS 64
/* A request whose announced body is larger than this is answered at once
 * and its connection closed, instead of reading a body it cannot have
 * (a write's largest is HTTP_MAX_BODY, no other route takes one). */
#define BODY_DISCARD_MAX HTTP_MAX_BODY
/* The first request line the door lets through: a target of HTTP_MAX_URI
 * bytes with the longest method and the version around it. */
#define REQUEST_LINE_SLACK 64
/* X-Forwarded-For header lines read at most. */
#define FORWARDED_LINES_MAX 8
/* A drain closes a connection idle or waiting for a head this long. */
#define DRAIN_IDLE_GRACE_MS 500
/* How often a drain looks at what is left. */
#define DRAIN_POLL_MS 20
/* After the drain's timeout, how long resumed answers get to go out. */
#define DRAIN_SEND_GRACE_MS 1000
#define NS_PER_MS 1000000L

/* One listening side: the main one, or the operators' (/metrics). */
struct listener {
	struct http_server *s;
	bool ops;
};

struct http_server {
	struct MHD_Daemon *daemon;     /* main: connections come from the door */
	struct MHD_Daemon *ops_daemon; /* the metrics listener, or NULL */
	struct listener main_l, ops_l;
	struct http_config cfg;
	unsigned port, ops_port;

	struct admit *admit;
	struct http_door *door;
	struct http_pool *pool;
	struct admit_quota *quota;         /* expensive requests per client */
	struct netaddr_hosts *own_hosts;   /* the default allowed hosts, when cfg has none */
	const struct netaddr_hosts *hosts; /* cfg.allowed_hosts or own_hosts */
	char *csp;                         /* Content-Security-Policy of HTML answers */
	char *csp_inline_styles;           /* the same, with inline styles (route sheets) */
	const char *frame_options;         /* X-Frame-Options to go with it, or NULL */
	atomic_bool draining;

	struct http_metrics *metrics;            /* request counters, readiness (metrics.c) */
	const struct http_route_traits **traits; /* of each route */
	atomic_ullong completed;                 /* requests whose answer went out (or failed to) */
	atomic_ullong refused_target;            /* 400: a control character in the target */
	atomic_ullong refused_framing;           /* 400/501: Transfer-Encoding and Content-Length */
	atomic_ullong expensive_refused;         /* 503: the pool was full */
	atomic_ullong expensive_per_client;      /* 503: the client had its share */
};

/* Per-request state, created by the URI log callback (which sees the raw
 * request target) and freed on completion. */
struct request {
	struct timespec start;
	size_t uri_len;
	bool seen;
	int fd;          /* the connection's descriptor on the main listener, else -1 */
	const char *bad; /* what is wrong with the target (a control character), or NULL */
	size_t bad_at;   /* at which byte */
	char *raw_path;  /* the target's path as sent, up to '?' */
	struct job *job; /* an expensive request's, from suspension to its answer */
	struct buf body; /* a write's body, at most HTTP_MAX_BODY bytes kept */
	bool body_over;  /* it had more (or announced more): 413 */
	/* What a reused prepared answer points into, held until libmicrohttpd
	 * has sent it (request_completed). */
	void (*hold_release)(void *arg);
	void *hold_arg;
	/* For the access log: the target as sent (only when there is a log),
	 * the protocol, and the body bytes of the answer queued. */
	char *target;
	char protocol[16];
	unsigned long long bytes;
};

/* One request being answered: what a handler is given and fills. */
struct exchange {
	struct http_ctx c;
	struct http_response r;
	int route; /* index in http_routes, or -1 */
	char *capbuf;
	char base[HTTP_BASE_URL_MAX];
	struct mapservice_gen *gen; /* acquired for the request, released with it */
};

/* An expensive request on the pool. */
struct job {
	struct http_server *s;
	struct MHD_Connection *conn;
	struct netaddr client; /* its quota's key */
	struct exchange x;
};

/* Finds the first control character of the target, raw or percent-
 * encoded: everything after a decoded NUL would be dropped by
 * libmicrohttpd's decoder, so a proxy in front and this server would read
 * different requests; other controls have no business in a URL. */
static void check_target(struct request *rq, const char *uri)
{
	for (size_t i = 0; uri[i]; i++) {
		int v = (unsigned char)uri[i];
		if (v == '%' && http_hex_digit(uri[i + 1]) >= 0 && http_hex_digit(uri[i + 2]) >= 0)
			v = http_hex_digit(uri[i + 1]) * 16 + http_hex_digit(uri[i + 2]);
		if (v < 0x20 || v == 0x7f) {
			rq->bad = v == 0 ? "a NUL (%00)" : "a control character";
			rq->bad_at = i;
			return;
		}
	}
}

static int connection_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct listener *l = cls;
	struct request *rq = xcalloc(1, sizeof *rq);
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	rq->uri_len = strlen(uri);
	rq->fd = l && !l->ops ? connection_fd(conn) : -1;
	check_target(rq, uri);
	if (rq->uri_len <= HTTP_MAX_URI) /* a longer one is a 414 anyway */
		rq->raw_path = xstrndup(uri, strcspn(uri, "?"));
	if (l && l->s->cfg.access_log)
		rq->target = xstrndup(uri, HTTP_MAX_URI);
	return rq;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
	(void)conn, (void)toe;
	struct listener *l = cls;
	struct request *rq = *con_cls;
	if (!rq)
		return;
	/* The head deadline of the connection's next request runs from now. */
	if (rq->fd >= 0)
		admit_set(l->s->admit, rq->fd, ADMIT_IDLE, http_now_ms());
	atomic_fetch_add(&l->s->completed, 1);
	if (rq->hold_release)
		rq->hold_release(rq->hold_arg);
	buf_free(&rq->body);
	free(rq->raw_path);
	free(rq->target);
	free(rq);
	*con_cls = NULL;
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
	(void)socket_context;
	struct http_server *s = cls;
	int fd = connection_fd(conn);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		admit_set(s->admit, fd, ADMIT_WAITING, http_now_ms());
	else /* before libmicrohttpd closes the descriptor: see admit.h */
		admit_close(s->admit, fd);
}

struct param_collect {
	struct http_ctx *c;
	bool overflow;
};

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct param_collect *pc = cls;
	if (pc->c->nparams == HTTP_MAX_PARAMS) {
		pc->overflow = true;
		return MHD_NO;
	}
	pc->c->params[pc->c->nparams].key = key;
	pc->c->params[pc->c->nparams].value = value ? value : "";
	pc->c->nparams++;
	return MHD_YES;
}

struct header_sum {
	size_t bytes, lines;
};

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct header_sum *h = cls;
	h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	h->lines++;
	return MHD_YES;
}

static struct netaddr client_of(const struct http_server *s, struct MHD_Connection *conn);

/* One access log line of an answer just queued. */
static void log_answer(struct http_server *s, struct MHD_Connection *conn, const struct request *rq,
                       int route, const struct http_response *r, const char *method, double secs)
{
	char who[NETADDR_STRLEN];
	struct netaddr client = client_of(s, conn);
	netaddr_format(&client, who);
	struct http_log_entry e = {
	    .client = who,
	    .method = method,
	    .target = rq->target,
	    .protocol = rq->protocol[0] ? rq->protocol : NULL,
	    .status = r->status,
	    .bytes = method && !strcmp(method, "HEAD") ? 0 : rq->bytes,
	    .seconds = secs,
	    .cache = r->status == 200 ? r->cache_status : NULL,
	    .referer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER),
	    .user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT),
	    .route = route >= 0 ? http_routes[route].name : NULL,
	};
	clock_gettime(CLOCK_REALTIME, &e.when);
	http_log_write(s->cfg.access_log, &e);
}

/* Counts an answer just queued (its status final: a 304 is a 304) and
 * logs it. */
static void record(struct http_server *s, struct MHD_Connection *conn, const struct request *rq, int route,
                   const struct http_response *r, const char *method)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs =
	    (double)(now.tv_sec - rq->start.tv_sec) + (double)(now.tv_nsec - rq->start.tv_nsec) / 1e9;
	http_metrics_record(s->metrics, route, r->status, secs);
	if (s->cfg.access_log)
		log_answer(s, conn, rq, route, r, method, secs);
}

/* --- who the client is, and where links point ------------------------- */

struct forwarded {
	const char *v[FORWARDED_LINES_MAX];
	size_t n;
};

static enum MHD_Result collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
	(void)kind;
	struct forwarded *f = cls;
	if (strcasecmp(key, "X-Forwarded-For") == 0 && f->n < FORWARDED_LINES_MAX)
		f->v[f->n++] = value ? value : "";
	return MHD_YES;
}

/* The client of a request: the peer, or whom its X-Forwarded-For names
 * when the peer is a trusted proxy. */
static struct netaddr client_of(const struct http_server *s, struct MHD_Connection *conn)
{
	struct netaddr peer;
	memset(&peer, 0, sizeof peer);
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (!sa || !netaddr_from_sockaddr(sa,
	                                  sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                                            : sizeof(struct sockaddr_in),
	                                  &peer))
		return peer;
	if (!netaddr_set_count(s->cfg.trusted_proxies))
		return peer;
	struct forwarded f = {.n = 0};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_forwarded, &f);
	struct netaddr client;
	netaddr_forwarded_client(&peer, s->cfg.trusted_proxies, f.v, f.n, &client);
	return client;
}

/* The base of absolute links: --public-url, or the Host when it is one
 * the server answers for; otherwise empty, and links are relative, so a
 * forged Host never reaches an answer a shared cache could keep. */
static void base_url(const struct http_server *s, struct MHD_Connection *conn, char *out, size_t size)
{
	out[0] = '\0';
	if (s->cfg.public_url) {
		snprintf(out, size, "%s", s->cfg.public_url);
		size_t n = strlen(out);
		while (n > 0 && out[n - 1] == '/')
			out[--n] = '\0';
		return;
	}
	struct netaddr_host h;
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (netaddr_host_parse(host, &h) && netaddr_hosts_allow(s->hosts, &h)) {
		if (h.has_port)
			snprintf(out, size, "http://%s:%u", h.name, h.port);
		else
			snprintf(out, size, "http://%s", h.name);
	}
}

/* --- routing a request -------------------------------------------------- */

/* Refuses a request whose query string carries what looks like a
 * credential: a URL is written into access logs, proxy logs, browser
 * history and Referer headers, so a key there is a key leaked, and
 * taking it would teach clients to send it so (RFC 6750 §2.3 allows it
 * only as a last resort; here it is never taken).  The value is not
 * repeated in the answer.  True when there is none; else false with the
 * 400 in r. */
static bool query_credentials_ok(const struct http_ctx *c, struct http_response *r)
{
	static const char *const names[] = {"access_token", "token", "key", "api_key", "apikey", "bearer"};
	for (int i = 0; i < c->nparams; i++)
		for (size_t k = 0; k < sizeof names / sizeof *names; k++)
			if (!strcasecmp(c->params[i].key, names[k])) {
				http_problem(
				    r, 400,
				    "query parameter '%s' looks like a credential: keys are taken only in "
				    "the Authorization header (Bearer), never in a URL",
				    names[k]);
				return false;
			}
	return true;
}

static void exchange_init(struct exchange *x)
{
	memset(x, 0, sizeof *x);
	x->r.status = 200;
	x->r.content_type = "application/json";
	x->route = -1;
}

static void response_free(struct http_response *r)
{
	if (r->ext_release)
		r->ext_release(r->ext_arg);
	buf_free(&r->body);
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
}

static void exchange_free(struct exchange *x)
{
	response_free(&x->r);
	free(x->capbuf);
	if (x->gen)
		mapservice_release(x->gen);
}

/* Routes the request into x: true when a handler is to run, false when x's
 * answer is already decided (an error, a preflight). */
static bool exchange_begin(struct listener *l, struct MHD_Connection *conn, const char *url,
                           const char *method, const struct request *rq, struct exchange *x)
{
	struct http_server *s = l->s;
	struct http_ctx *c = &x->c;
	struct http_response *r = &x->r;
	if (rq->bad) {
		atomic_fetch_add(&s->refused_target, 1);
		http_problem(r, 400,
		             "the request target has %s at byte %zu: no control character is taken, raw or "
		             "percent-encoded",
		             rq->bad, rq->bad_at);
		return false;
	}
	if (rq->uri_len > HTTP_MAX_URI) {
		http_problem(r, 414, "the request target is %zu bytes long; the limit is %d", rq->uri_len,
		             HTTP_MAX_URI);
		return false;
	}
	struct header_sum hs = {0, 0};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header, &hs);
	if (hs.bytes > HTTP_MAX_HEADERS || hs.lines > HTTP_MAX_HEADER_LINES) {
		http_problem(r, 431,
		             "the request headers take %zu bytes in %zu lines; the limits are %d and %d",
		             hs.bytes, hs.lines, HTTP_MAX_HEADERS, HTTP_MAX_HEADER_LINES);
		return false;
	}
	const char *raw = rq->raw_path ? rq->raw_path : url;
	size_t caplen = strlen(raw) + 1;
	x->capbuf = xmalloc(caplen);
	*c = (struct http_ctx){
	    .cfg = &s->cfg, .metrics = s->metrics, .path = url, .method = method, .conn_ = conn};
	x->route = http_route_match(raw, c->captures, x->capbuf, caplen, &c->ncaptures);
	const struct http_route *rt = x->route >= 0 ? &http_routes[x->route] : NULL;
	unsigned flags = rt ? s->traits[x->route]->flags : 0;
	/* The metrics listener serves operations only; /metrics moves there
	 * when there is one. */
	if (rt &&
	    ((l->ops && !(flags & HTTP_RF_OPS)) || (!l->ops && (flags & HTTP_RF_PRIVATE) && s->ops_daemon)))
		rt = NULL;
	if (!rt) {
		x->route = -1;
		http_problem(r, 404, "no resource at '%.200s'", url);
		return false;
	}
	/* The route of the method among those of the path; without --edit
	 * the write routes are not there (405, not 403: no key would help). */
	char allow[HTTP_ALLOW_MAX];
	int k = http_route_for_method(x->route, method, s->cfg.editor != NULL, allow, sizeof allow);
	if (!strcmp(method, "OPTIONS")) {
		/* CORS preflight (Fetch standard): the methods this resource takes. */
		r->status = 204;
		http_add_header(r, "Allow", allow);
		if (!(flags & HTTP_RF_PRIVATE)) {
			http_add_header(r, "Access-Control-Allow-Methods", allow);
			http_add_header(r, "Access-Control-Allow-Headers",
			                s->cfg.editor
			                    ? "Accept, If-None-Match, Authorization, Content-Type, If-Match"
			                    : "Accept, If-None-Match");
		}
		return false;
	}
	if (k < 0) {
		http_problem(
		    r, 405, "method %.20s is not allowed on %.200s; allowed: %s%s", method, url, allow,
		    s->cfg.editor || strcmp(allow, rt->methods) ? "" : " (writes need serve --edit)");
		http_add_header(r, "Allow", allow);
		return false;
	}
	x->route = k;
	rt = &http_routes[k];
	struct param_collect pc = {.c = c};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &pc);
	if (pc.overflow) {
		http_problem(r, 400, "more than %d query parameters", HTTP_MAX_PARAMS);
		return false;
	}
	if (!query_credentials_ok(c, r))
		return false;
	if (s->traits[k]->flags & HTTP_RF_WRITE) {
		if (rq->body_over) {
			http_problem(r, 413, "the request body is larger than %d bytes", HTTP_MAX_BODY);
			return false;
		}
		c->body = rq->body.data ? rq->body.data : "";
		c->body_len = rq->body.len;
		c->client = client_of(s, conn);
	}
	base_url(s, conn, x->base, sizeof x->base);
	c->base_url = x->base;
	/* One generation for the whole request, whatever a reload does. */
	x->gen = mapservice_acquire(s->cfg.maps);
	c->gen = x->gen;
	c->snap = x->gen->snap;
	return true;
}

/* --- expensive requests -------------------------------------------------- */

static void job_run(void *arg)
{
	struct job *j = arg;
	http_route_handle(&http_routes[j->x.route], &j->x.c, &j->x.r);
	admit_quota_give(j->s->quota, &j->client);
	/* From here the connection's thread may answer and free the job. */
	MHD_resume_connection(j->conn);
}

static void job_cancel(void *arg)
{
	struct job *j = arg;
	http_problem(&j->x.r, 503, "the server is stopping and could not start this request in time; retry");
	http_add_header(&j->x.r, "Retry-After", HTTP_STR(HTTP_RETRY_AFTER_S));
	admit_quota_give(j->s->quota, &j->client);
	MHD_resume_connection(j->conn);
}

/* A 503 for a request the pool will not take now. */
static void refuse_busy(struct http_response *r, const char *why)
{
	http_problem(r, 503, "%s; retry in %d s", why, HTTP_RETRY_AFTER_S);
	http_add_header(r, "Retry-After", HTTP_STR(HTTP_RETRY_AFTER_S));
}

/* Hands the request to the pool, suspending its connection; true when it
 * did (the answer comes when the job is done).  False with x's answer set
 * to a 503 when the client or the pool has no room. */
static bool offload(struct listener *l, struct MHD_Connection *conn, const char *url, const char *method,
                    struct request *rq, struct exchange *x)
{
	struct http_server *s = l->s;
	struct netaddr client = client_of(s, conn);
	enum admit_verdict v = admit_quota_take(s->quota, &client);
	if (v == ADMIT_REFUSED_FULL) {
		atomic_fetch_add(&s->expensive_refused, 1);
		refuse_busy(&x->r, "the server is busy with expensive requests (maps, PDF sheets)");
		return false;
	}
	if (v != ADMIT_OK) {
		atomic_fetch_add(&s->expensive_per_client, 1);
		char who[NETADDR_STRLEN];
		netaddr_format(&client, who);
		char why[160];
		snprintf(why, sizeof why,
		         "%s has %u expensive requests (maps, PDF sheets) running or waiting already", who,
		         s->cfg.expensive_per_client);
		refuse_busy(&x->r, why);
		return false;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->conn = conn;
	j->client = client;
	exchange_init(&j->x);
	/* The same routing again, into storage that outlives this call: the
	 * handler parses the parameters again on the worker (cheap next to
	 * the work, and pointers into the first parse would dangle). */
	exchange_begin(l, conn, url, method, rq, &j->x);
	rq->job = j;
	/* Suspended before the job can resume it. */
	MHD_suspend_connection(conn);
	if (!http_pool_submit(s->pool, job_run, j)) {
		atomic_fetch_add(&s->expensive_refused, 1);
		refuse_busy(&j->x.r, "the server is busy with expensive requests (maps, PDF sheets)");
		admit_quota_give(s->quota, &client);
		MHD_resume_connection(conn); /* the answer goes out on the next call */
	}
	return true;
}

/* --- answers --------------------------------------------------------------- */

/* The headers of every answer: content type, validator, CORS (not for
 * operators' data), nosniff everywhere (a JSON or text answer must never
 * be run as a script), the content security policy on HTML, and
 * Connection: close once the server is stopping. */
static void add_headers(struct http_server *s, struct MHD_Response *resp, const struct http_response *r,
                        const char *etag, int route)
{
	bool private = route >= 0 && (s->traits[route]->flags & HTTP_RF_PRIVATE);
	if (r->status != 204 && r->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (s->cfg.cors && !private)
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", s->cfg.cors);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->content_type && !strncmp(r->content_type, "text/html", strlen("text/html"))) {
		MHD_add_response_header(resp, "Content-Security-Policy",
		                        r->inline_styles ? s->csp_inline_styles : s->csp);
		if (s->frame_options)
			MHD_add_response_header(resp, "X-Frame-Options", s->frame_options);
	}
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	if (atomic_load(&s->draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* What an entity's owner keeps for the server: one prepared answer per
 * variant, each made on its variant's first request. */
struct prepared {
	_Atomic(struct MHD_Response *) v[HTTP_PREPARED_VARIANTS];
};

static void destroy_prepared(void *arg)
{
	struct prepared *p = arg;
	for (int i = 0; i < HTTP_PREPARED_VARIANTS; i++)
		if (atomic_load(&p->v[i]))
			MHD_destroy_response(atomic_load(&p->v[i]));
	free(p);
}

/*
 * A 200 for an entity whose owner keeps a prepared answer (a cached tile):
 * libmicrohttpd responses are reference-counted and may be queued on any
 * number of connections at once, so one built response serves every later
 * request for the entity and variant, saving its allocation and header
 * copies on the hot path.  It points into the entity's bytes without
 * holding them, so the request holds its reference to the entity until
 * libmicrohttpd is done with it (request_completed).
 */
static enum MHD_Result send_prepared(struct http_server *s, struct MHD_Connection *conn, struct request *rq,
                                     struct http_response *r, const char *etag, int route)
{
	struct prepared *p = r->ext_aux(r->ext_arg);
	if (!p) /* frees ours if another thread's was kept first */
		p = r->ext_attach(r->ext_arg, xcalloc(1, sizeof *p), destroy_prepared);
	unsigned variant = r->ext_variant < HTTP_PREPARED_VARIANTS ? r->ext_variant : 0;
	struct MHD_Response *resp = atomic_load(&p->v[variant]);
	if (!resp) {
		struct MHD_Response *mine =
		    MHD_create_response_from_buffer(r->ext_len, (void *)r->ext_body, MHD_RESPMEM_PERSISTENT);
		if (!mine)
			return MHD_NO;
		add_headers(s, mine, r, etag, route);
		struct MHD_Response *none = NULL;
		if (atomic_compare_exchange_strong(&p->v[variant], &none, mine)) {
			resp = mine;
		} else { /* another thread's came first */
			MHD_destroy_response(mine);
			resp = none;
		}
	}
	rq->hold_release = r->ext_release;
	rq->hold_arg = r->ext_arg;
	r->ext_release = NULL; /* the request's now */
	return MHD_queue_response(conn, (unsigned)r->status, resp);
}

static enum MHD_Result send_response(struct http_server *s, struct MHD_Connection *conn, struct request *rq,
                                     struct http_response *r, int route)
{
	char etag[sizeof r->etag] = "";
	if (r->cacheable && r->status == 200) {
		if (r->etag[0])
			snprintf(etag, sizeof etag, "%s", r->etag);
		else
			snprintf(
			    etag, sizeof etag, "\"%016llx\"",
			    (unsigned long long)XXH3_64bits(r->body.data ? r->body.data : "", r->body.len));
		if (etag_list_matches(
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
		        etag)) {
			r->status = 304;
			buf_reset(&r->body);
			r->ext_body = NULL; /* released in response_free */
			r->ext_len = 0;
		}
	}
	rq->bytes = r->body.len ? r->body.len : r->ext_body ? r->ext_len : 0;
	/* A prepared answer's headers are fixed: not while stopping, when
	 * every answer must close its connection. */
	if (r->status == 200 && !r->body.len && r->ext_body && r->ext_len && r->ext_aux && r->ext_attach &&
	    !rq->hold_release && !atomic_load(&s->draining))
		return send_prepared(s, conn, rq, r, etag, route);
	size_t len = 0;
	char *data = buf_detach(&r->body, &len);
	struct MHD_Response *resp;
	if (data && len)
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	else if (r->ext_body && r->ext_len) {
		/* A cached tile: MHD reads the cache's bytes in place and calls
		 * ext_release when the response is destroyed. */
		free(data);
		resp = MHD_create_response_from_buffer_with_free_callback_cls(r->ext_len, (void *)r->ext_body,
		                                                              r->ext_release, r->ext_arg);
		if (resp)
			r->ext_release = NULL; /* libmicrohttpd's now */
	} else {
		free(data);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	add_headers(s, resp, r, etag, route);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- request framing ------------------------------------------------------- */

/* The methods of writes, whose bodies the server reads when it takes
 * writes (serve --edit); otherwise it answers them before their body. */
static bool method_takes_body(const char *method)
{
	return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
}

struct framing {
	int te, cl;           /* Transfer-Encoding and Content-Length lines */
	const char *te_value; /* the first of each */
	const char *cl_value;
	bool cl_differ; /* two Content-Length lines that disagree */
};

static enum MHD_Result collect_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct framing *f = cls;
	value = value ? value : "";
	if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		if (!f->te++)
			f->te_value = value;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (!f->cl++)
			f->cl_value = value;
		else if (strcmp(f->cl_value, value))
			f->cl_differ = true;
	}
	return MHD_YES;
}

/* Refuses a request whose body framing is ambiguous or unknown (the
 * ground of request smuggling), and says whether its body is too large to
 * read and throw away.  RFC 9112 §6.1: a transfer coding the server does
 * not understand is a 501 (libmicrohttpd would read "identity" as a body
 * ending with the connection, and hang); §6.3: Transfer-Encoding with
 * Content-Length, or Content-Lengths that differ, are refused. */
static bool framing_refused(struct MHD_Connection *conn, struct http_response *r, bool takes_body,
                            bool *large_body)
{
	struct framing f = {0};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_framing, &f);
	*large_body = false;
	if (f.te && (f.cl || f.te > 1 || strcasecmp(f.te_value, "chunked"))) {
		if (f.cl)
			http_problem(
			    r, 400,
			    "Transfer-Encoding and Content-Length together are refused (RFC 9112 §6.3)");
		else
			http_problem(
			    r, 501,
			    "Transfer-Encoding '%.40s' is not supported: send Content-Length, or chunked "
			    "alone",
			    f.te > 1 ? "(several lines)" : f.te_value);
		return true;
	}
	if (f.cl_differ) {
		http_problem(r, 400, "Content-Length lines that disagree are refused (RFC 9112 §6.3)");
		return true;
	}
	/* A write's chunked body is read (and cut at HTTP_MAX_BODY); any
	 * other request's is answered before it. */
	*large_body = (f.te && !takes_body) || (f.cl && strtoull(f.cl_value, NULL, 10) > BODY_DISCARD_MAX);
	return false;
}

/* --- the access handler ---------------------------------------------------- */

/* Answers the request: routed and run here, or handed to the pool. */
static enum MHD_Result serve(struct listener *l, struct MHD_Connection *conn, const char *url,
                             const char *method, struct request *rq)
{
	struct http_server *s = l->s;
	struct exchange x;
	exchange_init(&x);
	if (exchange_begin(l, conn, url, method, rq, &x)) {
		const struct http_route *rt = &http_routes[x.route];
		bool (*costly)(const struct http_ctx *) = s->traits[x.route]->costly;
		if (!costly) {
			http_route_handle(rt, &x.c, &x.r);
		} else if (http_params_parse(rt->params, &x.c, &x.r)) {
			if (!costly(&x.c))
				rt->handler(&x.c, &x.r);
			else if (offload(l, conn, url, method, rq, &x)) {
				exchange_free(&x);
				return MHD_YES;
			}
		}
	}
	enum MHD_Result ret = send_response(s, conn, rq, &x.r, x.route);
	record(s, conn, rq, x.route, &x.r, method);
	exchange_free(&x);
	return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct http_server *s = l->s;
	struct request *rq = *con_cls;
	if (!rq) /* the URI logger always runs first; this is belt and braces */
		*con_cls = rq = uri_logger(l, url, conn);
	if (rq->job) { /* resumed: the pool is done with it */
		struct job *j = rq->job;
		rq->job = NULL;
		enum MHD_Result ret = send_response(s, conn, rq, &j->x.r, j->x.route);
		record(s, conn, rq, j->x.route, &j->x.r, method);
		exchange_free(&j->x);
		free(j);
		return ret;
	}
	if (!rq->seen) {
		rq->seen = true;
		snprintf(rq->protocol, sizeof rq->protocol, "%s", version ? version : "");
		if (rq->fd >= 0) /* its head is in: no deadline while it is served */
			admit_set(s->admit, rq->fd, ADMIT_BUSY, http_now_ms());
		struct exchange x;
		exchange_init(&x);
		bool large = false;
		if (framing_refused(conn, &x.r, s->cfg.editor && method_takes_body(method), &large)) {
			/* answered now: libmicrohttpd closes the connection after */
			atomic_fetch_add(&s->refused_framing, 1);
			enum MHD_Result ret = send_response(s, conn, rq, &x.r, -1);
			record(s, conn, rq, -1, &x.r, method);
			exchange_free(&x);
			return ret;
		}
		exchange_free(&x);
		if (large) { /* answered before the body, which is never read */
			rq->body_over = true;
			return serve(l, conn, url, method, rq);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Kept up to the limit for a write, whose route reads it; the
		 * rest, and any other request's, is discarded (then 413 or 405). */
		if (s->cfg.editor && method_takes_body(method) && !rq->body_over) {
			if (rq->body.len + *upload_data_size <= HTTP_MAX_BODY)
				buf_append(&rq->body, upload_data, *upload_data_size);
			else {
				rq->body_over = true;
				buf_free(&rq->body);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return serve(l, conn, url, method, rq);
}

/* --- metrics ----------------------------------------------------------------- */

static void metric(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* What is built and running, and the access log's fate. */
static void write_log_metrics(struct http_server *s, struct buf *out)
{
	metric(out, "mapsvc_build_info", "gauge", "The running build: its version and libmicrohttpd's.");
	buf_printf(out, "mapsvc_build_info{version=\"%s\",libmicrohttpd=\"%s\"} 1\n",
	           s->cfg.version ? s->cfg.version : "unknown", MHD_get_version());
	if (!s->cfg.access_log)
		return;
	struct http_log_stats ls;
	http_log_get_stats(s->cfg.access_log, &ls);
	metric(out, "mapsvc_access_log_lines_total", "counter",
	       "Access log lines, by fate: written, or dropped because the writer was behind by a whole "
	       "buffer, or lost to a failed write.");
	buf_printf(out,
	           "mapsvc_access_log_lines_total{result=\"queued\"} %llu\n"
	           "mapsvc_access_log_lines_total{result=\"dropped\"} %llu\n",
	           (unsigned long long)ls.lines, (unsigned long long)ls.dropped);
	metric(out, "mapsvc_access_log_write_errors_total", "counter",
	       "Writes of the access log that failed.");
	buf_printf(out, "mapsvc_access_log_write_errors_total %llu\n", (unsigned long long)ls.write_errors);
	metric(out, "mapsvc_access_log_reopens_total", "counter",
	       "Reopens of the access log (SIGUSR1), by result.");
	buf_printf(out,
	           "mapsvc_access_log_reopens_total{result=\"ok\"} %llu\n"
	           "mapsvc_access_log_reopens_total{result=\"failed\"} %llu\n",
	           (unsigned long long)ls.reopens, (unsigned long long)ls.reopen_errors);
}

/* The metrics' source (metrics.h): the connections, the refusals before
 * routing, the expensive pool. */
static void write_connection_metrics(void *arg, struct buf *out)
{
	struct http_server *s = arg;
	struct admit_stats st;
	struct door_stats ds;
	struct http_pool_stats ps;
	admit_get_stats(s->admit, &st);
	memset(&ds, 0, sizeof ds);
	if (s->door) /* gone once a stop has begun */
		http_door_get_stats(s->door, &ds);
	http_pool_get_stats(s->pool, &ps);
	if (s->cfg.editor) {
		struct editor_stats es;
		editor_stats(s->cfg.editor, &es);
		metric(out, "mapsvc_edit_writes_total", "counter",
		       "Changes committed through Part 4 writes.");
		buf_printf(out, "mapsvc_edit_writes_total %llu\n", es.writes);
		metric(out, "mapsvc_edit_rebuilds_total", "counter",
		       "Generations built to make changes live (a burst of writes shares one).");
		buf_printf(out, "mapsvc_edit_rebuilds_total %llu\n", es.rebuilds);
		metric(out, "mapsvc_edit_auth_failures_total", "counter",
		       "Write attempts with an unknown key, and those refused by the failure limit.");
		buf_printf(out,
		           "mapsvc_edit_auth_failures_total{result=\"unknown_key\"} %llu\n"
		           "mapsvc_edit_auth_failures_total{result=\"limited\"} %llu\n",
		           es.auth_fails, es.limited);
	}
	metric(out, "mapsvc_connections_open", "gauge", "Connections open on the main listener.");
	buf_printf(out, "mapsvc_connections_open %zu\n", st.open);
	metric(out, "mapsvc_connections_total", "counter", "Connections accepted, or refused by a limit.");
	buf_printf(out,
	           "mapsvc_connections_total{result=\"accepted\"} %llu\n"
	           "mapsvc_connections_total{result=\"refused_client\"} %llu\n"
	           "mapsvc_connections_total{result=\"refused_full\"} %llu\n",
	           (unsigned long long)st.accepted, (unsigned long long)st.refused_client,
	           (unsigned long long)st.refused_full);
	metric(out, "mapsvc_connections_closed_total", "counter",
	       "Connections the server closed, by reason.");
	buf_printf(out,
	           "mapsvc_connections_closed_total{reason=\"head_timeout\"} %llu\n"
	           "mapsvc_connections_closed_total{reason=\"evicted\"} %llu\n"
	           "mapsvc_connections_closed_total{reason=\"draining\"} %llu\n",
	           (unsigned long long)st.head_timeouts, (unsigned long long)st.evicted,
	           (unsigned long long)st.drained);
	metric(out, "mapsvc_requests_refused_total", "counter",
	       "Requests refused before routing, by reason (problem+json answers).");
	buf_printf(out,
	           "mapsvc_requests_refused_total{reason=\"bad_request_line\"} %llu\n"
	           "mapsvc_requests_refused_total{reason=\"http_version\"} %llu\n"
	           "mapsvc_requests_refused_total{reason=\"line_too_long\"} %llu\n"
	           "mapsvc_requests_refused_total{reason=\"head_too_large\"} %llu\n"
	           "mapsvc_requests_refused_total{reason=\"control_character\"} %llu\n"
	           "mapsvc_requests_refused_total{reason=\"framing\"} %llu\n",
	           (unsigned long long)ds.bad_line, (unsigned long long)ds.bad_version,
	           (unsigned long long)ds.line_too_long, (unsigned long long)ds.head_too_large,
	           atomic_load(&s->refused_target), atomic_load(&s->refused_framing));
	metric(out, "mapsvc_request_head_scans_total", "counter",
	       "Times a first request head, complete or not, was peeked at and scanned.");
	buf_printf(out, "mapsvc_request_head_scans_total %llu\n", (unsigned long long)ds.scans);
	metric(out, "mapsvc_expensive_running", "gauge", "Expensive requests running on the pool.");
	buf_printf(out, "mapsvc_expensive_running %u\n", ps.running);
	metric(out, "mapsvc_expensive_queued", "gauge", "Expensive requests waiting for the pool.");
	buf_printf(out, "mapsvc_expensive_queued %u\n", ps.queued);
	metric(out, "mapsvc_expensive_total", "counter", "Expensive requests, by what became of them.");
	buf_printf(out,
	           "mapsvc_expensive_total{result=\"done\"} %llu\n"
	           "mapsvc_expensive_total{result=\"refused_busy\"} %llu\n"
	           "mapsvc_expensive_total{result=\"refused_client\"} %llu\n"
	           "mapsvc_expensive_total{result=\"cancelled\"} %llu\n",
	           (unsigned long long)ps.done, atomic_load(&s->expensive_refused),
	           atomic_load(&s->expensive_per_client), (unsigned long long)ps.cancelled);
	metric(out, "mapsvc_expensive_cpu_seconds_total", "counter", "CPU time the expensive requests took.");
	buf_printf(out, "mapsvc_expensive_cpu_seconds_total %.6f\n", (double)ps.cpu_ns / 1e9);
	write_log_metrics(s, out);
}

/* --- set-up -------------------------------------------------------------- */

/* Binds and listens on host:port; the descriptor, or -1 with err filled. */
static int listen_on(const char *host, unsigned port, unsigned *bound, struct ms_error *err)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	if (port > 65535)
		return ms_fail(err, MS_EUSAGE, "port %u is out of range", port), -1;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else {
		return ms_fail(err, MS_EUSAGE, "listen address '%s' is not a numeric IPv4 or IPv6 address",
		               host),
		       -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return ms_fail(err, MS_EIO, "cannot listen on %s port %u: %s", host, port, strerror(e)), -1;
	}
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;
	getsockname(fd, (struct sockaddr *)&got, &glen);
	*bound = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
	                                         : ((struct sockaddr_in *)&got)->sin_port);
	return fd;
}

/* Raises (or lowers) the descriptor limit to what the connection limit
 * needs; returns the limit in force, every descriptor being below it. */
static size_t fit_descriptor_limit(unsigned max_connections)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (size_t)max_connections + FD_RESERVE;
	/* connections, those on their way out after an eviction, the rest */
	rlim_t want = (rlim_t)max_connections + max_connections / 8 + FD_RESERVE;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (want != rl.rlim_cur) {
		struct rlimit nl = {.rlim_cur = want, .rlim_max = rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
			rl.rlim_cur = want;
	}
	return (size_t)rl.rlim_cur;
}

/* The policy of every HTML answer (the map page, the OGC resources'
 * pages, route sheets): scripts and styles only from the server's own
 * files (no page has an inline script), no plugins, no <base>, forms only
 * back here, frames as configured.  A route sheet keeps its styles in the
 * page so that it stays whole when saved: its policy also allows inline
 * styles, which cannot run code.  Basemap tiles come from the --basemap
 * host's scheme. */
static char *build_csp(const struct http_config *cfg, bool inline_styles)
{
	struct buf b = BUF_INIT;
	buf_printf(&b,
	           "default-src 'self'; script-src 'self'; style-src 'self'%s; img-src 'self' data: blob:",
	           inline_styles ? " 'unsafe-inline'" : "");
	if (cfg->basemap_url)
		buf_puts(&b, strncmp(cfg->basemap_url, "https:", strlen("https:")) ? " http:" : " https:");
	buf_printf(&b,
	           "; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
	           "form-action 'self'; frame-ancestors %s",
	           cfg->frame_ancestors ? cfg->frame_ancestors : "'self'");
	size_t n;
	return buf_detach(&b, &n);
}

/* Fills the zero limits of cfg with their defaults. */
static void apply_defaults(struct http_config *cfg)
{
	if (cfg->threads < 2)
		cfg->threads = 2;
	if (!cfg->max_connections)
		cfg->max_connections = HTTP_DEFAULT_MAX_CONNECTIONS;
	if (!cfg->max_client_connections)
		cfg->max_client_connections = HTTP_DEFAULT_CLIENT_CONNECTIONS;
	if (!cfg->head_timeout_s)
		cfg->head_timeout_s = HTTP_DEFAULT_HEAD_TIMEOUT_S;
	if (!cfg->idle_timeout_s)
		cfg->idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT_S;
	if (!cfg->expensive_workers) {
		/* one core is always left to the cheap requests */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->expensive_workers = ncpu > 2 ? (unsigned)ncpu - 1 : 1;
	}
	if (!cfg->expensive_queue)
		cfg->expensive_queue = HTTP_DEFAULT_EXPENSIVE_QUEUE;
	if (!cfg->expensive_per_client)
		cfg->expensive_per_client = HTTP_DEFAULT_EXPENSIVE_PER_CLIENT;
}

/* The hosts of the default --allowed-hosts: the listen address and
 * localhost in its spellings. */
static struct netaddr_hosts *default_hosts(const char *host)
{
	char list[128];
	bool wildcard = !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
	snprintf(list, sizeof list, "localhost, 127.0.0.1, [::1]%s%s%s%s", wildcard ? "" : ", ",
	         wildcard || !strchr(host, ':') ? "" : "[", wildcard ? "" : host,
	         wildcard || !strchr(host, ':') ? "" : "]");
	struct netaddr_hosts *h = NULL;
	struct ms_error err = {0};
	netaddr_hosts_parse(list, &h, &err); /* numeric addresses: they parse */
	return h;
}

static void server_free(struct http_server *s)
{
	http_door_free(s->door);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->ops_daemon)
		MHD_stop_daemon(s->ops_daemon);
	http_pool_free(s->pool);
	admit_quota_free(s->quota);
	admit_free(s->admit);
	netaddr_hosts_free(s->own_hosts);
	free(s->csp);
	free(s->csp_inline_styles);
	http_metrics_free(s->metrics);
	free(s->traits);
	free(s);
}

static struct MHD_Daemon *start_ops_daemon(struct http_server *s, struct ms_error *err)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	const char *host = s->cfg.metrics_host;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)s->cfg.metrics_port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)s->cfg.metrics_port);
		flags |= MHD_USE_IPv6;
	} else {
		ms_fail(err, MS_EUSAGE, "metrics address '%s' is not a numeric IPv4 or IPv6 address", host);
		return NULL;
	}
	struct MHD_Daemon *d = MHD_start_daemon(
	    flags, (uint16_t)s->cfg.metrics_port, NULL, NULL, access_handler, &s->ops_l, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)OPS_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_POOL_BYTES, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, (void *)&s->ops_l,
	    MHD_OPTION_NOTIFY_COMPLETED, request_completed, (void *)&s->ops_l, MHD_OPTION_END);
	if (!d) {
		ms_fail(err, MS_EIO, "cannot listen on %s port %u for the metrics", host,
		        s->cfg.metrics_port);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	s->ops_port = info ? info->port : s->cfg.metrics_port;
	return d;
}

struct http_server *http_server_start(const struct http_config *cfg, struct ms_error *err)
{
	struct mapservice_gen *gen = mapservice_acquire(cfg->maps);
	if (!gen) {
		ms_fail(err, MS_EINTERNAL, "the map service has nothing loaded to serve");
		return NULL;
	}
	mapservice_release(gen);
	struct http_server *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	if (!s->cfg.host)
		s->cfg.host = "127.0.0.1";
	apply_defaults(&s->cfg);
	s->main_l = (struct listener){.s = s, .ops = false};
	s->ops_l = (struct listener){.s = s, .ops = true};
	s->metrics = http_metrics_new();
	http_metrics_set_source(s->metrics, write_connection_metrics, s);
	s->traits = xcalloc(http_nroutes, sizeof *s->traits);
	for (size_t i = 0; i < http_nroutes; i++)
		s->traits[i] = http_route_traits_of(&http_routes[i]);
	s->csp = build_csp(&s->cfg, false);
	s->csp_inline_styles = build_csp(&s->cfg, true);
	const char *fa = s->cfg.frame_ancestors ? s->cfg.frame_ancestors : "'self'";
	s->frame_options = !strcmp(fa, "'self'") ? "SAMEORIGIN" : !strcmp(fa, "'none'") ? "DENY" : NULL;
	if (s->cfg.allowed_hosts) {
		s->hosts = s->cfg.allowed_hosts;
	} else {
		s->own_hosts = default_hosts(s->cfg.host);
		s->hosts = s->own_hosts;
	}
	int lfd = listen_on(s->cfg.host, s->cfg.port, &s->port, err);
	if (lfd < 0)
		goto fail;

	size_t capacity = fit_descriptor_limit(s->cfg.max_connections);
	if (capacity < (size_t)FD_RESERVE + 1) {
		ms_fail(err, MS_EIO, "the descriptor limit (%zu) leaves no room for connections", capacity);
		goto fail;
	}
	if (s->cfg.max_connections > capacity - FD_RESERVE)
		s->cfg.max_connections = (unsigned)(capacity - FD_RESERVE);
	struct admit_limits lim = {.max_conns = s->cfg.max_connections,
	                           .max_per_client = s->cfg.max_client_connections,
	                           .head_timeout_ms = s->cfg.head_timeout_s * 1000u};
	s->admit = admit_new(&lim, capacity);
	s->pool = http_pool_new(s->cfg.expensive_workers, s->cfg.expensive_queue, HTTP_EXPENSIVE_NICE);
	s->quota =
	    admit_quota_new(s->cfg.expensive_workers + s->cfg.expensive_queue, s->cfg.expensive_per_client);

	/* The door admits connections; libmicrohttpd's own limit only has to
	 * never bind before the door's. */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_NO_LISTEN_SOCKET |
	                 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	s->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, access_handler, &s->main_l, MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)capacity, MHD_OPTION_CONNECTION_TIMEOUT,
	    s->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_POOL_BYTES,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, (void *)&s->main_l, MHD_OPTION_NOTIFY_COMPLETED,
	    request_completed, (void *)&s->main_l, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, (void *)s,
	    MHD_OPTION_END);
	if (!s->daemon) {
		ms_fail(err, MS_EIO, "cannot start the HTTP engine (libmicrohttpd)");
		goto fail;
	}
	if (s->cfg.metrics_host && !(s->ops_daemon = start_ops_daemon(s, err)))
		goto fail;
	struct door_config dc = {.listen_fd = lfd,
	                         .capacity = capacity,
	                         .daemon = s->daemon,
	                         .admit = s->admit,
	                         .trusted = s->cfg.trusted_proxies,
	                         .max_line = HTTP_MAX_URI + REQUEST_LINE_SLACK,
	                         .max_head = HTTP_MAX_URI + REQUEST_LINE_SLACK + HTTP_MAX_HEADERS,
	                         .max_fields = HTTP_MAX_HEADER_LINES};
	s->door = http_door_start(&dc, err);
	if (!s->door)
		goto fail;
	return s;
fail:
	if (lfd >= 0)
		close(lfd);
	server_free(s);
	return NULL;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

unsigned http_server_metrics_port(const struct http_server *s)
{
	return s->ops_port;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * NS_PER_MS};
	nanosleep(&ts, NULL);
}

void http_server_drain(struct http_server *s, unsigned timeout_ms, struct http_drain_report *out)
{
	uint64_t t0 = http_now_ms(), deadline = t0 + timeout_ms;
	struct admit_stats st;
	struct http_pool_stats ps;
	memset(out, 0, sizeof *out);
	atomic_store(&s->draining, true);          /* answers: Connection: close */
	http_metrics_set_ready(s->metrics, false); /* /readyz: 503 */
	unsigned long long done0 = atomic_load(&s->completed);
	admit_get_stats(s->admit, &st);
	uint64_t closed0 = st.drained + st.head_timeouts;
	out->in_flight = (unsigned)st.by_state[ADMIT_BUSY];
	http_door_close(s->door);
	bool closing_idle = false;
	for (;;) {
		admit_get_stats(s->admit, &st);
		http_pool_get_stats(s->pool, &ps);
		bool busy = st.by_state[ADMIT_BUSY] || ps.running || ps.queued;
		if ((st.open == 0 && !busy) || http_now_ms() >= deadline)
			break;
		/* Idle keep-alive connections are closed only once nothing is
		 * being served: until then a client may still send a request on
		 * one, which is answered with Connection: close, instead of
		 * meeting a connection closed under its request. */
		if (!busy && !closing_idle) {
			http_door_drain(s->door, DRAIN_IDLE_GRACE_MS);
			closing_idle = true;
		}
		sleep_ms(DRAIN_POLL_MS);
	}
	/* Out of time: what waits for the pool is told to come back; what
	 * runs is waited for (a job cannot be cut short, and its work is
	 * bounded), and its answer given a moment to go out. */
	out->refused = (unsigned)http_pool_cancel(s->pool, job_cancel);
	do {
		http_pool_get_stats(s->pool, &ps);
		if (ps.running)
			sleep_ms(DRAIN_POLL_MS);
	} while (ps.running);
	uint64_t send_by = http_now_ms() + DRAIN_SEND_GRACE_MS;
	http_door_drain(s->door, 0);
	do {
		admit_get_stats(s->admit, &st);
		if (st.by_state[ADMIT_BUSY] && http_now_ms() < send_by)
			sleep_ms(DRAIN_POLL_MS);
	} while (st.by_state[ADMIT_BUSY] && http_now_ms() < send_by);
	out->cut = (unsigned)st.by_state[ADMIT_BUSY];
	out->answered = (unsigned)(atomic_load(&s->completed) - done0);
	out->idle_closed = (unsigned)(st.drained + st.head_timeouts - closed0);
	out->ms = http_now_ms() - t0;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	atomic_store(&s->draining, true);
	http_metrics_set_ready(s->metrics, false);
	/* No connection may stay suspended when libmicrohttpd stops. */
	http_pool_cancel(s->pool, job_cancel);
	http_door_free(s->door);
	s->door = NULL;
	struct http_pool_stats ps;
	do {
		http_pool_get_stats(s->pool, &ps);
		if (ps.running)
			sleep_ms(DRAIN_POLL_MS);
	} while (ps.running);
	server_free(s);
}
