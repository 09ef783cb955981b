/*
 * store_sqlite_int.h - what the SQLite backend's files share.
 *
 * The backend is split by domain (store_sqlite.c: connections,
 * migrations, users, posts; store_sqlite_*.c: the later domains).  Each
 * file keeps its SQL next to its code and caches its prepared statements
 * in its own range of slots of the per-thread connection.
 */
#ifndef GH_STORE_SQLITE_INT_H
#define GH_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

/* Statement slot ranges, one per file. */
#define GH_SQLITE_SLOT_CORE 0      /* store_sqlite.c */
#define GH_SQLITE_SLOT_SESSIONS 32 /* store_sqlite_sessions.c */
#define GH_SQLITE_SLOT_TODOS 64    /* store_sqlite_todos.c */
#define GH_SQLITE_SLOT_ADMIN 80    /* store_sqlite_admin.c */
#define GH_SQLITE_MAX_STMTS 112

struct sqlite_store;

/* One thread's connection. */
struct gh_sqlite_conn {
	sqlite3 *db;
	int tx_depth; /* open gh_sqlite_tx_begin()s */
	sqlite3_stmt *st[GH_SQLITE_MAX_STMTS];
	struct sqlite_store *owner;
};

struct sqlite_store {
	struct gh_store base;
	char *path;
	struct gh_tls *readers; /* a connection per thread (util/tls.h) */
	/* One writer at a time inside this process: SQLite allows one
	 * anyway, and its busy handler waits by sleeping (up to 100 ms a
	 * step), which made write latency spiky under load.  The busy
	 * timeout still covers other processes sharing the file. */
	pthread_mutex_t write_mu;
	/* Every write runs on this one connection, whichever thread holds
	 * write_mu: its page cache stays valid from one write to the next
	 * (a write on another connection would make it re-read the pages
	 * from the WAL).  Opened on first use; in conns for close(). */
	struct gh_sqlite_conn *writer;
	/* The background thread (store_sqlite.c): WAL checkpoints, so no
	 * request's commit copies the WAL back and fsyncs, and the audit
	 * rows queued by gh_sqlite_audit_add (store_sqlite_admin.c). */
	pthread_t bg;
	bool bg_started, bg_stop, ckpt_wanted;
	pthread_mutex_t bg_mu; /* guards the flags and the audit queue */
	pthread_cond_t bg_cv;
	struct gh_sqlite_audit_row *audit_head, *audit_tail;
	size_t audit_queued;
};

/* Wake the background thread: there is audit work (call with bg_mu
 * held). */
void gh_sqlite_bg_wake(struct sqlite_store *s);

/* Write every queued audit row in one transaction (store_sqlite_admin.c):
 * by the background thread, before the audit log is read, at close. */
enum gh_err gh_sqlite_audit_flush(struct gh_store *gs);
/* Free what is still queued (close, after the last flush). */
void gh_sqlite_audit_drop(struct sqlite_store *s);

/* This thread's connection, opened on first use; NULL on failure. */
struct gh_sqlite_conn *gh_sqlite_conn(struct gh_store *gs);

/* The statement in slot, prepared from sql on first use, reset and
 * unbound; NULL on error (logged). */
sqlite3_stmt *gh_sqlite_stmt(
    struct gh_sqlite_conn *c, int slot, const char *sql);

/*
 * Transactions that nest.  The outermost is BEGIN IMMEDIATE .. COMMIT;
 * one begun inside another (an operation run inside a batch, see
 * gh_store_batch_submit) is a savepoint, released on commit and rolled
 * back alone on rollback.  Every begin is ended by exactly one commit
 * or rollback; a failed commit is followed by a rollback.
 */
enum gh_err gh_sqlite_tx_begin(struct gh_sqlite_conn *c);
enum gh_err gh_sqlite_tx_commit(struct gh_sqlite_conn *c);
void gh_sqlite_tx_rollback(struct gh_sqlite_conn *c);

/* Map a SQLite result code: CONSTRAINT -> GH_ERR_CONFLICT, else log and
 * GH_ERR_DB. */
enum gh_err gh_sqlite_err(struct gh_sqlite_conn *c, int rc, const char *what);

/*
 * End a statement whose first step gave rc (a row already read, or not):
 * run it to its end and reset it.  A write with RETURNING hands back its
 * row at the first step but checks foreign keys and commits at the end;
 * a failure there undoes the write and must win over the row.  GH_OK,
 * or the mapped error (constraint: GH_ERR_CONFLICT).
 */
enum gh_err gh_sqlite_done(
    struct gh_sqlite_conn *c, sqlite3_stmt *st, int rc, const char *what);

/* Column i as a string copied into a (or borrowed when a is NULL), ""
 * for NULL; as microseconds from a stored timestamp (0 when NULL). */
const char *gh_sqlite_col_str(sqlite3_stmt *st, int i, struct gh_arena *a);
int64_t gh_sqlite_col_time(sqlite3_stmt *st, int i);

/* The columns of a user row, in the order gh_sqlite_row_user() reads
 * them from column 0. */
#define GH_SQLITE_USER_COLS                                                    \
	"id, username, email, hashed_password, role, is_active, created_at, "  \
	"token_version"
void gh_sqlite_row_user(
    sqlite3_stmt *st, struct gh_arena *a, struct gh_user *u);

/* The process-wide writer lock (see write_mu).  A thread that holds it
 * may take it again (a write run inside a batch): only the outermost
 * unlock releases it. */
void gh_sqlite_write_lock(struct gh_store *gs);
void gh_sqlite_write_unlock(struct gh_store *gs);
/* This thread holds the writer lock (inside a write or a batch). */
bool gh_sqlite_write_held(struct gh_store *gs);

/* The operations of the domain files (see struct gh_store_ops). */
enum gh_err gh_sqlite_todo_create(struct gh_store *s, gh_id user_id,
    const char *title, bool completed, int64_t now, struct gh_arena *a,
    struct gh_todo *out);
enum gh_err gh_sqlite_todo_get(struct gh_store *s, gh_id id, gh_id user_id,
    struct gh_arena *a, struct gh_todo *out);
enum gh_err gh_sqlite_todo_update(struct gh_store *s, gh_id id, gh_id user_id,
    const char *title, int completed, struct gh_arena *a, struct gh_todo *out);
enum gh_err gh_sqlite_todo_delete(struct gh_store *s, gh_id id, gh_id user_id);
enum gh_err gh_sqlite_todo_list(struct gh_store *s, gh_id user_id,
    gh_id after_id, int64_t limit, gh_store_todo_fn fn, void *ctx);

enum gh_err gh_sqlite_user_admin_update(struct gh_store *s, gh_id id,
    const enum gh_role *role, const bool *is_active, struct gh_arena *a,
    struct gh_user *out);
enum gh_err gh_sqlite_user_delete(struct gh_store *s, gh_id id);
enum gh_err gh_sqlite_audit_add(
    struct gh_store *s, const struct gh_audit_entry *e);
enum gh_err gh_sqlite_audit_list(struct gh_store *s, gh_id before_id,
    int64_t limit, gh_id user_id, const char *event, gh_store_audit_fn fn,
    void *ctx);

enum gh_err gh_sqlite_auth_load(struct gh_store *s, gh_id uid, gh_id sid,
    struct gh_arena *a, struct gh_user *u, bool *session_live);
enum gh_err gh_sqlite_session_create(struct gh_store *s, gh_id user_id,
    const unsigned char *refresh_hash, int64_t now, int64_t expires_at,
    const char *user_agent, const char *ip, gh_id *sid);
enum gh_err gh_sqlite_refresh_rotate(struct gh_store *s,
    const unsigned char *old_hash, const unsigned char *new_hash, int64_t now,
    int64_t expires_at, int64_t grace_usec, struct gh_arena *a,
    struct gh_user *u, gh_id *sid, enum gh_refresh_result *res);
enum gh_err gh_sqlite_session_revoke(
    struct gh_store *s, gh_id sid, gh_id user_id, int64_t now);
enum gh_err gh_sqlite_session_of_refresh(struct gh_store *s,
    const unsigned char *refresh_hash, gh_id *sid, gh_id *user_id);
enum gh_err gh_sqlite_session_set_cookie(
    struct gh_store *s, gh_id sid, const unsigned char *cookie_hash);
enum gh_err gh_sqlite_session_by_cookie(struct gh_store *s,
    const unsigned char *cookie_hash, int64_t now, gh_id *sid, gh_id *user_id);
enum gh_err gh_sqlite_session_list(struct gh_store *s, gh_id user_id,
    int64_t now, gh_store_session_fn fn, void *ctx);
enum gh_err gh_sqlite_user_set_password(
    struct gh_store *s, gh_id id, const char *new_hash, int64_t now);
enum gh_err gh_sqlite_apikey_create(struct gh_store *s, gh_id user_id,
    const char *name, const char *prefix, const unsigned char *hash,
    int64_t now, int64_t expires_at, struct gh_arena *a, struct gh_apikey *out);
enum gh_err gh_sqlite_apikey_by_prefix(struct gh_store *s, const char *prefix,
    struct gh_arena *a, struct gh_apikey *out);
enum gh_err gh_sqlite_apikey_touch(struct gh_store *s, gh_id id, int64_t now);
enum gh_err gh_sqlite_apikey_list(struct gh_store *s, gh_id user_id,
    int64_t now, gh_store_apikey_fn fn, void *ctx);
enum gh_err gh_sqlite_apikey_revoke(
    struct gh_store *s, gh_id id, gh_id user_id, int64_t now);
enum gh_err gh_sqlite_login_counter_get(struct gh_store *s, const char *kind,
    const char *key, struct gh_login_counter *out);
enum gh_err gh_sqlite_login_failure_add(struct gh_store *s, const char *kind,
    const char *key, int64_t now, int64_t window, struct gh_login_counter *out);
enum gh_err gh_sqlite_login_counter_clear(
    struct gh_store *s, const char *kind, const char *key);
enum gh_err gh_sqlite_login_counter_undo(
    struct gh_store *s, const char *kind, const char *key);

/* Body of a write operation: run call under the writer lock. */
#define GH_SQLITE_LOCKED(call)                                                 \
	do {                                                                   \
		enum gh_err lr_;                                               \
		gh_sqlite_write_lock(gs);                                      \
		lr_ = (call);                                                  \
		gh_sqlite_write_unlock(gs);                                    \
		return lr_;                                                    \
	} while (0)

#endif /* GH_STORE_SQLITE_INT_H */
