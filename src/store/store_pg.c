/*
 * store_pg.c - the PostgreSQL backend's engine: the connection pool,
 * prepared statements, nested transactions, group-commit hooks,
 * migrations and the LISTEN thread that keeps the authentication caches
 * of several instances exact.
 *
 * Pool (store_pg_int.h): DB_POOL_SIZE connections lent to threads; a
 * thread keeps its connection while it holds a transaction or runs a
 * batch.  When a statement fails on a broken connection (the server
 * restarted, the network dropped), the pool's generation moves on and
 * every connection older than it is reset before its next use, so a
 * database restart costs the requests that were in flight, not one
 * failure per pooled connection.
 *
 * Cross-instance cache: every write that may change a cached
 * authentication answer announces itself with NOTIFY on GH_PG_CHANNEL,
 * inside its transaction (PostgreSQL delivers it at commit, and not at
 * all on rollback).  Each instance's listener thread holds its own
 * connection with LISTEN on that channel and moves the local cache's
 * epoch when another instance's notification arrives.  A request about
 * to answer from the cache first polls that connection's socket
 * (p_cache_sync): a notification that has arrived is acted on even when
 * the listener thread has not been scheduled yet, and one the listener
 * thread has read but not acted on yet is waited for.  When the listener's
 * connection is lost, notifications may have been missed: it
 * invalidates the cache at every (re)connection, and retries every
 * second meanwhile, invalidating each time.  AUTH_CACHE_TTL_MS bounds
 * only writes made outside gatehouse.
 *
 * Ownership: the store owns the pool's connections and the listener's;
 * results are PQclear'ed by whoever got them from gh_pg_exec; strings
 * of returned records are copied into the caller's arena.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "log.h"
#include "store/schema.h"
#include "store/store_pg.h"
#include "store/store_pg_int.h"
#include "store/store_cache.h"
#include "util/banned.h"

struct pg_store {
	struct gh_store base;
	char *conninfo;
	char options[192]; /* -c settings of every connection */
	int pool_timeout_ms;
	/* the pool */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct gh_pg_conn *conns;
	unsigned *conn_gen; /* generation each connection was opened in */
	unsigned nconns;
	unsigned gen;
	/* this instance's name in its notifications */
	char instance[33];
	/* the listener: its connection (lmu), whose socket (lfd, -1 when
	 * not listening) request threads may poll (p_cache_sync) */
	pthread_t listener;
	bool listener_started;
	pthread_mutex_t lmu;
	PGconn *lpc;
	atomic_int lfd;
	atomic_bool draining;
	/* echoes: this instance's announcements are numbered; the listener
	 * records the highest of its own it has received (echo_mu) */
	atomic_uint_fast64_t announced;
	uint64_t echoed;
	pthread_mutex_t echo_mu;
	pthread_cond_t echo_cv;
	atomic_bool stop;
	int wake[2]; /* a pipe: the listener's stop signal */
};

/* The connection this thread holds, and of which store. */
static _Thread_local struct gh_pg_conn *tl_held;
/* The last announcement made inside this thread's open transaction, to
 * wait for once it has committed (0: none). */
static _Thread_local uint64_t tl_pending_echo;

static void p_cache_sync(struct gh_store *gs);
static void wait_echo(struct pg_store *s, uint64_t seq);

/* ---- connections ---------------------------------------------------- */

static PGconn *
connect_db(struct pg_store *s)
{
	/* earlier keywords are defaults the URL (dbname, expanded) may
	 * override */
	const char *const keys[] = {"connect_timeout", "application_name",
	    "client_encoding", "options", "dbname", NULL};
	const char *const vals[] = {
	    "5", "gatehouse", "UTF8", s->options, s->conninfo, NULL};
	PGconn *pc = PQconnectdbParams(keys, vals, 1);

	if (pc == NULL)
		return NULL;
	if (PQstatus(pc) != CONNECTION_OK) {
		gh_log_error_f(
		    "PostgreSQL connection failed: %s", PQerrorMessage(pc));
		PQfinish(pc);
		return NULL;
	}
	return pc;
}

static void
conn_drop(struct gh_pg_conn *c)
{
	if (c->pc != NULL)
		PQfinish(c->pc);
	c->pc = NULL;
	c->tx_depth = 0;
	c->virt = 0;
	c->job_fresh = false;
	memset(c->prepared, 0, sizeof(c->prepared));
}

/* Open or reopen connection i if it is missing, broken or older than
 * the pool's generation (called by the thread it is lent to). */
static bool
conn_ready(struct pg_store *s, unsigned i)
{
	struct gh_pg_conn *c = &s->conns[i];
	unsigned gen;

	pthread_mutex_lock(&s->mu);
	gen = s->gen;
	pthread_mutex_unlock(&s->mu);
	if (c->pc != NULL && PQstatus(c->pc) == CONNECTION_OK &&
	    s->conn_gen[i] == gen)
		return true;
	conn_drop(c);
	if ((c->pc = connect_db(s)) == NULL)
		return false;
	s->conn_gen[i] = gen;
	return true;
}

/* A statement failed on a broken connection: every connection opened
 * before now is suspect. */
static void
note_broken(struct gh_pg_conn *c)
{
	struct pg_store *s = c->owner;

	if (c->pc != NULL && PQstatus(c->pc) == CONNECTION_OK)
		return;
	pthread_mutex_lock(&s->mu);
	s->gen++;
	pthread_mutex_unlock(&s->mu);
}

struct gh_pg_conn *
gh_pg_acquire(struct gh_store *gs)
{
	struct pg_store *s = (struct pg_store *)gs;
	struct timespec until;
	unsigned i;
	int rc = 0;

	if (tl_held != NULL && tl_held->owner == s) {
		tl_held->hold_depth++;
		return tl_held;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s->pool_timeout_ms / 1000;
	until.tv_nsec += (long)(s->pool_timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (i = 0; i < s->nconns && s->conns[i].in_use; i++)
			;
		if (i < s->nconns || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	if (i == s->nconns) {
		pthread_mutex_unlock(&s->mu);
		gh_log_warn_f("no database connection free after %d ms "
		              "(DB_POOL_SIZE %u)",
		    s->pool_timeout_ms, s->nconns);
		return NULL;
	}
	s->conns[i].in_use = true;
	pthread_mutex_unlock(&s->mu);
	if (!conn_ready(s, i)) {
		pthread_mutex_lock(&s->mu);
		s->conns[i].in_use = false;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	s->conns[i].hold_depth = 1;
	tl_held = &s->conns[i];
	return tl_held;
}

void
gh_pg_release(struct gh_store *gs, struct gh_pg_conn *c)
{
	struct pg_store *s = (struct pg_store *)gs;

	if (c == NULL || --c->hold_depth > 0)
		return;
	if (c->tx_depth > 0) { /* a caller forgot: never lend it in a tx */
		gh_log_error_f("a database connection was released inside a "
		               "transaction");
		conn_drop(c);
	}
	tl_held = NULL;
	pthread_mutex_lock(&s->mu);
	c->in_use = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- parameters and results ---------------------------------------- */

static void
p_set(struct gh_pg_params *p, const char *v, int len, int fmt)
{
	if (p->n >= GH_PG_MAX_PARAMS)
		abort(); /* a programming error: raise GH_PG_MAX_PARAMS */
	p->v[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void
gh_pg_p_int(struct gh_pg_params *p, int64_t v)
{
	if (p->n >= GH_PG_MAX_PARAMS)
		abort();
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	p_set(p, p->num[p->n], 0, 0);
}

void
gh_pg_p_bool(struct gh_pg_params *p, bool v)
{
	p_set(p, v ? "t" : "f", 0, 0);
}

void
gh_pg_p_text(struct gh_pg_params *p, const char *s)
{
	p_set(p, s, 0, 0);
}

void
gh_pg_p_bytes(struct gh_pg_params *p, const unsigned char *b, size_t n)
{
	p_set(p, (const char *)b, (int)n, 1);
}

bool
gh_pg_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

int64_t
gh_pg_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool
gh_pg_bool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

const char *
gh_pg_str(const PGresult *r, int row, int col, struct gh_arena *a)
{
	const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
	const char *p;

	if (a == NULL)
		return v;
	p = gh_arena_strndup(a, v, (size_t)PQgetlength(r, row, col));
	return p != NULL ? p : "";
}

bool
gh_pg_bytes(const PGresult *r, int row, int col, unsigned char *out, size_t n)
{
	const char *v = PQgetvalue(r, row, col);
	size_t got = 0;

	memset(out, 0, n);
	if (PQgetisnull(r, row, col) || strncmp(v, "\\x", 2) != 0)
		return false;
	if (sodium_hex2bin(out, n, v + 2, strlen(v + 2), NULL, &got, NULL) !=
	        0 ||
	    got != n) {
		memset(out, 0, n);
		return false;
	}
	return true;
}

/* ---- statements ----------------------------------------------------- */

static enum gh_err
map_error(struct gh_pg_conn *c, PGresult *res, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state != NULL &&
	    (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 ||
	        strcmp(state, "23514") == 0))
		return GH_ERR_CONFLICT;
	gh_log_error_f("%s: %s", what,
	    res ? PQresultErrorMessage(res) : PQerrorMessage(c->pc));
	note_broken(c);
	return GH_ERR_DB;
}

enum gh_err
gh_pg_exec(struct gh_pg_conn *c, int slot, const char *sql,
    const struct gh_pg_params *p, PGresult **out, const char *what)
{
	static const struct gh_pg_params none;
	char name[16];
	PGresult *res;
	ExecStatusType st;
	enum gh_err r;

	*out = NULL;
	if (p == NULL)
		p = &none;
	c->job_fresh = false;
	snprintf(name, sizeof(name), "g%d", slot);
	if (!(c->prepared[slot / 64] & (1ULL << (slot % 64)))) {
		res = PQprepare(c->pc, name, sql, 0, NULL);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			r = map_error(c, res, what);
			PQclear(res);
			return r == GH_ERR_CONFLICT ? GH_ERR_DB : r;
		}
		PQclear(res);
		c->prepared[slot / 64] |= 1ULL << (slot % 64);
	}
	res = PQexecPrepared(
	    c->pc, name, p->n, p->v, p->len, p->fmt, 0 /* text results */);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		r = map_error(c, res, what);
		PQclear(res);
		return r;
	}
	*out = res;
	return GH_OK;
}

enum gh_err
gh_pg_run(struct gh_pg_conn *c, int slot, const char *sql,
    const struct gh_pg_params *p, int64_t *rows, const char *what)
{
	PGresult *res;
	enum gh_err r = gh_pg_exec(c, slot, sql, p, &res, what);

	if (r != GH_OK)
		return r;
	if (rows != NULL)
		*rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return GH_OK;
}

enum gh_err
gh_pg_each(struct gh_store *gs, int slot, const char *sql,
    const struct gh_pg_params *p, gh_pg_row_fn row, void *ctx, const char *what)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	PGresult *res;
	enum gh_err r;
	int i, n;

	if (c == NULL)
		return GH_ERR_DB;
	r = gh_pg_exec(c, slot, sql, p, &res, what);
	gh_pg_release(gs, c);
	if (r != GH_OK)
		return r;
	n = PQntuples(res);
	for (i = 0; i < n && r == GH_OK; i++)
		r = row(res, i, ctx);
	PQclear(res);
	return r;
}

void
gh_pg_p_limit(struct gh_pg_params *p, int64_t limit)
{
	if (limit < 0)
		gh_pg_p_text(p, NULL);
	else
		gh_pg_p_int(p, limit);
}

/* A statement of no parameters that is not prepared (transaction
 * control cannot be). */
static enum gh_err
simple(struct gh_pg_conn *c, const char *sql)
{
	PGresult *res = PQexec(c->pc, sql);
	enum gh_err r = GH_OK;

	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	                       PQresultStatus(res) != PGRES_TUPLES_OK))
		r = map_error(c, res, sql);
	PQclear(res);
	return r;
}

/* ---- transactions --------------------------------------------------- */

enum gh_err
gh_pg_tx_begin(struct gh_store *gs, struct gh_pg_conn **out)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	enum gh_err r;

	*out = c;
	if (c == NULL)
		return GH_ERR_DB;
	if (c->job_fresh && c->tx_depth >= 1 && c->tx_depth < 32) {
		/* nothing ran since the job's savepoint: rolling back to it
		 * is rolling this level back; two round trips saved */
		c->virt |= 1u << c->tx_depth;
		c->tx_depth++;
		return GH_OK;
	}
	/* read committed whatever the database's default: the advisory
	 * locks' check-then-write reads what the previous holder committed */
	r = simple(c, c->tx_depth == 0 ? "BEGIN ISOLATION LEVEL READ COMMITTED"
	                               : "SAVEPOINT gh_op");
	if (r != GH_OK) {
		gh_pg_release(gs, c);
		*out = NULL;
		return r;
	}
	c->tx_depth++;
	return GH_OK;
}

/* Is the innermost open level a virtual one (no savepoint of its own)?
 * Then pop it. */
static bool
pop_virtual(struct gh_pg_conn *c)
{
	uint32_t bit = 1u << (c->tx_depth - 1);

	if (c->tx_depth < 2 || !(c->virt & bit))
		return false;
	c->virt &= ~bit;
	c->tx_depth--;
	return true;
}

void
gh_pg_tx_rollback(struct gh_store *gs, struct gh_pg_conn *c)
{
	if (c == NULL || c->tx_depth <= 0)
		return;
	if (pop_virtual(c)) {
		/* back to the job's savepoint, which stays the job's */
		simple(c, "ROLLBACK TO SAVEPOINT gh_op");
		c->job_fresh = true;
	} else if (c->tx_depth == 1) {
		simple(c, "ROLLBACK");
		c->tx_depth--;
		c->virt = 0;
		c->job_fresh = false;
	} else {
		simple(c, "ROLLBACK TO SAVEPOINT gh_op");
		simple(c, "RELEASE SAVEPOINT gh_op");
		c->tx_depth--;
	}
	gh_pg_release(gs, c);
}

enum gh_err
gh_pg_tx_commit(struct gh_store *gs, struct gh_pg_conn *c)
{
	enum gh_err r;

	if (PQtransactionStatus(c->pc) != PQTRANS_INTRANS)
		r = GH_ERR_DB; /* aborted: COMMIT would roll back silently */
	else if (c->tx_depth >= 2 && (c->virt & (1u << (c->tx_depth - 1))))
		r = GH_OK; /* virtual: the job's savepoint carries it */
	else
		r = simple(
		    c, c->tx_depth == 1 ? "COMMIT" : "RELEASE SAVEPOINT gh_op");
	if (r != GH_OK) {
		gh_pg_tx_rollback(gs, c);
		return r;
	}
	if (!pop_virtual(c)) {
		c->tx_depth--;
		if (c->tx_depth == 0)
			c->virt = 0;
	}
	c->job_fresh = false;
	gh_pg_release(gs, c);
	return GH_OK;
}

enum gh_err
gh_pg_xact_lock(struct gh_pg_conn *c, int64_t key)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, key);
	return gh_pg_run(c, GH_PG_SLOT_CORE + 1,
	    "SELECT pg_advisory_xact_lock($1::bigint)", &p, NULL,
	    "advisory lock");
}

/* ---- the store's own operations ------------------------------------ */

static enum gh_err
p_ping(struct gh_store *gs)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	r = gh_pg_run(c, GH_PG_SLOT_CORE + 0, "SELECT 1", NULL, NULL, "ping");
	gh_pg_release(gs, c);
	return r;
}

/* A batch: one connection held by the writer thread and one transaction
 * around its jobs, under an advisory lock that makes the batches of every
 * instance take turns; each job in a savepoint of its own, because a
 * failed statement aborts a PostgreSQL transaction (SQLite's goes on). */
static enum gh_err
p_batch_begin(struct gh_store *gs)
{
	struct gh_pg_conn *c;
	enum gh_err r;

	if ((r = gh_pg_tx_begin(gs, &c)) != GH_OK)
		return r;
	/* one batch at a time across instances: two batches lock the rows
	 * their jobs write in whatever order the jobs came, and two such
	 * transactions deadlock (seen: two instances patching posts) */
	if ((r = gh_pg_xact_lock(c, GH_PG_LOCK_BATCH)) != GH_OK)
		gh_pg_tx_rollback(gs, c);
	return r;
}

static bool
p_batch_live(struct gh_store *gs)
{
	struct gh_pg_conn *c = tl_held;

	GH_UNUSED(gs);
	return c != NULL && c->tx_depth == 1 &&
	       PQtransactionStatus(c->pc) == PQTRANS_INTRANS;
}

static enum gh_err
p_job_begin(struct gh_store *gs)
{
	struct gh_pg_conn *c;
	enum gh_err r = gh_pg_tx_begin(gs, &c);

	if (r == GH_OK)
		c->job_fresh = true;
	return r;
}

static enum gh_err
p_job_end(struct gh_store *gs)
{
	struct gh_pg_conn *c = tl_held;

	if (c == NULL || c->tx_depth < 2)
		return GH_ERR_DB;
	/* the job's writes stay unless the database aborted them: then
	 * they are undone, and the job must not be reported done */
	if (PQtransactionStatus(c->pc) == PQTRANS_INERROR) {
		gh_pg_tx_rollback(gs, c);
		return GH_ERR_DB;
	}
	return gh_pg_tx_commit(gs, c);
}

static enum gh_err
p_batch_end(struct gh_store *gs)
{
	struct gh_pg_conn *c = tl_held;

	if (c == NULL)
		return GH_ERR_DB;
	uint64_t seq = tl_pending_echo;
	enum gh_err r;

	tl_pending_echo = 0;
	while (c->tx_depth > 1) /* a job left a savepoint open */
		gh_pg_tx_rollback(gs, c);
	r = gh_pg_tx_commit(gs, c);
	if (r == GH_OK) /* before any answer of the batch goes out */
		wait_echo((struct pg_store *)gs, seq);
	return r;
}

/*
 * Wait (at most ECHO_WAIT_MS) until this instance's listener has received
 * announcement seq back.  PostgreSQL signals every listening session at
 * the commit; by the time our own has forwarded it, the other instances'
 * sessions have been signalled as long, so the answer that follows is
 * very unlikely to overtake the notification to another instance (one
 * that the machine's scheduler left behind can still be late: the TTL
 * bounds that).  Not waited for when the listener is down.
 */
#define ECHO_WAIT_MS 50

static void
wait_echo(struct pg_store *s, uint64_t seq)
{
	struct timespec until;

	if (seq == 0 || atomic_load(&s->lfd) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ECHO_WAIT_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* the listener thread may be asleep in poll(): read the socket
	 * here too */
	p_cache_sync(&s->base);
	pthread_mutex_lock(&s->echo_mu);
	while (s->echoed < seq &&
	       pthread_cond_timedwait(&s->echo_cv, &s->echo_mu, &until) == 0)
		;
	pthread_mutex_unlock(&s->echo_mu);
}

/* Announce a write that may change cached answers to every instance:
 * inside the caller's transaction when it has one (delivered at its
 * commit; waited for after it), else now (its write has committed). */
static void
p_announce(struct gh_store *gs)
{
	struct pg_store *s = (struct pg_store *)gs;
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	char payload[64];
	uint64_t seq;
	bool in_tx;

	if (c == NULL)
		return;
	seq = atomic_fetch_add(&s->announced, 1) + 1;
	snprintf(payload, sizeof(payload), "%s:%llu", s->instance,
	    (unsigned long long)seq);
	gh_pg_p_text(&p, GH_PG_CHANNEL);
	gh_pg_p_text(&p, payload);
	in_tx = c->tx_depth > 0;
	if ((!in_tx || PQtransactionStatus(c->pc) == PQTRANS_INTRANS) &&
	    gh_pg_run(c, GH_PG_SLOT_CORE + 2, "SELECT pg_notify($1, $2)", &p,
	        NULL, "notify") == GH_OK) {
		if (in_tx)
			tl_pending_echo = seq;
	} else {
		seq = 0;
	}
	gh_pg_release(gs, c);
	if (!in_tx)
		wait_echo(s, seq);
}

/* ---- the listener --------------------------------------------------- */

static void
invalidate_local(struct pg_store *s)
{
	struct gh_store_cache *cache =
	    __atomic_load_n(&s->base.cache, __ATOMIC_ACQUIRE);

	if (cache != NULL)
		gh_store_cache_invalidate(cache);
}

/* Read what the listener's connection received and act on every
 * notification of another instance (lmu held).  False when the
 * connection is gone. */
static bool
drain(struct pg_store *s)
{
	PGnotify *n;

	if (s->lpc == NULL || !PQconsumeInput(s->lpc))
		return false;
	while ((n = PQnotifies(s->lpc)) != NULL) {
		if (strcmp(n->extra, s->instance) != 0)
			invalidate_local(s);

		PQfreemem(n);
	}
	return PQstatus(s->lpc) == CONNECTION_OK;
}

/* (Re)connect the listener (lmu held); false: not listening. */
static bool
listen_again(struct pg_store *s)
{
	PGresult *res;

	if (s->lpc != NULL)
		PQfinish(s->lpc);
	atomic_store(&s->lfd, -1);
	s->lpc = connect_db(s);
	/* notifications may have been missed while not listening */
	invalidate_local(s);
	if (s->lpc == NULL)
		return false;
	res = PQexec(s->lpc, "LISTEN " GH_PG_CHANNEL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		PQfinish(s->lpc);
		s->lpc = NULL;
		return false;
	}
	PQclear(res);
	atomic_store(&s->lfd, PQsocket(s->lpc));
	return true;
}

/*
 * Before an answer is taken from the cache: if a notification has
 * reached this process but the listener thread has not run yet (a busy
 * machine), act on it now.  One poll() of the listener's socket, no
 * lock, when nothing is there.
 */
static void
p_cache_sync(struct gh_store *gs)
{
	struct pg_store *s = (struct pg_store *)gs;
	struct pollfd pfd;

	pfd.fd = atomic_load(&s->lfd);
	if (pfd.fd < 0)
		return;
	pfd.events = POLLIN;
	/* nothing arrived, and nobody is between reading a notification
	 * and acting on it */
	if (poll(&pfd, 1, 0) <= 0 && !atomic_load(&s->draining))
		return;
	pthread_mutex_lock(&s->lmu);
	if (s->lpc != NULL && !drain(s)) {
		atomic_store(&s->lfd, -1); /* the thread reconnects */
		invalidate_local(s);
	}
	pthread_mutex_unlock(&s->lmu);
}

static void *
listener_main(void *arg)
{
	struct pg_store *s = arg;
	struct pollfd fds[2];
	bool warned = false, ok;
	int n;

	while (!atomic_load(&s->stop)) {
		pthread_mutex_lock(&s->lmu);
		ok = atomic_load(&s->lfd) >= 0 || listen_again(s);
		pthread_mutex_unlock(&s->lmu);
		if (ok && warned)
			gh_log_info_f("cache listener: listening again");
		else if (!ok && !warned)
			gh_log_warn_f("cache listener: cannot LISTEN; retrying "
			              "every second");
		warned = !ok;
		fds[0].fd = s->wake[0];
		fds[0].events = POLLIN;
		fds[1].fd = ok ? atomic_load(&s->lfd) : -1;
		fds[1].events = POLLIN;
		n = poll(fds, 2, 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0 || fds[1].fd < 0 || fds[1].revents == 0)
			continue;
		pthread_mutex_lock(&s->lmu);
		if (s->lpc != NULL && !drain(s))
			atomic_store(&s->lfd, -1); /* reconnect above */
		pthread_mutex_unlock(&s->lmu);
	}
	pthread_mutex_lock(&s->lmu);
	if (s->lpc != NULL)
		PQfinish(s->lpc);
	s->lpc = NULL;
	atomic_store(&s->lfd, -1);
	pthread_mutex_unlock(&s->lmu);
	return NULL;
}

/* ---- migrations ----------------------------------------------------- */

static enum gh_err
migrate(struct pg_store *s, struct gh_pg_conn *c)
{
	PGresult *res;
	char sql[160];
	int version = 0;
	size_t i;
	enum gh_err r = GH_OK;

	/* instances starting together: one migrates, the others wait and
	 * then find nothing left to do; neither the wait nor a long
	 * migration is a statement to time out */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)",
	    GH_PG_LOCK_MIGRATE);
	if (simple(c, "SET statement_timeout = 0") != GH_OK ||
	    simple(c, sql) != GH_OK ||
	    simple(c,
	        "CREATE TABLE IF NOT EXISTS gh_schema_version ("
	        "version integer PRIMARY KEY, name text NOT NULL, "
	        "applied_at timestamptz NOT NULL DEFAULT now())") != GH_OK)
		return GH_ERR_DB;
	res = PQexec(c->pc, "SELECT coalesce(max(version), 0) "
	                    "FROM gh_schema_version");
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = map_error(c, res, "schema version");
		PQclear(res);
		goto unlock;
	}
	version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	for (i = 0; i < gh_schema_pg_count; i++) {
		const struct gh_migration *m = &gh_schema_pg[i];

		if (m->version <= version)
			continue;
		snprintf(sql, sizeof(sql),
		    "INSERT INTO gh_schema_version (version, name) "
		    "VALUES (%d, '%s')",
		    m->version, m->name);
		if (simple(c, "BEGIN") != GH_OK || simple(c, m->sql) != GH_OK ||
		    simple(c, sql) != GH_OK || simple(c, "COMMIT") != GH_OK) {
			gh_log_error_f("migration %s failed", m->name);
			simple(c, "ROLLBACK");
			r = GH_ERR_DB;
			goto unlock;
		}
		gh_log_info_f("applied migration %s", m->name);
	}
unlock:
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)",
	    GH_PG_LOCK_MIGRATE);
	simple(c, sql);
	simple(c, "RESET statement_timeout");
	(void)s;
	return r;
}

/* ---- open and close ------------------------------------------------- */

static void
p_close(struct gh_store *gs)
{
	struct pg_store *s = (struct pg_store *)gs;
	unsigned i;

	if (s->listener_started) {
		atomic_store(&s->stop, true);
		if (write(s->wake[1], "x", 1) < 0) {
			/* the listener wakes within a second anyway */
		}
		pthread_join(s->listener, NULL);
	}
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	for (i = 0; i < s->nconns; i++)
		conn_drop(&s->conns[i]);
	free(s->conns);
	free(s->conn_gen);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->lmu);
	pthread_mutex_destroy(&s->echo_mu);
	pthread_cond_destroy(&s->echo_cv);
	if (s->conninfo != NULL)
		sodium_memzero(s->conninfo, strlen(s->conninfo));
	free(s->conninfo);
	free(s);
}

static const struct gh_store_ops pg_ops = {.close = p_close,
    .ping = p_ping,
    .batch_begin = p_batch_begin,
    .batch_live = p_batch_live,
    .batch_end = p_batch_end,
    .job_begin = p_job_begin,
    .job_end = p_job_end,
    .announce = p_announce,
    .cache_sync = p_cache_sync,
#define GH_PG_OP(kind, name, params, args) .name = gh_pg_##name,
    GH_STORE_OPS(GH_PG_OP)
#undef GH_PG_OP
};

enum gh_err
gh_store_pg_open(const struct gh_store_pg_opts *o, struct gh_store **out)
{
	struct pg_store *s = gh_xcalloc(1, sizeof(*s));
	unsigned char id[16];
	struct gh_pg_conn *c;
	enum gh_err r;
	unsigned i;

	*out = NULL;
	s->base.ops = &pg_ops;
	s->wake[0] = s->wake[1] = -1;
	s->conninfo = gh_xstrdup(o->conninfo);
	snprintf(s->options, sizeof(s->options),
	    "-c statement_timeout=%d -c client_min_messages=warning "
	    "-c default_transaction_isolation=read\\ committed",
	    o->statement_timeout_ms);
	s->pool_timeout_ms = o->pool_timeout_ms > 0 ? o->pool_timeout_ms : 1;
	s->nconns = o->pool_size > 0 ? o->pool_size : 1;
	s->conns = gh_xcalloc(s->nconns, sizeof(*s->conns));
	s->conn_gen = gh_xcalloc(s->nconns, sizeof(*s->conn_gen));
	for (i = 0; i < s->nconns; i++)
		s->conns[i].owner = s;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->lmu, NULL);
	pthread_mutex_init(&s->echo_mu, NULL);
	pthread_cond_init(&s->echo_cv, NULL);
	atomic_store(&s->lfd, -1);
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(s->instance, sizeof(s->instance), id, sizeof(id));
	if ((c = gh_pg_acquire(&s->base)) == NULL) {
		r = GH_ERR_DB;
		goto fail;
	}
	r = migrate(s, c);
	gh_pg_release(&s->base, c);
	if (r != GH_OK)
		goto fail;
	if (pipe(s->wake) != 0) {
		s->wake[0] = s->wake[1] = -1;
		r = GH_ERR_INTERNAL;
		goto fail;
	}
	if (pthread_create(&s->listener, NULL, listener_main, s) != 0) {
		r = GH_ERR_INTERNAL;
		goto fail;
	}
	s->listener_started = true;
	*out = &s->base;
	return GH_OK;
fail:
	p_close(&s->base);
	return r;
}
