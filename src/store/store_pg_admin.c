/*
 * store_pg_admin.c - user administration, PostgreSQL.
 *
 * Administration: an admin changes a user's role or active flag, or
 * deletes the user.  The invariant kept here is that a database that has
 * an active admin keeps one, whatever the number of gatehouse instances
 * sharing it: each change runs in one transaction that first takes the
 * transaction-scoped advisory lock GH_PG_LOCK_USERS (the one user
 * creation takes), so changes to who is an admin are serialised across
 * every instance; when the target was an active admin the change is
 * re-checked after the write and rolled back if no active admin remains.
 * Of two concurrent demotions of the last two admins, the second to get
 * the lock sees the first's commit and is refused (GH_ERR_CONFLICT).
 * This relies on READ COMMITTED, PostgreSQL's default: every statement
 * after the lock sees what was committed before the lock was granted.
 * is_admin, the seed's column, is written with every change so it stays
 * equal to role = 'admin'.  A role change does not bump token_version:
 * authorization reads the current row on every request, so a demoted
 * user loses the rights at once anyway.  A deactivation does (no access
 * token issued before it verifies again, whatever happens to the user
 * later) and revokes every session and API key, so that reactivation
 * revives nothing.
 *
 * Deleting a user relies on ON DELETE CASCADE: posts, todos, api_keys
 * and sessions go with the row, refresh_tokens with their sessions.
 * audit_log has no foreign key, so the history outlives the user
 * (store_pg_audit.c).
 *
 * Memory: records returned through OUT parameters have their strings in
 * the caller's arena.  Statements live in slots GH_PG_SLOT_ADMIN.. of
 * each pooled connection.
 */

#include "log.h"
#include "store/store_pg_int.h"
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

_Static_assert(GH_PG_SLOT_ADMIN + A_COUNT <= GH_PG_SLOT_AUDIT,
    "store_pg_admin.c owns the slots up to GH_PG_SLOT_AUDIT");

#define ACTIVE_ADMIN "role = 'admin' AND is_active"

static const char *const sql_text[A_COUNT] = {
    [A_USER_STATE] = "SELECT " ACTIVE_ADMIN " FROM users WHERE id = $1::bigint",
    /* deactivation of an active user bumps the token version */
    [A_USER_UPDATE] = "UPDATE users SET role = coalesce($2::text, role), "
                      "is_admin = (coalesce($2::text, role) = 'admin'), "
                      "token_version = token_version + "
                      "CASE WHEN is_active AND "
                      "NOT coalesce($3::boolean, true) "
                      "THEN 1 ELSE 0 END, "
                      "is_active = coalesce($3::boolean, is_active) "
                      "WHERE id = $1::bigint RETURNING " GH_PG_USER_COLS,
    [A_ADMIN_LEFT] =
        "SELECT EXISTS (SELECT 1 FROM users WHERE " ACTIVE_ADMIN ")",
    [A_USER_DELETE] = "DELETE FROM users WHERE id = $1::bigint",
    /* ... and ends every session and API key */
    [A_SESSIONS_END] = "UPDATE sessions SET revoked_at = $2::bigint "
                       "WHERE user_id = $1::bigint AND revoked_at IS NULL",
    [A_KEYS_END] = "UPDATE api_keys SET revoked_at = $2::bigint "
                   "WHERE user_id = $1::bigint AND revoked_at IS NULL",
};

static enum gh_err
admin_exec(struct gh_pg_conn *c, enum admin_stmt id,
    const struct gh_pg_params *p, PGresult **res, const char *what)
{
	return gh_pg_exec(
	    c, GH_PG_SLOT_ADMIN + (int)id, sql_text[id], p, res, what);
}

static enum gh_err
admin_run(struct gh_pg_conn *c, enum admin_stmt id,
    const struct gh_pg_params *p, int64_t *rows, const char *what)
{
	return gh_pg_run(
	    c, GH_PG_SLOT_ADMIN + (int)id, sql_text[id], p, rows, what);
}

/* Whether user id is an active admin; GH_ERR_NOTFOUND if no such user.
 * OUT: *yes */
static enum gh_err
user_is_active_admin(struct gh_pg_conn *c, gh_id id, bool *yes)
{
	struct gh_pg_params p = {0};
	PGresult *res;
	enum gh_err r;

	*yes = false;
	gh_pg_p_int(&p, id);
	if ((r = admin_exec(c, A_USER_STATE, &p, &res, "user state")) != GH_OK)
		return r;
	if (PQntuples(res) == 0)
		r = GH_ERR_NOTFOUND;
	else
		*yes = gh_pg_bool(res, 0, 0);
	PQclear(res);
	return r;
}

/* GH_OK when some active admin exists, else GH_ERR_CONFLICT. */
static enum gh_err
admin_left(struct gh_pg_conn *c)
{
	PGresult *res;
	enum gh_err r;

	if ((r = admin_exec(c, A_ADMIN_LEFT, NULL, &res, "admin left")) !=
	    GH_OK)
		return r;
	if (PQntuples(res) != 1)
		r = GH_ERR_DB;
	else if (!gh_pg_bool(res, 0, 0))
		r = GH_ERR_CONFLICT;
	PQclear(res);
	return r;
}

/* Deactivation: every session and key of user id ends now. */
static enum gh_err
end_credentials(struct gh_pg_conn *c, gh_id id)
{
	static const enum admin_stmt which[] = {A_SESSIONS_END, A_KEYS_END};
	struct gh_pg_params p = {0};
	enum gh_err r;
	size_t i;

	gh_pg_p_int(&p, id);
	gh_pg_p_int(&p, gh_time_now_usec());
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		if ((r = admin_run(c, which[i], &p, NULL, "deactivation")) !=
		    GH_OK)
			return r;
	return GH_OK;
}

enum gh_err
gh_pg_user_admin_update(struct gh_store *gs, gh_id id, const enum gh_role *role,
    const bool *is_active, struct gh_arena *a, struct gh_user *out)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0};
	PGresult *res = NULL;
	bool was_admin = false;
	enum gh_err r;

	if ((r = gh_pg_tx_begin(gs, &c)) != GH_OK)
		return r;
	/* every change to who is an admin, on every instance, waits here */
	if ((r = gh_pg_xact_lock(c, GH_PG_LOCK_USERS)) != GH_OK)
		goto out_rollback;
	if ((r = user_is_active_admin(c, id, &was_admin)) != GH_OK)
		goto out_rollback;
	gh_pg_p_int(&p, id);
	gh_pg_p_text(&p, role != NULL ? gh_role_name(*role) : NULL);
	if (is_active != NULL)
		gh_pg_p_bool(&p, *is_active);
	else
		gh_pg_p_text(&p, NULL);
	if ((r = admin_exec(c, A_USER_UPDATE, &p, &res, "user admin update")) !=
	    GH_OK)
		goto out_rollback;
	if (PQntuples(res) == 0) {
		r = GH_ERR_NOTFOUND; /* cannot happen: the row was just seen */
		PQclear(res);
		goto out_rollback;
	}
	gh_pg_row_user(res, 0, a, out);
	PQclear(res);
	if (is_active != NULL && !*is_active &&
	    (r = end_credentials(c, id)) != GH_OK)
		goto out_rollback;
	/* only a change to an active admin can remove the last one */
	if (was_admin && !(out->role == GH_ROLE_ADMIN && out->is_active) &&
	    (r = admin_left(c)) != GH_OK)
		goto out_rollback;
	/* a failed commit has rolled back already */
	return gh_pg_tx_commit(gs, c);
out_rollback:
	gh_pg_tx_rollback(gs, c);
	return r;
}

enum gh_err
gh_pg_user_delete(struct gh_store *gs, gh_id id)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0};
	bool was_admin = false;
	int64_t rows = 0;
	enum gh_err r;

	if ((r = gh_pg_tx_begin(gs, &c)) != GH_OK)
		return r;
	if ((r = gh_pg_xact_lock(c, GH_PG_LOCK_USERS)) != GH_OK)
		goto out_rollback;
	if ((r = user_is_active_admin(c, id, &was_admin)) != GH_OK)
		goto out_rollback;
	gh_pg_p_int(&p, id);
	if ((r = admin_run(c, A_USER_DELETE, &p, &rows, "user delete")) !=
	    GH_OK) {
		/* a constraint here is a table without ON DELETE CASCADE: a
		 * schema bug, not the caller's conflict */
		if (r == GH_ERR_CONFLICT) {
			gh_log_error_f("user delete: a foreign key without "
			               "ON DELETE CASCADE refused it");
			r = GH_ERR_DB;
		}
		goto out_rollback;
	}
	if (rows == 0) {
		r = GH_ERR_NOTFOUND; /* cannot happen: the row was just seen */
		goto out_rollback;
	}
	if (was_admin && (r = admin_left(c)) != GH_OK)
		goto out_rollback;
	return gh_pg_tx_commit(gs, c);
out_rollback:
	gh_pg_tx_rollback(gs, c);
	return r;
}
