/*
 * router.c - matches a request path against the route table.
 *
 * Patterns are literal segments and "{name}" captures, one segment each;
 * a path matches with or without one trailing slash.
 * The table is small (tens of rows) and each match is a few string
 * compares, so a linear scan beats any index in clarity and speed.  A
 * path that matches some row's pattern but not its method is a 405 with
 * an Allow list; no pattern at all is a 404.
 */
#include <string.h>

#include "http/router.h"
#include "util/banned.h"

#define MAX_SEGMENTS 16
#define MAX_SEGMENT_LEN 256

static const char *const method_names[GH_METHOD_COUNT] = {
    [GH_GET] = "GET",
    [GH_HEAD] = "HEAD",
    [GH_POST] = "POST",
    [GH_PUT] = "PUT",
    [GH_PATCH] = "PATCH",
    [GH_DELETE] = "DELETE",
    [GH_OPTIONS] = "OPTIONS",
    [GH_METHOD_OTHER] = "OTHER",
};

const char *
gh_method_name(enum gh_method m)
{
	return (unsigned)m < GH_METHOD_COUNT ? method_names[m] : "OTHER";
}

enum gh_method
gh_method_parse(const char *s)
{
	int i;

	for (i = 0; i < GH_METHOD_OTHER; i++)
		if (strcmp(s, method_names[i]) == 0)
			return (enum gh_method)i;
	return GH_METHOD_OTHER;
}

struct seg {
	const char *p;
	size_t len;
};

/* Split "/a/b" into segments; false when the path is not acceptable. */
static bool
split(const char *path, struct seg *segs, size_t *n)
{
	const char *p = path, *q;

	*n = 0;
	if (*p != '/')
		return false;
	if (p[1] == '\0')
		return true; /* "/" has no segments */
	while (*p == '/') {
		p++;
		q = strchr(p, '/');
		if (q == NULL)
			q = p + strlen(p);
		if (*n == MAX_SEGMENTS || (size_t)(q - p) > MAX_SEGMENT_LEN)
			return false;
		segs[*n].p = p;
		segs[*n].len = (size_t)(q - p);
		(*n)++;
		p = q;
	}
	return true;
}

/* Does pattern match the segments?  Captures go to caps[]. */
static bool
match(const char *pattern, const struct seg *segs, size_t n, struct seg *caps,
    size_t *ncaps)
{
	struct seg pat[MAX_SEGMENTS];
	size_t np, i;

	*ncaps = 0;
	if (!split(pattern, pat, &np) || np != n)
		return false;
	for (i = 0; i < n; i++) {
		if (pat[i].len >= 2 && pat[i].p[0] == '{' &&
		    pat[i].p[pat[i].len - 1] == '}') {
			if (segs[i].len == 0 || *ncaps == GH_ROUTE_MAX_PARAMS)
				return false;
			caps[(*ncaps)++] = segs[i];
			continue;
		}
		if (pat[i].len != segs[i].len ||
		    memcmp(pat[i].p, segs[i].p, segs[i].len) != 0)
			return false;
	}
	return true;
}

enum gh_route_match
gh_router_match(const struct gh_route *table, size_t n, enum gh_method method,
    const char *path, struct gh_arena *a, const struct gh_route **out,
    const char *params[GH_ROUTE_MAX_PARAMS], unsigned *allow)
{
	struct seg segs[MAX_SEGMENTS], caps[GH_ROUTE_MAX_PARAMS];
	size_t nsegs, ncaps, i, j;
	bool path_seen = false;

	*out = NULL;
	*allow = 0;
	if (!split(path, segs, &nsegs))
		return GH_ROUTE_NO_PATH;
	/* FastAPI serves a route with or without its trailing slash, and
	 * clients written for it send either ("GET /todos/"): one trailing
	 * empty segment is dropped, and served, not redirected, so a POST
	 * body or a CORS preflight survives */
	if (nsegs > 0 && segs[nsegs - 1].len == 0)
		nsegs--;
	for (i = 0; i < n; i++) {
		if (!match(table[i].pattern, segs, nsegs, caps, &ncaps))
			continue;
		path_seen = true;
		*allow |= 1u << table[i].method;
		/* HEAD is answered by the GET route (libmicrohttpd sends the
		 * headers only), as Starlette does */
		if (table[i].method != method &&
		    !(method == GH_HEAD && table[i].method == GH_GET))
			continue;
		for (j = 0; j < GH_ROUTE_MAX_PARAMS; j++)
			params[j] = NULL;
		for (j = 0; j < ncaps; j++) {
			params[j] = gh_arena_strndup(a, caps[j].p, caps[j].len);
			if (params[j] == NULL)
				return GH_ROUTE_NO_PATH;
		}
		*out = &table[i];
		return GH_ROUTE_FOUND;
	}
	if (*allow & (1u << GH_GET))
		*allow |= 1u << GH_HEAD;
	return path_seen ? GH_ROUTE_NO_METHOD : GH_ROUTE_NO_PATH;
}
