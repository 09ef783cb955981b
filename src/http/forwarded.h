/*
 * forwarded.h - who the client is behind trusted proxies.
 *
 * The server resolves the client's address once per request, before
 * dispatch, with gh_forwarded_client(); the result is req->ip and never
 * changes after.  Pure: the inputs are the peer's address, the joined
 * X-Forwarded-For value and the set of TRUSTED_PROXIES.
 */
#ifndef GH_FORWARDED_H
#define GH_FORWARDED_H

#include <stdbool.h>

#include "util/netaddr.h"

/*
 * The client's address, in canonical text, into out.
 *
 * When the peer is not in trusted (or trusted is empty), the client is
 * the peer.  Otherwise X-Forwarded-For (xff, may be NULL; repeated
 * header lines joined with ", ") is walked from the right, as each
 * proxy appends the address it saw: the first entry that is not itself
 * a trusted proxy is the client; entries are separated by "," with
 * optional blanks ("a, b,c"), and may be written "[v6]", "[v6]:port" or
 * "v4:port".  An entry that is not an address stops the walk: the last
 * good one stands (an attacker controls everything left of the first
 * untrusted hop, so nothing there is believed).  When every entry is a
 * trusted proxy, the leftmost one is the client.  A peer that is not
 * an address at all ("unknown") is returned as it is.
 *
 * Returns whether the peer itself is a trusted proxy (so its
 * X-Forwarded-Proto may be believed).
 */
bool gh_forwarded_client(const struct gh_netset *trusted, const char *peer,
    const char *xff, char out[GH_ADDR_STRLEN]);

#endif /* GH_FORWARDED_H */
