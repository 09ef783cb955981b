/*
 * test_csrf.c - unit tests for src/auth/csrf.c: a token is 43 base64url
 * characters, stable for one (secret, session), different for another
 * session or secret, and verify accepts exactly it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "auth/csrf.h"

static const char K1[] = "first secret key of at least 32 bytes!";
static const char K2[] = "second secret key of at least 32 bytes";

static void
test_shape_and_stability(void **state)
{
	char a[GH_CSRF_BUFSZ], b[GH_CSRF_BUFSZ];

	(void)state;
	gh_csrf_token(K1, sizeof(K1) - 1, 7, a);
	gh_csrf_token(K1, sizeof(K1) - 1, 7, b);
	assert_int_equal(strlen(a), GH_CSRF_BUFSZ - 1);
	assert_int_equal(
	    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	              "0123456789-_"),
	    GH_CSRF_BUFSZ - 1);
	assert_string_equal(a, b);
}

static void
test_bound_to_session_and_secret(void **state)
{
	char a[GH_CSRF_BUFSZ], b[GH_CSRF_BUFSZ], c[GH_CSRF_BUFSZ];

	(void)state;
	gh_csrf_token(K1, sizeof(K1) - 1, 7, a);
	gh_csrf_token(K1, sizeof(K1) - 1, 8, b);
	gh_csrf_token(K2, sizeof(K2) - 1, 7, c);
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
}

static void
test_verify(void **state)
{
	char t[GH_CSRF_BUFSZ], bad[GH_CSRF_BUFSZ + 1];

	(void)state;
	gh_csrf_token(K1, sizeof(K1) - 1, 42, t);
	assert_true(gh_csrf_verify(K1, sizeof(K1) - 1, 42, t));
	assert_false(gh_csrf_verify(K1, sizeof(K1) - 1, 43, t));
	assert_false(gh_csrf_verify(K2, sizeof(K2) - 1, 42, t));
	assert_false(gh_csrf_verify(K1, sizeof(K1) - 1, 42, NULL));
	assert_false(gh_csrf_verify(K1, sizeof(K1) - 1, 42, ""));
	memcpy(bad, t, sizeof(t));
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	assert_false(gh_csrf_verify(K1, sizeof(K1) - 1, 42, bad));
	memcpy(bad, t, GH_CSRF_BUFSZ - 1);
	bad[GH_CSRF_BUFSZ - 1] = 'A';
	bad[GH_CSRF_BUFSZ] = '\0';
	assert_false(gh_csrf_verify(K1, sizeof(K1) - 1, 42, bad));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape_and_stability),
	    cmocka_unit_test(test_bound_to_session_and_secret),
	    cmocka_unit_test(test_verify),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
