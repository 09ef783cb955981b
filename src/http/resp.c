/*
 * resp.c - builds and queues every response.
 *
 * The one place that turns enum gh_err into an HTTP status, and the one
 * place that adds the headers every answer carries.  JSON is serialised
 * compactly with raw UTF-8, as Starlette's JSONResponse does, so bodies
 * are byte-for-byte what the seed's clients expect.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http/resp.h"
#include "log.h"
#include "util/jsonw.h"
#include "util/banned.h"

#define JSON_TYPE "application/json; charset=utf-8"

static void
common_headers(struct MHD_Response *r, const char *ctype)
{
	if (ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

static enum gh_err
queue(struct gh_req *req, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ok;

	if (r == NULL)
		return GH_ERR_INTERNAL;
	if (req->cors_vary)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
	if (req->cors_allow != NULL) {
		MHD_add_response_header(r,
		    MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
		    req->cors_allow);
		if (strcmp(req->cors_allow, "*") != 0)
			MHD_add_response_header(
			    r, "Access-Control-Allow-Credentials", "true");
		MHD_add_response_header(r, "Access-Control-Expose-Headers",
		    "Retry-After, WWW-Authenticate");
	}
	if (status == MHD_HTTP_UNAUTHORIZED &&
	    MHD_get_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE) ==
	        NULL)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (req->barrier != NULL && !req->barrier_running) {
		/* sent by gh_resp_release once the barrier is passed */
		if (req->held != NULL)
			MHD_destroy_response(req->held);
		req->held = r;
		req->held_status = status;
		req->responded = true;
		return GH_OK;
	}
	ok = MHD_queue_response(req->conn, status, r);
	MHD_destroy_response(r);
	if (ok != MHD_YES)
		return GH_ERR_INTERNAL;
	req->responded = true;
	return GH_OK;
}

enum gh_err
gh_resp_release(struct gh_req *req)
{
	struct MHD_Response *r = req->held;
	enum MHD_Result ok;

	if (r == NULL)
		return GH_OK;
	req->held = NULL;
	ok = MHD_queue_response(req->conn, req->held_status, r);
	MHD_destroy_response(r);
	return ok == MHD_YES ? GH_OK : GH_ERR_INTERNAL;
}

static struct MHD_Response *
json_response(json_t *body)
{
	struct MHD_Response *r;
	char *s;

	s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (s == NULL)
		return NULL;
	r = MHD_create_response_from_buffer(
	    strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(s);
		return NULL;
	}
	common_headers(r, JSON_TYPE);
	return r;
}

enum gh_err
gh_resp_json(struct gh_req *req, unsigned status, json_t *body)
{
	if (body == NULL)
		return GH_ERR_INTERNAL;
	return queue(req, status, json_response(body));
}

enum gh_err
gh_resp_jsonw(struct gh_req *req, unsigned status, struct gh_jsonw *w)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(
	    w->len, w->buf, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		gh_jsonw_release(w);
		return GH_ERR_INTERNAL;
	}
	w->buf = NULL;
	w->len = w->cap = 0;
	common_headers(r, JSON_TYPE);
	return queue(req, status, r);
}

enum gh_err
gh_resp_raw(struct gh_req *req, unsigned status, struct MHD_Response *r)
{
	common_headers(r, NULL);
	return queue(req, status, r);
}

enum gh_err
gh_resp_empty(struct gh_req *req, unsigned status)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return GH_ERR_INTERNAL;
	common_headers(r, NULL);
	return queue(req, status, r);
}

enum gh_err
gh_resp_data(struct gh_req *req, unsigned status, const char *content_type,
    const char *data, size_t len)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return GH_ERR_INTERNAL;
	common_headers(r, content_type);
	return queue(req, status, r);
}

enum gh_err
gh_resp_static(struct gh_req *req, unsigned status, const char *content_type,
    const void *data, size_t len, const char *const *hdrs)
{
	struct MHD_Response *r;
	bool cache = false;
	size_t i;

	r = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return GH_ERR_INTERNAL;
	if (content_type != NULL)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (i = 0; hdrs != NULL && hdrs[i] != NULL && hdrs[i + 1] != NULL;
	     i += 2) {
		MHD_add_response_header(r, hdrs[i], hdrs[i + 1]);
		if (strcasecmp(hdrs[i], MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
			cache = true;
	}
	if (!cache)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	return queue(req, status, r);
}

enum gh_err
gh_resp_status(struct gh_req *req, unsigned status, const char *detail,
    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	json_t *body;

	if (detail == NULL)
		detail = MHD_get_reason_phrase_for(status);
	body = json_pack("{s:s}", "detail", detail);
	if ((r = json_response(body)) == NULL)
		return GH_ERR_INTERNAL;
	if (hname != NULL)
		MHD_add_response_header(r, hname, hvalue);
	return queue(req, status, r);
}

enum gh_err
gh_resp_data_hdrs(struct gh_req *req, unsigned status, const char *content_type,
    const char *data, size_t len, const char *const *hdrs)
{
	struct MHD_Response *r;
	size_t i;

	r = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return GH_ERR_INTERNAL;
	common_headers(r, content_type);
	for (i = 0; hdrs != NULL && hdrs[i] != NULL && hdrs[i + 1] != NULL;
	     i += 2)
		MHD_add_response_header(r, hdrs[i], hdrs[i + 1]);
	return queue(req, status, r);
}

enum gh_err
gh_resp_err(struct gh_req *req, enum gh_err e, const char *detail)
{
	switch (e) {
	case GH_ERR_INVALID:
		return gh_resp_status(req, 400, detail, NULL, NULL);
	case GH_ERR_DENIED:
		return gh_resp_status(req, 403,
		    detail ? detail : "Insufficient permissions", NULL, NULL);
	case GH_ERR_NOTFOUND:
		return gh_resp_status(
		    req, 404, detail ? detail : "Not Found", NULL, NULL);
	case GH_ERR_CONFLICT:
		return gh_resp_status(req, 409, detail, NULL, NULL);
	case GH_ERR_TOOLARGE:
		return gh_resp_status(req, 413,
		    detail ? detail : "Request body too large", NULL, NULL);
	case GH_ERR_BUSY:
	case GH_ERR_DB:
		return gh_resp_status(req, 503,
		    detail ? detail : "Service temporarily unavailable",
		    MHD_HTTP_HEADER_RETRY_AFTER, "1");
	case GH_OK:
	case GH_ERR_INTERNAL:
		break;
	}
	return gh_resp_status(req, 500, "Internal Server Error", NULL, NULL);
}

static enum gh_err
resp_oauth(struct gh_req *req, const char *error, const char *description)
{
	struct MHD_Response *r;
	json_t *body;

	body = json_pack(
	    "{s:s,s:s}", "error", error, "error_description", description);
	if ((r = json_response(body)) == NULL)
		return GH_ERR_INTERNAL;
	MHD_add_response_header(r, "Pragma", "no-cache");
	return queue(req, 400, r);
}

static enum gh_err
resp_unauth(struct gh_req *req, const char *detail, bool invalid_token)
{
	return gh_resp_status(req, 401, detail,
	    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    invalid_token ? "Bearer error=\"invalid_token\"" : "Bearer");
}

json_t *
gh_verr_new(void)
{
	return json_array();
}

void
gh_verr_add(json_t *list, const char *where, const char *field, int64_t pos,
    const char *msg, const char *type, json_t *ctx)
{
	json_t *loc = json_array(), *e;

	json_array_append_new(loc, json_string(where));
	if (field != NULL)
		json_array_append_new(loc, json_string(field));
	else if (pos >= 0)
		json_array_append_new(loc, json_integer(pos));
	e = json_pack("{s:o,s:s,s:s}", "loc", loc, "msg", msg, "type", type);
	if (e != NULL && ctx != NULL)
		json_object_set_new(e, "ctx", ctx);
	else if (ctx != NULL)
		json_decref(ctx);
	if (e != NULL)
		json_array_append_new(list, e);
}

struct stream {
	gh_stream_fn fn;
	void *cls;
	void (*free_fn)(void *);
};

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	ssize_t n;

	GH_UNUSED(pos);
	n = s->fn(s->cls, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->free_fn != NULL)
		s->free_fn(s->cls);
	free(s);
}

enum gh_err
gh_resp_stream(
    struct gh_req *req, gh_stream_fn fn, void *cls, void (*free_fn)(void *cls))
{
	struct stream *s = gh_xmalloc(sizeof(*s));
	struct MHD_Response *r;

	s->fn = fn;
	s->cls = cls;
	s->free_fn = free_fn;
	r = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 16384, stream_reader, s, stream_free);
	if (r == NULL) {
		stream_free(s);
		return GH_ERR_INTERNAL;
	}
	common_headers(r, JSON_TYPE);
	return queue(req, 200, r);
}

/* ---- failing -------------------------------------------------------- */

/* The error a status stands for (never GH_OK). */
static enum gh_err
status_err(unsigned status)
{
	switch (status) {
	case 400:
	case 422:
		return GH_ERR_INVALID;
	case 401:
	case 403:
		return GH_ERR_DENIED;
	case 404:
		return GH_ERR_NOTFOUND;
	case 409:
		return GH_ERR_CONFLICT;
	case 413:
	case 431:
		return GH_ERR_TOOLARGE;
	case 429:
	case 503:
		return GH_ERR_BUSY;
	default:
		return GH_ERR_INTERNAL;
	}
}

/* A new record (an earlier one of this request is dropped). */
static struct gh_fail *
fail_new(struct gh_req *req, unsigned status, const char *detail)
{
	struct gh_fail *f = &req->fail;

	json_decref(f->errors);
	memset(f, 0, sizeof(*f));
	f->status = status;
	if (detail != NULL)
		f->detail =
		    gh_arena_strndup(req->arena, detail, strlen(detail));
	return f;
}

enum gh_err
gh_fail(struct gh_req *req, enum gh_err e, const char *detail)
{
	if (e == GH_OK)
		e = GH_ERR_INTERNAL;
	fail_new(req, 0, detail);
	return e;
}

enum gh_err
gh_fail_status(struct gh_req *req, unsigned status, const char *detail,
    const char *hname, const char *hvalue)
{
	struct gh_fail *f = fail_new(req, status, detail);

	if (hname != NULL && hvalue != NULL) {
		f->hname = hname;
		f->hvalue =
		    gh_arena_strndup(req->arena, hvalue, strlen(hvalue));
	}
	return status_err(status);
}

enum gh_err
gh_fail_unauth(struct gh_req *req, const char *detail, bool invalid_token)
{
	return gh_fail_status(req, 401, detail,
	    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    invalid_token ? "Bearer error=\"invalid_token\"" : "Bearer");
}

enum gh_err
gh_fail_422(struct gh_req *req, json_t *errors)
{
	fail_new(req, 422, NULL)->errors = errors;
	return GH_ERR_INVALID;
}

enum gh_err
gh_fail_oauth(struct gh_req *req, const char *error, const char *description)
{
	fail_new(req, 400, description)->oauth_error = error;
	return GH_ERR_INVALID;
}

enum gh_err
gh_fail_busy(struct gh_req *req, const char *what)
{
	gh_log_warn_f("%s queue full: 503", what);
	return gh_fail_status(
	    req, 503, "Server busy, retry shortly", "Retry-After", "1");
}

void
gh_resp_fail(struct gh_req *req, enum gh_err e)
{
	struct gh_fail *f = &req->fail;
	json_t *errors = f->errors;

	if (req->responded)
		return;
	f->errors = NULL;
	if (errors != NULL)
		gh_resp_json(req, 422, json_pack("{s:o}", "detail", errors));
	else if (f->oauth_error != NULL)
		resp_oauth(req, f->oauth_error, f->detail ? f->detail : "");
	else if (f->status == 401)
		resp_unauth(req, f->detail,
		    f->hvalue != NULL && strstr(f->hvalue, "invalid_token"));
	else if (f->status != 0)
		gh_resp_status(req, f->status, f->detail, f->hname, f->hvalue);
	else
		gh_resp_err(req, e, f->detail);
}

void
gh_fail_release(struct gh_req *req)
{
	json_decref(req->fail.errors);
	req->fail.errors = NULL;
}
