/*
 * test_username.c - RFC 8265 UsernameCasePreserved for new names, and
 * the case-folded form that makes "Admin" the same account as "admin".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/username.h"

static void
test_accepted(void **state)
{
	static const char *const ok[] = {
	    "admin", "Admin", "alice_01", "a.b-c@d+e", "x!#$%&'*/=?^`{|}~",
	    "Zo\xc3\xab",                                       /* Zoë (NFC) */
	    "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc", /* ユーザー */
	    "\xc3\x85ngstr\xc3\xb6m",                           /* Ångström */
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", /* Привет */
	    "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82", /* हिं (Mc, Mn) */
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!gh_username_check(ok[i], strlen(ok[i]), &why))
			fail_msg("%s refused: %s", ok[i], why);
}

static void
test_refused(void **state)
{
	static const struct {
		const char *name, *why;
	} bad[] = {
	    {"admin ", "must not contain spaces"},
	    {" admin", "must not contain spaces"},
	    {"ad min", "must not contain spaces"},
	    {" ", "must not contain spaces"},
	    {"ad\nmin", "must not contain spaces"},
	    {"ad\x01min", "contains a character that is not allowed"},
	    {"admin\xe2\x80\x8b", "contains a character that is not allowed"},
	    {"\xe2\x80\xae"
	     "admin",
	        "contains a character that is not allowed"},
	    {"ad\xc2\xa0min", "must not contain spaces"}, /* NBSP */
	    {"\xe2\x98\xba", "contains a character that is not allowed"},
	    {"\xef\xbd\x81"
	     "dmin",
	        "contains a full-width or half-width"},
	    {"Zoe\xcc\x88", "is not in Unicode normalization form C"},
	    {"", "must not be empty"},
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (gh_username_check(bad[i].name, strlen(bad[i].name), &why))
			fail_msg("case %zu accepted", i);
		if (strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
			fail_msg("case %zu: %s, want %s", i, why, bad[i].why);
	}
}

static void
test_fold(void **state)
{
	char a[GH_USERNAME_FOLD_BUFSZ], b[GH_USERNAME_FOLD_BUFSZ];

	(void)state;
	assert_true(gh_username_fold("Admin", 5, a, sizeof(a)));
	assert_true(gh_username_fold("aDMIN", 5, b, sizeof(b)));
	assert_string_equal(a, "admin");
	assert_string_equal(a, b);
	/* full folding: STRASSE and straße are one name */
	assert_true(gh_username_fold("STRASSE", 7, a, sizeof(a)));
	assert_true(gh_username_fold("stra\xc3\x9f"
	                             "e",
	    7, b, sizeof(b)));
	assert_string_equal(a, b);
	/* Ångström in any case */
	assert_true(
	    gh_username_fold("\xc3\x85NGSTR\xc3\x96M", 10, a, sizeof(a)));
	assert_true(
	    gh_username_fold("\xc3\xa5ngstr\xc3\xb6m", 10, b, sizeof(b)));
	assert_string_equal(a, b);
	/* too small a buffer, invalid UTF-8 */
	assert_false(gh_username_fold("admin", 5, a, 3));
	assert_false(gh_username_fold("\xff", 1, a, sizeof(a)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
