/*
 * common.c - what every handler shares: FastAPI-compatible request
 * parsing and validation errors, the response objects, streamed lists
 * and bearer authentication.
 *
 * The 422 texts are pydantic 1.10's, byte for byte, because the seed's
 * clients (and its tests) read them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "http/router.h"
#include "log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

#define STREAM_PAGE 256

bool
gh_h_str_field(json_t *obj, const char *name, bool required, size_t min,
    size_t max, json_t *errs, const char **out)
{
	json_t *v = json_object_get(obj, name);
	char msg[96];
	size_t n;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return true;
		gh_verr_add(errs, "body", name, -1, "field required",
		    "value_error.missing", NULL);
		return false;
	}
	if (json_is_null(v)) {
		gh_verr_add(errs, "body", name, -1,
		    "none is not an allowed value",
		    "type_error.none.not_allowed", NULL);
		return false;
	}
	if (!json_is_string(v)) {
		gh_verr_add(errs, "body", name, -1, "str type expected",
		    "type_error.str", NULL);
		return false;
	}
	n = gh_utf8_count(json_string_value(v), json_string_length(v));
	if (n < min) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at least %zu characters", min);
		gh_verr_add(errs, "body", name, -1, msg,
		    "value_error.any_str.min_length",
		    json_pack("{s:I}", "limit_value", (json_int_t)min));
		return false;
	}
	if (max > 0 && n > max) {
		snprintf(msg, sizeof(msg),
		    "ensure this value has at most %zu characters", max);
		gh_verr_add(errs, "body", name, -1, msg,
		    "value_error.any_str.max_length",
		    json_pack("{s:I}", "limit_value", (json_int_t)max));
		return false;
	}
	*out = json_string_value(v);
	return true;
}

const char *
gh_h_str(struct gh_req *req, const char *name)
{
	return json_string_value(json_object_get(req->json, name));
}

int
gh_h_bool(struct gh_req *req, const char *name)
{
	json_t *v = json_object_get(req->json, name);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

int64_t
gh_h_int(struct gh_req *req, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(req->json, name);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

void
gh_h_user_write(struct gh_jsonw *w, const struct gh_user *u)
{
	char ts[GH_TIME_BUFSZ];

	gh_time_rfc3339(u->created_at, ts);
	gh_jsonw_lit(w, "{\"id\":");
	gh_jsonw_int(w, u->id);
	gh_jsonw_lit(w, ",\"username\":");
	gh_jsonw_str(w, u->username);
	gh_jsonw_lit(w, ",\"email\":");
	gh_jsonw_str(w, u->email);
	gh_jsonw_lit(w, ",\"is_admin\":");
	gh_jsonw_bool(w, u->role == GH_ROLE_ADMIN);
	gh_jsonw_lit(w, ",\"role\":");
	gh_jsonw_str(w, gh_role_name(u->role));
	gh_jsonw_lit(w, ",\"is_active\":");
	gh_jsonw_bool(w, u->is_active);
	gh_jsonw_lit(w, ",\"created_at\":");
	gh_jsonw_str(w, ts);
	gh_jsonw_lit(w, "}");
}

void
gh_h_post_write(struct gh_jsonw *w, const struct gh_post *p)
{
	char ts[GH_TIME_BUFSZ];

	gh_time_rfc3339(p->date_posted, ts);
	gh_jsonw_lit(w, "{\"id\":");
	gh_jsonw_int(w, p->id);
	gh_jsonw_lit(w, ",\"title\":");
	gh_jsonw_str(w, p->title);
	gh_jsonw_lit(w, ",\"content\":");
	gh_jsonw_str(w, p->content);
	gh_jsonw_lit(w, ",\"user_id\":");
	gh_jsonw_int(w, p->user_id);
	gh_jsonw_lit(w, ",\"date_posted\":");
	gh_jsonw_str(w, ts);
	gh_jsonw_lit(w, "}");
}

enum gh_err
gh_h_send_user(struct gh_req *req, unsigned status, const struct gh_user *u)
{
	struct gh_jsonw w = {0};

	gh_h_user_write(&w, u);
	return gh_resp_jsonw(req, status, &w);
}

enum gh_err
gh_h_send_post(struct gh_req *req, unsigned status, const struct gh_post *p)
{
	struct gh_jsonw w = {0};

	gh_h_post_write(&w, p);
	return gh_resp_jsonw(req, status, &w);
}

/*
 * Streamed list state.  It outlives the request's arena (libmicrohttpd
 * frees the response after the request completes), so it is malloc'd
 * and freed by stream_free.
 */
struct stream {
	struct gh_store *store;
	gh_h_page_fn page;         /* one of page and page_ctx */
	gh_h_page_ctx_fn page_ctx; /* called with ctx */
	void *ctx;                 /* heap copy, or NULL */
	gh_id after_id;
	int64_t remaining; /* < 0: unlimited */
	int64_t page_rows; /* rows emitted by the current page */
	bool started, done;
	struct gh_jsonw out; /* pending bytes, sent from off */
	size_t off;
};

struct gh_jsonw *
gh_h_stream_row(void *emit_ctx, gh_id id)
{
	struct stream *s = emit_ctx;

	if (s->started)
		gh_jsonw_raw(&s->out, ",", 1);
	s->started = true;
	s->after_id = id;
	s->page_rows++;
	if (s->remaining > 0)
		s->remaining--;
	return &s->out;
}

static ssize_t
stream_read(void *cls, char *out, size_t max)
{
	struct stream *s = cls;
	int64_t n;
	size_t k;

	while (s->off == s->out.len) {
		if (s->done)
			return 0;
		s->off = 0;
		gh_jsonw_reset(&s->out);
		n = s->remaining < 0 ? STREAM_PAGE
		                     : GH_MIN(s->remaining, STREAM_PAGE);
		if (n == 0) {
			gh_jsonw_raw(&s->out, "]", 1);
			s->done = true;
			break;
		}
		s->page_rows = 0;
		/* on a failure cut the response: the client sees an
		 * incomplete body, never a wrong one */
		if ((s->page_ctx != NULL
		            ? s->page_ctx(s->store, s->ctx, s->after_id, n, s)
		            : s->page(s->store, s->after_id, n, s)) != GH_OK)
			return -1;
		if (s->page_rows < n) {
			gh_jsonw_raw(&s->out, "]", 1);
			s->done = true;
		}
	}
	k = GH_MIN(max, s->out.len - s->off);
	memcpy(out, s->out.buf + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;

	gh_jsonw_release(&s->out);
	free(s->ctx);
	free(s);
}

enum gh_err
gh_h_stream_list(
    struct gh_req *req, gh_h_page_fn page, gh_id after_id, int64_t limit)
{
	struct gh_app *app = req->app;
	struct stream *s = gh_xcalloc(1, sizeof(*s));

	s->store = app->store;
	s->page = page;
	s->after_id = after_id;
	s->remaining = limit;
	gh_jsonw_raw(&s->out, "[", 1);
	return gh_resp_stream(req, stream_read, s, stream_free);
}

enum gh_err
gh_h_stream_list_ctx(struct gh_req *req, gh_h_page_ctx_fn page, const void *ctx,
    size_t ctx_len, gh_id after_id, int64_t limit)
{
	struct gh_app *app = req->app;
	struct stream *s = gh_xcalloc(1, sizeof(*s));

	s->store = app->store;
	s->page_ctx = page;
	s->ctx = gh_xmalloc(ctx_len > 0 ? ctx_len : 1);
	memcpy(s->ctx, ctx, ctx_len);
	s->after_id = after_id;
	s->remaining = limit;
	gh_jsonw_raw(&s->out, "[", 1);
	return gh_resp_stream(req, stream_read, s, stream_free);
}

static void
hash_run(void *arg)
{
	struct gh_h_job *j = arg;

	j->hash(j);
}

static void
job_resume(void *arg)
{
	struct gh_h_job *j = arg;

	gh_req_resume(j->req);
}

void
gh_h_defer_hash(
    struct gh_req *req, struct gh_h_job *j, void (*hash)(struct gh_h_job *j))
{
	gh_h_defer_hash_spare(req, j, hash, 0);
}

void
gh_h_defer_hash_spare(struct gh_req *req, struct gh_h_job *j,
    void (*hash)(struct gh_h_job *j), size_t spare)
{
	struct gh_app *app = req->app;

	j->req = req;
	j->hash = hash;
	j->result = GH_OK;
	req->hstate = j;
	gh_req_suspend(req);
	if (gh_workq_submit_spare(app->hashq, spare, hash_run, job_resume, j) !=
	    GH_OK) {
		j->result = GH_ERR_BUSY;
		gh_req_resume(req);
	}
}

static enum gh_err
write_run(struct gh_store *s, void *arg)
{
	struct gh_h_job *j = arg;

	return j->write(s, j);
}

static void
write_done(void *arg, enum gh_err r)
{
	struct gh_h_job *j = arg;

	j->result = r;
	gh_req_resume(j->req);
}

void
gh_h_defer_write(struct gh_req *req, struct gh_h_job *j,
    enum gh_err (*write)(struct gh_store *s, struct gh_h_job *j))
{
	struct gh_app *app = req->app;

	j->req = req;
	j->write = write;
	j->result = GH_OK;
	req->hstate = j;
	gh_req_suspend(req);
	if (gh_store_batch_submit(app->store, write_run, write_done, j) !=
	    GH_OK) {
		j->result = GH_ERR_BUSY;
		gh_req_resume(req);
	}
}
