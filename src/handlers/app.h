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
#include "auth/token.h"
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
	/* GET /openapi.json: built once from the route table by main()
	 * (http/openapi.c), freed by main() at exit */
	char *openapi;
	size_t openapi_len;
};

/*
 * Read string field name of obj into *out (borrowed from obj), for the
 * bodies no schema describes (the console's sign-in).  Appends a
 * FastAPI-style error to errs when the field is missing (and required),
 * null, not a string, or outside min..max code points (max 0 = no upper
 * bound).  Returns false when an error was appended; *out is NULL when
 * the field is absent.
 */
bool gh_h_str_field(json_t *obj, const char *name, bool required, size_t min,
    size_t max, json_t *errs, const char **out);

/*
 * The fields of the request body, as the server validated it against
 * the row's schema (req->json, http/input.h): a string (NULL when
 * absent; it lives until the request completes), a boolean (1, 0, or -1
 * when absent), an integer (dflt when absent).
 */
const char *gh_h_str(struct gh_req *req, const char *name);
int gh_h_bool(struct gh_req *req, const char *name);
int64_t gh_h_int(struct gh_req *req, const char *name, int64_t dflt);

/* Append a UserResponse / PostResponse object to w. */
void gh_h_user_write(struct gh_jsonw *w, const struct gh_user *u);
void gh_h_post_write(struct gh_jsonw *w, const struct gh_post *p);

/* Answer with one UserResponse / PostResponse. */
enum gh_err gh_h_send_user(
    struct gh_req *req, unsigned status, const struct gh_user *u);
enum gh_err gh_h_send_post(
    struct gh_req *req, unsigned status, const struct gh_post *p);

/*
 * A suspended request's job.  A handler that hands work to another
 * thread puts this header first in its job (in the request arena) and
 * calls one of the two defer functions: req->hstate points at the job,
 * the request is suspended, the work runs, and the handler is called
 * again with req->resumed to answer (a resumed handler casts
 * req->hstate back to its job).  kind is the handler's own tag when it
 * has several kinds of job.  result is GH_ERR_BUSY when the queue was
 * full (or shutting down): answer gh_resp_busy().
 *
 *   gh_h_defer_hash: hash(j) runs on the hashing pool (nice +19) and
 *     records its own outcome in the job; result stays GH_OK.
 *   gh_h_defer_write: write(s, j) runs inside the store writer's next
 *     batch (group commit), and result is its return value once that
 *     batch has committed.
 */
struct gh_h_job {
	struct gh_req *req;
	int kind;
	enum gh_err result;
	void (*hash)(struct gh_h_job *j);
	enum gh_err (*write)(struct gh_store *s, struct gh_h_job *j);
};
void gh_h_defer_hash(
    struct gh_req *req, struct gh_h_job *j, void (*hash)(struct gh_h_job *j));
/* gh_h_defer_hash leaving spare slots of the pool's queue free: a
 * registration cannot take the room logins need. */
void gh_h_defer_hash_spare(struct gh_req *req, struct gh_h_job *j,
    void (*hash)(struct gh_h_job *j), size_t spare);
void gh_h_defer_write(struct gh_req *req, struct gh_h_job *j,
    enum gh_err (*write)(struct gh_store *s, struct gh_h_job *j));

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

/*
 * As gh_h_stream_list, for pages that need more than the keyset (the
 * owner of the rows, filters): ctx_len bytes at ctx are copied into the
 * stream's state, because later pages are fetched after the request and
 * its arena are gone, and page() receives that copy.  ctx must therefore
 * hold values, not pointers into the request.
 */
typedef enum gh_err (*gh_h_page_ctx_fn)(struct gh_store *s, const void *ctx,
    gh_id after_id, int64_t n, void *emit_ctx);
enum gh_err gh_h_stream_list_ctx(struct gh_req *req, gh_h_page_ctx_fn page,
    const void *ctx, size_t ctx_len, gh_id after_id, int64_t limit);

/*
 * Record an audit event (handlers/audit.c): event is one of the names of
 * issue 4 ("login.success", ...); user_id is who acted (0: unknown, then
 * username is the attempted name, else NULL to use the actor's name);
 * target_user_id 0 for none; detail NULL or a short non-secret text.  The
 * client address comes from req->ip.  A failure to write is logged, never
 * turned into an error response.
 */
void gh_audit(struct gh_req *req, const char *event, bool success,
    gh_id user_id, const char *username, gh_id target_user_id,
    const char *detail);

/* Route handlers (routes.c refers to them). */
enum gh_err h_meta_root(struct gh_req *req);
enum gh_err h_meta_healthz(struct gh_req *req);
enum gh_err h_meta_readyz(struct gh_req *req);
enum gh_err h_auth_register(struct gh_req *req);
enum gh_err h_auth_token(struct gh_req *req);
enum gh_err h_auth_refresh(struct gh_req *req);
enum gh_err h_auth_logout(struct gh_req *req);
enum gh_err h_auth_revoke(struct gh_req *req);
enum gh_err h_account_sessions(struct gh_req *req);
enum gh_err h_account_session_delete(struct gh_req *req);
enum gh_err h_account_password(struct gh_req *req);
enum gh_err h_apikeys_create(struct gh_req *req);
enum gh_err h_apikeys_list(struct gh_req *req);
enum gh_err h_apikeys_delete(struct gh_req *req);
enum gh_err h_users_me(struct gh_req *req);
enum gh_err h_admin_users_list(struct gh_req *req);
enum gh_err h_posts_create(struct gh_req *req);
enum gh_err h_posts_list(struct gh_req *req);
enum gh_err h_posts_update(struct gh_req *req);
enum gh_err h_posts_delete(struct gh_req *req);
enum gh_err h_posts_owner(struct gh_req *req, gh_id id, gh_id *owner);
enum gh_err h_todos_list(struct gh_req *req);
enum gh_err h_todos_create(struct gh_req *req);
enum gh_err h_todos_get(struct gh_req *req);
enum gh_err h_todos_update(struct gh_req *req);
enum gh_err h_todos_delete(struct gh_req *req);
enum gh_err h_admin_user_update(struct gh_req *req);
enum gh_err h_admin_user_delete(struct gh_req *req);
enum gh_err h_admin_audit_list(struct gh_req *req);
enum gh_err h_docs_openapi(struct gh_req *req);
enum gh_err h_docs_page(struct gh_req *req);
enum gh_err h_docs_static(struct gh_req *req);

#endif /* GH_APP_H */
