/* h_ops.c - operations: /healthz (liveness: the process answers, with
 * the data it serves), /readyz (readiness: 503 once a stop has begun, so
 * a load balancer sends no more) and /metrics (Prometheus text
 * exposition format 0.0.4). */
#include <stdio.h>

#include "../util/jsonw.h"
#include "handlers.h"

const struct http_params h_ops_params = {NULL, 0};

void h_healthz(struct http_ctx *c, struct http_response *r)
{
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "status");
	jw_string(&w, "ok");
	jw_key(&w, "sites");
	jw_int(&w, (int64_t)c->snap->n);
	char v[24];
	snprintf(v, sizeof v, "%016llx", (unsigned long long)c->snap->version);
	jw_key(&w, "data_version");
	jw_string(&w, v);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

void h_readyz(struct http_ctx *c, struct http_response *r)
{
	if (!http_server_ready(c)) {
		http_problem(r, 503, "the server is stopping: it answers the requests it has and takes no new ones");
		return;
	}
	struct jsonw w;
	jw_init(&w, &r->body);
	jw_object_begin(&w);
	jw_key(&w, "status");
	jw_string(&w, "ready");
	jw_key(&w, "sites");
	jw_int(&w, (int64_t)c->snap->n);
	jw_object_end(&w);
	buf_putc(&r->body, '\n');
}

void h_metrics(struct http_ctx *c, struct http_response *r)
{
	http_metrics_write(c, &r->body);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
