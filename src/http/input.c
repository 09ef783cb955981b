/*
 * input.c - a route row's input, checked before its handler (input.h).
 *
 * The 422 texts are pydantic 1.10's, byte for byte: the seed's clients
 * and tests read them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "http/input.h"
#include "http/resp.h"
#include "http/router.h"
#include "util/form.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

/* application/json or application/<x>+json (FastAPI 0.92 rule). */
static bool
json_content_type(const char *ct)
{
	const char *semi, *slash;
	size_t n;

	if (ct == NULL)
		return true; /* no type: FastAPI parses JSON */
	while (*ct == ' ')
		ct++;
	semi = strchr(ct, ';');
	n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n < 12 || strncasecmp(ct, "application/", 12) != 0)
		return false;
	slash = ct + 12;
	n -= 12;
	return (n == 4 && strncasecmp(slash, "json", 4) == 0) ||
	       (n >= 5 && strncasecmp(slash + n - 5, "+json", 5) == 0);
}

/* One body-level error: a 422 of its own. */
static enum gh_err
body_422(struct gh_req *req, const char *msg, const char *type)
{
	json_t *errs = gh_verr_new();

	gh_verr_add(errs, "body", NULL, -1, msg, type, NULL);
	return gh_fail_422(req, errs);
}

enum gh_err
gh_input_json_body(struct gh_req *req, json_t **out)
{
	json_t *errs, *v, *ctx;
	json_error_t je;
	size_t n;

	*out = NULL;
	if (req->body_len == 0)
		return body_422(req, "field required", "value_error.missing");
	if (!json_content_type(gh_req_header(req, "Content-Type")))
		return body_422(
		    req, "value is not a valid dict", "type_error.dict");
	v = json_loadb(req->body, req->body_len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v == NULL) {
		/* jansson may quote a partial UTF-8 sequence in its message:
		 * cut it back to valid UTF-8, or json_pack refuses it */
		n = gh_utf8_valid_prefix(je.text, strlen(je.text));
		je.text[n] = '\0';
		errs = gh_verr_new();
		ctx = json_pack("{s:s,s:I,s:i,s:i}", "msg", je.text, "pos",
		    (json_int_t)je.position, "lineno", je.line, "colno",
		    je.column);
		gh_verr_add(errs, "body", NULL, (int64_t)je.position, je.text,
		    "value_error.jsondecode", ctx);
		return gh_fail_422(req, errs);
	}
	if (json_is_null(v)) { /* FastAPI reads a JSON null as no body */
		json_decref(v);
		return body_422(req, "field required", "value_error.missing");
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return body_422(
		    req, "value is not a valid dict", "type_error.dict");
	}
	*out = v;
	return GH_OK;
}

bool
gh_input_is_form(struct gh_req *req)
{
	static const char want[] = "application/x-www-form-urlencoded";
	const char *ct = gh_req_header(req, "Content-Type");
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

enum gh_err
gh_input_form_body(struct gh_req *req, struct gh_form **out)
{
	struct gh_form *form;
	enum gh_err r;

	*out = NULL;
	if (!gh_input_is_form(req))
		return GH_OK;    /* FastAPI: an empty form */
	if (req->form != NULL) { /* parsed already (gh_input_str) */
		*out = req->form;
		return GH_OK;
	}
	if ((form = gh_arena_alloc(req->arena, sizeof(*form))) == NULL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	r = gh_form_parse(req->arena, req->body, req->body_len, form);
	if (r == GH_ERR_TOOLARGE || r == GH_ERR_INTERNAL)
		return gh_fail(req, GH_ERR_TOOLARGE, NULL);
	if (r != GH_OK)
		return body_422(req, "malformed form body", "value_error.form");
	*out = req->form = form;
	return GH_OK;
}

/* Wipe every string of a JSON object (a body read for one field). */
static void
wipe_strings(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) if (json_is_string(v)) sodium_memzero(
	    (void *)(uintptr_t)json_string_value(v), json_string_length(v));
}

const char *
gh_input_str(struct gh_req *req, const char *name)
{
	struct gh_form *form;
	const char *v = NULL;
	json_t *o, *f;
	size_t n = 0;

	if (req->json != NULL) {
		f = json_object_get(req->json, name);
		return json_is_string(f) ? json_string_value(f) : NULL;
	}
	if (gh_input_is_form(req)) {
		if (req->form == NULL) {
			form = gh_arena_alloc(req->arena, sizeof(*form));
			if (form == NULL || gh_form_parse(req->arena, req->body,
			                        req->body_len, form) != GH_OK)
				return NULL; /* the handler answers it */
			req->form = form;
		}
		v = gh_form_get(req->form, name, &n);
	} else if (req->body_len > 0 &&
	           json_content_type(gh_req_header(req, "Content-Type")) &&
	           (o = json_loadb(req->body, req->body_len,
	                JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		/* a body no schema describes: copy the one field out and
		 * wipe the rest (it may hold a password) */
		f = json_object_get(o, name);
		if (json_is_string(f) && json_string_length(f) > 0)
			v = gh_arena_strndup(req->arena, json_string_value(f),
			    n = json_string_length(f));
		wipe_strings(o);
		json_decref(o);
	}
	if (v == NULL || n == 0 || gh_utf8_has_nul(v, n) ||
	    !gh_utf8_valid(v, n))
		return NULL;
	return v;
}

const char *
gh_input_form_field(const struct gh_form *f, const char *name, bool required,
    json_t *errs, size_t *len)
{
	const char *v = f ? gh_form_get(f, name, len) : NULL;

	if (v == NULL || *len == 0) { /* FastAPI: an empty form value is
		                         a missing one */
		if (required)
			gh_verr_add(errs, "body", name, -1, "field required",
			    "value_error.missing", NULL);
		return NULL;
	}
	if (gh_utf8_has_nul(v, *len) || !gh_utf8_valid(v, *len)) {
		gh_verr_add(errs, "body", name, -1,
		    "string contains a NUL byte or invalid UTF-8",
		    "value_error.str.encoding", NULL);
		return NULL;
	}
	return v;
}

/* The name of the pattern's capture when it is an id ("post_id"), into
 * OUT: name; false when the row has no id capture. */
static bool
id_capture(const char *pattern, char *name, size_t namesz)
{
	const char *o = strchr(pattern, '{'), *c;
	size_t n;

	if (o == NULL || (c = strchr(o, '}')) == NULL)
		return false;
	n = (size_t)(c - o - 1);
	if (n < 4 || n >= namesz || memcmp(c - 3, "_id", 3) != 0)
		return false;
	memcpy(name, o + 1, n);
	name[n] = '\0';
	return true;
}

static void
query_error(json_t *errs, const char *name, const char *msg, const char *type,
    int64_t limit, bool has_limit)
{
	json_array_append_new(
	    errs, has_limit ? json_pack("{s:[s,s],s:s,s:s,s:{s:I}}", "loc",
	                          "query", name, "msg", msg, "type", type,
	                          "ctx", "limit_value", (json_int_t)limit)
	                    : json_pack("{s:[s,s],s:s,s:s}", "loc", "query",
	                          name, "msg", msg, "type", type));
}

/* An integer query parameter in q->min..q->max (FastAPI's Query(ge, le)). */
static void
query_int(
    struct gh_req *req, const struct gh_route_query *q, int i, json_t *errs)
{
	const char *v = gh_req_query(req, q->name), *d;
	char msg[96];
	gh_id id;
	enum gh_err r;

	if (v == NULL)
		return;
	r = gh_parse_id(v, &id);
	if (r == GH_ERR_INVALID) {
		query_error(errs, q->name, "value is not a valid integer",
		    "type_error.integer", 0, false);
		return;
	}
	if (r != GH_OK) {
		/* gh_parse_id refuses what cannot name a row: zero (which
		 * after_id allows; "00", "-0" and "+0" are zero to int() too),
		 * negatives, and values beyond 64 bits */
		d = v + (v[0] == '+' || v[0] == '-');
		if (d[strspn(d, "0")] == '\0')
			id = 0;
		else
			id = v[0] == '-' ? q->min - 1 : q->max + 1;
	}
	if (id < q->min) {
		snprintf(msg, sizeof(msg),
		    "ensure this value is greater than or equal to %lld",
		    (long long)q->min);
		query_error(errs, q->name, msg, "value_error.number.not_ge",
		    q->min, true);
		return;
	}
	if (id > q->max) {
		snprintf(msg, sizeof(msg),
		    "ensure this value is less than or equal to %lld",
		    (long long)q->max);
		query_error(errs, q->name, msg, "value_error.number.not_le",
		    q->max, true);
		return;
	}
	req->query[i] = id;
	req->query_set[i] = true;
}

/* The row's own text for status (its responses list), or NULL. */
static const char *
row_detail(const struct gh_route *rt, unsigned status)
{
	const struct gh_route_resp *x;

	for (x = rt->responses; x != NULL && x->status != 0; x++)
		if (x->status == status)
			return x->detail;
	return NULL;
}

enum gh_err
gh_input_check(struct gh_req *req)
{
	const struct gh_route *rt = req->route;
	char name[64];
	bool has_id;
	enum gh_err idr = GH_OK;
	gh_id owner = 0;
	json_t *errs;
	int i;

	/* a body that is not a JSON object stops everything (FastAPI) */
	if (rt->body == GH_BODY_JSON && rt->request != NULL &&
	    (idr = gh_input_json_body(req, &req->json)) != GH_OK)
		return idr;
	errs = gh_verr_new();
	if ((has_id = id_capture(rt->pattern, name, sizeof(name)))) {
		idr = gh_parse_id(req->params[0], &req->id);
		if (idr == GH_ERR_INVALID)
			json_array_append_new(errs,
			    json_pack("{s:[s,s],s:s,s:s}", "loc", "path", name,
			        "msg", "value is not a valid integer", "type",
			        "type_error.integer"));
	}
	for (i = 0; rt->query != NULL && rt->query[i].name != NULL; i++)
		if (!rt->query[i].is_string && i < GH_ROUTE_MAX_QUERY)
			query_int(req, &rt->query[i], i, errs);
	if (req->json != NULL)
		gh_schema_validate(rt->request, req->json, errs);
	if (json_array_size(errs) > 0)
		return gh_fail_422(req, errs);
	json_decref(errs);
	if (has_id && idr != GH_OK) {
		req->id = 0;
		return gh_fail(req, GH_ERR_NOTFOUND, row_detail(rt, 404));
	}
	if (rt->owner == NULL)
		return GH_OK;
	/* the ownership guard: load the row's owner, ask the policy */
	idr = has_id ? rt->owner(req, req->id, &owner) : GH_ERR_INTERNAL;
	if (idr != GH_OK)
		return gh_fail(req, idr,
		    idr == GH_ERR_NOTFOUND ? row_detail(rt, 404) : NULL);
	if (rt->guard != GH_GUARD_OWNER ||
	    !gh_policy_allow(&req->actor, rt->action, owner))
		return gh_fail(req, GH_ERR_DENIED, rt->deny_detail);
	return GH_OK;
}

void
gh_input_release(struct gh_req *req)
{
	if (req->json == NULL)
		return;
	if (req->route != NULL && req->route->request != NULL)
		gh_schema_wipe(req->route->request, req->json);
	json_decref(req->json);
	req->json = NULL;
}

int64_t
gh_req_query_int(struct gh_req *req, const char *name, int64_t dflt)
{
	const struct gh_route_query *q = req->route->query;
	int i;

	for (i = 0; q != NULL && q[i].name != NULL && i < GH_ROUTE_MAX_QUERY;
	     i++)
		if (strcmp(q[i].name, name) == 0)
			return req->query_set[i] ? req->query[i] : dflt;
	return dflt;
}
