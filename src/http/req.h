/*
 * req.h - one HTTP request as the handlers see it.
 *
 * A struct gh_req is created when libmicrohttpd has read the request
 * line and lives until its completed callback; it and everything hung on
 * it come from the request's arena (the body buffer too), which is wiped
 * and freed at completion.  Handlers read the request through it and
 * answer through resp.h; they never touch libmicrohttpd directly.
 */
#ifndef GH_REQ_H
#define GH_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gh.h"
#include "policy/policy.h"
#include "util/arena.h"
#include "util/netaddr.h"

struct MHD_Connection;
struct MHD_Response;
struct gh_route;
struct gh_conn_track;

#define GH_ROUTE_MAX_PARAMS 4
#define GH_ROUTE_MAX_QUERY 8

enum gh_method {
	GH_GET = 0,
	GH_HEAD,
	GH_POST,
	GH_PUT,
	GH_PATCH,
	GH_DELETE,
	GH_OPTIONS,
	GH_METHOD_OTHER,
	GH_METHOD_COUNT
};

struct gh_form;

/*
 * A failure a handler (or a check before it) reported with one of
 * resp.h's gh_fail functions: what the one error response will say.
 * status 0: nothing recorded, the error value alone decides.
 */
struct gh_fail {
	unsigned status;
	const char *detail;         /* {"detail": ...}; in the arena */
	const char *hname, *hvalue; /* one extra header, or NULL */
	struct json_t *errors;      /* 422: the list (owned) */
	const char *oauth_error;    /* RFC 6749 5.2: {"error", ...} */
};

struct gh_req {
	struct MHD_Connection *conn;
	struct gh_arena *arena;
	void *app; /* the handlers' application context */
	const struct gh_route *route;
	enum gh_method method;
	const char *path;                        /* decoded path, no query */
	const char *params[GH_ROUTE_MAX_PARAMS]; /* path captures */

	/* The row's input, parsed and checked by the server before the
	 * handler runs (http/input.h): the path's {..._id}, the integer
	 * query parameters (gh_req_query_int) and, for a row with a body
	 * schema, the validated JSON body (freed at completion). */
	gh_id id;
	int64_t query[GH_ROUTE_MAX_QUERY];
	bool query_set[GH_ROUTE_MAX_QUERY];
	struct json_t *json;
	struct gh_form *form; /* a form body, once parsed (in the arena) */

	char *body; /* NUL-terminated, body_len bytes */
	size_t body_len, body_cap;
	bool body_too_large;

	bool authenticated;
	struct gh_actor actor;  /* valid when authenticated */
	void *principal;        /* the handlers' user record */
	gh_id sid;              /* session of the bearer token, 0 for a key */
	bool via_apikey;        /* authenticated by X-API-Key */
	bool via_cookie;        /* authenticated by the console's cookie */
	const char *cors_allow; /* Access-Control-Allow-Origin to send */
	bool cors_vary;         /* CORS is on: answers vary by Origin */

	/* A handler that hands work to the hashing pool "defers": the
	 * connection is suspended and the handler is called again, with
	 * resumed set, once the job is done. */
	bool deferred, resumed;
	void *hstate; /* the handler's state across calls */

	struct gh_fail fail; /* the recorded failure (resp.h gh_fail*) */
	/* An answer barrier: while barrier is set, resp.c holds the answer
	 * (held, held_status) instead of sending it; once the handler has
	 * returned, the server suspends the request and calls barrier(req),
	 * which does its work (the audit log's: commit the request's audit
	 * rows) and resumes the request; then the held answer is sent.
	 * barrier_state is the application's (its pending work). */
	void (*barrier)(struct gh_req *req);
	void *barrier_state;
	struct MHD_Response *held;
	unsigned held_status;
	bool barrier_running;
	bool responded;  /* a response has been queued */
	bool dispatched; /* router and guard have run */
	bool headers_checked;
	int64_t started_usec;
	struct gh_conn_track *track;
	/* Resolved once, before dispatch, and never changed after: the
	 * client's address (the peer, or the X-Forwarded-For entry that
	 * TRUSTED_PROXIES vouch for; http/forwarded.h), whether the peer
	 * is such a proxy, and whether the client used https (only a
	 * trusted proxy's X-Forwarded-Proto says so). */
	char ip[GH_ADDR_STRLEN];
	char ip_bucket[GH_ADDR_STRLEN]; /* its throttling key: an IPv6 /64 */
	bool peer_trusted;
	bool https;
};

/* A request header's value, or NULL. Case-insensitive name. */
const char *gh_req_header(struct gh_req *req, const char *name);

/* Every value of a header that may repeat (X-Forwarded-For), joined with
 * ", " in the order received, as RFC 9110 5.3 reads repeated fields; in
 * the request arena; NULL when absent. */
const char *gh_req_header_all(struct gh_req *req, const char *name);

/* A query parameter's value, or NULL. */
const char *gh_req_query(struct gh_req *req, const char *name);

/* An integer query parameter of the route's row, as the server parsed
 * and checked it (http/input.h); dflt when the request has none. */
int64_t gh_req_query_int(struct gh_req *req, const char *name, int64_t dflt);

/* Suspend the request until gh_req_resume(); see deferred above. */
void gh_req_suspend(struct gh_req *req);

/* Wake a suspended request (any thread). */
void gh_req_resume(struct gh_req *req);

#endif /* GH_REQ_H */
