/*
 * store_pg_sessions.c - sessions, refresh tokens, password changes, API
 * keys and failed-login counters on PostgreSQL (the SQLite backend's
 * store_sqlite_sessions.c, on the same tables; times are BIGINT
 * microseconds, hashes bytea).
 *
 * Concurrency: there is no writer lock, and several gatehouse instances
 * may share the database, so every check-then-write is made atomic by
 * the database itself.
 *  - A refresh token is presented inside one transaction that first
 *    locks its session's row (SELECT ... FOR NO KEY UPDATE): the session
 *    is the token family, and every write to a family's state (a
 *    rotation, spending a token, a revocation, a password change, a
 *    deactivation, the user's deletion) takes that row's lock, so the
 *    presentations of one family run one after the other on every
 *    instance, and the one that follows a winner reads (READ COMMITTED:
 *    each statement after the lock sees what was committed before it was
 *    granted) the token spent and gets GRACE or REUSED exactly as on
 *    SQLite.  The spend itself is conditional (spent_at IS NULL) as well.
 *    The session is locked before any token row, the order in which a
 *    user's deletion cascades (users, sessions, refresh_tokens), so the
 *    two cannot deadlock.
 *  - A password change is one transaction (new hash, token_version + 1,
 *    every live session revoked, API keys too unless kept).
 *  - A session and its first token are created by one statement.
 *  - A failed login is counted by one upsert (INSERT ... ON CONFLICT DO
 *    UPDATE ... RETURNING); undo and clear are single statements.
 * Token material never reaches this file: only SHA-256 hashes (32-byte
 * bytea) do.
 *
 * Ownership: strings of returned records are copied into the caller's
 * arena; list callbacks see the result's own buffers (borrowed, valid
 * during the callback only; the result is freed after the walk).
 * Prepared statements live in each pooled connection, slots
 * GH_PG_SLOT_SESSIONS onwards.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "store/store_pg_int.h"
#include "util/banned.h"

enum ses_stmt {
	S_AUTH_LOAD,
	S_SESSION_INSERT,
	S_REFRESH_TAKE,
	S_REFRESH_ROTATE,
	S_SESSION_REVOKE,
	S_SESSION_OF_REFRESH,
	S_SESSION_LIST,
	S_SET_PASSWORD,
	S_REVOKE_ALL,
	S_KEY_INSERT,
	S_KEY_BY_PREFIX,
	S_KEY_TOUCH,
	S_KEY_LIST,
	S_KEY_REVOKE,
	S_COUNTER_GET,
	S_COUNTER_ADD,
	S_COUNTER_CLEAR,
	S_COUNTER_UNDO,
	S_SESSION_SET_COOKIE,
	S_SESSION_BY_COOKIE,
	S_COUNTER_PURGE,
	S_KEYS_REVOKE_ALL,
	S_COUNT
};

#define KEY_COLS                                                               \
	"id, user_id, name, prefix, secret_hash, created_at, expires_at, "     \
	"last_used_at, scopes"

static const char *const ses_sql[S_COUNT] = {
    /* the session's liveness is NULL (read: false) when sid is not one
     * of uid's sessions */
    [S_AUTH_LOAD] = "SELECT " GH_PG_USER_COLS ", "
                    "(SELECT revoked_at IS NULL FROM sessions "
                    "WHERE id = $2::bigint AND user_id = users.id) "
                    "FROM users WHERE id = $1::bigint",
    /* the session and its first token in one statement: both or
     * neither */
    [S_SESSION_INSERT] =
        "WITH s AS (INSERT INTO sessions (user_id, created_at, "
        "last_used_at, expires_at, user_agent, ip) "
        "VALUES ($1::bigint, $2::bigint, $2::bigint, $3::bigint, "
        "$4::text, $5::text) RETURNING id) "
        "INSERT INTO refresh_tokens (session_id, token_hash, created_at, "
        "expires_at) SELECT id, $6::bytea, $2::bigint, $3::bigint FROM s "
        "RETURNING session_id",
    /* the token, its session and its user in one statement, with the
     * token family's lock: its session's row, held to the end of the
     * transaction.  A presentation that waited for the lock may read
     * the token as it was before the holder spent it (only the locked
     * row is read again after the wait): the spend below is guarded,
     * and a guard that finds it spent reads again. */
    [S_REFRESH_TAKE] =
        "SELECT u.id, u.username, u.email, u.hashed_password, u.role, "
        "u.is_active, u.created_at, u.token_version, rt.id, "
        "rt.session_id, rt.expires_at, rt.spent_at, "
        "s.revoked_at IS NOT NULL, s.user_id, s.created_at "
        "FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id "
        "JOIN users u ON u.id = s.user_id "
        "WHERE rt.token_hash = $1::bytea FOR NO KEY UPDATE OF s",
    /* spend the token (unless $6: already spent, a retry within the
     * grace window), store its successor and move the session, in one
     * round trip; nothing happens when the guard finds it spent */
    [S_REFRESH_ROTATE] =
        "WITH spent AS (UPDATE refresh_tokens SET spent_at = $3::bigint "
        "WHERE id = $1::bigint AND spent_at IS NULL AND NOT $6::boolean "
        "RETURNING 1), "
        "go AS (SELECT 1 WHERE $6::boolean OR EXISTS (SELECT 1 FROM spent)), "
        "ins AS (INSERT INTO refresh_tokens (session_id, token_hash, "
        "created_at, expires_at) SELECT $2::bigint, $4::bytea, "
        "$3::bigint, $5::bigint FROM go RETURNING 1), "
        "touch AS (UPDATE sessions SET last_used_at = $3::bigint, "
        "expires_at = $5::bigint WHERE id = $2::bigint "
        "AND EXISTS (SELECT 1 FROM go) RETURNING 1) "
        "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM touch)",
    [S_SESSION_REVOKE] = "UPDATE sessions SET revoked_at = $3::bigint "
                         "WHERE id = $1::bigint "
                         "AND ($2::bigint = 0 OR user_id = $2::bigint) "
                         "AND revoked_at IS NULL",
    [S_SESSION_OF_REFRESH] = "SELECT s.id, s.user_id FROM refresh_tokens "
                             "rt JOIN sessions s ON s.id = rt.session_id "
                             "WHERE rt.token_hash = $1::bytea",
    [S_SESSION_LIST] = "SELECT id, user_id, created_at, last_used_at, "
                       "expires_at, user_agent, ip FROM sessions "
                       "WHERE user_id = $1::bigint AND revoked_at IS NULL "
                       "AND expires_at > $2::bigint ORDER BY id",
    [S_SET_PASSWORD] = "UPDATE users SET hashed_password = $2::text, "
                       "token_version = token_version + 1 "
                       "WHERE id = $1::bigint",
    [S_REVOKE_ALL] = "UPDATE sessions SET revoked_at = $2::bigint "
                     "WHERE user_id = $1::bigint AND revoked_at IS NULL",
    /* expires_at NULL: never */
    [S_KEY_INSERT] = "INSERT INTO api_keys (user_id, name, prefix, "
                     "secret_hash, created_at, expires_at, scopes) "
                     "VALUES ($1::bigint, $2::text, $3::text, $4::bytea, "
                     "$5::bigint, $6::bigint, $7::integer) "
                     "RETURNING " KEY_COLS,
    [S_KEY_BY_PREFIX] = "SELECT " KEY_COLS " FROM api_keys "
                        "WHERE prefix = $1::text AND revoked_at IS NULL",
    [S_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = $2::bigint "
                    "WHERE id = $1::bigint",
    /* an expiry of NULL (or 0) is never */
    [S_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys "
                   "WHERE user_id = $1::bigint AND revoked_at IS NULL "
                   "AND (coalesce(expires_at, 0) = 0 "
                   "OR expires_at > $2::bigint) ORDER BY id",
    [S_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = $3::bigint "
                     "WHERE id = $1::bigint AND user_id = $2::bigint "
                     "AND revoked_at IS NULL",
    [S_COUNTER_GET] = "SELECT failures, first_at, last_at "
                      "FROM login_failures "
                      "WHERE kind = $1::text AND key = $2::text",
    /* a counter whose first failure is a window old ($3 - $4) restarts
     * at 1; the SET expressions read the row as it was */
    [S_COUNTER_ADD] =
        "INSERT INTO login_failures (kind, key, failures, first_at, "
        "last_at) VALUES ($1::text, $2::text, 1, $3::bigint, $3::bigint) "
        "ON CONFLICT (kind, key) DO UPDATE SET "
        "failures = CASE WHEN login_failures.first_at <= "
        "$3::bigint - $4::bigint THEN 1 "
        "ELSE login_failures.failures + 1 END, "
        "first_at = CASE WHEN login_failures.first_at <= "
        "$3::bigint - $4::bigint THEN $3::bigint "
        "ELSE login_failures.first_at END, "
        "last_at = $3::bigint "
        "RETURNING failures, first_at, last_at",
    [S_COUNTER_CLEAR] = "DELETE FROM login_failures "
                        "WHERE kind = $1::text AND key = $2::text",
    [S_COUNTER_UNDO] = "UPDATE login_failures SET failures = failures - 1 "
                       "WHERE kind = $1::text AND key = $2::text "
                       "AND failures > 0",
    [S_SESSION_SET_COOKIE] = "UPDATE sessions SET cookie_hash = $2::bytea "
                             "WHERE id = $1::bigint AND revoked_at IS NULL",
    [S_SESSION_BY_COOKIE] = "SELECT id, user_id FROM sessions "
                            "WHERE cookie_hash = $1::bytea "
                            "AND revoked_at IS NULL "
                            "AND expires_at > $2::bigint",
    /* counters whose window is over count nothing: known and unknown
     * names alike, they go */
    [S_COUNTER_PURGE] = "DELETE FROM login_failures "
                        "WHERE kind = $1::text AND last_at <= $2::bigint",
    [S_KEYS_REVOKE_ALL] = "UPDATE api_keys SET revoked_at = $2::bigint "
                          "WHERE user_id = $1::bigint AND revoked_at IS NULL",
};

_Static_assert(GH_PG_SLOT_SESSIONS + S_COUNT <= GH_PG_SLOT_TODOS,
    "session slots overlap the next range");

/* Run this file's statement id on connection c. */
static enum gh_err
ses_exec(struct gh_pg_conn *c, enum ses_stmt id, const struct gh_pg_params *p,
    PGresult **out, const char *what)
{
	return gh_pg_exec(
	    c, GH_PG_SLOT_SESSIONS + (int)id, ses_sql[id], p, out, what);
}

/* Run this file's statement id for its effect; *rows (may be NULL): how
 * many rows it changed. */
static enum gh_err
ses_run(struct gh_pg_conn *c, enum ses_stmt id, const struct gh_pg_params *p,
    int64_t *rows, const char *what)
{
	return gh_pg_run(
	    c, GH_PG_SLOT_SESSIONS + (int)id, ses_sql[id], p, rows, what);
}

static void
p_hash(struct gh_pg_params *p, const unsigned char *h)
{
	gh_pg_p_bytes(p, h, GH_TOKEN_HASH_LEN);
}

/* Run statement id on this thread's connection (outside any transaction
 * of this file's own); its result in *out (PQclear it). */
static enum gh_err
exec_once(struct gh_store *gs, enum ses_stmt id, const struct gh_pg_params *p,
    PGresult **out, const char *what)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	enum gh_err r;

	*out = NULL;
	if (c == NULL)
		return GH_ERR_DB;
	r = ses_exec(c, id, p, out, what);
	gh_pg_release(gs, c);
	return r;
}

/* As exec_once, for a statement run for its effect. */
static enum gh_err
run_once(struct gh_store *gs, enum ses_stmt id, const struct gh_pg_params *p,
    int64_t *rows, const char *what)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	r = ses_run(c, id, p, rows, what);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_auth_load(struct gh_store *gs, gh_id uid, gh_id sid, struct gh_arena *a,
    struct gh_user *u, bool *session_live)
{
	struct gh_pg_params p = {0};
	PGresult *res;
	enum gh_err r;

	*session_live = false;
	gh_pg_p_int(&p, uid);
	gh_pg_p_int(&p, sid);
	if ((r = exec_once(gs, S_AUTH_LOAD, &p, &res, "auth load")) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		gh_pg_row_user(res, 0, a, u);
		*session_live = gh_pg_bool(res, 0, 8);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_session_create(struct gh_store *gs, gh_id user_id,
    const unsigned char *refresh_hash, int64_t now, int64_t expires_at,
    const char *user_agent, const char *ip, gh_id *sid)
{
	struct gh_pg_params p = {0};
	PGresult *res;
	enum gh_err r;

	if (gs->session_max_usec > 0)
		expires_at = GH_MIN(expires_at, now + gs->session_max_usec);
	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, now);
	gh_pg_p_int(&p, expires_at);
	gh_pg_p_text(&p, user_agent ? user_agent : "");
	gh_pg_p_text(&p, ip ? ip : "");
	p_hash(&p, refresh_hash);
	r = exec_once(gs, S_SESSION_INSERT, &p, &res, "session insert");
	/* the user vanished since login (a foreign key failure), or the
	 * token hash exists: as SQLite, GH_ERR_NOTFOUND */
	if (r != GH_OK)
		return r == GH_ERR_CONFLICT ? GH_ERR_NOTFOUND : r;
	r = GH_ERR_DB;
	if (PQntuples(res) == 1) {
		*sid = gh_pg_int(res, 0, 0);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

/* What presenting a token depends on, read under its family's lock. */
struct presented {
	int64_t tok_id, tok_exp, spent, born;
	bool spent_set, revoked;
	gh_id sid, user_id;
};

/* Lock the token's family and read the token, its session and its user
 * (*u); GH_ERR_NOTFOUND when any of them is unknown. */
static enum gh_err
take_refresh(struct gh_pg_conn *c, const unsigned char *hash,
    struct presented *t, struct gh_arena *a, struct gh_user *u)
{
	struct gh_pg_params p = {0};
	PGresult *res;
	enum gh_err r;

	p_hash(&p, hash);
	if ((r = ses_exec(c, S_REFRESH_TAKE, &p, &res, "refresh take")) !=
	    GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		gh_pg_row_user(res, 0, a, u);
		t->tok_id = gh_pg_int(res, 0, 8);
		t->sid = gh_pg_int(res, 0, 9);
		t->tok_exp = gh_pg_int(res, 0, 10);
		t->spent_set = !gh_pg_null(res, 0, 11);
		t->spent = gh_pg_int(res, 0, 11);
		t->revoked = gh_pg_bool(res, 0, 12);
		t->user_id = gh_pg_int(res, 0, 13);
		t->born = gh_pg_int(res, 0, 14);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_refresh_rotate(struct gh_store *gs, const unsigned char *old_hash,
    const unsigned char *new_hash, int64_t now, int64_t expires_at,
    int64_t grace_usec, struct gh_arena *a, struct gh_user *u, gh_id *sid,
    enum gh_refresh_result *res)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0};
	struct presented t = {0};
	PGresult *pr;
	bool rows;
	int retried = 0;
	enum gh_err r;

	*res = GH_REFRESH_INVALID;
	if (gh_pg_tx_begin(gs, &c) != GH_OK)
		return GH_ERR_DB;
again:
	/* from here to the commit, no other presentation of a token of
	 * this family (on any instance) runs */
	if ((r = take_refresh(c, old_hash, &t, a, u)) != GH_OK) {
		if (r != GH_ERR_NOTFOUND)
			goto fail;
		gh_pg_tx_rollback(gs, c);
		return GH_OK; /* unknown token, session or user */
	}
	*sid = t.sid;
	/* the session's absolute end: no rotation moves it */
	if (gs->session_max_usec > 0) {
		if (t.born + gs->session_max_usec <= now)
			t.tok_exp = 0; /* over: as an expired token */
		expires_at = GH_MIN(expires_at, t.born + gs->session_max_usec);
	}
	if (t.revoked || t.tok_exp <= now || !u->is_active) {
		gh_pg_tx_rollback(gs, c);
		return GH_OK;
	}
	/* with no grace window any second use is reuse, even one whose
	 * clock reading predates the first (now is read before the lock) */
	if (t.spent_set && (grace_usec <= 0 || now - t.spent > grace_usec)) {
		/* reuse of a spent token: the family is compromised */
		gh_pg_p_int(&p, t.sid);
		gh_pg_p_int(&p, 0);
		gh_pg_p_int(&p, now);
		if ((r = ses_run(c, S_SESSION_REVOKE, &p, NULL,
		         "session revoke")) != GH_OK)
			goto fail;
		if ((r = gh_pg_tx_commit(gs, c)) != GH_OK)
			goto failed;
		*res = GH_REFRESH_REUSED;
		return GH_OK;
	}
	p = (struct gh_pg_params){0};
	gh_pg_p_int(&p, t.tok_id);
	gh_pg_p_int(&p, t.sid);
	gh_pg_p_int(&p, now);
	p_hash(&p, new_hash);
	gh_pg_p_int(&p, expires_at);
	gh_pg_p_bool(&p, t.spent_set);
	if ((r = ses_exec(c, S_REFRESH_ROTATE, &p, &pr, "refresh rotate")) !=
	    GH_OK)
		goto fail;
	rows = gh_pg_int(pr, 0, 0) == 1 && gh_pg_int(pr, 0, 1) == 1;
	PQclear(pr);
	if (!rows) {
		/* spent by the holder of the lock we waited for: read the
		 * token again, now that its spend is visible (once) */
		if (retried++ > 0) {
			gh_log_error_f("refresh token %lld: spend guard failed "
			               "twice under its family's lock",
			    (long long)t.tok_id);
			r = GH_ERR_DB;
			goto fail;
		}
		p = (struct gh_pg_params){0};
		goto again;
	}
	if ((r = gh_pg_tx_commit(gs, c)) != GH_OK)
		goto failed;
	*res = t.spent_set ? GH_REFRESH_GRACE : GH_REFRESH_ROTATED;
	return GH_OK;
fail:
	gh_pg_tx_rollback(gs, c);
failed: /* a failed commit has rolled back already */
	*res = GH_REFRESH_INVALID;
	return r == GH_OK ? GH_ERR_DB : r;
}

/* Set revoked_at = now on row id of user_id (0: anyone's, sessions only)
 * with the statement id; GH_ERR_NOTFOUND when no live row matched. */
static enum gh_err
revoke_row(struct gh_store *gs, enum ses_stmt id, gh_id row, gh_id user_id,
    int64_t now, const char *what)
{
	struct gh_pg_params p = {0};
	int64_t rows = 0;
	enum gh_err r;

	gh_pg_p_int(&p, row);
	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, now);
	if ((r = run_once(gs, id, &p, &rows, what)) != GH_OK)
		return r;
	return rows > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_pg_session_revoke(struct gh_store *gs, gh_id sid, gh_id user_id, int64_t now)
{
	return revoke_row(
	    gs, S_SESSION_REVOKE, sid, user_id, now, "session revoke");
}

/* Run a statement yielding at most one (session id, user id) row. */
static enum gh_err
session_row(struct gh_store *gs, enum ses_stmt id, const struct gh_pg_params *p,
    gh_id *sid, gh_id *user_id, const char *what)
{
	PGresult *res;
	enum gh_err r;

	if ((r = exec_once(gs, id, p, &res, what)) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		*sid = gh_pg_int(res, 0, 0);
		*user_id = gh_pg_int(res, 0, 1);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_session_of_refresh(struct gh_store *gs, const unsigned char *refresh_hash,
    gh_id *sid, gh_id *user_id)
{
	struct gh_pg_params p = {0};

	p_hash(&p, refresh_hash);
	return session_row(
	    gs, S_SESSION_OF_REFRESH, &p, sid, user_id, "session of refresh");
}

enum gh_err
gh_pg_session_list(struct gh_store *gs, gh_id user_id, int64_t now,
    gh_store_session_fn fn, void *ctx)
{
	struct gh_pg_params p = {0};
	struct gh_session ses;
	PGresult *res;
	enum gh_err r;
	int i, n;

	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, now);
	/* the rows are the result's: walk them without holding the
	 * connection (a callback may call the store) */
	if ((r = exec_once(gs, S_SESSION_LIST, &p, &res, "session list")) !=
	    GH_OK)
		return r;
	n = PQntuples(res);
	for (i = 0; i < n && r == GH_OK; i++) {
		ses.id = gh_pg_int(res, i, 0);
		ses.user_id = gh_pg_int(res, i, 1);
		ses.created_at = gh_pg_int(res, i, 2);
		ses.last_used_at = gh_pg_int(res, i, 3);
		ses.expires_at = gh_pg_int(res, i, 4);
		ses.user_agent = gh_pg_str(res, i, 5, NULL);
		ses.ip = gh_pg_str(res, i, 6, NULL);
		r = fn(ctx, &ses);
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_session_set_cookie(
    struct gh_store *gs, gh_id sid, const unsigned char *cookie_hash)
{
	struct gh_pg_params p = {0};
	int64_t rows = 0;
	enum gh_err r;

	gh_pg_p_int(&p, sid);
	p_hash(&p, cookie_hash);
	if ((r = run_once(gs, S_SESSION_SET_COOKIE, &p, &rows,
	         "session set cookie")) != GH_OK)
		return r;
	return rows > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_pg_session_by_cookie(struct gh_store *gs, const unsigned char *cookie_hash,
    int64_t now, gh_id *sid, gh_id *user_id)
{
	struct gh_pg_params p = {0};

	p_hash(&p, cookie_hash);
	gh_pg_p_int(&p, now);
	return session_row(
	    gs, S_SESSION_BY_COOKIE, &p, sid, user_id, "session by cookie");
}

enum gh_err
gh_pg_user_set_password(struct gh_store *gs, gh_id id, const char *new_hash,
    int64_t now, bool keep_keys)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0}, q = {0};
	int64_t rows = 0;
	enum gh_err r;

	if (gh_pg_tx_begin(gs, &c) != GH_OK)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	gh_pg_p_text(&p, new_hash);
	if ((r = ses_run(c, S_SET_PASSWORD, &p, &rows, "set password")) !=
	    GH_OK)
		goto fail;
	if (rows == 0) {
		r = GH_ERR_NOTFOUND;
		goto fail;
	}
	gh_pg_p_int(&q, id);
	gh_pg_p_int(&q, now);
	if ((r = ses_run(c, S_REVOKE_ALL, &q, NULL, "revoke all")) != GH_OK)
		goto fail;
	if (!keep_keys && (r = ses_run(c, S_KEYS_REVOKE_ALL, &q, NULL,
	                       "revoke keys")) != GH_OK)
		goto fail;
	/* a failed commit has rolled back */
	return gh_pg_tx_commit(gs, c);
fail:
	gh_pg_tx_rollback(gs, c);
	return r;
}

static void
row_key(const PGresult *res, int row, struct gh_arena *a, struct gh_apikey *k)
{
	k->id = gh_pg_int(res, row, 0);
	k->user_id = gh_pg_int(res, row, 1);
	k->name = gh_pg_str(res, row, 2, a);
	k->prefix = gh_pg_str(res, row, 3, a);
	/* anything but 32 bytes reads as zeroes (matches no secret's) */
	gh_pg_bytes(res, row, 4, k->secret_hash, sizeof(k->secret_hash));
	k->created_at = gh_pg_int(res, row, 5);
	k->expires_at = gh_pg_int(res, row, 6);
	k->last_used_at = gh_pg_int(res, row, 7);
	k->scopes = (unsigned)gh_pg_int(res, row, 8);
}

/* Run a statement yielding at most one key row into *out. */
static enum gh_err
one_key(struct gh_store *gs, enum ses_stmt id, const struct gh_pg_params *p,
    struct gh_arena *a, struct gh_apikey *out, const char *what)
{
	PGresult *res;
	enum gh_err r;

	if ((r = exec_once(gs, id, p, &res, what)) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		row_key(res, 0, a, out);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_apikey_create(struct gh_store *gs, gh_id user_id, const char *name,
    const char *prefix, const unsigned char *hash, int64_t now,
    int64_t expires_at, unsigned scopes, struct gh_arena *a,
    struct gh_apikey *out)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, user_id);
	gh_pg_p_text(&p, name);
	gh_pg_p_text(&p, prefix);
	p_hash(&p, hash);
	gh_pg_p_int(&p, now);
	if (expires_at > 0)
		gh_pg_p_int(&p, expires_at);
	else
		gh_pg_p_text(&p, NULL); /* never */
	gh_pg_p_int(&p, (int64_t)scopes);
	/* a taken prefix (or a vanished user): GH_ERR_CONFLICT, as SQLite */
	return one_key(gs, S_KEY_INSERT, &p, a, out, "key insert");
}

enum gh_err
gh_pg_apikey_by_prefix(struct gh_store *gs, const char *prefix,
    struct gh_arena *a, struct gh_apikey *out)
{
	struct gh_pg_params p = {0};

	gh_pg_p_text(&p, prefix);
	return one_key(gs, S_KEY_BY_PREFIX, &p, a, out, "key by prefix");
}

enum gh_err
gh_pg_apikey_touch(struct gh_store *gs, gh_id id, int64_t now)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, id);
	gh_pg_p_int(&p, now);
	return run_once(gs, S_KEY_TOUCH, &p, NULL, "key touch");
}

enum gh_err
gh_pg_apikey_list(struct gh_store *gs, gh_id user_id, int64_t now,
    gh_store_apikey_fn fn, void *ctx)
{
	struct gh_pg_params p = {0};
	struct gh_apikey k;
	PGresult *res;
	enum gh_err r;
	int i, n;

	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, now);
	/* walked without holding the connection, as gh_pg_session_list */
	if ((r = exec_once(gs, S_KEY_LIST, &p, &res, "key list")) != GH_OK)
		return r;
	n = PQntuples(res);
	for (i = 0; i < n && r == GH_OK; i++) {
		row_key(res, i, NULL, &k);
		r = fn(ctx, &k);
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_apikey_revoke(struct gh_store *gs, gh_id id, gh_id user_id, int64_t now)
{
	return revoke_row(gs, S_KEY_REVOKE, id, user_id, now, "key revoke");
}

/* Run a counter statement yielding at most one counter row. */
static enum gh_err
counter_row(struct gh_store *gs, enum ses_stmt id, const struct gh_pg_params *p,
    struct gh_login_counter *out, const char *what)
{
	PGresult *res;
	enum gh_err r;

	if ((r = exec_once(gs, id, p, &res, what)) != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		out->failures = gh_pg_int(res, 0, 0);
		out->first_at = gh_pg_int(res, 0, 1);
		out->last_at = gh_pg_int(res, 0, 2);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_login_counter_get(struct gh_store *gs, const char *kind, const char *key,
    struct gh_login_counter *out)
{
	struct gh_pg_params p = {0};

	gh_pg_p_text(&p, kind);
	gh_pg_p_text(&p, key);
	return counter_row(gs, S_COUNTER_GET, &p, out, "counter get");
}

/*
 * Delete the counters of kind whose last failure is a whole window old,
 * at most once per COUNTER_PURGE_SECONDS for each kind in this process
 * (each kind has its own window: logins', registrations'): one scan of a
 * table that holds only the last window's failing names and addresses.
 * The times are per process, and several processes may share the
 * database: a late or repeated purge is harmless, the DELETE being
 * atomic with every upsert.  Of this process's threads, the one that
 * moves the kind's time runs it.  It runs in a transaction (a savepoint
 * inside a batch) of its own, so that its failure, which only postpones
 * it, cannot abort the caller's transaction.
 */
#define COUNTER_PURGE_SECONDS 60
static struct {
	const char *kind;
	_Atomic int64_t at;
} purged[] = {{"user", 0}, {"addr", 0}, {"reg", 0}};

static void
counter_purge(
    struct gh_store *gs, const char *kind, int64_t now, int64_t window)
{
	struct gh_pg_conn *c;
	struct gh_pg_params p = {0};
	int64_t at;
	size_t i;

	for (i = 0; i < sizeof(purged) / sizeof(purged[0]); i++)
		if (strcmp(purged[i].kind, kind) == 0)
			break;
	if (i == sizeof(purged) / sizeof(purged[0]))
		return;
	at = atomic_load(&purged[i].at);
	if (now - at < COUNTER_PURGE_SECONDS ||
	    !atomic_compare_exchange_strong(&purged[i].at, &at, now))
		return;
	if (gh_pg_tx_begin(gs, &c) != GH_OK)
		return;
	gh_pg_p_text(&p, kind);
	gh_pg_p_int(&p, now - window);
	if (ses_run(c, S_COUNTER_PURGE, &p, NULL, "counter purge") != GH_OK)
		gh_pg_tx_rollback(gs, c);
	else
		gh_pg_tx_commit(gs, c);
}

enum gh_err
gh_pg_login_failure_add(struct gh_store *gs, const char *kind, const char *key,
    int64_t now, int64_t window, struct gh_login_counter *out)
{
	struct gh_pg_params p = {0};

	counter_purge(gs, kind, now, window);
	gh_pg_p_text(&p, kind);
	gh_pg_p_text(&p, key);
	gh_pg_p_int(&p, now);
	gh_pg_p_int(&p, window);
	return counter_row(gs, S_COUNTER_ADD, &p, out, "counter add");
}

enum gh_err
gh_pg_login_counter_clear(
    struct gh_store *gs, const char *kind, const char *key)
{
	struct gh_pg_params p = {0};

	gh_pg_p_text(&p, kind);
	gh_pg_p_text(&p, key);
	return run_once(gs, S_COUNTER_CLEAR, &p, NULL, "counter clear");
}

enum gh_err
gh_pg_login_counter_undo(struct gh_store *gs, const char *kind, const char *key)
{
	struct gh_pg_params p = {0};

	gh_pg_p_text(&p, kind);
	gh_pg_p_text(&p, key);
	return run_once(gs, S_COUNTER_UNDO, &p, NULL, "counter undo");
}
