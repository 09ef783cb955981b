/*
 * timefmt.c - RFC 3339 and database spellings of a microsecond time.
 *
 * A time is int64 microseconds since the epoch, UTC.  The calendar work
 * is integer arithmetic on the proleptic Gregorian calendar (days from a
 * civil date and back, the algorithms of H. Hinnant's "chrono-compatible
 * low-level date algorithms"): glibc's timegm()/gmtime_r() consult the
 * time zone machinery and were a tenth of the time of a 100-post list.
 * test_timefmt checks both against glibc over the whole range.  Formatting
 * clamps to years 0001..9999 (what Python's datetime can hold), which
 * also keeps every output exactly 26 or 27 characters long.  Digits are
 * written by hand: the formatters run for every row serialised.
 */
#include <time.h>
#include <string.h>

#include "gh.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define USEC_PER_SEC 1000000LL
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. */
#define TIME_MIN_USEC (-62135596800LL * USEC_PER_SEC)
#define TIME_MAX_USEC (253402300800LL * USEC_PER_SEC - 1)

int64_t
gh_time_now_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Write v as exactly width decimal digits (v < 10^width). */
static char *
put_digits(char *p, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);                       /* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
	return era * 146097 + (int64_t)doe - 719468;
}

/* The civil date of day z since 1970-01-01.  OUT: *y, *m (1..12),
 * *d (1..31). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097); /* 0..146096 */
	yoe =
	    (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* 0..365 */
	mp = (5 * doy + 2) / 153;                                  /* 0..11 */
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD" sep "HH:MM:SS.ffffff" then the suffix. */
static void
format_time(int64_t usec, char sep, const char *suffix, char out[GH_TIME_BUFSZ])
{
	int64_t secs, frac, days, sod, y;
	unsigned mo, d;
	char *p = out;

	usec = GH_MAX(TIME_MIN_USEC, GH_MIN(TIME_MAX_USEC, usec));
	/* Floor division: -1 us is 1969-12-31T23:59:59.999999. */
	frac = usec % USEC_PER_SEC;
	secs = usec / USEC_PER_SEC;
	if (frac < 0) {
		frac += USEC_PER_SEC;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, mo, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = sep;
	p = put_digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod % 60), 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)frac, 6);
	while (*suffix != '\0')
		*p++ = *suffix++;
	*p = '\0';
}

void
gh_time_rfc3339(int64_t usec, char out[GH_TIME_BUFSZ])
{
	format_time(usec, 'T', "Z", out);
}

void
gh_time_db(int64_t usec, char out[GH_TIME_BUFSZ])
{
	format_time(usec, ' ', "", out);
}

/* Exactly n ASCII digits at *p, advanced past them.  OUT: *v. */
static bool
get_digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool
get_sep(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

enum gh_err
gh_time_parse_db(const char *s, int64_t *usec)
{
	int y, mo, d, h, mi, sec, oh, om, i, digit;
	int64_t frac = 0, off = 0, scale = 100000, t;

	*usec = 0;
	if (!get_digits(&s, 4, &y) || !get_sep(&s, '-') ||
	    !get_digits(&s, 2, &mo) || !get_sep(&s, '-') ||
	    !get_digits(&s, 2, &d))
		return GH_ERR_INVALID;
	if (*s != ' ' && *s != 'T')
		return GH_ERR_INVALID;
	s++;
	if (!get_digits(&s, 2, &h) || !get_sep(&s, ':') ||
	    !get_digits(&s, 2, &mi) || !get_sep(&s, ':') ||
	    !get_digits(&s, 2, &sec))
		return GH_ERR_INVALID;
	if (get_sep(&s, '.')) {
		for (i = 0; *s >= '0' && *s <= '9'; i++, s++) {
			digit = *s - '0';
			if (i < 6) {
				frac += digit * scale;
				scale /= 10;
			}
		}
		if (i == 0)
			return GH_ERR_INVALID;
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		off = *s++ == '-' ? -1 : 1;
		if (!get_digits(&s, 2, &oh) || !get_sep(&s, ':') ||
		    !get_digits(&s, 2, &om) || oh > 23 || om > 59)
			return GH_ERR_INVALID;
		off *= (oh * 60 + om) * 60 * USEC_PER_SEC;
	}
	if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return GH_ERR_INVALID;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + sec;
	/* Local time minus its offset is UTC. */
	*usec = t * USEC_PER_SEC + frac - off;
	return GH_OK;
}
