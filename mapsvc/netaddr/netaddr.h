/*
 * netaddr.h - who a client is, for the server's limits and links: numeric
 * IPv4 and IPv6 addresses, sets of CIDR blocks (`serve --trusted-proxy`),
 * the client behind trusted proxies (X-Forwarded-For), the key under which
 * limits count a client, and the Host header checked against the hosts the
 * server answers for (`serve --allowed-hosts`).
 *
 * Every input here comes from the network or the command line, so every
 * parser takes a length or a NUL-terminated string, bounds its work, and
 * refuses rather than guesses: an address that does not parse is not
 * believed.  Pure: no I/O, no globals.  Parsed sets and host lists are
 * immutable, so any number of threads read them at once; the caller owns
 * them (netaddr_set_free, netaddr_hosts_free).
 */
#ifndef MS_NETADDR_H
#define MS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../util/ms_error.h"

/* An IPv6 address in network order; an IPv4 address is held IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so one comparison serves both and
 * an IPv4 client reached over an IPv6 socket is the same client. */
struct netaddr {
	uint8_t b[16];
};

/* Room for the text of any address (INET6_ADDRSTRLEN). */
#define NETADDR_STRLEN 46

/* Parses a numeric address of exactly n bytes: dotted-quad IPv4 or IPv6
 * text (RFC 4291 §2.2, no brackets, no zone).  False on anything else. */
bool netaddr_parse(const char *s, size_t n, struct netaddr *out);
/* The address of an AF_INET or AF_INET6 socket address; false otherwise. */
bool netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netaddr *out);
bool netaddr_is_v4(const struct netaddr *a);
bool netaddr_equal(const struct netaddr *a, const struct netaddr *b);
/* The address as text: dotted quad for IPv4, RFC 5952 text for IPv6. */
void netaddr_format(const struct netaddr *a, char out[NETADDR_STRLEN]);

/* The key under which per-client limits count a: the address itself for
 * IPv4, its /64 prefix for IPv6, because one subscriber is given a whole
 * /64 (RFC 6177) and could otherwise take a new address per connection. */
struct netaddr netaddr_client_key(const struct netaddr *a);
/* A hash of an address, for tables keyed by client. */
uint64_t netaddr_hash(const struct netaddr *a);

/* --- sets of CIDR blocks ------------------------------------------- */

struct netaddr_set;

/* Parses a comma-separated list of addresses and CIDR blocks
 * ("10.0.0.0/8, 192.168.1.7, ::1, fd00::/8"); spaces around items are
 * allowed, an empty list gives an empty set.  A block with bits set past
 * its prefix ("10.0.0.1/8") is refused: it is a typo more often than not.
 * On failure err says which item and why. */
enum ms_status netaddr_set_parse(const char *list, struct netaddr_set **out, struct ms_error *err);
void netaddr_set_free(struct netaddr_set *s);
/* True when a is in one of the blocks (false for a NULL or empty set). */
bool netaddr_set_contains(const struct netaddr_set *s, const struct netaddr *a);
size_t netaddr_set_count(const struct netaddr_set *s);

/* --- X-Forwarded-For ----------------------------------------------- */

/* The most hops of X-Forwarded-For examined: a longer chain is cut there
 * (the client is then the last hop examined), so a header cannot make the
 * walk long. */
#define NETADDR_FORWARDED_MAX_HOPS 32

/*
 * The client of a request that arrived from peer, given the values of its
 * X-Forwarded-For header lines in the order received (nvalues may be 0).
 * Only a trusted peer's header is believed, and only as far as it can be:
 * the list is read from the right (the hop nearest this server), skipping
 * trusted proxies; the first address that is not one is the client.  An
 * item that is not an address ("unknown", an obfuscated name, garbage)
 * ends the walk: the client is then the hop that reported it.  Items may
 * carry a port ("1.2.3.4:5678", "[2001:db8::1]:443") as some proxies
 * write them.  Returns true when the client is other than the peer.
 */
bool netaddr_forwarded_client(const struct netaddr *peer, const struct netaddr_set *trusted,
                              const char *const *values, size_t nvalues, struct netaddr *client);

/* --- Host ---------------------------------------------------------- */

/* The longest host name accepted (RFC 1035 §2.3.4: 255 octets). */
#define NETADDR_HOST_MAX 255

/* A parsed Host header (RFC 9110 §7.2): the host in lower case, without
 * a trailing dot, an IPv6 literal with its brackets; the port if given. */
struct netaddr_host {
	char name[NETADDR_HOST_MAX + 1];
	unsigned port;
	bool has_port;
};

/* Parses "uri-host [':' port]" (RFC 3986 §3.2.2): an IP-literal (IPv6 in
 * brackets, checked), an IPv4 address or a DNS-style name of letters,
 * digits, '-', '.' and '_'; an empty port counts as none.  False on
 * anything else, so nothing odd is ever copied into a link. */
bool netaddr_host_parse(const char *value, struct netaddr_host *out);

/* The hosts a server answers for with absolute links. */
struct netaddr_hosts;

/* Parses a comma-separated list of "host" or "host:port" entries (the
 * syntax of netaddr_host_parse); a host without a port matches any port.
 * An empty list gives an empty set. */
enum ms_status netaddr_hosts_parse(const char *list, struct netaddr_hosts **out, struct ms_error *err);
void netaddr_hosts_free(struct netaddr_hosts *h);
/* True when host is one of the list's (names compared in lower case). */
bool netaddr_hosts_allow(const struct netaddr_hosts *h, const struct netaddr_host *host);
size_t netaddr_hosts_count(const struct netaddr_hosts *h);

#endif
