/*
 * console.h - the account console's browser session (h_console.c) and
 * what authn.c needs of it.
 *
 * POST /account/login starts a normal session (it lists and revokes like
 * any other) and sets a cookie holding a fresh 256-bit random value; the
 * store keeps only its SHA-256.  The cookie authenticates only on routes
 * flagged GH_ROUTE_COOKIE, only when neither Authorization nor X-API-Key
 * is present, never for a cross-site request, and a state-changing
 * request must also carry the session's CSRF token (auth/csrf.h) in
 * X-CSRF-Token.
 */
#ifndef GH_CONSOLE_H
#define GH_CONSOLE_H

#include <stdbool.h>

#include "auth/csrf.h"
#include "auth/token.h"
#include "http/req.h"
#include "store/store.h"

#define GH_CONSOLE_COOKIE "gh_session"
/* the cookie's value: 32 random bytes, base64url without padding */
#define GH_CONSOLE_COOKIE_LEN GH_TOKEN_LEN
#define GH_CONSOLE_CSRF_HEADER "X-CSRF-Token"
#define GH_CONSOLE_CSRF_DETAIL "CSRF token missing or invalid"
#define GH_CONSOLE_CROSS_SITE_DETAIL "Cross-site request refused"

/*
 * Is the request same-origin as far as the browser tells?  False when
 * Sec-Fetch-Site is "cross-site" or "same-site", or when an Origin
 * header is present and is not this server's origin (scheme from
 * req->https, host from the Host header).  A request with neither
 * header (curl, an old browser's GET) passes.
 */
bool gh_h_same_origin(struct gh_req *req);

/* The CSRF token of session sid (under SECRET_KEY) into out. */
void gh_h_csrf_token(struct gh_req *req, gh_id sid, char out[GH_CSRF_BUFSZ]);

/*
 * authn.c's cookie path: the request has no Authorization and no
 * X-API-Key, its route is flagged GH_ROUTE_COOKIE and it carries the
 * console cookie.  Authenticates it (req->sid is the cookie's session)
 * or queues the 401/403.  GH_ERR_NOTFOUND, with nothing queued, when
 * the header holds no console cookie.
 */
enum gh_err gh_console_authn(struct gh_req *req, const char *cookie_header);

/*
 * The password login of h_auth.c, shared by /auth/token and
 * /account/login: throttling (429), the attempt counted, user lookup or
 * the dummy hash, verification on the hashing pool, then the failure's
 * audit, or the rehash, the counters cleared and a new session, all
 * through the store writer's batches (the request is suspended between
 * the steps; gh_h_login_resume continues it).  done answers for a
 * successful login with the new session sid and, for the console, the
 * value of its new cookie (whose hash the session already holds); NULL
 * answers with the token pair.  username and password must live until
 * the request completes (arena or req->json).
 */
typedef enum gh_err (*gh_h_login_done_fn)(
    struct gh_req *req, const struct gh_user *u, gh_id sid, const char *cookie);
enum gh_err gh_h_login_start(struct gh_req *req, const char *username,
    const char *password, size_t password_len, gh_h_login_done_fn done);
enum gh_err gh_h_login_resume(struct gh_req *req);

/* Route handlers (routes.c). */
enum gh_err h_console_page(struct gh_req *req);
enum gh_err h_console_asset(struct gh_req *req);
enum gh_err h_console_login(struct gh_req *req);
enum gh_err h_console_session(struct gh_req *req);
enum gh_err h_console_logout(struct gh_req *req);

#endif /* GH_CONSOLE_H */
