/*
 * form.c - application/x-www-form-urlencoded parser.
 *
 * One pass over the body: pairs split on '&', each name and value
 * decoded ('+' is a space, %XX a byte) into its own NUL-terminated arena
 * copy.  A decoded string is never longer than its source, so each copy
 * is allocated once at the source's length.  Decoding is strict where
 * Starlette's unquote_plus() is lenient: a '%' not followed by two hex
 * digits is an error rather than a literal '%'.  The body is not
 * modified and nothing outlives the arena.
 */
#include <string.h>

#include "gh.h"
#include "util/arena.h"
#include "util/form.h"
#include "util/banned.h"

int
gh_form_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode s[0..n) into a new arena string.  OUT: *dst, *dst_len.
 * GH_ERR_INVALID for a bad escape, GH_ERR_INTERNAL when the arena is full.
 */
static enum gh_err
decode(struct gh_arena *a, const char *s, size_t n, char **dst, size_t *dst_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k = 0;
	char *d;
	int hi, lo;

	*dst = NULL;
	*dst_len = 0;
	if ((d = gh_arena_alloc(a, n + 1)) == NULL)
		return GH_ERR_INTERNAL;
	for (i = 0; i < n; i++) {
		if (p[i] == '+')
			d[k++] = ' ';
		else if (p[i] != '%')
			d[k++] = (char)p[i];
		else {
			if (n - i < 3 || (hi = gh_form_hexval(p[i + 1])) < 0 ||
			    (lo = gh_form_hexval(p[i + 2])) < 0)
				return GH_ERR_INVALID;
			d[k++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	d[k] = '\0';
	*dst = d;
	*dst_len = k;
	return GH_OK;
}

enum gh_err
gh_form_parse(
    struct gh_arena *a, const char *body, size_t len, struct gh_form *out)
{
	enum gh_err r = GH_ERR_INTERNAL;
	struct gh_form_field *fld;
	const char *amp, *eq;
	size_t i, end, val;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i = end + 1) {
		amp = memchr(body + i, '&', len - i);
		end = amp != NULL ? (size_t)(amp - body) : len;
		if (end == i)
			continue; /* empty pair */
		if (out->n == GH_FORM_MAX_FIELDS) {
			r = GH_ERR_TOOLARGE;
			goto out;
		}
		/* No '=': the whole pair is the name, the value is empty. */
		eq = memchr(body + i, '=', end - i);
		val = eq != NULL ? (size_t)(eq - body) + 1 : end;
		fld = &out->f[out->n];
		if ((r = decode(a, body + i, (eq != NULL ? val - 1 : end) - i,
		         &fld->name, &fld->name_len)) != GH_OK)
			goto out;
		if ((r = decode(a, body + val, end - val, &fld->value,
		         &fld->value_len)) != GH_OK)
			goto out;
		out->n++;
	}
	r = GH_OK;
out:
	if (r != GH_OK)
		memset(out, 0, sizeof(*out));
	return r;
}

const char *
gh_form_get(const struct gh_form *f, const char *name, size_t *len)
{
	size_t i, n = strlen(name);

	if (len != NULL)
		*len = 0;
	for (i = f->n; i > 0; i--) {
		if (f->f[i - 1].name_len == n &&
		    memcmp(f->f[i - 1].name, name, n) == 0) {
			if (len != NULL)
				*len = f->f[i - 1].value_len;
			return f->f[i - 1].value;
		}
	}
	return NULL;
}
