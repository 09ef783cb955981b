/*
 * test_token.c - unit tests for src/auth/token.c: the one recipe for
 * opaque secrets (refresh tokens, console cookies, API-key secrets):
 * 43 base64url characters of 256 random bits, and their SHA-256,
 * checked against OpenSSL's as an independent oracle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/sha.h>

#include "auth/token.h"

static void
test_shape_and_hash(void **state)
{
	char a[GH_TOKEN_BUFSZ], b[GH_TOKEN_BUFSZ];
	unsigned char ha[GH_TOKEN_HASHSZ], hb[GH_TOKEN_HASHSZ];
	unsigned char want[SHA256_DIGEST_LENGTH], again[GH_TOKEN_HASHSZ];

	(void)state;
	gh_token_new(a, ha);
	gh_token_new(b, hb);
	assert_int_equal(strlen(a), GH_TOKEN_LEN);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                           "qrstuvwxyz0123456789-_"),
	    GH_TOKEN_LEN);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(ha, hb, sizeof(ha));
	SHA256((const unsigned char *)a, strlen(a), want);
	assert_memory_equal(ha, want, sizeof(want));
	gh_token_hash(a, strlen(a), again);
	assert_memory_equal(again, ha, sizeof(ha));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape_and_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
