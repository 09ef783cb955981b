/*
 * h_posts.c - the seed's posts API.
 *
 * The server has checked everything the rows declare before a handler
 * runs (http/input.h), in FastAPI's order: the guard, one 422 for the
 * path, query and body, then the post's owner loaded (404) and the policy
 * asked (403) through h_posts_owner.  The handlers only act.
 */
#include <string.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "util/timefmt.h"
#include "util/validate.h"
#include "util/banned.h"

/*
 * Writes (create, update, delete) are committed by the store's writer
 * thread with the other writes queued meanwhile (gh_h_defer_write); the
 * job lives in the request arena.
 */
enum post_op { POST_CREATE, POST_UPDATE, POST_DELETE };

struct post_job {
	struct gh_h_job job; /* first: the resumed handler casts back */
	enum post_op op;
	gh_id id, owner;
	const char *title, *content; /* NULL: unchanged (update) */
	int64_t now;
	struct gh_post post;
};

static enum gh_err
post_job_run(struct gh_store *s, struct gh_h_job *job)
{
	struct post_job *j = (struct post_job *)(void *)job;
	struct gh_arena *a = job->req->arena;

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

/* A job for op in the arena; title and content point into req->json,
 * which lives until the request completes. */
static struct post_job *
post_job_new(
    struct gh_req *req, enum post_op op, const char *title, const char *content)
{
	struct post_job *j = gh_arena_alloc(req->arena, sizeof(*j));

	if (j == NULL)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->title = title;
	j->content = content;
	return j;
}

static void
post_job_submit(struct gh_req *req, struct post_job *j)
{
	gh_h_defer_write(req, &j->job, post_job_run);
}

/* The second call of a post write: its commit is done. */
static enum gh_err
post_job_finish(struct gh_req *req, struct post_job *j)
{
	enum gh_err r = j->job.result;

	if (r == GH_ERR_BUSY)
		return gh_fail_busy(req, "write");
	if (r == GH_OK)
		return j->op == POST_CREATE ? gh_h_send_post(req, 201, &j->post)
		       : j->op == POST_UPDATE
		           ? gh_h_send_post(req, 200, &j->post)
		           : gh_resp_empty(req, 204);
	if (j->op == POST_CREATE)
		return gh_fail(req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r, NULL);
	return gh_fail(req, r, r == GH_ERR_NOTFOUND ? "Post not found" : NULL);
}

enum gh_err
h_posts_create(struct gh_req *req)
{
	struct post_job *j;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	/* the body passed PostCreate (http/input.h) */
	j = post_job_new(
	    req, POST_CREATE, gh_h_str(req, "title"), gh_h_str(req, "content"));
	if (j == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	j->owner = req->actor.uid; /* the caller, whatever the body says */
	j->now = gh_time_now_usec();
	post_job_submit(req, j);
	return GH_OK;
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
	return gh_h_stream_list(req, posts_page,
	    gh_req_query_int(req, "after_id", 0),
	    gh_req_query_int(req, "limit", -1));
}

/* The ownership guard's lookup of PATCH and DELETE (routes.c). */
enum gh_err
h_posts_owner(struct gh_req *req, gh_id id, gh_id *owner)
{
	struct gh_app *app = req->app;
	struct gh_post p;
	enum gh_err r;

	if ((r = gh_store_post_get(app->store, id, req->arena, &p)) == GH_OK)
		*owner = p.user_id;
	return r;
}

/* The route's guard has passed: the caller may change post req->id. */
enum gh_err
h_posts_update(struct gh_req *req)
{
	struct post_job *j;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	j = post_job_new(
	    req, POST_UPDATE, gh_h_str(req, "title"), gh_h_str(req, "content"));
	if (j == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	j->id = req->id;
	post_job_submit(req, j);
	return GH_OK;
}

enum gh_err
h_posts_delete(struct gh_req *req)
{
	struct post_job *j;

	if (req->resumed)
		return post_job_finish(req, req->hstate);
	if ((j = post_job_new(req, POST_DELETE, NULL, NULL)) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	j->id = req->id;
	post_job_submit(req, j);
	return GH_OK;
}
