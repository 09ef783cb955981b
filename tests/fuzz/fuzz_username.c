/*
 * fuzz_username.c - libFuzzer target for gh_username_check() and
 * gh_username_fold() (src/util/username.c).
 *
 * Inputs that are not valid UTF-8 or hold a NUL are skipped (the schema
 * refuses them first).  For every input: check answers without a crash
 * and gives a reason exactly when it refuses.  For an accepted name:
 * no byte of it is a space or a control, folding succeeds into a buffer
 * of GH_USERNAME_FOLD_BUFSZ when the name is at most 50 code points,
 * the folded form is valid UTF-8, and folding it again gives the same
 * bytes (folding is idempotent).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/username.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_username: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, a[GH_USERNAME_FOLD_BUFSZ], b[GH_USERNAME_FOLD_BUFSZ];
	const char *why = NULL;
	size_t i;
	bool ok;

	if (!gh_utf8_valid((const char *)data, size) ||
	    gh_utf8_has_nul((const char *)data, size))
		return 0;
	in = malloc(size + 1); /* exact size: ASan sees any overread */
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	ok = gh_username_check(in, size, &why);
	if (ok == (why != NULL))
		fail("a reason exactly when refused");
	if (ok) {
		for (i = 0; i < size; i++)
			if ((unsigned char)in[i] <= 0x20 ||
			    (unsigned char)in[i] == 0x7f)
				fail(
				    "an accepted name with a space or control");
		if (gh_utf8_count(in, size) <= 50) {
			if (!gh_username_fold(in, size, a, sizeof(a)))
				fail("a name of 50 code points did not fold");
			if (!gh_utf8_valid(a, strlen(a)))
				fail("the folded form is not UTF-8");
			if (!gh_username_fold(a, strlen(a), b, sizeof(b)) ||
			    strcmp(a, b) != 0)
				fail("folding is not idempotent");
		}
	}
	free(in);
	return 0;
}
