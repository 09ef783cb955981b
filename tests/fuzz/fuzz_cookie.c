/*
 * fuzz_cookie.c - libFuzzer target for gh_cookie_get (util/cookie.h),
 * the parser of the Cookie header the console's sign-in rides on.
 *
 * Input: byte 0 picks the output buffer size (1..64) and byte 1 which
 * cookie name to look for; the rest is the header.  Checked: the output
 * is always NUL-terminated inside the buffer (ASan guards the bounds),
 * empty on a miss, never holds a ';' (no value runs into the next pair),
 * and the same call gives the same answer twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"gh_session", "a", "gh", ""};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *hdr, *out, again[65];
	size_t outsz;
	const char *name;
	bool found;

	if (size < 2)
		return 0;
	outsz = (size_t)(data[0] % 64) + 1;
	name = names[data[1] % (sizeof(names) / sizeof(names[0]))];
	hdr = malloc(size - 1);
	out = malloc(outsz);
	if (hdr == NULL || out == NULL)
		abort();
	memcpy(hdr, data + 2, size - 2);
	hdr[size - 2] = '\0';
	found = gh_cookie_get(hdr, name, out, outsz);
	if (memchr(out, '\0', outsz) == NULL)
		abort();
	if (!found && out[0] != '\0')
		abort();
	if (strchr(out, ';') != NULL)
		abort();
	if (gh_cookie_get(hdr, name, again, outsz) != found ||
	    strcmp(again, out) != 0)
		abort();
	free(hdr);
	free(out);
	return 0;
}
