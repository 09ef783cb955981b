/*
 * audit.c - gh_audit(): one entry in the audit log per security event.
 *
 * The audit log is data, not the debug log: entries go to the store's
 * audit_log table, where admins read them (GET /admin/audit).  An entry
 * carries the time, the event name, who acted (user id and name), the
 * client address, the outcome, the user acted upon and a short detail.
 * Callers never pass a secret (password, token, key, hash) in any
 * field; this module adds nothing but the time, the address and, for an
 * authenticated request, the actor's name.
 *
 * An entry is on disk before its request is answered: gh_audit keeps
 * it with the request (copied into the arena) and sets the request's
 * answer barrier (http/req.h); when the handler has answered, the server
 * holds the answer and calls audit_barrier, which writes the request's
 * entries in a group-commit batch (gh_store_audit_write) and resumes the
 * request once that batch has committed.  A kill -9 after an answer
 * therefore loses no audit row of it.
 *
 * Recording is still best effort: a row SQLite refuses is logged and
 * skipped, and when the writer's queue is full the entries go to the
 * store's background queue instead, so an audit hiccup never turns a
 * successful operation into an error response.
 */
#include <string.h>

#include "handlers/app.h"
#include "handlers/schemas.h"
#include "log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/banned.h"

/* The longest name an entry records, in bytes: a username of
 * GH_USERNAME_MAX code points fits in any script. */
#define GH_AUDIT_NAME_MAX (4 * GH_USERNAME_MAX)

/* A request's entries, in the order they happened (in its arena). */
struct pending {
	struct pending *next;
	struct gh_audit_entry e;
};

static const char *
dup(struct gh_req *req, const char *s)
{
	return s != NULL ? gh_arena_strndup(req->arena, s, strlen(s)) : NULL;
}

/* The background queue: when the entries cannot wait for the writer. */
static void
queue_later(struct gh_req *req, const struct gh_audit_entry *e)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	if ((r = gh_store_audit_add(app->store, e)) != GH_OK)
		gh_log_warn_f(
		    "audit event %s not recorded: %s", e->event, gh_err_str(r));
}

static enum gh_err
write_run(struct gh_store *s, void *arg)
{
	struct gh_req *req = arg;
	struct pending *p;
	enum gh_err r;

	for (p = req->barrier_state; p != NULL; p = p->next)
		if ((r = gh_store_audit_write(s, &p->e)) != GH_OK)
			gh_log_error_f("audit event %s not recorded: %s",
			    p->e.event, gh_err_str(r));
	return GH_OK;
}

static void
write_done(void *arg, enum gh_err r)
{
	struct gh_req *req = arg;
	struct pending *p;

	if (r != GH_OK) /* the batch failed: the queue is the last resort */
		for (p = req->barrier_state; p != NULL; p = p->next)
			queue_later(req, &p->e);
	gh_req_resume(req);
}

/* The request's answer barrier: its entries are committed, then the
 * request resumes and its answer is sent. */
static void
audit_barrier(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct pending *p;

	if (gh_store_batch_submit(app->store, write_run, write_done, req) ==
	    GH_OK)
		return;
	for (p = req->barrier_state; p != NULL; p = p->next)
		queue_later(req, &p->e);
	gh_req_resume(req);
}

void
gh_audit(struct gh_req *req, const char *event, bool success, gh_id user_id,
    const char *username, gh_id target_user_id, const char *detail)
{
	const struct gh_user *u = req->principal;
	struct gh_audit_entry e = {0};
	struct pending *p, **tail;

	/* a name from a client is bounded before it reaches here (login:
	 * GH_USERNAME_MAX); this bound keeps any other path from writing an
	 * unbounded one: a longer name is recorded by its first bytes */
	if (username != NULL && strlen(username) > GH_AUDIT_NAME_MAX)
		username = gh_arena_strndup(req->arena, username,
		    gh_utf8_valid_prefix(username, GH_AUDIT_NAME_MAX));
	e.at = gh_time_now_usec();
	e.event = event;
	e.success = success;
	e.user_id = user_id;
	e.username = username;
	/* the actor's own name, never someone else's: only when the entry
	 * is about the authenticated principal (or names no one) */
	if (username == NULL && req->authenticated && u != NULL &&
	    (user_id == 0 || user_id == u->id))
		e.username = u->username;
	e.ip = req->ip;
	e.target_user_id = target_user_id;
	e.detail = detail;
	/* called inside a group-commit job (the request's own write): the
	 * row joins that transaction and commits before the answer */
	if (gh_store_in_batch(((struct gh_app *)req->app)->store)) {
		if (gh_store_audit_write(
		        ((struct gh_app *)req->app)->store, &e) != GH_OK)
			gh_log_error_f("audit event %s not recorded", event);
		return;
	}
	/* answered already (nothing holds it), or no room: the queue */
	if ((req->responded && req->barrier == NULL) ||
	    (p = gh_arena_alloc(req->arena, sizeof(*p))) == NULL) {
		queue_later(req, &e);
		return;
	}
	p->e = e;
	p->e.event = dup(req, e.event);
	p->e.username = dup(req, e.username);
	p->e.ip = dup(req, e.ip);
	p->e.detail = dup(req, e.detail);
	p->next = NULL;
	for (tail = (struct pending **)&req->barrier_state; *tail != NULL;
	     tail = &(*tail)->next)
		;
	*tail = p;
	req->barrier = audit_barrier;
}
