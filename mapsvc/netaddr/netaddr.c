/*
 * netaddr.c - addresses, CIDR sets, X-Forwarded-For and Host; see
 * netaddr.h.
 *
 * Numeric addresses are parsed by inet_pton, which is strict (no octal,
 * no short forms such as "127.1", no zone), so the text a proxy or a
 * client wrote either names exactly one address or none.  Sets are short
 * lists (an operator's proxies), searched linearly: a hash or a trie
 * would cost more than a dozen prefix comparisons.  X-Forwarded-For is
 * read from the right without copying it: each header line is scanned
 * backwards for commas, so the header's size does not matter, only the
 * NETADDR_FORWARDED_MAX_HOPS items examined.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mem.h"

#define V4_MAPPED_PREFIX 12 /* bytes of ::ffff: before an IPv4 address */
#define V4_BITS 32
#define V6_BITS 128
#define IPV6_PREFIX_BYTES 8 /* a client's /64 */
#define PORT_MAX 65535
#define PORT_DIGITS_MAX 5
/* The longest numeric address text: IPv6 with an IPv4 tail. */
#define ADDR_TEXT_MAX 45
/* Items in a --trusted-proxy list or an --allowed-hosts list at most. */
#define LIST_MAX 1024
/* An item of a list is quoted in an error up to this many bytes. */
#define QUOTE_MAX 80

static const uint8_t v4_mapped[V4_MAPPED_PREFIX] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool netaddr_parse(const char *s, size_t n, struct netaddr *out)
{
	char tmp[ADDR_TEXT_MAX + 1];
	/* inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4 */
	if (n == 0 || n > ADDR_TEXT_MAX || memchr(s, '\0', n))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	uint8_t v4[4];
	if (inet_pton(AF_INET, tmp, v4) == 1) {
		memcpy(out->b, v4_mapped, V4_MAPPED_PREFIX);
		memcpy(out->b + V4_MAPPED_PREFIX, v4, sizeof v4);
		return true;
	}
	return inet_pton(AF_INET6, tmp, out->b) == 1;
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netaddr *out)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
		memcpy(out->b, v4_mapped, V4_MAPPED_PREFIX);
		memcpy(out->b + V4_MAPPED_PREFIX, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, sizeof out->b);
		return true;
	}
	return false;
}

bool netaddr_is_v4(const struct netaddr *a)
{
	return memcmp(a->b, v4_mapped, V4_MAPPED_PREFIX) == 0;
}

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	return memcmp(a->b, b->b, sizeof a->b) == 0;
}

void netaddr_format(const struct netaddr *a, char out[NETADDR_STRLEN])
{
	if (netaddr_is_v4(a))
		inet_ntop(AF_INET, a->b + V4_MAPPED_PREFIX, out, NETADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, out, NETADDR_STRLEN);
}

struct netaddr netaddr_client_key(const struct netaddr *a)
{
	struct netaddr k = *a;
	if (!netaddr_is_v4(a))
		memset(k.b + IPV6_PREFIX_BYTES, 0, sizeof k.b - IPV6_PREFIX_BYTES);
	return k;
}

uint64_t netaddr_hash(const struct netaddr *a)
{
	/* Two 64-bit halves through splitmix64's finaliser: every input bit
	 * reaches every output bit, so the low bits index a table well. */
	uint64_t h = 0;
	for (int half = 0; half < 2; half++) {
		uint64_t x;
		memcpy(&x, a->b + 8 * half, sizeof x);
		h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
		h ^= h >> 31;
	}
	return h;
}

/* --- lists ------------------------------------------------------------ */

/* How much of an n-byte item an error message quotes. */
static int quote_len(size_t n)
{
	return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Calls item(text, len, ctx) for each comma-separated item of list,
 * trimmed; an empty item (",,") is refused with err filled.  An entirely
 * blank list has no items. */
static enum ms_status each_item(const char *list,
                                enum ms_status (*item)(const char *, size_t, void *, struct ms_error *),
                                void *ctx, struct ms_error *err)
{
	const char *p = list;
	while (is_space(*p))
		p++;
	if (!*p)
		return MS_OK;
	size_t count = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		if (s == e)
			return ms_fail(err, MS_EUSAGE, "an empty item in '%.*s'", quote_len(strlen(list)),
			               list);
		if (++count > LIST_MAX)
			return ms_fail(err, MS_EUSAGE, "more than %d items", LIST_MAX);
		enum ms_status st = item(s, (size_t)(e - s), ctx, err);
		if (st != MS_OK)
			return st;
		if (!p[len])
			return MS_OK;
		p += len + 1;
	}
}

/* --- CIDR sets -------------------------------------------------------- */

struct cidr {
	struct netaddr addr;
	unsigned bits; /* of the 128, so an IPv4 /8 is 104 */
};

struct netaddr_set {
	size_t n, cap;
	struct cidr *v;
};

/* True when the first bits bits of a and b agree. */
static bool prefix_equal(const struct netaddr *a, const struct netaddr *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a->b, b->b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[whole] & mask) == (b->b[whole] & mask);
}

static enum ms_status add_cidr(const char *s, size_t n, void *ctx, struct ms_error *err)
{
	struct netaddr_set *set = ctx;
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	struct cidr c;
	if (!netaddr_parse(s, alen, &c.addr))
		return ms_fail(err, MS_EUSAGE, "'%.*s' is not an IPv4 or IPv6 address", quote_len(alen), s);
	/* The width is the text's: "::ffff:10.0.0.0/104" is an IPv6 block. */
	bool v4 = netaddr_is_v4(&c.addr) && !memchr(s, ':', alen);
	unsigned width = v4 ? V4_BITS : V6_BITS;
	unsigned bits = width;
	if (slash) {
		const char *d = slash + 1, *end = s + n;
		if (d == end || end - d > 3)
			return ms_fail(err, MS_EUSAGE, "'%.*s': the prefix length is not a number",
			               quote_len(n), s);
		bits = 0;
		for (; d < end; d++) {
			if (*d < '0' || *d > '9')
				return ms_fail(err, MS_EUSAGE, "'%.*s': the prefix length is not a number",
				               quote_len(n), s);
			bits = bits * 10 + (unsigned)(*d - '0');
		}
		if (bits > width)
			return ms_fail(err, MS_EUSAGE, "'%.*s': prefix length %u is above %u", quote_len(n),
			               s, bits, width);
	}
	c.bits = (v4 ? V6_BITS - V4_BITS : 0) + bits;
	struct netaddr zero = c.addr;
	memset(zero.b + c.bits / 8, 0, sizeof zero.b - c.bits / 8);
	if (c.bits % 8)
		zero.b[c.bits / 8] = (uint8_t)(c.addr.b[c.bits / 8] & (0xff << (8 - c.bits % 8)));
	if (!netaddr_equal(&zero, &c.addr))
		return ms_fail(err, MS_EUSAGE, "'%.*s': the address has bits set past the /%u prefix",
		               quote_len(n), s, bits);
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 4;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
	set->v[set->n++] = c;
	return MS_OK;
}

enum ms_status netaddr_set_parse(const char *list, struct netaddr_set **out, struct ms_error *err)
{
	struct netaddr_set *set = xcalloc(1, sizeof *set);
	enum ms_status st = each_item(list, add_cidr, set, err);
	if (st != MS_OK) {
		netaddr_set_free(set);
		set = NULL;
	}
	*out = set;
	return st;
}

void netaddr_set_free(struct netaddr_set *s)
{
	if (!s)
		return;
	free(s->v);
	free(s);
}

bool netaddr_set_contains(const struct netaddr_set *s, const struct netaddr *a)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (prefix_equal(&s->v[i].addr, a, s->v[i].bits))
			return true;
	return false;
}

size_t netaddr_set_count(const struct netaddr_set *s)
{
	return s ? s->n : 0;
}

/* --- X-Forwarded-For -------------------------------------------------- */

/* Parses n bytes of decimal port; false unless 1..5 digits <= 65535. */
static bool parse_port(const char *s, size_t n, unsigned *port)
{
	if (n == 0 || n > PORT_DIGITS_MAX)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*port = v;
	return v <= PORT_MAX;
}

/* One item of X-Forwarded-For: an address, bracketed IPv6, with or
 * without a port. */
static bool parse_hop(const char *s, size_t n, struct netaddr *out)
{
	unsigned port;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return false;
		size_t alen = (size_t)(close - s - 1), rest = n - alen - 2;
		if (!memchr(s + 1, ':', alen) || !netaddr_parse(s + 1, alen, out))
			return false;
		return rest == 0 || (close[1] == ':' && parse_port(close + 2, rest - 1, &port));
	}
	const char *colon = memchr(s, ':', n);
	if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
		/* one colon: IPv4 and a port */
		size_t alen = (size_t)(colon - s);
		return parse_port(colon + 1, n - alen - 1, &port) && netaddr_parse(s, alen, out) &&
		       netaddr_is_v4(out);
	}
	return netaddr_parse(s, n, out);
}

bool netaddr_forwarded_client(const struct netaddr *peer, const struct netaddr_set *trusted,
                              const char *const *values, size_t nvalues, struct netaddr *client)
{
	struct netaddr cur = *peer;
	int hops = 0;
	bool stop = !netaddr_set_contains(trusted, peer);
	/* Header lines in reverse order, each scanned backwards for commas:
	 * together, the combined field value (RFC 9110 §5.3) from its end. */
	for (size_t v = nvalues; v-- > 0 && !stop;) {
		const char *start = values[v] ? values[v] : "";
		const char *end = start + strlen(start);
		while (!stop) {
			const char *p = end;
			while (p > start && p[-1] != ',')
				p--;
			const char *s = p, *e = end;
			while (s < e && is_space(*s))
				s++;
			while (e > s && is_space(e[-1]))
				e--;
			if (s < e) { /* empty items are allowed and skipped (RFC 9110 §5.6.1) */
				struct netaddr a;
				if (++hops > NETADDR_FORWARDED_MAX_HOPS ||
				    !parse_hop(s, (size_t)(e - s), &a)) {
					stop = true;
					break;
				}
				cur = a;
				if (!netaddr_set_contains(trusted, &a))
					stop = true;
			}
			if (p == start)
				break;
			end = p - 1;
		}
	}
	*client = cur;
	return !netaddr_equal(&cur, peer);
}

/* --- Host ------------------------------------------------------------- */

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Parses n bytes of "uri-host [':' port]". */
static bool parse_host(const char *s, size_t n, struct netaddr_host *out)
{
	size_t hlen;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		struct netaddr a;
		if (!close || !netaddr_parse(s + 1, (size_t)(close - s - 1), &a) ||
		    !memchr(s, ':', (size_t)(close - s)))
			return false;
		hlen = (size_t)(close - s) + 1;
	} else {
		hlen = 0;
		while (hlen < n && s[hlen] != ':') {
			if (!is_name_char(s[hlen]))
				return false;
			hlen++;
		}
	}
	if (hlen == 0 || hlen > NETADDR_HOST_MAX)
		return false;
	/* A DNS name has no empty label (RFC 1035 §2.3.1): "..", a leading
	 * dot, or two at the end are not a host, only one trailing dot is. */
	if (s[0] == '.' || (s[0] != '[' && (memmem(s, hlen, "..", 2) != NULL)))
		return false;
	out->has_port = false;
	out->port = 0;
	if (hlen < n) {
		if (s[hlen] != ':')
			return false;
		if (hlen + 1 < n) { /* "host:" has an empty port: none (RFC 3986 §3.2.3) */
			if (!parse_port(s + hlen + 1, n - hlen - 1, &out->port))
				return false;
			out->has_port = true;
		}
	}
	for (size_t i = 0; i < hlen; i++)
		out->name[i] = lower(s[i]);
	/* "example.org." names the same host as "example.org" */
	if (hlen > 1 && out->name[hlen - 1] == '.' && out->name[0] != '[')
		hlen--;
	out->name[hlen] = '\0';
	return true;
}

bool netaddr_host_parse(const char *value, struct netaddr_host *out)
{
	return value && parse_host(value, strlen(value), out);
}

struct netaddr_hosts {
	size_t n, cap;
	struct netaddr_host *v;
};

static enum ms_status add_host(const char *s, size_t n, void *ctx, struct ms_error *err)
{
	struct netaddr_hosts *h = ctx;
	struct netaddr_host host;
	if (!parse_host(s, n, &host))
		return ms_fail(err, MS_EUSAGE, "'%.*s' is not a host or host:port", quote_len(n), s);
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 4;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	h->v[h->n++] = host;
	return MS_OK;
}

enum ms_status netaddr_hosts_parse(const char *list, struct netaddr_hosts **out, struct ms_error *err)
{
	struct netaddr_hosts *h = xcalloc(1, sizeof *h);
	enum ms_status st = each_item(list, add_host, h, err);
	if (st != MS_OK) {
		netaddr_hosts_free(h);
		h = NULL;
	}
	*out = h;
	return st;
}

void netaddr_hosts_free(struct netaddr_hosts *h)
{
	if (!h)
		return;
	free(h->v);
	free(h);
}

bool netaddr_hosts_allow(const struct netaddr_hosts *h, const struct netaddr_host *host)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (!strcmp(h->v[i].name, host->name) &&
		    (!h->v[i].has_port || (host->has_port && host->port == h->v[i].port)))
			return true;
	return false;
}

size_t netaddr_hosts_count(const struct netaddr_hosts *h)
{
	return h ? h->n : 0;
}
