/*
 * netaddr.h - IP addresses and networks as values: parse, compare,
 * format.  Pure: no I/O, no allocation but a network set's array.
 *
 * An address is kept in one canonical form so that two spellings of one
 * host compare equal: IPv4-mapped IPv6 (::ffff:192.0.2.1) is the IPv4
 * address, and text goes out as inet_ntop writes it (lower-case,
 * zeros compressed).
 */
#ifndef GH_NETADDR_H
#define GH_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "gh.h"

#define GH_ADDR_STRLEN 64 /* the longest formatted address, with NUL */

struct gh_netaddr {
	int family;          /* AF_INET or AF_INET6 */
	unsigned char b[16]; /* network order; IPv4 uses b[0..3] */
};

/*
 * Parse len bytes of s as an IPv4 or IPv6 address (no brackets, no
 * port, no zone).  IPv4-mapped IPv6 becomes IPv4.  false when it is
 * not exactly an address.
 */
bool gh_netaddr_parse(const char *s, size_t len, struct gh_netaddr *out);

/* The canonical text of a (GH_ADDR_STRLEN bytes, NUL-terminated). */
void gh_netaddr_format(const struct gh_netaddr *a, char out[GH_ADDR_STRLEN]);

/*
 * The throttling bucket of the address text ip: an IPv4 address (or an
 * IPv4-mapped IPv6 one) is its own bucket, in canonical form; an
 * IPv6 address counts with its /64 ("2001:db8:1:2::/64"), the smallest
 * network one subscriber gets, so that one client cannot spread its
 * attempts over 2^64 addresses.  Anything else is copied as is.
 */
void gh_netaddr_bucket(const char *ip, char out[GH_ADDR_STRLEN]);

/* A set of networks ("addr" or "addr/bits"), parsed once at start-up
 * and read-only afterwards. */
struct gh_netset {
	struct gh_netnet {
		struct gh_netaddr net; /* masked to bits */
		unsigned bits;
	} * v;
	size_t n;
};

/*
 * Parse a comma- or space-separated list of addresses and networks
 * ("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8") into *out (released with
 * gh_netset_release).  An empty list is an empty set.  GH_ERR_INVALID
 * names the bad entry in err.
 */
enum gh_err gh_netset_parse(
    const char *list, struct gh_netset *out, char *err, size_t errsz);
void gh_netset_release(struct gh_netset *set);

/* Is a inside one of the set's networks? */
bool gh_netset_contains(
    const struct gh_netset *set, const struct gh_netaddr *a);

#endif /* GH_NETADDR_H */
