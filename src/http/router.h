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
#include "http/schema.h"

enum gh_guard {
	GH_GUARD_PUBLIC = 0, /* anyone */
	GH_GUARD_USER,       /* any authenticated, active user */
	GH_GUARD_ROLE,       /* authenticated with at least .role */
	GH_GUARD_OWNER,      /* authenticated; the server loads the row's owner
	                        (.owner) and asks gh_policy_allow(actor,
	                        .action, owner) before the handler runs */
};

enum gh_body {
	GH_BODY_NONE = 0,
	GH_BODY_JSON,
	GH_BODY_FORM,
};

typedef enum gh_err (*gh_handler_fn)(struct gh_req *req);

/* An ownership guard's lookup: *owner_id of the row named by id;
 * GH_ERR_NOTFOUND when there is none (the row's 404). */
typedef enum gh_err (*gh_owner_fn)(
    struct gh_req *req, gh_id id, gh_id *owner_id);

struct gh_route {
	enum gh_method method;
	const char *pattern; /* "/posts/{post_id}"; a {..._id} capture is an
	                        integer id, parsed by the server (req->id) */
	gh_handler_fn handler;
	enum gh_guard guard;
	enum gh_role role;       /* for GH_GUARD_ROLE */
	enum gh_action action;   /* for GH_GUARD_OWNER */
	const char *deny_detail; /* 403 text, NULL = default */
	enum gh_body body;
	const char *summary;
	unsigned flags; /* GH_ROUTE_* */

	/* What /openapi.json says about the route, and what the server
	 * checks before the handler (http/input.h): the request schema, the
	 * query parameters, the 404 text of a row with a path id.  Every
	 * field may be left out: a row with none of them is still
	 * documented, from what is above. */
	const char *tag; /* group in /docs; NULL: first path segment */
	/* The request body's schema: for a GH_BODY_JSON row the server parses
	 * the body and validates it before the handler runs (req->json);
	 * NULL: the handler reads the body itself. */
	const struct gh_schema *request;
	const struct gh_route_query *query;    /* NULL-name terminated */
	const struct gh_route_resp *responses; /* status 0 terminated */

	/* GH_GUARD_OWNER rows: who owns the row the path's id names */
	gh_owner_fn owner;
};

/*
 * One response a route's handler sends: its status, the name of its body
 * schema in openapi.c ("UserResponse"; "UserResponse[]" for a JSON array
 * of them; NULL for no body, as for 204) and, for an error, the route's
 * own detail text ("Post not found").  The statuses the guard, the body
 * and the flags imply (401, 403, 413, 422, 429, 503) are added by the
 * generator and need not be listed.
 */
struct gh_route_resp {
	unsigned status;
	const char *schema;
	const char *detail;
};

/* A query parameter: an integer in min..max, parsed by the server before
 * the handler runs (pydantic's ge/le, a 422 outside; gh_req_query_int),
 * or a free string when is_string (gh_req_query). */
struct gh_route_query {
	const char *name;
	bool is_string;
	int64_t min, max;
	const char *description;
};

/* The route refuses API-key authentication (403): managing keys and
 * sessions and changing the password need a login. */
#define GH_ROUTE_NO_APIKEY 1u
/* The handler hashes or verifies a password on the hashing pool: 503 with
 * Retry-After when its queue is full. */
#define GH_ROUTE_HASHES 2u
/* Failed logins are throttled: 429 with Retry-After. */
#define GH_ROUTE_THROTTLED 4u
/* Neither the guard nor the handler touches the database: no 503. */
#define GH_ROUTE_NO_STORE 8u
/* Left out of /openapi.json, as FastAPI's include_in_schema=False: the
 * files behind /docs are the page's plumbing, not API. */
#define GH_ROUTE_HIDDEN 16u
/* The account console's browser cookie (handlers/console.h) is accepted
 * here, with its CSRF and same-origin checks, when the request carries
 * neither Authorization nor X-API-Key.  Routes without it never accept
 * the cookie. */
#define GH_ROUTE_COOKIE 32u

/* An OpenAPI tag's description; routes.c lists the tags it uses. */
struct gh_route_tag {
	const char *name;
	const char *description;
};
extern const struct gh_route_tag gh_route_tags[];
extern const size_t gh_route_tags_count;

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
