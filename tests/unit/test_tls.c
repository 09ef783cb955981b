/*
 * test_tls.c - unit tests for src/util/tls.c, the per-thread object
 * registry: one object per thread, made once; destroyed when its thread
 * exits, or by gh_tls_free for threads still alive; exactly once each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/tls.h"

static atomic_int made, destroyed;
static atomic_bool refuse;

static void *
make(void *arg)
{
	int *o;

	if (atomic_load(&refuse))
		return NULL;
	o = malloc(sizeof(*o));
	*o = *(int *)arg;
	atomic_fetch_add(&made, 1);
	return o;
}

static void
destroy(void *obj)
{
	free(obj);
	atomic_fetch_add(&destroyed, 1);
}

struct worker {
	struct gh_tls *t;
	void *first, *second;
	int value;               /* *first, read while it is alive */
	pthread_barrier_t *hold; /* NULL: exit at once */
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->first = gh_tls_get(w->t);
	w->second = gh_tls_get(w->t);
	w->value = w->first != NULL ? *(int *)w->first : -1;
	if (w->hold != NULL) {
		pthread_barrier_wait(w->hold); /* got it */
		pthread_barrier_wait(w->hold); /* registry freed */
	}
	return NULL;
}

static void
test_one_per_thread_destroyed_at_exit(void **state)
{
	int tag = 7;
	struct gh_tls *t;
	struct worker w[4];
	pthread_t th[4];
	int i;

	(void)state;
	atomic_store(&made, 0);
	atomic_store(&destroyed, 0);
	t = gh_tls_new(make, destroy, &tag);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){t, NULL, NULL, 0, NULL};
		assert_int_equal(
		    pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++) {
		assert_non_null(w[i].first);
		assert_ptr_equal(w[i].first, w[i].second);
		assert_int_equal(w[i].value, 7);
	}
	/* every thread exited: every object was destroyed then */
	assert_int_equal(atomic_load(&made), 4);
	assert_int_equal(atomic_load(&destroyed), 4);
	gh_tls_free(t);
	assert_int_equal(atomic_load(&destroyed), 4);
}

static void
test_free_destroys_live_threads_objects(void **state)
{
	int tag = 1;
	struct gh_tls *t;
	struct worker w;
	pthread_barrier_t hold;
	pthread_t th;
	void *mine;

	(void)state;
	atomic_store(&made, 0);
	atomic_store(&destroyed, 0);
	t = gh_tls_new(make, destroy, &tag);
	pthread_barrier_init(&hold, NULL, 2);
	w = (struct worker){t, NULL, NULL, 0, &hold};
	assert_int_equal(pthread_create(&th, NULL, worker_main, &w), 0);
	pthread_barrier_wait(&hold);
	mine = gh_tls_get(t);
	assert_non_null(mine);
	assert_ptr_not_equal(mine, w.first);
	gh_tls_free(t); /* the worker is alive, and so is this thread */
	assert_int_equal(atomic_load(&made), 2);
	assert_int_equal(atomic_load(&destroyed), 2);
	pthread_barrier_wait(&hold);
	pthread_join(th, NULL);
	/* its exit destroyed nothing twice */
	assert_int_equal(atomic_load(&destroyed), 2);
	pthread_barrier_destroy(&hold);
}

static void
test_make_failure_is_retried(void **state)
{
	int tag = 3;
	struct gh_tls *t;

	(void)state;
	atomic_store(&made, 0);
	atomic_store(&destroyed, 0);
	t = gh_tls_new(make, destroy, &tag);
	atomic_store(&refuse, true);
	assert_null(gh_tls_get(t));
	atomic_store(&refuse, false);
	assert_non_null(gh_tls_get(t));
	assert_int_equal(atomic_load(&made), 1);
	gh_tls_free(t);
	assert_int_equal(atomic_load(&destroyed), 1);
	gh_tls_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_per_thread_destroyed_at_exit),
	    cmocka_unit_test(test_free_destroys_live_threads_objects),
	    cmocka_unit_test(test_make_failure_is_retried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
