/*
 * test_store_bg.c - unit tests for the SQLite backend's background work
 * (store/store_sqlite.c): WAL checkpoints off the request path, and the
 * audit queue (store/store_sqlite_admin.c) written without a reader
 * asking, in order, and completely at close.
 *
 * The background thread works on its own schedule, so these tests poll
 * the database file (sqlite3 directly, as another process would) with a
 * deadline instead of sleeping a fixed time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gh.h"
#include "log.h"
#include "store/store.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define T0 INT64_C(1795446282298731)
#define DEADLINE_MS 10000

STORE_TEST_DIR("/tmp/gh-test-store-bg");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
	struct gh_user u;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	if (gh_store_user_create(f->s, "alice", "alice@example.com", HASH_A, T0,
	        f->a, &f->u) != GH_OK)
		return -1;
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

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

static void
add_audit(struct fixture *f, int i)
{
	struct gh_audit_entry e;
	char detail[32];

	memset(&e, 0, sizeof(e));
	snprintf(detail, sizeof(detail), "n=%d", i);
	e.at = T0 + i;
	e.event = "test.event";
	e.user_id = f->u.id;
	e.username = "alice";
	e.ip = "127.0.0.1";
	e.success = true;
	e.detail = detail; /* copied by the queue: reused at once */
	assert_int_equal(gh_store_audit_add(f->s, &e), GH_OK);
}

/* ---- tests ------------------------------------------------------------- */

/* Thousands of commits: the background thread copies the WAL into the
 * database file (which grows) with no request doing it. */
static void
test_checkpoints_run_in_the_background(void **state)
{
	struct fixture *f = *state;
	off_t before = file_size(f->path);
	struct gh_post p;
	char body[600];
	int i, waited;

	skip_on_pg(""); /* SQLite's checkpoints and audit queue */
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (i = 0; i < 3000; i++)
		assert_int_equal(gh_store_post_create(f->s, f->u.id, "title",
		                     body, T0 + i, f->a, &p),
		    GH_OK);
	for (waited = 0;
	     waited < DEADLINE_MS && file_size(f->path) < before + 1024 * 1024;
	     waited += 20)
		sleep_ms(20);
	if (file_size(f->path) < before + 1024 * 1024)
		fail_msg("database file %lld bytes after 3000 posts: no "
		         "checkpoint ran",
		    (long long)file_size(f->path));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM posts"), 3000);
}

/* Queued audit rows reach the database without anyone reading the log,
 * each once, in the order they were added. */
static void
test_audit_queue_is_written_in_order(void **state)
{
	struct fixture *f = *state;
	int i, waited;

	skip_on_pg(""); /* SQLite's checkpoints and audit queue */
	for (i = 0; i < 500; i++)
		add_audit(f, i);
	for (waited = 0;
	     waited < DEADLINE_MS &&
	     sql_int(f->path, "SELECT count(*) FROM audit_log") < 500;
	     waited += 20)
		sleep_ms(20);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM audit_log"), 500);
	/* ids follow the order of the events */
	assert_int_equal(
	    sql_int(f->path,
	        "SELECT count(*) FROM audit_log a JOIN audit_log b "
	        "ON b.id > a.id WHERE CAST(substr(b.detail, 3) AS "
	        "INTEGER) < CAST(substr(a.detail, 3) AS INTEGER)"),
	    0);
}

/* Closing the store writes whatever is still queued. */
static void
test_close_flushes_the_audit_queue(void **state)
{
	struct fixture *f = *state;
	int i;

	skip_on_pg("");            /* SQLite's checkpoints and audit queue */
	for (i = 0; i < 5000; i++) /* more than the queue's bound, too */
		add_audit(f, i);
	gh_store_close(f->s);
	f->s = NULL;
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM audit_log"), 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_checkpoints_run_in_the_background, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_audit_queue_is_written_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_close_flushes_the_audit_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
