/*
 * store_sqlite_sessions.c - sessions, refresh tokens, password changes,
 * API keys and failed-login counters on SQLite.
 *
 * Every multi-statement change runs under the writer lock inside
 * BEGIN IMMEDIATE, so a refresh token is spent exactly once even when a
 * client sends it twice at the same moment.  Token material never
 * reaches this file: only SHA-256 hashes (32-byte blobs) do.
 */
#include <stdatomic.h>
#include <string.h>

#include "log.h"
#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/banned.h"

enum {
	Q_AUTH_LOAD = GH_SQLITE_SLOT_SESSIONS,
	Q_SESSION_INSERT,
	Q_REFRESH_INSERT,
	Q_REFRESH_FIND,
	Q_REFRESH_SPEND,
	Q_SESSION_TOUCH,
	Q_SESSION_REVOKE,
	Q_SESSION_OF_REFRESH,
	Q_SESSION_LIST,
	Q_USER_GET,
	Q_SET_PASSWORD,
	Q_REVOKE_ALL,
	Q_KEY_INSERT,
	Q_KEY_BY_PREFIX,
	Q_KEY_TOUCH,
	Q_KEY_LIST,
	Q_KEY_REVOKE,
	Q_COUNTER_GET,
	Q_COUNTER_ADD,
	Q_COUNTER_CLEAR,
	Q_COUNTER_UNDO,
	Q_SESSION_SET_COOKIE,
	Q_SESSION_BY_COOKIE,
	Q_COUNTER_PURGE,
	Q_KEYS_REVOKE_ALL,
	Q_END
};

#define KEY_COLS                                                               \
	"id, user_id, name, prefix, secret_hash, created_at, expires_at, "     \
	"last_used_at, scopes"

static const char *const sql[Q_END - GH_SQLITE_SLOT_SESSIONS] = {
#define Q(id) [(id)-GH_SQLITE_SLOT_SESSIONS]
    Q(Q_AUTH_LOAD) = "SELECT " GH_SQLITE_USER_COLS ", "
                     "(SELECT revoked_at IS NULL FROM sessions "
                     "WHERE id = ?2 AND user_id = users.id) "
                     "FROM users WHERE id = ?1",
    Q(Q_SESSION_INSERT) = "INSERT INTO sessions (user_id, created_at, "
                          "last_used_at, expires_at, user_agent, ip) "
                          "VALUES (?1, ?2, ?2, ?3, ?4, ?5) RETURNING id",
    Q(Q_REFRESH_INSERT) = "INSERT INTO refresh_tokens (session_id, "
                          "token_hash, created_at, expires_at) "
                          "VALUES (?1, ?2, ?3, ?4)",
    Q(Q_REFRESH_FIND) = "SELECT rt.id, rt.session_id, rt.expires_at, "
                        "rt.spent_at, s.revoked_at IS NOT NULL, s.user_id, "
                        "s.created_at "
                        "FROM refresh_tokens rt JOIN sessions s "
                        "ON s.id = rt.session_id WHERE rt.token_hash = ?1",
    Q(Q_REFRESH_SPEND) = "UPDATE refresh_tokens SET spent_at = ?2 "
                         "WHERE id = ?1 AND spent_at IS NULL",
    Q(Q_SESSION_TOUCH) = "UPDATE sessions SET last_used_at = ?2, "
                         "expires_at = ?3 WHERE id = ?1",
    Q(Q_SESSION_REVOKE) = "UPDATE sessions SET revoked_at = ?3 "
                          "WHERE id = ?1 AND (?2 = 0 OR user_id = ?2) "
                          "AND revoked_at IS NULL",
    Q(Q_SESSION_OF_REFRESH) = "SELECT s.id, s.user_id FROM refresh_tokens "
                              "rt JOIN sessions s ON s.id = rt.session_id "
                              "WHERE rt.token_hash = ?1",
    Q(Q_SESSION_LIST) = "SELECT id, user_id, created_at, last_used_at, "
                        "expires_at, user_agent, ip FROM sessions "
                        "WHERE user_id = ?1 AND revoked_at IS NULL "
                        "ORDER BY id",
    Q(Q_USER_GET) = "SELECT " GH_SQLITE_USER_COLS " FROM users WHERE id = ?1",
    Q(Q_SET_PASSWORD) = "UPDATE users SET hashed_password = ?2, "
                        "token_version = token_version + 1 WHERE id = ?1",
    Q(Q_REVOKE_ALL) = "UPDATE sessions SET revoked_at = ?2 "
                      "WHERE user_id = ?1 AND revoked_at IS NULL",
    Q(Q_KEY_INSERT) = "INSERT INTO api_keys (user_id, name, prefix, "
                      "secret_hash, created_at, expires_at, scopes) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING " KEY_COLS,
    Q(Q_KEY_BY_PREFIX) = "SELECT " KEY_COLS " FROM api_keys "
                         "WHERE prefix = ?1 AND revoked_at IS NULL",
    Q(Q_KEY_TOUCH) = "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
    Q(Q_KEY_LIST) = "SELECT " KEY_COLS " FROM api_keys WHERE user_id = ?1 "
                    "AND revoked_at IS NULL ORDER BY id",
    Q(Q_KEY_REVOKE) = "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 "
                      "AND user_id = ?2 AND revoked_at IS NULL",
    Q(Q_COUNTER_GET) = "SELECT failures, first_at, last_at "
                       "FROM login_failures WHERE kind = ?1 AND key = ?2",
    Q(Q_COUNTER_ADD) =
        "INSERT INTO login_failures (kind, key, failures, first_at, last_at) "
        "VALUES (?1, ?2, 1, ?3, ?3) ON CONFLICT (kind, key) DO UPDATE SET "
        "failures = CASE WHEN first_at <= ?3 - ?4 THEN 1 "
        "ELSE failures + 1 END, "
        "first_at = CASE WHEN first_at <= ?3 - ?4 THEN ?3 ELSE first_at END, "
        "last_at = ?3 RETURNING failures, first_at, last_at",
    Q(Q_COUNTER_CLEAR) = "DELETE FROM login_failures "
                         "WHERE kind = ?1 AND key = ?2",
    Q(Q_COUNTER_UNDO) = "UPDATE login_failures SET failures = failures - 1 "
                        "WHERE kind = ?1 AND key = ?2 AND failures > 0",
    Q(Q_SESSION_SET_COOKIE) = "UPDATE sessions SET cookie_hash = ?2 "
                              "WHERE id = ?1 AND revoked_at IS NULL",
    Q(Q_SESSION_BY_COOKIE) = "SELECT id, user_id FROM sessions "
                             "WHERE cookie_hash = ?1 AND revoked_at IS NULL "
                             "AND expires_at > ?2",
    /* counters whose window is over count nothing: known and unknown
     * names alike, they go */
    Q(Q_COUNTER_PURGE) = "DELETE FROM login_failures "
                         "WHERE kind = ?1 AND last_at <= ?2",
    Q(Q_KEYS_REVOKE_ALL) = "UPDATE api_keys SET revoked_at = ?2 "
                           "WHERE user_id = ?1 AND revoked_at IS NULL",
#undef Q
};

static sqlite3_stmt *
q(struct gh_sqlite_conn *c, int id)
{
	return gh_sqlite_stmt(c, id, sql[id - GH_SQLITE_SLOT_SESSIONS]);
}

/* Step a statement that returns no rows. */
static enum gh_err
run(struct gh_sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : gh_sqlite_err(c, rc, what);
}

static enum gh_err
begin(struct gh_sqlite_conn *c)
{
	return gh_sqlite_tx_begin(c);
}

static enum gh_err
commit(struct gh_sqlite_conn *c)
{
	return gh_sqlite_tx_commit(c);
}

static void
rollback(struct gh_sqlite_conn *c)
{
	gh_sqlite_tx_rollback(c);
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t usec)
{
	char ts[GH_TIME_BUFSZ];

	gh_time_db(usec, ts);
	sqlite3_bind_text(st, i, ts, -1, SQLITE_TRANSIENT);
}

static void
bind_hash(sqlite3_stmt *st, int i, const unsigned char *h)
{
	sqlite3_bind_blob(st, i, h, GH_TOKEN_HASH_LEN, SQLITE_STATIC);
}

enum gh_err
gh_sqlite_auth_load(struct gh_store *gs, gh_id uid, gh_id sid,
    struct gh_arena *a, struct gh_user *u, bool *session_live)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	enum gh_err r;
	int rc;

	*session_live = false;
	if (c == NULL || (st = q(c, Q_AUTH_LOAD)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		gh_sqlite_row_user(st, a, u);
		*session_live = sqlite3_column_int(st, 8) == 1;
		r = GH_OK;
	} else {
		r = rc == SQLITE_DONE ? GH_ERR_NOTFOUND
		                      : gh_sqlite_err(c, rc, "auth load");
	}
	sqlite3_reset(st);
	return r;
}

static enum gh_err
insert_refresh(struct gh_sqlite_conn *c, gh_id sid, const unsigned char *hash,
    int64_t now, int64_t expires_at)
{
	sqlite3_stmt *st = q(c, Q_REFRESH_INSERT);

	if (st == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, sid);
	bind_hash(st, 2, hash);
	bind_time(st, 3, now);
	bind_time(st, 4, expires_at);
	return run(c, st, "refresh insert");
}

static enum gh_err
session_create(struct gh_store *gs, gh_id user_id, const unsigned char *hash,
    int64_t now, int64_t expires_at, const char *ua, const char *ip, gh_id *sid)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	enum gh_err r;
	int rc;

	if (c == NULL || (r = begin(c)) != GH_OK)
		return GH_ERR_DB;
	if (gs->session_max_usec > 0)
		expires_at = GH_MIN(expires_at, now + gs->session_max_usec);
	r = GH_ERR_DB;
	if ((st = q(c, Q_SESSION_INSERT)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, user_id);
	bind_time(st, 2, now);
	bind_time(st, 3, expires_at);
	sqlite3_bind_text(st, 4, ua ? ua : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ip ? ip : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		/* the user vanished since login: a foreign key failure */
		r = rc == SQLITE_DONE ? GH_ERR_DB
		                      : gh_sqlite_err(c, rc, "session insert");
		goto fail;
	}
	*sid = sqlite3_column_int64(st, 0);
	if ((r = gh_sqlite_done(c, st, rc, "session insert")) != GH_OK)
		goto fail;
	if ((r = insert_refresh(c, *sid, hash, now, expires_at)) != GH_OK ||
	    (r = commit(c)) != GH_OK)
		goto fail;
	return GH_OK;
fail:
	rollback(c);
	return r == GH_ERR_CONFLICT ? GH_ERR_NOTFOUND : r;
}

enum gh_err
gh_sqlite_session_create(struct gh_store *gs, gh_id user_id,
    const unsigned char *refresh_hash, int64_t now, int64_t expires_at,
    const char *user_agent, const char *ip, gh_id *sid)
{
	GH_SQLITE_LOCKED(session_create(
	    gs, user_id, refresh_hash, now, expires_at, user_agent, ip, sid));
}

static enum gh_err
load_user(
    struct gh_sqlite_conn *c, gh_id id, struct gh_arena *a, struct gh_user *u)
{
	sqlite3_stmt *st = q(c, Q_USER_GET);
	enum gh_err r;
	int rc;

	if (st == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		gh_sqlite_row_user(st, a, u);
		r = GH_OK;
	} else {
		r = rc == SQLITE_DONE ? GH_ERR_NOTFOUND
		                      : gh_sqlite_err(c, rc, "user get");
	}
	sqlite3_reset(st);
	return r;
}

static enum gh_err
refresh_rotate(struct gh_store *gs, const unsigned char *old_hash,
    const unsigned char *new_hash, int64_t now, int64_t expires_at,
    int64_t grace_usec, struct gh_arena *a, struct gh_user *u, gh_id *sid,
    enum gh_refresh_result *res)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	int64_t tok_id, tok_exp, spent = 0, born;
	bool spent_set, revoked;
	gh_id user_id;
	sqlite3_stmt *st;
	enum gh_err r;
	int rc;

	*res = GH_REFRESH_INVALID;
	if (c == NULL || begin(c) != GH_OK)
		return GH_ERR_DB;
	r = GH_ERR_DB;
	if ((st = q(c, Q_REFRESH_FIND)) == NULL)
		goto fail;
	bind_hash(st, 1, old_hash);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			r = gh_sqlite_err(c, rc, "refresh find");
			goto fail;
		}
		rollback(c);
		return GH_OK; /* unknown token */
	}
	tok_id = sqlite3_column_int64(st, 0);
	*sid = sqlite3_column_int64(st, 1);
	tok_exp = gh_sqlite_col_time(st, 2);
	spent_set = sqlite3_column_type(st, 3) != SQLITE_NULL;
	if (spent_set)
		spent = gh_sqlite_col_time(st, 3);
	revoked = sqlite3_column_int(st, 4) != 0;
	user_id = sqlite3_column_int64(st, 5);
	/* the session's absolute end: no rotation moves it */
	if (gs->session_max_usec > 0) {
		born = gh_sqlite_col_time(st, 6);
		if (born + gs->session_max_usec <= now)
			tok_exp = 0; /* over: as an expired token */
		expires_at = GH_MIN(expires_at, born + gs->session_max_usec);
	}
	sqlite3_reset(st);

	if ((r = load_user(c, user_id, a, u)) != GH_OK) {
		if (r != GH_ERR_NOTFOUND)
			goto fail;
		rollback(c);
		return GH_OK;
	}
	if (revoked || tok_exp <= now || !u->is_active) {
		rollback(c);
		return GH_OK;
	}
	/* with no grace window any second use is reuse, even one whose
	 * clock reading predates the first (now is read before the lock) */
	if (spent_set && (grace_usec <= 0 || now - spent > grace_usec)) {
		/* reuse of a spent token: the family is compromised */
		if ((st = q(c, Q_SESSION_REVOKE)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, *sid);
		sqlite3_bind_int64(st, 2, 0);
		bind_time(st, 3, now);
		if ((r = run(c, st, "session revoke")) != GH_OK ||
		    (r = commit(c)) != GH_OK)
			goto fail;
		*res = GH_REFRESH_REUSED;
		return GH_OK;
	}
	if (!spent_set) {
		if ((st = q(c, Q_REFRESH_SPEND)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, tok_id);
		bind_time(st, 2, now);
		if ((r = run(c, st, "refresh spend")) != GH_OK)
			goto fail;
	}
	if ((r = insert_refresh(c, *sid, new_hash, now, expires_at)) != GH_OK)
		goto fail;
	if ((st = q(c, Q_SESSION_TOUCH)) == NULL) {
		r = GH_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, *sid);
	bind_time(st, 2, now);
	bind_time(st, 3, expires_at);
	if ((r = run(c, st, "session touch")) != GH_OK ||
	    (r = commit(c)) != GH_OK)
		goto fail;
	*res = spent_set ? GH_REFRESH_GRACE : GH_REFRESH_ROTATED;
	return GH_OK;
fail:
	rollback(c);
	*res = GH_REFRESH_INVALID;
	return r == GH_OK ? GH_ERR_DB : r;
}

enum gh_err
gh_sqlite_refresh_rotate(struct gh_store *gs, const unsigned char *old_hash,
    const unsigned char *new_hash, int64_t now, int64_t expires_at,
    int64_t grace_usec, struct gh_arena *a, struct gh_user *u, gh_id *sid,
    enum gh_refresh_result *res)
{
	GH_SQLITE_LOCKED(refresh_rotate(gs, old_hash, new_hash, now, expires_at,
	    grace_usec, a, u, sid, res));
}

/* Set revoked_at = now on row id of user_id (0: anyone's) with the
 * statement in slot; GH_ERR_NOTFOUND when no live row matched. */
static enum gh_err
revoke_row(struct gh_store *gs, int slot, gh_id id, gh_id user_id, int64_t now,
    const char *what)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	enum gh_err r;

	if (c == NULL || (st = q(c, slot)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	bind_time(st, 3, now);
	if ((r = run(c, st, what)) != GH_OK)
		return r;
	return sqlite3_changes(c->db) > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_session_revoke(
    struct gh_store *gs, gh_id sid, gh_id user_id, int64_t now)
{
	GH_SQLITE_LOCKED(revoke_row(
	    gs, Q_SESSION_REVOKE, sid, user_id, now, "session revoke"));
}

/* Step a statement yielding at most one (session id, user id) row. */
static enum gh_err
session_row(struct gh_sqlite_conn *c, sqlite3_stmt *st, gh_id *sid,
    gh_id *user_id, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*sid = sqlite3_column_int64(st, 0);
		*user_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return GH_OK;
	return rc == SQLITE_DONE ? GH_ERR_NOTFOUND : gh_sqlite_err(c, rc, what);
}

enum gh_err
gh_sqlite_session_of_refresh(struct gh_store *gs,
    const unsigned char *refresh_hash, gh_id *sid, gh_id *user_id)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_SESSION_OF_REFRESH)) == NULL)
		return GH_ERR_DB;
	bind_hash(st, 1, refresh_hash);
	return session_row(c, st, sid, user_id, "session of refresh");
}

enum gh_err
gh_sqlite_session_list(struct gh_store *gs, gh_id user_id, int64_t now,
    gh_store_session_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	struct gh_session ses;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if (c == NULL || (st = q(c, Q_SESSION_LIST)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ses.id = sqlite3_column_int64(st, 0);
		ses.user_id = sqlite3_column_int64(st, 1);
		ses.created_at = gh_sqlite_col_time(st, 2);
		ses.last_used_at = gh_sqlite_col_time(st, 3);
		ses.expires_at = gh_sqlite_col_time(st, 4);
		ses.user_agent = gh_sqlite_col_str(st, 5, NULL);
		ses.ip = gh_sqlite_col_str(st, 6, NULL);
		if (ses.expires_at <= now)
			continue;
		if ((r = fn(ctx, &ses)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "session list");
	sqlite3_reset(st);
	return r;
}

static enum gh_err
session_set_cookie(struct gh_store *gs, gh_id sid, const unsigned char *hash)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	enum gh_err r;

	if (c == NULL || (st = q(c, Q_SESSION_SET_COOKIE)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, sid);
	bind_hash(st, 2, hash);
	if ((r = run(c, st, "session set cookie")) != GH_OK)
		return r;
	return sqlite3_changes(c->db) > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_session_set_cookie(
    struct gh_store *gs, gh_id sid, const unsigned char *cookie_hash)
{
	GH_SQLITE_LOCKED(session_set_cookie(gs, sid, cookie_hash));
}

enum gh_err
gh_sqlite_session_by_cookie(struct gh_store *gs,
    const unsigned char *cookie_hash, int64_t now, gh_id *sid, gh_id *user_id)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_SESSION_BY_COOKIE)) == NULL)
		return GH_ERR_DB;
	bind_hash(st, 1, cookie_hash);
	bind_time(st, 2, now);
	return session_row(c, st, sid, user_id, "session by cookie");
}

static enum gh_err
set_password(struct gh_store *gs, gh_id id, const char *hash, int64_t now,
    bool keep_keys)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	enum gh_err r;

	if (c == NULL || begin(c) != GH_OK)
		return GH_ERR_DB;
	r = GH_ERR_DB;
	if ((st = q(c, Q_SET_PASSWORD)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	if ((r = run(c, st, "set password")) != GH_OK)
		goto fail;
	if (sqlite3_changes(c->db) == 0) {
		r = GH_ERR_NOTFOUND;
		goto fail;
	}
	if ((st = q(c, Q_REVOKE_ALL)) == NULL) {
		r = GH_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	bind_time(st, 2, now);
	if ((r = run(c, st, "revoke all")) != GH_OK)
		goto fail;
	if (!keep_keys) {
		if ((st = q(c, Q_KEYS_REVOKE_ALL)) == NULL) {
			r = GH_ERR_DB;
			goto fail;
		}
		sqlite3_bind_int64(st, 1, id);
		bind_time(st, 2, now);
		if ((r = run(c, st, "revoke keys")) != GH_OK)
			goto fail;
	}
	if ((r = commit(c)) != GH_OK)
		goto fail;
	return GH_OK;
fail:
	rollback(c);
	return r;
}

enum gh_err
gh_sqlite_user_set_password(struct gh_store *gs, gh_id id, const char *new_hash,
    int64_t now, bool keep_keys)
{
	GH_SQLITE_LOCKED(set_password(gs, id, new_hash, now, keep_keys));
}

static void
row_key(sqlite3_stmt *st, struct gh_arena *a, struct gh_apikey *k)
{
	const void *h = sqlite3_column_blob(st, 4);

	k->id = sqlite3_column_int64(st, 0);
	k->user_id = sqlite3_column_int64(st, 1);
	k->name = gh_sqlite_col_str(st, 2, a);
	k->prefix = gh_sqlite_col_str(st, 3, a);
	memset(k->secret_hash, 0, sizeof(k->secret_hash));
	if (h != NULL && sqlite3_column_bytes(st, 4) == GH_TOKEN_HASH_LEN)
		memcpy(k->secret_hash, h, GH_TOKEN_HASH_LEN);
	k->created_at = gh_sqlite_col_time(st, 5);
	k->expires_at = gh_sqlite_col_time(st, 6);
	k->last_used_at = gh_sqlite_col_time(st, 7);
	k->scopes = (unsigned)sqlite3_column_int(st, 8);
}

static enum gh_err
one_key(struct gh_sqlite_conn *c, sqlite3_stmt *st, struct gh_arena *a,
    struct gh_apikey *out, const char *what)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW)
		row_key(st, a, out);
	if ((r = gh_sqlite_done(c, st, rc, what)) != GH_OK)
		return r;
	return rc == SQLITE_ROW ? GH_OK : GH_ERR_NOTFOUND;
}

static enum gh_err
key_create(struct gh_store *gs, gh_id user_id, const char *name,
    const char *prefix, const unsigned char *hash, int64_t now,
    int64_t expires_at, unsigned scopes, struct gh_arena *a,
    struct gh_apikey *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_KEY_INSERT)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int(st, 7, (int)scopes);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, prefix, -1, SQLITE_STATIC);
	bind_hash(st, 4, hash);
	bind_time(st, 5, now);
	if (expires_at > 0)
		bind_time(st, 6, expires_at);
	return one_key(c, st, a, out, "key insert");
}

enum gh_err
gh_sqlite_apikey_create(struct gh_store *gs, gh_id user_id, const char *name,
    const char *prefix, const unsigned char *hash, int64_t now,
    int64_t expires_at, unsigned scopes, struct gh_arena *a,
    struct gh_apikey *out)
{
	GH_SQLITE_LOCKED(key_create(
	    gs, user_id, name, prefix, hash, now, expires_at, scopes, a, out));
}

enum gh_err
gh_sqlite_apikey_by_prefix(struct gh_store *gs, const char *prefix,
    struct gh_arena *a, struct gh_apikey *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_KEY_BY_PREFIX)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	return one_key(c, st, a, out, "key by prefix");
}

static enum gh_err
key_touch(struct gh_store *gs, gh_id id, int64_t now)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_KEY_TOUCH)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	bind_time(st, 2, now);
	return run(c, st, "key touch");
}

enum gh_err
gh_sqlite_apikey_touch(struct gh_store *gs, gh_id id, int64_t now)
{
	GH_SQLITE_LOCKED(key_touch(gs, id, now));
}

enum gh_err
gh_sqlite_apikey_list(struct gh_store *gs, gh_id user_id, int64_t now,
    gh_store_apikey_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	struct gh_apikey k;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if (c == NULL || (st = q(c, Q_KEY_LIST)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_key(st, NULL, &k);
		if (k.expires_at != 0 && k.expires_at <= now)
			continue;
		if ((r = fn(ctx, &k)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "key list");
	sqlite3_reset(st);
	return r;
}

enum gh_err
gh_sqlite_apikey_revoke(
    struct gh_store *gs, gh_id id, gh_id user_id, int64_t now)
{
	GH_SQLITE_LOCKED(
	    revoke_row(gs, Q_KEY_REVOKE, id, user_id, now, "key revoke"));
}

static enum gh_err
counter_row(struct gh_sqlite_conn *c, sqlite3_stmt *st,
    struct gh_login_counter *out, const char *what)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW) {
		out->failures = sqlite3_column_int64(st, 0);
		out->first_at = sqlite3_column_int64(st, 1);
		out->last_at = sqlite3_column_int64(st, 2);
	}
	if ((r = gh_sqlite_done(c, st, rc, what)) != GH_OK)
		return r;
	return rc == SQLITE_ROW ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_login_counter_get(struct gh_store *gs, const char *kind,
    const char *key, struct gh_login_counter *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_COUNTER_GET)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return counter_row(c, st, out, "counter get");
}

/*
 * Delete the counters of kind whose last failure is a whole window old,
 * at most once per COUNTER_PURGE_SECONDS for each kind (each kind has
 * its own window: logins', registrations'): one scan of a table that
 * holds only the last window's failing names and addresses.  Runs under
 * the writer lock, like every counter write; a failure only postpones
 * it.  The times are per process: a late purge is harmless.
 */
#define COUNTER_PURGE_SECONDS 60
static struct {
	const char *kind;
	_Atomic int64_t at;
} purged[] = {{"user", 0}, {"addr", 0}, {"reg", 0}};

static void
counter_purge(
    struct gh_sqlite_conn *c, const char *kind, int64_t now, int64_t window)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < sizeof(purged) / sizeof(purged[0]); i++)
		if (strcmp(purged[i].kind, kind) == 0)
			break;
	if (i == sizeof(purged) / sizeof(purged[0]) ||
	    now - purged[i].at < COUNTER_PURGE_SECONDS ||
	    (st = q(c, Q_COUNTER_PURGE)) == NULL)
		return;
	purged[i].at = now;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - window);
	run(c, st, "counter purge");
}

static enum gh_err
counter_add(struct gh_store *gs, const char *kind, const char *key, int64_t now,
    int64_t window, struct gh_login_counter *out)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, Q_COUNTER_ADD)) == NULL)
		return GH_ERR_DB;
	counter_purge(c, kind, now, window);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, window);
	return counter_row(c, st, out, "counter add");
}

enum gh_err
gh_sqlite_login_failure_add(struct gh_store *gs, const char *kind,
    const char *key, int64_t now, int64_t window, struct gh_login_counter *out)
{
	GH_SQLITE_LOCKED(counter_add(gs, kind, key, now, window, out));
}

/* A counter write that binds (kind, key) only: clear or undo. */
static enum gh_err
counter_write(struct gh_store *gs, int slot, const char *what, const char *kind,
    const char *key)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;

	if (c == NULL || (st = q(c, slot)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return run(c, st, what);
}

enum gh_err
gh_sqlite_login_counter_clear(
    struct gh_store *gs, const char *kind, const char *key)
{
	GH_SQLITE_LOCKED(
	    counter_write(gs, Q_COUNTER_CLEAR, "counter clear", kind, key));
}

enum gh_err
gh_sqlite_login_counter_undo(
    struct gh_store *gs, const char *kind, const char *key)
{
	GH_SQLITE_LOCKED(
	    counter_write(gs, Q_COUNTER_UNDO, "counter undo", kind, key));
}
