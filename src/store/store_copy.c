/*
 * store_copy.c - `gatehouse migrate`: copy a SQLite database (gatehouse's
 * or the seed app's) into a PostgreSQL one, in one transaction.
 *
 * The source is never written: it is copied with SQLite's backup API into
 * a temporary file, which gatehouse's SQLite migrations bring to the
 * current schema (a seed database gains its roles, sessions table and
 * so on exactly as when gatehouse opens it).  The target gets its schema
 * from the PostgreSQL migrations, then, inside ONE transaction: refuse it
 * if it holds any row (unless replace: then TRUNCATE every table), COPY
 * each table's rows in (ids kept; DATETIME text becomes microseconds,
 * 0/1 become booleans, blobs bytea), move each identity past the
 * highest id SQLite ever handed out (sqlite_sequence: a deleted row's id
 * is not reused on the new side either), count every table on both
 * sides, and COMMIT only when every count matches.  Password hashes are
 * copied as they are, so users log in with their old passwords (bcrypt
 * ones are re-hashed at their next login, as on SQLite).
 *
 * Memory: everything is freed before returning; the temporary copy is
 * removed.  Nothing secret is printed: errors name tables and row ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_copy.h"
#include "util/timefmt.h"
#include "util/banned.h"

enum col_kind { C_INT, C_TEXT, C_TIME, C_BOOL, C_BYTES };

struct col {
	const char *name;
	enum col_kind kind;
};

struct table {
	const char *name;
	bool has_id; /* an identity to move past the copied ids */
	const struct col *cols;
	size_t ncols;
};

#define COLS(...)                                                              \
	(const struct col[])                                                   \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define NCOLS(...)                                                             \
	(sizeof((const struct col[]){__VA_ARGS__}) / sizeof(struct col))
#define TABLE(n, id, ...)                                                      \
	{                                                                      \
		n, id, COLS(__VA_ARGS__), NCOLS(__VA_ARGS__)                   \
	}

/* Parents before children (foreign keys are checked row by row). */
static const struct table tables[] = {
    TABLE("users", true, {"id", C_INT}, {"username", C_TEXT}, {"email", C_TEXT},
        {"hashed_password", C_TEXT}, {"is_admin", C_BOOL}, {"role", C_TEXT},
        {"is_active", C_BOOL}, {"created_at", C_TIME}, {"token_version", C_INT},
        {"username_fold", C_TEXT}),
    TABLE("posts", true, {"id", C_INT}, {"title", C_TEXT}, {"content", C_TEXT},
        {"user_id", C_INT}, {"date_posted", C_TIME}),
    TABLE("sessions", true, {"id", C_INT}, {"user_id", C_INT},
        {"created_at", C_TIME}, {"last_used_at", C_TIME},
        {"expires_at", C_TIME}, {"revoked_at", C_TIME}, {"user_agent", C_TEXT},
        {"ip", C_TEXT}, {"cookie_hash", C_BYTES}),
    TABLE("refresh_tokens", true, {"id", C_INT}, {"session_id", C_INT},
        {"token_hash", C_BYTES}, {"created_at", C_TIME}, {"expires_at", C_TIME},
        {"spent_at", C_TIME}),
    TABLE("api_keys", true, {"id", C_INT}, {"user_id", C_INT}, {"name", C_TEXT},
        {"prefix", C_TEXT}, {"secret_hash", C_BYTES}, {"created_at", C_TIME},
        {"expires_at", C_TIME}, {"last_used_at", C_TIME},
        {"revoked_at", C_TIME}, {"scopes", C_INT}),
    TABLE("todos", true, {"id", C_INT}, {"user_id", C_INT}, {"title", C_TEXT},
        {"completed", C_BOOL}, {"created_at", C_TIME}),
    TABLE("login_failures", false, {"kind", C_TEXT}, {"key", C_TEXT},
        {"failures", C_INT}, {"first_at", C_INT}, {"last_at", C_INT}),
    TABLE("audit_log", true, {"id", C_INT}, {"at", C_TIME}, {"event", C_TEXT},
        {"user_id", C_INT}, {"username", C_TEXT}, {"ip", C_TEXT},
        {"outcome", C_TEXT}, {"target_user_id", C_INT}, {"detail", C_TEXT}),
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* A growing line of COPY text. */
struct line {
	char *p;
	size_t len, cap;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;

		while (cap < l->len + n + 1)
			cap *= 2;
		l->p = gh_xrealloc(l->p, cap);
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

/* Text in COPY's text format: backslash, tab, newline, CR escaped. */
static void
put_text(struct line *l, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			put(l, "\\\\", 2);
			break;
		case '\t':
			put(l, "\\t", 2);
			break;
		case '\n':
			put(l, "\\n", 2);
			break;
		case '\r':
			put(l, "\\r", 2);
			break;
		default:
			put(l, (const char *)&s[i], 1);
		}
	}
}

static bool
put_col(struct line *l, sqlite3_stmt *st, int i, const struct col *c, char *err,
    size_t errsz)
{
	char num[32];
	int64_t usec;
	const unsigned char *t;
	size_t n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		put(l, "\\N", 2);
		return true;
	}
	switch (c->kind) {
	case C_INT:
		snprintf(num, sizeof(num), "%lld",
		    (long long)sqlite3_column_int64(st, i));
		put(l, num, strlen(num));
		return true;
	case C_BOOL:
		put(l, sqlite3_column_int64(st, i) ? "t" : "f", 1);
		return true;
	case C_TEXT:
		t = sqlite3_column_text(st, i);
		put_text(l, t, (size_t)sqlite3_column_bytes(st, i));
		return true;
	case C_TIME:
		t = sqlite3_column_text(st, i);
		if (t == NULL ||
		    gh_time_parse_db((const char *)t, &usec) != GH_OK) {
			snprintf(err, errsz, "column %s: not a date and time",
			    c->name);
			return false;
		}
		snprintf(num, sizeof(num), "%lld", (long long)usec);
		put(l, num, strlen(num));
		return true;
	case C_BYTES: {
		const unsigned char *b = sqlite3_column_blob(st, i);
		char *hex;

		n = (size_t)sqlite3_column_bytes(st, i);
		hex = gh_xmalloc(2 * n + 1);
		sodium_bin2hex(hex, 2 * n + 1, b, n);
		put(l, "\\\\x", 3);
		put(l, hex, 2 * n);
		free(hex);
		return true;
	}
	}
	return false;
}

static bool
pg_ok(PGresult *res, ExecStatusType want, const char *what, char *err,
    size_t errsz)
{
	bool ok = res != NULL && PQresultStatus(res) == want;

	if (!ok)
		snprintf(err, errsz, "%s: %s", what,
		    res ? PQresultErrorMessage(res) : "no result");
	PQclear(res);
	return ok;
}

static bool
pg_cmd(PGconn *pc, const char *sql, char *err, size_t errsz)
{
	return pg_ok(PQexec(pc, sql), PGRES_COMMAND_OK, sql, err, errsz);
}

static int64_t
pg_count(PGconn *pc, const char *sql)
{
	PGresult *res = PQexec(pc, sql);
	int64_t n = -1;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

static int64_t
sq_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Copy one table's rows with COPY ... FROM STDIN; *rows: how many. */
static bool
copy_table(sqlite3 *db, PGconn *pc, const struct table *t, int64_t *rows,
    char *err, size_t errsz)
{
	struct line sel = {0}, cp = {0}, row = {0};
	sqlite3_stmt *st = NULL;
	char why[160];
	size_t i;
	int rc;
	bool ok = false;

	*rows = 0;
	put(&sel, "SELECT ", 7);
	put(&cp, "COPY ", 5);
	put(&cp, t->name, strlen(t->name));
	put(&cp, " (", 2);
	for (i = 0; i < t->ncols; i++) {
		if (i > 0) {
			put(&sel, ", ", 2);
			put(&cp, ", ", 2);
		}
		put(&sel, t->cols[i].name, strlen(t->cols[i].name));
		put(&cp, t->cols[i].name, strlen(t->cols[i].name));
	}
	put(&sel, " FROM ", 6);
	put(&sel, t->name, strlen(t->name));
	put(&cp, ") FROM STDIN", 12);
	if (sqlite3_prepare_v2(db, sel.p, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", t->name, sqlite3_errmsg(db));
		goto out;
	}
	if (!pg_ok(PQexec(pc, cp.p), PGRES_COPY_IN, t->name, err, errsz))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.len = 0;
		for (i = 0; i < t->ncols; i++) {
			if (i > 0)
				put(&row, "\t", 1);
			if (!put_col(&row, st, (int)i, &t->cols[i], why,
			        sizeof(why))) {
				snprintf(err, errsz, "%s row %lld: %s", t->name,
				    (long long)sqlite3_column_int64(st, 0),
				    why);
				PQputCopyEnd(pc, "bad row");
				PQclear(PQgetResult(pc));
				goto out;
			}
		}
		put(&row, "\n", 1);
		if (PQputCopyData(pc, row.p, (int)row.len) != 1) {
			snprintf(
			    err, errsz, "%s: %s", t->name, PQerrorMessage(pc));
			goto out;
		}
		(*rows)++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "%s: %s", t->name, sqlite3_errmsg(db));
		PQputCopyEnd(pc, "read error");
		PQclear(PQgetResult(pc));
		goto out;
	}
	if (PQputCopyEnd(pc, NULL) != 1 ||
	    !pg_ok(PQgetResult(pc), PGRES_COMMAND_OK, t->name, err, errsz))
		goto out;
	ok = true;
out:
	sqlite3_finalize(st);
	if (row.p != NULL)
		sodium_memzero(row.p, row.cap); /* it held hashes */
	free(row.p);
	free(sel.p);
	free(cp.p);
	return ok;
}

/* Move t's identity past every id SQLite handed out. */
static bool
move_identity(
    sqlite3 *db, PGconn *pc, const struct table *t, char *err, size_t errsz)
{
	char sql[256];
	int64_t top, seq;

	snprintf(
	    sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s", t->name);
	top = sq_count(db, sql);
	snprintf(sql, sizeof(sql),
	    "SELECT coalesce(max(seq), 0) FROM sqlite_sequence "
	    "WHERE name = '%s'",
	    t->name);
	seq = sq_count(db, sql);
	if (seq > top)
		top = seq;
	if (top <= 0)
		return true;
	snprintf(sql, sizeof(sql),
	    "SELECT setval(pg_get_serial_sequence('%s', 'id'), %lld)", t->name,
	    (long long)top);
	return pg_ok(PQexec(pc, sql), PGRES_TUPLES_OK, sql, err, errsz);
}

/* The source, copied to a temporary file and migrated there. */
static bool
stage_source(const char *src, char *tmp, size_t tmpsz, char *err, size_t errsz)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	struct gh_store *s = NULL;
	const char *dir = getenv("TMPDIR");
	char uri[4200];
	int fd;
	bool ok = false;

	snprintf(tmp, tmpsz, "%s/gatehouse-migrate-XXXXXX",
	    dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errsz, "cannot create a temporary file in %s",
		    dir && *dir ? dir : "/tmp");
		tmp[0] = '\0';
		return false;
	}
	close(fd);
	if (access(src, R_OK) != 0) {
		snprintf(err, errsz, "cannot read %s", src);
		return false;
	}
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", src);
	if (sqlite3_open_v2(uri, &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	        NULL) != SQLITE_OK ||
	    sqlite3_open(tmp, &to) != SQLITE_OK) {
		snprintf(err, errsz, "cannot open %s", src);
		goto out;
	}
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL) {
		snprintf(
		    err, errsz, "cannot read %s: %s", src, sqlite3_errmsg(to));
		goto out;
	}
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		snprintf(
		    err, errsz, "cannot copy %s: %s", src, sqlite3_errmsg(to));
		goto out;
	}
	sqlite3_close(to);
	to = NULL;
	if (gh_store_open(tmp, &s) != GH_OK) {
		snprintf(
		    err, errsz, "%s is not a database gatehouse can read", src);
		goto out;
	}
	gh_store_close(s);
	ok = true;
out:
	sqlite3_close(from);
	sqlite3_close(to);
	return ok;
}

enum gh_err
gh_store_copy(const char *sqlite_path, const struct gh_store_pg_opts *target,
    bool replace, struct gh_copy_count counts[GH_COPY_TABLES], char *err,
    size_t errsz)
{
	char tmp[4096] = "", sql[160];
	sqlite3 *db = NULL;
	struct gh_store *s = NULL;
	PGconn *pc = NULL;
	enum gh_err r = GH_ERR_DB;
	int64_t total = 0, n;
	size_t i;

	_Static_assert(NTABLES == GH_COPY_TABLES, "one count per table");
	err[0] = '\0';
	if (!stage_source(sqlite_path, tmp, sizeof(tmp), err, errsz))
		goto out;
	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errsz, "cannot reopen the staged copy");
		goto out;
	}
	/* the target's schema, by the server's own migrations */
	if (gh_store_open_pg(target, &s) != GH_OK) {
		snprintf(err, errsz, "cannot open the PostgreSQL database");
		goto out;
	}
	gh_store_close(s);
	pc = PQconnectdb(target->conninfo);
	if (PQstatus(pc) != CONNECTION_OK) {
		snprintf(err, errsz, "PostgreSQL: %s", PQerrorMessage(pc));
		goto out;
	}
	if (!pg_cmd(pc, "BEGIN", err, errsz))
		goto out;
	/* nobody writes while we copy; a running instance waits */
	if (!pg_cmd(pc,
	        "LOCK TABLE users, posts, sessions, refresh_tokens, api_keys, "
	        "todos, login_failures, audit_log IN EXCLUSIVE MODE",
	        err, errsz))
		goto rollback;
	for (i = 0; i < NTABLES; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
		    tables[i].name);
		total += pg_count(pc, sql);
	}
	if (total != 0 && !replace) {
		snprintf(err, errsz,
		    "the target database is not empty (%lld rows); "
		    "--replace empties it first",
		    (long long)total);
		r = GH_ERR_CONFLICT;
		goto rollback;
	}
	if (total != 0 &&
	    !pg_cmd(pc,
	        "TRUNCATE users, posts, sessions, refresh_tokens, api_keys, "
	        "todos, login_failures, audit_log RESTART IDENTITY",
	        err, errsz))
		goto rollback;
	for (i = 0; i < NTABLES; i++) {
		counts[i].table = tables[i].name;
		if (!copy_table(db, pc, &tables[i], &n, err, errsz) ||
		    (tables[i].has_id &&
		        !move_identity(db, pc, &tables[i], err, errsz)))
			goto rollback;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
		    tables[i].name);
		counts[i].source = sq_count(db, sql);
		counts[i].target = pg_count(pc, sql);
		if (counts[i].source != n || counts[i].target != n) {
			snprintf(err, errsz,
			    "%s: %lld rows read, %lld in the source, %lld in "
			    "the target",
			    tables[i].name, (long long)n,
			    (long long)counts[i].source,
			    (long long)counts[i].target);
			goto rollback;
		}
	}
	if (!pg_cmd(pc, "COMMIT", err, errsz))
		goto out;
	r = GH_OK;
	goto out;
rollback:
	PQclear(PQexec(pc, "ROLLBACK"));
out:
	if (pc != NULL)
		PQfinish(pc);
	sqlite3_close(db);
	if (tmp[0] != '\0') {
		char side[4200];

		unlink(tmp);
		snprintf(side, sizeof(side), "%s-wal", tmp);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", tmp);
		unlink(side);
	}
	return r;
}
