/*
 * timefmt.h - the two timestamp spellings gatehouse uses.
 *
 * Wire: RFC 3339 in UTC with microseconds and a Z
 * ("2026-11-23T15:04:42.298731Z").
 * Database: the spelling SQLAlchemy writes into SQLite for a DateTime
 * column ("2026-11-23 15:04:42.298731"), so a database shared with the
 * seed's FastAPI application stays readable by it.
 * Times are int64 microseconds since the Unix epoch, UTC.  Formatting
 * clamps to 0001-01-01 .. 9999-12-31T23:59:59.999999 (Python datetime's
 * range), so the output is always 27 (RFC 3339) or 26 characters.
 */
#ifndef GH_TIMEFMT_H
#define GH_TIMEFMT_H

#include <stdint.h>

#include "../gh.h"

#define GH_TIME_BUFSZ 32

/* Current wall-clock time in microseconds (0 if the clock fails). */
int64_t gh_time_now_usec(void);

/* Format as RFC 3339 UTC with microseconds and Z into out. */
void gh_time_rfc3339(int64_t usec, char out[GH_TIME_BUFSZ]);

/* Format as "YYYY-MM-DD HH:MM:SS.ffffff" into out. */
void gh_time_db(int64_t usec, char out[GH_TIME_BUFSZ]);

/*
 * Parse a database timestamp: "YYYY-MM-DD HH:MM:SS" or with 'T', with an
 * optional fraction of 1..6 digits (more digits are truncated), and an
 * optional "Z" or "+00:00" suffix (other offsets, "+HH:MM" or "-HH:MM"
 * below 24 hours, are converted to UTC).  Fields are checked: years
 * 0001..9999, real calendar days, no leap second; 'T' and 'Z' are upper
 * case.  GH_OK or GH_ERR_INVALID; *usec is 0 unless GH_OK.
 */
enum gh_err gh_time_parse_db(const char *s, int64_t *usec);

#endif /* GH_TIMEFMT_H */
