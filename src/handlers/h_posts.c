/*
 * h_posts.c - the seed's posts API.
 *
 * Validation order follows FastAPI: the route's guard has already run;
 * path and body errors are collected into one 422; only then is the post
 * loaded (404) and the policy asked (403).
 */
#include "handlers/app.h"
#include "http/resp.h"
#include "util/timefmt.h"
#include "util/validate.h"
#include "util/banned.h"

#define TITLE_MAX 100
#define LIST_LIMIT_MAX 1000

enum gh_err
h_posts_create(struct gh_req *req)
{
	struct gh_app *app = req->app;
	const char *title, *content;
	struct gh_post p;
	json_t *body, *errs;
	enum gh_err r;

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
	/* the owner is the caller, whatever the body says */
	r = gh_store_post_create(app->store, req->actor.uid, title, content,
	    gh_time_now_usec(), req->arena, &p);
	if (r == GH_OK)
		r = gh_h_send_post(req, 201, &p);
	else
		r = gh_resp_err(
		    req, r == GH_ERR_NOTFOUND ? GH_ERR_DB : r, NULL);
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
	struct gh_app *app = req->app;
	const char *title = NULL, *content = NULL;
	struct gh_post p;
	json_t *body = NULL, *errs = gh_verr_new();
	enum gh_err idr, r;
	gh_id id = 0;

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
	r = gh_store_post_update(
	    app->store, id, title, content, req->arena, &p);
	if (r == GH_OK)
		r = gh_h_send_post(req, 200, &p);
	else
		r = gh_resp_err(
		    req, r, r == GH_ERR_NOTFOUND ? "Post not found" : NULL);
out:
	json_decref(body);
	return r;
}

enum gh_err
h_posts_delete(struct gh_req *req)
{
	struct gh_app *app = req->app;
	json_t *errs = gh_verr_new();
	struct gh_post p;
	enum gh_err r;
	gh_id id = 0;

	r = gh_h_path_id(req, 0, "post_id", errs, &id);
	if (r == GH_ERR_INVALID)
		return gh_resp_422(req, errs);
	json_decref(errs);
	if (r != GH_OK)
		return gh_resp_err(req, GH_ERR_NOTFOUND, "Post not found");
	if ((r = load_for(req, id, &p)) != GH_OK || req->responded)
		return r;
	r = gh_store_post_delete(app->store, id);
	if (r == GH_OK)
		return gh_resp_empty(req, 204);
	return gh_resp_err(
	    req, r, r == GH_ERR_NOTFOUND ? "Post not found" : NULL);
}
