/*
 * h_account.c - the caller's own account: sessions, password, API keys.
 *
 * Every route here refuses API-key authentication (GH_ROUTE_NO_APIKEY in
 * routes.c): a leaked key must not be able to mint more keys, end the
 * owner's logins or take the account over.
 */
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "authn/authn.h"
#include "handlers/app.h"
#include "http/resp.h"
#include "log.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "policy/policy.h"
#include "util/banned.h"

static void
put_time(struct gh_jsonw *w, int64_t usec)
{
	char ts[GH_TIME_BUFSZ];

	if (usec == 0) {
		gh_jsonw_lit(w, "null");
		return;
	}
	gh_time_rfc3339(usec, ts);
	gh_jsonw_str(w, ts);
}

struct list_ctx {
	struct gh_jsonw w;
	gh_id current;
	bool first;
};

/* The answer for a JSON array built in l ("[" and rows) by a store walk
 * that returned r. */
static enum gh_err
list_finish(struct gh_req *req, enum gh_err r, struct list_ctx *l)
{
	if (r != GH_OK) {
		gh_jsonw_release(&l->w);
		return gh_fail(req, r, NULL);
	}
	gh_jsonw_lit(&l->w, "]");
	return gh_resp_jsonw(req, 200, &l->w);
}

/* The answer for the caller's session or key revoked by a store call that
 * returned r: 204 and the audit event, or the row's 404. */
static enum gh_err
revoke_finish(
    struct gh_req *req, enum gh_err r, const char *event, const char *not_found)
{
	if (r != GH_OK)
		return gh_fail(req, r, r == GH_ERR_NOTFOUND ? not_found : NULL);
	gh_audit(req, event, true, req->actor.uid, NULL, 0, NULL);
	return gh_resp_empty(req, 204);
}

static enum gh_err
session_row(void *ctx, const struct gh_session *s)
{
	struct list_ctx *l = ctx;

	gh_jsonw_lit(&l->w, l->first ? "{\"id\":" : ",{\"id\":");
	l->first = false;
	gh_jsonw_int(&l->w, s->id);
	gh_jsonw_lit(&l->w, ",\"created_at\":");
	put_time(&l->w, s->created_at);
	gh_jsonw_lit(&l->w, ",\"last_used_at\":");
	put_time(&l->w, s->last_used_at);
	gh_jsonw_lit(&l->w, ",\"user_agent\":");
	gh_jsonw_str(&l->w, s->user_agent);
	gh_jsonw_lit(&l->w, ",\"ip\":");
	gh_jsonw_str(&l->w, s->ip);
	gh_jsonw_lit(&l->w, ",\"current\":");
	gh_jsonw_bool(&l->w, s->id == l->current);
	gh_jsonw_lit(&l->w, "}");
	return GH_OK;
}

enum gh_err
h_account_sessions(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct list_ctx l = {{0}, req->sid, true};
	enum gh_err r;

	gh_jsonw_lit(&l.w, "[");
	r = gh_store_session_list(
	    app->store, req->actor.uid, gh_time_now_usec(), session_row, &l);
	return list_finish(req, r, &l);
}

enum gh_err
h_account_session_delete(struct gh_req *req)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	r = gh_store_session_revoke(
	    app->store, req->id, req->actor.uid, gh_time_now_usec());
	return revoke_finish(req, r, "session.revoke", "Session not found");
}

/* Password change: verify the current password and hash the new one on
 * the hashing pool, then swap them and end every session.  A wrong
 * current password is a failed login: it is counted, through the
 * writer, on the caller's username and address (the row is THROTTLED, so
 * the server refuses the next guesses with 429 like a login's). */
enum { CH_HASH, CH_COUNT };

struct pw_change {
	struct gh_h_job job; /* first: the resumed handler casts back */
	const struct gh_password_params *params;
	const char *username;
	const char *hash;
	const char *current, *next;
	size_t current_len, next_len;
	enum gh_err verified, hashed;
	char out[GH_PASSWORD_HASH_BUFSZ];
};

static void
change_run(struct gh_h_job *job)
{
	struct pw_change *p = (struct pw_change *)(void *)job;

	p->verified = gh_password_verify(p->hash, p->current, p->current_len);
	if (p->verified == GH_OK)
		p->hashed =
		    gh_password_hash(p->params, p->next, p->next_len, p->out);
}

/* The writer's job for a wrong current password. */
static enum gh_err
change_count_run(struct gh_store *s, struct gh_h_job *job)
{
	struct pw_change *p = (struct pw_change *)(void *)job;

	return gh_authn_count_failure(
	    s, job->req, p->username, gh_time_now_usec() / 1000000);
}

static enum gh_err
change_finish(struct gh_req *req, struct pw_change *p)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	if (p->job.kind == CH_COUNT) {
		gh_audit(req, "password.change", false, req->actor.uid, NULL, 0,
		    "wrong current password");
		if (p->job.result != GH_OK) /* throttling fails closed */
			return gh_fail(req,
			    p->job.result == GH_ERR_BUSY ? GH_ERR_BUSY
			                                 : GH_ERR_DB,
			    NULL);
		return gh_fail(req, GH_ERR_INVALID, "Incorrect password");
	}
	if (p->job.result == GH_ERR_BUSY)
		return gh_fail_busy(req, "password hashing");
	if (p->verified != GH_OK) {
		p->job.kind = CH_COUNT;
		gh_h_defer_write(req, &p->job, change_count_run);
		return GH_OK;
	}
	if (p->hashed != GH_OK)
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	r = gh_store_user_set_password(app->store, req->actor.uid, p->out,
	    gh_time_now_usec(), gh_h_bool(req, "keep_api_keys") == 1);
	sodium_memzero(p->out, sizeof(p->out));
	if (r != GH_OK)
		return gh_fail(req, r, NULL);
	gh_audit(req, "password.change", true, req->actor.uid, NULL, 0,
	    gh_h_bool(req, "keep_api_keys") == 1
	        ? "every session ended; API keys kept"
	        : "every session and API key ended");
	return gh_resp_empty(req, 204);
}

enum gh_err
h_account_password(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct pw_change *p = req->hstate;
	const struct gh_user *u = req->principal;
	struct gh_user row;
	const char *cur, *next;
	enum gh_err r;

	if (req->resumed)
		return change_finish(req, p);
	/* the body passed PasswordChange (http/input.h); the server wipes
	 * jansson's copies of both passwords when the request completes */
	cur = gh_h_str(req, "current_password");
	next = gh_h_str(req, "new_password");
	/* the principal carries no hash (gh_store_auth_load): read it */
	if ((r = gh_store_user_get(app->store, u->id, req->arena, &row)) !=
	    GH_OK)
		return r == GH_ERR_NOTFOUND
		           ? gh_fail_unauth(
		                 req, "Could not validate credentials", true)
		           : gh_fail(req, r, NULL);
	if ((p = gh_arena_alloc(req->arena, sizeof(*p))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	/* row lives in the arena, cur and next in req->json, until the
	 * request completes */
	p->hash = row.password_hash;
	p->username = row.username;
	p->job.kind = CH_HASH;
	p->current = cur;
	p->current_len = strlen(cur);
	p->next = next;
	p->next_len = strlen(next);
	p->params = &app->pw;
	gh_h_defer_hash(req, &p->job, change_run);
	return GH_OK;
}

static void
key_write(struct gh_jsonw *w, const struct gh_apikey *k, const char *key)
{
	unsigned bit;
	bool first;

	gh_jsonw_lit(w, "{\"id\":");
	gh_jsonw_int(w, k->id);
	gh_jsonw_lit(w, ",\"name\":");
	gh_jsonw_str(w, k->name);
	gh_jsonw_lit(w, ",\"prefix\":");
	gh_jsonw_str(w, k->prefix);
	if (key != NULL) {
		gh_jsonw_lit(w, ",\"key\":");
		gh_jsonw_str(w, key);
	}
	gh_jsonw_lit(w, ",\"created_at\":");
	put_time(w, k->created_at);
	gh_jsonw_lit(w, ",\"expires_at\":");
	put_time(w, k->expires_at);
	gh_jsonw_lit(w, ",\"last_used_at\":");
	put_time(w, k->last_used_at);
	gh_jsonw_lit(w, ",\"scopes\":[");
	for (bit = 1, first = true; bit <= GH_SCOPE_ADMIN; bit <<= 1)
		if (k->scopes & bit) {
			gh_jsonw_lit(w, first ? "\"" : ",\"");
			gh_jsonw_lit(w, gh_scope_name(bit));
			gh_jsonw_lit(w, "\"");
			first = false;
		}
	gh_jsonw_lit(w, "]}");
}

/* The scopes of a new key: the body's (validated against
 * GH_SCOPE_NAMES), or every scope the owner can give; admin only for an
 * admin.  0 after recording the failure in *r. */
static unsigned
key_scopes(struct gh_req *req, enum gh_err *r)
{
	json_t *list = json_object_get(req->json, "scopes"), *v;
	unsigned scopes = 0;
	size_t i;
	bool admin = req->actor.role == GH_ROLE_ADMIN;

	if (list == NULL || json_is_null(list))
		return admin ? GH_SCOPE_ALL : GH_SCOPE_READ | GH_SCOPE_WRITE;
	json_array_foreach(list, i, v) scopes |=
	    gh_scope_parse(json_string_value(v), json_string_length(v));
	if ((scopes & GH_SCOPE_ADMIN) && !admin) {
		*r = gh_fail(req, GH_ERR_DENIED,
		    "Only an admin's key can have the admin scope");
		return 0;
	}
	return scopes;
}

enum gh_err
h_apikeys_create(struct gh_req *req)
{
	struct gh_app *app = req->app;
	unsigned char prefix_raw[GH_APIKEY_PREFIX_LEN / 2];
	unsigned char hash[GH_TOKEN_HASH_LEN];
	char secret[GH_TOKEN_BUFSZ], prefix[GH_APIKEY_PREFIX_LEN + 1];
	char key[GH_APIKEY_PREFIX_LEN + GH_APIKEY_SECRET_LEN + 8];
	struct gh_jsonw w = {0};
	struct gh_apikey k;
	const char *name = gh_h_str(req, "name");
	int64_t max = app->cfg->api_key_max_days;
	int64_t days = gh_h_int(req, "expires_in_days", max),
	        now = gh_time_now_usec();
	enum gh_err r = GH_ERR_CONFLICT;
	unsigned scopes;
	char msg[64];
	json_t *errs;
	int tries;

	/* the body passed ApiKeyCreate (http/input.h); the bound of the
	 * lifetime is the configuration's */
	if (days > max) {
		snprintf(msg, sizeof(msg),
		    "ensure this value is less than or equal to %lld",
		    (long long)max);
		errs = gh_verr_new();
		gh_verr_add(errs, "body", "expires_in_days", -1, msg,
		    "value_error.number.not_le",
		    json_pack("{s:I}", "limit_value", (json_int_t)max));
		return gh_fail_422(req, errs);
	}
	if ((scopes = key_scopes(req, &r)) == 0)
		return r;
	gh_token_new(secret, hash);
	for (tries = 0, r = GH_ERR_CONFLICT; tries < 4 && r == GH_ERR_CONFLICT;
	     tries++) {
		randombytes_buf(prefix_raw, sizeof(prefix_raw));
		sodium_bin2hex(
		    prefix, sizeof(prefix), prefix_raw, sizeof(prefix_raw));
		r = gh_store_apikey_create(app->store, req->actor.uid, name,
		    prefix, hash, now, now + days * 86400LL * 1000000, scopes,
		    req->arena, &k);
	}
	if (r == GH_OK) {
		snprintf(key, sizeof(key), "gh_%s_%s", prefix, secret);
		key_write(&w, &k, key);
		gh_audit(req, "apikey.create", true, req->actor.uid, NULL, 0,
		    k.prefix);
		r = gh_resp_jsonw(req, 201, &w);
	} else {
		r = gh_fail(req, r == GH_ERR_CONFLICT ? GH_ERR_DB : r, NULL);
	}
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(key, sizeof(key));
	return r;
}

static enum gh_err
key_row(void *ctx, const struct gh_apikey *k)
{
	struct list_ctx *l = ctx;

	if (!l->first)
		gh_jsonw_lit(&l->w, ",");
	l->first = false;
	key_write(&l->w, k, NULL);
	return GH_OK;
}

enum gh_err
h_apikeys_list(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct list_ctx l = {{0}, 0, true};
	enum gh_err r;

	gh_jsonw_lit(&l.w, "[");
	r = gh_store_apikey_list(
	    app->store, req->actor.uid, gh_time_now_usec(), key_row, &l);
	return list_finish(req, r, &l);
}

enum gh_err
h_apikeys_delete(struct gh_req *req)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	r = gh_store_apikey_revoke(
	    app->store, req->id, req->actor.uid, gh_time_now_usec());
	return revoke_finish(req, r, "apikey.revoke", "API key not found");
}
