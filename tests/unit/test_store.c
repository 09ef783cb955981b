/*
 * test_store.c - unit tests for store/store.c and store/store_sqlite.c.
 *
 * Every test opens a fresh SQLite file in a temporary directory (the
 * backend keeps one connection per thread, so an in-memory database
 * would not be shared).  The tests go through the public gh_store_*()
 * interface only; facts the interface does not expose (user_version,
 * the is_admin column, AUTOINCREMENT) are read with sqlite3 directly.
 *
 * The seed test writes a database exactly as the seed FastAPI app's
 * SQLAlchemy models create it (DDL and row spellings copied from
 * SQLAlchemy's output), then opens it with gatehouse and checks that
 * the migration kept every id, hash and date.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gh.h"
#include "log.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define HASH_B "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo"
#define BCRYPT "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW"

/* 2026-11-23 15:04:42.298731 UTC */
#define T0 INT64_C(1795446282298731)

STORE_TEST_DIR("/tmp/gh-test-store");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
};

/* ---- helpers --------------------------------------------------------------
 */

static void
new_path(char *path, size_t sz)
{
	skip_on_pg(""); /* a SQLite file of the test's own */
	snprintf(path, sz, "%s/t%d.db", tmp_dir, ++db_seq);
}

/* A fresh, empty, migrated store. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fixture_close(f->path, f->s, f->a);
	free(f);
	return 0;
}

/* The first column of the first row as text, into buf. */
static const char *
sql_text(const char *path, const char *sql, char *buf, size_t sz)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	skip_on_pg(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, sz, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static int
latest_version(void)
{
	int v = 0;
	size_t i;

	for (i = 0; i < gh_schema_sqlite_count; i++)
		v = GH_MAX(v, gh_schema_sqlite[i].version);
	return v;
}

static gh_id
mkuser(struct fixture *f, const char *name, const char *email)
{
	struct gh_user u;

	assert_int_equal(
	    gh_store_user_create(f->s, name, email, HASH_A, T0, f->a, &u),
	    GH_OK);
	return u.id;
}

static gh_id
mkpost(struct fixture *f, gh_id uid, const char *title)
{
	struct gh_post p;

	assert_int_equal(
	    gh_store_post_create(f->s, uid, title, "body", T0, f->a, &p),
	    GH_OK);
	return p.id;
}

/* ---- open and migrations ------------------------------------------------- */

static void
test_migrations_on_empty_db(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	assert_int_equal(gh_store_ping(f->s), GH_OK);
	assert_int_equal(
	    sql_int(f->path, "PRAGMA user_version"), latest_version());
	assert_int_equal(latest_version(), (int)gh_schema_sqlite_count);
	assert_string_equal(
	    sql_text(f->path, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	/* the tables exist, empty, with gatehouse's columns */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 0);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM pragma_table_info('users') "
	                     "WHERE name IN ('role', 'is_active', "
	                     "'created_at', 'token_version', 'is_admin')"),
	    5);
	/* AUTOINCREMENT on both */
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE "
	                     "sql LIKE '%AUTOINCREMENT%' AND "
	                     "name IN ('users', 'posts')"),
	    2);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE "
	                     "name IN ('users_new', 'posts_new')"),
	    0);
}

/* Re-opening an up-to-date database applies nothing and loses nothing. */
static void
test_reopen_idempotent(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	gh_id id;

	skip_on_pg(f->path); /* reopens the SQLite file */
	id = mkuser(f, "alice", "alice@example.com");
	mkpost(f, id, "kept");
	gh_store_close(f->s);
	f->s = NULL;
	assert_int_equal(gh_store_open(f->path, &f->s), GH_OK);
	assert_int_equal(
	    sql_int(f->path, "PRAGMA user_version"), latest_version());
	assert_int_equal(gh_store_user_get(f->s, id, f->a, &u), GH_OK);
	assert_int_equal(u.role, GH_ROLE_ADMIN);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 1);
}

static void
test_open_errors(void **state)
{
	struct gh_store *s = (struct gh_store *)&s;
	char path[256];
	FILE *fp;

	(void)state;
	assert_int_equal(
	    gh_store_open("/nonexistent-dir/x/y.db", &s), GH_ERR_DB);
	assert_null(s);

	/* a file that is not a database */
	new_path(path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, just some text that is long "
	      "enough to fill a header page...................................",
	    fp);
	fclose(fp);
	s = (struct gh_store *)&s;
	assert_int_equal(gh_store_open(path, &s), GH_ERR_DB);
	assert_null(s);
	remove_db(path);

	gh_store_close(NULL);
}

/* ---- users ----------------------------------------------------------------
 */

static void
test_first_user_admin(void **state)
{
	struct fixture *f = *state;
	struct gh_user u1, u2, u3;

	assert_int_equal(gh_store_user_create(f->s, "alice",
	                     "alice@example.com", HASH_A, T0, f->a, &u1),
	    GH_OK);
	assert_int_equal(gh_store_user_create(f->s, "bob", "bob@example.com",
	                     HASH_B, T0 + 1, f->a, &u2),
	    GH_OK);
	assert_int_equal(gh_store_user_create(f->s, "carol",
	                     "carol@example.com", HASH_B, T0 + 2, f->a, &u3),
	    GH_OK);
	assert_int_equal(u1.role, GH_ROLE_ADMIN);
	assert_int_equal(u2.role, GH_ROLE_USER);
	assert_int_equal(u3.role, GH_ROLE_USER);
	assert_true(u1.id < u2.id && u2.id < u3.id);
	/* the seed's is_admin column follows the role */
	assert_int_equal(sql_int(f->path, "SELECT is_admin FROM users "
	                                  "WHERE username = 'alice'"),
	    1);
	assert_int_equal(sql_int(f->path, "SELECT is_admin FROM users "
	                                  "WHERE username = 'bob'"),
	    0);
	/* the record handed back is the one stored */
	assert_string_equal(u2.username, "bob");
	assert_string_equal(u2.email, "bob@example.com");
	assert_string_equal(u2.password_hash, HASH_B);
	assert_true(u2.is_active);
	assert_int_equal(u2.created_at, T0 + 1);
	assert_int_equal(u2.token_version, 0);
}

static void
test_user_conflicts(void **state)
{
	static const struct {
		const char *username, *email;
		enum gh_err want;
	} cases[] = {
	    {"alice", "alice@example.com", GH_OK},
	    {"alice", "other@example.com", GH_ERR_CONFLICT},
	    {"alice2", "alice@example.com", GH_ERR_CONFLICT},
	    {"alice3", "Alice@Example.COM", GH_ERR_CONFLICT},
	    {"alice4", "ALICE@EXAMPLE.COM", GH_ERR_CONFLICT},
	    /* a name equal but for case is taken (RFC 8265 folding) */
	    {"Alice", "capital@example.com", GH_ERR_CONFLICT},
	    {"ALICE", "upper@example.com", GH_ERR_CONFLICT},
	    {"STRASSE", "s1@example.com", GH_OK},
	    {"stra\xc3\x9f"
	     "e",
	        "s2@example.com", GH_ERR_CONFLICT},
	    /* only ASCII folds: these are other addresses */
	    {"eve", "\xc3\xa9ve@example.com", GH_OK},
	    {"eve2", "\xc3\x89ve@example.com", GH_OK},
	    {"eve3", "\xc3\xa9VE@EXAMPLE.com", GH_ERR_CONFLICT},
	    {"bob", "bob@example.com", GH_OK},
	};
	struct fixture *f = *state;
	struct gh_user u;
	size_t i, ok = 0;

	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		enum gh_err r = gh_store_user_create(f->s, cases[i].username,
		    cases[i].email, HASH_A, T0, f->a, &u);

		if (r != cases[i].want)
			fail_msg("%s <%s>: got %s", cases[i].username,
			    cases[i].email, gh_err_str(r));
		if (r == GH_OK)
			ok++;
	}
	/* a refused insert leaves nothing behind, not even an open
	 * transaction: the next create above went through */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), ok);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users "
	                                  "WHERE role = 'admin'"),
	    1);
}

static void
test_user_get(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	gh_id a = mkuser(f, "alice", "alice@example.com");
	gh_id b = mkuser(f, "bob", "bob@example.com");

	assert_int_equal(gh_store_user_get(f->s, b, f->a, &u), GH_OK);
	assert_int_equal(u.id, b);
	assert_string_equal(u.username, "bob");
	assert_int_equal(u.role, GH_ROLE_USER);
	assert_int_equal(u.created_at, T0);
	assert_int_equal(gh_store_user_get(f->s, a, f->a, &u), GH_OK);
	assert_string_equal(u.username, "alice");
	assert_int_equal(u.role, GH_ROLE_ADMIN);

	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "bob", f->a, &u), GH_OK);
	assert_int_equal(u.id, b);
	assert_string_equal(u.email, "bob@example.com");
	assert_string_equal(u.password_hash, HASH_A);

	assert_int_equal(gh_store_user_get(f->s, 0, f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get(f->s, -1, f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get(f->s, b + 100, f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get(f->s, INT64_MAX, f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "Bob", f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "bob ", f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "", f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "' OR 1=1 --", f->a, &u),
	    GH_ERR_NOTFOUND);
}

/* Records' strings live in the caller's arena, not in SQLite's buffers. */
static void
test_user_strings_in_arena(void **state)
{
	struct fixture *f = *state;
	struct gh_user u1, u2;
	size_t before;

	mkuser(f, "alice", "alice@example.com");
	mkuser(f, "bob", "bob@example.com");
	before = gh_arena_used(f->a);
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "alice", f->a, &u1), GH_OK);
	assert_true(gh_arena_used(f->a) > before);
	/* the same prepared statement, run again, must not change u1 */
	assert_int_equal(
	    gh_store_user_get_by_name(f->s, "bob", f->a, &u2), GH_OK);
	assert_string_equal(u1.username, "alice");
	assert_string_equal(u1.email, "alice@example.com");
	assert_string_equal(u2.username, "bob");
}

static void
test_user_rehash(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	gh_id id = mkuser(f, "alice", "alice@example.com");
	gh_id other = mkuser(f, "bob", "bob@example.com");

	/* wrong old hash: GH_OK, nothing changes */
	assert_int_equal(
	    gh_store_user_rehash(f->s, id, HASH_B, "$new1"), GH_OK);
	assert_int_equal(gh_store_user_get(f->s, id, f->a, &u), GH_OK);
	assert_string_equal(u.password_hash, HASH_A);
	/* a missing user: GH_OK, nothing changes */
	assert_int_equal(
	    gh_store_user_rehash(f->s, other + 100, HASH_A, "$new2"), GH_OK);
	/* the right old hash: replaced, and only for that user */
	assert_int_equal(gh_store_user_rehash(f->s, id, HASH_A, HASH_B), GH_OK);
	assert_int_equal(gh_store_user_get(f->s, id, f->a, &u), GH_OK);
	assert_string_equal(u.password_hash, HASH_B);
	assert_int_equal(gh_store_user_get(f->s, other, f->a, &u), GH_OK);
	assert_string_equal(u.password_hash, HASH_A);
	/* the loser of a race (still holding HASH_A) changes nothing */
	assert_int_equal(
	    gh_store_user_rehash(f->s, id, HASH_A, "$late"), GH_OK);
	assert_int_equal(gh_store_user_get(f->s, id, f->a, &u), GH_OK);
	assert_string_equal(u.password_hash, HASH_B);
}

struct ids {
	gh_id id[64];
	char name[64][16];
	size_t n;
	size_t stop_after; /* 0 = never */
};

static enum gh_err
collect_user(void *ctx, const struct gh_user *u)
{
	struct ids *c = ctx;

	assert_true(c->n < GH_ARRAY_SIZE(c->id));
	c->id[c->n] = u->id;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s", u->username);
	c->n++;
	return c->stop_after != 0 && c->n == c->stop_after ? GH_ERR_TOOLARGE
	                                                   : GH_OK;
}

static void
test_user_list(void **state)
{
	static const struct {
		gh_id after;
		int64_t limit;
		const char *want; /* usernames, comma-joined */
	} cases[] = {
	    {0, -1, "u1,u2,u3,u4,u5"},
	    {0, 100, "u1,u2,u3,u4,u5"},
	    {0, 2, "u1,u2"},
	    {0, 0, ""},
	    {2, -1, "u3,u4,u5"},
	    {2, 1, "u3"},
	    {4, 10, "u5"},
	    {5, 10, ""},
	    {-5, 1, "u1"},
	    {INT64_MAX, -1, ""},
	};
	struct fixture *f = *state;
	char got[128];
	struct ids c;
	size_t i, k;

	/* created out of name order: the list is in id order */
	for (i = 1; i <= 5; i++) {
		char name[8], email[32];

		snprintf(name, sizeof(name), "u%zu", i);
		snprintf(email, sizeof(email), "u%zu@example.com", i);
		assert_int_equal(mkuser(f, name, email), (gh_id)i);
	}
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(gh_store_user_list(f->s, cases[i].after,
		                     cases[i].limit, collect_user, &c),
		    GH_OK);
		got[0] = '\0';
		for (k = 0; k < c.n; k++) {
			if (k > 0)
				strcat(got, ",");
			strcat(got, c.name[k]);
			if (k > 0)
				assert_true(c.id[k] > c.id[k - 1]);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("after %lld limit %lld: got \"%s\", want "
			         "\"%s\"",
			    (long long)cases[i].after,
			    (long long)cases[i].limit, got, cases[i].want);
	}
	/* a callback's error stops the walk and is returned */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(
	    gh_store_user_list(f->s, 0, -1, collect_user, &c), GH_ERR_TOOLARGE);
	assert_int_equal(c.n, 2);
	/* and the statement is usable again afterwards */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    gh_store_user_list(f->s, 0, -1, collect_user, &c), GH_OK);
	assert_int_equal(c.n, 5);
}

/* Of N threads racing to register one name, exactly one wins. */
struct race {
	const char *path;
	struct gh_store *s;
	int id;
	enum gh_err r;
};

static void *
race_thread(void *p)
{
	struct race *rc = p;
	struct gh_arena *a = gh_arena_new(4096);
	struct gh_user u;
	char email[64];

	snprintf(email, sizeof(email), "racer%d@example.com", rc->id);
	rc->r = gh_store_user_create(rc->s, "racer", email, HASH_A, T0, a, &u);
	gh_arena_free(a);
	return NULL;
}

static void
test_user_create_race(void **state)
{
	enum { N = 8 };
	struct fixture *f = *state;
	struct race rc[N];
	pthread_t t[N];
	int i, ok = 0, conflict = 0;

	for (i = 0; i < N; i++) {
		rc[i].s = f->s;
		rc[i].id = i;
		rc[i].r = GH_ERR_INTERNAL;
		assert_int_equal(
		    pthread_create(&t[i], NULL, race_thread, &rc[i]), 0);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (rc[i].r == GH_OK)
			ok++;
		else if (rc[i].r == GH_ERR_CONFLICT)
			conflict++;
		else
			fail_msg("thread %d: %s", i, gh_err_str(rc[i].r));
	}
	assert_int_equal(ok, 1);
	assert_int_equal(conflict, N - 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users WHERE "
	                                  "role = 'admin'"),
	    1);
}

/* ---- posts ----------------------------------------------------------------
 */

static void
test_post_crud(void **state)
{
	struct fixture *f = *state;
	struct gh_post p, q;
	gh_id uid = mkuser(f, "alice", "alice@example.com");

	assert_int_equal(
	    gh_store_post_create(f->s, uid, "Title", "Content", T0, f->a, &p),
	    GH_OK);
	assert_true(p.id > 0);
	assert_string_equal(p.title, "Title");
	assert_string_equal(p.content, "Content");
	assert_int_equal(p.user_id, uid);
	assert_int_equal(p.date_posted, T0);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM posts WHERE date_posted = "
	                     "'2026-11-23 15:04:42.298731'"),
	    1);

	assert_int_equal(gh_store_post_get(f->s, p.id, f->a, &q), GH_OK);
	assert_int_equal(q.id, p.id);
	assert_string_equal(q.title, "Title");
	assert_int_equal(q.date_posted, T0);

	/* NULL fields keep their values */
	assert_int_equal(
	    gh_store_post_update(f->s, p.id, "New title", NULL, f->a, &q),
	    GH_OK);
	assert_string_equal(q.title, "New title");
	assert_string_equal(q.content, "Content");
	assert_int_equal(
	    gh_store_post_update(f->s, p.id, NULL, "New content", f->a, &q),
	    GH_OK);
	assert_string_equal(q.title, "New title");
	assert_string_equal(q.content, "New content");
	assert_int_equal(
	    gh_store_post_update(f->s, p.id, NULL, NULL, f->a, &q), GH_OK);
	assert_string_equal(q.title, "New title");
	assert_string_equal(q.content, "New content");
	/* an empty string is a value, not "keep" */
	assert_int_equal(
	    gh_store_post_update(f->s, p.id, "T", "", f->a, &q), GH_OK);
	assert_string_equal(q.content, "");
	/* the date and owner never change */
	assert_int_equal(q.date_posted, T0);
	assert_int_equal(q.user_id, uid);
	assert_int_equal(gh_store_post_get(f->s, p.id, f->a, &q), GH_OK);
	assert_string_equal(q.title, "T");
	assert_string_equal(q.content, "");

	assert_int_equal(
	    gh_store_post_update(f->s, p.id + 1, "x", "y", f->a, &q),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_post_get(f->s, p.id + 1, f->a, &q), GH_ERR_NOTFOUND);

	/* delete: once OK, then NOTFOUND, twice */
	assert_int_equal(gh_store_post_delete(f->s, p.id), GH_OK);
	assert_int_equal(gh_store_post_delete(f->s, p.id), GH_ERR_NOTFOUND);
	assert_int_equal(gh_store_post_delete(f->s, p.id), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_post_get(f->s, p.id, f->a, &q), GH_ERR_NOTFOUND);
	assert_int_equal(gh_store_post_update(f->s, p.id, "x", NULL, f->a, &q),
	    GH_ERR_NOTFOUND);
}

/* A post for a user that does not exist is refused (foreign key). */
static void
test_post_unknown_author(void **state)
{
	struct fixture *f = *state;
	struct gh_post p;

	mkuser(f, "alice", "alice@example.com");
	assert_int_equal(
	    gh_store_post_create(f->s, 999, "t", "c", T0, f->a, &p),
	    GH_ERR_NOTFOUND);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 0);
}

/* Text is stored byte for byte: quotes, UTF-8, long content. */
static void
test_post_text_roundtrip(void **state)
{
	static const char *const texts[] = {"", "'; DROP TABLE posts; --",
	    "\"quoted\"", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "line1\nline2\r\n\ttab", "%s %d %n"};
	struct fixture *f = *state;
	struct gh_post p, q;
	gh_id uid = mkuser(f, "alice", "alice@example.com");
	char *big;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(texts); i++) {
		assert_int_equal(gh_store_post_create(f->s, uid, texts[i],
		                     texts[i], T0, f->a, &p),
		    GH_OK);
		assert_int_equal(
		    gh_store_post_get(f->s, p.id, f->a, &q), GH_OK);
		assert_string_equal(q.title, texts[i]);
		assert_string_equal(q.content, texts[i]);
	}
	big = malloc(100001);
	assert_non_null(big);
	memset(big, 'b', 100000);
	big[100000] = '\0';
	assert_int_equal(
	    gh_store_post_create(f->s, uid, "big", big, T0, f->a, &p), GH_OK);
	assert_int_equal(gh_store_post_get(f->s, p.id, f->a, &q), GH_OK);
	assert_string_equal(q.content, big);
	free(big);
}

static enum gh_err
collect_post(void *ctx, const struct gh_post *p)
{
	struct ids *c = ctx;

	assert_true(c->n < GH_ARRAY_SIZE(c->id));
	c->id[c->n] = p->id;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s", p->title);
	c->n++;
	return c->stop_after != 0 && c->n == c->stop_after ? GH_ERR_TOOLARGE
	                                                   : GH_OK;
}

static void
test_post_list_paging(void **state)
{
	struct fixture *f = *state;
	gh_id uid = mkuser(f, "alice", "alice@example.com");
	gh_id ids[7], after, seen[7];
	size_t i, nseen = 0, pages = 0;
	struct ids c;

	for (i = 0; i < 7; i++) {
		char title[16];

		snprintf(title, sizeof(title), "p%zu", i);
		ids[i] = mkpost(f, uid, title);
	}
	assert_int_equal(gh_store_post_delete(f->s, ids[3]), GH_OK);

	/* walk in pages of 2 with after_id = the last id seen */
	for (after = 0;; after = c.id[c.n - 1]) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(
		    gh_store_post_list(f->s, after, 2, collect_post, &c),
		    GH_OK);
		if (c.n == 0)
			break;
		assert_true(c.n <= 2);
		pages++;
		for (i = 0; i < c.n; i++) {
			assert_true(c.id[i] > after);
			seen[nseen++] = c.id[i];
		}
	}
	assert_int_equal(pages, 3);
	assert_int_equal(nseen, 6);
	assert_int_equal(seen[0], ids[0]);
	assert_int_equal(seen[2], ids[2]);
	assert_int_equal(seen[3], ids[4]); /* ids[3] was deleted */
	assert_int_equal(seen[5], ids[6]);

	/* the callback sees the stored row */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    gh_store_post_list(f->s, ids[1], 1, collect_post, &c), GH_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.name[0], "p2");
	/* limit 0 lists nothing; a callback error stops the walk */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    gh_store_post_list(f->s, 0, 0, collect_post, &c), GH_OK);
	assert_int_equal(c.n, 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(gh_store_post_list(f->s, 0, 100, collect_post, &c),
	    GH_ERR_TOOLARGE);
	assert_int_equal(c.n, 1);
}

/* AUTOINCREMENT: deleting the newest row does not free its id. */
static void
test_ids_never_reused(void **state)
{
	struct fixture *f = *state;
	gh_id uid = mkuser(f, "alice", "alice@example.com");
	gh_id p1 = mkpost(f, uid, "one");
	gh_id p2 = mkpost(f, uid, "two");
	gh_id p3, u2, u3;
	char sql[128];

	assert_int_equal(gh_store_post_delete(f->s, p2), GH_OK);
	p3 = mkpost(f, uid, "three");
	assert_true(p3 > p2);
	assert_int_equal(gh_store_post_delete(f->s, p3), GH_OK);
	assert_int_equal(gh_store_post_delete(f->s, p1), GH_OK);
	assert_true(mkpost(f, uid, "four") > p3);

	/* users too (there is no delete in the interface: use SQL) */
	u2 = mkuser(f, "bob", "bob@example.com");
	snprintf(sql, sizeof(sql), "DELETE FROM users WHERE id = %lld",
	    (long long)u2);
	sql_exec(f->path, sql);
	u3 = mkuser(f, "carol", "carol@example.com");
	assert_true(u3 > u2);
}

/* Deleting a user deletes their posts (ON DELETE CASCADE). */
static void
test_posts_cascade(void **state)
{
	struct fixture *f = *state;
	gh_id a = mkuser(f, "alice", "alice@example.com");
	gh_id b = mkuser(f, "bob", "bob@example.com");
	char sql[128];

	mkpost(f, a, "a1");
	mkpost(f, b, "b1");
	mkpost(f, b, "b2");
	snprintf(sql, sizeof(sql),
	    "PRAGMA foreign_keys=ON; DELETE FROM users WHERE id = %lld",
	    (long long)b);
	sql_exec(f->path, sql);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 1);
}

/* ---- a database written by the seed FastAPI app ----------------------------
 */

/* SQLAlchemy's DDL for app/models.py, index for index. */
static const char seed_schema[] =
    "CREATE TABLE users (\n"
    "\tid INTEGER NOT NULL, \n"
    "\tusername VARCHAR(50) NOT NULL, \n"
    "\temail VARCHAR(120) NOT NULL, \n"
    "\thashed_password VARCHAR(255) NOT NULL, \n"
    "\tis_admin BOOLEAN NOT NULL, \n"
    "\tPRIMARY KEY (id)\n"
    ");\n"
    "CREATE UNIQUE INDEX ix_users_username ON users (username);\n"
    "CREATE UNIQUE INDEX ix_users_email ON users (email);\n"
    "CREATE INDEX ix_users_id ON users (id);\n"
    "CREATE TABLE posts (\n"
    "\tid INTEGER NOT NULL, \n"
    "\ttitle VARCHAR(100) NOT NULL, \n"
    "\tcontent TEXT NOT NULL, \n"
    "\tuser_id INTEGER NOT NULL, \n"
    "\tdate_posted DATETIME NOT NULL, \n"
    "\tPRIMARY KEY (id), \n"
    "\tFOREIGN KEY(user_id) REFERENCES users (id)\n"
    ");\n"
    "CREATE INDEX ix_posts_user_id ON posts (user_id);\n"
    "CREATE INDEX ix_posts_id ON posts (id);\n";

/* Rows as the seed writes them: ids with a gap (a user was deleted),
 * bcrypt hashes, SQLAlchemy's DATETIME spelling. */
static const char seed_rows[] =
    "INSERT INTO users VALUES (1, 'admin', 'admin@example.com', '" BCRYPT
    "', 1);\n"
    "INSERT INTO users VALUES (2, 'bob', 'Bob@Example.com', "
    "'$2b$12$KIXQJqJ1u9bG0QbZ0mYV7e2w1Zr0s3q5c0mQf8lV0dJr2t5h6a7bC', 0);\n"
    "INSERT INTO users VALUES (5, 'carol', 'carol@example.com', "
    "'$2b$12$aaaaaaaaaaaaaaaaaaaaaOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0);\n"
    "INSERT INTO posts VALUES (1, 'Hello', 'First post', 1, "
    "'2026-11-23 15:04:42.298731');\n"
    "INSERT INTO posts VALUES (2, 'Bob''s', 'it''s mine', 2, "
    "'2026-11-23 15:05:00.000001');\n"
    "INSERT INTO posts VALUES (4, 'Later', 'x', 5, "
    "'2025-01-02 03:04:05.000000');\n";

static void
check_seed_rows(struct fixture *f)
{
	static const struct {
		gh_id id;
		const char *username, *email;
		enum gh_role role;
	} users[] = {
	    {1, "admin", "admin@example.com", GH_ROLE_ADMIN},
	    {2, "bob", "Bob@Example.com", GH_ROLE_USER},
	    {5, "carol", "carol@example.com", GH_ROLE_USER},
	};
	static const struct {
		gh_id id;
		const char *title, *content;
		gh_id user_id;
		int64_t date;
	} posts[] = {
	    {1, "Hello", "First post", 1, T0},
	    {2, "Bob's", "it's mine", 2, INT64_C(1795446300000001)},
	    {4, "Later", "x", 5, INT64_C(1735787045000000)},
	};
	struct gh_user u;
	struct gh_post p;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(users); i++) {
		assert_int_equal(
		    gh_store_user_get(f->s, users[i].id, f->a, &u), GH_OK);
		assert_string_equal(u.username, users[i].username);
		assert_string_equal(u.email, users[i].email);
		assert_int_equal(u.role, users[i].role);
		assert_true(u.is_active);
		assert_int_equal(u.token_version, 0);
		assert_true(u.created_at > 0); /* set by the migration */
	}
	assert_int_equal(gh_store_user_get(f->s, 1, f->a, &u), GH_OK);
	assert_string_equal(u.password_hash, BCRYPT);
	assert_int_equal(gh_store_user_get(f->s, 3, f->a, &u), GH_ERR_NOTFOUND);
	for (i = 0; i < GH_ARRAY_SIZE(posts); i++) {
		assert_int_equal(
		    gh_store_post_get(f->s, posts[i].id, f->a, &p), GH_OK);
		assert_string_equal(p.title, posts[i].title);
		assert_string_equal(p.content, posts[i].content);
		assert_int_equal(p.user_id, posts[i].user_id);
		assert_int_equal(p.date_posted, posts[i].date);
	}
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 3);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 3);
}

static void
test_seed_database_migration(void **state)
{
	struct fixture f = {{0}};
	struct gh_user u;
	struct gh_post p;
	char buf[128];

	(void)state;
	new_path(f.path, sizeof(f.path));
	sql_exec(f.path, seed_schema);
	sql_exec(f.path, seed_rows);
	assert_int_equal(sql_int(f.path, "PRAGMA user_version"), 0);

	assert_int_equal(gh_store_open(f.path, &f.s), GH_OK);
	f.a = gh_arena_new(1u << 20);
	assert_int_equal(
	    sql_int(f.path, "PRAGMA user_version"), latest_version());
	check_seed_rows(&f);
	/* is_admin is kept in step with the role */
	assert_int_equal(
	    sql_int(f.path, "SELECT is_admin FROM users WHERE id = 1"), 1);
	assert_int_equal(sql_int(f.path, "SELECT count(*) FROM users WHERE "
	                                 "role = 'admin'"),
	    1);
	/* the seed dates are stored as they were, not rewritten */
	assert_string_equal(
	    sql_text(f.path, "SELECT date_posted FROM posts WHERE id = 1", buf,
	        sizeof(buf)),
	    "2026-11-23 15:04:42.298731");
	/* the database is sound after the rebuild */
	assert_string_equal(
	    sql_text(f.path, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
	assert_int_equal(
	    sql_int(f.path, "SELECT count(*) FROM pragma_foreign_key_check"),
	    0);
	assert_int_equal(sql_int(f.path, "SELECT count(*) FROM sqlite_master "
	                                 "WHERE name IN ('users_new', "
	                                 "'posts_new')"),
	    0);

	/* the seed's rules still hold: unique username, e-mail (now also
	 * case-insensitively), and the next user is not an admin */
	assert_int_equal(gh_store_user_create(f.s, "admin", "new@example.com",
	                     HASH_A, T0, f.a, &u),
	    GH_ERR_CONFLICT);
	assert_int_equal(gh_store_user_create(f.s, "bobby", "bob@example.COM",
	                     HASH_A, T0, f.a, &u),
	    GH_ERR_CONFLICT);
	assert_int_equal(gh_store_user_create(f.s, "dave", "dave@example.com",
	                     HASH_A, T0, f.a, &u),
	    GH_OK);
	assert_int_equal(u.role, GH_ROLE_USER);
	assert_true(u.id > 5);
	/* new posts continue after the seed's highest id */
	assert_int_equal(
	    gh_store_post_create(f.s, u.id, "new", "post", T0, f.a, &p), GH_OK);
	assert_true(p.id > 4);
	assert_int_equal(gh_store_post_delete(f.s, p.id), GH_OK);
	assert_int_equal(gh_store_user_rehash(f.s, 1, BCRYPT, HASH_A), GH_OK);
	assert_int_equal(gh_store_user_rehash(f.s, 1, HASH_A, BCRYPT), GH_OK);
	sql_exec(f.path, "DELETE FROM users WHERE username = 'dave'");

	/* re-open: nothing applied again, nothing lost */
	gh_store_close(f.s);
	assert_int_equal(gh_store_open(f.path, &f.s), GH_OK);
	assert_int_equal(
	    sql_int(f.path, "PRAGMA user_version"), latest_version());
	check_seed_rows(&f);
	/* and the id after the deleted dave is still not reused */
	assert_int_equal(gh_store_user_create(f.s, "erin", "erin@example.com",
	                     HASH_A, T0, f.a, &u),
	    GH_OK);
	assert_true(u.id > 6);

	gh_store_close(f.s);
	gh_arena_free(f.a);
	remove_db(f.path);
}

/* ---- console cookies ------------------------------------------------------
 */

static void
test_session_cookie(void **state)
{
	struct fixture *f = *state;
	unsigned char rh[GH_TOKEN_HASH_LEN], ch[GH_TOKEN_HASH_LEN];
	unsigned char other[GH_TOKEN_HASH_LEN];
	int64_t day = 86400LL * 1000000;
	struct gh_user u;
	gh_id sid = 0, got_sid = 0, got_uid = 0;

	memset(rh, 1, sizeof(rh));
	memset(ch, 2, sizeof(ch));
	memset(other, 3, sizeof(other));
	assert_int_equal(gh_store_user_create(f->s, "alice",
	                     "alice@example.com", HASH_A, T0, f->a, &u),
	    GH_OK);
	assert_int_equal(gh_store_session_create(f->s, u.id, rh, T0, T0 + day,
	                     "ua", "127.0.0.1", &sid),
	    GH_OK);
	/* no cookie yet */
	assert_int_equal(
	    gh_store_session_by_cookie(f->s, ch, T0 + 1, &got_sid, &got_uid),
	    GH_ERR_NOTFOUND);
	assert_int_equal(gh_store_session_set_cookie(f->s, sid, ch), GH_OK);
	assert_int_equal(
	    gh_store_session_by_cookie(f->s, ch, T0 + 1, &got_sid, &got_uid),
	    GH_OK);
	assert_int_equal(got_sid, sid);
	assert_int_equal(got_uid, u.id);
	assert_int_equal(
	    gh_store_session_by_cookie(f->s, other, T0 + 1, &got_sid, &got_uid),
	    GH_ERR_NOTFOUND);
	/* expired, then revoked: gone */
	assert_int_equal(
	    gh_store_session_by_cookie(f->s, ch, T0 + day, &got_sid, &got_uid),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_session_revoke(f->s, sid, u.id, T0 + 2), GH_OK);
	assert_int_equal(
	    gh_store_session_by_cookie(f->s, ch, T0 + 3, &got_sid, &got_uid),
	    GH_ERR_NOTFOUND);
	/* a revoked session takes no cookie; an unknown one neither */
	assert_int_equal(
	    gh_store_session_set_cookie(f->s, sid, other), GH_ERR_NOTFOUND);
	assert_int_equal(gh_store_session_set_cookie(f->s, sid + 100, other),
	    GH_ERR_NOTFOUND);
}

/* Counters whose window is over are deleted (at most once a minute),
 * names nobody has as much as others: the table holds only the last
 * window's failures.  Times far past today's, so that no purge run by
 * an earlier test with the real clock postpones this one. */
static void
test_counters_expire(void **state)
{
	struct fixture *f = *state;
	struct gh_login_counter lc;
	int64_t t = 4000000000LL, window = 900;

	assert_int_equal(
	    gh_store_login_failure_add(f->s, "user", "ghost", t, window, &lc),
	    GH_OK);
	assert_int_equal(gh_store_login_failure_add(
	                     f->s, "addr", "192.0.2.1", t, window, &lc),
	    GH_OK);
	/* inside the window: kept */
	assert_int_equal(gh_store_login_failure_add(f->s, "user", "other",
	                     t + window - 1, window, &lc),
	    GH_OK);
	assert_int_equal(
	    gh_store_login_counter_get(f->s, "user", "ghost", &lc), GH_OK);
	/* a window later: gone, whatever the name; each kind is purged
	 * when one of its own counters is written (each has its window) */
	assert_int_equal(gh_store_login_failure_add(f->s, "user", "other",
	                     t + window + 60, window, &lc),
	    GH_OK);
	assert_int_equal(
	    gh_store_login_counter_get(f->s, "addr", "192.0.2.1", &lc), GH_OK);
	assert_int_equal(gh_store_login_failure_add(f->s, "addr", "192.0.2.2",
	                     t + window + 60, window, &lc),
	    GH_OK);
	assert_int_equal(gh_store_login_counter_get(f->s, "user", "ghost", &lc),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_login_counter_get(f->s, "addr", "192.0.2.1", &lc),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_login_counter_get(f->s, "user", "other", &lc), GH_OK);
	assert_int_equal(lc.failures, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_migrations_on_empty_db, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reopen_idempotent, setup, teardown),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test_setup_teardown(
	        test_first_user_admin, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_user_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_user_strings_in_arena, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_rehash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_user_create_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_post_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_post_unknown_author, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_post_text_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_post_list_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ids_never_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_posts_cascade, setup, teardown),
	    cmocka_unit_test(test_seed_database_migration),
	    cmocka_unit_test_setup_teardown(
	        test_session_cookie, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_counters_expire, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
