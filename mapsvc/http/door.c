/*
 * door.c - the accept loop of door.h.
 *
 * One epoll set holds the listening socket, an eventfd for commands from
 * other threads, and the accepted sockets whose first request head is not
 * complete yet.  Each time such a socket becomes readable its bytes are
 * peeked (recv with MSG_PEEK, up to the head limit) and scanned again
 * from the start.  That is quadratic in the number of reads for a head
 * that trickles in, but the head is bounded (max_head) and a trickling
 * client gets few reads before its deadline, while a whole head usually
 * arrives in one segment and is scanned once.  The watch is edge-
 * triggered: peeked bytes stay in the socket, and a level-triggered watch
 * would report them again on every turn of the loop (measured: half a core
 * spent on 600 trickling sockets), where an edge comes once per segment.
 *
 * A refused request is answered, the sending side shut down, and the
 * socket kept (reading and discarding) until the client closes it or its
 * head deadline passes: closing a socket with unread input makes the
 * kernel send a reset, which can destroy the answer before the client
 * reads it (the "lingering close" of RFC 9112 §9.6).
 */
#include "door.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/mem.h"
#include "http.h"

#define MAX_EVENTS 64
/* Accepts per readiness event, so a flood of connections cannot starve
 * the sockets already accepted. */
#define ACCEPT_BATCH 64
/* After accept(2) fails for want of descriptors or memory, the listening
 * socket rests this long instead of spinning. */
#define ACCEPT_PAUSE_MS 100
/* The longest method name taken (RFC 9110 registers none longer than
 * 17 octets); longer is not a request line. */
#define METHOD_MAX 32
/* "HTTP/1.1" */
#define VERSION_LEN 8
/* The largest Content-Length libmicrohttpd takes, 2^64 - 1, as text. */
#define UINT64_MAX_TEXT "18446744073709551615"
#define UINT64_DIGITS 20
/* What the refusal's status line and headers take at most. */
#define REFUSAL_HEAD_MAX 256
/* Bytes of unread input discarded per read, and per readiness event, of
 * a refused socket (past that, the rest waits for more input to arrive,
 * or for the head deadline). */
#define DISCARD_CHUNK 4096
#define DISCARD_PER_EVENT (256 * 1024)
/* Empty lines before a request line are skipped (RFC 9112 §2.2), up to
 * this many bytes of them. */
#define EMPTY_LINES_MAX 64
#define NS_PER_MS 1000000ull
#define MS_PER_S 1000ull

struct pending {
	bool used;
	bool refused; /* answered; lingering until the client closes */
	socklen_t addrlen;
	struct sockaddr_in6 addr; /* room for AF_INET too */
};

struct http_door {
	struct door_config cfg;
	pthread_t thread;
	bool started;
	int epfd, wakefd;
	int listen_fd; /* -1 once closed */
	bool listen_paused;
	uint64_t resume_at;
	struct pending *pend;
	char *peek;
	atomic_bool close_req, stop_req;
	_Atomic uint64_t drain_grace; /* UINT64_MAX: not draining */
	pthread_mutex_t stats_lock;
	struct door_stats st;
};

uint64_t http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MS_PER_S + (uint64_t)ts.tv_nsec / NS_PER_MS;
}

static void count(struct http_door *d, uint64_t *field)
{
	pthread_mutex_lock(&d->stats_lock);
	(*field)++;
	pthread_mutex_unlock(&d->stats_lock);
}

/* admit_close_fn: runs with the table locked, so fd is still this
 * connection's; shutting it down makes its owner see the end of input
 * and close it. */
static void shut(int fd, enum admit_reason why, void *arg)
{
	(void)why, (void)arg;
	shutdown(fd, SHUT_RDWR);
}

/* Forgets and closes a socket the door holds. */
static void drop(struct http_door *d, int fd)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	d->pend[fd].used = false;
	admit_close(d->cfg.admit, fd);
	close(fd);
}

/* --- the first request head -------------------------------------------- */

/* RFC 9110 §5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Checks the request line [p, e): "METHOD SP target SP HTTP/1.x". */
static enum door_scan check_line(const char *p, const char *e, int *status, char *detail, size_t dsize)
{
	while (e > p && e[-1] == ' ')
		e--;
	const char *sp = memchr(p, ' ', (size_t)(e - p)), *last = e;
	while (last > p && last[-1] != ' ')
		last--;
	if (!sp || last - 1 == sp) {
		*status = 400;
		snprintf(detail, dsize, "the request line has no HTTP version (HTTP/0.9 is not served)");
		return DOOR_BAD;
	}
	size_t vlen = (size_t)(e - last);
	bool shape = vlen == VERSION_LEN && !memcmp(last, "HTTP/", 5) && last[5] >= '0' && last[5] <= '9' &&
	             last[6] == '.' && last[7] >= '0' && last[7] <= '9';
	if (!shape) {
		*status = 400;
		snprintf(detail, dsize, "'%.*s' is not an HTTP version (HTTP/1.1 is served)",
		         (int)(vlen > 20 ? 20 : vlen), last);
		return DOOR_BAD;
	}
	if (last[5] != '1') {
		/* RFC 9110 §15.6.6: the major version is not supported */
		*status = 505;
		snprintf(detail, dsize, "%.*s is not supported: this server speaks HTTP/1.1", VERSION_LEN,
		         last);
		return DOOR_BAD;
	}
	return DOOR_OK;
}

/* A Content-Length line must carry a number of at most 64 bits (RFC 9110
 * §8.6): libmicrohttpd would answer anything else with its own HTML page
 * (400, 413), so the door answers first. */
static enum door_scan check_content_length(const char *p, const char *e, int *status, char *detail,
                                           size_t dsize)
{
	static const char name[] = "content-length:";
	size_t nl = sizeof name - 1;
	if ((size_t)(e - p) < nl || strncasecmp(p, name, nl) != 0)
		return DOOR_OK;
	const char *v = p + nl;
	while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	size_t digits = 0;
	while (v + digits < e && v[digits] >= '0' && v[digits] <= '9')
		digits++;
	if (digits == 0 || v + digits != e) {
		*status = 400;
		snprintf(detail, dsize, "Content-Length '%.*s' is not a number",
		         (int)(e - v > 40 ? 40 : e - v), v);
		return DOOR_BAD;
	}
	while (digits > 1 && *v == '0')
		v++, digits--;
	if (digits > UINT64_DIGITS ||
	    (digits == UINT64_DIGITS && memcmp(v, UINT64_MAX_TEXT, UINT64_DIGITS) > 0)) {
		*status = 413;
		snprintf(detail, dsize, "Content-Length %.*s does not fit in 64 bits",
		         (int)(digits > 40 ? 40 : digits), v);
		return DOOR_BAD;
	}
	return DOOR_OK;
}

enum door_scan http_door_scan(const char *buf, size_t n, size_t max_line, size_t max_head, size_t max_fields,
                              int *status, char *detail, size_t dsize)
{
	const char *p = buf, *end = buf + n;
	/* RFC 9112 §2.2: empty lines before the request line are ignored */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if (p - buf > EMPTY_LINES_MAX) {
		*status = 400;
		snprintf(detail, dsize, "more than %d bytes of empty lines before the request line",
		         EMPTY_LINES_MAX);
		return DOOR_BAD;
	}
	/* The method, as far as it has come: garbage (a TLS handshake, a
	 * binary protocol) is refused at once, not after the deadline. */
	size_t m = 0;
	while (p + m < end && p[m] != ' ' && m <= METHOD_MAX) {
		if (!is_tchar((unsigned char)p[m])) {
			*status = 400;
			snprintf(detail, dsize, "not an HTTP/1.1 request: byte 0x%02x in the method",
			         (unsigned char)p[m]);
			return DOOR_BAD;
		}
		m++;
	}
	if (m > METHOD_MAX || (p + m < end && m == 0)) {
		*status = 400;
		snprintf(detail, dsize, "not an HTTP/1.1 request line: no method");
		return DOOR_BAD;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || (size_t)(nl - p) > max_line) {
		if (!nl && (size_t)(end - p) <= max_line)
			return DOOR_MORE;
		*status = 414;
		snprintf(detail, dsize,
		         "the request line is longer than %zu bytes; a request target may be %d", max_line,
		         HTTP_MAX_URI);
		return DOOR_BAD;
	}
	const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	if (check_line(p, le, status, detail, dsize) != DOOR_OK)
		return DOOR_BAD;
	/* The head ends at the first empty line. */
	size_t fields = 0;
	for (const char *q = nl; q; q = memchr(q + 1, '\n', (size_t)(end - q - 1))) {
		if (q + 1 < end && q[1] == '\n')
			return DOOR_OK;
		if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
			return DOOR_OK;
		/* nothing after this line yet, or only the '\r' of what may be
		 * the empty line: wait for more (found by fuzz_door) */
		if (q + 1 >= end || (q + 2 == end && q[1] == '\r'))
			break;
		if (++fields > max_fields) {
			*status = 431;
			snprintf(detail, dsize, "more than %zu header lines", max_fields);
			return DOOR_BAD;
		}
		/* the header line that starts here, if it has come whole */
		const char *hl = q + 1, *he = memchr(hl, '\n', (size_t)(end - hl));
		if (he && check_content_length(hl, he, status, detail, dsize) != DOOR_OK)
			return DOOR_BAD;
	}
	if (n < max_head)
		return DOOR_MORE;
	*status = 431;
	snprintf(detail, dsize,
	         "the request line and headers take more than %zu bytes; the headers may take %d", max_head,
	         HTTP_MAX_HEADERS);
	return DOOR_BAD;
}

/* Answers with a problem and starts the lingering close. */
static void refuse(struct http_door *d, int fd, int status, const char *detail)
{
	struct http_response r = {0};
	http_problem(&r, status, "%s", detail);
	char head[REFUSAL_HEAD_MAX];
	int hn =
	    snprintf(head, sizeof head,
	             "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %zu\r\n"
	             "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
	             status, http_reason(status), r.body.len);
	struct buf out = BUF_INIT;
	buf_append(&out, head, (size_t)hn);
	buf_append(&out, r.body.data, r.body.len);
	/* Small enough for an empty socket buffer: one non-blocking send. */
	(void)send(fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&out);
	buf_free(&r.body);
	shutdown(fd, SHUT_WR);
	d->pend[fd].refused = true;
	switch (status) {
	case 505: count(d, &d->st.bad_version); break;
	case 414: count(d, &d->st.line_too_long); break;
	case 431: count(d, &d->st.head_too_large); break;
	default: count(d, &d->st.bad_line); break;
	}
}

static void hand_over(struct http_door *d, int fd)
{
	struct pending *pd = &d->pend[fd];
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	pd->used = false;
	admit_set(d->cfg.admit, fd, ADMIT_HANDOFF, http_now_ms());
	/* libmicrohttpd closes the socket itself when it cannot take it. */
	if (MHD_add_connection(d->cfg.daemon, fd, (const struct sockaddr *)&pd->addr, pd->addrlen) != MHD_YES)
		admit_close(d->cfg.admit, fd);
	else
		count(d, &d->st.handed);
}

static void readable(struct http_door *d, int fd, uint32_t events)
{
	if (fd < 0 || (size_t)fd >= d->cfg.capacity || !d->pend[fd].used)
		return;
	if (d->pend[fd].refused) {
		/* edge-triggered: read what there is, up to a bound */
		char sink[DISCARD_CHUNK];
		for (size_t total = 0; total < DISCARD_PER_EVENT;) {
			ssize_t got = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
				drop(d, fd);
				return;
			}
			if (got < 0)
				return;
			total += (size_t)got;
		}
		return;
	}
	count(d, &d->st.scans);
	ssize_t n = recv(fd, d->peek, d->cfg.max_head, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(d, fd); /* closed (or shut down by a sweep) before its head came */
		return;
	}
	if (n < 0)
		return;
	int status = 0;
	char detail[256];
	switch (http_door_scan(d->peek, (size_t)n, d->cfg.max_line, d->cfg.max_head, d->cfg.max_fields,
	                       &status, detail, sizeof detail)) {
	case DOOR_MORE:
		/* The client has stopped sending: the head will never be whole. */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			drop(d, fd);
		break;
	case DOOR_OK: hand_over(d, fd); break;
	case DOOR_BAD: refuse(d, fd, status, detail); break;
	}
}

/* --- accepting ------------------------------------------------------------ */

static void pause_listening(struct http_door *d, uint64_t now)
{
	struct epoll_event ev = {.events = 0, .data.fd = d->listen_fd};
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &ev);
	d->listen_paused = true;
	d->resume_at = now + ACCEPT_PAUSE_MS;
}

static void accept_some(struct http_door *d)
{
	uint64_t now = http_now_ms();
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				count(d, &d->st.accept_errors);
				pause_listening(d, now);
			}
			return;
		}
		struct netaddr peer;
		bool ok = netaddr_from_sockaddr((struct sockaddr *)&ss, len, &peer) &&
		          len <= sizeof(struct sockaddr_in6) && (size_t)fd < d->cfg.capacity;
		bool exempt = ok && netaddr_set_contains(d->cfg.trusted, &peer);
		if (!ok || admit_open(d->cfg.admit, fd, &peer, exempt, now, shut, NULL) != ADMIT_OK) {
			close(fd);
			count(d, &d->st.refused);
			continue;
		}
		struct pending *pd = &d->pend[fd];
		memset(pd, 0, sizeof *pd);
		pd->used = true;
		pd->addrlen = len;
		memcpy(&pd->addr, &ss, len);
		/* Edge-triggered: a head in progress stays unread in the socket
		 * (it is only peeked), so a level-triggered watch would report it
		 * readable again and again; an edge comes with each new segment. */
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			drop(d, fd);
	}
}

static void close_listening(struct http_door *d)
{
	if (d->listen_fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
	close(d->listen_fd);
	d->listen_fd = -1;
}

static void *door_main(void *arg)
{
	struct http_door *d = arg;
	struct epoll_event ev[MAX_EVENTS];
	uint64_t last_sweep = http_now_ms();
	while (!atomic_load(&d->stop_req)) {
		int n = epoll_wait(d->epfd, ev, MAX_EVENTS, DOOR_TICK_MS);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == d->wakefd) {
				uint64_t v;
				(void)!read(d->wakefd, &v, sizeof v);
			} else if (fd == d->listen_fd) {
				accept_some(d);
			} else {
				readable(d, fd, ev[i].events);
			}
		}
		if (atomic_load(&d->close_req))
			close_listening(d);
		uint64_t now = http_now_ms();
		if (d->listen_paused && d->listen_fd >= 0 && now >= d->resume_at) {
			struct epoll_event le = {.events = EPOLLIN, .data.fd = d->listen_fd};
			epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &le);
			d->listen_paused = false;
		}
		if (now - last_sweep >= DOOR_TICK_MS) {
			last_sweep = now;
			admit_sweep(d->cfg.admit, now, shut, NULL);
			uint64_t grace = atomic_load(&d->drain_grace);
			if (grace != UINT64_MAX)
				admit_drain(d->cfg.admit, now, grace, shut, NULL);
		}
	}
	close_listening(d);
	for (size_t fd = 0; fd < d->cfg.capacity; fd++)
		if (d->pend[fd].used)
			drop(d, (int)fd);
	return NULL;
}

static void wake(struct http_door *d)
{
	uint64_t one = 1;
	(void)!write(d->wakefd, &one, sizeof one);
}

struct http_door *http_door_start(const struct door_config *cfg, struct ms_error *err)
{
	struct http_door *d = xcalloc(1, sizeof *d);
	d->cfg = *cfg;
	d->listen_fd = cfg->listen_fd;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	atomic_init(&d->drain_grace, UINT64_MAX);
	pthread_mutex_init(&d->stats_lock, NULL);
	d->pend = xcalloc(cfg->capacity ? cfg->capacity : 1, sizeof *d->pend);
	d->peek = xmalloc(cfg->max_head);
	struct epoll_event le = {.events = EPOLLIN, .data.fd = d->listen_fd};
	struct epoll_event we = {.events = EPOLLIN, .data.fd = d->wakefd};
	if (d->epfd < 0 || d->wakefd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &le) != 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wakefd, &we) != 0 ||
	    !(d->started = pthread_create(&d->thread, NULL, door_main, d) == 0)) {
		ms_fail(err, MS_EIO, "cannot start the accept loop: %s", strerror(errno));
		d->listen_fd = -1; /* the caller still owns it */
		http_door_free(d);
		return NULL;
	}
	return d;
}

void http_door_close(struct http_door *d)
{
	atomic_store(&d->close_req, true);
	wake(d);
}

void http_door_drain(struct http_door *d, uint64_t grace_ms)
{
	atomic_store(&d->drain_grace, grace_ms);
	wake(d);
}

void http_door_free(struct http_door *d)
{
	if (!d)
		return;
	if (d->started) {
		atomic_store(&d->stop_req, true);
		wake(d);
		pthread_join(d->thread, NULL);
	}
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->wakefd >= 0)
		close(d->wakefd);
	pthread_mutex_destroy(&d->stats_lock);
	free(d->pend);
	free(d->peek);
	free(d);
}

void http_door_get_stats(struct http_door *d, struct door_stats *out)
{
	pthread_mutex_lock(&d->stats_lock);
	*out = d->st;
	pthread_mutex_unlock(&d->stats_lock);
}
