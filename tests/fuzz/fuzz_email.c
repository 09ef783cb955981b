/*
 * fuzz_email.c - libFuzzer target for gh_email_normalize()
 * (src/util/validate.c).
 *
 * Inputs that are not valid UTF-8 (gh_utf8_valid) are skipped, as the
 * handlers never pass them.  The output buffer is exactly len + 1 bytes,
 * as validate.h asks, so ASan catches any write past it.  For an
 * accepted address the output must be valid UTF-8, no longer than the
 * input, at most 254 bytes, with exactly one '@' and no upper-case ASCII
 * after it, and normalising it again must accept it and give the same
 * bytes (idempotence).  A refused address leaves the empty string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "util/utf8.h"
#include "util/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_email: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out, *out2;
	const char *at, *p;
	size_t n;

	if (!gh_utf8_valid((const char *)data, size))
		return 0;
	/* exact-size copies: the input is not NUL-terminated */
	in = malloc(size > 0 ? size : 1);
	out = malloc(size + 1);
	if (in == NULL || out == NULL)
		abort();
	if (size > 0)
		memcpy(in, data, size);
	if (!gh_email_normalize(in, size, out)) {
		if (out[0] != '\0')
			fail("refused address left output");
		goto out;
	}
	n = strlen(out);
	if (n > size)
		fail("output longer than the input");
	if (n > 254)
		fail("output longer than 254 bytes");
	if (!gh_utf8_valid(out, n))
		fail("output is not valid UTF-8");
	if ((at = strchr(out, '@')) == NULL || strchr(at + 1, '@') != NULL)
		fail("output has not exactly one '@'");
	for (p = at + 1; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			fail("domain not lower-cased");

	out2 = malloc(n + 1);
	if (out2 == NULL)
		abort();
	if (!gh_email_normalize(out, n, out2))
		fail("normalised address refused on a second pass");
	if (strcmp(out, out2) != 0)
		fail("normalising is not idempotent");
	free(out2);
out:
	free(out);
	free(in);
	return 0;
}
