/*
 * store_pg_int.h - what the PostgreSQL backend's files share.
 *
 * The backend mirrors the SQLite one: store_pg.c is the engine (pool,
 * connections, prepared statements, transactions, migrations, the
 * LISTEN thread), store_pg_*.c the domains, each with its SQL next to
 * its code and its prepared statements in its own range of slots.
 *
 * Connections: a pool of DB_POOL_SIZE connections shared by every
 * thread.  gh_pg_acquire() lends one to the calling thread (waiting up
 * to DB_POOL_TIMEOUT_MS for a free one); a thread that already holds one
 * (inside a transaction or a batch) gets the same one back, so nested
 * calls share it; gh_pg_release() returns it when the outermost holder
 * is done.  A connection found broken is reset (reconnected) the next
 * time it is lent; a statement that failed on a broken connection is
 * not retried (a write may have committed: the caller answers 5xx and
 * the client decides), so nothing acknowledged is lost or duplicated.
 *
 * Values travel as text (integers, booleans, timestamps as BIGINT
 * microseconds) except bytea parameters, which are sent binary; bytea
 * results arrive as PostgreSQL's hex text and are decoded.
 */
#ifndef GH_STORE_PG_INT_H
#define GH_STORE_PG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/store.h"

/* Statement slot ranges, one per file (as store_sqlite_int.h). */
#define GH_PG_SLOT_CORE 0      /* store_pg.c */
#define GH_PG_SLOT_USERS 8     /* store_pg_users.c */
#define GH_PG_SLOT_SESSIONS 32 /* store_pg_sessions.c */
#define GH_PG_SLOT_TODOS 64    /* store_pg_todos.c */
#define GH_PG_SLOT_ADMIN 80    /* store_pg_admin.c */
#define GH_PG_SLOT_AUDIT 96    /* store_pg_audit.c */
#define GH_PG_MAX_STMTS 128

/* Advisory lock keys (pg_advisory_xact_lock / pg_advisory_lock). */
#define GH_PG_LOCK_MIGRATE 0x67680001 /* schema migrations at start */
#define GH_PG_LOCK_USERS 0x67680002   /* user creation, last-admin guard */
#define GH_PG_LOCK_BATCH 0x67680003   /* one group-commit batch at a time */

/* The channel on which a write that may change cached authentication
 * answers is announced to every instance. */
#define GH_PG_CHANNEL "gatehouse_epoch"

struct pg_store;

struct gh_pg_conn {
	PGconn *pc;
	int tx_depth; /* open gh_pg_tx_begin()s */
	/* a group-commit job's savepoint was just taken and nothing has run
	 * since: a transaction begun now needs no savepoint of its own (its
	 * rollback is the job's); virt: such levels, a bit per depth */
	bool job_fresh;
	uint32_t virt;
	int hold_depth; /* nested gh_pg_acquire()s of the holding thread */
	bool in_use;
	uint64_t prepared[GH_PG_MAX_STMTS / 64]; /* slot bitmap */
	struct pg_store *owner;
};

/* This thread's connection (the one it holds, or one from the pool);
 * NULL when none could be had (logged).  Every acquire is matched by
 * one release. */
struct gh_pg_conn *gh_pg_acquire(struct gh_store *gs);
void gh_pg_release(struct gh_store *gs, struct gh_pg_conn *c);

/* Parameters of one statement, at most GH_PG_MAX_PARAMS. */
#define GH_PG_MAX_PARAMS 12
struct gh_pg_params {
	int n;
	const char *v[GH_PG_MAX_PARAMS];
	int len[GH_PG_MAX_PARAMS];
	int fmt[GH_PG_MAX_PARAMS];
	char num[GH_PG_MAX_PARAMS][24];
};
void gh_pg_p_int(struct gh_pg_params *p, int64_t v);
void gh_pg_p_bool(struct gh_pg_params *p, bool v);
/* NULL: SQL NULL.  The string is borrowed until the statement ran. */
void gh_pg_p_text(struct gh_pg_params *p, const char *s);
/* bytea, sent binary; NULL: SQL NULL.  Borrowed as above. */
void gh_pg_p_bytes(struct gh_pg_params *p, const unsigned char *b, size_t n);

/*
 * Run the statement in slot (prepared from sql on this connection's
 * first use).  On GH_OK *out is the result (rows or none), which the
 * caller frees with PQclear.  Otherwise *out is NULL and the error is
 * mapped: a unique, foreign-key or check violation -> GH_ERR_CONFLICT
 * (not logged), anything else -> GH_ERR_DB (logged with what).
 * Inside a transaction, a failed statement leaves it aborted: the
 * caller rolls back (gh_pg_tx_rollback).
 */
enum gh_err gh_pg_exec(struct gh_pg_conn *c, int slot, const char *sql,
    const struct gh_pg_params *p, PGresult **out, const char *what);

/* Run a statement that must change or return no row set of interest;
 * *rows (may be NULL) gets the number of rows it affected. */
enum gh_err gh_pg_run(struct gh_pg_conn *c, int slot, const char *sql,
    const struct gh_pg_params *p, int64_t *rows, const char *what);

/*
 * A listing: run the statement in slot on this thread's connection,
 * give the connection back (a callback may call the store), then hand
 * each row to row(res, i, ctx) until one returns other than GH_OK, which
 * is returned.  Strings read with gh_pg_str(..., NULL) are borrowed for
 * the call only.
 */
typedef enum gh_err (*gh_pg_row_fn)(const PGresult *res, int row, void *ctx);
/* The ctx a listing's row function usually gets: the caller's typed
 * callback (converted back by the row function) and its context. */
struct gh_pg_walk {
	void (*fn)(void);
	void *ctx;
};
enum gh_err gh_pg_each(struct gh_store *gs, int slot, const char *sql,
    const struct gh_pg_params *p, gh_pg_row_fn row, void *ctx,
    const char *what);

/* A LIMIT parameter: limit < 0 is "all" (NULL: PostgreSQL refuses a
 * negative LIMIT, where SQLite reads it as none). */
void gh_pg_p_limit(struct gh_pg_params *p, int64_t limit);

/* Column readers (row, col); NULL reads as 0 / false / "". */
bool gh_pg_null(const PGresult *r, int row, int col);
int64_t gh_pg_int(const PGresult *r, int row, int col);
bool gh_pg_bool(const PGresult *r, int row, int col);
/* Copied into a, or borrowed from r when a is NULL (list callbacks). */
const char *gh_pg_str(const PGresult *r, int row, int col, struct gh_arena *a);
/* bytea of exactly n bytes into out; false otherwise (zeroed). */
bool gh_pg_bytes(
    const PGresult *r, int row, int col, unsigned char *out, size_t n);

/*
 * Transactions that nest, as SQLite's: the outermost is BEGIN .. COMMIT,
 * inner ones are savepoints.  Each begin holds the connection (acquire)
 * and its commit or rollback releases it; a failed commit is followed by
 * a rollback.
 */
enum gh_err gh_pg_tx_begin(struct gh_store *gs, struct gh_pg_conn **c);
enum gh_err gh_pg_tx_commit(struct gh_store *gs, struct gh_pg_conn *c);
void gh_pg_tx_rollback(struct gh_store *gs, struct gh_pg_conn *c);

/* Take the transaction-scoped advisory lock key (released at the end of
 * the outermost transaction). */
enum gh_err gh_pg_xact_lock(struct gh_pg_conn *c, int64_t key);

/* The columns of a user row, in the order gh_pg_row_user() reads them
 * from column 0. */
#define GH_PG_USER_COLS                                                        \
	"id, username, email, hashed_password, role, is_active, created_at, "  \
	"token_version"
void gh_pg_row_user(
    const PGresult *r, int row, struct gh_arena *a, struct gh_user *u);

/* Every operation of store_ops.h, as gh_pg_<name>. */
#define GH_PG_OP_DECL(kind, name, params, args) enum gh_err gh_pg_##name params;
GH_STORE_OPS(GH_PG_OP_DECL)
#undef GH_PG_OP_DECL

#endif /* GH_STORE_PG_INT_H */
