/*
 * test_arena.c - unit tests for util/arena.c.
 *
 * The arena promises memory "aligned for any type" and zeroed, a hard
 * maximum on the total handed out (NULL past it, never a partial
 * allocation), and copies that are NUL-terminated.  The tables walk
 * sizes across the block boundaries (4 KiB first block, doubling to
 * 64 KiB, larger requests in a block of their own) so that every path
 * of gh_arena_alloc() runs under ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "gh.h"
#include "util/arena.h"

#define MAX_ALIGN alignof(max_align_t)

static bool
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Every size across the first blocks is aligned, zeroed and writable. */
static void
test_alignment_and_zeroing(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33,
	    100, 255, 1000, 4095, 4096, 4097, 8192, 20000, 65536, 70000, 1, 5};
	struct gh_arena *a = gh_arena_new(1u << 20);
	unsigned char *p;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(sizes); i++) {
		p = gh_arena_alloc(a, sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % MAX_ALIGN, 0);
		assert_true(all_zero(p, sizes[i]));
		/* dirty it: a later allocation must not see this */
		memset(p, 0xa5, sizes[i]);
	}
	gh_arena_free(a);
}

/* Small allocations never overlap each other. */
static void
test_no_overlap(void **state)
{
	struct gh_arena *a = gh_arena_new(1u << 20);
	unsigned char *p[200];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(p); i++) {
		n = 1 + i % 37;
		p[i] = gh_arena_alloc(a, n);
		assert_non_null(p[i]);
		memset(p[i], (int)(i & 0xff), n);
	}
	for (i = 0; i < GH_ARRAY_SIZE(p); i++)
		for (j = 0; j < 1 + i % 37; j++)
			assert_int_equal(p[i][j], i & 0xff);
	gh_arena_free(a);
}

/* gh_arena_used() counts in aligned units; zero-size takes one unit. */
static void
test_used(void **state)
{
	static const struct {
		size_t n, used_after;
	} cases[] = {
	    {1, 16},
	    {16, 32},
	    {17, 64},
	    {0, 80},
	    {100, 192},
	};
	struct gh_arena *a = gh_arena_new(4096);
	size_t i;

	(void)state;
	assert_int_equal(gh_arena_used(a), 0);
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		assert_non_null(gh_arena_alloc(a, cases[i].n));
		assert_int_equal(gh_arena_used(a), cases[i].used_after);
	}
	gh_arena_free(a);
}

/* The maximum is a hard cap: NULL past it, and a refusal costs nothing. */
static void
test_max_enforced(void **state)
{
	static const struct {
		size_t max;
		size_t n;
		bool ok;
	} cases[] = {
	    {0, 0, false},
	    {0, 1, false},
	    {16, 1, true},
	    {16, 16, true},
	    {16, 17, false},
	    {100, 96, true},
	    {100, 97, false},
	    {4096, 4096, true},
	    {4096, 4097, false},
	    {1u << 20, 1u << 20, true},
	    {1u << 20, (1u << 20) + 1, false},
	    {SIZE_MAX, SIZE_MAX, false},      /* rounding would wrap */
	    {SIZE_MAX, SIZE_MAX - 8, false},  /* rounding would wrap */
	    {SIZE_MAX, SIZE_MAX - 15, false}, /* block header would wrap */
	    {SIZE_MAX, SIZE_MAX - 40, false}, /* block header would wrap */
	    {1024, SIZE_MAX, false},
	};
	struct gh_arena *a;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		a = gh_arena_new(cases[i].max);
		if (cases[i].ok) {
			assert_non_null(gh_arena_alloc(a, cases[i].n));
		} else {
			assert_null(gh_arena_alloc(a, cases[i].n));
			assert_int_equal(gh_arena_used(a), 0);
		}
		gh_arena_free(a);
	}
}

/* Filling up: many small allocations stop exactly at the cap, and a
 * refused request does not stop a smaller one that still fits. */
static void
test_fill_to_max(void **state)
{
	struct gh_arena *a = gh_arena_new(1000);
	size_t count = 0;

	(void)state;
	while (gh_arena_alloc(a, 10) != NULL)
		count++;
	assert_int_equal(count, 1000 / 16);
	assert_int_equal(gh_arena_used(a), 992);
	assert_null(gh_arena_alloc(a, 1)); /* 8 bytes left, a unit is 16 */
	assert_null(gh_arena_alloc(a, 0));
	assert_int_equal(gh_arena_used(a), 992);
	gh_arena_free(a);

	a = gh_arena_new(128);
	assert_non_null(gh_arena_alloc(a, 90)); /* 96 */
	assert_null(gh_arena_alloc(a, 40));     /* 48 > 32 left */
	assert_non_null(gh_arena_alloc(a, 32));
	assert_int_equal(gh_arena_used(a), 128);
	assert_null(gh_arena_alloc(a, 1));
	gh_arena_free(a);
}

/* Allocations larger than any block get a block of their own; mixing
 * them with small ones keeps every byte usable. */
static void
test_large(void **state)
{
	static const size_t sizes[] = {
	    65536, 65537, 1u << 20, 3u << 20, 10, 200000, 1};
	struct gh_arena *a = gh_arena_new(8u << 20);
	unsigned char *p[GH_ARRAY_SIZE(sizes)];
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(sizes); i++) {
		p[i] = gh_arena_alloc(a, sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % MAX_ALIGN, 0);
		assert_true(all_zero(p[i], sizes[i]));
		memset(p[i], (int)i + 1, sizes[i]);
	}
	for (i = 0; i < GH_ARRAY_SIZE(sizes); i++) {
		assert_int_equal(p[i][0], i + 1);
		assert_int_equal(p[i][sizes[i] - 1], i + 1);
	}
	/* 8 MiB total: 4 MiB + a bit is taken, another 4 MiB is not */
	assert_null(gh_arena_alloc(a, 4u << 20));
	gh_arena_free(a);
}

static void
test_strndup(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		const char *want;
	} cases[] = {
	    {"", 0, ""}, {"abc", 0, ""}, {"abc", 1, "a"}, {"abc", 3, "abc"},
	    {"posts/17", 5, "posts"},
	    {"a\0b", 3, "a"}, /* embedded NUL is copied, string ends there */
	};
	struct gh_arena *a = gh_arena_new(4096);
	char *p;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		p = gh_arena_strndup(a, cases[i].s, cases[i].n);
		assert_non_null(p);
		assert_string_equal(p, cases[i].want);
		assert_memory_equal(p, cases[i].s, cases[i].n);
		assert_int_equal(p[cases[i].n], '\0');
	}
	gh_arena_free(a);

	/* n + 1 bytes must fit: 16 bytes hold 15 characters, not 16 */
	a = gh_arena_new(16);
	assert_null(gh_arena_strndup(a, "0123456789abcdef", 16));
	p = gh_arena_strndup(a, "0123456789abcdef", 15);
	assert_non_null(p);
	assert_string_equal(p, "0123456789abcde");
	gh_arena_free(a);
}

static void
test_printf(void **state)
{
	struct gh_arena *a = gh_arena_new(1u << 16);
	char big[5000], *p;

	(void)state;
	p = gh_arena_printf(a, "%s", "");
	assert_non_null(p);
	assert_string_equal(p, "");
	p = gh_arena_printf(a, "/posts/%lld", (long long)42);
	assert_string_equal(p, "/posts/42");
	p = gh_arena_printf(a, "%s=%d;%c", "x", -7, 'z');
	assert_string_equal(p, "x=-7;z");
	/* longer than the first block */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = gh_arena_printf(a, "<%s>", big);
	assert_non_null(p);
	assert_int_equal(strlen(p), sizeof(big) + 1);
	assert_int_equal(p[0], '<');
	assert_int_equal(p[sizeof(big)], '>');
	gh_arena_free(a);

	/* over the maximum: NULL, nothing taken */
	a = gh_arena_new(32);
	assert_null(
	    gh_arena_printf(a, "%s", "0123456789012345678901234567890123"));
	assert_int_equal(gh_arena_used(a), 0);
	p = gh_arena_printf(a, "%d", 12345);
	assert_string_equal(p, "12345");
	gh_arena_free(a);
}

static void
test_free_null(void **state)
{
	(void)state;
	gh_arena_free(NULL);
	gh_arena_free(gh_arena_new(0)); /* never allocated from */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alignment_and_zeroing),
	    cmocka_unit_test(test_no_overlap),
	    cmocka_unit_test(test_used),
	    cmocka_unit_test(test_max_enforced),
	    cmocka_unit_test(test_fill_to_max),
	    cmocka_unit_test(test_large),
	    cmocka_unit_test(test_strndup),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
