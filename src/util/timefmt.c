/*
 * timefmt.c - RFC 3339 and database spellings of a microsecond time.
 *
 * A time is int64 microseconds since the epoch, UTC.  The calendar work
 * is gmtime_r() and timegm(), never the local time zone.  Formatting
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

/* "YYYY-MM-DD" sep "HH:MM:SS.ffffff" then the suffix. */
static void
format_time(int64_t usec, char sep, const char *suffix, char out[GH_TIME_BUFSZ])
{
	struct tm tm;
	time_t secs;
	int64_t frac;
	char *p = out;

	usec = GH_MAX(TIME_MIN_USEC, GH_MIN(TIME_MAX_USEC, usec));
	/* Floor division: -1 us is 1969-12-31T23:59:59.999999. */
	frac = usec % USEC_PER_SEC;
	secs = (time_t)(usec / USEC_PER_SEC);
	if (frac < 0) {
		frac += USEC_PER_SEC;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		frac = 0;
	}
	p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = put_digits(p, (unsigned)(tm.tm_mon + 1), 2);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = sep;
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
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
	struct tm tm;
	int y, mo, d, h, mi, sec, oh, om, i, digit;
	int64_t frac = 0, off = 0, scale = 100000;
	time_t t;

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
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* Local time minus its offset is UTC. */
	*usec = (int64_t)t * USEC_PER_SEC + frac - off;
	return GH_OK;
}
