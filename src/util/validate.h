/*
 * validate.h - field validators shared by the handlers.
 *
 * Pure functions, no allocation.  They decide whether an input is
 * acceptable; building the 422 body is the handler's job.
 */
#ifndef GH_VALIDATE_H
#define GH_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "../gh.h"

/* Longest e-mail address accepted, in code points (API.md). */
#define GH_EMAIL_MAX 120

/*
 * Validate an e-mail address the way the seed's pydantic EmailStr
 * (email-validator, deliverability not checked) does, and normalise it:
 * an optional display-name form "Name <local@domain>" is reduced to the
 * address, and the domain is lower-cased; the local part is kept as is.
 * Rules: exactly one '@'; local part 1..64 bytes of RFC 5322 atext
 * characters (or any non-ASCII UTF-8) and dots, no leading, trailing or
 * doubled dot; domain of at least two labels, each 1..63 of letters,
 * digits and hyphens, not starting or ending with a hyphen; the last
 * label is not all digits; the special-use domains "localhost", "local",
 * "test", "invalid", "onion", "arpa" (as a last label) are refused.
 * in[0..len) must already be valid UTF-8.  out must hold len + 1 bytes;
 * on success it receives the NUL-terminated normalised address.
 * Returns true when the address is acceptable.  The 120-character limit
 * is applied by the caller to the normalised address.
 */
bool gh_email_normalize(const char *in, size_t len, char *out);

/*
 * Parse a path id. Returns GH_OK and sets *out for a decimal integer
 * in 1..INT64_MAX (an optional leading '+', as Python's int() accepts);
 * GH_ERR_NOTFOUND for an integer that cannot name a row (zero,
 * negative, or beyond 64 bits: API.md says such ids are a 404);
 * GH_ERR_INVALID when s is not an integer at all (a 422).
 */
enum gh_err gh_parse_id(const char *s, gh_id *out);

/*
 * Parse an unsigned decimal query value in lo..hi (no sign, no spaces).
 * GH_OK or GH_ERR_INVALID.
 */
enum gh_err gh_parse_int_range(const char *s, int64_t lo, int64_t hi,
    int64_t *out);

#endif /* GH_VALIDATE_H */
