/*
 * test_router.c - unit tests for http/router.c and the real route table
 * in http/routes.c.
 *
 * Matching is checked against gh_routes itself (the table the server
 * serves), so that a row added in the wrong order or with a typo shows
 * up here, and against small local tables for the corners the real
 * table does not reach (several captures, capture before literal, the
 * 16-segment limit).  Captures must be copies in the request's arena,
 * never pointers into the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gh.h"
#include "handlers/app.h"
#include "http/router.h"
#include "util/arena.h"

#define BIT(m) (1u << (m))

/* Stand-in handlers for the local tables; never called. */
static enum gh_err
h_one(struct gh_req *req)
{
	(void)req;
	return GH_OK;
}

static enum gh_err
h_two(struct gh_req *req)
{
	(void)req;
	return GH_OK;
}

static enum gh_err
h_three(struct gh_req *req)
{
	(void)req;
	return GH_OK;
}

/* ---- the real table --------------------------------------------------- */

static const struct {
	enum gh_method method;
	const char *path;
	enum gh_route_match want;
	gh_handler_fn handler; /* GH_ROUTE_FOUND */
	const char *param0;    /* GH_ROUTE_FOUND: first capture or NULL */
	unsigned allow;        /* GH_ROUTE_NO_METHOD: the exact mask */
} real_cases[] = {
    /* literal rows */
    {GH_GET, "/", GH_ROUTE_FOUND, h_meta_root, NULL, 0},
    {GH_GET, "/healthz", GH_ROUTE_FOUND, h_meta_healthz, NULL, 0},
    {GH_GET, "/readyz", GH_ROUTE_FOUND, h_meta_readyz, NULL, 0},
    {GH_POST, "/auth/register", GH_ROUTE_FOUND, h_auth_register, NULL, 0},
    {GH_POST, "/auth/token", GH_ROUTE_FOUND, h_auth_token, NULL, 0},
    {GH_POST, "/auth/login", GH_ROUTE_FOUND, h_auth_token, NULL, 0},
    {GH_GET, "/users/me", GH_ROUTE_FOUND, h_users_me, NULL, 0},
    {GH_GET, "/me", GH_ROUTE_FOUND, h_users_me, NULL, 0},
    {GH_GET, "/admin/users", GH_ROUTE_FOUND, h_admin_users_list, NULL, 0},
    {GH_GET, "/posts", GH_ROUTE_FOUND, h_posts_list, NULL, 0},
    {GH_POST, "/posts", GH_ROUTE_FOUND, h_posts_create, NULL, 0},
    /* HEAD is answered by the GET row */
    {GH_HEAD, "/", GH_ROUTE_FOUND, h_meta_root, NULL, 0},
    {GH_HEAD, "/healthz", GH_ROUTE_FOUND, h_meta_healthz, NULL, 0},
    {GH_HEAD, "/posts", GH_ROUTE_FOUND, h_posts_list, NULL, 0},
    {GH_HEAD, "/users/me", GH_ROUTE_FOUND, h_users_me, NULL, 0},
    /* capture rows */
    {GH_PATCH, "/posts/17", GH_ROUTE_FOUND, h_posts_update, "17", 0},
    {GH_DELETE, "/posts/17", GH_ROUTE_FOUND, h_posts_delete, "17", 0},
    {GH_PATCH, "/posts/abc", GH_ROUTE_FOUND, h_posts_update, "abc", 0},
    {GH_DELETE, "/posts/-1", GH_ROUTE_FOUND, h_posts_delete, "-1", 0},
    {GH_PATCH, "/posts/{post_id}", GH_ROUTE_FOUND, h_posts_update, "{post_id}",
        0},
    {GH_DELETE, "/posts/a b%2F", GH_ROUTE_FOUND, h_posts_delete, "a b%2F", 0},
    /* one trailing slash is served as without it (FastAPI clients) */
    {GH_GET, "/healthz/", GH_ROUTE_FOUND, h_meta_healthz, NULL, 0},
    {GH_GET, "/posts/", GH_ROUTE_FOUND, h_posts_list, NULL, 0},
    {GH_POST, "/posts/", GH_ROUTE_FOUND, h_posts_create, NULL, 0},
    {GH_GET, "/users/me/", GH_ROUTE_FOUND, h_users_me, NULL, 0},
    {GH_PATCH, "/posts/17/", GH_ROUTE_FOUND, h_posts_update, "17", 0},
    {GH_PATCH, "/posts/", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD) | BIT(GH_POST)},
    /* 405: the path exists, the method does not; Allow lists them all */
    {GH_GET, "/posts/17", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_PATCH) | BIT(GH_DELETE)},
    {GH_PUT, "/posts/17", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_PATCH) | BIT(GH_DELETE)},
    {GH_PUT, "/posts", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD) | BIT(GH_POST)},
    {GH_DELETE, "/posts", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD) | BIT(GH_POST)},
    {GH_GET, "/auth/token", GH_ROUTE_NO_METHOD, NULL, NULL, BIT(GH_POST)},
    {GH_GET, "/auth/register", GH_ROUTE_NO_METHOD, NULL, NULL, BIT(GH_POST)},
    /* DELETE /users/{user_id} also matches the path */
    {GH_POST, "/users/me", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD) | BIT(GH_DELETE)},
    {GH_POST, "/", GH_ROUTE_NO_METHOD, NULL, NULL, BIT(GH_GET) | BIT(GH_HEAD)},
    {GH_OPTIONS, "/healthz", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD)},
    {GH_METHOD_OTHER, "/healthz", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD)},
    {GH_DELETE, "/admin/users", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_GET) | BIT(GH_HEAD)},
    /* HEAD is not added where there is no GET */
    {GH_HEAD, "/posts/17", GH_ROUTE_NO_METHOD, NULL, NULL,
        BIT(GH_PATCH) | BIT(GH_DELETE)},
    {GH_HEAD, "/auth/token", GH_ROUTE_NO_METHOD, NULL, NULL, BIT(GH_POST)},
    /* 404: no pattern matches */
    {GH_GET, "/nope", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/Posts", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    /* more than one trailing slash is another path */
    {GH_GET, "/healthz//", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_PATCH, "/posts/17//", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "//posts", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/posts//", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_PATCH, "/posts//17", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_PATCH, "//posts/17", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "//", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "///", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "posts", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "healthz", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "*", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/posts/17/comments", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/auth", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/admin", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/users", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/users/5", GH_ROUTE_NO_METHOD, NULL, NULL, BIT(GH_DELETE)},
    {GH_GET, "/healthz?x=1", GH_ROUTE_NO_PATH, NULL, NULL, 0},
    {GH_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", GH_ROUTE_NO_PATH, NULL, NULL,
        0},
};

static void
test_real_table(void **state)
{
	struct gh_arena *a = gh_arena_new(4096);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	enum gh_route_match m;
	unsigned allow;
	size_t i, j;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(real_cases); i++) {
		route = (const struct gh_route *)&route; /* must be reset */
		allow = 0xdead;
		m = gh_router_match(gh_routes, gh_routes_count,
		    real_cases[i].method, real_cases[i].path, a, &route, params,
		    &allow);
		if (m != real_cases[i].want)
			fail_msg("%s %s: match %d, want %d",
			    gh_method_name(real_cases[i].method),
			    real_cases[i].path, (int)m,
			    (int)real_cases[i].want);
		switch (m) {
		case GH_ROUTE_FOUND:
			assert_non_null(route);
			assert_int_equal(
			    route->method, real_cases[i].method == GH_HEAD
			                       ? GH_GET
			                       : real_cases[i].method);
			assert_ptr_equal(route->handler, real_cases[i].handler);
			if (real_cases[i].param0 == NULL) {
				assert_null(params[0]);
			} else {
				assert_non_null(params[0]);
				assert_string_equal(
				    params[0], real_cases[i].param0);
				/* a copy, not a pointer into the path */
				assert_true((uintptr_t)params[0] <
				                (uintptr_t)real_cases[i].path ||
				            (uintptr_t)params[0] >
				                (uintptr_t)real_cases[i].path +
				                    strlen(real_cases[i].path));
			}
			for (j = 1; j < GH_ROUTE_MAX_PARAMS; j++)
				assert_null(params[j]);
			break;
		case GH_ROUTE_NO_METHOD:
			assert_null(route);
			if (allow != real_cases[i].allow)
				fail_msg("%s %s: allow 0x%x, want 0x%x",
				    gh_method_name(real_cases[i].method),
				    real_cases[i].path, allow,
				    real_cases[i].allow);
			break;
		case GH_ROUTE_NO_PATH:
			assert_null(route);
			assert_int_equal(allow, 0);
			break;
		}
	}
	gh_arena_free(a);
}

/* A capture is at most 256 bytes; 257 and 300 never match. */
static void
test_long_segment(void **state)
{
	static const struct {
		size_t len;
		enum gh_route_match want;
	} cases[] = {
	    {1, GH_ROUTE_FOUND},
	    {255, GH_ROUTE_FOUND},
	    {256, GH_ROUTE_FOUND},
	    {257, GH_ROUTE_NO_PATH},
	    {300, GH_ROUTE_NO_PATH},
	    {5000, GH_ROUTE_NO_PATH},
	};
	struct gh_arena *a = gh_arena_new(1u << 16);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	char path[8 + 5000 + 1];
	unsigned allow;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		memcpy(path, "/posts/", 7);
		memset(path + 7, '9', cases[i].len);
		path[7 + cases[i].len] = '\0';
		assert_int_equal(
		    gh_router_match(gh_routes, gh_routes_count, GH_DELETE, path,
		        a, &route, params, &allow),
		    cases[i].want);
		if (cases[i].want == GH_ROUTE_FOUND) {
			assert_int_equal(strlen(params[0]), cases[i].len);
			assert_memory_equal(params[0], path + 7, cases[i].len);
		}
		/* a long literal segment is rejected the same way */
		memset(path + 1, 'x', cases[i].len);
		path[1 + cases[i].len] = '\0';
		assert_int_equal(gh_router_match(gh_routes, gh_routes_count,
		                     GH_GET, path, a, &route, params, &allow),
		    GH_ROUTE_NO_PATH);
	}
	gh_arena_free(a);
}

/* Up to 16 segments match; a 17th makes the path unmatchable, even
 * against a pattern that has 17 segments. */
static void
test_segment_count(void **state)
{
	static const struct gh_route table[] = {
	    {GH_GET, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/{x}", h_one},
	    {GH_GET, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/{x}", h_two},
	    {GH_GET, "/{a}/{b}/{c}/{d}/{e}", h_three},
	};
	static const struct {
		const char *path;
		enum gh_route_match want;
		gh_handler_fn handler;
	} cases[] = {
	    {"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/x", GH_ROUTE_FOUND, h_one},
	    {"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/x", GH_ROUTE_NO_PATH,
	        NULL},
	    {"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22",
	        GH_ROUTE_NO_PATH, NULL},
	    /* five captures: more than GH_ROUTE_MAX_PARAMS never matches */
	    {"/a/b/c/d/e", GH_ROUTE_NO_PATH, NULL},
	};
	struct gh_arena *a = gh_arena_new(4096);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	unsigned allow;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		assert_int_equal(
		    gh_router_match(table, GH_ARRAY_SIZE(table), GH_GET,
		        cases[i].path, a, &route, params, &allow),
		    cases[i].want);
		if (cases[i].want == GH_ROUTE_FOUND) {
			assert_ptr_equal(route->handler, cases[i].handler);
			assert_string_equal(params[0], "x");
		}
	}
	gh_arena_free(a);
}

/* Literal vs capture: the first matching row wins, so a literal listed
 * before a capture takes its one path and the capture takes the rest;
 * listed after, the literal is shadowed. */
static void
test_literal_vs_capture(void **state)
{
	static const struct gh_route literal_first[] = {
	    {GH_GET, "/users/me", h_one},
	    {GH_GET, "/users/{id}", h_two},
	    {GH_GET, "/users/{id}/posts/{post}", h_three},
	};
	static const struct gh_route capture_first[] = {
	    {GH_GET, "/users/{id}", h_two},
	    {GH_GET, "/users/me", h_one},
	};
	static const struct {
		const struct gh_route *table;
		size_t n;
		const char *path;
		gh_handler_fn handler;
		const char *p0, *p1;
	} cases[] = {
	    {literal_first, 3, "/users/me", h_one, NULL, NULL},
	    {literal_first, 3, "/users/42", h_two, "42", NULL},
	    {literal_first, 3, "/users/mee", h_two, "mee", NULL},
	    {literal_first, 3, "/users/m", h_two, "m", NULL},
	    {literal_first, 3, "/users/me/posts/9", h_three, "me", "9"},
	    {literal_first, 3, "/users/7/posts/x", h_three, "7", "x"},
	    {capture_first, 2, "/users/me", h_two, "me", NULL},
	};
	struct gh_arena *a = gh_arena_new(4096);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	unsigned allow;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		assert_int_equal(
		    gh_router_match(cases[i].table, cases[i].n, GH_GET,
		        cases[i].path, a, &route, params, &allow),
		    GH_ROUTE_FOUND);
		assert_ptr_equal(route->handler, cases[i].handler);
		if (cases[i].p0 != NULL)
			assert_string_equal(params[0], cases[i].p0);
		else
			assert_null(params[0]);
		if (cases[i].p1 != NULL)
			assert_string_equal(params[1], cases[i].p1);
		else
			assert_null(params[1]);
		assert_null(params[2]);
		assert_null(params[3]);
	}
	/* an empty segment never fills a capture */
	assert_int_equal(gh_router_match(literal_first, 3, GH_GET,
	                     "/users//posts/9", a, &route, params, &allow),
	    GH_ROUTE_NO_PATH);
	gh_arena_free(a);
}

/* Captures are copies in the arena: changing the path afterwards does
 * not change them, and they survive until the arena is freed. */
static void
test_captures_in_arena(void **state)
{
	struct gh_arena *a = gh_arena_new(4096);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	char path[] = "/posts/12345";
	unsigned allow;
	size_t before = gh_arena_used(a);

	(void)state;
	assert_int_equal(gh_router_match(gh_routes, gh_routes_count, GH_PATCH,
	                     path, a, &route, params, &allow),
	    GH_ROUTE_FOUND);
	assert_true(gh_arena_used(a) > before);
	memset(path + 7, 'z', 5);
	assert_string_equal(params[0], "12345");
	gh_arena_free(a);
}

/* An arena too small for the capture: never GH_ROUTE_FOUND, never a
 * NULL capture handed to a handler. */
static void
test_arena_exhausted(void **state)
{
	struct gh_arena *a = gh_arena_new(0);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	unsigned allow;

	(void)state;
	assert_int_not_equal(
	    gh_router_match(gh_routes, gh_routes_count, GH_PATCH, "/posts/1", a,
	        &route, params, &allow),
	    GH_ROUTE_FOUND);
	assert_null(route);
	/* no capture: no arena needed */
	assert_int_equal(gh_router_match(gh_routes, gh_routes_count, GH_GET,
	                     "/posts", a, &route, params, &allow),
	    GH_ROUTE_FOUND);
	gh_arena_free(a);
}

static void
test_empty_table(void **state)
{
	struct gh_arena *a = gh_arena_new(4096);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	unsigned allow = 1;

	(void)state;
	assert_int_equal(gh_router_match(gh_routes, 0, GH_GET, "/", a, &route,
	                     params, &allow),
	    GH_ROUTE_NO_PATH);
	assert_null(route);
	assert_int_equal(allow, 0);
	gh_arena_free(a);
}

/* ---- table hygiene ----------------------------------------------------- */

/* A pattern is '/' or '/'-separated non-empty segments, each a literal
 * without braces or one whole "{name}". */
static bool
pattern_ok(const char *p)
{
	const char *seg, *end;
	size_t n;

	if (p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	for (seg = p + 1;; seg = end + 1) {
		end = strchr(seg, '/');
		n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0)
			return false;
		if (seg[0] == '{') {
			if (n < 3 || seg[n - 1] != '}' ||
			    memchr(seg + 1, '{', n - 1) != NULL ||
			    memchr(seg, '}', n - 1) != NULL)
				return false;
		} else if (memchr(seg, '{', n) != NULL ||
		           memchr(seg, '}', n) != NULL) {
			return false;
		}
		if (end == NULL)
			return true;
	}
}

static void
test_table_rows(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(gh_routes_count > 0);
	for (i = 0; i < gh_routes_count; i++) {
		const struct gh_route *r = &gh_routes[i];

		if (r->handler == NULL)
			fail_msg("row %zu %s: no handler", i, r->pattern);
		assert_non_null(r->pattern);
		if (!pattern_ok(r->pattern))
			fail_msg("row %zu: bad pattern \"%s\"", i, r->pattern);
		assert_true(r->method < GH_METHOD_OTHER);
		assert_non_null(r->summary);
		assert_true(r->summary[0] != '\0');
		if (r->guard == GH_GUARD_ROLE)
			assert_true(r->role > GH_ROLE_USER);
		for (j = i + 1; j < gh_routes_count; j++)
			if (gh_routes[j].method == r->method &&
			    strcmp(gh_routes[j].pattern, r->pattern) == 0)
				fail_msg("rows %zu and %zu: both %s %s", i, j,
				    gh_method_name(r->method), r->pattern);
	}
}

/* Every row is reachable: its own pattern (captures filled with "1")
 * matches that row, not an earlier one that shadows it. */
static void
test_table_rows_reachable(void **state)
{
	struct gh_arena *a = gh_arena_new(1u << 16);
	const struct gh_route *route;
	const char *params[GH_ROUTE_MAX_PARAMS];
	char path[512], *w;
	const char *p;
	unsigned allow;
	size_t i;

	(void)state;
	for (i = 0; i < gh_routes_count; i++) {
		w = path;
		for (p = gh_routes[i].pattern; *p != '\0';) {
			assert_true(w < path + sizeof(path) - 2);
			if (*p == '{') {
				*w++ = '1';
				p = strchr(p, '}') + 1;
			} else {
				*w++ = *p++;
			}
		}
		*w = '\0';
		if (gh_router_match(gh_routes, gh_routes_count,
		        gh_routes[i].method, path, a, &route, params,
		        &allow) != GH_ROUTE_FOUND ||
		    route != &gh_routes[i])
			fail_msg("row %zu (%s %s) is shadowed", i,
			    gh_method_name(gh_routes[i].method),
			    gh_routes[i].pattern);
	}
	gh_arena_free(a);
}

/* ---- methods ------------------------------------------------------------ */

static void
test_method_names(void **state)
{
	static const struct {
		const char *name;
		enum gh_method m;
	} cases[] = {
	    {"GET", GH_GET},
	    {"HEAD", GH_HEAD},
	    {"POST", GH_POST},
	    {"PUT", GH_PUT},
	    {"PATCH", GH_PATCH},
	    {"DELETE", GH_DELETE},
	    {"OPTIONS", GH_OPTIONS},
	};
	static const char *const other[] = {"", "get", "Get", "GET ", " GET",
	    "GETX", "GE", "TRACE", "CONNECT", "PROPFIND", "OTHER", "DELETE\r",
	    "POST\n", "patch"};
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		assert_int_equal(gh_method_parse(cases[i].name), cases[i].m);
		assert_string_equal(gh_method_name(cases[i].m), cases[i].name);
	}
	for (i = 0; i < GH_ARRAY_SIZE(other); i++)
		if (gh_method_parse(other[i]) != GH_METHOD_OTHER)
			fail_msg("\"%s\" parsed as a known method", other[i]);
	assert_string_equal(gh_method_name(GH_METHOD_OTHER), "OTHER");
	assert_string_equal(gh_method_name(GH_METHOD_COUNT), "OTHER");
	assert_string_equal(gh_method_name((enum gh_method) - 1), "OTHER");
	assert_string_equal(gh_method_name((enum gh_method)1000), "OTHER");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_table),
	    cmocka_unit_test(test_long_segment),
	    cmocka_unit_test(test_segment_count),
	    cmocka_unit_test(test_literal_vs_capture),
	    cmocka_unit_test(test_captures_in_arena),
	    cmocka_unit_test(test_arena_exhausted),
	    cmocka_unit_test(test_empty_table),
	    cmocka_unit_test(test_table_rows),
	    cmocka_unit_test(test_table_rows_reachable),
	    cmocka_unit_test(test_method_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
