/*
 * store_sqlite_admin.c - user administration, SQLite.
 *
 * Administration: an admin changes a user's role or active flag, or
 * deletes the user.  The invariant kept here is that a database that has
 * an active admin keeps one: each change runs inside BEGIN IMMEDIATE
 * (so no concurrent change can slip in between the check and the
 * write), and when the target was an active admin the change is
 * re-checked afterwards and rolled back if no active admin remains.
 * is_admin, the seed's column, is written with every role change so it
 * stays equal to role = 'admin'.  Neither change bumps token_version:
 * authorization reads the current row on every request, so a demoted or
 * deactivated user loses the rights at once anyway.
 *
 * Deleting a user relies on ON DELETE CASCADE (every connection runs
 * with foreign_keys=ON): posts, todos, api_keys and sessions go with
 * the row, refresh_tokens with their sessions.  audit_log has no
 * foreign key, so the history outlives the user (store_sqlite_audit.c).
 *
 * Memory: records returned through OUT parameters have their strings in
 * the caller's arena.  Statements live in slots GH_SQLITE_SLOT_ADMIN..
 * of the thread's connection.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/banned.h"

enum admin_stmt {
	A_USER_STATE,
	A_USER_UPDATE,
	A_ADMIN_LEFT,
	A_USER_DELETE,
	A_SESSIONS_END,
	A_KEYS_END,
	A_COUNT
};

_Static_assert(GH_SQLITE_SLOT_ADMIN + A_COUNT <= GH_SQLITE_SLOT_AUDIT,
    "store_sqlite_admin.c owns the slots up to GH_SQLITE_SLOT_AUDIT");

/* The same columns, in the same order, as store_sqlite.c's USER_COLS. */
#define USER_COLS                                                              \
	"id, username, email, hashed_password, role, is_active, created_at, "  \
	"token_version"
#define ACTIVE_ADMIN "role = 'admin' AND is_active = 1"

static const char *const sql_text[A_COUNT] = {
    [A_USER_STATE] = "SELECT " ACTIVE_ADMIN " FROM users WHERE id = ?1",
    /* deactivation bumps the token version: no access token issued
     * before it verifies again, whatever happens to the user later */
    [A_USER_UPDATE] = "UPDATE users SET role = coalesce(?2, role), "
                      "is_admin = (coalesce(?2, role) = 'admin'), "
                      "token_version = token_version + "
                      "(is_active = 1 AND coalesce(?3, 1) = 0), "
                      "is_active = coalesce(?3, is_active) "
                      "WHERE id = ?1 RETURNING " USER_COLS,
    [A_ADMIN_LEFT] =
        "SELECT EXISTS (SELECT 1 FROM users WHERE " ACTIVE_ADMIN ")",
    [A_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    /* ... and ends every session and API key, so that reactivation
     * revives nothing: the user logs in again, makes new keys */
    [A_SESSIONS_END] = "UPDATE sessions SET revoked_at = ?2 "
                       "WHERE user_id = ?1 AND revoked_at IS NULL",
    [A_KEYS_END] = "UPDATE api_keys SET revoked_at = ?2 "
                   "WHERE user_id = ?1 AND revoked_at IS NULL",
};

static sqlite3_stmt *
stmt(struct gh_sqlite_conn *c, enum admin_stmt id)
{
	return gh_sqlite_stmt(c, GH_SQLITE_SLOT_ADMIN + (int)id, sql_text[id]);
}

/* Step a statement expected to yield one integer; GH_ERR_NOTFOUND when
 * it yields no row. OUT: *v */
static enum gh_err
one_int(
    struct gh_sqlite_conn *c, sqlite3_stmt *st, const char *what, int64_t *v)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		r = GH_OK;
	} else if (rc == SQLITE_DONE) {
		r = GH_ERR_NOTFOUND;
	} else {
		r = gh_sqlite_err(c, rc, what);
	}
	sqlite3_reset(st);
	return r;
}

/* Whether user id is an active admin; GH_ERR_NOTFOUND if no such user.
 * OUT: *yes */
static enum gh_err
user_is_active_admin(struct gh_sqlite_conn *c, gh_id id, bool *yes)
{
	sqlite3_stmt *st = stmt(c, A_USER_STATE);
	int64_t v = 0;
	enum gh_err r;

	if (st == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	r = one_int(c, st, "user state", &v);
	*yes = v != 0;
	return r;
}

/* GH_OK when some active admin exists, else GH_ERR_CONFLICT. */
static enum gh_err
admin_left(struct gh_sqlite_conn *c)
{
	sqlite3_stmt *st = stmt(c, A_ADMIN_LEFT);
	int64_t v = 0;
	enum gh_err r;

	if (st == NULL)
		return GH_ERR_DB;
	if ((r = one_int(c, st, "admin left", &v)) != GH_OK)
		return r == GH_ERR_NOTFOUND ? GH_ERR_DB : r;
	return v != 0 ? GH_OK : GH_ERR_CONFLICT;
}

/* Deactivation: every session and key of user id ends now. */
static enum gh_err
end_credentials(struct gh_sqlite_conn *c, gh_id id)
{
	static const enum admin_stmt which[] = {A_SESSIONS_END, A_KEYS_END};
	char ts[GH_TIME_BUFSZ];
	sqlite3_stmt *st;
	enum gh_err r;
	size_t i;

	gh_time_db(gh_time_now_usec(), ts);
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		if ((st = stmt(c, which[i])) == NULL)
			return GH_ERR_DB;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, ts, -1, SQLITE_STATIC);
		if ((r = gh_sqlite_done(
		         c, st, sqlite3_step(st), "deactivation")) != GH_OK)
			return r;
	}
	return GH_OK;
}

static enum gh_err
s_user_admin_update(struct gh_store *gs, gh_id id, const enum gh_role *role,
    const bool *is_active, struct gh_arena *a, struct gh_user *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	bool was_admin = false;
	enum gh_err r;
	int rc;

	if (c == NULL)
		return GH_ERR_DB;
	if ((r = gh_sqlite_tx_begin(c)) != GH_OK)
		return r;
	if ((r = user_is_active_admin(c, id, &was_admin)) != GH_OK)
		goto out_rollback;
	r = GH_ERR_DB;
	if ((st = stmt(c, A_USER_UPDATE)) == NULL)
		goto out_rollback;
	sqlite3_bind_int64(st, 1, id);
	if (role != NULL)
		sqlite3_bind_text(
		    st, 2, gh_role_name(*role), -1, SQLITE_STATIC);
	if (is_active != NULL)
		sqlite3_bind_int(st, 3, *is_active ? 1 : 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		gh_sqlite_row_user(st, a, out);
	if ((r = gh_sqlite_done(c, st, rc, "user admin update")) == GH_OK &&
	    rc != SQLITE_ROW)
		r = GH_ERR_NOTFOUND; /* cannot happen: the row was just seen */
	if (r != GH_OK)
		goto out_rollback;
	if (is_active != NULL && !*is_active &&
	    (r = end_credentials(c, id)) != GH_OK)
		goto out_rollback;
	/* only a change to an active admin can remove the last one */
	if (was_admin && !(out->role == GH_ROLE_ADMIN && out->is_active) &&
	    (r = admin_left(c)) != GH_OK)
		goto out_rollback;
	if ((r = gh_sqlite_tx_commit(c)) != GH_OK)
		goto out_rollback;
	return GH_OK;
out_rollback:
	gh_sqlite_tx_rollback(c);
	return r;
}

static enum gh_err
s_user_delete(struct gh_store *gs, gh_id id)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	bool was_admin = false;
	enum gh_err r;
	int rc;

	if (c == NULL)
		return GH_ERR_DB;
	if ((r = gh_sqlite_tx_begin(c)) != GH_OK)
		return r;
	if ((r = user_is_active_admin(c, id, &was_admin)) != GH_OK)
		goto out_rollback;
	r = GH_ERR_DB;
	if ((st = stmt(c, A_USER_DELETE)) == NULL)
		goto out_rollback;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		/* a constraint here is a table without ON DELETE CASCADE: a
		 * schema bug, not the caller's conflict */
		gh_log_error_f("user delete: %s", sqlite3_errmsg(c->db));
		r = GH_ERR_DB;
		goto out_rollback;
	}
	if (was_admin && (r = admin_left(c)) != GH_OK)
		goto out_rollback;
	if ((r = gh_sqlite_tx_commit(c)) != GH_OK)
		goto out_rollback;
	return GH_OK;
out_rollback:
	gh_sqlite_tx_rollback(c);
	return r;
}

/* The operations of struct gh_store_ops; writes under the writer lock. */

enum gh_err
gh_sqlite_user_admin_update(struct gh_store *gs, gh_id id,
    const enum gh_role *role, const bool *is_active, struct gh_arena *a,
    struct gh_user *out)
{
	GH_SQLITE_LOCKED(s_user_admin_update(gs, id, role, is_active, a, out));
}

enum gh_err
gh_sqlite_user_delete(struct gh_store *gs, gh_id id)
{
	GH_SQLITE_LOCKED(s_user_delete(gs, id));
}
