/*
 * store_pg_audit.c - the audit log, PostgreSQL.
 *
 * gh_pg_audit_write inserts an entry in the caller's write: the
 * connection the thread already holds (gh_pg_acquire hands it back
 * inside a transaction or a group-commit batch), so the row commits with
 * the batch that carries it, before the request is answered.
 * gh_pg_audit_add does the same: there is no background queue on this
 * backend (SQLite's exists to share one commit among many rows of a
 * single writer; PostgreSQL takes concurrent commits from every thread),
 * so the row is inserted at once, in autocommit, or inside the caller's
 * transaction when it holds one (then it commits or vanishes with it).
 * Text is cut to its valid UTF-8 prefix first (PostgreSQL refuses
 * anything else); should the insert fail anyway inside a group-commit
 * job (a timeout), the job is undone and reported failed rather than
 * answered without its row: one round trip per row, no savepoint.
 * Nothing is ever queued, so
 * a listing sees every entry committed before it, and a crash loses no
 * acknowledged row.
 *
 * Entries get an identity id, which is the order of the log (across
 * instances: the order in which inserts drew ids, not of their commits);
 * listings go newest first by id, paging with before_id, one prepared
 * statement per filter combination so that each uses its index (the
 * primary key, (user_id, id) or (event, id)).
 *
 * Memory: audit rows handed to a callback are borrowed from the
 * PGresult and valid during the callback only.  Statements live in slots
 * GH_PG_SLOT_AUDIT.. of each pooled connection.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_pg_int.h"
#include "util/utf8.h"
#include "util/banned.h"

enum audit_stmt {
	A_AUDIT_INSERT,
	A_AUDIT_LIST,      /* no filter */
	A_AUDIT_LIST_USER, /* user_id */
	A_AUDIT_LIST_EVT,  /* event */
	A_AUDIT_LIST_BOTH, /* user_id and event */
	A_COUNT
};

_Static_assert(GH_PG_SLOT_AUDIT + A_COUNT <= GH_PG_MAX_STMTS,
    "store_pg_audit.c owns the last statement slots");

#define AUDIT_COLS                                                             \
	"id, at, event, user_id, username, ip, outcome, target_user_id, "      \
	"detail"

/* Listings: $1 before_id, $2 limit (NULL: no limit), then the filters
 * in the order user_id, event. */
static const char *const sql_text[A_COUNT] = {
    [A_AUDIT_INSERT] = "INSERT INTO audit_log (at, event, user_id, "
                       "username, ip, outcome, target_user_id, detail) "
                       "VALUES ($1::bigint, $2::text, $3::bigint, "
                       "$4::text, $5::text, $6::text, $7::bigint, $8::text)",
    [A_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM audit_log "
                     "WHERE id < $1::bigint ORDER BY id DESC "
                     "LIMIT $2::bigint",
    [A_AUDIT_LIST_USER] = "SELECT " AUDIT_COLS " FROM audit_log "
                          "WHERE user_id = $3::bigint AND id < $1::bigint "
                          "ORDER BY id DESC LIMIT $2::bigint",
    [A_AUDIT_LIST_EVT] = "SELECT " AUDIT_COLS " FROM audit_log "
                         "WHERE event = $3::text AND id < $1::bigint "
                         "ORDER BY id DESC LIMIT $2::bigint",
    [A_AUDIT_LIST_BOTH] = "SELECT " AUDIT_COLS " FROM audit_log "
                          "WHERE user_id = $3::bigint AND event = $4::text "
                          "AND id < $1::bigint "
                          "ORDER BY id DESC LIMIT $2::bigint",
};

/* An id, or SQL NULL for 0. */
static void
p_id(struct gh_pg_params *p, gh_id id)
{
	if (id != 0)
		gh_pg_p_int(p, id);
	else
		gh_pg_p_text(p, NULL);
}

/* The insert itself, on c. */
static enum gh_err
insert(struct gh_pg_conn *c, const struct gh_audit_entry *e, const char *what)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, e->at);
	gh_pg_p_text(&p, e->event);
	p_id(&p, e->user_id);
	gh_pg_p_text(&p, e->username);
	gh_pg_p_text(&p, e->ip != NULL ? e->ip : "");
	gh_pg_p_text(&p, e->success ? "success" : "failure");
	p_id(&p, e->target_user_id);
	gh_pg_p_text(&p, e->detail);
	return gh_pg_run(c, GH_PG_SLOT_AUDIT + A_AUDIT_INSERT,
	    sql_text[A_AUDIT_INSERT], &p, NULL, what);
}

/* s, or its longest valid UTF-8 prefix copied into *tmp (free it):
 * PostgreSQL refuses text that is not UTF-8, and a refused row would
 * abort the transaction it is written in. */
static const char *
utf8(const char *s, char **tmp)
{
	size_t n, ok;

	*tmp = NULL;
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((ok = gh_utf8_valid_prefix(s, n)) == n)
		return s;
	*tmp = gh_xmalloc(ok + 1);
	memcpy(*tmp, s, ok);
	(*tmp)[ok] = '\0';
	return *tmp;
}

/* Insert e on the thread's connection: in autocommit when it holds no
 * transaction, else in the caller's (a group-commit job: should the
 * insert fail anyway, the job is undone and reported failed, job_end in
 * store_pg.c, rather than answered without its audit row). */
static enum gh_err
audit_insert(
    struct gh_store *gs, const struct gh_audit_entry *e, const char *what)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_audit_entry v = *e;
	char *t1, *t2, *t3;
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	v.username = utf8(e->username, &t1);
	v.ip = utf8(e->ip, &t2);
	v.detail = utf8(e->detail, &t3);
	r = insert(c, &v, what);
	free(t1);
	free(t2);
	free(t3);
	gh_pg_release(gs, c);
	return r;
}

enum gh_err
gh_pg_audit_write(struct gh_store *gs, const struct gh_audit_entry *e)
{
	return audit_insert(gs, e, "audit write");
}

enum gh_err
gh_pg_audit_add(struct gh_store *gs, const struct gh_audit_entry *e)
{
	return audit_insert(gs, e, "audit add");
}

/* Column i of row as a borrowed string, NULL for SQL NULL. */
static const char *
col_str_or_null(const PGresult *res, int row, int i)
{
	if (gh_pg_null(res, row, i))
		return NULL;
	return gh_pg_str(res, row, i, NULL);
}

static void
row_audit(const PGresult *res, int row, struct gh_audit_entry *e)
{
	e->id = gh_pg_int(res, row, 0);
	e->at = gh_pg_int(res, row, 1);
	e->event = gh_pg_str(res, row, 2, NULL);
	e->user_id = gh_pg_int(res, row, 3); /* NULL reads as 0 */
	e->username = col_str_or_null(res, row, 4);
	e->ip = col_str_or_null(res, row, 5);
	e->success = strcmp(gh_pg_str(res, row, 6, NULL), "success") == 0;
	e->target_user_id = gh_pg_int(res, row, 7);
	e->detail = col_str_or_null(res, row, 8);
}

enum gh_err
gh_pg_audit_list(struct gh_store *gs, gh_id before_id, int64_t limit,
    gh_id user_id, const char *event, gh_store_audit_fn fn, void *ctx)
{
	struct gh_pg_conn *c;
	enum audit_stmt id = A_AUDIT_LIST;
	struct gh_pg_params p = {0};
	struct gh_audit_entry e;
	PGresult *res;
	enum gh_err r;
	int i, n;

	if (user_id != 0 && event != NULL)
		id = A_AUDIT_LIST_BOTH;
	else if (user_id != 0)
		id = A_AUDIT_LIST_USER;
	else if (event != NULL)
		id = A_AUDIT_LIST_EVT;
	/* before_id 0 (or below): from the newest */
	gh_pg_p_int(&p, before_id > 0 ? before_id : INT64_MAX);
	/* a negative limit is none, as SQLite's LIMIT -1 */
	if (limit >= 0)
		gh_pg_p_int(&p, limit);
	else
		gh_pg_p_text(&p, NULL);
	if (user_id != 0)
		gh_pg_p_int(&p, user_id);
	if (event != NULL)
		gh_pg_p_text(&p, event);
	if ((c = gh_pg_acquire(gs)) == NULL)
		return GH_ERR_DB;
	r = gh_pg_exec(c, GH_PG_SLOT_AUDIT + (int)id, sql_text[id], &p, &res,
	    "audit list");
	gh_pg_release(gs, c);
	if (r != GH_OK)
		return r;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		row_audit(res, i, &e);
		if ((r = fn(ctx, &e)) != GH_OK)
			break;
	}
	PQclear(res);
	return r;
}
