/*
 * fuzz_netaddr.c - every parser of netaddr.h on the same bytes: a numeric
 * address (by length), a --trusted-proxy list, an --allowed-hosts list, a
 * Host header, and X-Forwarded-For header lines (the input split at '\n').
 *
 * Contracts checked, beyond "no crash, no leak":
 *   - an address that parses formats to text that parses to it again;
 *   - a list parses into a set or fails with a message, never both or
 *     neither; a set parsed contains every address of its own items;
 *   - a Host that parses has a lower-case name of the allowed characters
 *     (or a bracketed IPv6 literal), no trailing dot, a port <= 65535,
 *     and a list made of exactly that host allows it;
 *   - the client behind a trusted proxy is the peer when the peer is not
 *     trusted, and otherwise an address the header lines name or the peer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "netaddr/netaddr.h"
#include "util/mem.h"

#define H "fuzz_netaddr"
#define MAX_LINES 8
#define LIST_TEXT_MAX 600

static struct netaddr addr_of(const char *text)
{
	struct netaddr a;
	if (!netaddr_parse(text, strlen(text), &a))
		fuzz_fail(H, "fixture address %s", text);
	return a;
}

static void check_address(const uint8_t *data, size_t size)
{
	struct netaddr a, b;
	if (!netaddr_parse((const char *)data, size, &a))
		return;
	char text[NETADDR_STRLEN];
	netaddr_format(&a, text);
	if (!netaddr_parse(text, strlen(text), &b) || !netaddr_equal(&a, &b))
		fuzz_fail(H, "'%.*s' formats as '%s', which does not parse back", (int)size,
		          (const char *)data, text);
	struct netaddr k = netaddr_client_key(&a), k2 = netaddr_client_key(&k);
	if (!netaddr_equal(&k, &k2) || netaddr_is_v4(&k) != netaddr_is_v4(&a))
		fuzz_fail(H, "%s: the client key is not stable", text);
}

static void check_set(const char *text)
{
	struct netaddr_set *set = NULL;
	struct ms_error err = {0};
	enum ms_status st = netaddr_set_parse(text, &set, &err);
	if ((st == MS_OK) != (set != NULL) || (st != MS_OK && !err.msg[0]))
		fuzz_fail(H, "set '%s': status %d, set %p, message '%s'", text, st, (void *)set, err.msg);
	if (!set)
		return;
	/* each item's address (before any '/') is in the set */
	char *copy = xstrdup(text);
	for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		if (!*item) /* a blank list */
			continue;
		size_t n = strcspn(item, "/ \t");
		struct netaddr a;
		if (!netaddr_parse(item, n, &a) || !netaddr_set_contains(set, &a))
			fuzz_fail(H, "set '%s' does not contain its item '%.*s'", text, (int)n, item);
	}
	free(copy);
	netaddr_set_free(set);
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static void check_host(const char *text)
{
	struct netaddr_host h;
	if (!netaddr_host_parse(text, &h))
		return;
	size_t n = strlen(h.name);
	if (n == 0 || n > NETADDR_HOST_MAX || (h.has_port && h.port > 65535))
		fuzz_fail(H, "host '%s': name '%s', port %u", text, h.name, h.port);
	if (h.name[0] == '[') {
		struct netaddr a;
		if (h.name[n - 1] != ']' || !netaddr_parse(h.name + 1, n - 2, &a))
			fuzz_fail(H, "host '%s': literal '%s' is not an IPv6 address", text, h.name);
	} else {
		for (size_t i = 0; i < n; i++)
			if (!name_char_ok(h.name[i]))
				fuzz_fail(H, "host '%s': name '%s' has byte 0x%02x", text, h.name,
				          (unsigned char)h.name[i]);
		if (n > 1 && h.name[n - 1] == '.')
			fuzz_fail(H, "host '%s': name '%s' keeps its trailing dot", text, h.name);
	}
	/* a list of exactly this host allows it */
	char list[NETADDR_HOST_MAX + 16];
	if (h.has_port)
		snprintf(list, sizeof list, "%s:%u", h.name, h.port);
	else
		snprintf(list, sizeof list, "%s", h.name);
	struct netaddr_hosts *hs = NULL;
	struct ms_error err = {0};
	if (netaddr_hosts_parse(list, &hs, &err) != MS_OK || !netaddr_hosts_allow(hs, &h))
		fuzz_fail(H, "host '%s': the list '%s' does not allow it (%s)", text, list, err.msg);
	netaddr_hosts_free(hs);
}

static void check_hosts_list(const char *text)
{
	struct netaddr_hosts *hs = NULL;
	struct ms_error err = {0};
	enum ms_status st = netaddr_hosts_parse(text, &hs, &err);
	if ((st == MS_OK) != (hs != NULL) || (st != MS_OK && !err.msg[0]))
		fuzz_fail(H, "hosts '%s': status %d, list %p", text, st, (void *)hs);
	netaddr_hosts_free(hs);
}

/* The client named by the lines must be the peer or appear in them. */
static void check_forwarded(char *text)
{
	static struct netaddr_set *trusted;
	if (!trusted) {
		struct ms_error err = {0};
		if (netaddr_set_parse("10.0.0.0/8, 127.0.0.1, fd00::/8", &trusted, &err) != MS_OK)
			fuzz_fail(H, "fixture set: %s", err.msg);
	}
	const char *lines[MAX_LINES];
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < MAX_LINES;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	static const char *const peers[] = {"10.1.2.3", "192.0.2.1", "fd00::1"};
	for (size_t p = 0; p < sizeof peers / sizeof *peers; p++) {
		struct netaddr peer = addr_of(peers[p]), client;
		bool other = netaddr_forwarded_client(&peer, trusted, lines, n, &client);
		if (other == netaddr_equal(&client, &peer))
			fuzz_fail(H, "forwarded: 'other than the peer' is wrong");
		if (!netaddr_set_contains(trusted, &peer) && other)
			fuzz_fail(H, "forwarded: an untrusted peer's header was believed");
		if (!other)
			continue;
		/* the client's text (in some spelling) is in one of the lines:
		 * check that some item of some line parses to it */
		bool found = false;
		for (size_t i = 0; i < n && !found; i++) {
			char *copy = xstrdup(lines[i]);
			for (char *save = NULL, *item = strtok_r(copy, ", \t[]", &save); item && !found;
			     item = strtok_r(NULL, ", \t[]", &save)) {
				struct netaddr a;
				size_t len = strlen(item);
				char *colon = strchr(item, ':');
				if (colon && !strchr(colon + 1, ':') && strchr(item, '.'))
					len = (size_t)(colon - item); /* IPv4 with a port */
				found = netaddr_parse(item, len, &a) && netaddr_equal(&a, &client);
			}
			free(copy);
		}
		if (!found) {
			char t[NETADDR_STRLEN];
			netaddr_format(&client, t);
			fuzz_fail(H, "forwarded: client %s is named by no line", t);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_address(data, size);
	if (size > LIST_TEXT_MAX)
		return 0;
	char *text = xstrndup((const char *)data, size); /* up to a NUL, as C strings from headers are */
	check_set(text);
	check_hosts_list(text);
	check_host(text);
	check_forwarded(text);
	free(text);
	return 0;
}
