/*
 * jsonw.c - direct JSON writing; see jsonw.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "util/jsonw.h"
#include "util/utf8.h"
#include "util/banned.h"

static void
reserve(struct gh_jsonw *w, size_t n)
{
	size_t cap;

	if (w->len + n <= w->cap)
		return;
	cap = GH_MAX(w->cap * 2, GH_MAX(w->len + n, (size_t)256));
	w->buf = gh_xrealloc(w->buf, cap);
	w->cap = cap;
}

void
gh_jsonw_raw(struct gh_jsonw *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void
gh_jsonw_lit(struct gh_jsonw *w, const char *s)
{
	gh_jsonw_raw(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
seq_len(const unsigned char *s, size_t avail)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail || !gh_utf8_valid((const char *)s, n))
		return 0;
	return n;
}

/* 1: a byte copied as it is (printable ASCII and DEL, but '"' and
 * '\\'); 0: escaped, or the start of a UTF-8 sequence to check. */
static const unsigned char plain[256] = {
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
};

void
gh_jsonw_str(struct gh_jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, run, k;
	char esc[6];

	reserve(w, n + 2);
	w->buf[w->len++] = '"';
	while (i < n) {
		/* copy the longest run that needs no escaping */
		for (run = i; run < n && plain[p[run]]; run++)
			;
		if (run > i) {
			gh_jsonw_raw(w, s + i, run - i);
			i = run;
			continue;
		}
		if (p[i] >= 0x80) {
			if ((k = seq_len(p + i, n - i)) == 0) {
				gh_jsonw_raw(w, "\xef\xbf\xbd", 3); /* U+FFFD */
				i++;
			} else {
				gh_jsonw_raw(w, s + i, k);
				i += k;
			}
			continue;
		}
		esc[0] = '\\';
		switch (p[i]) {
		case '"':
		case '\\':
			esc[1] = (char)p[i];
			gh_jsonw_raw(w, esc, 2);
			break;
		case '\n':
			gh_jsonw_raw(w, "\\n", 2);
			break;
		case '\r':
			gh_jsonw_raw(w, "\\r", 2);
			break;
		case '\t':
			gh_jsonw_raw(w, "\\t", 2);
			break;
		case '\b':
			gh_jsonw_raw(w, "\\b", 2);
			break;
		case '\f':
			gh_jsonw_raw(w, "\\f", 2);
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			gh_jsonw_raw(w, esc, 6);
		}
		i++;
	}
	reserve(w, 1);
	w->buf[w->len++] = '"';
}

void
gh_jsonw_int(struct gh_jsonw *w, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	/* the magnitude as unsigned: -INT64_MIN does not fit an int64 */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	gh_jsonw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
gh_jsonw_bool(struct gh_jsonw *w, bool v)
{
	if (v)
		gh_jsonw_raw(w, "true", 4);
	else
		gh_jsonw_raw(w, "false", 5);
}

void
gh_jsonw_reset(struct gh_jsonw *w)
{
	w->len = 0;
}

void
gh_jsonw_release(struct gh_jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
