/*
 * h_auth.c - registration and the OAuth2 password grant.
 *
 * Both hash a password, which takes milliseconds of CPU, so both run in
 * two calls: the first validates, then defers the hashing to the worker
 * pool and suspends the connection; the pool resumes it and the handler
 * is called again (req->resumed) to finish with the database and the
 * response.  A full pool answers 503 with Retry-After at once.
 *
 * Timing: an unknown username is verified against app->dummy_hash, a
 * real argon2id hash of the configured cost, so it costs what a wrong
 * password costs; deactivated users are verified too before the same
 * 401.  Password copies live in the request arena, wiped at its end.
 */
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "handlers/app.h"
#include "http/input.h"
#include "handlers/console.h"
#include "handlers/schemas.h"
#include "http/resp.h"
#include "log.h"
#include "authn/authn.h"
#include "policy/throttle.h"
#include "util/form.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

/* What a suspended request of this file waits for (struct gh_h_job's
 * kind), so that the resumed handler knows which job it was. */
enum job_kind {
	JOB_REG_COUNT, /* registration: count it for the address (writer) */
	JOB_HASH,      /* registration: hash the password (pool) */
	JOB_COUNT,     /* login: count the attempt (writer) */
	JOB_VERIFY,    /* login: check the password (pool) */
	JOB_UNCOUNT,   /* login: the pool was full, take the attempt back */
	JOB_SESSION,   /* login: clear the counters, start the session */
	JOB_REFRESH,   /* refresh: rotate (writer) */
};

/* One hashing job; lives in the request arena while the request is
 * suspended. */
struct pw_job {
	struct gh_h_job job; /* first: the resumed handler casts back */
	const struct gh_password_params *params;
	const char *password;
	size_t password_len;
	const char *hash;   /* JOB_VERIFY: the stored or dummy hash */
	bool want_rehash;   /* JOB_VERIFY: rehash on a match */
	enum gh_err result; /* the pool's outcome: GH_OK hashed / matched */
	char out[GH_PASSWORD_HASH_BUFSZ]; /* new hash */
	bool rehashed;
	/* handler state carried across the suspension */
	struct gh_user user;
	bool user_found;
	const char *username, *email;
	gh_h_login_done_fn done; /* login: NULL answers with tokens */
	/* login, written by the writer's jobs */
	int64_t now;            /* usec */
	int64_t wait_u, wait_a; /* JOB_COUNT: refused for this long (s) */
	bool rehash_stored;     /* JOB_SESSION */
	char ua[257];
	char refresh[GH_TOKEN_BUFSZ], cookie[GH_TOKEN_BUFSZ]; /* wiped */
	unsigned char refresh_hash[GH_TOKEN_HASH_LEN];
	unsigned char cookie_hash[GH_TOKEN_HASH_LEN];
	gh_id sid;
};

static void
job_run(struct gh_h_job *job)
{
	struct pw_job *j = (struct pw_job *)(void *)job;

	if (job->kind == JOB_HASH) {
		j->result = gh_password_hash(
		    j->params, j->password, j->password_len, j->out);
		return;
	}
	j->result = gh_password_verify(j->hash, j->password, j->password_len);
	if (j->result == GH_OK && j->want_rehash &&
	    gh_password_hash(j->params, j->password, j->password_len, j->out) ==
	        GH_OK)
		j->rehashed = true;
}

/* Suspend the request and queue the job on the hashing pool. */
static void
defer(struct gh_req *req, struct pw_job *j, enum job_kind kind)
{
	struct gh_app *app = req->app;

	j->params = &app->pw;
	j->job.kind = kind;
	gh_h_defer_hash(req, &j->job, job_run);
}

/*
 * Registration: counted for the client's address first, through the
 * writer (REGISTER_MAX_PER_ADDRESS per REGISTER_WINDOW_SECONDS: 429
 * past it, before any hashing), then the password hashed on the pool
 * leaving a quarter of its queue to logins (503 past that), then the
 * user created.  Every attempt counts, refused ones too: a name taken
 * is as much an answer to an enumerating script as a new account.
 */
static enum gh_err
reg_count_run(struct gh_store *s, struct gh_h_job *job)
{
	struct pw_job *j = (struct pw_job *)(void *)job;
	struct gh_app *app = job->req->app;
	int64_t now = j->now / 1000000;
	int64_t window = app->cfg->register_window_seconds;
	struct gh_login_counter lc;
	enum gh_err r;

	j->wait_a = 0;
	r = gh_store_login_counter_get(s, "reg", job->req->ip_bucket, &lc);
	if (r == GH_OK && lc.first_at > now - window &&
	    lc.failures >= app->cfg->register_max_per_address) {
		j->wait_a = GH_MAX(lc.first_at + window - now, 1);
		return GH_OK;
	}
	if (r != GH_OK && r != GH_ERR_NOTFOUND)
		return r;
	return gh_store_login_failure_add(
	    s, "reg", job->req->ip_bucket, now, window, &lc);
}

static enum gh_err
register_counted(struct gh_req *req, struct pw_job *j)
{
	struct gh_app *app = req->app;
	char retry[24];

	if (j->job.result == GH_ERR_BUSY)
		return gh_fail_busy(req, "write");
	if (j->job.result != GH_OK) /* fails closed, as login throttling */
		return gh_fail(req, GH_ERR_DB, NULL);
	if (j->wait_a > 0) {
		gh_audit(req, "register.throttled", false, 0, NULL, 0,
		    "too many registrations from this address");
		snprintf(retry, sizeof(retry), "%lld", (long long)j->wait_a);
		return gh_fail_status(req, 429,
		    "Too many registrations from this address; retry later",
		    "Retry-After", retry);
	}
	j->params = &app->pw;
	j->job.kind = JOB_HASH;
	gh_h_defer_hash_spare(
	    req, &j->job, job_run, (size_t)app->cfg->hash_queue_max / 4);
	return GH_OK;
}

enum gh_err
h_auth_register(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct pw_job *j = req->hstate;
	enum gh_err r;

	if (req->resumed && j->job.kind == JOB_REG_COUNT)
		return register_counted(req, j);
	if (req->resumed) {
		if (j->job.result == GH_ERR_BUSY)
			return gh_fail_busy(req, "password hashing");
		if (j->result != GH_OK)
			return gh_fail(req, GH_ERR_INTERNAL, NULL);
		r = gh_store_user_create(app->store, j->username, j->email,
		    j->out, gh_time_now_usec(), req->arena, &j->user);
		sodium_memzero(j->out, sizeof(j->out));
		if (r == GH_ERR_CONFLICT)
			return gh_fail(
			    req, r, "Username or email already exists");
		if (r != GH_OK)
			return gh_fail(req, r, NULL);
		gh_log_info_f("user %lld registered", (long long)j->user.id);
		return gh_h_send_user(req, 201, &j->user);
	}

	/* the body passed UserCreate (http/input.h), its e-mail address
	 * normalised; the strings live in req->json until the request
	 * completes, when the server wipes the password */
	if ((j = gh_arena_alloc(req->arena, sizeof(*j))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	memset(j, 0, sizeof(*j));
	j->username = gh_h_str(req, "username");
	j->email = gh_h_str(req, "email");
	j->password = gh_h_str(req, "password");
	j->password_len = strlen(j->password);
	j->now = gh_time_now_usec();
	j->job.kind = JOB_REG_COUNT;
	gh_h_defer_write(req, &j->job, reg_count_run);
	return GH_OK;
}

/* The token response: a new access token for (u, sid) and refresh. */
static enum gh_err
send_tokens(
    struct gh_req *req, const struct gh_user *u, gh_id sid, const char *refresh)
{
	struct gh_app *app = req->app;
	struct gh_jwt_claims c;
	char token[GH_JWT_BUFSZ];
	unsigned char rnd[16];
	int64_t now = gh_time_now_usec() / 1000000;
	int64_t ttl = app->cfg->access_token_expire_minutes * 60;
	const char *role = gh_role_name(u->role);
	struct gh_jsonw w = {0};
	enum gh_err r;

	memset(&c, 0, sizeof(c));
	if (strlen(u->username) >= sizeof(c.sub))
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	memcpy(c.sub, u->username, strlen(u->username) + 1);
	c.has_sub = true;
	c.uid = u->id;
	c.has_uid = true;
	memcpy(c.role, role, strlen(role) + 1);
	c.has_role = true;
	memcpy(c.type, "access", sizeof("access"));
	c.has_type = true;
	c.sid = sid;
	c.has_sid = true;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(c.jti, sizeof(c.jti), rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	c.has_jti = true;
	c.ver = u->token_version;
	c.has_ver = true;
	c.iat = now;
	c.has_iat = true;
	c.exp = now + ttl;
	c.has_exp = true;
	if ((r = gh_jwt_sign(app->jwt, &c, token, sizeof(token))) != GH_OK)
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	gh_jsonw_lit(&w, "{\"access_token\":");
	gh_jsonw_str(&w, token);
	gh_jsonw_lit(&w, ",\"token_type\":\"bearer\",\"expires_in\":");
	gh_jsonw_int(&w, ttl);
	gh_jsonw_lit(&w, ",\"refresh_token\":");
	gh_jsonw_str(&w, refresh);
	gh_jsonw_lit(&w, "}");
	sodium_memzero(token, sizeof(token));
	r = gh_resp_jsonw(req, 200, &w);
	return r;
}

static int64_t
refresh_expiry(const struct gh_app *app, int64_t now)
{
	return now + app->cfg->refresh_token_expire_days * 86400LL * 1000000;
}

/*
 * Brute-force throttling; the rule is policy/throttle.c's.  A locked
 * username or address is refused by the server before the handler runs
 * (GH_ROUTE_THROTTLED, authn/authn.h).  The writer then decides again
 * on the counters as they stand in its batch and counts the attempt (per
 * username and per client address) before its password is checked, so
 * attempts sent at the same moment cannot all slip under the limit while
 * their hashes are computed; an attempt refused there is not counted (a
 * retry just before the lock lifts must not push it further out).  Once
 * the delay has passed, the next attempt is checked: a success clears the
 * username's counter and takes its attempt back from the address's; an
 * attempt the hashing pool refused (503) is taken back from both.
 */

/*
 * The login's writes, each run inside the store writer's next batch
 * (gh_h_defer_write), so that no HTTP thread waits for the writer:
 * counting the attempt before the password is checked; taking it back
 * when the hashing pool was full; and, on success, one job that stores a
 * rehash (compare-and-set: a concurrent password change wins), clears
 * the username's counter, takes the attempt back from the address's and
 * starts the session (with the console's cookie).
 */
static enum gh_err
count_run(struct gh_store *s, struct gh_h_job *job)
{
	struct pw_job *j = (struct pw_job *)(void *)job;
	struct gh_app *app = job->req->app;
	int64_t now = j->now / 1000000, window = app->cfg->login_window_seconds;
	struct gh_login_counter lc;
	enum gh_err r;

	/* the counters as they stand in this batch, after every attempt
	 * counted before this one: the same rule as the server's gate, on
	 * the state it could not see */
	j->wait_u = j->wait_a = 0;
	r = gh_store_login_counter_get(s, "user", j->username, &lc);
	if (r == GH_OK)
		j->wait_u = gh_throttle_wait(lc.failures, lc.first_at,
		    lc.last_at, app->cfg->login_max_failures, window, now);
	else if (r != GH_ERR_NOTFOUND)
		return r;
	r = gh_store_login_counter_get(s, "addr", job->req->ip_bucket, &lc);
	if (r == GH_OK)
		j->wait_a =
		    gh_throttle_wait(lc.failures, lc.first_at, lc.last_at,
		        app->cfg->login_max_failures_per_address, window, now);
	else if (r != GH_ERR_NOTFOUND)
		return r;
	if (j->wait_u > 0 || j->wait_a > 0)
		return GH_OK; /* refused, and not counted: an early retry
		                 must not push the lock further out */
	return gh_authn_count_failure(s, job->req, j->username, now);
}

static enum gh_err
uncount_run(struct gh_store *s, struct gh_h_job *job)
{
	struct pw_job *j = (struct pw_job *)(void *)job;

	gh_store_login_counter_undo(s, "user", j->username);
	gh_store_login_counter_undo(s, "addr", job->req->ip_bucket);
	return GH_OK;
}

static enum gh_err
session_run(struct gh_store *s, struct gh_h_job *job)
{
	struct pw_job *j = (struct pw_job *)(void *)job;
	struct gh_app *app = job->req->app;
	enum gh_err r;

	if (j->rehashed)
		j->rehash_stored = gh_store_user_rehash(s, j->user.id,
		                       j->user.password_hash, j->out) == GH_OK;
	gh_store_login_counter_clear(s, "user", j->username);
	gh_store_login_counter_undo(s, "addr", job->req->ip_bucket);
	r = gh_store_session_create(s, j->user.id, j->refresh_hash, j->now,
	    refresh_expiry(app, j->now), j->ua, job->req->ip, &j->sid);
	if (r == GH_OK && j->done != NULL)
		r = gh_store_session_set_cookie(s, j->sid, j->cookie_hash);
	if (r == GH_OK) /* in the session's own transaction */
		gh_audit(job->req, "login.success", true, j->user.id,
		    j->user.username, 0,
		    j->done != NULL ? "account console" : NULL);
	return r;
}

/*
 * The refresh grant, from /auth/refresh or /auth/token.  The rotation is
 * a write: it goes to the store's writer thread (gh_store_batch_submit),
 * which commits it together with the other rotations queued meanwhile,
 * and the request is suspended until that commit.  The job lives in the
 * request arena while the request is suspended.
 */
struct refresh_job {
	struct gh_h_job job; /* first: kind JOB_REFRESH */
	unsigned char old_hash[GH_TOKEN_HASH_LEN], new_hash[GH_TOKEN_HASH_LEN];
	char refresh[GH_TOKEN_BUFSZ]; /* the new token, wiped after use */
	int64_t now, expires_at, grace_usec;
	struct gh_user u;
	gh_id sid;
	enum gh_refresh_result res;
	bool oauth; /* from the token endpoint: RFC 6749 errors */
};

static enum gh_err
refresh_run(struct gh_store *s, struct gh_h_job *job)
{
	struct refresh_job *j = (struct refresh_job *)(void *)job;
	struct gh_req *req = job->req;
	enum gh_err r;

	r = gh_store_refresh_rotate(s, j->old_hash, j->new_hash, j->now,
	    j->expires_at, j->grace_usec, req->arena, &j->u, &j->sid, &j->res);
	if (r != GH_OK)
		return r;
	/* audited in the rotation's own transaction (handlers/audit.c) */
	if (j->res == GH_REFRESH_REUSED)
		gh_audit(req, "token.reuse_detected", false, j->u.id,
		    j->u.username, 0,
		    "a spent refresh token was presented; session revoked");
	else if (j->res == GH_REFRESH_INVALID)
		gh_audit(req, "token.refresh", false, 0, NULL, 0,
		    "invalid refresh token");
	else
		gh_audit(req, "token.refresh", true, j->u.id, j->u.username, 0,
		    j->res == GH_REFRESH_GRACE ? "retry within the grace window"
		                               : NULL);
	return GH_OK;
}

static enum gh_err
do_refresh(struct gh_req *req, const char *presented, bool oauth)
{
	struct gh_app *app = req->app;
	struct refresh_job *j;

	if ((j = gh_arena_alloc(req->arena, sizeof(*j))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	memset(j, 0, sizeof(*j));
	j->job.kind = JOB_REFRESH;
	j->oauth = oauth;
	j->now = gh_time_now_usec();
	j->expires_at = refresh_expiry(app, j->now);
	j->grace_usec = app->cfg->refresh_reuse_grace_seconds * 1000000;
	gh_token_hash(presented, strlen(presented), j->old_hash);
	gh_token_new(j->refresh, j->new_hash);
	gh_h_defer_write(req, &j->job, refresh_run);
	return GH_OK;
}

/* Second call of a refresh: the rotation has committed (or not). */
static enum gh_err
refresh_resume(struct gh_req *req)
{
	struct refresh_job *j = req->hstate;
	enum gh_err r;

	if (j->job.result != GH_OK) {
		sodium_memzero(j->refresh, sizeof(j->refresh));
		return j->job.result == GH_ERR_BUSY
		           ? gh_fail_busy(req, "write")
		           : gh_fail(req, j->job.result, NULL);
	}
	if (j->res != GH_REFRESH_ROTATED && j->res != GH_REFRESH_GRACE) {
		sodium_memzero(j->refresh, sizeof(j->refresh));
		if (j->oauth) /* RFC 6749 section 5.2 */
			return gh_fail_oauth(req, "invalid_grant",
			    j->res == GH_REFRESH_REUSED
			        ? "The refresh token was already used; "
			          "its session is revoked"
			        : "The refresh token is invalid, expired or "
			          "revoked");
		return gh_fail_unauth(
		    req, "Could not validate credentials", true);
	}
	r = send_tokens(req, &j->u, j->sid, j->refresh);
	sodium_memzero(j->refresh, sizeof(j->refresh));
	return r;
}

/* The attempt is counted: refuse it past the limits, or check it. */
static enum gh_err
login_counted(struct gh_req *req, struct pw_job *j)
{
	if (j->job.result == GH_ERR_BUSY)
		return gh_fail_busy(req, "write");
	if (j->job.result != GH_OK) /* throttling fails closed */
		return gh_fail(req, GH_ERR_DB, NULL);
	if (j->wait_u > 0 || j->wait_a > 0)
		return gh_authn_throttled(
		    req, j->username, j->wait_u, j->wait_a);
	defer(req, j, JOB_VERIFY);
	return GH_OK;
}

/* The password is checked: a failure stays counted; a success starts
 * the session through the writer. */
static enum gh_err
login_verified(struct gh_req *req, struct pw_job *j)
{
	const char *agent = gh_req_header(req, "User-Agent");

	if (j->job.result == GH_ERR_BUSY) {
		j->job.kind = JOB_UNCOUNT;
		gh_h_defer_write(req, &j->job, uncount_run);
		return GH_OK;
	}
	if (!j->user_found || j->result != GH_OK || !j->user.is_active) {
		/* the failure was counted before the check */
		gh_audit(req, "login.failure", false,
		    j->user_found ? j->user.id : 0, j->username, 0,
		    !j->user_found       ? "unknown user"
		    : !j->user.is_active ? "inactive user"
		                         : "wrong password");
		return gh_fail_unauth(
		    req, "Incorrect username or password", false);
	}
	snprintf(j->ua, sizeof(j->ua), "%s", agent ? agent : "");
	/* stored text is UTF-8 (PostgreSQL refuses anything else): a
	 * header's stray bytes, or a character the cut above split, end it */
	j->ua[gh_utf8_valid_prefix(j->ua, strlen(j->ua))] = '\0';
	gh_token_new(j->refresh, j->refresh_hash);
	if (j->done != NULL)
		gh_token_new(j->cookie, j->cookie_hash);
	j->now = gh_time_now_usec();
	j->job.kind = JOB_SESSION;
	gh_h_defer_write(req, &j->job, session_run);
	return GH_OK;
}

/* The session exists (or not): answer with its first token pair, or let
 * done answer (the console: no token leaves, the refresh token of the
 * session is never shown to anyone). */
static enum gh_err
login_session(struct gh_req *req, struct pw_job *j)
{
	enum gh_err r = j->job.result;

	sodium_memzero(j->out, sizeof(j->out));
	if (r != GH_OK) {
		sodium_memzero(j->refresh, sizeof(j->refresh));
		sodium_memzero(j->cookie, sizeof(j->cookie));
		return r == GH_ERR_BUSY
		           ? gh_fail_busy(req, "write")
		           : gh_fail(req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r,
		                 NULL);
	}
	if (j->rehash_stored)
		gh_log_info_f(
		    "user %lld: password rehashed", (long long)j->user.id);
	r = j->done != NULL ? j->done(req, &j->user, j->sid, j->cookie)
	                    : send_tokens(req, &j->user, j->sid, j->refresh);
	sodium_memzero(j->refresh, sizeof(j->refresh));
	sodium_memzero(j->cookie, sizeof(j->cookie));
	return r;
}

enum gh_err
gh_h_login_resume(struct gh_req *req)
{
	struct pw_job *j = req->hstate;

	switch (j->job.kind) {
	case JOB_COUNT:
		return login_counted(req, j);
	case JOB_VERIFY:
		return login_verified(req, j);
	case JOB_UNCOUNT:
		return gh_fail_busy(req, "password hashing");
	case JOB_SESSION:
		return login_session(req, j);
	default:
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	}
}

enum gh_err
h_auth_token(struct gh_req *req)
{
	struct gh_form *form = NULL;
	const char *username, *password, *grant, *refresh;
	size_t ulen = 0, plen = 0, glen = 0, rlen = 0;
	json_t *errs;
	enum gh_err r;

	if (req->resumed)
		return ((struct gh_h_job *)req->hstate)->kind == JOB_REFRESH
		           ? refresh_resume(req)
		           : gh_h_login_resume(req);
	if ((r = gh_input_form_body(req, &form)) != GH_OK)
		return r;
	errs = gh_verr_new();
	grant = gh_input_form_field(form, "grant_type", false, errs, &glen);
	if (grant != NULL && strcmp(grant, "refresh_token") == 0) {
		/* RFC 6749 section 6, errors as its section 5.2 says: OAuth2
		 * client libraries read them (docs/DECISIONS.md) */
		refresh = gh_input_form_field(
		    form, "refresh_token", true, errs, &rlen);
		json_decref(errs);
		if (refresh == NULL)
			return gh_fail_oauth(req, "invalid_request",
			    "The refresh_token parameter is missing or not "
			    "valid UTF-8");
		return do_refresh(req, refresh, true);
	}
	if (grant != NULL && strcmp(grant, "password") != 0) {
		json_decref(errs);
		return gh_fail_oauth(req, "unsupported_grant_type",
		    "grant_type must be password or refresh_token");
	}
	username = gh_input_form_field(form, "username", true, errs, &ulen);
	password = gh_input_form_field(form, "password", true, errs, &plen);
	if (json_array_size(errs) > 0)
		return gh_fail_422(req, errs);
	json_decref(errs);
	return gh_h_login_start(req, username, password, plen, NULL);
}

/* pydantic's max_length error for a form or JSON field. */
static void
too_long(json_t *errs, const char *name, int64_t max)
{
	char msg[64];

	snprintf(msg, sizeof(msg),
	    "ensure this value has at most %lld characters", (long long)max);
	gh_verr_add(errs, "body", name, -1, msg,
	    "value_error.any_str.max_length",
	    json_pack("{s:I}", "limit_value", (json_int_t)max));
}

static enum gh_err
login_lengths(
    struct gh_req *req, const char *username, const char *password, size_t plen)
{
	json_t *errs = gh_verr_new();

	if (gh_utf8_count(username, strlen(username)) > GH_USERNAME_MAX)
		too_long(errs, "username", GH_USERNAME_MAX);
	if (gh_utf8_count(password, plen) > GH_PASSWORD_MAX)
		too_long(errs, "password", GH_PASSWORD_MAX);
	if (json_array_size(errs) > 0)
		return gh_fail_422(req, errs);
	json_decref(errs);
	return GH_OK;
}

enum gh_err
gh_h_login_start(struct gh_req *req, const char *username, const char *password,
    size_t plen, gh_h_login_done_fn done)
{
	struct gh_app *app = req->app;
	struct pw_job *j;
	enum gh_err r;

	/* the server refused a locked username or address before the
	 * handler ran (GH_ROUTE_THROTTLED, authn/authn.h).  A name or a
	 * password no account can have (registration's limits) is refused
	 * before it is counted, stored or audited: nobody fills the
	 * database with login names */
	if ((r = login_lengths(req, username, password, plen)) != GH_OK)
		return r;
	if ((j = gh_arena_alloc(req->arena, sizeof(*j))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	j->password = password;
	j->password_len = plen;
	j->username = username;
	j->done = done;
	j->now = gh_time_now_usec();
	r = gh_store_user_get_by_name(
	    app->store, username, req->arena, &j->user);
	if (r == GH_OK) {
		j->user_found = true;
		j->hash = j->user.password_hash;
		j->want_rehash =
		    gh_password_needs_rehash(&app->pw, j->user.password_hash);
	} else if (r == GH_ERR_NOTFOUND) {
		j->hash = app->dummy_hash;
	} else {
		return gh_fail(req, r, NULL);
	}
	/* count the attempt before its password is checked */
	j->job.kind = JOB_COUNT;
	gh_h_defer_write(req, &j->job, count_run);
	return GH_OK;
}

enum gh_err
h_auth_refresh(struct gh_req *req)
{
	if (req->resumed)
		return refresh_resume(req);
	/* the body passed RefreshRequest (http/input.h) */
	return do_refresh(req, gh_h_str(req, "refresh_token"), false);
}

enum gh_err
h_auth_logout(struct gh_req *req)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	r = gh_store_session_revoke(
	    app->store, req->sid, req->actor.uid, gh_time_now_usec());
	if (r != GH_OK && r != GH_ERR_NOTFOUND)
		return gh_fail(req, r, NULL);
	gh_audit(req, "logout", true, req->actor.uid, NULL, 0, NULL);
	return gh_resp_empty(req, 204);
}

/* RFC 7009: the token is the credential; unknown tokens are not an
 * error, and the answer never tells whether anything was revoked. */
enum gh_err
h_auth_revoke(struct gh_req *req)
{
	struct gh_app *app = req->app;
	unsigned char hash[GH_TOKEN_HASH_LEN];
	struct gh_jwt_claims c;
	struct gh_form *form = NULL;
	const char *tok;
	size_t len = 0;
	gh_id sid = 0, uid = 0;
	json_t *errs;
	enum gh_err r;

	if ((r = gh_input_form_body(req, &form)) != GH_OK)
		return r;
	errs = gh_verr_new();
	tok = gh_input_form_field(form, "token", true, errs, &len);
	if (json_array_size(errs) > 0)
		return gh_fail_422(req, errs);
	json_decref(errs);
	gh_token_hash(tok, len, hash);
	if (gh_store_session_of_refresh(app->store, hash, &sid, &uid) !=
	        GH_OK &&
	    gh_jwt_verify(app->jwt, tok, len, gh_time_now_usec() / 1000000, &c,
	        NULL) == GH_OK &&
	    c.has_sid && c.has_uid && c.has_type &&
	    strcmp(c.type, "access") == 0) {
		sid = c.sid;
		uid = c.uid;
	}
	if (sid != 0 && gh_store_session_revoke(
	                    app->store, sid, uid, gh_time_now_usec()) == GH_OK)
		gh_audit(req, "token.revoke", true, uid, NULL, 0, NULL);
	sodium_memzero(&c, sizeof(c));
	return gh_resp_data(
	    req, 200, "application/json; charset=utf-8", "{}", 2);
}
