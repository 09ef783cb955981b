/*
 * store_fixture.h - helpers the store unit tests share: a temporary
 * folder for the group's databases (STORE_TEST_DIR), removing a database
 * file with its WAL companions, and running SQL on the file directly (to
 * set up or inspect what the interface does not expose).
 * Header-only: each test binary includes it once.
 */
#ifndef GH_STORE_FIXTURE_H
#define GH_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
		snprintf(path, pathsz, "%s/t%d.db", tmp_dir, ++db_seq);        \
		if (gh_store_open(path, s) != GH_OK)                           \
			return -1;                                             \
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
		remove_db(path);                                               \
	}                                                                      \
	struct store_test_dir_semicolon

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
