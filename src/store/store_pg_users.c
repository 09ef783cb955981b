/*
 * store_pg_users.c - the PostgreSQL backend's users and posts: the same
 * two tables as the SQLite backend's (times as BIGINT microseconds).
 *
 * Concurrency: there is no writer lock; several gatehouse instances may
 * share the database, so every check-then-write is made atomic by the
 * database.  Registration is one transaction that first takes the
 * GH_PG_LOCK_USERS advisory lock (as the admin code's last-admin guard
 * does), then checks the name, its folded form and the e-mail, and
 * whether the table is empty, then inserts: concurrent registrations, on
 * any instance, run one after the other, and creating the first admin
 * cannot interleave with demoting the last one.  Every other write is a
 * single statement (RETURNING the row where one is wanted).
 *
 * Ownership: strings of returned records are copied into the caller's
 * arena; list callbacks see the result's own buffers (borrowed, valid
 * during the callback only; the result is freed after the walk).
 * Prepared statements live in each pooled connection, slots
 * GH_PG_SLOT_USERS onwards.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libpq-fe.h>

#include "policy/policy.h"
#include "store/store_pg_int.h"
#include "util/username.h"
#include "util/banned.h"

enum user_stmt {
	U_USER_GET,
	U_USER_BY_NAME,
	U_USER_TAKEN,
	U_USER_INSERT,
	U_USER_REHASH,
	U_USER_LIST,
	U_POST_INSERT,
	U_POST_GET,
	U_POST_UPDATE,
	U_POST_DELETE,
	U_POST_LIST,
	U_COUNT
};

#define USER_COLS GH_PG_USER_COLS
#define POST_COLS "id, title, content, user_id, date_posted"

static const char *const user_sql[U_COUNT] = {
    [U_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = $1::bigint",
    [U_USER_BY_NAME] = "SELECT " USER_COLS " FROM users "
                       "WHERE username = $1::text",
    /* e-mails compare ASCII-case-insensitively, as SQLite's lower():
     * the first lower() finds candidates through ix_users_email_lower,
     * the "C" one (ASCII only) decides; then whether the table is empty
     * (the first user becomes admin) */
    [U_USER_TAKEN] =
        "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1::text "
        "OR username_fold = $3::text "
        "OR (lower(email) = lower($2::text) "
        "AND lower(email COLLATE \"C\") = lower($2::text COLLATE \"C\"))), "
        "EXISTS (SELECT 1 FROM users)",
    [U_USER_INSERT] = "INSERT INTO users (username, email, hashed_password, "
                      "is_admin, role, is_active, created_at, token_version, "
                      "username_fold) "
                      "VALUES ($1::text, $2::text, $3::text, $4::boolean, "
                      "$5::text, true, $6::bigint, 0, $7::text) "
                      "RETURNING " USER_COLS,
    [U_USER_REHASH] = "UPDATE users SET hashed_password = $3::text "
                      "WHERE id = $1::bigint AND hashed_password = $2::text",
    /* a NULL limit: all (LIMIT NULL is no limit) */
    [U_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE id > $1::bigint "
                    "ORDER BY id LIMIT $2::bigint",
    [U_POST_INSERT] = "INSERT INTO posts (title, content, user_id, "
                      "date_posted) VALUES ($1::text, $2::text, $3::bigint, "
                      "$4::bigint) RETURNING " POST_COLS,
    [U_POST_GET] = "SELECT " POST_COLS " FROM posts WHERE id = $1::bigint",
    /* NULL parameters keep the column (the store.h contract) */
    [U_POST_UPDATE] = "UPDATE posts SET title = coalesce($2::text, title), "
                      "content = coalesce($3::text, content) "
                      "WHERE id = $1::bigint RETURNING " POST_COLS,
    [U_POST_DELETE] = "DELETE FROM posts WHERE id = $1::bigint",
    [U_POST_LIST] = "SELECT " POST_COLS " FROM posts WHERE id > $1::bigint "
                    "ORDER BY id LIMIT $2::bigint",
};

_Static_assert(GH_PG_SLOT_USERS + U_COUNT <= GH_PG_SLOT_SESSIONS,
    "user and post slots overlap the next range");

/* Run this file's statement id on connection c. */
static enum gh_err
user_exec(struct gh_pg_conn *c, enum user_stmt id, const struct gh_pg_params *p,
    PGresult **out, const char *what)
{
	return gh_pg_exec(
	    c, GH_PG_SLOT_USERS + (int)id, user_sql[id], p, out, what);
}

void
gh_pg_row_user(
    const PGresult *r, int row, struct gh_arena *a, struct gh_user *u)
{
	u->id = gh_pg_int(r, row, 0);
	u->username = gh_pg_str(r, row, 1, a);
	u->email = gh_pg_str(r, row, 2, a);
	u->password_hash = gh_pg_str(r, row, 3, a);
	if (gh_pg_null(r, row, 4) ||
	    !gh_role_parse(PQgetvalue(r, row, 4), &u->role))
		u->role = GH_ROLE_USER;
	u->is_active = gh_pg_bool(r, row, 5);
	u->created_at = gh_pg_int(r, row, 6);
	u->token_version = gh_pg_int(r, row, 7);
}

static void
row_post(const PGresult *r, int row, struct gh_arena *a, struct gh_post *p)
{
	p->id = gh_pg_int(r, row, 0);
	p->title = gh_pg_str(r, row, 1, a);
	p->content = gh_pg_str(r, row, 2, a);
	p->user_id = gh_pg_int(r, row, 3);
	p->date_posted = gh_pg_int(r, row, 4);
}

/* Run a statement expected to yield at most one user row into *out. */
static enum gh_err
one_user(struct gh_pg_conn *c, enum user_stmt id, const struct gh_pg_params *p,
    struct gh_arena *a, struct gh_user *out)
{
	PGresult *res;
	enum gh_err r;

	if ((r = user_exec(c, id, p, &res, "user statement")) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		gh_pg_row_user(res, 0, a, out);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

static enum gh_err
one_post(struct gh_pg_conn *c, enum user_stmt id, const struct gh_pg_params *p,
    struct gh_arena *a, struct gh_post *out)
{
	PGresult *res;
	enum gh_err r;

	if ((r = user_exec(c, id, p, &res, "post statement")) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		row_post(res, 0, a, out);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_user_get(
    struct gh_store *gs, gh_id id, struct gh_arena *a, struct gh_user *out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	r = one_user(c, U_USER_GET, &p, a, out);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_user_get_by_name(struct gh_store *gs, const char *username,
    struct gh_arena *a, struct gh_user *out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_text(&p, username);
	r = one_user(c, U_USER_BY_NAME, &p, a, out);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_user_create(struct gh_store *gs, const char *username, const char *email,
    const char *password_hash, int64_t now, struct gh_arena *a,
    struct gh_user *out)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0};
	char fold[GH_USERNAME_FOLD_BUFSZ];
	PGresult *res;
	enum gh_err r;
	bool taken, first;

	/* the name's case-folded form: "Admin" is taken when "admin" is */
	if (!gh_username_fold(username, strlen(username), fold, sizeof(fold)))
		return GH_ERR_INVALID;
	if ((r = gh_pg_tx_begin(gs, &c)) != GH_OK)
		return r;
	/* every instance's registrations (and the last-admin guard) queue
	 * here; the statements below see what the previous holder committed
	 * (read committed: each statement takes a fresh snapshot) */
	if ((r = gh_pg_xact_lock(c, GH_PG_LOCK_USERS)) != GH_OK)
		goto out_rollback;
	gh_pg_p_text(&p, username);
	gh_pg_p_text(&p, email);
	gh_pg_p_text(&p, fold);
	if ((r = user_exec(c, U_USER_TAKEN, &p, &res, "user taken")) != GH_OK)
		goto out_rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		r = GH_ERR_DB;
		goto out_rollback;
	}
	taken = gh_pg_bool(res, 0, 0);
	first = !gh_pg_bool(res, 0, 1);
	PQclear(res);
	if (taken) {
		r = GH_ERR_CONFLICT;
		goto out_rollback;
	}
	memset(&p, 0, sizeof(p));
	gh_pg_p_text(&p, username);
	gh_pg_p_text(&p, email);
	gh_pg_p_text(&p, password_hash);
	gh_pg_p_bool(&p, first);
	gh_pg_p_text(&p, first ? "admin" : "user");
	gh_pg_p_int(&p, now);
	gh_pg_p_text(&p, fold);
	if ((r = one_user(c, U_USER_INSERT, &p, a, out)) != GH_OK)
		goto out_rollback;
	/* a failed commit has rolled back and released already */
	return gh_pg_tx_commit(gs, c);
out_rollback:
	gh_pg_tx_rollback(gs, c);
	return r == GH_ERR_NOTFOUND ? GH_ERR_DB : r;
}

enum gh_err
gh_pg_user_rehash(
    struct gh_store *gs, gh_id id, const char *old_hash, const char *new_hash)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	gh_pg_p_text(&p, old_hash);
	gh_pg_p_text(&p, new_hash);
	r = gh_pg_run(c, GH_PG_SLOT_USERS + U_USER_REHASH,
	    user_sql[U_USER_REHASH], &p, NULL, "user rehash");
	gh_pg_release(gs, c);
	return r;
}

static enum gh_err
user_row(const PGresult *res, int i, void *arg)
{
	struct gh_pg_walk *w = arg;
	struct gh_user u;

	gh_pg_row_user(res, i, NULL, &u);
	return ((gh_store_user_fn)w->fn)(w->ctx, &u);
}

enum gh_err
gh_pg_user_list(struct gh_store *gs, gh_id after_id, int64_t limit,
    gh_store_user_fn fn, void *ctx)
{
	struct gh_pg_params p = {0};
	struct gh_pg_walk w = {(void (*)(void))fn, ctx};

	gh_pg_p_int(&p, after_id);
	gh_pg_p_limit(&p, limit);
	return gh_pg_each(gs, GH_PG_SLOT_USERS + U_USER_LIST,
	    user_sql[U_USER_LIST], &p, user_row, &w, "user list");
}

enum gh_err
gh_pg_post_create(struct gh_store *gs, gh_id user_id, const char *title,
    const char *content, int64_t now, struct gh_arena *a, struct gh_post *out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_text(&p, title);
	gh_pg_p_text(&p, content);
	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, now);
	r = one_post(c, U_POST_INSERT, &p, a, out);
	gh_pg_release(gs, c);
	/* the author vanished between authentication and insert */
	return r == GH_ERR_CONFLICT ? GH_ERR_NOTFOUND : r;
}

enum gh_err
gh_pg_post_get(
    struct gh_store *gs, gh_id id, struct gh_arena *a, struct gh_post *out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	r = one_post(c, U_POST_GET, &p, a, out);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_post_update(struct gh_store *gs, gh_id id, const char *title,
    const char *content, struct gh_arena *a, struct gh_post *out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	gh_pg_p_text(&p, title);   /* NULL: keep */
	gh_pg_p_text(&p, content); /* NULL: keep */
	r = one_post(c, U_POST_UPDATE, &p, a, out);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_post_delete(struct gh_store *gs, gh_id id)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	int64_t rows = 0;
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	r = gh_pg_run(c, GH_PG_SLOT_USERS + U_POST_DELETE,
	    user_sql[U_POST_DELETE], &p, &rows, "post delete");
	gh_pg_release(gs, c);
	if (r != GH_OK)
		return r;
	return rows > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

static enum gh_err
post_row(const PGresult *res, int i, void *arg)
{
	struct gh_pg_walk *w = arg;
	struct gh_post post;

	row_post(res, i, NULL, &post);
	return ((gh_store_post_fn)w->fn)(w->ctx, &post);
}

enum gh_err
gh_pg_post_list(struct gh_store *gs, gh_id after_id, int64_t limit,
    gh_store_post_fn fn, void *ctx)
{
	struct gh_pg_params p = {0};
	struct gh_pg_walk w = {(void (*)(void))fn, ctx};

	gh_pg_p_int(&p, after_id);
	gh_pg_p_limit(&p, limit);
	return gh_pg_each(gs, GH_PG_SLOT_USERS + U_POST_LIST,
	    user_sql[U_POST_LIST], &p, post_row, &w, "post list");
}
