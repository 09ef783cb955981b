/*
 * test_workq.c - unit tests for util/workq.c.
 *
 * The pool's promises: every accepted job runs, then its done callback
 * runs on the same worker; a full queue refuses at once with
 * GH_ERR_BUSY; gh_workq_free() runs every job still queued before it
 * returns.  To fill the queue deterministically the single worker is
 * held inside a "gate" job that waits on a condition variable until the
 * test opens the gate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "gh.h"
#include "util/workq.h"

/* ---- a counting job ----------------------------------------------------- */

struct counter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ran, done;
	bool order_ok; /* every done came after its own run */
};

struct job {
	struct counter *c;
	int id;
	bool ran, done;
	pthread_t run_thread, done_thread;
};

static void
counter_init(struct counter *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->order_ok = true;
}

static void
counter_release(struct counter *c)
{
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
}

static void
job_run(void *arg)
{
	struct job *j = arg;

	pthread_mutex_lock(&j->c->mu);
	j->ran = true;
	j->run_thread = pthread_self();
	j->c->ran++;
	pthread_mutex_unlock(&j->c->mu);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	pthread_mutex_lock(&j->c->mu);
	if (!j->ran || j->done)
		j->c->order_ok = false;
	j->done = true;
	j->done_thread = pthread_self();
	j->c->done++;
	pthread_cond_broadcast(&j->c->cv);
	pthread_mutex_unlock(&j->c->mu);
}

/* Wait until c->done reaches n; false after 10 seconds. */
static bool
wait_done(struct counter *c, int n)
{
	struct timespec ts;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&c->mu);
	while (c->done < n && ok)
		ok = pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0;
	ok = c->done >= n;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

/* ---- a gate that holds a worker ----------------------------------------- */

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, open;
};

static void
gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
}

static void
gate_release(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

static void
gate_run(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void
gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* ---- tests -------------------------------------------------------------- */

/* Jobs run on a worker, done follows run on the same thread. */
static void
test_jobs_run(void **state)
{
	static const struct {
		unsigned threads;
		size_t queue;
		int jobs;
	} cases[] = {
	    {1, 1, 1},
	    {1, 64, 50},
	    {4, 64, 64},
	    {8, 256, 200},
	};
	struct gh_workq *q;
	struct counter c;
	struct job jobs[256];
	size_t i;
	int k, submitted;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		counter_init(&c);
		memset(jobs, 0, sizeof(jobs));
		assert_int_equal(
		    gh_workq_new(cases[i].threads, cases[i].queue, &q), GH_OK);
		assert_non_null(q);
		for (k = submitted = 0; k < cases[i].jobs; k++) {
			jobs[k].c = &c;
			jobs[k].id = k;
			/* the queue may be full for a moment: retry */
			while (gh_workq_submit(q, job_run, job_done,
			           &jobs[k]) == GH_ERR_BUSY)
				sched_yield();
			submitted++;
		}
		assert_true(wait_done(&c, submitted));
		pthread_mutex_lock(&c.mu);
		assert_int_equal(c.ran, cases[i].jobs);
		assert_int_equal(c.done, cases[i].jobs);
		assert_true(c.order_ok);
		for (k = 0; k < cases[i].jobs; k++) {
			assert_true(jobs[k].ran && jobs[k].done);
			assert_true(pthread_equal(
			    jobs[k].run_thread, jobs[k].done_thread));
			assert_false(
			    pthread_equal(jobs[k].run_thread, pthread_self()));
		}
		pthread_mutex_unlock(&c.mu);
		gh_workq_free(q);
		counter_release(&c);
	}
}

/* done may be NULL. */
static void
test_done_optional(void **state)
{
	struct gh_workq *q;
	struct counter c;
	struct job j[3] = {{0}};
	int k;

	(void)state;
	counter_init(&c);
	assert_int_equal(gh_workq_new(2, 8, &q), GH_OK);
	for (k = 0; k < 3; k++) {
		j[k].c = &c;
		assert_int_equal(
		    gh_workq_submit(q, job_run, NULL, &j[k]), GH_OK);
	}
	gh_workq_free(q); /* drains */
	assert_int_equal(c.ran, 3);
	assert_int_equal(c.done, 0);
	counter_release(&c);
}

/* One worker held at the gate, a queue of max_queue: exactly max_queue
 * more jobs are accepted, the next is GH_ERR_BUSY and is never run. */
static void
test_full_queue_busy(void **state)
{
	static const size_t sizes[] = {1, 2, 5, 16};
	struct gh_workq *q;
	struct gate g;
	struct counter c;
	struct job jobs[17], extra;
	size_t i, k;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(sizes); i++) {
		gate_init(&g);
		counter_init(&c);
		memset(jobs, 0, sizeof(jobs));
		memset(&extra, 0, sizeof(extra));
		extra.c = &c;
		assert_int_equal(gh_workq_new(1, sizes[i], &q), GH_OK);
		assert_int_equal(gh_workq_submit(q, gate_run, NULL, &g), GH_OK);
		gate_wait_entered(&g); /* the worker holds it: queue empty */
		assert_int_equal(gh_workq_pending(q), 1);
		for (k = 0; k < sizes[i]; k++) {
			jobs[k].c = &c;
			assert_int_equal(
			    gh_workq_submit(q, job_run, job_done, &jobs[k]),
			    GH_OK);
		}
		assert_int_equal(gh_workq_pending(q), sizes[i] + 1);
		assert_int_equal(
		    gh_workq_submit(q, job_run, job_done, &extra), GH_ERR_BUSY);
		assert_int_equal(
		    gh_workq_submit(q, job_run, job_done, &extra), GH_ERR_BUSY);
		assert_int_equal(gh_workq_pending(q), sizes[i] + 1);
		pthread_mutex_lock(&c.mu);
		assert_int_equal(c.ran, 0);
		pthread_mutex_unlock(&c.mu);

		gate_open(&g);
		assert_true(wait_done(&c, (int)sizes[i]));
		/* room again once the queue has drained */
		assert_int_equal(
		    gh_workq_submit(q, job_run, job_done, &extra), GH_OK);
		assert_true(wait_done(&c, (int)sizes[i] + 1));
		gh_workq_free(q);
		assert_int_equal(c.ran, (int)sizes[i] + 1);
		assert_true(c.order_ok);
		gate_release(&g);
		counter_release(&c);
	}
}

/* Jobs still queued when gh_workq_free() is called all run (with their
 * done callbacks) before it returns. */
struct free_ctx {
	struct gh_workq *q;
	struct gate *g;
};

static void *
free_thread(void *p)
{
	struct free_ctx *fc = p;

	gh_workq_free(fc->q);
	return NULL;
}

static void
test_free_drains(void **state)
{
	enum { N = 10 };
	struct gh_workq *q;
	struct gate g;
	struct counter c;
	struct job jobs[N];
	struct free_ctx fc;
	pthread_t t;
	int k;

	(void)state;
	gate_init(&g);
	counter_init(&c);
	memset(jobs, 0, sizeof(jobs));
	assert_int_equal(gh_workq_new(1, N, &q), GH_OK);
	assert_int_equal(gh_workq_submit(q, gate_run, NULL, &g), GH_OK);
	gate_wait_entered(&g);
	for (k = 0; k < N; k++) {
		jobs[k].c = &c;
		assert_int_equal(
		    gh_workq_submit(q, job_run, job_done, &jobs[k]), GH_OK);
	}
	/* free while the worker is held and N jobs wait */
	fc.q = q;
	fc.g = &g;
	assert_int_equal(pthread_create(&t, NULL, free_thread, &fc), 0);
	pthread_mutex_lock(&c.mu);
	assert_int_equal(c.ran, 0);
	pthread_mutex_unlock(&c.mu);
	gate_open(&g);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* gh_workq_free() has returned: every job ran and was done */
	assert_int_equal(c.ran, N);
	assert_int_equal(c.done, N);
	assert_true(c.order_ok);
	for (k = 0; k < N; k++)
		assert_true(jobs[k].done);
	gate_release(&g);
	counter_release(&c);
}

/* Odd sizes are clamped rather than refused; free(NULL) is a no-op. */
static void
test_new_edge_cases(void **state)
{
	struct gh_workq *q = (struct gh_workq *)&q;
	struct counter c;
	struct job j = {0};

	(void)state;
	counter_init(&c);
	j.c = &c;
	assert_int_equal(gh_workq_new(0, 0, &q), GH_OK);
	assert_non_null(q);
	assert_int_equal(gh_workq_pending(q), 0);
	assert_int_equal(gh_workq_submit(q, job_run, job_done, &j), GH_OK);
	assert_true(wait_done(&c, 1));
	gh_workq_free(q);
	gh_workq_free(NULL);
	counter_release(&c);
}

/* ---- the batched kind -------------------------------------------------- */

struct batches {
	pthread_mutex_t mu;
	pthread_cond_t gate_cv;
	bool gate_open, in_first;
	size_t sizes[64], nbatches, ran;
};

static void
b_run(void *arg)
{
	(void)arg;
}

static void
b_batch(void *ctx, struct gh_workq_job *jobs, size_t n)
{
	struct batches *b = ctx;
	size_t i;

	pthread_mutex_lock(&b->mu);
	if (b->nbatches < 64)
		b->sizes[b->nbatches] = n;
	b->nbatches++;
	if (b->nbatches == 1) { /* hold the first batch until told */
		b->in_first = true;
		pthread_cond_broadcast(&b->gate_cv);
		while (!b->gate_open)
			pthread_cond_wait(&b->gate_cv, &b->mu);
	}
	b->ran += n;
	pthread_mutex_unlock(&b->mu);
	for (i = 0; i < n; i++)
		jobs[i].run(jobs[i].arg);
}

static void
test_batched(void **state)
{
	struct batches b = {0};
	struct gh_workq *q;
	int i;

	(void)state;
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.gate_cv, NULL);
	assert_int_equal(gh_workq_new_batched(8, 3, b_batch, &b, &q), GH_OK);
	assert_int_equal(gh_workq_submit(q, b_run, NULL, NULL), GH_OK);
	pthread_mutex_lock(&b.mu);
	while (!b.in_first)
		pthread_cond_wait(&b.gate_cv, &b.mu);
	pthread_mutex_unlock(&b.mu);
	/* while the first batch runs, 8 more queue up; the 9th is refused */
	for (i = 0; i < 8; i++)
		assert_int_equal(gh_workq_submit(q, b_run, NULL, NULL), GH_OK);
	assert_int_equal(gh_workq_submit(q, b_run, NULL, NULL), GH_ERR_BUSY);
	assert_int_equal(gh_workq_pending(q), 9);
	pthread_mutex_lock(&b.mu);
	b.gate_open = true;
	pthread_cond_broadcast(&b.gate_cv);
	pthread_mutex_unlock(&b.mu);
	/* shutdown runs what is queued, in batches of at most 3 */
	gh_workq_shutdown(q);
	assert_int_equal(b.ran, 9);
	assert_int_equal(b.nbatches, 4);
	assert_int_equal(b.sizes[0], 1);
	assert_int_equal(b.sizes[1], 3);
	assert_int_equal(b.sizes[2], 3);
	assert_int_equal(b.sizes[3], 2);
	assert_int_equal(gh_workq_submit(q, b_run, NULL, NULL), GH_ERR_BUSY);
	gh_workq_free(q);
	pthread_cond_destroy(&b.gate_cv);
	pthread_mutex_destroy(&b.mu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jobs_run),
	    cmocka_unit_test(test_done_optional),
	    cmocka_unit_test(test_full_queue_busy),
	    cmocka_unit_test(test_free_drains),
	    cmocka_unit_test(test_new_edge_cases),
	    cmocka_unit_test(test_batched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
