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
#include <string.h>

#include <sodium.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "log.h"
#include "util/form.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

#define USERNAME_MAX 50
#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

enum job_kind { JOB_HASH, JOB_VERIFY };

/* One hashing job; lives in the request arena while the request is
 * suspended. */
struct pw_job {
	struct gh_req *req;
	enum job_kind kind;
	const struct gh_password_params *params;
	const char *password;
	size_t password_len;
	const char *hash;   /* JOB_VERIFY: the stored or dummy hash */
	bool want_rehash;   /* JOB_VERIFY: rehash on a match */
	enum gh_err result; /* GH_OK: hashed / matched */
	char out[GH_PASSWORD_HASH_BUFSZ]; /* new hash */
	bool rehashed;
	/* handler state carried across the suspension */
	struct gh_user user;
	bool user_found;
	const char *username, *email;
};

static void
job_run(void *arg)
{
	struct pw_job *j = arg;

	if (j->kind == JOB_HASH) {
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

static void
job_done(void *arg)
{
	struct pw_job *j = arg;

	gh_req_resume(j->req);
}

/* Suspend the request and queue the job; a full queue still resumes, with
 * GH_ERR_BUSY as the result, so the second call answers 503. */
static void
defer(struct gh_req *req, struct pw_job *j)
{
	struct gh_app *app = req->app;

	j->req = req;
	j->params = &app->pw;
	req->hstate = j;
	gh_req_suspend(req);
	if (gh_workq_submit(app->hashq, job_run, job_done, j) != GH_OK) {
		j->result = GH_ERR_BUSY;
		gh_req_resume(req);
	}
}

static enum gh_err
busy(struct gh_req *req)
{
	gh_log_warn_f("password hashing queue full: 503");
	return gh_resp_status(
	    req, 503, "Server busy, retry shortly", "Retry-After", "1");
}

enum gh_err
h_auth_register(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct pw_job *j = req->hstate;
	const char *username, *email, *password;
	json_t *body = NULL, *errs;
	char *norm = NULL;
	enum gh_err r;
	size_t n;

	if (req->resumed) {
		if (j->result == GH_ERR_BUSY)
			return busy(req);
		if (j->result != GH_OK)
			return gh_resp_err(req, GH_ERR_INTERNAL, NULL);
		r = gh_store_user_create(app->store, j->username, j->email,
		    j->out, gh_time_now_usec(), req->arena, &j->user);
		sodium_memzero(j->out, sizeof(j->out));
		if (r == GH_ERR_CONFLICT)
			return gh_resp_err(
			    req, r, "Username or email already exists");
		if (r != GH_OK)
			return gh_resp_err(req, r, NULL);
		gh_log_info_f("user %lld registered", (long long)j->user.id);
		return gh_h_send_user(req, 201, &j->user);
	}

	if ((r = gh_h_json_body(req, &body)) != GH_OK)
		return r;
	errs = gh_verr_new();
	gh_h_str_field(
	    body, "username", true, 1, USERNAME_MAX, errs, &username);
	if (gh_h_str_field(body, "email", true, 0, 0, errs, &email)) {
		n = strlen(email);
		norm = gh_arena_alloc(req->arena, n + 1);
		if (norm == NULL || !gh_email_normalize(email, n, norm)) {
			gh_verr_add(errs, "body", "email", -1,
			    "value is not a valid email address",
			    "value_error.email", NULL);
		} else if (gh_utf8_count(norm, strlen(norm)) > GH_EMAIL_MAX) {
			gh_verr_add(errs, "body", "email", -1,
			    "ensure this value has at most 120 characters",
			    "value_error", NULL);
		}
	}
	gh_h_str_field(body, "password", true, PASSWORD_MIN, PASSWORD_MAX, errs,
	    &password);
	if (json_array_size(errs) > 0) {
		r = gh_resp_422(req, errs);
		goto out;
	}
	json_decref(errs);
	j = gh_arena_alloc(req->arena, sizeof(*j));
	if (j == NULL) {
		r = gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		goto out;
	}
	j->kind = JOB_HASH;
	j->username = gh_arena_strndup(req->arena, username, strlen(username));
	j->email = norm;
	j->password_len = strlen(password);
	j->password = gh_arena_strndup(req->arena, password, j->password_len);
	if (j->username == NULL || j->password == NULL) {
		r = gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		goto out;
	}
	defer(req, j);
	r = GH_OK;
out:
	if (body != NULL) {
		/* jansson's copy of the password: wipe before freeing */
		json_t *pw = json_object_get(body, "password");

		if (json_is_string(pw))
			sodium_memzero((void *)(uintptr_t)json_string_value(pw),
			    json_string_length(pw));
		json_decref(body);
	}
	return r;
}

/* Content-Type is application/x-www-form-urlencoded (any parameters). */
static bool
form_content_type(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* A required form field: 422 entries as FastAPI's Form(...) gives. */
static const char *
form_field(const struct gh_form *f, const char *name, bool required,
    json_t *errs, size_t *len)
{
	const char *v = f ? gh_form_get(f, name, len) : NULL;

	if (v == NULL || *len == 0) { /* FastAPI: an empty form value is
		                         a missing one */
		if (required)
			gh_verr_add(errs, "body", name, -1, "field required",
			    "value_error.missing", NULL);
		return NULL;
	}
	if (gh_utf8_has_nul(v, *len) || !gh_utf8_valid(v, *len)) {
		gh_verr_add(errs, "body", name, -1,
		    "string contains a NUL byte or invalid UTF-8",
		    "value_error.str.encoding", NULL);
		return NULL;
	}
	return v;
}

static enum gh_err
issue_token(struct gh_req *req, const struct gh_user *u)
{
	struct gh_app *app = req->app;
	struct gh_jwt_claims c;
	char token[GH_JWT_BUFSZ];
	unsigned char rnd[16];
	int64_t now = gh_time_now_usec() / 1000000;
	int64_t ttl = app->cfg->access_token_expire_minutes * 60;
	enum gh_err r;

	memset(&c, 0, sizeof(c));
	if (strlen(u->username) >= sizeof(c.sub))
		return gh_resp_err(req, GH_ERR_INTERNAL, NULL);
	memcpy(c.sub, u->username, strlen(u->username) + 1);
	c.has_sub = true;
	c.uid = u->id;
	c.has_uid = true;
	memcpy(
	    c.role, gh_role_name(u->role), strlen(gh_role_name(u->role)) + 1);
	c.has_role = true;
	memcpy(c.type, "access", sizeof("access"));
	c.has_type = true;
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
		return gh_resp_err(req, GH_ERR_INTERNAL, NULL);
	r = gh_resp_json(req, 200,
	    json_pack("{s:s,s:s,s:I}", "access_token", token, "token_type",
	        "bearer", "expires_in", (json_int_t)ttl));
	sodium_memzero(token, sizeof(token));
	return r;
}

enum gh_err
h_auth_token(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct pw_job *j = req->hstate;
	struct gh_form *form = NULL;
	const char *username, *password, *grant;
	size_t ulen = 0, plen = 0, glen = 0;
	json_t *errs;
	enum gh_err r;

	if (req->resumed) {
		if (j->result == GH_ERR_BUSY)
			return busy(req);
		if (!j->user_found || j->result != GH_OK ||
		    !j->user.is_active) {
			gh_log_info_f("login failed for a%s user",
			    j->user_found ? "n existing" : "n unknown");
			return gh_resp_unauth(
			    req, "Incorrect username or password", false);
		}
		if (j->rehashed) {
			/* compare-and-set: a concurrent password change wins */
			if (gh_store_user_rehash(app->store, j->user.id,
			        j->user.password_hash, j->out) == GH_OK)
				gh_log_info_f("user %lld: password rehashed",
				    (long long)j->user.id);
			sodium_memzero(j->out, sizeof(j->out));
		}
		return issue_token(req, &j->user);
	}

	if (form_content_type(gh_req_header(req, "Content-Type"))) {
		if ((form = gh_arena_alloc(req->arena, sizeof(*form))) == NULL)
			return gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		r = gh_form_parse(req->arena, req->body, req->body_len, form);
		if (r == GH_ERR_TOOLARGE || r == GH_ERR_INTERNAL)
			return gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		if (r != GH_OK) {
			errs = gh_verr_new();
			gh_verr_add(errs, "body", NULL, -1,
			    "malformed form body", "value_error.form", NULL);
			return gh_resp_422(req, errs);
		}
	}
	errs = gh_verr_new();
	grant = form_field(form, "grant_type", false, errs, &glen);
	if (grant != NULL && strcmp(grant, "password") != 0)
		gh_verr_add(errs, "body", "grant_type", -1,
		    "string does not match regex \"password\"",
		    "value_error.str.regex",
		    json_pack("{s:s}", "pattern", "password"));
	username = form_field(form, "username", true, errs, &ulen);
	password = form_field(form, "password", true, errs, &plen);
	if (json_array_size(errs) > 0)
		return gh_resp_422(req, errs);
	json_decref(errs);

	if ((j = gh_arena_alloc(req->arena, sizeof(*j))) == NULL)
		return gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
	j->kind = JOB_VERIFY;
	j->password = password;
	j->password_len = plen;
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
		return gh_resp_err(req, r, NULL);
	}
	defer(req, j);
	return GH_OK;
}
