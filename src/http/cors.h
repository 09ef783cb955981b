/*
 * cors.h - Cross-Origin Resource Sharing policy (CORS_ORIGINS).
 *
 * The list is parsed once at start-up and read-only afterwards.  An
 * empty list turns CORS off: no CORS header is ever sent and OPTIONS is
 * a 405 like any unrouted method.  "*" allows every origin, but then
 * credentials are never allowed (the Fetch standard forbids both).
 */
#ifndef GH_CORS_H
#define GH_CORS_H

#include <stdbool.h>

#include "gh.h"

#define GH_CORS_MAX_ORIGINS 64

struct gh_cors {
	bool enabled;
	bool any; /* "*" */
	size_t n;
	char *origins[GH_CORS_MAX_ORIGINS];
};

/* Parse a comma-separated list; GH_ERR_INVALID for more than
 * GH_CORS_MAX_ORIGINS entries or an entry that is not "*" or an
 * http(s)://host[:port] origin. */
enum gh_err gh_cors_parse(const char *list, struct gh_cors *out);
void gh_cors_release(struct gh_cors *c);

/* The Access-Control-Allow-Origin value for a request from origin, or
 * NULL when that origin is not allowed (or CORS is off). */
const char *gh_cors_allow(const struct gh_cors *c, const char *origin);

/* Headers a browser may send cross-origin. */
#define GH_CORS_ALLOW_HEADERS "Authorization, Content-Type, X-API-Key"
#define GH_CORS_MAX_AGE "600"

#endif /* GH_CORS_H */
