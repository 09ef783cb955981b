/*
 * store_sqlite.c - the embedded SQLite backend.
 *
 * One reading connection per thread (util/tls.h), opened on the
 * thread's first call, with every statement prepared once and kept
 * (prepare_v3 PERSISTENT).  Connections run in WAL mode with
 * synchronous=FULL (every commit is fsync'd before it returns: an
 * answered write survives a power loss; group commit pays it once per
 * batch) and a busy timeout, so readers never wait for the writer.  Writes are
 * serialised by write_mu and all run on one writer connection (gh_sqlite_conn
 * returns it to the thread holding write_mu), whose cache stays warm.
 * Multi-statement writes take SQLite's write lock up front with BEGIN
 * IMMEDIATE, which makes check-then-insert atomic.
 *
 * A background thread checkpoints the WAL when it passes CKPT_PAGES (the
 * writer's wal hook replaces SQLite's autocheckpoint, which would copy
 * and fsync inside some request's commit) and writes the queued audit
 * rows.
 *
 * Ownership: the store owns every connection: a thread's reader is
 * closed when the thread exits, or by close() for threads still alive;
 * the writer by close(), the checkpointer's own when its thread ends.  Strings
 * of returned records are copied into the caller's arena; list callbacks see
 * SQLite's own buffers (borrowed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store/schema.h"
#include "store/store_sqlite.h"
#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/tls.h"
#include "util/banned.h"

#define BUSY_TIMEOUT_MS 5000
#define CKPT_PAGES 1000 /* SQLite's autocheckpoint default */
#define WAL_SIZE_LIMIT "16777216"

/* The store whose write_mu this thread holds, if any, and how many
 * times it took it. */
static _Thread_local const struct sqlite_store *tl_writing;
static _Thread_local int tl_write_depth;

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_PING,
	S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT gh_op",
    [S_RELEASE] = "RELEASE gh_op",
    [S_ROLLBACK_TO] = "ROLLBACK TO gh_op",
    [S_PING] = "SELECT 1",
};

static void
conn_free(struct gh_sqlite_conn *c)
{
	size_t i;

	for (i = 0; i < GH_SQLITE_MAX_STMTS; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static enum gh_err
conn_open(struct sqlite_store *s, struct gh_sqlite_conn **out)
{
	static const char *const pragmas =
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
	    "PRAGMA temp_store=MEMORY;";
	struct gh_sqlite_conn *c = gh_xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(s->path, &c->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		gh_log_error_f("cannot open database %s: %s", s->path,
		    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_free(c);
		return GH_ERR_DB;
	}
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(c->db, 1);
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		gh_log_error_f("pragmas: %s", sqlite3_errmsg(c->db));
		conn_free(c);
		return GH_ERR_DB;
	}
	c->owner = s;
	*out = c;
	return GH_OK;
}

/* The per-thread registry's maker and destroyer (util/tls.h). */
static void *
reader_make(void *arg)
{
	struct gh_sqlite_conn *c;

	return conn_open(arg, &c) == GH_OK ? c : NULL;
}

static void
reader_destroy(void *obj)
{
	conn_free(obj);
}

/* The writer's commit hook: the WAL holds `pages` pages. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_store *s = arg;

	GH_UNUSED(db);
	GH_UNUSED(name);
	if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&s->bg_mu);
		if (!s->ckpt_wanted) {
			s->ckpt_wanted = true;
			pthread_cond_signal(&s->bg_cv);
		}
		pthread_mutex_unlock(&s->bg_mu);
	}
	return SQLITE_OK;
}

struct gh_sqlite_conn *
gh_sqlite_conn(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;

	if (tl_writing == s) {
		if (s->writer == NULL && conn_open(s, &s->writer) == GH_OK) {
			sqlite3_wal_hook(s->writer->db, wal_hook, s);
			/* a WAL that grew during a write burst is cut back
			 * when it starts over */
			sqlite3_exec(s->writer->db,
			    "PRAGMA journal_size_limit=" WAL_SIZE_LIMIT, NULL,
			    NULL, NULL);
			if (s->base.relaxed_sync) /* documented as unsafe */
				sqlite3_exec(s->writer->db,
				    "PRAGMA synchronous=NORMAL", NULL, NULL,
				    NULL);
		}
		return s->writer;
	}
	return gh_tls_get(s->readers);
}

sqlite3_stmt *
gh_sqlite_stmt(struct gh_sqlite_conn *c, int slot, const char *sql)
{
	sqlite3_stmt *st = c->st[slot];

	if (st == NULL) {
		if (sqlite3_prepare_v3(c->db, sql, -1,
		        SQLITE_PREPARE_PERSISTENT, &c->st[slot],
		        NULL) != SQLITE_OK) {
			gh_log_error_f(
			    "prepare %d: %s", slot, sqlite3_errmsg(c->db));
			return NULL;
		}
		return c->st[slot];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* This file's statement id, reset and unbound; NULL on error. */
static sqlite3_stmt *
stmt(struct gh_sqlite_conn *c, enum stmt_id id)
{
	return gh_sqlite_stmt(c, GH_SQLITE_SLOT_CORE + (int)id, sql_text[id]);
}

enum gh_err
gh_sqlite_err(struct gh_sqlite_conn *c, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return GH_ERR_CONFLICT;
	gh_log_error_f("%s: %s", what, sqlite3_errmsg(c->db));
	return GH_ERR_DB;
}

enum gh_err
gh_sqlite_done(
    struct gh_sqlite_conn *c, sqlite3_stmt *st, int rc, const char *what)
{
	if (rc == SQLITE_ROW)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : gh_sqlite_err(c, rc, what);
}

/* Run a statement that returns no rows. */
static enum gh_err
exec_stmt(struct gh_sqlite_conn *c, enum stmt_id id)
{
	sqlite3_stmt *st = stmt(c, id);
	int rc;

	if (st == NULL)
		return GH_ERR_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : gh_sqlite_err(c, rc, sql_text[id]);
}

enum gh_err
gh_sqlite_tx_begin(struct gh_sqlite_conn *c)
{
	enum gh_err r = exec_stmt(c, c->tx_depth == 0 ? S_BEGIN : S_SAVEPOINT);

	if (r == GH_OK)
		c->tx_depth++;
	return r;
}

enum gh_err
gh_sqlite_tx_commit(struct gh_sqlite_conn *c)
{
	enum gh_err r = exec_stmt(c, c->tx_depth == 1 ? S_COMMIT : S_RELEASE);

	if (r == GH_OK)
		c->tx_depth--;
	return r;
}

void
gh_sqlite_tx_rollback(struct gh_sqlite_conn *c)
{
	if (c->tx_depth <= 0)
		return;
	if (c->tx_depth == 1) {
		exec_stmt(c, S_ROLLBACK);
	} else {
		exec_stmt(c, S_ROLLBACK_TO);
		exec_stmt(c, S_RELEASE);
	}
	c->tx_depth--;
}

const char *
gh_sqlite_col_str(sqlite3_stmt *st, int i, struct gh_arena *a)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	const char *p;

	if (a == NULL) /* borrowed, for list callbacks */
		return t ? (const char *)t : "";
	p = gh_arena_strndup(a, t ? (const char *)t : "", (size_t)n);
	return p != NULL ? p : "";
}

int64_t
gh_sqlite_col_time(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int64_t usec = 0;

	if (t == NULL || gh_time_parse_db((const char *)t, &usec) != GH_OK)
		return 0;
	return usec;
}

static enum gh_err
s_ping(struct gh_store *gs)
{
	struct gh_sqlite_conn *c = gh_sqlite_conn(gs);
	sqlite3_stmt *st;
	int rc;

	if (c == NULL || (st = stmt(c, S_PING)) == NULL)
		return GH_ERR_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? GH_OK : gh_sqlite_err(c, rc, "ping");
}

static enum gh_err
migrate(struct gh_sqlite_conn *c)
{
	sqlite3_stmt *st = NULL;
	char *msg = NULL, pragma[64];
	int version = 0;
	size_t i;

	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		gh_log_error_f("user_version: %s", sqlite3_errmsg(c->db));
		return GH_ERR_DB;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	for (i = 0; i < gh_schema_sqlite_count; i++) {
		const struct gh_migration *m = &gh_schema_sqlite[i];

		if (m->version <= version)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d;",
		    m->version);
		/* table rebuilds need foreign keys off, outside the
		 * transaction (https://sqlite.org/lang_altertable.html) */
		if (sqlite3_exec(c->db,
		        "PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE", NULL, NULL,
		        &msg) != SQLITE_OK ||
		    sqlite3_exec(c->db, m->sql, NULL, NULL, &msg) !=
		        SQLITE_OK ||
		    sqlite3_exec(c->db, pragma, NULL, NULL, &msg) !=
		        SQLITE_OK ||
		    sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) !=
		        SQLITE_OK) {
			gh_log_error_f("migration %s failed: %s", m->name,
			    msg ? msg : sqlite3_errmsg(c->db));
			sqlite3_free(msg);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			sqlite3_exec(
			    c->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
			return GH_ERR_DB;
		}
		gh_log_info_f("applied migration %s", m->name);
	}
	if (sqlite3_exec(c->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return GH_ERR_DB;
	return GH_OK;
}

/* One passive checkpoint; *copied: frames it copied (0 on error). */
static void
checkpoint_pass(struct gh_sqlite_conn *c, const char *what, int *copied)
{
	int rc, wal = 0, done = 0;
	int64_t t0 = gh_time_now_usec();

	*copied = 0;
	rc = sqlite3_wal_checkpoint_v2(
	    c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		gh_log_warn_f("WAL checkpoint: %s", sqlite3_errstr(rc));
		return;
	}
	*copied = done;
	gh_log_debug_f("WAL checkpoint (%s): %d of %d frames in %lld us", what,
	    done, wal, (long long)(gh_time_now_usec() - t0));
}

/*
 * Checkpoint on the background thread's own connection.  Passive passes
 * copy the WAL into the database and sync it while requests go on
 * writing; under a steady stream of commits they never quite reach the
 * end of the WAL, and SQLite starts the WAL over only once every frame
 * has been copied.  So the passes repeat while they find much to copy
 * (each pass copies what the previous one's sync let pile up), and a
 * last pass runs under the writer lock: it copies the few frames left and
 * lets the next write start the WAL over.  Writers wait for that short
 * pass only.
 */
#define CKPT_TAIL_FRAMES 64
#define CKPT_MAX_PASSES 8

static void
checkpoint(struct sqlite_store *s, struct gh_sqlite_conn **c)
{
	int copied = 0, prev = 0, i;

	if (*c == NULL && conn_open(s, c) != GH_OK)
		return;
	for (i = 0; i < CKPT_MAX_PASSES; i++) {
		checkpoint_pass(*c, "bulk", &copied);
		/* done counts from the WAL's start: the growth is new */
		if (copied - prev < CKPT_TAIL_FRAMES && i > 0)
			break;
		prev = copied;
	}
	pthread_mutex_lock(&s->write_mu);
	checkpoint_pass(*c, "tail", &copied);
	pthread_mutex_unlock(&s->write_mu);
}

void
gh_sqlite_bg_wake(struct sqlite_store *s)
{
	pthread_cond_signal(&s->bg_cv);
}

static void *
bg_main(void *arg)
{
	struct sqlite_store *s = arg;
	struct gh_sqlite_conn *c = NULL; /* the checkpointer's own */
	bool ckpt, audit, stop;

	pthread_mutex_lock(&s->bg_mu);
	for (;;) {
		while (!s->bg_stop && !s->ckpt_wanted && s->audit_head == NULL)
			pthread_cond_wait(&s->bg_cv, &s->bg_mu);
		stop = s->bg_stop;
		ckpt = s->ckpt_wanted;
		audit = s->audit_head != NULL;
		s->ckpt_wanted = false;
		pthread_mutex_unlock(&s->bg_mu);
		if (audit)
			gh_sqlite_audit_flush(&s->base);
		if (ckpt)
			checkpoint(s, &c);
		pthread_mutex_lock(&s->bg_mu);
		if (stop && s->audit_head == NULL)
			break;
	}
	pthread_mutex_unlock(&s->bg_mu);
	if (c != NULL)
		conn_free(c);
	return NULL;
}

static void
bg_stop(struct sqlite_store *s)
{
	if (!s->bg_started)
		return;
	pthread_mutex_lock(&s->bg_mu);
	s->bg_stop = true;
	pthread_cond_signal(&s->bg_cv);
	pthread_mutex_unlock(&s->bg_mu);
	pthread_join(s->bg, NULL); /* it flushed the audit queue */
	s->bg_started = false;
}

static void
s_close(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;

	bg_stop(s);
	gh_sqlite_audit_drop(s);
	gh_tls_free(s->readers); /* threads still alive must not use s */
	if (s->writer != NULL)
		conn_free(s->writer);
	pthread_mutex_destroy(&s->write_mu);
	pthread_mutex_destroy(&s->bg_mu);
	pthread_cond_destroy(&s->bg_cv);
	free(s->path);
	free(s);
}

void
gh_sqlite_write_lock(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;

	if (tl_writing == s) {
		tl_write_depth++;
		return;
	}
	pthread_mutex_lock(&s->write_mu);
	tl_writing = s;
	tl_write_depth = 1;
}

bool
gh_sqlite_write_held(struct gh_store *gs)
{
	return tl_writing == (struct sqlite_store *)gs;
}

void
gh_sqlite_write_unlock(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;

	if (--tl_write_depth > 0)
		return;
	tl_writing = NULL;
	pthread_mutex_unlock(&s->write_mu);
}

/* A batch: the writer lock and one transaction on the writer connection
 * around every operation of the batch (see gh_store_batch_submit). */
static enum gh_err
s_batch_begin(struct gh_store *gs)
{
	struct gh_sqlite_conn *c;
	enum gh_err r;

	gh_sqlite_write_lock(gs);
	if ((c = gh_sqlite_conn(gs)) == NULL)
		r = GH_ERR_DB;
	else
		r = gh_sqlite_tx_begin(c);
	if (r != GH_OK)
		gh_sqlite_write_unlock(gs);
	return r;
}

/* Still inside the batch's transaction (SQLite ends a transaction by
 * itself on some I/O errors; the rest of the batch must not run
 * outside it). */
static bool
s_batch_live(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;

	return s->writer != NULL && s->writer->tx_depth == 1 &&
	       !sqlite3_get_autocommit(s->writer->db);
}

static enum gh_err
s_batch_end(struct gh_store *gs)
{
	struct sqlite_store *s = (struct sqlite_store *)gs;
	enum gh_err r = GH_ERR_DB;

	if (s_batch_live(gs))
		r = gh_sqlite_tx_commit(s->writer);
	if (r != GH_OK) {
		gh_sqlite_tx_rollback(s->writer);
		/* whatever level an operation left open: end the transaction,
		 * or the writer would keep SQLite's write lock */
		if (!sqlite3_get_autocommit(s->writer->db))
			sqlite3_exec(
			    s->writer->db, "ROLLBACK", NULL, NULL, NULL);
	}
	s->writer->tx_depth = 0;
	gh_sqlite_write_unlock(gs);
	return r;
}

static const struct gh_store_ops sqlite_ops = {.close = s_close,
    .ping = s_ping,
    .batch_begin = s_batch_begin,
    .batch_live = s_batch_live,
    .batch_end = s_batch_end,
#define GH_SQLITE_OP(kind, name, params, args) .name = gh_sqlite_##name,
    GH_STORE_OPS(GH_SQLITE_OP)
#undef GH_SQLITE_OP
};

enum gh_err
gh_store_sqlite_open(const char *path, struct gh_store **out)
{
	struct sqlite_store *s = gh_xcalloc(1, sizeof(*s));
	struct gh_sqlite_conn *c;
	char *msg = NULL;
	enum gh_err r;

	*out = NULL;
	/* SQLite's memory statistics take a global mutex on every malloc:
	 * contention between HTTP threads for numbers nobody reads.  Only
	 * possible before SQLite initialises, so later opens ignore it. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s->base.ops = &sqlite_ops;
	s->path = gh_xstrdup(path);
	pthread_mutex_init(&s->write_mu, NULL);
	pthread_mutex_init(&s->bg_mu, NULL);
	pthread_cond_init(&s->bg_cv, NULL);
	s->readers = gh_tls_new(reader_make, reader_destroy, s);
	if ((c = gh_sqlite_conn(&s->base)) == NULL) {
		r = GH_ERR_DB;
		goto out;
	}
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) !=
	    SQLITE_OK) {
		gh_log_error_f("journal_mode=WAL: %s", msg ? msg : "?");
		sqlite3_free(msg);
		r = GH_ERR_DB;
		goto out;
	}
	if ((r = migrate(c)) != GH_OK)
		goto out;
	if (pthread_create(&s->bg, NULL, bg_main, s) != 0) {
		r = GH_ERR_INTERNAL;
		goto out;
	}
	s->bg_started = true;
	*out = &s->base;
	return GH_OK;
out:
	s_close(&s->base);
	return r;
}
