/*
 * store_batch.h - the group-commit writer thread behind
 * gh_store_batch_submit (private to store/; store.c is its only user).
 */
#ifndef GH_STORE_BATCH_H
#define GH_STORE_BATCH_H

#include <stdbool.h>

#include "store/store.h"

/* Start the writer thread of s (s->batcher); abort on failure. */
void gh_store_batcher_start(struct gh_store *s);
/* Drain, stop and free it (before the backend closes). */
void gh_store_batcher_free(struct gh_store *s);

/*
 * Called by a write that may change cached authentication answers: true
 * when it runs inside a batch on this thread, in which case the batch
 * invalidates the cache after its commit (earlier, a reader could cache
 * the state from before the commit under the new epoch); false: the
 * caller invalidates now.
 */
bool gh_store_batch_defer_invalidate(struct gh_store *s);

#endif
