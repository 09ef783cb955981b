/*
 * h_todos.c - the todos API (seed 004, issue 4): each user's private list.
 *
 * A todo exists only for its owner.  Every store call is scoped to the
 * caller (req->actor.uid) in SQL, so another user's todo, for admins too,
 * is the same 404 "Todo not found" as one that never existed: its
 * existence does not leak, and no policy call is needed.
 *
 * The server has checked the rows' input before a handler runs
 * (http/input.h): the guard, then one 422 for the path, query and body
 * (TodoCreate, TodoUpdate; "completed" only as JSON true or false), then
 * the todo is loaded (404).  Responses are TodoResponse objects
 * written with util/jsonw.h; the list is streamed page by page.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define NOT_FOUND "Todo not found"

/* TodoResponse. */
static void
todo_write(struct gh_jsonw *w, const struct gh_todo *t)
{
	char ts[GH_TIME_BUFSZ];

	gh_time_rfc3339(t->created_at, ts);
	gh_jsonw_lit(w, "{\"id\":");
	gh_jsonw_int(w, t->id);
	gh_jsonw_lit(w, ",\"title\":");
	gh_jsonw_str(w, t->title);
	gh_jsonw_lit(w, ",\"completed\":");
	gh_jsonw_bool(w, t->completed);
	gh_jsonw_lit(w, ",\"user_id\":");
	gh_jsonw_int(w, t->user_id);
	gh_jsonw_lit(w, ",\"created_at\":");
	gh_jsonw_str(w, ts);
	gh_jsonw_lit(w, "}");
}

static enum gh_err
send_todo(struct gh_req *req, unsigned status, const struct gh_todo *t)
{
	struct gh_jsonw w = {0};

	todo_write(&w, t);
	return gh_resp_jsonw(req, status, &w);
}

/* The store's answer for a todo of the caller: 404 when there is none. */
static enum gh_err
send_result(
    struct gh_req *req, enum gh_err r, unsigned status, const struct gh_todo *t)
{
	if (r == GH_OK)
		return send_todo(req, status, t);
	return gh_fail(req, r, r == GH_ERR_NOTFOUND ? NOT_FOUND : NULL);
}

/*
 * Writes (create, update, delete) are committed by the store's writer
 * thread with the other writes queued meanwhile (gh_h_defer_write); the
 * job lives in the request arena.  Each store call stays scoped to the
 * caller.
 */
enum todo_op { TODO_CREATE, TODO_UPDATE, TODO_DELETE };

struct todo_job {
	struct gh_h_job job; /* first: the resumed handler casts back */
	enum todo_op op;
	gh_id id, owner;
	const char *title; /* NULL: unchanged (update) */
	int completed;     /* -1: unchanged (update) */
	int64_t now;
	struct gh_todo todo;
};

static enum gh_err
todo_job_run(struct gh_store *s, struct gh_h_job *job)
{
	struct todo_job *j = (struct todo_job *)(void *)job;
	struct gh_arena *a = job->req->arena;

	switch (j->op) {
	case TODO_CREATE:
		return gh_store_todo_create(s, j->owner, j->title,
		    j->completed != 0, j->now, a, &j->todo);
	case TODO_UPDATE:
		return gh_store_todo_update(
		    s, j->id, j->owner, j->title, j->completed, a, &j->todo);
	case TODO_DELETE:
		return gh_store_todo_delete(s, j->id, j->owner);
	}
	return GH_ERR_INTERNAL;
}

/* Queue op for the caller's todo (id); title points into req->json,
 * which lives until the request completes.  The request is suspended.
 * GH_OK, or the error answer already queued. */
static enum gh_err
todo_job_submit(struct gh_req *req, enum todo_op op, gh_id id,
    const char *title, int completed)
{
	struct todo_job *j = gh_arena_alloc(req->arena, sizeof(*j));

	if (j == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->id = id;
	j->owner = req->actor.uid; /* the caller, whatever the body says */
	j->title = title;
	j->completed = completed;
	j->now = gh_time_now_usec();
	gh_h_defer_write(req, &j->job, todo_job_run);
	return GH_OK;
}

/* The second call of a todo write: its commit is done. */
static enum gh_err
todo_job_finish(struct gh_req *req, struct todo_job *j)
{
	enum gh_err r = j->job.result;

	if (r == GH_ERR_BUSY)
		return gh_fail_busy(req, "write");
	switch (j->op) {
	case TODO_CREATE:
		if (r == GH_OK)
			return send_todo(req, 201, &j->todo);
		/* NOTFOUND: the caller vanished since authentication */
		return gh_fail(req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r, NULL);
	case TODO_UPDATE:
		return send_result(req, r, 200, &j->todo);
	case TODO_DELETE:
		break;
	}
	if (r == GH_OK)
		return gh_resp_empty(req, 204);
	return gh_fail(req, r, r == GH_ERR_NOTFOUND ? NOT_FOUND : NULL);
}

enum gh_err
h_todos_create(struct gh_req *req)
{
	int completed;

	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	/* the body passed TodoCreate (http/input.h) */
	completed = gh_h_bool(req, "completed"); /* -1: absent */
	return todo_job_submit(req, TODO_CREATE, 0, gh_h_str(req, "title"),
	    completed < 0 ? 0 : completed);
}

static enum gh_err
todo_row(void *ctx, const struct gh_todo *t)
{
	todo_write(gh_h_stream_row(ctx, t->id), t);
	return GH_OK;
}

/* ctx is the owner's id, copied into the stream's state. */
static enum gh_err
todos_page(struct gh_store *s, const void *ctx, gh_id after_id, int64_t n,
    void *emit_ctx)
{
	const gh_id *owner = ctx;

	return gh_store_todo_list(s, *owner, after_id, n, todo_row, emit_ctx);
}

enum gh_err
h_todos_list(struct gh_req *req)
{
	gh_id owner = req->actor.uid;

	return gh_h_stream_list_ctx(req, todos_page, &owner, sizeof(owner),
	    gh_req_query_int(req, "after_id", 0),
	    gh_req_query_int(req, "limit", -1));
}

enum gh_err
h_todos_get(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct gh_todo t;
	enum gh_err r;

	r = gh_store_todo_get(
	    app->store, req->id, req->actor.uid, req->arena, &t);
	return send_result(req, r, 200, &t);
}

/* PATCH and PUT: the fields present change. */
enum gh_err
h_todos_update(struct gh_req *req)
{
	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	/* load and change in one statement scoped to the caller: a todo of
	 * someone else is not found, never changed */
	return todo_job_submit(req, TODO_UPDATE, req->id,
	    gh_h_str(req, "title"), gh_h_bool(req, "completed"));
}

enum gh_err
h_todos_delete(struct gh_req *req)
{
	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	return todo_job_submit(req, TODO_DELETE, req->id, NULL, -1);
}
