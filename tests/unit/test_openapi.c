/*
 * test_openapi.c - unit tests for http/openapi.c.
 *
 * The document is built from the real route table and checked row by
 * row against the table itself (every row not hidden is there, with the
 * security, parameters, body and statuses its columns imply), so a row
 * added to routes.c is covered with no edit here.  Small local tables
 * check that a bare row is still documented, and that a row the
 * generator cannot describe is refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gh.h"
#include "handlers/app.h"
#include "http/openapi.h"
#include "http/router.h"

static enum gh_err
h_stub(struct gh_req *req)
{
	(void)req;
	return GH_OK;
}

/* Build the document of table[0..n) and parse it back. */
static json_t *
build(const struct gh_route *table, size_t n)
{
	char *text = NULL, err[256];
	size_t len = 0;
	json_error_t je;
	json_t *doc;

	if (gh_openapi_build(table, n, gh_route_tags, gh_route_tags_count,
	        "9.9.9", &text, &len, err, sizeof(err)) != GH_OK)
		fail_msg("build: %s", err);
	assert_int_equal(strlen(text), len);
	doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		fail_msg("not JSON: %s", je.text);
	free(text);
	return doc;
}

static json_t *
operation(json_t *doc, const struct gh_route *rt)
{
	char m[16];
	const char *name = gh_method_name(rt->method);
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(m) - 1; i++)
		m[i] = (char)(name[i] | 0x20);
	m[i] = '\0';
	return json_object_get(
	    json_object_get(json_object_get(doc, "paths"), rt->pattern), m);
}

static bool
has_status(json_t *op, const char *status)
{
	return json_object_get(json_object_get(op, "responses"), status) !=
	       NULL;
}

/* Every {"$ref": ...} under v names a schema of doc; count them per
 * schema in refs. */
static void
check_refs(json_t *doc, json_t *v, json_t *refs)
{
	const char *key, *r;
	json_t *x, *schemas;
	size_t i;

	schemas =
	    json_object_get(json_object_get(doc, "components"), "schemas");
	if (json_is_object(v)) {
		if ((r = json_string_value(json_object_get(v, "$ref"))) !=
		    NULL) {
			assert_true(
			    strncmp(r, "#/components/schemas/", 21) == 0);
			if (json_object_get(schemas, r + 21) == NULL)
				fail_msg("dangling $ref %s", r);
			json_object_set_new(refs, r + 21, json_true());
		}
		json_object_foreach(v, key, x)
		{
			check_refs(doc, x, refs);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			check_refs(doc, x, refs);
		}
	}
}

/* The value at a '/'-separated path of object keys, or NULL. */
static json_t *
at(json_t *v, const char *path)
{
	char key[128];
	size_t n;

	while (v != NULL && *path != '\0') {
		n = strcspn(path, "/");
		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '/');
	}
	return v;
}

static const char *
str_at(json_t *v, const char *path)
{
	const char *s = json_string_value(at(v, path));

	if (s == NULL)
		fail_msg("no string at %s", path);
	return s;
}

static void
test_document_shape(void **state)
{
	json_t *doc = build(gh_routes, gh_routes_count);

	(void)state;
	assert_string_equal(str_at(doc, "openapi"), "3.1.0");
	assert_string_equal(str_at(doc, "info/version"), "9.9.9");
	assert_string_equal(str_at(doc, "components/securitySchemes/"
	                                "OAuth2PasswordBearer/flows/password/"
	                                "tokenUrl"),
	    "/auth/token");
	assert_string_equal(
	    str_at(doc, "components/securitySchemes/APIKeyHeader/name"),
	    "X-API-Key");
	assert_string_equal(
	    str_at(doc, "components/securitySchemes/APIKeyHeader/in"),
	    "header");
	json_decref(doc);
}

/* Every row, as its columns say. */
static void
test_every_row(void **state)
{
	json_t *doc = build(gh_routes, gh_routes_count), *op, *sec, *p;
	const struct gh_route *rt;
	size_t i, k, nsec;
	bool key;

	(void)state;
	for (i = 0; i < gh_routes_count; i++) {
		rt = &gh_routes[i];
		op = operation(doc, rt);
		if (rt->flags & GH_ROUTE_HIDDEN) {
			assert_null(op);
			continue;
		}
		if (op == NULL)
			fail_msg("%s %s is not in the document",
			    gh_method_name(rt->method), rt->pattern);
		assert_string_equal(
		    json_string_value(json_object_get(op, "summary")),
		    rt->summary);
		sec = json_object_get(op, "security");
		nsec = json_array_size(sec);
		if (rt->guard == GH_GUARD_PUBLIC) {
			/* explicitly none (a public route's handler may still
			 * answer 401, as /auth/token does) */
			assert_true(json_is_array(sec) && nsec == 0);
		} else {
			key = false;
			for (k = 0; k < nsec; k++)
				key |= json_object_get(json_array_get(sec, k),
				           "APIKeyHeader") != NULL;
			assert_non_null(json_object_get(
			    json_array_get(sec, 0), "OAuth2PasswordBearer"));
			assert_int_equal(
			    key, !(rt->flags & GH_ROUTE_NO_APIKEY));
			assert_true(has_status(op, "401"));
		}
		if (rt->guard == GH_GUARD_ROLE ||
		    (rt->guard != GH_GUARD_PUBLIC &&
		        (rt->flags & (GH_ROUTE_NO_APIKEY | GH_ROUTE_COOKIE))))
			assert_true(has_status(op, "403"));
		if (rt->body != GH_BODY_NONE) {
			assert_non_null(json_object_get(op, "requestBody"));
			assert_true(has_status(op, "422"));
		}
		json_array_foreach(json_object_get(op, "parameters"), k, p)
		{
			assert_true(has_status(op, "422"));
			if (strcmp(json_string_value(json_object_get(p, "in")),
			        "path") == 0)
				assert_non_null(strstr(rt->pattern,
				    json_string_value(
				        json_object_get(p, "name"))));
		}
		if (rt->flags & GH_ROUTE_THROTTLED)
			assert_true(has_status(op, "429"));
		if (rt->flags & GH_ROUTE_HASHES)
			assert_true(has_status(op, "503"));
		for (k = 0; rt->responses && rt->responses[k].status; k++) {
			char s[16];

			snprintf(s, sizeof(s), "%u", rt->responses[k].status);
			if (!has_status(op, s))
				fail_msg("%s %s: %s is missing",
				    gh_method_name(rt->method), rt->pattern, s);
		}
	}
	json_decref(doc);
}

/* Every $ref resolves, and every schema emitted is used. */
static void
test_refs(void **state)
{
	json_t *doc = build(gh_routes, gh_routes_count), *refs = json_object();
	json_t *schemas, *v;
	const char *name;

	(void)state;
	check_refs(doc, doc, refs);
	schemas =
	    json_object_get(json_object_get(doc, "components"), "schemas");
	json_object_foreach(schemas, name, v)
	{
		if (json_object_get(refs, name) == NULL)
			fail_msg("schema %s is never used", name);
	}
	assert_non_null(json_object_get(schemas, "HTTPValidationError"));
	assert_non_null(json_object_get(schemas, "ValidationError"));
	json_decref(refs);
	json_decref(doc);
}

/* The request limits are the handlers' (spot checks). */
static void
test_limits(void **state)
{
	json_t *doc = build(gh_routes, gh_routes_count), *s;

	(void)state;
	s = at(doc, "components/schemas/UserCreate");
	assert_int_equal(
	    json_integer_value(at(s, "properties/username/maxLength")), 50);
	assert_int_equal(
	    json_integer_value(at(s, "properties/password/minLength")), 8);
	assert_int_equal(
	    json_integer_value(at(s, "properties/password/maxLength")), 128);
	assert_int_equal(json_array_size(json_object_get(s, "required")), 3);
	s = at(doc, "components/schemas/PostCreate/properties/title");
	assert_int_equal(
	    json_integer_value(json_object_get(s, "maxLength")), 100);
	s = at(doc, "components/schemas/TodoCreate/properties/title");
	assert_int_equal(
	    json_integer_value(json_object_get(s, "maxLength")), 200);
	json_decref(doc);
}

/* A bare row (no descriptors) is documented from its columns. */
static void
test_bare_row(void **state)
{
	static const struct gh_route t[] = {
	    {.method = GH_GET,
	        .pattern = "/widgets/{widget_id}/parts/{name}",
	        .handler = h_stub,
	        .guard = GH_GUARD_USER,
	        .body = GH_BODY_JSON,
	        .summary = "Widgets"},
	};
	json_t *doc = build(t, GH_ARRAY_SIZE(t)), *op, *ps;

	(void)state;
	op = operation(doc, &t[0]);
	assert_non_null(op);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(op, "tags"), 0)),
	    "widgets");
	assert_true(has_status(op, "200"));
	assert_true(has_status(op, "401"));
	assert_true(has_status(op, "413"));
	assert_true(has_status(op, "422"));
	assert_true(has_status(op, "503"));
	assert_false(has_status(op, "403"));
	ps = json_object_get(op, "parameters");
	assert_int_equal(json_array_size(ps), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(ps, 0), "schema"), "type")),
	    "integer");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(ps, 1), "schema"), "type")),
	    "string");
	json_decref(doc);
}

/* What the generator cannot describe is refused, with the reason. */
static void
test_refused(void **state)
{
	static const struct gh_route_resp unknown[] = {
	    {200, "NoSuchSchema", NULL},
	    {0},
	};
	static const struct gh_route bad_schema[] = {
	    {.method = GH_GET,
	        .pattern = "/x",
	        .handler = h_stub,
	        .responses = unknown},
	};
	static const struct gh_route twice[] = {
	    {.method = GH_GET, .pattern = "/x", .handler = h_stub},
	    {.method = GH_GET, .pattern = "/x", .handler = h_stub},
	};
	static const struct gh_route same_id[] = {
	    {.method = GH_GET, .pattern = "/a_b", .handler = h_stub},
	    {.method = GH_GET, .pattern = "/a/b", .handler = h_stub},
	};
	static const struct gh_route bad_param[] = {
	    {.method = GH_GET, .pattern = "/x/{id", .handler = h_stub},
	};
	char *text = NULL, err[256];
	size_t len = 0;

	(void)state;
	assert_int_equal(gh_openapi_build(bad_schema, 1, NULL, 0, "1", &text,
	                     &len, err, sizeof(err)),
	    GH_ERR_INVALID);
	assert_null(text);
	assert_non_null(strstr(err, "NoSuchSchema"));
	assert_int_equal(gh_openapi_build(twice, 2, NULL, 0, "1", &text, &len,
	                     err, sizeof(err)),
	    GH_ERR_INVALID);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(gh_openapi_build(same_id, 2, NULL, 0, "1", &text, &len,
	                     err, sizeof(err)),
	    GH_ERR_INVALID);
	assert_non_null(strstr(err, "getAB is taken"));
	assert_int_equal(gh_openapi_build(bad_param, 1, NULL, 0, "1", &text,
	                     &len, err, sizeof(err)),
	    GH_ERR_INVALID);
	assert_non_null(strstr(err, "path parameter"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_document_shape),
	    cmocka_unit_test(test_every_row),
	    cmocka_unit_test(test_refs),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bare_row),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
