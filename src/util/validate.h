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
 * (pydantic 1.10 validate_email over email-validator 1.3, deliverability
 * not checked) does, and normalise it: an optional display-name form
 * "Name <local@domain>" is reduced to the address, surrounding white
 * space (Python's str.isspace) is stripped, and the domain is
 * lower-cased; the local part is kept as is (RFC 5321: case-sensitive;
 * not NFC-normalised either, as pydantic 1.10 returns it unchanged).
 * Rules: at most 2048 code points in all (pydantic's limit, checked
 * before anything else); exactly one '@'; local part 1..64 code points
 * of RFC 5322 atext characters (or non-ASCII UTF-8, see below) and dots,
 * no leading, trailing or doubled dot; quoted local parts ("a b"@x.org)
 * are refused, as email-validator 1.3 refuses them; domain of at least
 * two labels, each 1..63 of ASCII letters, digits and hyphens, not
 * starting or ending with a hyphen and without hyphens in both third and
 * fourth place (IDNA's reserved "??--" form); the domain ends with a
 * letter (so "x.123" and "x.com1" are refused); IP literals are refused;
 * the special-use domains "localhost", "local", "test", "invalid",
 * "onion", "arpa" (as a last label) are refused; the whole address is
 * at most 254 bytes and the domain at most 253.
 * Non-ASCII in the local part: refused are the characters email-validator
 * refuses by Unicode 14 general category Z or C (spaces, controls,
 * format characters such as U+200B or U+202E, private use), the
 * noncharacters, and a combining mark as the first character.
 * Deliberate differences from the seed, which needs Unicode tables this
 * module does not carry: internationalised domains are refused in every
 * spelling (Unicode, UTS 46 full-width forms, and "xn--" punycode, whose
 * IDNA validity is not checked); unassigned code points are accepted in
 * the local part, and a leading combining mark is recognised only in the
 * combining blocks (U+0300..036F, 1AB0..1AFF, 1DC0..1DFF, 20D0..20FF,
 * FE20..FE2F); in the display name any non-ASCII character that is not
 * white space, a control, a format or private-use character stands in
 * for Python's \w, so a name with an em dash (U+2014) is accepted.
 * in[0..len) must already be valid UTF-8 (anything else is refused).
 * out must hold len + 1 bytes; on success it receives the NUL-terminated
 * normalised address, on failure the empty string.  Returns true when
 * the address is acceptable.  The 120-character limit is applied by the
 * caller to the normalised address.
 */
bool gh_email_normalize(const char *in, size_t len, char *out);

/*
 * Parse a path id. Returns GH_OK and sets *out for a decimal integer
 * in 1..INT64_MAX (an optional leading '+', as Python's int() accepts;
 * leading zeros are fine); GH_ERR_NOTFOUND for an integer that cannot
 * name a row (zero, negative, or beyond 64 bits: API.md says such ids
 * are a 404); GH_ERR_INVALID when s is not an integer at all (a 422).
 * Stricter than int(), deliberately: surrounding white space (" 1"),
 * digit-group underscores ("1_000") and non-ASCII digits are
 * GH_ERR_INVALID.  Like int() under CPython's default limit, more than
 * 4300 digits is GH_ERR_INVALID too.  *out is 0 unless GH_OK.
 */
enum gh_err gh_parse_id(const char *s, gh_id *out);

/*
 * Parse an unsigned decimal query value in lo..hi (ASCII digits only:
 * no sign, no spaces, no '_'; leading zeros are fine).  GH_OK or
 * GH_ERR_INVALID, also for a value beyond 64 bits.  *out is 0 unless
 * GH_OK.
 */
enum gh_err gh_parse_int_range(
    const char *s, int64_t lo, int64_t hi, int64_t *out);

#endif /* GH_VALIDATE_H */
