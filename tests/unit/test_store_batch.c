/*
 * test_store_batch.c - unit tests for group commit (store/store_batch.c
 * with the SQLite backend's batch hooks and nesting transactions).
 *
 * An operation that blocks inside the writer thread holds a batch open
 * while the test queues more; those then run together in the next batch,
 * which is how the tests put several operations into one transaction.
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

#include "gh.h"
#include "log.h"
#include "store/store.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define T0 INT64_C(1795446282298731)
#define DAY (INT64_C(86400) * 1000000)
#define NOPS 40

STORE_TEST_DIR("/tmp/gh-test-store-batch");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
	struct gh_user u;
	gh_id sid;
	/* completions */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	/* the blocking operation */
	bool block_entered, block_release;
};

/* One queued operation. */
struct op {
	struct fixture *f;
	int kind; /* 0 post, 1 duplicate user, 2 session revoke, 3 block */
	int i;
	enum gh_err result;
	bool called;
	int64_t posts_seen_at_done; /* committed posts when done ran */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned char rh[GH_TOKEN_HASH_LEN] = {1};

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	gh_store_cache_enable(f->s, 64, INT64_C(3600) * 1000000);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (gh_store_user_create(f->s, "alice", "alice@example.com", HASH_A, T0,
	        f->a, &f->u) != GH_OK ||
	    gh_store_session_create(f->s, f->u.id, rh, T0, T0 + DAY, "ua",
	        "127.0.0.1", &f->sid) != GH_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	fixture_close(f->path, f->s, f->a);
	free(f);
	return 0;
}

static enum gh_err
op_run(struct gh_store *s, void *arg)
{
	struct op *o = arg;
	struct fixture *f = o->f;
	struct gh_arena *a = gh_arena_new(1u << 16);
	struct gh_post p;
	struct gh_user u;
	char title[32];
	enum gh_err r = GH_OK;

	switch (o->kind) {
	case 0:
		snprintf(title, sizeof(title), "post %d", o->i);
		r = gh_store_post_create(s, f->u.id, title, "body", T0, a, &p);
		break;
	case 1: /* taken: fails inside its own savepoint */
		r = gh_store_user_create(
		    s, "alice", "other@example.com", HASH_A, T0, a, &u);
		break;
	case 2:
		r = gh_store_session_revoke(s, f->sid, f->u.id, T0 + 1);
		break;
	case 3:
		pthread_mutex_lock(&f->mu);
		f->block_entered = true;
		pthread_cond_broadcast(&f->cv);
		while (!f->block_release)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
		break;
	}
	gh_arena_free(a);
	return r;
}

static enum gh_err
count_post(void *ctx, const struct gh_post *p)
{
	(void)p;
	(*(int *)ctx)++;
	return GH_OK;
}

/* Posts as the store shows them (any backend), on this thread's
 * connection: not the writer's transaction. */
static int
posts(struct fixture *f)
{
	int n = 0;

	assert_int_equal(
	    gh_store_post_list(f->s, 0, -1, count_post, &n), GH_OK);
	return n;
}

static void
op_done(void *arg, enum gh_err r)
{
	struct op *o = arg;
	struct fixture *f = o->f;

	/* done runs after the commit: another connection sees the rows */
	o->posts_seen_at_done = posts(f);
	pthread_mutex_lock(&f->mu);
	o->result = r;
	o->called = true;
	f->done++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void
wait_done(struct fixture *f, int n)
{
	pthread_mutex_lock(&f->mu);
	while (f->done < n)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* Queue the blocking op and wait until the writer thread is inside it. */
static void
block_writer(struct fixture *f, struct op *o)
{
	o->f = f;
	o->kind = 3;
	assert_int_equal(
	    gh_store_batch_submit(f->s, op_run, op_done, o), GH_OK);
	pthread_mutex_lock(&f->mu);
	while (!f->block_entered)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

static void
release_writer(struct fixture *f)
{
	pthread_mutex_lock(&f->mu);
	f->block_release = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* ---- tests ------------------------------------------------------------- */

/* Operations queued together commit together, and each one's done()
 * comes after that commit. */
static void
test_queued_ops_commit_together(void **state)
{
	struct fixture *f = *state;
	struct op blocker, ops[NOPS];
	int i;

	memset(ops, 0, sizeof(ops));
	block_writer(f, &blocker);
	for (i = 0; i < NOPS; i++) {
		ops[i].f = f;
		ops[i].i = i;
		assert_int_equal(
		    gh_store_batch_submit(f->s, op_run, op_done, &ops[i]),
		    GH_OK);
	}
	release_writer(f);
	wait_done(f, NOPS + 1);
	for (i = 0; i < NOPS; i++) {
		assert_true(ops[i].called);
		assert_int_equal(ops[i].result, GH_OK);
		/* one batch: even the first done() sees every post */
		assert_int_equal(ops[i].posts_seen_at_done, NOPS);
	}
}

/* A failing operation undoes only itself; the rest of its batch commits. */
static void
test_failure_is_confined_to_its_op(void **state)
{
	struct fixture *f = *state;
	struct op blocker, ops[3];
	int i;

	memset(ops, 0, sizeof(ops));
	block_writer(f, &blocker);
	for (i = 0; i < 3; i++) {
		ops[i].f = f;
		ops[i].i = i;
		ops[i].kind = i == 1 ? 1 : 0;
		assert_int_equal(
		    gh_store_batch_submit(f->s, op_run, op_done, &ops[i]),
		    GH_OK);
	}
	release_writer(f);
	wait_done(f, 4);
	assert_int_equal(ops[0].result, GH_OK);
	assert_int_equal(ops[1].result, GH_ERR_CONFLICT);
	assert_int_equal(ops[2].result, GH_OK);
	assert_int_equal(posts(f), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 1);
}

/* A revocation run in a batch reaches the authentication cache. */
static void
test_revocation_in_a_batch_invalidates_the_cache(void **state)
{
	struct fixture *f = *state;
	struct op o;
	struct gh_user u;
	bool live;

	assert_int_equal(
	    gh_store_auth_load(f->s, f->u.id, f->sid, f->a, &u, &live), GH_OK);
	assert_true(live); /* cached now */
	memset(&o, 0, sizeof(o));
	o.f = f;
	o.kind = 2;
	assert_int_equal(
	    gh_store_batch_submit(f->s, op_run, op_done, &o), GH_OK);
	wait_done(f, 1);
	assert_int_equal(o.result, GH_OK);
	assert_int_equal(
	    gh_store_auth_load(f->s, f->u.id, f->sid, f->a, &u, &live), GH_OK);
	assert_false(live);
}

/* Drain completes every queued operation and refuses new ones. */
static void
test_drain_finishes_then_refuses(void **state)
{
	struct fixture *f = *state;
	struct op ops[NOPS], late;
	int i;

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < NOPS; i++) {
		ops[i].f = f;
		ops[i].i = i;
		assert_int_equal(
		    gh_store_batch_submit(f->s, op_run, op_done, &ops[i]),
		    GH_OK);
	}
	gh_store_batch_drain(f->s);
	for (i = 0; i < NOPS; i++)
		assert_true(ops[i].called);
	memset(&late, 0, sizeof(late));
	late.f = f;
	assert_int_equal(
	    gh_store_batch_submit(f->s, op_run, op_done, &late), GH_ERR_BUSY);
	assert_int_equal(posts(f), NOPS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_queued_ops_commit_together, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failure_is_confined_to_its_op, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_revocation_in_a_batch_invalidates_the_cache, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_drain_finishes_then_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
