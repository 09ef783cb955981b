/*
 * h_todos.c - the todos API (seed 004, issue 4): each user's private list.
 *
 * A todo exists only for its owner.  Every store call is scoped to the
 * caller (req->actor.uid) in SQL, so another user's todo, for admins too,
 * is the same 404 "Todo not found" as one that never existed: its
 * existence does not leak, and no policy call is needed.
 *
 * Validation order follows FastAPI and h_posts.c: the route's guard has
 * already run; path and body errors are collected into one 422; only
 * then is the todo loaded (404).  Responses are TodoResponse objects
 * written with util/jsonw.h; the list is streamed page by page.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define TITLE_MAX 200
#define LIST_LIMIT_MAX 1000
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

/*
 * Read the optional boolean field name of obj into *out (1 or 0; left
 * alone when absent).  Only JSON true and false are booleans: pydantic
 * 1 would also take 1, "yes" or "on", which API.md's "completed: bool"
 * does not allow.  null is refused as for every other field.  Returns
 * false when an error was appended to errs.
 */
static bool
bool_field(json_t *obj, const char *name, json_t *errs, int *out)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return true;
	if (json_is_null(v)) {
		gh_verr_add(errs, "body", name, -1,
		    "none is not an allowed value",
		    "type_error.none.not_allowed", NULL);
		return false;
	}
	if (!json_is_boolean(v)) {
		gh_verr_add(errs, "body", name, -1,
		    "value could not be parsed to a boolean", "type_error.bool",
		    NULL);
		return false;
	}
	*out = json_is_true(v) ? 1 : 0;
	return true;
}

/* The store's answer for a todo of the caller: 404 when there is none. */
static enum gh_err
send_result(
    struct gh_req *req, enum gh_err r, unsigned status, const struct gh_todo *t)
{
	if (r == GH_OK)
		return send_todo(req, status, t);
	return gh_resp_err(req, r, r == GH_ERR_NOTFOUND ? NOT_FOUND : NULL);
}

/*
 * Writes (create, update, delete) are committed by the store's writer
 * thread with the other writes queued meanwhile (gh_h_write_submit); the
 * job lives in the request arena with a copy of the title (the JSON body
 * is freed before the request resumes).  Each store call stays scoped to
 * the caller.
 */
enum todo_op { TODO_CREATE, TODO_UPDATE, TODO_DELETE };

struct todo_job {
	struct gh_h_write w; /* first: run() gets it back */
	enum todo_op op;
	gh_id id, owner;
	const char *title; /* NULL: unchanged (update) */
	int completed;     /* -1: unchanged (update) */
	int64_t now;
	struct gh_todo todo;
};

static enum gh_err
todo_job_run(struct gh_store *s, struct gh_h_write *w)
{
	struct todo_job *j = (struct todo_job *)(void *)w;
	struct gh_arena *a = w->req->arena;

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

/* Queue op for the caller's todo (id) with a copy of title; the request
 * is suspended.  GH_OK, or the error answer already queued. */
static enum gh_err
todo_job_submit(struct gh_req *req, enum todo_op op, gh_id id,
    const char *title, int completed)
{
	struct todo_job *j = gh_arena_alloc(req->arena, sizeof(*j));

	if (j == NULL || (title != NULL && (title = gh_arena_strndup(req->arena,
	                                        title, strlen(title))) == NULL))
		return gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
	memset(j, 0, sizeof(*j));
	j->w.run = todo_job_run;
	j->op = op;
	j->id = id;
	j->owner = req->actor.uid; /* the caller, whatever the body says */
	j->title = title;
	j->completed = completed;
	j->now = gh_time_now_usec();
	req->hstate = j;
	gh_h_write_submit(req, &j->w);
	return GH_OK;
}

/* The second call of a todo write: its commit is done. */
static enum gh_err
todo_job_finish(struct gh_req *req, struct todo_job *j)
{
	enum gh_err r = j->w.result;

	if (r == GH_ERR_BUSY)
		return gh_h_busy(req, "write");
	switch (j->op) {
	case TODO_CREATE:
		if (r == GH_OK)
			return send_todo(req, 201, &j->todo);
		/* NOTFOUND: the caller vanished since authentication */
		return gh_resp_err(
		    req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r, NULL);
	case TODO_UPDATE:
		return send_result(req, r, 200, &j->todo);
	case TODO_DELETE:
		break;
	}
	if (r == GH_OK)
		return gh_resp_empty(req, 204);
	return gh_resp_err(req, r, r == GH_ERR_NOTFOUND ? NOT_FOUND : NULL);
}

enum gh_err
h_todos_create(struct gh_req *req)
{
	const char *title;
	int completed = 0;
	json_t *body, *errs;
	enum gh_err r;

	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	if ((r = gh_h_json_body(req, &body)) != GH_OK)
		return r;
	errs = gh_verr_new();
	gh_h_str_field(body, "title", true, 1, TITLE_MAX, errs, &title);
	bool_field(body, "completed", errs, &completed);
	if (json_array_size(errs) > 0) {
		r = gh_resp_422(req, errs);
		goto out;
	}
	json_decref(errs);
	r = todo_job_submit(req, TODO_CREATE, 0, title, completed);
out:
	json_decref(body);
	return r;
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
	int64_t limit = -1, after = 0;
	json_t *errs = gh_verr_new();
	gh_id owner = req->actor.uid;

	gh_h_query_int(req, "limit", 1, LIST_LIMIT_MAX, errs, &limit);
	gh_h_query_int(req, "after_id", 0, INT64_MAX - 1, errs, &after);
	if (json_array_size(errs) > 0)
		return gh_resp_422(req, errs);
	json_decref(errs);
	return gh_h_stream_list_ctx(
	    req, todos_page, &owner, sizeof(owner), after, limit);
}

enum gh_err
h_todos_get(struct gh_req *req)
{
	struct gh_app *app = req->app;
	json_t *errs = gh_verr_new();
	struct gh_todo t;
	enum gh_err r;
	gh_id id = 0;

	r = gh_h_path_id(req, 0, "todo_id", errs, &id);
	if (r == GH_ERR_INVALID)
		return gh_resp_422(req, errs);
	json_decref(errs);
	if (r != GH_OK) /* zero, negative, beyond 64 bits: names nothing */
		return gh_resp_err(req, GH_ERR_NOTFOUND, NOT_FOUND);
	r = gh_store_todo_get(app->store, id, req->actor.uid, req->arena, &t);
	return send_result(req, r, 200, &t);
}

enum gh_err
h_todos_update(struct gh_req *req)
{
	const char *title = NULL;
	int completed = -1;
	json_t *body = NULL, *errs;
	enum gh_err idr, r;
	gh_id id = 0;

	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	errs = gh_verr_new();
	idr = gh_h_path_id(req, 0, "todo_id", errs, &id);
	if (gh_h_json_body(req, &body) != GH_OK) {
		json_decref(errs); /* the body's 422 is already queued */
		return GH_ERR_INVALID;
	}
	gh_h_str_field(body, "title", false, 1, TITLE_MAX, errs, &title);
	bool_field(body, "completed", errs, &completed);
	if (json_array_size(errs) > 0) {
		r = gh_resp_422(req, errs);
		goto out;
	}
	json_decref(errs);
	if (idr != GH_OK) {
		r = gh_resp_err(req, GH_ERR_NOTFOUND, NOT_FOUND);
		goto out;
	}
	/* load and change in one statement scoped to the caller: a todo of
	 * someone else is not found, never changed */
	r = todo_job_submit(req, TODO_UPDATE, id, title, completed);
out:
	json_decref(body);
	return r;
}

enum gh_err
h_todos_delete(struct gh_req *req)
{
	json_t *errs;
	enum gh_err r;
	gh_id id = 0;

	if (req->resumed)
		return todo_job_finish(req, req->hstate);
	errs = gh_verr_new();
	r = gh_h_path_id(req, 0, "todo_id", errs, &id);
	if (r == GH_ERR_INVALID)
		return gh_resp_422(req, errs);
	json_decref(errs);
	if (r != GH_OK)
		return gh_resp_err(req, GH_ERR_NOTFOUND, NOT_FOUND);
	return todo_job_submit(req, TODO_DELETE, id, NULL, -1);
}
