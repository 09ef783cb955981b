/*
 * cookie.c - one cookie out of a Cookie header (see cookie.h).
 */
#include <string.h>

#include "util/cookie.h"
#include "util/banned.h"

bool
gh_cookie_get(const char *header, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name), vlen;
	const char *p = header, *end, *v;

	if (outsz == 0)
		return false;
	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > nlen && memcmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			v = p + nlen + 1;
			vlen = (size_t)(end - v);
			while (vlen > 0 &&
			       (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= outsz)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}
