/*
 * alloc.c - allocation that aborts instead of returning NULL, and the
 * names of enum gh_err.  An auth server that runs out of memory cannot
 * answer correctly; dying loudly beats limping on (h2o, Redis, git).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "util/banned.h"

static void
oom(size_t n)
{
	fprintf(stderr, "gatehouse: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

void *
gh_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
gh_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
gh_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
gh_xstrndup(const char *s, size_t n)
{
	char *p = gh_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
gh_xstrdup(const char *s)
{
	return gh_xstrndup(s, strlen(s));
}

const char *
gh_err_str(enum gh_err e)
{
	switch (e) {
	case GH_OK:
		return "ok";
	case GH_ERR_INVALID:
		return "invalid";
	case GH_ERR_NOTFOUND:
		return "not found";
	case GH_ERR_CONFLICT:
		return "conflict";
	case GH_ERR_DENIED:
		return "denied";
	case GH_ERR_DB:
		return "database";
	case GH_ERR_TOOLARGE:
		return "too large";
	case GH_ERR_BUSY:
		return "busy";
	case GH_ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}
