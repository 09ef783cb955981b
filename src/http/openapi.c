/*
 * openapi.c - the generator of /openapi.json.
 *
 * The schemas are the application's table (http/schema.h,
 * handlers/schemas.c), the one the server validates request bodies
 * against; route rows point at their request schema, and responses name
 * theirs.
 *
 * The generator walks the route table in order and builds the document
 * with jansson; see openapi.h for what is derived from each row.  Only
 * the schemas the document refers to are emitted (the lint's
 * no-unused-components rule holds by construction).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/openapi.h"
#include "http/schema.h"
#include "policy/policy.h"
#include "util/banned.h"

#define MAX_RESP 16
#define GH_OPENAPI_MAX_SCHEMAS 64 /* checked when the document is built */
#define MAX_PARAMS GH_ROUTE_MAX_PARAMS
#define TEXT_MAX 512
#define ERR_TYPE "application/json"

/* ---- the generator ------------------------------------------------------ */

struct gen {
	bool used[GH_OPENAPI_MAX_SCHEMAS];
	char *err;
	size_t errsz;
	bool failed;
};

static void fail(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (g->failed)
		return; /* the first reason is the one to report */
	g->failed = true;
	va_start(ap, fmt);
	vsnprintf(g->err, g->errsz, fmt, ap);
	va_end(ap);
}

static int
schema_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < gh_schemas_count; i++)
		if (strlen(gh_schemas[i].name) == len &&
		    memcmp(gh_schemas[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* {"$ref": "#/components/schemas/<name>"}, marking name used. */
static json_t *
ref(struct gen *g, const char *name, size_t len)
{
	char buf[128];
	int i = schema_index(name, len);

	if (i < 0) {
		fail(g, "no schema named %.*s in openapi.c", (int)len, name);
		return json_object();
	}
	g->used[i] = true;
	snprintf(
	    buf, sizeof(buf), "#/components/schemas/%s", gh_schemas[i].name);
	return json_pack("{s:s}", "$ref", buf);
}

static json_t *
raw(struct gen *g, const char *text)
{
	json_error_t je;
	json_t *v =
	    json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);

	if (v == NULL) {
		fail(g, "bad JSON in openapi.c: %s", je.text);
		return json_object();
	}
	return v;
}

/* "a|b|c" -> ["a", "b", "c"] */
static json_t *
enum_values(const char *s)
{
	json_t *a = json_array();
	const char *e;

	for (; *s != '\0'; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "|");
		json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
	}
	return a;
}

static json_t *
field_schema(struct gen *g, const struct gh_field *f)
{
	const char *type = NULL, *format = NULL;
	json_t *s;

	switch (f->type) {
	case GH_F_REF:
		return ref(g, f->extra, strlen(f->extra));
	case GH_F_REFS:
		return json_pack("{s:s,s:o}", "type", "array", "items",
		    ref(g, f->extra, strlen(f->extra)));
	case GH_F_RAW:
		s = raw(g, f->extra);
		goto out;
	case GH_F_ENUMS:
		s = json_pack("{s:s,s:{s:s,s:o}}", "type", "array", "items",
		    "type", "string", "enum", enum_values(f->extra));
		if (f->min > 0)
			json_object_set_new(
			    s, "minItems", json_integer(f->min));
		goto out;
	case GH_F_STR:
	case GH_F_ENUM:
		type = "string";
		break;
	case GH_F_EMAIL:
		type = "string";
		format = "email";
		break;
	case GH_F_PASSWORD:
		type = "string";
		format = "password";
		break;
	case GH_F_TIME:
		type = "string";
		format = "date-time";
		break;
	case GH_F_INT:
		type = "integer";
		format = "int64";
		break;
	case GH_F_BOOL:
		type = "boolean";
		break;
	}
	s = json_object();
	if (f->flags & GH_F_NULLABLE)
		json_object_set_new(
		    s, "type", json_pack("[s,s]", type, "null"));
	else
		json_object_set_new(s, "type", json_string(type));
	if (format != NULL)
		json_object_set_new(s, "format", json_string(format));
	if (f->type == GH_F_ENUM)
		json_object_set_new(s, "enum", enum_values(f->extra));
	if (f->type == GH_F_INT && f->max > 0) {
		json_object_set_new(s, "minimum", json_integer(f->min));
		json_object_set_new(s, "maximum", json_integer(f->max));
	} else if (f->type != GH_F_INT && f->type != GH_F_BOOL) {
		if (f->min > 0)
			json_object_set_new(
			    s, "minLength", json_integer(f->min));
		if (f->max > 0)
			json_object_set_new(
			    s, "maxLength", json_integer(f->max));
	}
out:
	if (f->description != NULL)
		json_object_set_new(
		    s, "description", json_string(f->description));
	if (f->def != NULL)
		json_object_set_new(s, "default", raw(g, f->def));
	return s;
}

static json_t *
schema_json(struct gen *g, const struct gh_schema *sc)
{
	json_t *s = json_object(), *props, *req, *extra;
	const struct gh_field *f;

	if (sc->fields != NULL) {
		props = json_object();
		req = json_array();
		for (f = sc->fields; f->name != NULL; f++) {
			json_object_set_new(props, f->name, field_schema(g, f));
			if (f->flags & GH_F_REQ)
				json_array_append_new(
				    req, json_string(f->name));
		}
		json_object_set_new(s, "title", json_string(sc->name));
		json_object_set_new(s, "type", json_string("object"));
		json_object_set_new(s, "properties", props);
		if (json_array_size(req) > 0)
			json_object_set_new(s, "required", req);
		else
			json_decref(req);
	}
	if (sc->raw != NULL) {
		extra = raw(g, sc->raw);
		json_object_update(s, extra);
		json_decref(extra);
	}
	if (sc->description != NULL)
		json_object_set_new(
		    s, "description", json_string(sc->description));
	return s;
}

/* The media type of the schema named name (with or without "[]"). */
static const char *
media_of(const char *name)
{
	size_t n = strcspn(name, "[");
	int i = schema_index(name, n);

	return i >= 0 && gh_schemas[i].media != NULL ? gh_schemas[i].media
	                                             : "application/json";
}

/* A response or request body's {"<media>": {"schema": ...}}. */
static json_t *
content(struct gen *g, const char *name)
{
	size_t n = strcspn(name, "[");
	json_t *s = ref(g, name, n);

	if (strcmp(name + n, "[]") == 0)
		s = json_pack("{s:s,s:o}", "type", "array", "items", s);
	else if (name[n] != '\0')
		fail(g, "schema name %s: only a trailing [] is allowed", name);
	return json_pack("{s:{s:o}}", media_of(name), "schema", s);
}

/* ---- responses ---------------------------------------------------------- */

struct resp {
	unsigned status;
	const char *schema;
	char text[TEXT_MAX];
};

struct resps {
	struct resp r[MAX_RESP];
	size_t n;
};

static const char *
reason(unsigned status)
{
	switch (status) {
	case 200:
		return "Successful Response";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 413:
		return "Request body too large";
	case 422:
		return "Validation Error";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 304:
		return "Not Modified";
	case 503:
		return "Service Unavailable";
	}
	return "Response";
}

/* Add (status, schema, text) to rs; a status already there gains the
 * text (once) and keeps its schema. */
static void
add(struct gen *g, struct resps *rs, unsigned status, const char *schema,
    const char *text)
{
	struct resp *r = NULL;
	size_t i, len;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].status == status)
			r = &rs->r[i];
	if (r == NULL) {
		if (rs->n == MAX_RESP) {
			fail(g, "more than %d responses", MAX_RESP);
			return;
		}
		r = &rs->r[rs->n++];
		r->status = status;
		r->schema = schema;
		r->text[0] = '\0';
	}
	if (r->schema == NULL)
		r->schema = schema;
	if (text == NULL || strstr(r->text, text) != NULL)
		return;
	len = strlen(r->text);
	snprintf(r->text + len, sizeof(r->text) - len, "%s%s",
	    len > 0 ? "; or " : "", text);
}

static int
by_status(const void *a, const void *b)
{
	const struct resp *x = a, *y = b;

	return (int)x->status - (int)y->status;
}

static json_t *
header(const char *type, const char *description)
{
	return json_pack("{s:s,s:{s:s}}", "description", description, "schema",
	    "type", type);
}

static json_t *
responses_json(struct gen *g, struct resps *rs)
{
	json_t *out = json_object(), *o, *h;
	char key[16];
	size_t i;

	qsort(rs->r, rs->n, sizeof(rs->r[0]), by_status);
	for (i = 0; i < rs->n; i++) {
		struct resp *r = &rs->r[i];

		o = json_pack("{s:s}", "description",
		    r->text[0] ? r->text : reason(r->status));
		if (r->schema != NULL)
			json_object_set_new(
			    o, "content", content(g, r->schema));
		h = NULL;
		if (r->status == 401)
			h = json_pack("{s:o}", "WWW-Authenticate",
			    header("string", "Bearer, with error=\"invalid_"
			                     "token\" when a presented token "
			                     "was rejected (RFC 6750)"));
		else if (r->status == 429 || r->status == 503)
			h = json_pack("{s:o}", "Retry-After",
			    header("integer", "seconds to wait"));
		if (h != NULL)
			json_object_set_new(o, "headers", h);
		snprintf(key, sizeof(key), "%u", r->status);
		json_object_set_new(out, key, o);
	}
	return out;
}

/* ---- one operation ------------------------------------------------------ */

static bool
guarded(const struct gh_route *rt)
{
	return rt->guard != GH_GUARD_PUBLIC;
}

/*
 * "deleteUsersMeSessionsSessionId": camelCase, because Swagger UI reads
 * an underscore in a deep link (#/tag/operationId) as an escaped space
 * and logs a deprecation error for it.
 */
static json_t *
operation_id(const struct gh_route *rt)
{
	char buf[256];
	const char *m = gh_method_name(rt->method), *p;
	size_t n = 0;
	bool sep = true;

	for (; *m != '\0' && n < sizeof(buf) - 1; m++)
		buf[n++] = (char)tolower((unsigned char)*m);
	for (p = rt->pattern; *p != '\0' && n < sizeof(buf) - 1; p++) {
		if (isalnum((unsigned char)*p)) {
			buf[n++] = (char)(sep ? toupper((unsigned char)*p)
			                      : tolower((unsigned char)*p));
			sep = false;
		} else {
			sep = true;
		}
	}
	if (strcmp(rt->pattern, "/") == 0 && n < sizeof(buf) - 5)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "Root");
	buf[n] = '\0';
	return json_string(buf);
}

/* The tag of a row: its own, else the first path segment. */
static json_t *
tag_of(const struct gh_route *rt)
{
	const char *p = rt->pattern + (rt->pattern[0] == '/');
	size_t n = strcspn(p, "/{");

	if (rt->tag != NULL)
		return json_string(rt->tag);
	return n > 0 ? json_stringn(p, n) : json_string("default");
}

static json_t *
security(const struct gh_route *rt)
{
	json_t *s = json_array();

	if (!guarded(rt))
		return s; /* explicitly none */
	json_array_append_new(s, json_pack("{s:[]}", "OAuth2PasswordBearer"));
	if (!(rt->flags & GH_ROUTE_NO_APIKEY))
		json_array_append_new(s, json_pack("{s:[]}", "APIKeyHeader"));
	return s;
}

static json_t *
description(const struct gh_route *rt)
{
	char buf[TEXT_MAX];
	size_t n = 0;

	switch (rt->guard) {
	case GH_GUARD_PUBLIC:
		n = (size_t)snprintf(buf, sizeof(buf), "Who: anyone.");
		break;
	case GH_GUARD_USER:
		n = (size_t)snprintf(
		    buf, sizeof(buf), "Who: any logged-in, active user.");
		break;
	case GH_GUARD_ROLE:
		n = (size_t)snprintf(buf, sizeof(buf),
		    "Who: users whose role is %s or higher.",
		    gh_role_name(rt->role));
		break;
	default:
		n = (size_t)snprintf(buf, sizeof(buf),
		    "Who: the owner of the resource, or a role the policy "
		    "allows for this action.");
		break;
	}
	if (guarded(rt) && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    (rt->flags & GH_ROUTE_NO_APIKEY)
		        ? " Authenticate with a bearer access token; API keys "
		          "are refused (403)."
		        : " Authenticate with a bearer access token or an "
		          "X-API-Key.");
	if (guarded(rt) && (rt->flags & GH_ROUTE_COOKIE) && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    " The account console's session cookie is also accepted "
		    "(same-origin only; changes need its X-CSRF-Token).");
	if ((rt->flags & GH_ROUTE_THROTTLED) && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    " Failed logins are throttled per username and per client "
		    "address (429 with Retry-After).");
	if ((rt->flags & GH_ROUTE_HASHES) && n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n,
		    " Hashes a password on the hashing pool (503 with "
		    "Retry-After when it is full).");
	return json_string(buf);
}

static json_t *
parameters(struct gen *g, const struct gh_route *rt)
{
	json_t *ps = json_array(), *s;
	const struct gh_route_query *q;
	const char *p = rt->pattern, *open, *close;
	char name[64];
	size_t n, count = 0;

	while ((open = strchr(p, '{')) != NULL) {
		close = strchr(open, '}');
		n = close != NULL ? (size_t)(close - open - 1) : 0;
		if (close == NULL || n == 0 || n >= sizeof(name) ||
		    open[-1] != '/' || (close[1] != '/' && close[1] != '\0') ||
		    ++count > MAX_PARAMS) {
			fail(g, "%s: malformed path parameter", rt->pattern);
			break;
		}
		memcpy(name, open + 1, n);
		name[n] = '\0';
		/* ids are integers (a non-integer is a 422); other captures
		 * are strings */
		if (n > 3 && strcmp(name + n - 3, "_id") == 0)
			s = json_pack(
			    "{s:s,s:s}", "type", "integer", "format", "int64");
		else
			s = json_pack("{s:s}", "type", "string");
		json_array_append_new(
		    ps, json_pack("{s:s,s:s,s:b,s:o}", "name", name, "in",
		            "path", "required", 1, "schema", s));
		p = close + 1;
	}
	for (q = rt->query; q != NULL && q->name != NULL; q++) {
		if (q->is_string)
			s = json_pack("{s:s}", "type", "string");
		else
			s = json_pack("{s:s,s:s,s:I,s:I}", "type", "integer",
			    "format", "int64", "minimum", (json_int_t)q->min,
			    "maximum", (json_int_t)q->max);
		json_array_append_new(
		    ps, json_pack("{s:s,s:s,s:b,s:o}", "name", q->name, "in",
		            "query", "required", 0, "schema", s));
		if (q->description != NULL)
			json_object_set_new(
			    json_array_get(ps, json_array_size(ps) - 1),
			    "description", json_string(q->description));
	}
	return ps;
}

static json_t *
request_body(struct gen *g, const struct gh_route *rt)
{
	const char *media = rt->body == GH_BODY_FORM
	                        ? "application/x-www-form-urlencoded"
	                        : "application/json";
	json_t *s;

	if (rt->request != NULL)
		s = ref(g, rt->request->name, strlen(rt->request->name));
	else
		s = json_pack("{s:s}", "type", "object");
	return json_pack(
	    "{s:b,s:{s:{s:o}}}", "required", 1, "content", media, "schema", s);
}

static json_t *
operation(struct gen *g, const struct gh_route *rt)
{
	json_t *op = json_object(), *ps;
	const struct gh_route_resp *x;
	struct resps rs = {.n = 0};
	bool has_params;

	json_object_set_new(op, "tags", json_pack("[o]", tag_of(rt)));
	json_object_set_new(op, "summary",
	    json_string(rt->summary ? rt->summary : rt->pattern));
	json_object_set_new(op, "description", description(rt));
	json_object_set_new(op, "operationId", operation_id(rt));
	json_object_set_new(op, "security", security(rt));
	ps = parameters(g, rt);
	has_params = json_array_size(ps) > 0;
	if (has_params)
		json_object_set_new(op, "parameters", ps);
	else
		json_decref(ps);
	if (rt->body != GH_BODY_NONE)
		json_object_set_new(op, "requestBody", request_body(g, rt));

	/* what the handler sends, then what the row implies */
	for (x = rt->responses; x != NULL && x->status != 0; x++)
		add(g, &rs, x->status, x->schema, x->detail);
	if (rs.n == 0)
		add(g, &rs, 200, NULL, NULL);
	if (guarded(rt)) {
		add(g, &rs, 400, "HTTPError",
		    "Use either a bearer token or an API key, not both");
		add(g, &rs, 401, "HTTPError",
		    "Not authenticated (no credentials), or Could not "
		    "validate credentials (a rejected token or key)");
	}
	/* a role or an ownership guard: whatever is stronger than USER */
	if (guarded(rt) && rt->guard != GH_GUARD_USER)
		add(g, &rs, 403, "HTTPError",
		    rt->deny_detail ? rt->deny_detail
		                    : "Insufficient permissions");
	if (guarded(rt) && (rt->flags & GH_ROUTE_NO_APIKEY))
		add(g, &rs, 403, "HTTPError",
		    "API keys cannot be used for this action");
	if (guarded(rt) && (rt->flags & GH_ROUTE_COOKIE))
		add(g, &rs, 403, "HTTPError",
		    rt->method == GH_GET || rt->method == GH_HEAD
		        ? "Cross-site request refused (console cookie)"
		        : "Cross-site request refused, or CSRF token missing "
		          "or invalid (console cookie)");
	if (rt->body != GH_BODY_NONE)
		add(g, &rs, 413, "HTTPError",
		    "Request body too large (MAX_BODY_BYTES)");
	/* checked before routing, so any route can answer it */
	add(g, &rs, 431, "HTTPError",
	    "Request header fields too large (MAX_HEADER_BYTES)");
	if (rt->body != GH_BODY_NONE || has_params)
		add(g, &rs, 422, "HTTPValidationError", NULL);
	if (rt->flags & GH_ROUTE_THROTTLED)
		add(g, &rs, 429, "HTTPError",
		    "Too many failed login attempts; retry later");
	if (rt->flags & GH_ROUTE_HASHES)
		add(g, &rs, 503, "HTTPError", "Server busy, retry shortly");
	if (!(rt->flags & GH_ROUTE_NO_STORE))
		add(g, &rs, 503, "HTTPError",
		    "Service temporarily unavailable");
	json_object_set_new(op, "responses", responses_json(g, &rs));
	return op;
}

/* ---- the document ------------------------------------------------------- */

static const char *
tag_description(const struct gh_route_tag *tags, size_t ntags, const char *name)
{
	size_t i;

	for (i = 0; i < ntags; i++)
		if (strcmp(tags[i].name, name) == 0)
			return tags[i].description;
	return NULL;
}

static json_t *
tags_json(json_t *paths, const struct gh_route_tag *tags, size_t ntags)
{
	json_t *out = json_array(), *seen = json_object(), *item, *op, *t;
	const char *path, *method, *name, *d;
	char buf[128];

	/* first use order, which is the table's order */
	json_object_foreach(paths, path, item)
	{
		json_object_foreach(item, method, op)
		{
			t = json_array_get(json_object_get(op, "tags"), 0);
			name = json_string_value(t);
			if (name == NULL || json_object_get(seen, name) != NULL)
				continue;
			json_object_set_new(seen, name, json_true());
			if ((d = tag_description(tags, ntags, name)) == NULL) {
				snprintf(
				    buf, sizeof(buf), "Routes under /%s", name);
				d = buf;
			}
			json_array_append_new(
			    out, json_pack("{s:s,s:s}", "name", name,
			             "description", d));
		}
	}
	json_decref(seen);
	return out;
}

static json_t *
components(struct gen *g)
{
	json_t *out = json_object(), *sec;
	bool more = true;
	size_t i;

	/* the emitted schemas may refer to more: repeat until closed */
	while (more) {
		more = false;
		for (i = 0; i < gh_schemas_count; i++) {
			if (!g->used[i] ||
			    json_object_get(out, gh_schemas[i].name) != NULL)
				continue;
			json_object_set_new(out, gh_schemas[i].name,
			    schema_json(g, &gh_schemas[i]));
			more = true;
		}
	}
	/* stable order: the schemas table's */
	sec = json_object();
	for (i = 0; i < gh_schemas_count; i++)
		if (json_object_get(out, gh_schemas[i].name) != NULL)
			json_object_set(sec, gh_schemas[i].name,
			    json_object_get(out, gh_schemas[i].name));
	json_decref(out);
	return json_pack("{s:o,s:{s:{s:s,s:s,s:{s:{s:s,s:s,s:{}}}},s:{s:s,s:s,"
	                 "s:s,s:s}}}",
	    "schemas", sec, "securitySchemes", "OAuth2PasswordBearer", "type",
	    "oauth2", "description",
	    "Log in at /auth/token (OAuth2 password grant) and send the "
	    "access token as Authorization: Bearer <token>",
	    "flows", "password", "tokenUrl", "/auth/token", "refreshUrl",
	    "/auth/token", "scopes", "APIKeyHeader", "type", "apiKey", "in",
	    "header", "name", "X-API-Key", "description",
	    "An API key created at POST /api-keys, acting as its owner");
}

enum gh_err
gh_openapi_build(const struct gh_route *table, size_t n,
    const struct gh_route_tag *tags, size_t ntags, const char *version,
    char **out, size_t *len, char *err, size_t errsz)
{
	struct gen g = {.err = err, .errsz = errsz};
	json_t *doc = NULL, *paths = json_object(), *ids = json_object();
	json_t *item, *op;
	char method[16], *text;
	const char *m, *id;
	enum gh_err r = GH_ERR_INTERNAL;
	size_t i, k;

	*out = NULL;
	*len = 0;
	if (errsz > 0)
		err[0] = '\0';
	if (gh_schemas_count > GH_OPENAPI_MAX_SCHEMAS)
		fail(&g, "more than %d schemas", GH_OPENAPI_MAX_SCHEMAS);
	for (i = 0; i < n && !g.failed; i++) {
		if (table[i].flags & GH_ROUTE_HIDDEN)
			continue;
		if ((item = json_object_get(paths, table[i].pattern)) == NULL) {
			item = json_object();
			json_object_set_new(paths, table[i].pattern, item);
		}
		m = gh_method_name(table[i].method);
		for (k = 0; m[k] != '\0' && k < sizeof(method) - 1; k++)
			method[k] = (char)tolower((unsigned char)m[k]);
		method[k] = '\0';
		if (json_object_get(item, method) != NULL) {
			fail(&g, "%s %s: listed twice", m, table[i].pattern);
			break;
		}
		op = operation(&g, &table[i]);
		id = json_string_value(json_object_get(op, "operationId"));
		if (json_object_get(ids, id) != NULL)
			fail(&g, "%s %s: operationId %s is taken", m,
			    table[i].pattern, id);
		json_object_set_new(ids, id, json_true());
		json_object_set_new(item, method, op);
	}
	doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:o,s:o}",
	    "openapi", "3.1.0", "info", "title", "gatehouse", "version",
	    version, "description",
	    "An authentication and authorization API server: registration, "
	    "OAuth2 password login with JWT access tokens and rotating "
	    "refresh tokens, roles, API keys, posts and todos. Use "
	    "Authorize to log in with a username and password (or paste an "
	    "API key), then Try it out.",
	    "servers", "url", "/", "tags", tags_json(paths, tags, ntags),
	    "paths", paths, "components", components(&g));
	paths = NULL; /* stolen by json_pack, even when it fails */
	if (g.failed) {
		r = GH_ERR_INVALID;
		goto out;
	}
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		snprintf(err, errsz, "cannot serialise the document");
		goto out;
	}
	*out = text;
	*len = strlen(text);
	r = GH_OK;
out:
	json_decref(ids);
	json_decref(doc);
	return r;
}
