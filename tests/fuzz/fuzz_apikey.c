/*
 * fuzz_apikey.c - libFuzzer target for gh_apikey_parse()
 * (src/auth/token.c), the parser of every X-API-Key header.
 *
 * The input becomes a NUL-terminated string of exactly its size (ASan
 * sees any overread).  An accepted key must be "gh_" + 12 lower-case
 * hex digits + "_" + a 43-byte secret that is the input's own tail, and
 * the prefix written must be those 12 digits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_apikey: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prefix[GH_APIKEY_PREFIX_LEN + 1], *in;
	const char *secret = NULL;
	size_t i;

	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (gh_apikey_parse(in, prefix, &secret)) {
		if (strlen(in) !=
		        3 + GH_APIKEY_PREFIX_LEN + 1 + GH_APIKEY_SECRET_LEN ||
		    memcmp(in, "gh_", 3) != 0 ||
		    in[3 + GH_APIKEY_PREFIX_LEN] != '_')
			fail("accepted a key of another shape");
		if (secret != in + 3 + GH_APIKEY_PREFIX_LEN + 1)
			fail("the secret is not the key's tail");
		if (strlen(prefix) != GH_APIKEY_PREFIX_LEN ||
		    memcmp(prefix, in + 3, GH_APIKEY_PREFIX_LEN) != 0)
			fail("the prefix is not the key's");
		for (i = 0; i < GH_APIKEY_PREFIX_LEN; i++)
			if (strchr("0123456789abcdef", prefix[i]) == NULL)
				fail("a prefix digit that is not hex");
	}
	free(in);
	return 0;
}
