/*
 * store_sqlite_users.c - the SQLite backend's users and posts: the seed's
 * two tables, with the same columns, so its database works unchanged.
 *
 * Reads run on the thread's own connection; writes run under the
 * process-wide writer lock (GH_SQLITE_LOCKED), registration in one
 * BEGIN IMMEDIATE transaction (the name and e-mail check, the first-user
 * check and the insert are one atomic step).
 *
 * Ownership: strings of returned records are copied into the caller's
 * arena; list callbacks see SQLite's own buffers (borrowed, valid during
 * the callback only).  Statements live in the thread's connection, slots
 * GH_SQLITE_SLOT_USERS onwards.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store_sqlite.h"
#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/username.h"
#include "util/banned.h"

enum user_stmt {
	U_USER_GET,
	U_USER_BY_NAME,
	U_USER_TAKEN,
	U_USER_ANY,
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

#define USER_COLS GH_SQLITE_USER_COLS
#define POST_COLS "id, title, content, user_id, date_posted"

static const char *const user_sql[U_COUNT] = {
    [U_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [U_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?1",
    [U_USER_TAKEN] = "SELECT 1 FROM users WHERE username = ?1 "
                     "OR username_fold = ?3 "
                     "OR lower(email) = lower(?2) LIMIT 1",
    [U_USER_ANY] = "SELECT 1 FROM users LIMIT 1",
    [U_USER_INSERT] = "INSERT INTO users (username, email, hashed_password, "
                      "is_admin, role, is_active, created_at, token_version, "
                      "username_fold) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, 0, ?7) "
                      "RETURNING " USER_COLS,
    [U_USER_REHASH] = "UPDATE users SET hashed_password = ?3 "
                      "WHERE id = ?1 AND hashed_password = ?2",
    [U_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE id > ?1 "
                    "ORDER BY id LIMIT ?2",
    [U_POST_INSERT] = "INSERT INTO posts (title, content, user_id, "
                      "date_posted) VALUES (?1, ?2, ?3, ?4) "
                      "RETURNING " POST_COLS,
    [U_POST_GET] = "SELECT " POST_COLS " FROM posts WHERE id = ?1",
    [U_POST_UPDATE] = "UPDATE posts SET title = coalesce(?2, title), "
                      "content = coalesce(?3, content) WHERE id = ?1 "
                      "RETURNING " POST_COLS,
    [U_POST_DELETE] = "DELETE FROM posts WHERE id = ?1",
    [U_POST_LIST] = "SELECT " POST_COLS " FROM posts WHERE id > ?1 "
                    "ORDER BY id LIMIT ?2",
};

_Static_assert(GH_SQLITE_SLOT_USERS + U_COUNT <= GH_SQLITE_SLOT_SESSIONS,
    "user and post slots overlap the next range");

/* This file's statement id on connection c, reset and unbound. */
static sqlite3_stmt *
stmt(struct gh_sqlite_conn *c, enum user_stmt id)
{
	return gh_sqlite_stmt(c, GH_SQLITE_SLOT_USERS + (int)id, user_sql[id]);
}

void
gh_sqlite_row_user(sqlite3_stmt *st, struct gh_arena *a, struct gh_user *u)
{
	const unsigned char *role = sqlite3_column_text(st, 4);

	u->id = sqlite3_column_int64(st, 0);
	u->username = gh_sqlite_col_str(st, 1, a);
	u->email = gh_sqlite_col_str(st, 2, a);
	u->password_hash = gh_sqlite_col_str(st, 3, a);
	if (role == NULL || !gh_role_parse((const char *)role, &u->role))
		u->role = GH_ROLE_USER;
	u->is_active = sqlite3_column_int(st, 5) != 0;
	u->created_at = gh_sqlite_col_time(st, 6);
	u->token_version = sqlite3_column_int64(st, 7);
}

static void
row_post(sqlite3_stmt *st, struct gh_arena *a, struct gh_post *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->title = gh_sqlite_col_str(st, 1, a);
	p->content = gh_sqlite_col_str(st, 2, a);
	p->user_id = sqlite3_column_int64(st, 3);
	p->date_posted = gh_sqlite_col_time(st, 4);
}

/* Step a statement expected to yield at most one user row. */
static enum gh_err
one_user(struct gh_sqlite_conn *c, sqlite3_stmt *st, struct gh_arena *a,
    struct gh_user *out)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW)
		gh_sqlite_row_user(st, a, out);
	if ((r = gh_sqlite_done(c, st, rc, "user statement")) != GH_OK)
		return r;
	return rc == SQLITE_ROW ? GH_OK : GH_ERR_NOTFOUND;
}

static enum gh_err
one_post(struct gh_sqlite_conn *c, sqlite3_stmt *st, struct gh_arena *a,
    struct gh_post *out)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW)
		row_post(st, a, out);
	if ((r = gh_sqlite_done(c, st, rc, "post statement")) != GH_OK)
		return r;
	return rc == SQLITE_ROW ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_user_get(
    struct gh_store *gs, gh_id id, struct gh_arena *a, struct gh_user *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = stmt(c, U_USER_GET)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return one_user(c, st, a, out);
}

enum gh_err
gh_sqlite_user_get_by_name(struct gh_store *gs, const char *username,
    struct gh_arena *a, struct gh_user *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = stmt(c, U_USER_BY_NAME)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	return one_user(c, st, a, out);
}

static enum gh_err
s_user_create(struct gh_store *gs, const char *username, const char *email,
    const char *hash, int64_t now, struct gh_arena *a, struct gh_user *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	char ts[GH_TIME_BUFSZ], fold[GH_USERNAME_FOLD_BUFSZ];
	enum gh_err r;
	bool first;
	int rc;

	if (c == NULL)
		return GH_ERR_DB;
	/* the name's case-folded form: "Admin" is taken when "admin" is */
	if (!gh_username_fold(username, strlen(username), fold, sizeof(fold)))
		return GH_ERR_INVALID;
	if ((r = gh_sqlite_tx_begin(c)) != GH_OK)
		return r;
	r = GH_ERR_DB;
	if ((st = stmt(c, U_USER_TAKEN)) == NULL)
		goto out_rollback;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, fold, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		r = GH_ERR_CONFLICT;
		goto out_rollback;
	} else if (rc != SQLITE_DONE) {
		r = gh_sqlite_err(c, rc, "user taken");
		goto out_rollback;
	}
	if ((st = stmt(c, U_USER_ANY)) == NULL)
		goto out_rollback;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = gh_sqlite_err(c, rc, "user any");
		goto out_rollback;
	}
	first = rc == SQLITE_DONE;
	if ((st = stmt(c, U_USER_INSERT)) == NULL)
		goto out_rollback;
	gh_time_db(now, ts);
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, first ? 1 : 0);
	sqlite3_bind_text(st, 5, first ? "admin" : "user", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, fold, -1, SQLITE_STATIC);
	if ((r = one_user(c, st, a, out)) != GH_OK)
		goto out_rollback;
	if ((r = gh_sqlite_tx_commit(c)) != GH_OK)
		goto out_rollback;
	return GH_OK;
out_rollback:
	gh_sqlite_tx_rollback(c);
	return r == GH_ERR_NOTFOUND ? GH_ERR_DB : r;
}

static enum gh_err
s_user_rehash(
    struct gh_store *gs, gh_id id, const char *old_hash, const char *new_hash)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	int rc;

	if (c == NULL || (st = stmt(c, U_USER_REHASH)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, old_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, new_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : gh_sqlite_err(c, rc, "user rehash");
}

enum gh_err
gh_sqlite_user_list(struct gh_store *gs, gh_id after_id, int64_t limit,
    gh_store_user_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	struct gh_user u;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if (c == NULL || (st = stmt(c, U_USER_LIST)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		gh_sqlite_row_user(st, NULL, &u);
		if ((r = fn(ctx, &u)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "user list");
	sqlite3_reset(st);
	return r;
}

static enum gh_err
s_post_create(struct gh_store *gs, gh_id user_id, const char *title,
    const char *content, int64_t now, struct gh_arena *a, struct gh_post *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	char ts[GH_TIME_BUFSZ];
	enum gh_err r;

	if (c == NULL || (st = stmt(c, U_POST_INSERT)) == NULL)
		return GH_ERR_DB;
	gh_time_db(now, ts);
	sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, content, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, user_id);
	sqlite3_bind_text(st, 4, ts, -1, SQLITE_STATIC);
	r = one_post(c, st, a, out);
	/* the author vanished between authentication and insert */
	return r == GH_ERR_CONFLICT ? GH_ERR_NOTFOUND : r;
}

enum gh_err
gh_sqlite_post_get(
    struct gh_store *gs, gh_id id, struct gh_arena *a, struct gh_post *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = stmt(c, U_POST_GET)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return one_post(c, st, a, out);
}

static enum gh_err
s_post_update(struct gh_store *gs, gh_id id, const char *title,
    const char *content, struct gh_arena *a, struct gh_post *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = stmt(c, U_POST_UPDATE)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	if (title != NULL)
		sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	if (content != NULL)
		sqlite3_bind_text(st, 3, content, -1, SQLITE_STATIC);
	return one_post(c, st, a, out);
}

static enum gh_err
s_post_delete(struct gh_store *gs, gh_id id)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	int rc;

	if (c == NULL || (st = stmt(c, U_POST_DELETE)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return gh_sqlite_err(c, rc, "post delete");
	return sqlite3_changes(c->db) > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_post_list(struct gh_store *gs, gh_id after_id, int64_t limit,
    gh_store_post_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	struct gh_post p;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if (c == NULL || (st = stmt(c, U_POST_LIST)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_post(st, NULL, &p);
		if ((r = fn(ctx, &p)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "post list");
	sqlite3_reset(st);
	return r;
}

/* The write operations, each under write_mu. */

enum gh_err
gh_sqlite_user_create(struct gh_store *gs, const char *username,
    const char *email, const char *hash, int64_t now, struct gh_arena *a,
    struct gh_user *out)
{
	GH_SQLITE_LOCKED(s_user_create(gs, username, email, hash, now, a, out));
}

enum gh_err
gh_sqlite_user_rehash(
    struct gh_store *gs, gh_id id, const char *old_hash, const char *new_hash)
{
	GH_SQLITE_LOCKED(s_user_rehash(gs, id, old_hash, new_hash));
}

enum gh_err
gh_sqlite_post_create(struct gh_store *gs, gh_id user_id, const char *title,
    const char *content, int64_t now, struct gh_arena *a, struct gh_post *out)
{
	GH_SQLITE_LOCKED(
	    s_post_create(gs, user_id, title, content, now, a, out));
}

enum gh_err
gh_sqlite_post_update(struct gh_store *gs, gh_id id, const char *title,
    const char *content, struct gh_arena *a, struct gh_post *out)
{
	GH_SQLITE_LOCKED(s_post_update(gs, id, title, content, a, out));
}

enum gh_err
gh_sqlite_post_delete(struct gh_store *gs, gh_id id)
{
	GH_SQLITE_LOCKED(s_post_delete(gs, id));
}
