/* test_http_accesslog.c - the access log (http/accesslog.h): secrets
 * redacted (the table tests/data/http/redact.cases), lines in the
 * combined format and as JSON exactly as documented, nothing a request
 * sends able to break a line, and the writer: every line queued reaches
 * the file, a reopen moves to a new file, and a writer stuck on a full
 * pipe makes lines drop - counted - instead of blocking. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "http/accesslog.h"
#include "util/utf8.h"

#define CASES "data/http/redact.cases"
#define FLOOD_LINES 5000
#define SMALL_BUFFER 4096

static void test_redaction_table(void)
{
	FILE *f = fopen(CASES, "r");
	CHECK_MSG(f != NULL, "cannot open %s", CASES);
	if (!f)
		return;
	char line[1024];
	int n = 0, lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		CHECK_MSG(tab != NULL, "%s:%d: no tab", CASES, lineno);
		if (!tab)
			continue;
		*tab = '\0';
		struct buf b = BUF_INIT;
		http_log_redact(line, &b);
		CHECK_MSG(!strcmp(buf_str(&b), tab + 1), "%s:%d: %s gives %s, not %s", CASES, lineno, line,
		          buf_str(&b), tab + 1);
		buf_free(&b);
		n++;
	}
	fclose(f);
	CHECK(n >= 15);
}

static struct http_log_entry entry(void)
{
	struct http_log_entry e = {
	    .when = {.tv_sec = 1700000000, .tv_nsec = 123456789},
	    .client = "203.0.113.7",
	    .method = "GET",
	    .target = "/tiles/3/6/3.png?token=s3cret",
	    .protocol = "HTTP/1.1",
	    .status = 200,
	    .bytes = 1234,
	    .seconds = 0.000412,
	    .cache = "hit",
	    .referer = "http://a.example/map?api_key=k1",
	    .user_agent = "curl/7.88",
	    .route = "tile",
	};
	return e;
}

static void test_formats(void)
{
	struct http_log_entry e = entry();
	struct buf b = BUF_INIT;
	http_log_format(HTTP_LOG_COMBINED, &e, &b);
	CHECK_STR(buf_str(&b),
	          "203.0.113.7 - - [14/Nov/2023:22:13:20 +0000] \"GET /tiles/3/6/3.png?token=REDACTED "
	          "HTTP/1.1\" 200 1234 \"http://a.example/map?api_key=REDACTED\" \"curl/7.88\" "
	          "0.000412 hit\n");
	buf_reset(&b);
	http_log_format(HTTP_LOG_JSON, &e, &b);
	CHECK_STR(buf_str(&b),
	          "{\"time\":\"2023-11-14T22:13:20.123Z\",\"client\":\"203.0.113.7\",\"method\":\"GET\","
	          "\"target\":\"/tiles/3/6/3.png?token=REDACTED\",\"protocol\":\"HTTP/1.1\","
	          "\"status\":200,\"bytes\":1234,\"duration_s\":0.000412,\"cache\":\"hit\","
	          "\"referer\":\"http://a.example/map?api_key=REDACTED\",\"user_agent\":\"curl/7.88\","
	          "\"route\":\"tile\"}\n");
	/* absent values: "-" and null; no body is "-" */
	e.cache = e.referer = e.user_agent = e.route = NULL;
	e.bytes = 0;
	e.status = 404;
	buf_reset(&b);
	http_log_format(HTTP_LOG_COMBINED, &e, &b);
	CHECK(strstr(buf_str(&b), "\" 404 - \"-\" \"-\" 0.000412 -\n") != NULL);
	buf_reset(&b);
	http_log_format(HTTP_LOG_JSON, &e, &b);
	CHECK(strstr(buf_str(&b), "\"cache\":null,\"referer\":null,\"user_agent\":null,\"route\":null}\n") !=
	      NULL);
	buf_free(&b);
}

/* What a client controls - the target, Referer, User-Agent - cannot end a
 * line early, close a quoted field or put ill-formed UTF-8 in JSON. */
static void test_hostile_fields(void)
{
	struct http_log_entry e = entry();
	e.user_agent = "evil\"\n127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 1\\\x01\xff\xc3\xa9";
	e.target = "/a\"b";
	struct buf b = BUF_INIT;
	http_log_format(HTTP_LOG_COMBINED, &e, &b);
	CHECK(strchr(buf_str(&b), '\n') == buf_str(&b) + b.len - 1);
	CHECK(strstr(buf_str(&b), "\"evil\\x22\\x0A127.0.0.1 - - [x] \\x22GET / HTTP/1.1\\x22 200 "
	                          "1\\x5C\\x01\\xFF\\xC3\\xA9\"") != NULL);
	CHECK(strstr(buf_str(&b), "\"GET /a\\x22b HTTP/1.1\"") != NULL);
	buf_reset(&b);
	http_log_format(HTTP_LOG_JSON, &e, &b);
	CHECK(strchr(buf_str(&b), '\n') == buf_str(&b) + b.len - 1);
	CHECK(utf8_valid(b.data, b.len));
	CHECK(strstr(buf_str(&b),
	             "\"user_agent\":\"evil\\\"\\u000a127.0.0.1 - - [x] \\\"GET / HTTP/1.1\\\" 200 "
	             "1\\\\\\u0001\xEF\xBF\xBD\xC3\xA9\"") != NULL);
	buf_free(&b);
}

static char tmpdir[] = "/tmp/mapsvc-accesslog-XXXXXX";

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;
	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static void test_file_and_reopen(void)
{
	char path[256], moved[256];
	snprintf(path, sizeof path, "%s/access.log", tmpdir);
	snprintf(moved, sizeof moved, "%s/access.log.1", tmpdir);
	struct http_log *l = NULL;
	struct ms_error err = {0};
	CHECK(http_log_open(path, HTTP_LOG_JSON, 0, &l, &err) == MS_OK);
	struct http_log_entry e = entry();
	for (int i = 0; i < 10; i++)
		http_log_write(l, &e);
	/* logrotate: rename, then ask for a reopen; the lines before it stay
	 * in the old file */
	while (count_lines(path) < 10)
		usleep(1000);
	CHECK(rename(path, moved) == 0);
	http_log_reopen(l);
	struct http_log_stats st;
	do {
		usleep(1000);
		http_log_get_stats(l, &st);
	} while (!st.reopens);
	for (int i = 0; i < 3; i++)
		http_log_write(l, &e);
	http_log_close(l); /* writes what is buffered */
	CHECK_INT((int)count_lines(moved), 10);
	CHECK_INT((int)count_lines(path), 3);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640);
	unlink(path);
	unlink(moved);
	/* a path that cannot be opened says which and why */
	CHECK(http_log_open("/nonexistent-dir/x.log", HTTP_LOG_JSON, 0, &l, &err) == MS_EIO);
	CHECK(strstr(err.msg, "/nonexistent-dir/x.log") != NULL);
}

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[8192];
	size_t lines = 0;
	ssize_t k;
	while ((k = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < k; i++)
			lines += buf[i] == '\n';
	return (void *)lines;
}

/* Nobody reads the pipe: the writer blocks once it is full, the buffer
 * fills, and further lines are dropped at once, never waited for. */
static void test_full_buffer_drops(void)
{
	char fifo[256];
	snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
	CHECK(mkfifo(fifo, 0600) == 0);
	int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0);
	struct http_log *l = NULL;
	struct ms_error err = {0};
	CHECK(http_log_open(fifo, HTTP_LOG_COMBINED, SMALL_BUFFER, &l, &err) == MS_OK);
	struct http_log_entry e = entry();
	for (int i = 0; i < FLOOD_LINES; i++)
		http_log_write(l, &e);
	struct http_log_stats st;
	http_log_get_stats(l, &st);
	CHECK(st.dropped > 0);
	CHECK_INT((int)(st.lines + st.dropped), FLOOD_LINES);
	/* now read it all: every line queued arrives, whole */
	fcntl(rfd, F_SETFL, 0);
	pthread_t t;
	pthread_create(&t, NULL, drain, &rfd);
	http_log_close(l);
	void *got;
	pthread_join(t, &got);
	CHECK_INT((int)(size_t)got, (int)st.lines);
	close(rfd);
	unlink(fifo);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	CHECK(mkdtemp(tmpdir) != NULL);
	test_redaction_table();
	test_formats();
	test_hostile_fields();
	test_file_and_reopen();
	test_full_buffer_drops();
	rmdir(tmpdir);
	return CHECK_DONE();
}
