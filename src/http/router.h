/*
 * router.h - the route table's row type and path matching.
 *
 * routes.c holds THE table: each row declares method, path pattern,
 * handler, guard (who may call it), body kind and a summary.  The server
 * matches a request against it, authenticates and checks the guard, and
 * only then calls the handler.  Matching is pure and fuzzed.
 */
#ifndef GH_ROUTER_H
#define GH_ROUTER_H

#include <stddef.h>

#include "gh.h"
#include "http/req.h"

enum gh_guard {
	GH_GUARD_PUBLIC = 0, /* anyone */
	GH_GUARD_USER,       /* any authenticated, active user */
	GH_GUARD_ROLE,       /* authenticated with at least .role */
};

enum gh_body {
	GH_BODY_NONE = 0,
	GH_BODY_JSON,
	GH_BODY_FORM,
};

typedef enum gh_err (*gh_handler_fn)(struct gh_req *req);

struct gh_route {
	enum gh_method method;
	const char *pattern; /* "/posts/{post_id}" */
	gh_handler_fn handler;
	enum gh_guard guard;
	enum gh_role role;       /* for GH_GUARD_ROLE */
	const char *deny_detail; /* 403 text, NULL = default */
	enum gh_body body;
	const char *summary;
	unsigned flags; /* GH_ROUTE_* */
};

/* The route refuses API-key authentication (403): managing keys and
 * sessions and changing the password need a login. */
#define GH_ROUTE_NO_APIKEY 1u

extern const struct gh_route gh_routes[];
extern const size_t gh_routes_count;

enum gh_route_match {
	GH_ROUTE_FOUND,
	GH_ROUTE_NO_PATH,   /* 404 */
	GH_ROUTE_NO_METHOD, /* 405; *allow has a bit per method */
};

/*
 * Match method + path against table[0..n).  On GH_ROUTE_FOUND *out is
 * the row and params[] receive the captured segments (copied into the
 * arena, NUL-terminated, percent-decoding already done by the server).
 * A path segment longer than 256 bytes or a path with more than 16
 * segments never matches.  HEAD matches a GET row (and a GET row's
 * path allows HEAD in *allow).
 */
enum gh_route_match gh_router_match(const struct gh_route *table, size_t n,
    enum gh_method method, const char *path, struct gh_arena *a,
    const struct gh_route **out, const char *params[GH_ROUTE_MAX_PARAMS],
    unsigned *allow);

/* "GET", "POST", ... */
const char *gh_method_name(enum gh_method m);
enum gh_method gh_method_parse(const char *s);

#endif /* GH_ROUTER_H */
