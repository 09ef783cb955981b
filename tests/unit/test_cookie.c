/*
 * test_cookie.c - unit tests for src/util/cookie.c: a table of Cookie
 * headers and the value each must give for the name asked, then the
 * out-buffer limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/cookie.h"

struct cookie_case {
	const char *header;
	const char *name;
	const char *want; /* NULL: not found */
};

static const struct cookie_case cases[] = {
    {"gh_session=abc", "gh_session", "abc"},
    {"a=1; gh_session=abc; b=2", "gh_session", "abc"},
    {"a=1;gh_session=abc", "gh_session", "abc"},
    {"gh_session=abc ; b=2", "gh_session", "abc"},
    {"gh_session=\"abc\"", "gh_session", "abc"},
    {"gh_session=", "gh_session", ""},
    {"gh_session=first; gh_session=second", "gh_session", "first"},
    {"xgh_session=abc", "gh_session", NULL},
    {"gh_sessionx=abc", "gh_session", NULL},
    {"gh_session", "gh_session", NULL},
    {"a=gh_session=abc", "gh_session", NULL},
    {"", "gh_session", NULL},
    {NULL, "gh_session", NULL},
    {";;;", "gh_session", NULL},
};

static void
test_table(void **state)
{
	char out[64];
	size_t i;
	bool found;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		found = gh_cookie_get(
		    cases[i].header, cases[i].name, out, sizeof(out));
		if (cases[i].want == NULL) {
			assert_false(found);
			assert_string_equal(out, "");
		} else {
			assert_true(found);
			assert_string_equal(out, cases[i].want);
		}
	}
}

static void
test_too_long(void **state)
{
	char out[4];

	(void)state;
	assert_true(gh_cookie_get("c=abc", "c", out, sizeof(out)));
	assert_string_equal(out, "abc");
	assert_false(gh_cookie_get("c=abcd", "c", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(gh_cookie_get("c=abc", "c", out, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
