/*
 * test_timefmt.c - unit tests for src/util/timefmt.c.
 *
 * Expected values were computed with Python's datetime (the seed's own
 * clock), e.g. datetime(2026, 11, 23, 15, 4, 42, 298731, timezone.utc).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gh.h"
#include "util/timefmt.h"

struct fmt_case {
	int64_t usec;
	const char *rfc3339;
};

static const struct fmt_case fmts[] = {
    {0, "1970-01-01T00:00:00.000000Z"},
    {1, "1970-01-01T00:00:00.000001Z"},
    {-1, "1969-12-31T23:59:59.999999Z"},
    {-1000000, "1969-12-31T23:59:59.000000Z"},
    {-1000001, "1969-12-31T23:59:58.999999Z"},
    {1795446282298731, "2026-11-23T15:04:42.298731Z"},
    {1709251199999999, "2024-02-29T23:59:59.999999Z"},
    {951825600000000, "2000-02-29T12:00:00.000000Z"},
    {-2203891200000000, "1900-03-01T00:00:00.000000Z"},
    {-62135596800000000, "0001-01-01T00:00:00.000000Z"},
    {253402300799999999, "9999-12-31T23:59:59.999999Z"},
    /* Out of datetime's range: clamped, never a wider string. */
    {-62135596800000001, "0001-01-01T00:00:00.000000Z"},
    {253402300800000000, "9999-12-31T23:59:59.999999Z"},
    {INT64_MIN, "0001-01-01T00:00:00.000000Z"},
    {INT64_MAX, "9999-12-31T23:59:59.999999Z"},
};

static void
test_format(void **state)
{
	char out[GH_TIME_BUFSZ], db[GH_TIME_BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		gh_time_rfc3339(fmts[i].usec, out);
		if (strcmp(out, fmts[i].rfc3339) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, out,
			    fmts[i].rfc3339);
		/* The database spelling: ' ' for 'T', no 'Z'. */
		memcpy(db, fmts[i].rfc3339, 27);
		db[10] = ' ';
		db[26] = '\0';
		gh_time_db(fmts[i].usec, out);
		if (strcmp(out, db) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, out, db);
	}
}

struct parse_case {
	const char *in;
	enum gh_err want;
	int64_t usec;
};

static const struct parse_case parses[] = {
    {"2026-11-23 15:04:42.298731", GH_OK, 1795446282298731},
    {"2026-11-23T15:04:42.298731", GH_OK, 1795446282298731},
    {"2026-11-23T15:04:42.298731Z", GH_OK, 1795446282298731},
    {"2026-11-23 15:04:42.298731+00:00", GH_OK, 1795446282298731},
    {"2026-11-23 15:04:42.298731-00:00", GH_OK, 1795446282298731},
    {"2026-11-23 15:04:42", GH_OK, 1795446282000000},
    {"2026-11-23 15:04:42.5", GH_OK, 1795446282500000},
    {"2026-11-23 15:04:42.000001", GH_OK, 1795446282000001},
    {"2026-11-23 15:04:42.2987319", GH_OK, 1795446282298731},
    {"2026-11-23 15:04:42.29873199999Z", GH_OK, 1795446282298731},
    {"2026-11-23 15:04:42+02:00", GH_OK, 1795439082000000},
    {"2026-11-23T15:04:42.5-05:30", GH_OK, 1795466082500000},
    {"2026-11-23 00:30:00+01:00", GH_OK, 1795390200000000},
    {"1970-01-01 00:00:00", GH_OK, 0},
    {"1969-12-31 23:59:59.999999", GH_OK, -1},
    {"2024-02-29 23:59:59.999999", GH_OK, 1709251199999999},
    {"2000-02-29 12:00:00", GH_OK, 951825600000000},
    {"1900-03-01 00:00:00", GH_OK, -2203891200000000},
    {"0001-01-01 00:00:00", GH_OK, -62135596800000000},
    {"9999-12-31 23:59:59.999999", GH_OK, 253402300799999999},
    {"", GH_ERR_INVALID},
    {"2026-11-23", GH_ERR_INVALID},
    {"2026-11-23 ", GH_ERR_INVALID},
    {"2026-11-23 15:04", GH_ERR_INVALID},
    {"2026-11-23 15:04:4", GH_ERR_INVALID},
    {"2026-11-23t15:04:42", GH_ERR_INVALID},
    {"2026-11-23x15:04:42", GH_ERR_INVALID},
    {"2026-11-23  15:04:42", GH_ERR_INVALID},
    {" 2026-11-23 15:04:42", GH_ERR_INVALID},
    {"2026-11-23 15:04:42 ", GH_ERR_INVALID},
    {"2026-1-23 15:04:42", GH_ERR_INVALID},
    {"26-11-23 15:04:42", GH_ERR_INVALID},
    {"+2026-11-23 15:04:42", GH_ERR_INVALID},
    {"2026/11/23 15:04:42", GH_ERR_INVALID},
    {"2026-11-23 15:04:42.", GH_ERR_INVALID},
    {"2026-11-23 15:04:42.Z", GH_ERR_INVALID},
    {"2026-11-23 15:04:42.12a", GH_ERR_INVALID},
    {"2026-11-23 15:04:42z", GH_ERR_INVALID},
    {"2026-11-23 15:04:42ZZ", GH_ERR_INVALID},
    {"2026-11-23 15:04:42Z+00:00", GH_ERR_INVALID},
    {"2026-11-23 15:04:42+2:00", GH_ERR_INVALID},
    {"2026-11-23 15:04:42+0200", GH_ERR_INVALID},
    {"2026-11-23 15:04:42+02", GH_ERR_INVALID},
    {"2026-11-23 15:04:42+24:00", GH_ERR_INVALID},
    {"2026-11-23 15:04:42+02:60", GH_ERR_INVALID},
    {"0000-01-01 00:00:00", GH_ERR_INVALID},
    {"2026-00-01 00:00:00", GH_ERR_INVALID},
    {"2026-13-01 00:00:00", GH_ERR_INVALID},
    {"2026-01-00 00:00:00", GH_ERR_INVALID},
    {"2026-01-32 00:00:00", GH_ERR_INVALID},
    {"2026-04-31 00:00:00", GH_ERR_INVALID},
    {"2026-02-29 00:00:00", GH_ERR_INVALID},
    {"1900-02-29 00:00:00", GH_ERR_INVALID},
    {"2026-11-23 24:00:00", GH_ERR_INVALID},
    {"2026-11-23 23:60:00", GH_ERR_INVALID},
    {"2026-11-23 23:59:60", GH_ERR_INVALID}, /* no leap seconds */
    {"2026-11-23 15:04:42\n", GH_ERR_INVALID},
};

static void
test_parse(void **state)
{
	size_t i;
	int64_t usec;
	enum gh_err r;

	(void)state;
	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		usec = 42;
		r = gh_time_parse_db(parses[i].in, &usec);
		if (r != parses[i].want)
			fail_msg("case %zu \"%s\": %s, want %s", i,
			    parses[i].in, gh_err_str(r),
			    gh_err_str(parses[i].want));
		if (usec != (r == GH_OK ? parses[i].usec : 0))
			fail_msg("case %zu \"%s\": %lld, want %lld", i,
			    parses[i].in, (long long)usec,
			    (long long)parses[i].usec);
	}
}

/* Both spellings parse back to the time they were made from. */
static void
test_round_trip(void **state)
{
	char buf[GH_TIME_BUFSZ];
	int64_t t, back;
	size_t i;

	(void)state;
	t = -62135596800000000;
	for (i = 0; i < 20000; i++) {
		gh_time_db(t, buf);
		assert_int_equal(gh_time_parse_db(buf, &back), GH_OK);
		assert_int_equal(back, t);
		gh_time_rfc3339(t, buf);
		assert_int_equal(strlen(buf), 27);
		assert_int_equal(gh_time_parse_db(buf, &back), GH_OK);
		assert_int_equal(back, t);
		/* A stride that is prime in microseconds and walks ~10k y. */
		t += 15778463000000019;
		if (t > 253402300799999999)
			t -= 253402300799999999 - -62135596800000000;
	}
}

/* glibc's spelling of t (seconds) and frac, the reference. */
static void
glibc_rfc3339(time_t t, long frac, char out[64])
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, frac);
}

/* The calendar arithmetic agrees with glibc's gmtime_r and timegm over
 * the whole range: every day boundary of years 1..9999 near the ends and
 * around the epoch, plus a million pseudo-random instants. */
static void
test_calendar_matches_glibc(void **state)
{
	const int64_t lo = -62135596800LL, hi = 253402300799LL; /* seconds */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char mine[GH_TIME_BUFSZ], ref[64];
	int64_t t, back;
	long frac;
	int i;

	(void)state;
	for (i = 0; i < 1000000 + 3 * 4000; i++) {
		if (i < 4000)
			t = lo + (int64_t)i * 86399; /* the first years */
		else if (i < 8000)
			t = hi - (int64_t)(i - 4000) * 86399; /* the last */
		else if (i < 12000)
			t = (int64_t)(i - 10000) * 86401; /* around 1970 */
		else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
		}
		frac = (long)(x % 1000000);
		gh_time_rfc3339(t * 1000000 + frac, mine);
		glibc_rfc3339((time_t)t, frac, ref);
		if (strcmp(mine, ref) != 0)
			fail_msg("%lld: %s, glibc %s", (long long)t, mine, ref);
		ref[10] = ' '; /* the database spelling parses back */
		ref[26] = '\0';
		assert_int_equal(gh_time_parse_db(ref, &back), GH_OK);
		if (back != t * 1000000 + frac)
			fail_msg("%s parsed as %lld", ref, (long long)back);
	}
}

/* The wall clock, as the same CLOCK_REALTIME (time(2) may read a
 * coarser clock that lags or leads it). */
static int64_t
realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
test_now(void **state)
{
	int64_t before, a, after;

	(void)state;
	before = realtime_usec();
	a = gh_time_now_usec();
	after = realtime_usec();
	/* bracketed, with room for a clock step between the calls */
	assert_true(a >= before - 2000000 && a <= after + 2000000);
	assert_true(a > 1577836800000000); /* after 2020-01-01 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_calendar_matches_glibc),
	    cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
