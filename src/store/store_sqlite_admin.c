/*
 * store_sqlite_admin.c - user administration and the audit log, SQLite.
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
 * foreign key, so the history outlives the user.
 *
 * Audit: gh_sqlite_audit_add copies the entry into a queue and wakes the
 * store's background thread, which writes whatever has queued up in one
 * transaction (gh_sqlite_audit_flush): under load many rows share one
 * commit, and no request waits for its audit row.  The queue is flushed
 * before the log is read (so a reader sees every event that happened
 * before its request) and at close; a crash loses at most the rows of
 * the last few milliseconds.  Past AUDIT_QUEUE_MAX rows the adding
 * thread flushes itself, so the queue stays bounded when the disk is
 * slow.  Flushing holds the writer lock from taking the queue to the
 * commit, so ids follow the order in which events were queued.
 * Entries get an AUTOINCREMENT id, which is the order of the log;
 * listings go newest first by id, paging with before_id, one prepared
 * statement per filter combination so that each uses its index (rowid,
 * (user_id, id) or (event, id)).
 *
 * Memory: records returned through OUT parameters have their strings in
 * the caller's arena; audit rows handed to a callback are borrowed from
 * SQLite and valid during the callback only.  Statements live in slots
 * GH_SQLITE_SLOT_ADMIN.. of the thread's connection.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define AUDIT_QUEUE_MAX 4096

/* A queued entry; its strings point into text. */
struct gh_sqlite_audit_row {
	struct gh_sqlite_audit_row *next;
	struct gh_audit_entry e;
	char text[];
};

enum admin_stmt {
	A_USER_STATE,
	A_USER_UPDATE,
	A_ADMIN_LEFT,
	A_USER_DELETE,
	A_AUDIT_INSERT,
	A_AUDIT_LIST,      /* no filter */
	A_AUDIT_LIST_USER, /* user_id */
	A_AUDIT_LIST_EVT,  /* event */
	A_AUDIT_LIST_BOTH, /* user_id and event */
	A_COUNT
};

_Static_assert(
    A_COUNT <= 32 && GH_SQLITE_SLOT_ADMIN + A_COUNT <= GH_SQLITE_MAX_STMTS,
    "store_sqlite_admin.c owns 32 statement slots");

/* The same columns, in the same order, as store_sqlite.c's USER_COLS. */
#define USER_COLS                                                              \
	"id, username, email, hashed_password, role, is_active, created_at, "  \
	"token_version"
#define AUDIT_COLS                                                             \
	"id, at, event, user_id, username, ip, outcome, target_user_id, "      \
	"detail"
#define ACTIVE_ADMIN "role = 'admin' AND is_active = 1"

static const char *const sql_text[A_COUNT] = {
    [A_USER_STATE] = "SELECT " ACTIVE_ADMIN " FROM users WHERE id = ?1",
    [A_USER_UPDATE] = "UPDATE users SET role = coalesce(?2, role), "
                      "is_admin = (coalesce(?2, role) = 'admin'), "
                      "is_active = coalesce(?3, is_active) "
                      "WHERE id = ?1 RETURNING " USER_COLS,
    [A_ADMIN_LEFT] =
        "SELECT EXISTS (SELECT 1 FROM users WHERE " ACTIVE_ADMIN ")",
    [A_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [A_AUDIT_INSERT] = "INSERT INTO audit_log (at, event, user_id, "
                       "username, ip, outcome, target_user_id, detail) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [A_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM audit_log "
                     "WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    [A_AUDIT_LIST_USER] = "SELECT " AUDIT_COLS " FROM audit_log "
                          "WHERE user_id = ?3 AND id < ?1 "
                          "ORDER BY id DESC LIMIT ?2",
    [A_AUDIT_LIST_EVT] = "SELECT " AUDIT_COLS " FROM audit_log "
                         "WHERE event = ?4 AND id < ?1 "
                         "ORDER BY id DESC LIMIT ?2",
    [A_AUDIT_LIST_BOTH] = "SELECT " AUDIT_COLS " FROM audit_log "
                          "WHERE user_id = ?3 AND event = ?4 AND id < ?1 "
                          "ORDER BY id DESC LIMIT ?2",
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

static enum gh_err
s_audit_add(struct gh_store *gs, const struct gh_audit_entry *e)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	char ts[GH_TIME_BUFSZ];
	sqlite3_stmt *st;
	int rc;

	if (c == NULL || (st = stmt(c, A_AUDIT_INSERT)) == NULL)
		return GH_ERR_DB;
	gh_time_db(e->at, ts);
	sqlite3_bind_text(st, 1, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->event, -1, SQLITE_STATIC);
	if (e->user_id != 0)
		sqlite3_bind_int64(st, 3, e->user_id);
	if (e->username != NULL)
		sqlite3_bind_text(st, 4, e->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->ip != NULL ? e->ip : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 6, e->success ? "success" : "failure", -1, SQLITE_STATIC);
	if (e->target_user_id != 0)
		sqlite3_bind_int64(st, 7, e->target_user_id);
	if (e->detail != NULL)
		sqlite3_bind_text(st, 8, e->detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	/* bindings point at the caller's strings: drop them now */
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? GH_OK : gh_sqlite_err(c, rc, "audit add");
}

/* Column i as a borrowed string, NULL for SQL NULL. */
static const char *
col_str_or_null(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return gh_sqlite_col_str(st, i, NULL);
}

static void
row_audit(sqlite3_stmt *st, struct gh_audit_entry *e)
{
	const unsigned char *outcome = sqlite3_column_text(st, 6);

	e->id = sqlite3_column_int64(st, 0);
	e->at = gh_sqlite_col_time(st, 1);
	e->event = gh_sqlite_col_str(st, 2, NULL);
	e->user_id = sqlite3_column_int64(st, 3); /* NULL reads as 0 */
	e->username = col_str_or_null(st, 4);
	e->ip = col_str_or_null(st, 5);
	e->success =
	    outcome != NULL && strcmp((const char *)outcome, "success") == 0;
	e->target_user_id = sqlite3_column_int64(st, 7);
	e->detail = col_str_or_null(st, 8);
}

static enum gh_err
s_audit_list(struct gh_store *gs, gh_id before_id, int64_t limit, gh_id user_id,
    const char *event, gh_store_audit_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	enum admin_stmt id = A_AUDIT_LIST;
	struct gh_audit_entry e;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if (user_id != 0 && event != NULL)
		id = A_AUDIT_LIST_BOTH;
	else if (user_id != 0)
		id = A_AUDIT_LIST_USER;
	else if (event != NULL)
		id = A_AUDIT_LIST_EVT;
	if (c == NULL || (st = stmt(c, id)) == NULL)
		return GH_ERR_DB;
	/* before_id 0 (or below): from the newest */
	sqlite3_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int64(st, 2, limit);
	if (user_id != 0)
		sqlite3_bind_int64(st, 3, user_id);
	if (event != NULL)
		sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_audit(st, &e);
		if ((r = fn(ctx, &e)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "audit list");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
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

/* Copy str to *p and return the copy (NULL stays NULL). */
static const char *
put_str(char **p, const char *str)
{
	char *at = *p;
	size_t n;

	if (str == NULL)
		return NULL;
	n = strlen(str) + 1;
	memcpy(at, str, n);
	*p += n;
	return at;
}

static size_t
str_size(const char *str)
{
	return str != NULL ? strlen(str) + 1 : 0;
}

enum gh_err
gh_sqlite_audit_add(struct gh_store *gs, const struct gh_audit_entry *e)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;
	struct gh_sqlite_audit_row *row;
	size_t n = str_size(e->event) + str_size(e->username) +
	           str_size(e->ip) + str_size(e->detail);
	bool full;
	char *p;

	row = gh_xmalloc(sizeof(*row) + n);
	row->next = NULL;
	row->e = *e;
	p = row->text;
	row->e.event = put_str(&p, e->event);
	row->e.username = put_str(&p, e->username);
	row->e.ip = put_str(&p, e->ip);
	row->e.detail = put_str(&p, e->detail);
	pthread_mutex_lock(&s->bg_mu);
	if (s->audit_tail != NULL)
		s->audit_tail->next = row;
	else
		s->audit_head = row;
	s->audit_tail = row;
	full = ++s->audit_queued > AUDIT_QUEUE_MAX;
	gh_sqlite_bg_wake(s);
	pthread_mutex_unlock(&s->bg_mu);
	/* never from inside a write or a batch: the rows would commit (or
	 * vanish) with it */
	return full && !gh_sqlite_write_held(gs) ? gh_sqlite_audit_flush(gs)
	                                         : GH_OK;
}

static void
free_rows(struct gh_sqlite_audit_row *row)
{
	struct gh_sqlite_audit_row *next;

	for (; row != NULL; row = next) {
		next = row->next;
		free(row);
	}
}

/* Take the whole queue (caller holds nothing; takes bg_mu). */
static struct gh_sqlite_audit_row *
take_queue(struct sqlite_store *s, size_t *n)
{
	struct gh_sqlite_audit_row *head;

	pthread_mutex_lock(&s->bg_mu);
	head = s->audit_head;
	*n = s->audit_queued;
	s->audit_head = s->audit_tail = NULL;
	s->audit_queued = 0;
	pthread_mutex_unlock(&s->bg_mu);
	return head;
}

static enum gh_err
s_audit_flush(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	struct gh_sqlite_audit_row *head, *row;
	size_t n;
	enum gh_err r;

	if ((head = take_queue(s, &n)) == NULL)
		return GH_OK;
	if (c == NULL)
		r = GH_ERR_DB;
	else if ((r = gh_sqlite_tx_begin(c)) == GH_OK) {
		for (row = head; row != NULL && r == GH_OK; row = row->next)
			r = s_audit_add(gs, &row->e);
		if (r == GH_OK)
			r = gh_sqlite_tx_commit(c);
		if (r != GH_OK)
			gh_sqlite_tx_rollback(c);
	}
	if (r != GH_OK)
		gh_log_error_f("%zu audit rows could not be written", n);
	free_rows(head);
	return r;
}

enum gh_err
gh_sqlite_audit_flush(struct gh_store *gs)
{
	GH_SQLITE_LOCKED(s_audit_flush(gs));
}

void
gh_sqlite_audit_drop(struct sqlite_store *s)
{
	size_t n;

	free_rows(take_queue(s, &n));
}

enum gh_err
gh_sqlite_audit_list(struct gh_store *gs, gh_id before_id, int64_t limit,
    gh_id user_id, const char *event, gh_store_audit_fn fn, void *ctx)
{
	/* every event queued before this request is in the log */
	gh_sqlite_audit_flush(gs);
	return s_audit_list(gs, before_id, limit, user_id, event, fn, ctx);
}
