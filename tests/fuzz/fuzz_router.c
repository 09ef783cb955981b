/*
 * fuzz_router.c - libFuzzer target for gh_router_match() over the real
 * route table gh_routes (src/http/router.c, src/http/routes.c).
 *
 * Input: the first byte picks the method (modulo GH_METHOD_COUNT, so
 * GH_METHOD_OTHER is reached too); the rest, up to its first NUL, is the
 * decoded path, copied into an exact-size NUL-terminated buffer.
 *
 * The result is compared with a reference matcher written here from
 * router.h: the first row whose pattern matches and whose method is the
 * request's (or GET for a HEAD) is found, with its "{name}" captures as
 * params; a path that some pattern matches but no method does is
 * GH_ROUTE_NO_METHOD with the union of those rows' methods (plus HEAD
 * when GET is in it) in *allow; anything else is GH_ROUTE_NO_PATH.
 * One trailing slash is ignored ("/todos/" is "/todos"), not two.
 * Paths with a segment over 256 bytes or more than 16 segments (the
 * trailing empty one counted) never match.
 *
 * This binary links all of src/ but main.c, since routes.c names the
 * real handlers; none of them is called.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "http/router.h"
#include "util/arena.h"

#define REF_MAX_SEGMENTS 16
#define REF_MAX_SEGMENT_LEN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_seg {
	const char *p;
	size_t len;
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_router: %s\n", what);
	abort();
}

/* "/a//b" -> "a", "", "b"; "/" -> none.  false: not a matchable path. */
static bool
ref_split(const char *s, struct ref_seg *segs, size_t *n)
{
	size_t i, start;

	*n = 0;
	if (s[0] != '/')
		return false;
	if (s[1] == '\0')
		return true;
	for (start = 1, i = 1;; i++) {
		if (s[i] != '/' && s[i] != '\0')
			continue;
		if (*n == REF_MAX_SEGMENTS || i - start > REF_MAX_SEGMENT_LEN)
			return false;
		segs[*n].p = s + start;
		segs[*n].len = i - start;
		(*n)++;
		if (s[i] == '\0')
			return true;
		start = i + 1;
	}
}

static bool
is_capture(const struct ref_seg *s)
{
	return s->len >= 2 && s->p[0] == '{' && s->p[s->len - 1] == '}';
}

/* Does route's pattern match segs?  Captured segments go to caps. */
static bool
ref_match(const char *pattern, const struct ref_seg *segs, size_t n,
    struct ref_seg *caps, size_t *ncaps)
{
	struct ref_seg pat[REF_MAX_SEGMENTS];
	size_t np, i;

	*ncaps = 0;
	if (!ref_split(pattern, pat, &np) || np != n)
		return false;
	for (i = 0; i < n; i++) {
		if (is_capture(&pat[i])) {
			if (segs[i].len == 0 || *ncaps == GH_ROUTE_MAX_PARAMS)
				return false;
			caps[(*ncaps)++] = segs[i];
		} else if (pat[i].len != segs[i].len ||
		           memcmp(pat[i].p, segs[i].p, segs[i].len) != 0)
			return false;
	}
	return true;
}

static bool
method_ok(enum gh_method row, enum gh_method req)
{
	return row == req || (req == GH_HEAD && row == GH_GET);
}

static void
check(enum gh_method method, const char *path)
{
	struct ref_seg segs[REF_MAX_SEGMENTS], caps[GH_ROUTE_MAX_PARAMS];
	struct ref_seg found_caps[GH_ROUTE_MAX_PARAMS];
	const char *params[GH_ROUTE_MAX_PARAMS];
	const struct gh_route *out = (const void *)path, *want = NULL;
	enum gh_route_match m;
	struct gh_arena *a;
	size_t nsegs, ncaps, nfound = 0, i;
	unsigned allow = 0xdead, want_allow = 0;
	bool seen = false;

	a = gh_arena_new(64 * 1024);
	for (i = 0; i < GH_ROUTE_MAX_PARAMS; i++)
		params[i] = (const char *)path; /* must be overwritten */
	m = gh_router_match(
	    gh_routes, gh_routes_count, method, path, a, &out, params, &allow);

	if (ref_split(path, segs, &nsegs)) {
		if (nsegs > 0 && segs[nsegs - 1].len == 0)
			nsegs--; /* "/todos/" is "/todos" */
		for (i = 0; i < gh_routes_count; i++) {
			if (!ref_match(gh_routes[i].pattern, segs, nsegs, caps,
			        &ncaps))
				continue;
			seen = true;
			want_allow |= 1u << gh_routes[i].method;
			if (want == NULL &&
			    method_ok(gh_routes[i].method, method)) {
				want = &gh_routes[i];
				nfound = ncaps;
				memcpy(found_caps, caps, sizeof(caps));
			}
		}
	}
	if (want_allow & (1u << GH_GET))
		want_allow |= 1u << GH_HEAD;

	if (want != NULL) {
		if (m != GH_ROUTE_FOUND || out != want)
			fail("route not found, or another row found");
		for (i = 0; i < GH_ROUTE_MAX_PARAMS; i++) {
			if (i >= nfound) {
				if (params[i] != NULL)
					fail("unused param not NULL");
				continue;
			}
			if (params[i] == NULL ||
			    strlen(params[i]) != found_caps[i].len ||
			    memcmp(params[i], found_caps[i].p,
			        found_caps[i].len) != 0)
				fail("param differs from the path segment");
		}
	} else if (seen) {
		if (m != GH_ROUTE_NO_METHOD || out != NULL)
			fail("expected GH_ROUTE_NO_METHOD");
		if (allow != want_allow)
			fail("Allow bits differ from the reference");
		if (allow & (1u << method))
			fail("Allow names the method that was refused");
	} else {
		if (m != GH_ROUTE_NO_PATH || out != NULL)
			fail("expected GH_ROUTE_NO_PATH");
		if (allow != 0)
			fail("Allow bits set for an unknown path");
	}
	gh_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum gh_method method;
	char *path;

	if (size == 0)
		return 0;
	method = (enum gh_method)(data[0] % GH_METHOD_COUNT);
	path = malloc(size);
	if (path == NULL)
		abort();
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	/* exact size, so that ASan sees a read past the terminator */
	path = realloc(path, strlen(path) + 1);
	if (path == NULL)
		abort();
	check(method, path);
	free(path);
	return 0;
}
