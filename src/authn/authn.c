/*
 * authn.c - who is calling (bearer access tokens, API keys and the
 * console's cookie) and whether they may try a password now (authn.h).
 *
 * The server calls gh_authn_request before any guarded handler.  A bearer token
 * must verify (jwt.c), be an access token, and name a user who still exists
 * under the same name, with the same token version, active, and whose session
 * ("sid") is not revoked: one indexed query (gh_store_auth_load).  An API key
 * is looked up by its prefix and its secret's SHA-256 compared in constant
 * time. Authorization then uses the user's current role, never a claim.  (The
 * client's address is resolved by the server before dispatch:
 * http/forwarded.h.)
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "authn/authn.h"
#include "auth/token.h"
#include "handlers/app.h"
#include "handlers/console.h"
#include "http/input.h"
#include "http/resp.h"
#include "http/router.h"
#include "log.h"
#include "policy/throttle.h"
#include "util/cookie.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define KEY_TOUCH_USEC (60 * 1000000LL) /* last_used_at resolution */

static enum gh_err
reject(struct gh_req *req)
{
	return gh_fail_unauth(req, "Could not validate credentials", true);
}

static enum gh_err accept_user(
    struct gh_req *req, struct gh_user *u, unsigned scopes);

/* The console's cookie (see console.h); the cookie's value is hashed
 * at once and wiped, and appears in no log or answer. */
enum gh_err
gh_console_authn(struct gh_req *req, const char *cookie_header)
{
	struct gh_app *app = req->app;
	const char *secret = app->cfg->secret_key;
	unsigned char h[GH_TOKEN_HASH_LEN];
	char val[GH_CONSOLE_COOKIE_LEN + 2];
	gh_id sid = 0, uid = 0;
	struct gh_user *u;
	bool live = false;
	enum gh_err r;

	/* an over-long value does not fit val: still a presented cookie */
	if (!gh_cookie_get(
	        cookie_header, GH_CONSOLE_COOKIE, val, sizeof(val)) &&
	    strstr(cookie_header, GH_CONSOLE_COOKIE "=") == NULL)
		return GH_ERR_NOTFOUND; /* no console cookie: not our case */
	if (!gh_h_same_origin(req)) {
		sodium_memzero(val, sizeof(val));
		return gh_fail(
		    req, GH_ERR_DENIED, GH_CONSOLE_CROSS_SITE_DETAIL);
	}
	if (strlen(val) != GH_CONSOLE_COOKIE_LEN) {
		sodium_memzero(val, sizeof(val));
		return reject(req);
	}
	gh_token_hash(val, strlen(val), h);
	sodium_memzero(val, sizeof(val));
	r = gh_store_session_by_cookie(
	    app->store, h, gh_time_now_usec(), &sid, &uid);
	if (r == GH_ERR_DB)
		return gh_fail(req, r, NULL);
	if (r != GH_OK)
		return reject(req);
	if ((u = gh_arena_alloc(req->arena, sizeof(*u))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	r = gh_store_auth_load(app->store, uid, sid, req->arena, u, &live);
	if (r == GH_ERR_DB)
		return gh_fail(req, r, NULL);
	if (r != GH_OK || !u->is_active || !live)
		return reject(req);
	/* a state-changing request must prove it was made by our page */
	if (req->method != GH_GET && req->method != GH_HEAD &&
	    !gh_csrf_verify(secret, strlen(secret), sid,
	        gh_req_header(req, GH_CONSOLE_CSRF_HEADER)))
		return gh_fail(req, GH_ERR_DENIED, GH_CONSOLE_CSRF_DETAIL);
	req->sid = sid;
	req->via_cookie = true;
	return accept_user(req, u, GH_SCOPE_ALL);
}

void
gh_h_csrf_token(struct gh_req *req, gh_id sid, char out[GH_CSRF_BUFSZ])
{
	struct gh_app *app = req->app;

	gh_csrf_token(
	    app->cfg->secret_key, strlen(app->cfg->secret_key), sid, out);
}

bool
gh_h_same_origin(struct gh_req *req)
{
	const char *site = gh_req_header(req, "Sec-Fetch-Site");
	const char *origin = gh_req_header(req, "Origin");
	const char *host = gh_req_header(req, "Host");
	const char *scheme;
	size_t n;

	if (site != NULL && (strcasecmp(site, "cross-site") == 0 ||
	                        strcasecmp(site, "same-site") == 0))
		return false;
	if (origin == NULL)
		return true;
	scheme = req->https ? "https://" : "http://";
	n = strlen(scheme);
	/* an Origin is scheme://host[:port], compared exactly with Host
	 * (which carries the port when it is not the default) */
	return host != NULL && host[0] != '\0' &&
	       strncasecmp(origin, scheme, n) == 0 &&
	       strcasecmp(origin + n, host) == 0;
}

static enum gh_err
accept_user(struct gh_req *req, struct gh_user *u, unsigned scopes)
{
	req->authenticated = true;
	req->actor.uid = u->id;
	req->actor.role = u->role; /* the current role, never the token's */
	req->actor.scopes = scopes;
	req->principal = u;
	return GH_OK;
}

static enum gh_err
authn_key(struct gh_req *req, const char *key)
{
	struct gh_app *app = req->app;
	unsigned char h[GH_TOKEN_HASH_LEN];
	char prefix[GH_APIKEY_PREFIX_LEN + 1];
	const char *secret;
	struct gh_apikey k;
	struct gh_user *u;
	int64_t now = gh_time_now_usec();
	bool live;
	enum gh_err r;

	memset(&k, 0, sizeof(k));
	if (!gh_apikey_parse(key, prefix, &secret))
		return reject(req);
	r = gh_store_apikey_by_prefix(app->store, prefix, req->arena, &k);
	if (r == GH_ERR_DB)
		return gh_fail(req, r, NULL);
	gh_token_hash(secret, strlen(secret), h);
	/* compare even for an unknown prefix, so the check itself costs the
	 * same; the lookup does not: a prefix used recently on this thread
	 * is a cache hit, an unknown one a query (prefixes are not secret) */
	if (sodium_memcmp(h, k.secret_hash, sizeof(h)) != 0 || r != GH_OK ||
	    (k.expires_at != 0 && k.expires_at <= now))
		return reject(req);
	if ((u = gh_arena_alloc(req->arena, sizeof(*u))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	r = gh_store_auth_load(app->store, k.user_id, 0, req->arena, u, &live);
	if (r == GH_ERR_DB)
		return gh_fail(req, r, NULL);
	if (r != GH_OK || !u->is_active)
		return reject(req);
	if (now - k.last_used_at > KEY_TOUCH_USEC)
		gh_store_apikey_touch(app->store, k.id, now);
	req->via_apikey = true;
	return accept_user(req, u, k.scopes);
}

enum gh_err
gh_authn_request(struct gh_req *req)
{
	struct gh_app *app = req->app;
	const char *h = gh_req_header(req, "Authorization");
	const char *key = gh_req_header(req, "X-API-Key"), *tok, *why = NULL;
	const char *cookie;
	struct gh_jwt_claims c;
	struct gh_user *u;
	bool live = false;
	enum gh_err r;

	if (h != NULL && key != NULL)
		return gh_fail(req, GH_ERR_INVALID,
		    "Use either a bearer token or an API key, not both");
	if (key != NULL)
		return authn_key(req, key);
	/* the console's cookie: only where the route table allows it, and
	 * only when no other credential is presented */
	if (h == NULL && req->route != NULL &&
	    (req->route->flags & GH_ROUTE_COOKIE) &&
	    (cookie = gh_req_header(req, "Cookie")) != NULL &&
	    (r = gh_console_authn(req, cookie)) != GH_ERR_NOTFOUND)
		return r;
	/* "<scheme> <token>": FastAPI splits at the first space, and a bare
	 * "Bearer" is a (bad) empty token, not a missing one */
	if (h == NULL || strncasecmp(h, "bearer", 6) != 0 ||
	    (h[6] != ' ' && h[6] != '\0'))
		return gh_fail_unauth(req, "Not authenticated", false);
	tok = h[6] == ' ' ? h + 7 : h + 6;
	if (gh_jwt_verify(app->jwt, tok, strlen(tok),
	        gh_time_now_usec() / 1000000, &c, &why) != GH_OK ||
	    !c.has_type || strcmp(c.type, "access") != 0 || !c.has_uid ||
	    !c.has_sub || !c.has_ver || !c.has_sid) {
		gh_log_debug_f("token rejected: %s", why ? why : "claims");
		goto out_reject;
	}
	if ((u = gh_arena_alloc(req->arena, sizeof(*u))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	r = gh_store_auth_load(app->store, c.uid, c.sid, req->arena, u, &live);
	if (r == GH_ERR_DB)
		return gh_fail(req, r, NULL);
	/* the user must still exist under the same name, with the same
	 * token version, be active, and the session must be live */
	if (r != GH_OK || strcmp(u->username, c.sub) != 0 ||
	    u->token_version != c.ver || !u->is_active || !live)
		goto out_reject;
	req->sid = c.sid;
	sodium_memzero(&c, sizeof(c));
	return accept_user(req, u, GH_SCOPE_ALL);
out_reject:
	sodium_memzero(&c, sizeof(c));
	return reject(req);
}

/* Seconds to wait before the counter (kind, key) admits an attempt;
 * -1 when the database cannot tell (throttling fails closed). */
static int64_t
throttled_for(struct gh_req *req, const char *kind, const char *key,
    int64_t limit, int64_t now)
{
	struct gh_app *app = req->app;
	struct gh_login_counter lc;
	enum gh_err r;

	r = gh_store_login_counter_get(app->store, kind, key, &lc);
	if (r == GH_ERR_NOTFOUND)
		return 0;
	if (r != GH_OK)
		return -1;
	return gh_throttle_wait(lc.failures, lc.first_at, lc.last_at, limit,
	    app->cfg->login_window_seconds, now);
}

enum gh_err
gh_authn_throttled(
    struct gh_req *req, const char *username, int64_t wait_u, int64_t wait_a)
{
	char retry[24];

	gh_audit(req, "login.throttled", false, 0, username, 0,
	    wait_u > 0 ? "too many failures for this username"
	               : "too many failures from this address");
	snprintf(
	    retry, sizeof(retry), "%lld", (long long)GH_MAX(wait_u, wait_a));
	return gh_fail_status(req, 429,
	    "Too many failed login attempts; retry later", "Retry-After",
	    retry);
}

enum gh_err
gh_authn_throttle(struct gh_req *req)
{
	struct gh_app *app = req->app;
	const struct gh_user *u = req->principal;
	const char *username;
	int64_t now, wait_u, wait_a;

	username = req->authenticated && u != NULL
	               ? u->username
	               : gh_input_str(req, "username");
	if (username == NULL)
		return GH_OK; /* not a password attempt */
	now = gh_time_now_usec() / 1000000;
	wait_u = throttled_for(
	    req, "user", username, app->cfg->login_max_failures, now);
	wait_a = throttled_for(req, "addr", req->ip_bucket,
	    app->cfg->login_max_failures_per_address, now);
	if (wait_u < 0 || wait_a < 0)
		return gh_fail(req, GH_ERR_DB, NULL);
	if (wait_u > 0 || wait_a > 0)
		return gh_authn_throttled(req, username, wait_u, wait_a);
	return GH_OK;
}

enum gh_err
gh_authn_count_failure(
    struct gh_store *s, struct gh_req *req, const char *username, int64_t now)
{
	struct gh_app *app = req->app;
	int64_t window = app->cfg->login_window_seconds;
	struct gh_login_counter lc;
	enum gh_err r;

	r = gh_store_login_failure_add(s, "user", username, now, window, &lc);
	if (r == GH_OK)
		r = gh_store_login_failure_add(
		    s, "addr", req->ip_bucket, now, window, &lc);
	return r;
}
