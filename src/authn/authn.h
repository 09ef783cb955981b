/*
 * authn.h - who is calling, and may they try a password now: the two
 * decisions the server takes for a route row before its handler runs.
 *
 * The server (http/server.c) calls these directly, in this order:
 *   gh_authn_request   for a row whose guard is not public;
 *   gh_authn_throttle  for a row flagged GH_ROUTE_THROTTLED, once the
 *                      row's input passed its checks.
 * Both read the application context (req->app, handlers/app.h): the
 * store, the JWT key and the configuration.  Each returns GH_OK to go
 * on, or its refusal, recorded with http/resp.h's gh_fail functions for
 * the server to answer.
 */
#ifndef GH_AUTHN_H
#define GH_AUTHN_H

#include <stdint.h>

#include "gh.h"
#include "http/req.h"

/*
 * A Bearer access token, an X-API-Key, or (on GH_ROUTE_COOKIE rows only,
 * when neither header is present) the console's cookie -> req->actor,
 * req->principal (a struct gh_user in the request arena), req->sid,
 * req->via_apikey / req->via_cookie.  401 for missing or bad credentials,
 * 422 for both headers at once, 403 for a cross-site or CSRF-less cookie
 * request, 503 when the store cannot answer.  What the row then allows
 * (GH_ROUTE_NO_APIKEY, GH_ROUTE_COOKIE, the role) is the server's check.
 */
enum gh_err gh_authn_request(struct gh_req *req);

/*
 * Brute-force throttling of a password attempt (policy/throttle.h holds
 * the rule).  The attempt's username is the authenticated user's (a
 * password change) or the body's "username" field (http/input.h
 * gh_input_str); a request naming none is not a password attempt and
 * passes.  Refuses with 429 and Retry-After, audited as
 * login.throttled, while the username's or the client address's
 * counter is locked; 503 when the counters cannot be read (fails
 * closed).
 */
enum gh_err gh_authn_throttle(struct gh_req *req);

/*
 * The 429 itself (recorded; GH_ERR_BUSY), for an attempt the username's
 * (wait_u) or the address's (wait_a) counter refuses, in seconds;
 * audited.  Used by the
 * gate above and by the login once its attempt is counted.
 */
enum gh_err gh_authn_throttled(
    struct gh_req *req, const char *username, int64_t wait_u, int64_t wait_a);

/*
 * Count one failed password attempt of username and of the request's
 * address bucket, at now (unix seconds), on store s: run inside a store
 * write (the group-commit writer's job, gh_h_defer_write).
 */
struct gh_store;
enum gh_err gh_authn_count_failure(
    struct gh_store *s, struct gh_req *req, const char *username, int64_t now);

#endif /* GH_AUTHN_H */
