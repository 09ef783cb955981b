/*
 * utf8.c - strict UTF-8 validation and code-point counting.
 *
 * The validator follows the well-formed byte sequences of table 3-7 of
 * the Unicode Standard (RFC 3629 section 4 gives the same set as ABNF):
 * the second byte's range depends on the lead byte, which is what rules
 * out overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF)
 * and code points above U+10FFFF (F4 90..BF, F5..FF).  It runs on every
 * request body, so runs of ASCII are skipped eight bytes at a time.
 * Nothing here allocates or keeps state.
 */
#include <stdint.h>
#include <string.h>

#include "util/utf8.h"
#include "util/banned.h"

#define HIGH_BITS 0x8080808080808080ULL

/* Eight bytes from p, whatever its alignment. */
static uint64_t
load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static bool
is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

bool
gh_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	unsigned char c, lo, hi;
	size_t need;

	if (len == 0)
		return true; /* s may be NULL; NULL + 0 is undefined in C */
	end = p + len;
	while (p < end) {
		if ((size_t)(end - p) >= 8 && (load64(p) & HIGH_BITS) == 0) {
			p += 8;
			continue;
		}
		c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		/* Range of the byte after the lead; later bytes are 80..BF. */
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong below U+0800 */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates U+D800..U+DFFF */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong below U+10000 */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else
			return false; /* 80..C1 stray or overlong, F5..FF */
		if ((size_t)(end - p) <= need)
			return false; /* truncated */
		if (p[1] < lo || p[1] > hi)
			return false;
		if (need >= 2 && !is_cont(p[2]))
			return false;
		if (need == 3 && !is_cont(p[3]))
			return false;
		p += need + 1;
	}
	return true;
}

size_t
gh_utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cont = 0;
	uint64_t w;

	/*
	 * Code points = bytes - continuation bytes.  A continuation byte
	 * is 10xxxxxx: bit 7 set and bit 6 clear; shifting the word left
	 * by one moves each byte's bit 6 under its own bit 7.
	 */
	for (; len - i >= 8; i += 8) {
		w = load64(p + i);
		cont += (size_t)__builtin_popcountll(w & ~(w << 1) & HIGH_BITS);
	}
	for (; i < len; i++)
		cont += is_cont(p[i]);
	return len - cont;
}

bool
gh_utf8_has_nul(const char *s, size_t len)
{
	return len != 0 && memchr(s, '\0', len) != NULL;
}

size_t
gh_utf8_valid_prefix(const char *s, size_t len)
{
	while (len > 0 && !gh_utf8_valid(s, len))
		len--;
	return len;
}
