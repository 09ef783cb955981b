/*
 * cors.c - parse CORS_ORIGINS and answer "may this origin read us?".
 */
#include <stdlib.h>
#include <string.h>

#include "http/cors.h"
#include "util/banned.h"

static bool
origin_ok(const char *s, size_t n)
{
	size_t i;

	if (!((n > 7 && strncmp(s, "http://", 7) == 0) ||
	        (n > 8 && strncmp(s, "https://", 8) == 0)))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == ',' || (unsigned char)s[i] >= 0x7f)
			return false;
	return s[n - 1] != '/';
}

enum gh_err
gh_cors_parse(const char *list, struct gh_cors *out)
{
	const char *p = list, *e;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, ", ");
		n = (size_t)(e - p);
		if (n == 1 && *p == '*') {
			out->any = true;
		} else {
			if (!origin_ok(p, n) || out->n == GH_CORS_MAX_ORIGINS) {
				gh_cors_release(out);
				return GH_ERR_INVALID;
			}
			out->origins[out->n++] = gh_xstrndup(p, n);
		}
		out->enabled = true;
		p = e;
	}
	return GH_OK;
}

void
gh_cors_release(struct gh_cors *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->origins[i]);
	memset(c, 0, sizeof(*c));
}

const char *
gh_cors_allow(const struct gh_cors *c, const char *origin)
{
	size_t i;

	if (c == NULL || !c->enabled || origin == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->origins[i], origin) == 0)
			return c->origins[i];
	return c->any ? "*" : NULL;
}
