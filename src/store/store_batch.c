/*
 * store_batch.c - group commit: one writer thread runs the queued
 * operations of gh_store_batch_submit in shared transactions.
 *
 * The queue and the thread are util/workq's batched kind: the thread
 * waits for work, takes everything queued (at most BATCH_MAX) and hands
 * it to run_batch, which runs it between the backend's batch_begin and
 * batch_end; while it commits, new submissions pile up and form the next
 * batch, so under load batches grow by themselves and at low load an
 * operation waits for nobody.  Backends without batch hooks run each
 * operation on its own.
 *
 * The queue carries each operation's run and done as workq's generic
 * function pointers; run_batch converts them back to their real types
 * (gh_store_batch_run_fn, gh_store_batch_done_fn) before calling them.
 *
 * Memory: the queue and the thread are the batcher's; arg belongs to the
 * submitter and must stay valid until done() has been called.
 */
#include <stdlib.h>

#include "gh.h"
#include "log.h"
#include "store/store_batch.h"
#include "store/store_cache.h"
#include "util/workq.h"
#include "util/banned.h"

#define QUEUE_MAX 4096
#define BATCH_MAX 128

struct gh_store_batcher {
	struct gh_store *s;
	struct gh_workq *q;
	bool dirty; /* the current batch changed cached answers */
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

bool
gh_store_in_batch(struct gh_store *s)
{
	return tl_batch == s;
}

static enum gh_err
op_run(struct gh_store *s, const struct gh_workq_job *j)
{
	return ((gh_store_batch_run_fn)(void (*)(void))j->run)(s, j->arg);
}

/* The workq's batch function: jobs[0..n) in one transaction, then each
 * done() with its result. */
static void
run_batch(void *ctx, struct gh_workq_job *jobs, size_t n)
{
	struct gh_store_batcher *b = ctx;
	struct gh_store *s = b->s;
	const struct gh_store_ops *o = s->ops;
	enum gh_err r[BATCH_MAX], br = GH_OK;
	size_t i;

	if (o->batch_begin == NULL) {
		for (i = 0; i < n; i++)
			r[i] = op_run(s, &jobs[i]);
	} else {
		b->dirty = false;
		tl_batch = s;
		br = o->batch_begin(s);
		for (i = 0; i < n; i++) {
			if (br != GH_OK || !o->batch_live(s) ||
			    (o->job_begin != NULL &&
			        o->job_begin(s) != GH_OK)) {
				r[i] = GH_ERR_DB;
				continue;
			}
			r[i] = op_run(s, &jobs[i]);
			if (o->job_end != NULL && o->job_end(s) != GH_OK)
				r[i] = GH_ERR_DB; /* undone: it did nothing */
		}
		if (br == GH_OK && (br = o->batch_end(s)) != GH_OK)
			gh_log_error_f(
			    "a batch of %zu writes could not commit", n);
		tl_batch = NULL;
		if (br != GH_OK)
			for (i = 0; i < n; i++)
				r[i] = GH_ERR_DB;
		/* after the commit: readers from now on see the new rows */
		if (b->dirty && s->cache != NULL)
			gh_store_cache_invalidate(s->cache);
	}
	for (i = 0; i < n; i++)
		((gh_store_batch_done_fn)(void (*)(void))jobs[i].done)(
		    jobs[i].arg, r[i]);
}

void
gh_store_batcher_start(struct gh_store *s)
{
	struct gh_store_batcher *b = gh_xcalloc(1, sizeof(*b));

	b->s = s;
	if (gh_workq_new_batched(QUEUE_MAX, BATCH_MAX, run_batch, b, &b->q) !=
	    GH_OK)
		abort();
	s->batcher = b;
}

enum gh_err
gh_store_batch_submit(struct gh_store *s, gh_store_batch_run_fn run,
    gh_store_batch_done_fn done, void *arg)
{
	return gh_workq_submit(s->batcher->q,
	    (void (*)(void *))(void (*)(void))run,
	    (void (*)(void *))(void (*)(void))done, arg);
}

void
gh_store_batch_drain(struct gh_store *s)
{
	/* refuses new operations, runs the queued ones, stops the thread */
	if (s->batcher != NULL)
		gh_workq_shutdown(s->batcher->q);
}

void
gh_store_batcher_free(struct gh_store *s)
{
	struct gh_store_batcher *b = s->batcher;

	if (b == NULL)
		return;
	gh_workq_free(b->q);
	free(b);
	s->batcher = NULL;
}
