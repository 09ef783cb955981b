/*
 * fuzz_utf8.c - libFuzzer target for gh_utf8_valid(), gh_utf8_count()
 * and gh_utf8_has_nul() (src/util/utf8.c).
 *
 * Differential: a plain reference decoder written here (decode each
 * sequence to its code point, then refuse overlongs by length,
 * surrogates and values above U+10FFFF, as RFC 3629 says) must agree
 * with the module's table-driven validator and its word-at-a-time
 * fast paths.  Each input is checked whole and from each of its first
 * seven byte offsets, so the eight-byte ASCII skip sees every
 * alignment and every split of a sequence at a word boundary; each
 * check runs on an exact-size heap copy so ASan sees any over-read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_utf8: %s\n", what);
	abort();
}

/* Code points in s[0..n), or SIZE_MAX when it is not strict UTF-8. */
static size_t
ref_count(const unsigned char *s, size_t n)
{
	size_t i = 0, count = 0, len, k;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			len = 1;
			cp = s[i];
			min = 0;
		} else if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return SIZE_MAX; /* continuation or F8..FF lead */
		if (n - i < len)
			return SIZE_MAX;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return SIZE_MAX;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return SIZE_MAX;
		i += len;
		count++;
	}
	return count;
}

static void
check(const uint8_t *data, size_t size)
{
	size_t want = ref_count(data, size), i;
	bool nul = false;
	char *s;

	s = malloc(size > 0 ? size : 1);
	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	for (i = 0; i < size; i++)
		if (data[i] == 0)
			nul = true;
	if (gh_utf8_valid(s, size) != (want != SIZE_MAX))
		fail("gh_utf8_valid disagrees with the reference");
	if (want != SIZE_MAX && gh_utf8_count(s, size) != want)
		fail("gh_utf8_count disagrees with the reference");
	if (gh_utf8_has_nul(s, size) != nul)
		fail("gh_utf8_has_nul disagrees with the reference");
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t k;

	/* the contract allows NULL with a length of 0 */
	if (!gh_utf8_valid(NULL, 0) || gh_utf8_count(NULL, 0) != 0 ||
	    gh_utf8_has_nul(NULL, 0))
		fail("wrong answer for NULL, 0");
	for (k = 0; k < 8 && k <= size; k++)
		check(data + k, size - k);
	return 0;
}
