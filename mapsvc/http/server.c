/*
 * server.c - libmicrohttpd set-up, limits and dispatch: the route table
 * and HTTP, nothing of the map (each request acquires the map service's
 * current generation for its handler, http.h); the request counters are
 * metrics.c's.
 *
 * Mode: an internal pool of epoll threads with MHD_USE_TURBO, measured as
 * the fastest on the target machines; a pool of one thread stalls under
 * many keep-alive connections, so the pool always has two or more.
 *
 * Two behaviours of libmicrohttpd 0.9.75 shape the code:
 *  - queueing the answer during the first access-handler call makes it
 *    close keep-alive connections, so the first call only sets up the
 *    request state and the answer is queued on the next one;
 *  - a request line or header block that does not fit in the connection's
 *    memory pool is answered with libmicrohttpd's own HTML page (414 or
 *    431).  The pool is therefore many times larger than the limits
 *    checked here, so over-long requests up to about the pool's size
 *    (HTTP_POOL_BYTES, 128 KiB) reach the handler and get a problem+json
 *    answer.  Only a request line or header block larger than the whole
 *    pool still gets libmicrohttpd's page: 0.9.75 has no hook for it, and
 *    a larger pool costs every request (see HTTP_POOL_BYTES).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <xxhash.h>

#include "../util/etag.h"
#include "../util/mem.h"
#include "handlers.h"
#include "metrics.h"

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_config cfg;
	unsigned port;
	char listen_base[128]; /* http://host:port, when there is no Host header */
	struct http_metrics *metrics;
};

/* Per-request state, created by the URI log callback (which sees the raw
 * request target and so its true length) and freed on completion. */
struct request {
	struct timespec start;
	size_t uri_len;
	bool seen;
	/* What a reused prepared answer points into, held until libmicrohttpd
	 * has sent it (request_completed). */
	void (*hold_release)(void *arg);
	void *hold_arg;
};

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	struct request *rq = xcalloc(1, sizeof *rq);
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	rq->uri_len = strlen(uri);
	return rq;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	struct request *rq = *con_cls;
	if (rq && rq->hold_release)
		rq->hold_release(rq->hold_arg);
	free(rq);
	*con_cls = NULL;
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

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* A Host header is echoed into links, so only a plausible host[:port]
 * is used (RFC 3986 §3.2.2 reg-name / IP-literal characters). */
static bool host_ok(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 255)
		return false;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-:[]_", *p)))
			return false;
	return true;
}

static void record(struct http_server *s, int route, int status, const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
	http_metrics_record(s->metrics, route, status, secs);
}

/* Routes and runs one request; fills r.  Returns the route index or -1. */
static int dispatch(struct http_server *s, struct MHD_Connection *conn, const char *url, const char *method,
                    const struct request *rq, struct http_response *r)
{
	size_t header_bytes = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header, &header_bytes);
	if (rq->uri_len > HTTP_MAX_URI) {
		http_problem(r, 414, "the request target is %zu bytes long; the limit is %d", rq->uri_len,
		             HTTP_MAX_URI);
		return -1;
	}
	if (header_bytes > HTTP_MAX_HEADERS) {
		http_problem(r, 431, "the request headers take %zu bytes; the limit is %d", header_bytes,
		             HTTP_MAX_HEADERS);
		return -1;
	}

	struct http_ctx c = {
	    .cfg = &s->cfg, .metrics = s->metrics, .path = url, .method = method, .conn_ = conn};
	size_t caplen = strlen(url) + 1;
	char *capbuf = xmalloc(caplen);
	int route = http_route_match(url, c.captures, capbuf, caplen, &c.ncaptures);
	if (route < 0) {
		http_problem(r, 404, "no resource at '%.200s'", url);
		goto done;
	}
	const struct http_route *rt = &http_routes[route];
	bool is_get = !strcmp(method, "GET"), is_head = !strcmp(method, "HEAD");
	if (!strcmp(method, "OPTIONS")) {
		/* CORS preflight (Fetch standard): the methods this resource takes. */
		r->status = 204;
		http_add_header(r, "Allow", rt->methods);
		http_add_header(r, "Access-Control-Allow-Methods", rt->methods);
		http_add_header(r, "Access-Control-Allow-Headers", "Accept, If-None-Match");
		goto done;
	}
	if (!is_get && !is_head) {
		http_problem(r, 405, "method %.20s is not allowed on %.200s; allowed: %s", method, url,
		             rt->methods);
		http_add_header(r, "Allow", rt->methods);
		goto done;
	}
	struct param_collect pc = {.c = &c};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &pc);
	if (pc.overflow) {
		http_problem(r, 400, "more than %d query parameters", HTTP_MAX_PARAMS);
		goto done;
	}

	char base[HTTP_BASE_URL_MAX];
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (s->cfg.public_url) {
		snprintf(base, sizeof base, "%s", s->cfg.public_url);
		size_t n = strlen(base);
		while (n > 0 && base[n - 1] == '/')
			base[--n] = '\0';
	} else if (host && host_ok(host)) {
		snprintf(base, sizeof base, "http://%s", host);
	} else {
		snprintf(base, sizeof base, "%s", s->listen_base);
	}
	c.base_url = base;

	/* One generation for the whole request, whatever a reload does. */
	struct mapservice_gen *gen = mapservice_acquire(s->cfg.maps);
	c.gen = gen;
	c.snap = gen->snap;
	http_route_handle(rt, &c, r);
	mapservice_release(gen);
done:
	free(capbuf);
	return route;
}

static void add_headers(struct http_server *s, struct MHD_Response *resp, const struct http_response *r,
                        const char *etag)
{
	if (r->status != 204 && r->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (s->cfg.cors)
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", s->cfg.cors);
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
}

static void destroy_prepared(void *resp)
{
	MHD_destroy_response(resp);
}

/*
 * A 200 for an entity whose owner keeps a prepared answer (a cached tile):
 * libmicrohttpd responses are reference-counted and may be queued on any
 * number of connections at once, so one built response serves every later
 * request for the entity, saving its allocation and header copies on the
 * hot path.  It points into the entity's bytes without holding them, so
 * the request holds its reference to the entity until libmicrohttpd is
 * done with it (request_completed).
 */
static enum MHD_Result send_prepared(struct http_server *s, struct MHD_Connection *conn, struct request *rq,
                                     struct http_response *r, const char *etag)
{
	struct MHD_Response *resp = r->ext_aux(r->ext_arg);
	if (!resp) {
		struct MHD_Response *mine =
		    MHD_create_response_from_buffer(r->ext_len, (void *)r->ext_body, MHD_RESPMEM_PERSISTENT);
		if (!mine)
			return MHD_NO;
		add_headers(s, mine, r, etag);
		resp = r->ext_attach(r->ext_arg, mine, destroy_prepared); /* frees mine if another won */
	}
	rq->hold_release = r->ext_release;
	rq->hold_arg = r->ext_arg;
	r->ext_release = NULL; /* the request's now */
	return MHD_queue_response(conn, (unsigned)r->status, resp);
}

static enum MHD_Result send_response(struct http_server *s, struct MHD_Connection *conn, struct request *rq,
                                     struct http_response *r)
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
	if (r->status == 200 && !r->body.len && r->ext_body && r->ext_len && r->ext_aux && r->ext_attach &&
	    !rq->hold_release)
		return send_prepared(s, conn, rq, r, etag);
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
	add_headers(s, resp, r, etag);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
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

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
	(void)version, (void)upload_data;
	struct http_server *s = cls;
	struct request *rq = *con_cls;
	if (!rq) /* the URI logger always runs first; this is belt and braces */
		*con_cls = rq = uri_logger(NULL, url, conn);
	if (!rq->seen) {
		rq->seen = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* No route takes a body: discard it, then answer (405). */
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct http_response r = {.status = 200, .content_type = "application/json"};
	int route = dispatch(s, conn, url, method, rq, &r);
	record(s, route, r.status, &rq->start);
	enum MHD_Result ret = send_response(s, conn, rq, &r);
	response_free(&r);
	return ret;
}

/* The daemon's address of cfg: a numeric IPv4 or IPv6 host and the port.
 * Adds MHD_USE_IPv6 to *flags for an IPv6 one. */
static enum ms_status listen_addr(const struct http_config *cfg, struct sockaddr_storage *ss, unsigned *flags,
                                  struct ms_error *err)
{
	memset(ss, 0, sizeof *ss);
	const char *host = cfg->host ? cfg->host : "127.0.0.1";
	if (cfg->port > 65535)
		return ms_fail(err, MS_EUSAGE, "port %u is out of range", cfg->port);
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->port);
		*flags |= MHD_USE_IPv6;
	} else {
		return ms_fail(err, MS_EUSAGE, "listen address '%s' is not a numeric IPv4 or IPv6 address",
		               host);
	}
	return MS_OK;
}

struct http_server *http_server_start(const struct http_config *cfg, struct ms_error *err)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
	if (listen_addr(cfg, &ss, &flags, err) != MS_OK)
		return NULL;
	struct mapservice_gen *gen = mapservice_acquire(cfg->maps);
	if (!gen) {
		ms_fail(err, MS_EINTERNAL, "the map service has nothing loaded to serve");
		return NULL;
	}
	mapservice_release(gen);

	struct http_server *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	if (s->cfg.threads < 2)
		s->cfg.threads = 2;
	s->metrics = http_metrics_new();
	s->daemon = MHD_start_daemon(
	    flags, (uint16_t)cfg->port, NULL, NULL, access_handler, s, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_POOL_BYTES,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, (void *)s, MHD_OPTION_NOTIFY_COMPLETED,
	    request_completed, (void *)s, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
	const char *host = cfg->host ? cfg->host : "127.0.0.1";
	if (!s->daemon) {
		ms_fail(err, MS_EIO, "cannot listen on %s port %u (in use, or not an address of this host)",
		        host, cfg->port);
		http_server_stop(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	snprintf(s->listen_base, sizeof s->listen_base, strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u",
	         host, s->port);
	return s;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	http_metrics_free(s->metrics);
	free(s);
}
