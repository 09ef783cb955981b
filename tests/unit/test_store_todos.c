/*
 * test_store_todos.c - unit tests for store/store_sqlite_todos.c.
 *
 * Every test opens a fresh SQLite file in a temporary directory (the
 * backend keeps one connection per thread, so an in-memory database
 * would not be shared) and goes through the public gh_store_todo_*()
 * interface.  The point of most tests is owner scoping: a todo of
 * another user must behave exactly like one that does not exist, for
 * every operation.  Facts the interface does not expose (the stored
 * timestamp spelling, that a refused update changed nothing) are read
 * with sqlite3 directly.  The cascade on user deletion is tested with
 * user deletion, not here.
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
#include "store/store.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

/* 2026-11-23 15:04:42.298731 UTC */
#define T0 INT64_C(1795446282298731)

STORE_TEST_DIR("/tmp/gh-test-todos");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
	gh_id alice, bob;
};

/* ---- helpers ------------------------------------------------------------ */

static gh_id
mkuser(struct fixture *f, const char *name)
{
	struct gh_user u;
	char email[64];

	snprintf(email, sizeof(email), "%s@example.com", name);
	assert_int_equal(
	    gh_store_user_create(f->s, name, email, HASH_A, T0, f->a, &u),
	    GH_OK);
	return u.id;
}

/* A fresh, migrated store with two users, alice (the admin) and bob. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	f->alice = mkuser(f, "alice");
	f->bob = mkuser(f, "bob");
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

static gh_id
mktodo(struct fixture *f, gh_id uid, const char *title, bool completed)
{
	struct gh_todo t;

	assert_int_equal(
	    gh_store_todo_create(f->s, uid, title, completed, T0, f->a, &t),
	    GH_OK);
	return t.id;
}

/* What a list call saw: ids and titles (copied: records are borrowed). */
struct seen {
	size_t n;
	gh_id ids[64];
	gh_id owners[64];
	bool completed[64];
	int stop_after; /* > 0: answer GH_ERR_INTERNAL after that many rows */
};

static enum gh_err
collect(void *ctx, const struct gh_todo *t)
{
	struct seen *s = ctx;

	assert_true(s->n < GH_ARRAY_SIZE(s->ids));
	assert_non_null(t->title);
	assert_int_equal(t->created_at, T0);
	s->ids[s->n] = t->id;
	s->owners[s->n] = t->user_id;
	s->completed[s->n] = t->completed;
	s->n++;
	if (s->stop_after > 0 && (int)s->n >= s->stop_after)
		return GH_ERR_INTERNAL;
	return GH_OK;
}

static struct seen
list(struct fixture *f, gh_id uid, gh_id after, int64_t limit)
{
	struct seen s = {0};

	assert_int_equal(
	    gh_store_todo_list(f->s, uid, after, limit, collect, &s), GH_OK);
	return s;
}

/* ---- create and get ----------------------------------------------------- */

static void
test_create_get(void **state)
{
	struct fixture *f = *state;
	struct gh_todo t, g;

	assert_int_equal(
	    gh_store_todo_create(f->s, f->bob, "buy milk", false, T0, f->a, &t),
	    GH_OK);
	assert_true(t.id > 0);
	assert_int_equal(t.user_id, f->bob);
	assert_string_equal(t.title, "buy milk");
	assert_false(t.completed);
	assert_int_equal(t.created_at, T0);
	/* stored as SQLAlchemy spells a DateTime */
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM todos WHERE created_at = "
	                     "'2026-11-23 15:04:42.298731' AND completed = 0"),
	    1);

	assert_int_equal(
	    gh_store_todo_get(f->s, t.id, f->bob, f->a, &g), GH_OK);
	assert_int_equal(g.id, t.id);
	assert_int_equal(g.user_id, f->bob);
	assert_string_equal(g.title, "buy milk");
	assert_false(g.completed);
	assert_int_equal(g.created_at, T0);

	assert_int_equal(
	    gh_store_todo_create(f->s, f->bob, "done", true, T0 + 1, f->a, &t),
	    GH_OK);
	assert_true(t.completed);
	assert_int_equal(t.created_at, T0 + 1);
	assert_true(t.id > g.id);
	assert_int_equal(
	    gh_store_todo_get(f->s, t.id, f->bob, f->a, &g), GH_OK);
	assert_true(g.completed);
}

/* Titles are bound, never spliced into SQL, and come back byte for byte. */
static void
test_title_roundtrip(void **state)
{
	static const char *const titles[] = {
	    "' OR 1=1 --",
	    "quote \" back \\ slash",
	    "\xc3\xa9t\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80",
	    "  spaced  ",
	    "x",
	};
	struct fixture *f = *state;
	struct gh_todo t;
	size_t i;
	gh_id id;

	for (i = 0; i < GH_ARRAY_SIZE(titles); i++) {
		id = mktodo(f, f->alice, titles[i], false);
		assert_int_equal(
		    gh_store_todo_get(f->s, id, f->alice, f->a, &t), GH_OK);
		assert_string_equal(t.title, titles[i]);
	}
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM todos"),
	    (int64_t)GH_ARRAY_SIZE(titles));
}

/* Records handed back live in the caller's arena, not in SQLite. */
static void
test_strings_in_arena(void **state)
{
	struct fixture *f = *state;
	struct gh_todo t1, t2;
	gh_id a = mktodo(f, f->bob, "first", false);
	gh_id b = mktodo(f, f->bob, "second", false);

	assert_int_equal(gh_store_todo_get(f->s, a, f->bob, f->a, &t1), GH_OK);
	assert_int_equal(gh_store_todo_get(f->s, b, f->bob, f->a, &t2), GH_OK);
	assert_string_equal(t1.title, "first");
	assert_string_equal(t2.title, "second");
}

static void
test_create_unknown_owner(void **state)
{
	struct fixture *f = *state;
	struct gh_todo t;

	/* the owner vanished since authentication: a foreign key refusal */
	assert_int_equal(gh_store_todo_create(
	                     f->s, f->bob + 100, "orphan", false, T0, f->a, &t),
	    GH_ERR_NOTFOUND);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM todos"), 0);
}

static void
test_get_unknown(void **state)
{
	static const gh_id ids[] = {0, -1, 2, 1000, INT64_MAX};
	struct fixture *f = *state;
	struct gh_todo t;
	size_t i;

	mktodo(f, f->alice, "one", false);
	for (i = 0; i < GH_ARRAY_SIZE(ids); i++)
		assert_int_equal(
		    gh_store_todo_get(f->s, ids[i], f->alice, f->a, &t),
		    GH_ERR_NOTFOUND);
}

/* ---- owner scoping ------------------------------------------------------ */

/* Another user's todo is NOTFOUND for every call, the admin included,
 * and nothing about it changes. */
static void
test_other_users_todo(void **state)
{
	struct fixture *f = *state;
	gh_id mine = mktodo(f, f->bob, "bob's", false);
	gh_id strangers[] = {f->alice, f->bob + 100, 0};
	struct gh_todo t;
	struct seen s;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(strangers); i++) {
		gh_id who = strangers[i];

		assert_int_equal(gh_store_todo_get(f->s, mine, who, f->a, &t),
		    GH_ERR_NOTFOUND);
		assert_int_equal(gh_store_todo_update(
		                     f->s, mine, who, "stolen", 1, f->a, &t),
		    GH_ERR_NOTFOUND);
		assert_int_equal(
		    gh_store_todo_update(f->s, mine, who, NULL, -1, f->a, &t),
		    GH_ERR_NOTFOUND);
		assert_int_equal(
		    gh_store_todo_delete(f->s, mine, who), GH_ERR_NOTFOUND);
		s = list(f, who, 0, -1);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(
	    gh_store_todo_get(f->s, mine, f->bob, f->a, &t), GH_OK);
	assert_string_equal(t.title, "bob's");
	assert_false(t.completed);
	assert_int_equal(t.user_id, f->bob);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM todos"), 1);
}

/* ---- update -------------------------------------------------------------- */

static void
test_update(void **state)
{
	struct fixture *f = *state;
	gh_id id = mktodo(f, f->bob, "first", false);
	struct gh_todo t;

	/* only what is given changes */
	assert_int_equal(
	    gh_store_todo_update(f->s, id, f->bob, NULL, 1, f->a, &t), GH_OK);
	assert_string_equal(t.title, "first");
	assert_true(t.completed);
	assert_int_equal(
	    gh_store_todo_update(f->s, id, f->bob, "second", -1, f->a, &t),
	    GH_OK);
	assert_string_equal(t.title, "second");
	assert_true(t.completed);
	assert_int_equal(
	    gh_store_todo_update(f->s, id, f->bob, "third", 0, f->a, &t),
	    GH_OK);
	assert_string_equal(t.title, "third");
	assert_false(t.completed);
	/* nothing given: the todo as it is */
	assert_int_equal(
	    gh_store_todo_update(f->s, id, f->bob, NULL, -1, f->a, &t), GH_OK);
	assert_string_equal(t.title, "third");
	assert_false(t.completed);
	/* id, owner and date never change */
	assert_int_equal(t.id, id);
	assert_int_equal(t.user_id, f->bob);
	assert_int_equal(t.created_at, T0);
	assert_int_equal(gh_store_todo_get(f->s, id, f->bob, f->a, &t), GH_OK);
	assert_string_equal(t.title, "third");
	assert_false(t.completed);

	assert_int_equal(
	    gh_store_todo_update(f->s, id + 1, f->bob, "x", 1, f->a, &t),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_todo_update(f->s, 0, f->bob, NULL, -1, f->a, &t),
	    GH_ERR_NOTFOUND);
}

/* ---- delete -------------------------------------------------------------- */

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	gh_id a = mktodo(f, f->bob, "a", false);
	gh_id b = mktodo(f, f->bob, "b", false);
	struct gh_todo t;
	struct seen s;

	assert_int_equal(gh_store_todo_delete(f->s, a, f->bob), GH_OK);
	assert_int_equal(
	    gh_store_todo_get(f->s, a, f->bob, f->a, &t), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_todo_delete(f->s, a, f->bob), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_todo_update(f->s, a, f->bob, "x", 1, f->a, &t),
	    GH_ERR_NOTFOUND);
	s = list(f, f->bob, 0, -1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], b);
	/* ids are never reused (AUTOINCREMENT) */
	assert_int_equal(gh_store_todo_delete(f->s, b, f->bob), GH_OK);
	assert_true(mktodo(f, f->bob, "c", false) > b);
}

/* ---- list ---------------------------------------------------------------- */

static void
test_list_own_ordered(void **state)
{
	struct fixture *f = *state;
	gh_id mine[4], theirs;
	struct seen s;
	size_t i;

	mine[0] = mktodo(f, f->bob, "b1", false);
	mine[1] = mktodo(f, f->bob, "b2", true);
	theirs = mktodo(f, f->alice, "a1", false);
	mine[2] = mktodo(f, f->bob, "b3", false);
	mine[3] = mktodo(f, f->bob, "b4", true);

	s = list(f, f->bob, 0, -1);
	assert_int_equal(s.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(s.ids[i], mine[i]);
		assert_int_equal(s.owners[i], f->bob);
		assert_int_equal(s.completed[i], i % 2 == 1);
	}
	s = list(f, f->alice, 0, -1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], theirs);
	assert_int_equal(s.owners[0], f->alice);
	/* a user without todos */
	s = list(f, mkuser(f, "carol"), 0, -1);
	assert_int_equal(s.n, 0);
}

static void
test_list_paging(void **state)
{
	struct fixture *f = *state;
	gh_id ids[7];
	struct seen s;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(ids); i++) {
		ids[i] = mktodo(f, f->bob, "t", false);
		mktodo(f, f->alice, "interleaved", false);
	}
	s = list(f, f->bob, 0, 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], ids[0]);
	assert_int_equal(s.ids[2], ids[2]);
	/* keyset: the next page starts after the last id seen */
	s = list(f, f->bob, ids[2], 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], ids[3]);
	assert_int_equal(s.ids[2], ids[5]);
	s = list(f, f->bob, ids[5], 3);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], ids[6]);
	s = list(f, f->bob, ids[6], 3);
	assert_int_equal(s.n, 0);
	/* an after_id between two of bob's todos (one of alice's) */
	s = list(f, f->bob, ids[1] + 1, -1);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ids[0], ids[2]);
	/* limit < 0 is everything, limit 0 nothing */
	assert_int_equal(list(f, f->bob, 0, -1).n, 7);
	assert_int_equal(list(f, f->bob, 0, 0).n, 0);
	assert_int_equal(list(f, f->bob, INT64_MAX, -1).n, 0);
}

/* A callback's error stops the walk and is handed back. */
static void
test_list_callback_stops(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.stop_after = 2};
	size_t i;

	for (i = 0; i < 5; i++)
		mktodo(f, f->bob, "t", false);
	assert_int_equal(gh_store_todo_list(f->s, f->bob, 0, -1, collect, &s),
	    GH_ERR_INTERNAL);
	assert_int_equal(s.n, 2);
	/* the statement was reset: the next walk starts afresh */
	assert_int_equal(list(f, f->bob, 0, -1).n, 5);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
	struct fixture *f;
	gh_id uid;
	int made;
	enum gh_err r;
};

enum { WORKERS = 4, PER_WORKER = 25 };

/* The list callback of the threads: no cmocka asserts off the main
 * thread, so a foreign row is reported as an error. */
static enum gh_err
collect_any(void *ctx, const struct gh_todo *t)
{
	struct worker *w = ctx;

	/* only ownership can be checked here: the other worker of the same
	 * user may be between its create and its update */
	return t->user_id == w->uid ? GH_OK : GH_ERR_INTERNAL;
}

/* Each thread has its own connection and statements: create, update,
 * list and delete concurrently, every call answered. */
static void *
worker_main(void *p)
{
	struct worker *w = p;
	struct gh_arena *a = gh_arena_new(1u << 16);
	struct gh_todo t;
	int i;

	w->r = GH_OK;
	for (i = 0; i < PER_WORKER && w->r == GH_OK; i++) {
		w->r = gh_store_todo_create(
		    w->f->s, w->uid, "job", false, T0, a, &t);
		if (w->r == GH_OK)
			w->r = gh_store_todo_update(
			    w->f->s, t.id, w->uid, NULL, 1, a, &t);
		if (w->r == GH_OK && i % 5 == 4)
			w->r = gh_store_todo_delete(w->f->s, t.id, w->uid);
		else if (w->r == GH_OK)
			w->made++;
	}
	if (w->r == GH_OK)
		w->r =
		    gh_store_todo_list(w->f->s, w->uid, 0, -1, collect_any, w);
	gh_arena_free(a);
	return NULL;
}

static void
test_threads(void **state)
{
	struct fixture *f = *state;
	struct worker w[WORKERS];
	pthread_t t[WORKERS];
	char q[128];
	int i;

	for (i = 0; i < WORKERS; i++) {
		w[i] =
		    (struct worker){.f = f, .uid = i % 2 ? f->alice : f->bob};
		assert_int_equal(
		    pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < WORKERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (w[i].r != GH_OK)
			fail_msg("worker %d: %s", i, gh_err_str(w[i].r));
		assert_int_equal(w[i].made, PER_WORKER * 4 / 5);
	}
	snprintf(q, sizeof(q),
	    "SELECT count(*) FROM todos WHERE user_id = %lld AND completed",
	    (long long)f->bob);
	assert_int_equal(sql_int(f->path, q), 2 * PER_WORKER * 4 / 5);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM todos"),
	    WORKERS * PER_WORKER * 4 / 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_title_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_strings_in_arena, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_create_unknown_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_other_users_todo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_list_own_ordered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_list_callback_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
