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
#define GH_SQLITE_SLOT_USERS 8     /* store_sqlite_users.c */
#define GH_SQLITE_SLOT_SESSIONS 32 /* store_sqlite_sessions.c */
#define GH_SQLITE_SLOT_TODOS 64    /* store_sqlite_todos.c */
#define GH_SQLITE_SLOT_ADMIN 80    /* store_sqlite_admin.c */
#define GH_SQLITE_SLOT_AUDIT 96    /* store_sqlite_audit.c */
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

/* Every operation of store_ops.h, as gh_sqlite_<name>: the backend's
 * table (store_sqlite.c) is made from the same list. */
#define GH_SQLITE_OP_DECL(kind, name, params, args)                            \
	enum gh_err gh_sqlite_##name params;
GH_STORE_OPS(GH_SQLITE_OP_DECL)
#undef GH_SQLITE_OP_DECL

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
