/*
 * store_fixture.h - helpers the store unit tests share: a temporary
 * folder for the group's databases (STORE_TEST_DIR), removing a database
 * file with its WAL companions, and running SQL on the file directly (to
 * set up or inspect what the interface does not expose).
 * Header-only: each test binary includes it once.
 *
 * GH_TEST_PG: a libpq key=value string naming a PostgreSQL server where
 * the tests may create databases (`make unit-pg` starts a throwaway one:
 * "host=DIR/sock port=N user=postgres").  Then every fixture_open opens
 * a fresh database of its own there instead of a SQLite file (its
 * "path" is "pg:NAME"), fixture_close drops it, and a test that reads or
 * writes the SQLite file directly (sql_exec, sql_int, a path of its own)
 * is skipped: what it checks is SQLite's.
 */
#ifndef GH_STORE_FIXTURE_H
#define GH_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "gh.h"
#include "log.h"
#include "store/store.h"
#include "util/arena.h"

/*
 * STORE_TEST_DIR("/tmp/gh-test-NAME") defines tmp_dir (made by
 * group_setup, removed empty by group_teardown: each test removes its
 * own database), db_seq, the counter tests use to name databases, and
 * the one fixture every store test opens: fixture_open/fixture_close.
 */
#define STORE_TEST_DIR(prefix)                                                 \
	static char tmp_dir[] = prefix "-XXXXXX";                              \
	static int db_seq __attribute__((unused));                             \
                                                                               \
	static int group_setup(void **state)                                   \
	{                                                                      \
		(void)state;                                                   \
		gh_log_set_level(GH_LOG_ERROR); /* no migration lines */       \
		return mkdtemp(tmp_dir) != NULL ? 0 : -1;                      \
	}                                                                      \
                                                                               \
	static int group_teardown(void **state)                                \
	{                                                                      \
		(void)state;                                                   \
		return rmdir(tmp_dir);                                         \
	}                                                                      \
                                                                               \
	/* the store tests' one fixture: a fresh, migrated store named by      \
	 * db_seq in tmp_dir, and an arena; fixture_close undoes both and      \
	 * removes the database files */                                       \
	static int __attribute__((unused)) fixture_open(char *path,            \
	    size_t pathsz, struct gh_store **s, struct gh_arena **a)           \
	{                                                                      \
		if (test_pg() != NULL) {                                       \
			snprintf(path, pathsz, "pg:ghunit_%d_%d",              \
			    (int)getpid(), ++db_seq);                          \
			if (pg_open(path + 3, s) != 0)                         \
				return -1;                                     \
		} else {                                                       \
			snprintf(                                              \
			    path, pathsz, "%s/t%d.db", tmp_dir, ++db_seq);     \
			if (gh_store_open(path, s) != GH_OK)                   \
				return -1;                                     \
		}                                                              \
		*a = gh_arena_new(1u << 20);                                   \
		return 0;                                                      \
	}                                                                      \
                                                                               \
	static void __attribute__((unused)) fixture_close(                     \
	    const char *path, struct gh_store *s, struct gh_arena *a)          \
	{                                                                      \
		if (s != NULL)                                                 \
			gh_store_close(s);                                     \
		gh_arena_free(a);                                              \
		if (strncmp(path, "pg:", 3) == 0)                              \
			pg_admin("DROP DATABASE IF EXISTS", path + 3);         \
		else                                                           \
			remove_db(path);                                       \
	}                                                                      \
	struct store_test_dir_semicolon

/* GH_TEST_PG, or NULL: the tests run on SQLite files. */
static const char *
test_pg(void)
{
	const char *e = getenv("GH_TEST_PG");

	return e != NULL && *e != '\0' ? e : NULL;
}

/* A test that works on the SQLite file itself does not apply. */
static void
skip_on_pg(const char *path)
{
	if (test_pg() != NULL || strncmp(path, "pg:", 3) == 0)
		skip();
}

/* Run "verb name" (CREATE/DROP DATABASE) on GH_TEST_PG's server. */
static int
pg_admin(const char *verb, const char *name)
{
	char conninfo[512], sql[160];
	PGconn *pc;
	PGresult *res;
	int rc;

	snprintf(conninfo, sizeof(conninfo), "%s dbname=postgres", test_pg());
	pc = PQconnectdb(conninfo);
	if (PQstatus(pc) != CONNECTION_OK) {
		fprintf(stderr, "GH_TEST_PG: %s", PQerrorMessage(pc));
		PQfinish(pc);
		return -1;
	}
	snprintf(sql, sizeof(sql), "%s %s", verb, name);
	res = PQexec(pc, sql);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pc);
	return rc;
}

/* A fresh, migrated store on a new database `name` of GH_TEST_PG. */
static int
pg_open(const char *name, struct gh_store **s)
{
	struct gh_store_pg_opts o = {0};
	char conninfo[512];

	if (pg_admin("CREATE DATABASE", name) != 0)
		return -1;
	snprintf(conninfo, sizeof(conninfo), "%s dbname=%s", test_pg(), name);
	o.conninfo = conninfo; /* copied by the store */
	o.pool_size = 16;
	o.pool_timeout_ms = 10000;
	o.statement_timeout_ms = 0;
	return gh_store_open_pg(&o, s) == GH_OK ? 0 : -1;
}

static void __attribute__((unused)) remove_db(const char *path)
{
	char p[300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

static void __attribute__((unused)) sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	skip_on_pg(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

static int64_t __attribute__((unused))
sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	skip_on_pg(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

#endif /* GH_STORE_FIXTURE_H */
