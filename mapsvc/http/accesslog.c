/*
 * accesslog.c - the access log; see accesslog.h.
 *
 * Two buffers of buffer_bytes each: request threads append to the active
 * one under the mutex; the writer swaps it with the spare (empty) one and
 * writes the spare out with the mutex released, so a slow write holds up
 * nobody, and lines written while it runs collect in the new active
 * buffer, to go out in the next write, as one system call.  The writer is
 * woken when the active buffer stops being empty, so at low load a line
 * reaches the file at once, and at high load lines go out in batches.
 */
#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../util/mem.h"
#include "../util/utf8.h"

/* A new log file's mode: the owner writes, the group (operators) reads. */
#define LOG_FILE_MODE 0640
#define NS_PER_MS 1000000L

/* ------------------------------------------------------------ formats */

bool http_log_format_parse(const char *s, enum http_log_format *out)
{
	if (!strcmp(s, "combined"))
		*out = HTTP_LOG_COMBINED;
	else if (!strcmp(s, "json"))
		*out = HTTP_LOG_JSON;
	else
		return false;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool http_log_secret_key(const char *key, size_t n)
{
	/* Substrings of the names credentials go by (api_key, apikey,
	 * access_token, X-Amz-Signature, sig, password, passwd, auth,
	 * client_secret, sessionid, jwt): none is part of a mapsvc parameter,
	 * and a false positive costs only a redacted value. */
	static const char *const marks[] = {"key", "token",   "secret",     "passw", "auth",
	                                    "sig", "session", "credential", "jwt"};
	char low[64];
	size_t o = 0;
	/* decoded, so "%74oken" is "token" */
	for (size_t i = 0; i < n && o + 1 < sizeof low; i++) {
		int hi, lo;
		char ch = key[i];
		if (ch == '%' && i + 2 < n && (hi = hex_value(key[i + 1])) >= 0 &&
		    (lo = hex_value(key[i + 2])) >= 0) {
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		low[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
	}
	low[o] = '\0';
	for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++)
		if (strstr(low, marks[k]))
			return true;
	return false;
}

void http_log_redact(const char *target, struct buf *out)
{
	const char *q = strchr(target, '?');
	if (!q) {
		buf_puts(out, target);
		return;
	}
	buf_append(out, target, (size_t)(q - target) + 1);
	for (const char *p = q + 1;;) {
		size_t n = strcspn(p, "&;");
		size_t kn = strcspn(p, "=&;");
		if (kn < n && http_log_secret_key(p, kn)) {
			buf_append(out, p, kn + 1);
			buf_puts(out, HTTP_LOG_REDACTED);
		} else {
			buf_append(out, p, n);
		}
		if (!p[n])
			break;
		buf_putc(out, p[n]);
		p += n + 1;
	}
}

/* s in double quotes for the combined format: anything but printable
 * ASCII, and '"' and '\', as \xHH. */
static void combined_string(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!s) {
		buf_putc(out, '-');
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
			char e[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
			buf_append(out, e, sizeof e);
		} else {
			buf_putc(out, (char)*p);
		}
	}
}

/* A JSON string (RFC 8259 §7), ill-formed UTF-8 as U+FFFD; null for NULL. */
static void json_string(struct buf *out, const char *s)
{
	if (!s) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '"');
	for (const char *p = s; *p;) {
		uint32_t cp;
		int n = utf8_decode(p, &cp);
		if (cp == '"' || cp == '\\')
			buf_printf(out, "\\%c", (char)cp);
		else if (cp < 0x20 || cp == 0x7f)
			buf_printf(out, "\\u%04x", (unsigned)cp);
		else if (cp == UTF8_REPLACEMENT)
			buf_puts(out, "\xEF\xBF\xBD");
		else
			buf_append(out, p, (size_t)n);
		p += n;
	}
	buf_putc(out, '"');
}

static void format_combined(const struct http_log_entry *e, const char *target, const char *referer,
                            struct buf *out)
{
	struct tm tm;
	char when[40];
	localtime_r(&e->when.tv_sec, &tm);
	strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S %z", &tm);
	combined_string(out, e->client);
	buf_printf(out, " - - [%s] \"", when);
	combined_string(out, e->method);
	buf_putc(out, ' ');
	combined_string(out, target);
	buf_putc(out, ' ');
	combined_string(out, e->protocol);
	buf_printf(out, "\" %d ", e->status);
	if (e->bytes)
		buf_printf(out, "%llu", e->bytes);
	else
		buf_putc(out, '-');
	buf_puts(out, " \"");
	combined_string(out, referer);
	buf_puts(out, "\" \"");
	combined_string(out, e->user_agent);
	buf_printf(out, "\" %.6f %s\n", e->seconds, e->cache ? e->cache : "-");
}

static void json_member(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, ",\"%s\":", name);
	json_string(out, value);
}

static void format_json(const struct http_log_entry *e, const char *target, const char *referer,
                        struct buf *out)
{
	struct tm tm;
	char when[32];
	gmtime_r(&e->when.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(out, "{\"time\":\"%s.%03ldZ\"", when, e->when.tv_nsec / NS_PER_MS);
	json_member(out, "client", e->client);
	json_member(out, "method", e->method);
	json_member(out, "target", target);
	json_member(out, "protocol", e->protocol);
	buf_printf(out, ",\"status\":%d,\"bytes\":%llu,\"duration_s\":%.6f", e->status, e->bytes, e->seconds);
	json_member(out, "cache", e->cache);
	json_member(out, "referer", referer);
	json_member(out, "user_agent", e->user_agent);
	json_member(out, "route", e->route);
	buf_puts(out, "}\n");
}

void http_log_format(enum http_log_format f, const struct http_log_entry *e, struct buf *out)
{
	struct buf target = BUF_INIT, referer = BUF_INIT;
	http_log_redact(e->target ? e->target : "", &target);
	if (e->referer)
		http_log_redact(e->referer, &referer);
	const char *ref = e->referer ? buf_str(&referer) : NULL;
	if (f == HTTP_LOG_JSON)
		format_json(e, buf_str(&target), ref, out);
	else
		format_combined(e, buf_str(&target), ref, out);
	buf_free(&target);
	buf_free(&referer);
}

/* ------------------------------------------------------------- writer */

struct http_log {
	enum http_log_format format;
	char *path; /* NULL: standard output */
	int fd;
	size_t cap;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the writer: something to write, to reopen, or to stop */
	char *active, *spare;
	size_t used;
	bool reopen, stop;
	struct http_log_stats st;
	pthread_t writer;
};

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, LOG_FILE_MODE);
}

/* Writes n bytes out, however many calls it takes; false on an error. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Under l->mu: opens the path again, keeping the old file on failure. */
static void reopen_locked(struct http_log *l)
{
	l->reopen = false;
	if (!l->path)
		return;
	int fd = open_log(l->path);
	if (fd < 0) {
		l->st.reopen_errors++;
		return;
	}
	close(l->fd);
	l->fd = fd;
	l->st.reopens++;
}

static void *writer_main(void *arg)
{
	struct http_log *l = arg;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->used && !l->reopen && !l->stop)
			pthread_cond_wait(&l->wake, &l->mu);
		if (l->used) {
			/* Lines buffered before a reopen go to the old file. */
			char *out = l->active;
			size_t n = l->used;
			l->active = l->spare;
			l->spare = out;
			l->used = 0;
			int fd = l->fd;
			pthread_mutex_unlock(&l->mu);
			bool ok = write_all(fd, out, n);
			pthread_mutex_lock(&l->mu);
			if (!ok)
				l->st.write_errors++;
			continue; /* what came meanwhile, before anything else */
		}
		if (l->reopen)
			reopen_locked(l);
		if (l->stop)
			break;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

enum ms_status http_log_open(const char *path, enum http_log_format f, size_t buffer_bytes,
                             struct http_log **out, struct ms_error *err)
{
	*out = NULL;
	bool to_stdout = !strcmp(path, "-");
	int fd = to_stdout ? STDOUT_FILENO : open_log(path);
	if (fd < 0)
		return ms_fail(err, MS_EIO, "access log %s: %s", path, strerror(errno));
	struct http_log *l = xcalloc(1, sizeof *l);
	l->format = f;
	l->path = to_stdout ? NULL : xstrdup(path);
	l->fd = fd;
	l->cap = buffer_bytes ? buffer_bytes : HTTP_LOG_BUFFER_BYTES;
	/* mostly empty: memory only for what a burst of lines fills */
	l->active = xmalloc_lazy(l->cap);
	l->spare = xmalloc_lazy(l->cap);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->wake, NULL);
	if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
		l->stop = true; /* nothing to join */
		http_log_close(l);
		return ms_fail(err, MS_EIO, "access log %s: cannot start its writer thread", path);
	}
	*out = l;
	return MS_OK;
}

void http_log_write(struct http_log *l, const struct http_log_entry *e)
{
	struct buf line = BUF_INIT;
	http_log_format(l->format, e, &line);
	pthread_mutex_lock(&l->mu);
	if (l->used + line.len > l->cap) {
		l->st.dropped++;
	} else {
		memcpy(l->active + l->used, line.data, line.len);
		if (!l->used)
			pthread_cond_signal(&l->wake);
		l->used += line.len;
		l->st.lines++;
	}
	pthread_mutex_unlock(&l->mu);
	buf_free(&line);
}

void http_log_reopen(struct http_log *l)
{
	pthread_mutex_lock(&l->mu);
	l->reopen = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
}

void http_log_get_stats(struct http_log *l, struct http_log_stats *st)
{
	pthread_mutex_lock(&l->mu);
	*st = l->st;
	pthread_mutex_unlock(&l->mu);
}

void http_log_close(struct http_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	bool started = !l->stop;
	l->stop = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
	if (started)
		pthread_join(l->writer, NULL); /* it writes what is buffered first */
	if (l->path)
		close(l->fd);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->mu);
	free(l->active);
	free(l->spare);
	free(l->path);
	free(l);
}
