/*
 * h_console.c - the account console at /account: its page and files,
 * and the browser session behind it (console.h has the design).
 *
 * The page is plain HTML, JS and CSS compiled into the binary
 * (web/console/, scripts/embed-assets.sh).  Every answer of this file
 * carries a strict Content-Security-Policy (no inline script or style,
 * nothing from another origin), X-Frame-Options: DENY and
 * Referrer-Policy: no-referrer.  The cookie's value is generated here,
 * sent once in Set-Cookie, and only its SHA-256 is stored; it is wiped
 * from memory before the answer leaves.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth/token.h"
#include "handlers/app.h"
#include "handlers/console.h"
#include "http/assets.h"
#include "http/input.h"
#include "http/resp.h"
#include "util/form.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/banned.h"

#define CSP                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; "       \
	"frame-ancestors 'none'; base-uri 'none'"
#define SEC_HEADERS                                                            \
	"Content-Security-Policy", CSP, "X-Frame-Options", "DENY",             \
	    "Referrer-Policy", "no-referrer"
#define JSON_TYPE "application/json; charset=utf-8"
#define COOKIE_BUFSZ 256

/* The console's files (web/console), generated at build time. */
extern const struct gh_asset gh_console_assets[];
extern const size_t gh_console_assets_count;

static enum gh_err
send_asset(struct gh_req *req, const char *name)
{
	const struct gh_asset *a;
	const char *hdrs[] = {SEC_HEADERS, NULL};

	a = gh_asset_find(gh_console_assets, gh_console_assets_count, name);
	if (a == NULL)
		return gh_fail_status(req, 404, "Not Found", NULL, NULL);
	return gh_resp_static(req, 200, a->content_type, a->data, a->len, hdrs);
}

enum gh_err
h_console_page(struct gh_req *req)
{
	return send_asset(req, "index.html");
}

enum gh_err
h_console_asset(struct gh_req *req)
{
	const char *name = req->params[0];

	/* only the page's own files, never the page under another name */
	if (name == NULL || strcmp(name, "index.html") == 0)
		return gh_fail_status(req, 404, "Not Found", NULL, NULL);
	return send_asset(req, name);
}

/* The Set-Cookie value: value NULL clears the cookie. */
static void
cookie_line(struct gh_req *req, const char *value, char out[COOKIE_BUFSZ])
{
	struct gh_app *app = req->app;

	if (value == NULL)
		snprintf(out, COOKIE_BUFSZ,
		    GH_CONSOLE_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
		                      "SameSite=Strict%s",
		    req->https ? "; Secure" : "");
	else
		snprintf(out, COOKIE_BUFSZ,
		    GH_CONSOLE_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; "
		                      "SameSite=Strict%s",
		    value,
		    (long long)app->cfg->refresh_token_expire_days * 86400,
		    req->https ? "; Secure" : "");
}

/* {"csrf_token", "session_id", "user"} for session sid of u. */
static void
session_json(
    struct gh_req *req, struct gh_jsonw *w, const struct gh_user *u, gh_id sid)
{
	char csrf[GH_CSRF_BUFSZ];

	gh_h_csrf_token(req, sid, csrf);
	gh_jsonw_lit(w, "{\"csrf_token\":");
	gh_jsonw_str(w, csrf);
	gh_jsonw_lit(w, ",\"session_id\":");
	gh_jsonw_int(w, sid);
	gh_jsonw_lit(w, ",\"user\":");
	gh_h_user_write(w, u);
	gh_jsonw_lit(w, "}");
	sodium_memzero(csrf, sizeof(csrf));
}

/* The login succeeded: session sid exists and holds the hash of the
 * cookie value; send it. */
static enum gh_err
login_done(
    struct gh_req *req, const struct gh_user *u, gh_id sid, const char *value)
{
	char line[COOKIE_BUFSZ];
	struct gh_jsonw w = {0};
	enum gh_err r;

	cookie_line(req, value, line);
	if (gh_input_is_form(req)) {
		/* a plain HTML form post: back to the page, which asks
		 * GET /account/session for its CSRF token */
		const char *hdrs[] = {SEC_HEADERS, "Set-Cookie", line,
		    "Location", "/account", NULL};

		r = gh_resp_data_hdrs(req, 303, NULL, "", 0, hdrs);
	} else {
		const char *hdrs[] = {SEC_HEADERS, "Set-Cookie", line, NULL};

		session_json(req, &w, u, sid);
		r = gh_resp_data_hdrs(req, 200, JSON_TYPE, w.buf, w.len, hdrs);
		gh_jsonw_release(&w);
	}
	sodium_memzero(line, sizeof(line));
	return r;
}

/* username and password of a form body (in the arena): the token
 * endpoint's rules (http/input.h). */
static enum gh_err
login_form(struct gh_req *req, json_t *errs, const char **user, const char **pw,
    size_t *pwlen)
{
	struct gh_form *f;
	size_t n = 0;
	enum gh_err r;

	*user = *pw = NULL;
	if ((r = gh_input_form_body(req, &f)) != GH_OK)
		return r;
	*user = gh_input_form_field(f, "username", true, errs, &n);
	*pw = gh_input_form_field(f, "password", true, errs, pwlen);
	return GH_OK;
}

enum gh_err
h_console_login(struct gh_req *req)
{
	const char *user = NULL, *pw = NULL, *ju, *jp;
	json_t *body = NULL, *errs, *pwv;
	size_t pwlen = 0;
	enum gh_err r;

	if (req->resumed)
		return gh_h_login_resume(req);
	/* login CSRF: another site must not sign the browser in */
	if (!gh_h_same_origin(req))
		return gh_fail(
		    req, GH_ERR_DENIED, GH_CONSOLE_CROSS_SITE_DETAIL);
	errs = gh_verr_new();
	if (gh_input_is_form(req)) {
		if ((r = login_form(req, errs, &user, &pw, &pwlen)) != GH_OK) {
			json_decref(errs); /* its answer is queued */
			return r;
		}
	} else {
		if ((r = gh_input_json_body(req, &body)) != GH_OK) {
			json_decref(errs);
			return r;
		}
		gh_h_str_field(body, "username", true, 1, 0, errs, &ju);
		gh_h_str_field(body, "password", true, 1, 0, errs, &jp);
		if (json_array_size(errs) == 0) {
			user = gh_arena_strndup(req->arena, ju, strlen(ju));
			pwlen = strlen(jp);
			pw = gh_arena_strndup(req->arena, jp, pwlen);
		}
		/* jansson's copy of the password: wipe before freeing */
		pwv = json_object_get(body, "password");
		if (json_is_string(pwv))
			sodium_memzero(
			    (void *)(uintptr_t)json_string_value(pwv),
			    json_string_length(pwv));
		json_decref(body);
	}
	if (json_array_size(errs) > 0)
		return gh_fail_422(req, errs);
	json_decref(errs);
	if (user == NULL || pw == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	return gh_h_login_start(req, user, pw, pwlen, login_done);
}

enum gh_err
h_console_session(struct gh_req *req)
{
	const char *hdrs[] = {SEC_HEADERS, NULL};
	struct gh_jsonw w = {0};
	enum gh_err r;

	session_json(req, &w, req->principal, req->sid);
	r = gh_resp_data_hdrs(req, 200, JSON_TYPE, w.buf, w.len, hdrs);
	gh_jsonw_release(&w);
	return r;
}

enum gh_err
h_console_logout(struct gh_req *req)
{
	struct gh_app *app = req->app;
	char line[COOKIE_BUFSZ];
	enum gh_err r;

	r = gh_store_session_revoke(
	    app->store, req->sid, req->actor.uid, gh_time_now_usec());
	if (r != GH_OK && r != GH_ERR_NOTFOUND)
		return gh_fail(req, r, NULL);
	gh_audit(req, "logout", true, req->actor.uid, NULL, 0,
	    req->via_cookie ? "account console" : NULL);
	cookie_line(req, NULL, line);
	{
		const char *hdrs[] = {SEC_HEADERS, "Set-Cookie", line, NULL};

		return gh_resp_data_hdrs(req, 204, NULL, "", 0, hdrs);
	}
}
