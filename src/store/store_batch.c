/*
 * store_batch.c - group commit: one writer thread runs the queued
 * operations of gh_store_batch_submit in shared transactions.
 *
 * The queue is a ring of (run, done, arg) under one mutex.  The thread
 * waits for work, takes everything queued (at most BATCH_MAX), and runs
 * it between the backend's batch_begin and batch_end; while it commits,
 * new submissions pile up and form the next batch, so under load batches
 * grow by themselves and at low load an operation waits for nobody.
 * Backends without batch hooks run each operation on its own.
 *
 * Memory: the queue and the thread are the batcher's; arg belongs to the
 * submitter and must stay valid until done() has been called.
 */
#include <pthread.h>
#include <stdlib.h>

#include "gh.h"
#include "log.h"
#include "store/store_batch.h"
#include "store/store_cache.h"
#include "util/banned.h"

#define QUEUE_MAX 4096
#define BATCH_MAX 128

struct op {
	gh_store_batch_run_fn run;
	gh_store_batch_done_fn done;
	void *arg;
};

struct gh_store_batcher {
	struct gh_store *s;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle_cv;
	struct op ring[QUEUE_MAX];
	size_t head, len;
	bool running_batch, draining, stop;
	bool dirty; /* the current batch changed cached answers */
	pthread_t thread;
};

/* The store whose batch this thread is running, if any. */
static _Thread_local struct gh_store *tl_batch;

bool
gh_store_batch_defer_invalidate(struct gh_store *s)
{
	if (tl_batch != s)
		return false;
	s->batcher->dirty = true;
	return true;
}

/* Run ops[0..n) in one transaction; results into r[]. */
static void
run_batch(struct gh_store_batcher *b, struct op *ops, enum gh_err *r, size_t n)
{
	struct gh_store *s = b->s;
	const struct gh_store_ops *o = s->ops;
	enum gh_err br;
	size_t i;

	if (o->batch_begin == NULL) {
		for (i = 0; i < n; i++)
			r[i] = ops[i].run(s, ops[i].arg);
		return;
	}
	b->dirty = false;
	tl_batch = s;
	br = o->batch_begin(s);
	for (i = 0; i < n; i++)
		r[i] = br == GH_OK && o->batch_live(s)
		           ? ops[i].run(s, ops[i].arg)
		           : GH_ERR_DB;
	if (br == GH_OK && (br = o->batch_end(s)) != GH_OK)
		gh_log_error_f("a batch of %zu writes could not commit", n);
	tl_batch = NULL;
	if (br != GH_OK)
		for (i = 0; i < n; i++)
			r[i] = GH_ERR_DB;
	/* after the commit: readers from now on see the new rows */
	if (b->dirty && s->cache != NULL)
		gh_store_cache_invalidate(s->cache);
}

static void *
writer_main(void *arg)
{
	struct gh_store_batcher *b = arg;
	struct op ops[BATCH_MAX];
	enum gh_err r[BATCH_MAX];
	size_t n, i;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->len == 0 && !b->stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->len == 0 && b->stop)
			break;
		for (n = 0; n < BATCH_MAX && b->len > 0; n++) {
			ops[n] = b->ring[b->head];
			b->head = (b->head + 1) % QUEUE_MAX;
			b->len--;
		}
		b->running_batch = true;
		pthread_mutex_unlock(&b->mu);
		run_batch(b, ops, r, n);
		for (i = 0; i < n; i++)
			ops[i].done(ops[i].arg, r[i]);
		pthread_mutex_lock(&b->mu);
		b->running_batch = false;
		if (b->len == 0)
			pthread_cond_broadcast(&b->idle_cv);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

void
gh_store_batcher_start(struct gh_store *s)
{
	struct gh_store_batcher *b = gh_xcalloc(1, sizeof(*b));

	b->s = s;
	if (pthread_mutex_init(&b->mu, NULL) != 0 ||
	    pthread_cond_init(&b->cv, NULL) != 0 ||
	    pthread_cond_init(&b->idle_cv, NULL) != 0 ||
	    pthread_create(&b->thread, NULL, writer_main, b) != 0)
		abort();
	s->batcher = b;
}

enum gh_err
gh_store_batch_submit(struct gh_store *s, gh_store_batch_run_fn run,
    gh_store_batch_done_fn done, void *arg)
{
	struct gh_store_batcher *b = s->batcher;
	enum gh_err r = GH_ERR_BUSY;

	pthread_mutex_lock(&b->mu);
	if (b->len < QUEUE_MAX && !b->draining) {
		b->ring[(b->head + b->len) % QUEUE_MAX] =
		    (struct op){run, done, arg};
		b->len++;
		pthread_cond_signal(&b->cv);
		r = GH_OK;
	}
	pthread_mutex_unlock(&b->mu);
	return r;
}

void
gh_store_batch_drain(struct gh_store *s)
{
	struct gh_store_batcher *b = s->batcher;

	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->draining = true;
	while (b->len > 0 || b->running_batch)
		pthread_cond_wait(&b->idle_cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

void
gh_store_batcher_free(struct gh_store *s)
{
	struct gh_store_batcher *b = s->batcher;

	if (b == NULL)
		return;
	gh_store_batch_drain(s);
	pthread_mutex_lock(&b->mu);
	b->stop = true;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->idle_cv);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
	s->batcher = NULL;
}
