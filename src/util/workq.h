/*
 * workq.h - a bounded pool of low-priority worker threads.
 *
 * Password hashing costs milliseconds of CPU; doing it on an HTTP
 * thread would make every other request wait behind logins.  Handlers
 * hand such work to this pool instead: run(arg) executes on a worker
 * (at nice +10, so HTTP threads win the CPU), then done(arg) runs on the
 * same worker to hand the result back (typically: resume the suspended
 * connection).  The queue is bounded: a full queue refuses new work with
 * GH_ERR_BUSY at once, so a login flood gets 503s, never a hang.
 *
 * The same queue, served by one thread at normal priority that takes
 * every job queued at once (up to a maximum) and hands them to a batch
 * function, is the store's group-commit writer (gh_workq_new_batched).
 */
#ifndef GH_WORKQ_H
#define GH_WORKQ_H

#include <stddef.h>

#include "gh.h"

struct gh_workq;

/* Start nthreads workers (>= 1) with room for max_queue waiting jobs. */
enum gh_err gh_workq_new(
    unsigned nthreads, size_t max_queue, struct gh_workq **out);

/* One queued job as a batch function receives it. */
struct gh_workq_job {
	void (*run)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

/*
 * One thread at normal priority with room for max_queue waiting jobs:
 * it waits for work, takes up to batch_max queued jobs and calls
 * batch(ctx, jobs, n), which runs them however it likes and calls each
 * done (the jobs' run and done are whatever the submitters passed: the
 * batch function knows their real types).  Jobs submitted meanwhile form
 * the next batch.
 */
enum gh_err gh_workq_new_batched(size_t max_queue, size_t batch_max,
    void (*batch)(void *ctx, struct gh_workq_job *jobs, size_t n), void *ctx,
    struct gh_workq **out);

/* Queue a job. GH_ERR_BUSY when the queue is full (nothing queued). */
enum gh_err gh_workq_submit(struct gh_workq *q, void (*run)(void *arg),
    void (*done)(void *arg), void *arg);

/* As gh_workq_submit, but refused while fewer than spare + 1 slots are
 * free: the last spare slots stay for other callers (logins keep room
 * that registrations cannot take). */
enum gh_err gh_workq_submit_spare(struct gh_workq *q, size_t spare,
    void (*run)(void *arg), void (*done)(void *arg), void *arg);

/* Would gh_workq_submit refuse a job right now (queue full or shut
 * down)?  A hint: the answer may change before the next submit. */
bool gh_workq_full(struct gh_workq *q);

/* Jobs queued or running right now. */
size_t gh_workq_pending(struct gh_workq *q);

/* Refuse new jobs (GH_ERR_BUSY from now on), finish every queued job,
 * stop the workers.  The pool stays allocated until gh_workq_free(). */
void gh_workq_shutdown(struct gh_workq *q);

/* gh_workq_shutdown() if not done yet, then free the pool. */
void gh_workq_free(struct gh_workq *q);

#endif /* GH_WORKQ_H */
