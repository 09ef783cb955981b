/*
 * test_throttle.c - the brute-force rule (policy/throttle.h), as a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "policy/throttle.h"

static void
test_delay_grows_and_caps(void **state)
{
	static const struct {
		int64_t failures, limit, window, want;
	} t[] = {
	    {5, 5, 900, 5}, /* base: window / 180 */
	    {6, 5, 900, 10},
	    {7, 5, 900, 20},
	    {8, 5, 900, 40},
	    {12, 5, 900, 640},
	    {13, 5, 900, 900}, /* capped */
	    {1000, 5, 900, 900},
	    {3, 3, 2, 1}, /* at least 1 s */
	    {4, 3, 2, 2},
	    {9, 3, 2, 2}, /* capped by a tiny window */
	    {100, 100, 3600, 20},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(
		    gh_throttle_delay(t[i].failures, t[i].limit, t[i].window),
		    t[i].want);
}

static void
test_wait(void **state)
{
	static const struct {
		int64_t failures, first, last, limit, window, now, want;
	} t[] = {
	    {0, 0, 0, 5, 900, 1000, 0},        /* nothing counted */
	    {4, 1000, 1010, 5, 900, 1011, 0},  /* under the limit */
	    {5, 1000, 1010, 5, 900, 1011, 4},  /* locked: 1010 + 5 */
	    {5, 1000, 1010, 5, 900, 1015, 0},  /* delay over */
	    {6, 1000, 1020, 5, 900, 1021, 9},  /* doubled: 1020 + 10 */
	    {20, 1000, 1800, 5, 900, 1899, 1}, /* capped at the window */
	    {20, 1000, 1800, 5, 900, 1900, 0}, /* window since first: clear */
	    {3, 100, 101, 3, 2, 101, 1},       /* tiny window */
	    {3, 100, 101, 3, 2, 102, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(
		    gh_throttle_wait(t[i].failures, t[i].first, t[i].last,
		        t[i].limit, t[i].window, t[i].now),
		    t[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delay_grows_and_caps),
	    cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
