/*
 * store_sqlite_audit.c - the audit log, SQLite.
 *
 * gh_sqlite_audit_write inserts an entry in the caller's write (the
 * group-commit batch of its request: it is on disk before the request is
 * answered).  gh_sqlite_audit_add copies the entry into a queue and wakes the
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
 * Memory: audit rows handed to a callback are borrowed from SQLite and
 * valid during the callback only; a queued row is one allocation with
 * its strings inside, the queue's until written.  Statements live in
 * slots GH_SQLITE_SLOT_AUDIT.. of the thread's connection.
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

enum audit_stmt {
	A_AUDIT_INSERT,
	A_AUDIT_LIST,      /* no filter */
	A_AUDIT_LIST_USER, /* user_id */
	A_AUDIT_LIST_EVT,  /* event */
	A_AUDIT_LIST_BOTH, /* user_id and event */
	A_COUNT
};

_Static_assert(GH_SQLITE_SLOT_AUDIT + A_COUNT <= GH_SQLITE_MAX_STMTS,
    "store_sqlite_audit.c owns the last statement slots");

#define AUDIT_COLS                                                             \
	"id, at, event, user_id, username, ip, outcome, target_user_id, "      \
	"detail"

static const char *const sql_text[A_COUNT] = {
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
stmt(struct gh_sqlite_conn *c, enum audit_stmt id)
{
	return gh_sqlite_stmt(c, GH_SQLITE_SLOT_AUDIT + (int)id, sql_text[id]);
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
	enum audit_stmt id = A_AUDIT_LIST;
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
gh_sqlite_audit_write(struct gh_store *gs, const struct gh_audit_entry *e)
{
	GH_SQLITE_LOCKED(s_audit_add(gs, e));
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
		/* a row SQLite refuses (a constraint) is logged and skipped:
		 * it must not take the others down with it */
		for (row = head; row != NULL && r == GH_OK; row = row->next)
			if ((r = s_audit_add(gs, &row->e)) == GH_ERR_CONFLICT) {
				gh_log_error_f("audit row %s refused",
				    row->e.event ? row->e.event : "?");
				r = GH_OK;
			}
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
