/*
 * cmd_health.c - `mapsvc health`: exits 0 only when a server answers its
 * readiness URL with 200 within the timeout; for Docker's HEALTHCHECK
 * and other probes where the slim image has no curl.
 *
 * A minimal HTTP/1.1 client over a socket: resolve (getaddrinfo), connect
 * without blocking, send one GET with Connection: close, read the status
 * line, all within one deadline.  Only the status line matters: /readyz
 * is 200 while the server is serving and 503 once it stops; a server that
 * is hung, not listening, or answering anything but 200 is not ready.
 *
 * The default URL follows the server's own configuration, so the same
 * environment that starts `serve` probes it: http:// and MAPSVC_LISTEN's
 * address (a wildcard 0.0.0.0 or :: becomes the loopback), else
 * 127.0.0.1:8080, and /readyz.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_PATH "/readyz"
#define DEFAULT_TIMEOUT_S 5.0
#define MAX_TIMEOUT_S 3600.0
#define HTTP_DEFAULT_PORT "80"
#define URL_MAX 1024
#define STATUS_LINE_MAX 256
#define MS_PER_S 1000.0
#define NS_PER_MS 1000000L
#define HTTP_OK 200

static const char usage_text[] =
    "usage: mapsvc health [--url URL] [--timeout S]\n"
    "\n"
    "Exits 0 if the server at URL answers 200 (ready) within S seconds, 1 otherwise (refused,\n"
    "no answer in time, 503 while stopping, any other status), 2 on a usage error.\n"
    "\n"
    "  --url URL      http://HOST[:PORT][/PATH] (default: http://127.0.0.1:8080/readyz, or the\n"
    "                 address of MAPSVC_LISTEN, a wildcard address as the loopback; a URL\n"
    "                 without a path asks /readyz)\n"
    "  --timeout S    seconds for the whole exchange (default 5)\n";

/* A URL taken apart: host (no brackets), port and path, in one buffer. */
struct target {
	char buf[URL_MAX], path[URL_MAX];
	const char *host, *port;
};

/* Splits "http://host[:port][/path]"; false when it is not such a URL. */
static bool parse_url(const char *url, struct target *t)
{
	const char *scheme = "http://";
	if (strncmp(url, scheme, strlen(scheme)) || strlen(url) >= URL_MAX - 2)
		return false;
	char *p = t->buf;
	snprintf(t->buf, sizeof t->buf, "%s", url + strlen(scheme));
	char *slash = strchr(p, '/');
	snprintf(t->path, sizeof t->path, "%s", slash ? slash : DEFAULT_PATH);
	if (slash)
		*slash = '\0';
	t->port = HTTP_DEFAULT_PORT;
	if (*p == '[') { /* [v6]:port */
		char *close = strchr(p, ']');
		if (!close || (close[1] && close[1] != ':'))
			return false;
		*close = '\0';
		t->host = p + 1;
		if (close[1] == ':')
			t->port = close + 2;
	} else {
		char *colon = strchr(p, ':');
		if (colon) {
			*colon = '\0';
			t->port = colon + 1;
		}
		t->host = p;
	}
	long n;
	return *t->host && cli_parse_int(t->port, 1, 65535, &n);
}

/* The default URL: MAPSVC_LISTEN's address, its wildcard as loopback. */
static void default_url(char *out, size_t size)
{
	const char *listen = getenv("MAPSVC_LISTEN");
	if (!listen || !*listen)
		listen = DEFAULT_LISTEN;
	const char *colon = strrchr(listen, ':');
	const char *port = colon ? colon + 1 : "8080";
	int hn = colon ? (int)(colon - listen) : (int)strlen(listen);
	if (!strncmp(listen, "0.0.0.0:", strlen("0.0.0.0:")))
		snprintf(out, size, "http://127.0.0.1:%s%s", port, DEFAULT_PATH);
	else if (!strncmp(listen, "[::]:", strlen("[::]:")))
		snprintf(out, size, "http://[::1]:%s%s", port, DEFAULT_PATH);
	else
		snprintf(out, size, "http://%.*s:%s%s", hn, listen, port, DEFAULT_PATH);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * (long long)MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

/* Waits for events on fd until the deadline; false when time ran out. */
static bool wait_for(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = fd, .events = events};
		int k = poll(&p, 1, (int)left);
		if (k > 0)
			return true;
		if (k < 0 && errno != EINTR)
			return false;
	}
}

/* A connected socket to one of host:port's addresses, or -1 with why. */
static int connect_to(const struct target *t, long long deadline, const char **why)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc != 0) {
		*why = gai_strerror(rc);
		return -1;
	}
	int fd = -1;
	*why = "connection refused";
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		int err = 0;
		socklen_t len = sizeof err;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 &&
		    (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline) ||
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
			*why = err                    ? strerror(err)
			       : errno == EINPROGRESS ? "no connection in time"
			                              : strerror(errno);
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* Sends the request and reads the status code; -1 with why on failure. */
static int exchange(int fd, const struct target *t, long long deadline, const char **why)
{
	char req[URL_MAX + STATUS_LINE_MAX];
	bool v6 = strchr(t->host, ':') != NULL;
	int n = snprintf(req, sizeof req,
	                 "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: mapsvc-health\r\n"
	                 "Connection: close\r\n\r\n",
	                 t->path, v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
	for (int sent = 0; sent < n;) {
		ssize_t k = wait_for(fd, POLLOUT, deadline)
		                ? send(fd, req + sent, (size_t)(n - sent), MSG_NOSIGNAL)
		                : -1;
		if (k <= 0)
			return *why = "the request could not be sent", -1;
		sent += (int)k;
	}
	char line[STATUS_LINE_MAX];
	size_t got = 0;
	while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
		if (!wait_for(fd, POLLIN, deadline))
			return *why = "no answer in time", -1;
		ssize_t k = recv(fd, line + got, sizeof line - 1 - got, 0);
		if (k <= 0)
			return *why = "the connection closed without an answer", -1;
		got += (size_t)k;
	}
	line[got] = '\0';
	int status;
	if (sscanf(line, "HTTP/1.%*1[01] %3d", &status) != 1)
		return *why = "the answer is not HTTP/1.x", -1;
	return status;
}

/* --url and --timeout into url and secs; EXIT_OK, -1 after --help, or the
 * usage error's status. */
static int parse_options(int argc, char **argv, const char **url, double *secs)
{
	static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return fputs(usage_text, stdout), -1;
		if (ch == ':')
			return cli_usage_error("health", "%s needs a value", argv[optind - 1]);
		if (ch == '?')
			return cli_usage_error("health", "unknown option '%s'", argv[optind - 1]);
		if (ch == 'u')
			*url = optarg;
		else if (!cli_parse_double(optarg, secs) || *secs <= 0 || *secs > MAX_TIMEOUT_S)
			return cli_usage_error("health",
			                       "--timeout: '%s' is not a number of seconds in (0, %g]",
			                       optarg, MAX_TIMEOUT_S);
	}
	if (optind < argc)
		return cli_usage_error("health", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

int cmd_health(int argc, char **argv)
{
	char dflt[URL_MAX];
	default_url(dflt, sizeof dflt);
	const char *url = dflt;
	double secs = DEFAULT_TIMEOUT_S;
	int rc = parse_options(argc, argv, &url, &secs);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	struct target t;
	if (!parse_url(url, &t))
		return cli_usage_error("health", "--url: '%s' is not http://HOST[:PORT][/PATH]", url);
	long long deadline = now_ms() + (long long)(secs * MS_PER_S);
	const char *why = NULL;
	int fd = connect_to(&t, deadline, &why);
	int status = fd >= 0 ? exchange(fd, &t, deadline, &why) : -1;
	if (fd >= 0)
		close(fd);
	if (status == HTTP_OK) {
		printf("mapsvc health: ready: %s answered %d\n", url, status);
		return EXIT_OK;
	}
	if (status > 0)
		fprintf(stderr, "mapsvc health: not ready: %s answered %d\n", url, status);
	else
		fprintf(stderr, "mapsvc health: not ready: %s: %s\n", url, why);
	return EXIT_FAIL;
}
