/*
 * workq.c - bounded job queue served by a fixed set of threads.
 *
 * A ring buffer of jobs under one mutex and two condition variables.
 * Workers lower their own priority to nice +19 with setpriority() on
 * their thread id (Linux applies nice per thread): a waking HTTP thread
 * then preempts a hashing one almost at once (at +10, GET p99 under a
 * login flood was twice as high), while hashing still gets a share of a
 * busy machine.  SCHED_IDLE was tried and dropped: a worker preempted
 * while holding a lock an HTTP thread needs (the queue's, malloc's,
 * libmicrohttpd's resume mutex) could stall that thread for as long as
 * the machine stayed busy (GET p99 of 200 ms).  gh_workq_free() lets the
 * workers drain the queue before joining them, so no suspended request is left
 * waiting forever at shutdown.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gh.h"
#include "util/workq.h"
#include "util/banned.h"

#define WORKER_NICE 19

struct gh_workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct gh_workq_job *ring;
	size_t cap, head, len, running;
	bool stopping, joined;
	unsigned nthreads;
	pthread_t *threads;
	/* what a thread does with the jobs it takes, at most batch_max at
	 * a time: run_each, one by one (the hashing pool), or the batched
	 * queue's function */
	void (*batch)(void *ctx, struct gh_workq_job *jobs, size_t n);
	void *batch_ctx;
	size_t batch_max;
};

/* The hashing pool's batch function: each job on its own, then its done. */
static void
run_each(void *ctx, struct gh_workq_job *jobs, size_t n)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		jobs[i].run(jobs[i].arg);
		if (jobs[i].done != NULL)
			jobs[i].done(jobs[i].arg);
	}
}

/* A thread's loop: take up to batch_max queued jobs (1 in the hashing
 * pool), hand them to batch(), repeat until stopped and drained. */
static void
serve(struct gh_workq *q)
{
	struct gh_workq_job *jobs = gh_xcalloc(q->batch_max, sizeof(*jobs));
	size_t n;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->len == 0 && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->len == 0 && q->stopping)
			break;
		for (n = 0; n < q->batch_max && q->len > 0; n++) {
			jobs[n] = q->ring[q->head];
			q->head = (q->head + 1) % q->cap;
			q->len--;
		}
		q->running += n;
		pthread_mutex_unlock(&q->mu);
		q->batch(q->batch_ctx, jobs, n);
		pthread_mutex_lock(&q->mu);
		q->running -= n;
	}
	pthread_mutex_unlock(&q->mu);
	free(jobs);
}

static void *
worker_main(void *p)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);
	serve(p);
	return NULL;
}

static void *
batch_main(void *p)
{
	serve(p);
	return NULL;
}

static struct gh_workq *
queue_new(size_t max_queue, unsigned nthreads)
{
	struct gh_workq *q = gh_xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->cap = max_queue ? max_queue : 1;
	q->ring = gh_xcalloc(q->cap, sizeof(*q->ring));
	q->threads = gh_xcalloc(nthreads ? nthreads : 1, sizeof(pthread_t));
	return q;
}

enum gh_err
gh_workq_new_batched(size_t max_queue, size_t batch_max,
    void (*batch)(void *ctx, struct gh_workq_job *jobs, size_t n), void *ctx,
    struct gh_workq **out)
{
	struct gh_workq *q = queue_new(max_queue, 1);

	*out = NULL;
	q->batch = batch;
	q->batch_ctx = ctx;
	q->batch_max = batch_max ? batch_max : 1;
	if (pthread_create(&q->threads[0], NULL, batch_main, q) != 0) {
		gh_workq_free(q);
		return GH_ERR_INTERNAL;
	}
	q->nthreads = 1;
	*out = q;
	return GH_OK;
}

enum gh_err
gh_workq_new(unsigned nthreads, size_t max_queue, struct gh_workq **out)
{
	struct gh_workq *q = queue_new(max_queue, nthreads);
	unsigned i;

	*out = NULL;
	q->batch = run_each;
	q->batch_max = 1;
	for (i = 0; i < (nthreads ? nthreads : 1); i++) {
		if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0)
			break;
		q->nthreads++;
	}
	if (q->nthreads == 0) {
		gh_workq_free(q);
		return GH_ERR_INTERNAL;
	}
	*out = q;
	return GH_OK;
}

enum gh_err
gh_workq_submit(
    struct gh_workq *q, void (*run)(void *), void (*done)(void *), void *arg)
{
	return gh_workq_submit_spare(q, 0, run, done, arg);
}

enum gh_err
gh_workq_submit_spare(struct gh_workq *q, size_t spare, void (*run)(void *),
    void (*done)(void *), void *arg)
{
	enum gh_err r = GH_ERR_BUSY;

	pthread_mutex_lock(&q->mu);
	if (q->len + spare < q->cap && !q->stopping) {
		q->ring[(q->head + q->len) % q->cap] =
		    (struct gh_workq_job){run, done, arg};
		q->len++;
		pthread_cond_signal(&q->cv);
		r = GH_OK;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

bool
gh_workq_full(struct gh_workq *q)
{
	bool full;

	pthread_mutex_lock(&q->mu);
	full = q->stopping || q->len >= q->cap;
	pthread_mutex_unlock(&q->mu);
	return full;
}

size_t
gh_workq_pending(struct gh_workq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len + q->running;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void
gh_workq_shutdown(struct gh_workq *q)
{
	unsigned i;

	if (q == NULL || q->joined)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	q->joined = true;
}

void
gh_workq_free(struct gh_workq *q)
{
	if (q == NULL)
		return;
	gh_workq_shutdown(q);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q->ring);
	free(q);
}
