/*
 * app.h - the application context every handler receives as req->app,
 * and the helpers the handlers share.
 *
 * One struct gh_app is built by main() at start-up and is read-only
 * afterwards (the store, key and pool are internally thread-safe).
 */
#ifndef GH_APP_H
#define GH_APP_H

#include <jansson.h>

#include "auth/jwt.h"
#include "auth/password.h"
#include "config.h"
#include "http/req.h"
#include "store/store.h"
#include "util/jsonw.h"
#include "util/workq.h"

struct gh_app {
	const struct gh_config *cfg;
	struct gh_store *store;
	struct gh_jwt_key *jwt;
	struct gh_workq *hashq;
	struct gh_password_params pw;
	/* argon2id hash of a random password with the configured cost:
	 * unknown users are verified against it (OpenSSH's fakepw) */
	char dummy_hash[GH_PASSWORD_HASH_BUFSZ];
};

/* The authenticate hook of the server: Bearer JWT -> req->actor. */
enum gh_err gh_authn_request(struct gh_req *req);

/*
 * Parse the request body as a JSON object the way FastAPI does (empty
 * body, non-JSON content type, malformed JSON, duplicate keys, a
 * non-object: each a 422 with FastAPI's loc/msg/type).  On failure the
 * 422 is already queued and the error is returned.  *out is a new
 * reference on success.
 */
enum gh_err gh_h_json_body(struct gh_req *req, json_t **out);

/*
 * Read string field name of obj into *out (borrowed from obj).  Appends
 * a FastAPI-style error to errs when the field is missing (and required),
 * null, not a string, or outside min..max code points (max 0 = no upper
 * bound).  Returns false when an error was appended; *out is NULL when
 * the field is absent.
 */
bool gh_h_str_field(json_t *obj, const char *name, bool required, size_t min,
    size_t max, json_t *errs, const char **out);

/* Parse the path id of req->params[i]; on a non-integer append a
 * loc ["path", name] error to errs.  Returns the gh_parse_id result. */
enum gh_err gh_h_path_id(
    struct gh_req *req, int i, const char *name, json_t *errs, gh_id *out);

/* Append a UserResponse / PostResponse object to w. */
void gh_h_user_write(struct gh_jsonw *w, const struct gh_user *u);
void gh_h_post_write(struct gh_jsonw *w, const struct gh_post *p);

/* Answer with one UserResponse / PostResponse. */
enum gh_err gh_h_send_user(
    struct gh_req *req, unsigned status, const struct gh_user *u);
enum gh_err gh_h_send_post(
    struct gh_req *req, unsigned status, const struct gh_post *p);

/*
 * Stream a JSON array of rows fetched page by page (keyset pagination
 * on id), so memory stays flat for any table size.  page() fetches up
 * to n rows after after_id; for each row its callback calls
 * gh_h_stream_row() and writes the row's object into the writer it
 * returns.  limit < 0 streams every row.
 */
typedef enum gh_err (*gh_h_page_fn)(
    struct gh_store *s, gh_id after_id, int64_t n, void *emit_ctx);
enum gh_err gh_h_stream_list(
    struct gh_req *req, gh_h_page_fn page, gh_id after_id, int64_t limit);
struct gh_jsonw *gh_h_stream_row(void *emit_ctx, gh_id id);

/* Route handlers (routes.c refers to them). */
enum gh_err h_meta_root(struct gh_req *req);
enum gh_err h_meta_healthz(struct gh_req *req);
enum gh_err h_meta_readyz(struct gh_req *req);
enum gh_err h_auth_register(struct gh_req *req);
enum gh_err h_auth_token(struct gh_req *req);
enum gh_err h_users_me(struct gh_req *req);
enum gh_err h_admin_users_list(struct gh_req *req);
enum gh_err h_posts_create(struct gh_req *req);
enum gh_err h_posts_list(struct gh_req *req);
enum gh_err h_posts_update(struct gh_req *req);
enum gh_err h_posts_delete(struct gh_req *req);

#endif /* GH_APP_H */
