/*
 * h_posts.c - the seed's posts API.
 *
 * Validation order follows FastAPI: the route's guard has already run;
 * path and body errors are collected into one 422; only then is the post
 * loaded (404) and the policy asked (403).
 */
#include <string.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "util/timefmt.h"
#include "util/validate.h"
#include "util/banned.h"

#define TITLE_MAX 100
#define LIST_LIMIT_MAX 1000

/*
 * Writes (create, update, delete) are committed by the store's writer
 * thread with the other writes queued meanwhile (gh_h_write_submit); the
 * job lives in the request arena, with copies of the strings it writes
 * (the JSON body is freed before the request resumes).
 */
enum post_op { POST_CREATE, POST_UPDATE, POST_DELETE };

struct post_job {
	struct gh_h_write w; /* first: run() gets it back */
	enum post_op op;
	gh_id id, owner;
	const char *title, *content; /* NULL: unchanged (update) */
	int64_t now;
	struct gh_post post;
};

static enum gh_err
post_job_run(struct gh_store *s, struct gh_h_write *w)
{
	struct post_job *j = (struct post_job *)(void *)w;
	struct gh_arena *a = w->req->arena;

	switch (j->op) {
	case POST_CREATE:
		return gh_store_post_create(
		    s, j->owner, j->title, j->content, j->now, a, &j->post);
	case POST_UPDATE:
		return gh_store_post_update(
		    s, j->id, j->title, j->content, a, &j->post);
	case POST_DELETE:
		return gh_store_post_delete(s, j->id);
	}
	return GH_ERR_INTERNAL;
}

/* A job for op in the arena, with copies of title and content. */
static struct post_job *
post_job_new(
    struct gh_req *req, enum post_op op, const char *title, const char *content)
{
	struct post_job *j = gh_arena_alloc(req->arena, sizeof(*j));

	if (j == NULL)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->w.run = post_job_run;
	j->op = op;
	if ((title != NULL && (j->title = gh_arena_strndup(req->arena, title,
	                           strlen(title))) == NULL) ||
	    (content != NULL && (j->content = gh_arena_strndup(req->arena,
	                             content, strlen(content))) == NULL))
		return NULL;
	return j;
}

static void
post_job_submit(struct gh_req *req, struct post_job *j)
{
	req->hstate = j;
	gh_h_write_submit(req, &j->w);
}

/* The second call of a post write: its commit is done. */
static enum gh_err
post_job_finish(struct gh_req *req, struct post_job *j)
{
	enum gh_err r = j->w.result;

	if (r == GH_ERR_BUSY)
		return gh_h_busy(req, "write");
	if (r == GH_OK)
		return j->op == POST_CREATE ? gh_h_send_post(req, 201, &j->post)
		       : j->op == POST_UPDATE
		           ? gh_h_send_post(req, 200, &j->post)
		           : gh_resp_empty(req, 204);
	if (j->op == POST_CREATE)
		return gh_resp_err(
		    req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r, NULL);
	return gh_resp_err(
	    req, r, r == GH_ERR_NOTFOUND ? "Post not found" : NULL);
}

enum gh_err
h_posts_create(struct gh_req *req)
{
	struct post_job *j;
	const char *title, *content;
	json_t *body, *errs;
	enum gh_err r;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	if ((r = gh_h_json_body(req, &body)) != GH_OK)
		return r;
	errs = gh_verr_new();
	gh_h_str_field(body, "title", true, 1, TITLE_MAX, errs, &title);
	gh_h_str_field(body, "content", true, 1, 0, errs, &content);
	if (json_array_size(errs) > 0) {
		r = gh_resp_422(req, errs);
		goto out;
	}
	json_decref(errs);
	if ((j = post_job_new(req, POST_CREATE, title, content)) == NULL) {
		r = gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		goto out;
	}
	j->owner = req->actor.uid; /* the caller, whatever the body says */
	j->now = gh_time_now_usec();
	post_job_submit(req, j);
	r = GH_OK;
out:
	json_decref(body);
	return r;
}

static enum gh_err
post_row(void *ctx, const struct gh_post *p)
{
	gh_h_post_write(gh_h_stream_row(ctx, p->id), p);
	return GH_OK;
}

static enum gh_err
posts_page(struct gh_store *s, gh_id after_id, int64_t n, void *emit_ctx)
{
	return gh_store_post_list(s, after_id, n, post_row, emit_ctx);
}

enum gh_err
h_posts_list(struct gh_req *req)
{
	int64_t limit = -1, after = 0;
	json_t *errs = gh_verr_new();

	gh_h_query_int(req, "limit", 1, LIST_LIMIT_MAX, errs, &limit);
	gh_h_query_int(req, "after_id", 0, INT64_MAX - 1, errs, &after);
	if (json_array_size(errs) > 0)
		return gh_resp_422(req, errs);
	json_decref(errs);
	return gh_h_stream_list(req, posts_page, after, limit);
}

/* Load the post named by the path, then the route's ownership guard. */
static enum gh_err
load_for(struct gh_req *req, gh_id id, struct gh_post *p)
{
	struct gh_app *app = req->app;
	enum gh_err r;

	if ((r = gh_store_post_get(app->store, id, req->arena, p)) != GH_OK)
		return gh_resp_err(
		    req, r, r == GH_ERR_NOTFOUND ? "Post not found" : NULL);
	return gh_h_owner_check(req, p->user_id);
}

enum gh_err
h_posts_update(struct gh_req *req)
{
	const char *title = NULL, *content = NULL;
	struct post_job *j;
	struct gh_post p;
	json_t *body = NULL, *errs;
	enum gh_err idr, r;
	gh_id id = 0;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	errs = gh_verr_new();

	idr = gh_h_path_id(req, 0, "post_id", errs, &id);
	if (gh_h_json_body(req, &body) == GH_OK) {
		gh_h_str_field(
		    body, "title", false, 1, TITLE_MAX, errs, &title);
		gh_h_str_field(body, "content", false, 1, 0, errs, &content);
	} else {
		json_decref(errs); /* the body's 422 is already queued */
		return GH_ERR_INVALID;
	}
	if (json_array_size(errs) > 0) {
		r = gh_resp_422(req, errs);
		goto out;
	}
	json_decref(errs);
	if (idr != GH_OK) {
		r = gh_resp_err(req, GH_ERR_NOTFOUND, "Post not found");
		goto out;
	}
	if ((r = load_for(req, id, &p)) != GH_OK || req->responded)
		goto out;
	if ((j = post_job_new(req, POST_UPDATE, title, content)) == NULL) {
		r = gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		goto out;
	}
	j->id = id;
	post_job_submit(req, j);
	r = GH_OK;
out:
	json_decref(body);
	return r;
}

enum gh_err
h_posts_delete(struct gh_req *req)
{
	struct post_job *j;
	struct gh_post p;
	json_t *errs;
	enum gh_err r;
	gh_id id = 0;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	errs = gh_verr_new();
	r = gh_h_path_id(req, 0, "post_id", errs, &id);
	if (r == GH_ERR_INVALID)
		return gh_resp_422(req, errs);
	json_decref(errs);
	if (r != GH_OK)
		return gh_resp_err(req, GH_ERR_NOTFOUND, "Post not found");
	if ((r = load_for(req, id, &p)) != GH_OK || req->responded)
		return r;
	if ((j = post_job_new(req, POST_DELETE, NULL, NULL)) == NULL)
		return gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
	j->id = id;
	post_job_submit(req, j);
	return GH_OK;
}
