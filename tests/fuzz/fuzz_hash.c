/*
 * fuzz_hash.c - libFuzzer target for the stored-hash string parsers of
 * src/auth/password.c: gh_password_kind() and
 * gh_password_needs_rehash(), which read every hash a database holds
 * (argon2id from gatehouse, bcrypt from a seed database, or anything a
 * damaged row may contain).
 *
 * The input becomes a NUL-terminated string of exactly its size.  Both
 * must answer without a crash or an overread; a string that is not an
 * argon2id hash must always need a rehash, and one gh_password_kind
 * calls unknown must never be a "current" hash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_hash: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_password_params p = {2, 19 * 1024 * 1024};
	enum gh_password_kind k;
	bool rehash;
	char *in;

	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	k = gh_password_kind(in);
	rehash = gh_password_needs_rehash(&p, in);
	if (strncmp(in, "$argon2id$", 10) != 0 && !rehash)
		fail("a hash that is not argon2id does not need a rehash");
	if (k == GH_PW_UNKNOWN && !rehash)
		fail("an unknown kind of hash is current");
	free(in);
	return 0;
}
