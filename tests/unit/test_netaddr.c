/*
 * test_netaddr.c - addresses, CIDR sets, X-Forwarded-For and Host
 * (netaddr.h), from the tables of cases in tests/data/netaddr/ (one case a
 * line, so adding a case is adding a line), plus the client key.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "netaddr/netaddr.h"

#define DATA "data/netaddr/"
#define LINE_MAX_LEN 1024
#define MAX_VALUES 8

/* Reads "TEXT" (with \xHH escapes) at *p into out; its length, or -1. */
static long read_quoted(char **p, char *out, size_t size)
{
	char *s = *p;
	while (*s == ' ')
		s++;
	if (*s++ != '"')
		return -1;
	size_t n = 0;
	while (*s && *s != '"') {
		unsigned v;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1)
			s += 4;
		else
			v = (unsigned char)*s++;
		if (n + 1 >= size)
			return -1;
		out[n++] = (char)v;
	}
	if (*s != '"')
		return -1;
	out[n] = '\0';
	*p = s + 1;
	return (long)n;
}

/* Calls fn(where, line) for each case line of a table file. */
static void each_line(const char *file, void (*fn)(const char *where, char *line))
{
	FILE *f = fopen(file, "r");
	CHECK_MSG(f != NULL, "cannot open %s", file);
	if (!f)
		return;
	char line[LINE_MAX_LEN], where[LINE_MAX_LEN + 32];
	int no = 0, cases = 0;
	while (fgets(line, sizeof line, f)) {
		no++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		snprintf(where, sizeof where, "%s:%d", file, no);
		fn(where, line);
		cases++;
	}
	fclose(f);
	CHECK_MSG(cases > 0, "%s: no cases", file);
}

static struct netaddr must_parse(const char *where, const char *text)
{
	struct netaddr a;
	memset(&a, 0, sizeof a);
	CHECK_MSG(netaddr_parse(text, strlen(text), &a), "%s: '%s' does not parse", where, text);
	return a;
}

static void address_case(const char *where, char *line)
{
	char text[256], want[64], fmt[NETADDR_STRLEN];
	char *p = line;
	long n = read_quoted(&p, text, sizeof text);
	CHECK_MSG(n >= 0, "%s: malformed case", where);
	if (n < 0)
		return;
	struct netaddr a;
	bool ok = netaddr_parse(text, (size_t)n, &a);
	if (sscanf(p, " ok %63s", want) == 1) {
		CHECK_MSG(ok, "%s: '%s' should parse", where, text);
		if (ok) {
			netaddr_format(&a, fmt);
			CHECK_MSG(!strcmp(fmt, want), "%s: '%s' formats as %s, want %s", where, text, fmt,
			          want);
		}
	} else {
		CHECK_MSG(!ok, "%s: '%s' should be refused", where, line);
	}
}

static struct netaddr_set *cur_set;

static void set_case(const char *where, char *line)
{
	char list[512], addr[64];
	char *p = line;
	struct ms_error err = {0};
	if (!strncmp(p, "set ", 4)) {
		p += 4;
		netaddr_set_free(cur_set);
		cur_set = NULL;
		size_t want = 0;
		CHECK_MSG(read_quoted(&p, list, sizeof list) >= 0 && sscanf(p, "%zu", &want) == 1,
		          "%s: malformed", where);
		CHECK_MSG(netaddr_set_parse(list, &cur_set, &err) == MS_OK, "%s: '%s': %s", where, list,
		          err.msg);
		CHECK_MSG(netaddr_set_count(cur_set) == want, "%s: %zu blocks, want %zu", where,
		          netaddr_set_count(cur_set), want);
	} else if (!strncmp(p, "bad ", 4)) {
		p += 4;
		struct netaddr_set *s = NULL;
		CHECK_MSG(read_quoted(&p, list, sizeof list) >= 0, "%s: malformed", where);
		while (*p == ' ')
			p++;
		CHECK_MSG(netaddr_set_parse(list, &s, &err) == MS_EUSAGE && !s, "%s: '%s' should be refused",
		          where, list);
		CHECK_MSG(strstr(err.msg, p) != NULL, "%s: message '%s' lacks '%s'", where, err.msg, p);
	} else if ((p[0] == '+' || p[0] == '-') && sscanf(p + 1, " %63s", addr) == 1) {
		struct netaddr a = must_parse(where, addr);
		bool in = netaddr_set_contains(cur_set, &a);
		CHECK_MSG(in == (p[0] == '+'), "%s: %s should%s be in the set", where, addr,
		          in ? " not" : "");
	} else {
		CHECK_MSG(0, "%s: malformed case", where);
	}
}

static struct netaddr_set *fwd_trusted;

static void forwarded_case(const char *where, char *line)
{
	char *p = line;
	struct ms_error err = {0};
	char buf[512];
	if (!strncmp(p, "trusted ", 8)) {
		p += 8;
		netaddr_set_free(fwd_trusted);
		fwd_trusted = NULL;
		CHECK_MSG(read_quoted(&p, buf, sizeof buf) >= 0, "%s: malformed", where);
		CHECK_MSG(netaddr_set_parse(buf, &fwd_trusted, &err) == MS_OK, "%s: %s", where, err.msg);
		return;
	}
	char peer_s[64], want_s[64];
	int used = 0;
	if (sscanf(p, "%63s -> %63s |%n", peer_s, want_s, &used) != 2 || !used) {
		CHECK_MSG(0, "%s: malformed case", where);
		return;
	}
	p += used;
	char values[MAX_VALUES][256];
	const char *vp[MAX_VALUES];
	size_t nv = 0;
	while (nv < MAX_VALUES && read_quoted(&p, values[nv], sizeof values[nv]) >= 0) {
		vp[nv] = values[nv];
		nv++;
	}
	struct netaddr peer = must_parse(where, peer_s), want = must_parse(where, want_s), got;
	bool other = netaddr_forwarded_client(&peer, fwd_trusted, vp, nv, &got);
	char got_s[NETADDR_STRLEN];
	netaddr_format(&got, got_s);
	CHECK_MSG(netaddr_equal(&got, &want), "%s: client %s, want %s", where, got_s, want_s);
	CHECK_MSG(other == !netaddr_equal(&want, &peer), "%s: wrong 'other than the peer'", where);
}

static struct netaddr_hosts *cur_hosts;

static void host_case(const char *where, char *line)
{
	char *p = line;
	char value[512], name[300], port[16];
	struct ms_error err = {0};
	struct netaddr_host h;
	if (!strncmp(p, "host ", 5)) {
		p += 5;
		CHECK_MSG(read_quoted(&p, value, sizeof value) >= 0, "%s: malformed", where);
		bool ok = netaddr_host_parse(value, &h);
		if (sscanf(p, " %299s %15s", name, port) == 2) {
			CHECK_MSG(ok, "%s: '%s' should parse", where, value);
			if (!ok)
				return;
			CHECK_MSG(!strcmp(h.name, name), "%s: name '%s', want '%s'", where, h.name, name);
			if (!strcmp(port, "-"))
				CHECK_MSG(!h.has_port, "%s: has a port", where);
			else
				CHECK_MSG(h.has_port && h.port == (unsigned)atoi(port),
				          "%s: port %u, want %s", where, h.port, port);
		} else {
			CHECK_MSG(!ok, "%s: '%s' should be refused", where, value);
		}
	} else if (!strncmp(p, "allow ", 6)) {
		p += 6;
		netaddr_hosts_free(cur_hosts);
		cur_hosts = NULL;
		size_t want = 0;
		CHECK_MSG(read_quoted(&p, value, sizeof value) >= 0 && sscanf(p, "%zu", &want) == 1,
		          "%s: malformed", where);
		CHECK_MSG(netaddr_hosts_parse(value, &cur_hosts, &err) == MS_OK, "%s: %s", where, err.msg);
		CHECK_MSG(netaddr_hosts_count(cur_hosts) == want, "%s: %zu hosts, want %zu", where,
		          netaddr_hosts_count(cur_hosts), want);
	} else if (!strncmp(p, "badlist ", 8)) {
		p += 8;
		struct netaddr_hosts *hs = NULL;
		CHECK_MSG(read_quoted(&p, value, sizeof value) >= 0, "%s: malformed", where);
		while (*p == ' ')
			p++;
		CHECK_MSG(netaddr_hosts_parse(value, &hs, &err) == MS_EUSAGE && !hs, "%s: should be refused",
		          where);
		CHECK_MSG(strstr(err.msg, p) != NULL, "%s: message '%s' lacks '%s'", where, err.msg, p);
	} else if (p[0] == '+' || p[0] == '-') {
		char *q = p + 1;
		CHECK_MSG(read_quoted(&q, value, sizeof value) >= 0, "%s: malformed", where);
		bool allowed = netaddr_host_parse(value, &h) && netaddr_hosts_allow(cur_hosts, &h);
		CHECK_MSG(allowed == (p[0] == '+'), "%s: '%s' should%s be allowed", where, value,
		          allowed ? " not" : "");
	} else {
		CHECK_MSG(0, "%s: malformed case", where);
	}
}

/* IPv4 clients are keyed by address, IPv6 ones by their /64; IPv4 over
 * an IPv6 socket is the same client as over an IPv4 one. */
static void test_keys_and_sockaddr(void)
{
	struct netaddr a = must_parse("key", "2001:db8:1:2:aaaa::1"),
	               b = must_parse("key", "2001:db8:1:2:bbbb::9");
	struct netaddr c = must_parse("key", "2001:db8:1:3::1");
	struct netaddr ka = netaddr_client_key(&a), kb = netaddr_client_key(&b), kc = netaddr_client_key(&c);
	CHECK(netaddr_equal(&ka, &kb));
	CHECK(!netaddr_equal(&ka, &kc));
	CHECK(netaddr_hash(&ka) == netaddr_hash(&kb));
	struct netaddr v1 = must_parse("key", "192.0.2.1"), v2 = must_parse("key", "192.0.2.2");
	struct netaddr k1 = netaddr_client_key(&v1), k2 = netaddr_client_key(&v2);
	CHECK(!netaddr_equal(&k1, &k2));
	CHECK(netaddr_is_v4(&v1) && !netaddr_is_v4(&a));

	struct sockaddr_in in4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "192.0.2.1", &in4.sin_addr);
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &in6.sin6_addr);
	struct netaddr s4, s6;
	CHECK(netaddr_from_sockaddr((struct sockaddr *)&in4, sizeof in4, &s4));
	CHECK(netaddr_from_sockaddr((struct sockaddr *)&in6, sizeof in6, &s6));
	CHECK(netaddr_equal(&s4, &v1) && netaddr_equal(&s6, &v1));
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK(!netaddr_from_sockaddr(&un, sizeof un, &s4));
	CHECK(!netaddr_from_sockaddr((struct sockaddr *)&in4, sizeof in4 - 1, &s4));
}

/* The hop limit: a long chain of trusted proxies is cut there. */
static void test_hop_limit(void)
{
	struct netaddr_set *t = NULL;
	struct ms_error err = {0};
	CHECK(netaddr_set_parse("10.0.0.0/8", &t, &err) == MS_OK);
	char chain[4096] = "203.0.113.7";
	for (int i = 0; i < NETADDR_FORWARDED_MAX_HOPS + 5; i++)
		snprintf(chain + strlen(chain), sizeof chain - strlen(chain), ", 10.0.%d.%d", i / 200,
		         i % 200 + 1);
	const char *v[] = {chain};
	struct netaddr peer = must_parse("hops", "10.9.9.9"), got;
	netaddr_forwarded_client(&peer, t, v, 1, &got);
	CHECK(netaddr_is_v4(&got) && got.b[12] == 10); /* stopped among the proxies */
	/* within the limit, the client is found */
	const char *v2[] = {"203.0.113.7, 10.0.0.1, 10.0.0.2"};
	struct netaddr want = must_parse("hops", "203.0.113.7");
	netaddr_forwarded_client(&peer, t, v2, 1, &got);
	CHECK(netaddr_equal(&got, &want));
	netaddr_set_free(t);
}

int main(void)
{
	each_line(DATA "addresses.txt", address_case);
	each_line(DATA "sets.txt", set_case);
	each_line(DATA "forwarded.txt", forwarded_case);
	each_line(DATA "hosts.txt", host_case);
	netaddr_set_free(cur_set);
	netaddr_set_free(fwd_trusted);
	netaddr_hosts_free(cur_hosts);
	test_keys_and_sockaddr();
	test_hop_limit();
	return CHECK_DONE();
}
