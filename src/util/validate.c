/*
 * validate.c - field validators: e-mail addresses and integer strings.
 *
 * The e-mail rules reproduce what the seed application accepts: pydantic
 * 1.10's validate_email() (display-name form, strip, domain lower-cased)
 * on top of python3-email-validator 1.3 with deliverability off.  Where
 * that needs Unicode tables (IDNA, general categories) this file keeps a
 * small documented subset instead; validate.h lists the differences.
 * The integer parsers follow Python's int() as FastAPI applies it to a
 * path or query parameter, minus its leniencies (see validate.h).
 * Everything here is pure: no allocation, no globals but const tables.
 */
#include <stdint.h>
#include <string.h>

#include "gh.h"
#include "util/utf8.h"
#include "util/validate.h"
#include "util/banned.h"

#define EMAIL_INPUT_MAX 2048 /* pydantic MAX_EMAIL_LENGTH, code points */
#define EMAIL_LOCAL_MAX 64   /* code points, as email-validator counts */
#define EMAIL_TOTAL_MAX 254  /* octets, RFC 3696 erratum 1690 */
#define EMAIL_DOMAIN_MAX 253 /* octets, RFC 1035 less the final dot */
#define EMAIL_LABEL_MAX 63
#define INT_DIGITS_MAX 4300 /* CPython's int() refuses longer strings */

struct cp_range {
	uint32_t lo, hi;
};

/*
 * Code points email-validator refuses in a local part: the Unicode 14
 * general categories Z (separators) and C (controls, format, private
 * use), generated from Python 3.11's unicodedata.  Unassigned code points
 * (Cn) are also refused there but change with every Unicode version, so
 * only the permanent noncharacters are refused here (is_nonchar).
 */
static const struct cp_range refused[] = {
    {0x0080, 0x00a0},     /* C1 controls, no-break space */
    {0x00ad, 0x00ad},     /* soft hyphen */
    {0x0600, 0x0605},     /* arabic number sign .. */
    {0x061c, 0x061c},     /* arabic letter mark */
    {0x06dd, 0x06dd},     /* arabic end of ayah */
    {0x070f, 0x070f},     /* syriac abbreviation mark */
    {0x0890, 0x0891},     /* arabic pound mark above .. */
    {0x08e2, 0x08e2},     /* arabic disputed end of ayah */
    {0x1680, 0x1680},     /* ogham space mark */
    {0x180e, 0x180e},     /* mongolian vowel separator */
    {0x2000, 0x200f},     /* en quad .. right-to-left mark */
    {0x2028, 0x202f},     /* line separator .. narrow no-break space */
    {0x205f, 0x2064},     /* medium mathematical space .. */
    {0x2066, 0x206f},     /* left-to-right isolate .. */
    {0x3000, 0x3000},     /* ideographic space */
    {0xe000, 0xf8ff},     /* private use area */
    {0xfeff, 0xfeff},     /* zero width no-break space (BOM) */
    {0xfff9, 0xfffb},     /* interlinear annotation anchor .. */
    {0x110bd, 0x110bd},   /* kaithi number sign */
    {0x110cd, 0x110cd},   /* kaithi number sign above */
    {0x13430, 0x13438},   /* egyptian hieroglyph vertical joiner .. */
    {0x1bca0, 0x1bca3},   /* shorthand format letter overlap .. */
    {0x1d173, 0x1d17a},   /* musical symbol begin beam .. */
    {0xe0001, 0xe0001},   /* language tag */
    {0xe0020, 0xe007f},   /* tag space .. cancel tag */
    {0xf0000, 0xffffd},   /* supplementary private use area-a */
    {0x100000, 0x10fffd}, /* supplementary private use area-b */
};

/*
 * Combining marks, refused as the first character of a local part (it
 * would combine with whatever precedes the address).  email-validator
 * refuses every category M; these are the combining blocks only.
 */
static const struct cp_range combining[] = {
    {0x0300, 0x036f}, /* combining diacritical marks */
    {0x1ab0, 0x1aff}, /* ... extended */
    {0x1dc0, 0x1dff}, /* ... supplement */
    {0x20d0, 0x20ff}, /* ... for symbols */
    {0xfe20, 0xfe2f}, /* combining half marks */
};

/* Last labels email-validator refuses (IANA special-use names). */
static const char *const special_use[] = {
    "arpa",
    "invalid",
    "local",
    "localhost",
    "onion",
    "test",
};

static bool
in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}

static bool
is_nonchar(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* Python's str.isspace(), which is what str.strip() removes. */
static bool
is_pyspace(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) ||
	       cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char
to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* RFC 5322 atext, ASCII part. */
static bool
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/*
 * Decode the code point starting at p; n > 0 bytes remain and they are
 * valid UTF-8 (checked on entry).  Returns the sequence length.
 * OUT: *cp.
 */
static size_t
decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xe0) {
		len = 2;
		*cp = p[0] & 0x1f;
	} else if (p[0] < 0xf0) {
		len = 3;
		*cp = p[0] & 0x0f;
	} else {
		len = 4;
		*cp = p[0] & 0x07;
	}
	len = GH_MIN(len, n);
	for (i = 1; i < len; i++)
		*cp = (*cp << 6) | (p[i] & 0x3f);
	return len;
}

/* A character of the display name before "<": Python's [\w ]. */
static bool
is_name_char(uint32_t cp)
{
	if (cp < 0x80)
		return is_alnum((unsigned char)cp) || cp == '_' || cp == ' ';
	return !is_pyspace(cp) && !is_nonchar(cp) &&
	       !in_ranges(cp, refused, GH_ARRAY_SIZE(refused));
}

/*
 * pydantic's pretty_email_regex, r'([\w ]*?) *<(.*)> *', full match: on
 * a match narrow [*a, *b) to the text between the angle brackets.
 * OUT: *a, *b (left alone when there is no match).
 */
static void
strip_display_name(const unsigned char *s, size_t len, size_t *a, size_t *b)
{
	const unsigned char *lt;
	size_t i, open, end;
	uint32_t cp;

	if ((lt = memchr(s, '<', len)) == NULL)
		return;
	open = (size_t)(lt - s);
	for (i = 0; i < open;) {
		i += decode(s + i, open - i, &cp);
		if (!is_name_char(cp))
			return;
	}
	end = len;
	while (end - 1 > open && s[end - 1] == ' ')
		end--;
	if (end - 1 <= open || s[end - 1] != '>')
		return;
	/* "." in the regex does not match a newline. */
	if (memchr(s + open + 1, '\n', end - 1 - (open + 1)) != NULL)
		return;
	*a = open + 1;
	*b = end - 1;
}

/* Python's str.strip() on s[*a, *b).  OUT: *a, *b. */
static void
strip_space(const unsigned char *s, size_t *a, size_t *b)
{
	size_t n, k;
	uint32_t cp;

	while (*a < *b) {
		n = decode(s + *a, *b - *a, &cp);
		if (!is_pyspace(cp))
			break;
		*a += n;
	}
	while (*b > *a) {
		for (k = *b - 1; k > *a && (s[k] & 0xc0) == 0x80; k--)
			;
		decode(s + k, *b - k, &cp);
		if (!is_pyspace(cp))
			break;
		*b = k;
	}
}

/* Dot-atom of atext and the non-ASCII email-validator allows. */
static bool
local_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, ncp = 0;
	bool atom_empty = true;
	uint32_t cp;

	while (i < n) {
		if (p[i] == '.') {
			if (atom_empty)
				return false;
			atom_empty = true;
			i++;
			ncp++;
			continue;
		}
		if (p[i] < 0x80) {
			if (!is_atext(p[i]))
				return false;
			i++;
		} else {
			i += decode(p + i, n - i, &cp);
			if (in_ranges(cp, refused, GH_ARRAY_SIZE(refused)) ||
			    is_nonchar(cp))
				return false;
			if (ncp == 0 &&
			    in_ranges(cp, combining, GH_ARRAY_SIZE(combining)))
				return false;
		}
		atom_empty = false;
		ncp++;
	}
	return !atom_empty && ncp <= EMAIL_LOCAL_MAX;
}

static bool
label_ok(const unsigned char *l, size_t n)
{
	if (n == 0 || n > EMAIL_LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
		return false;
	/* IDNA reserves "??--" labels; punycode ("xn--") is not decoded. */
	if (n >= 4 && l[2] == '-' && l[3] == '-')
		return false;
	return true;
}

static bool
last_label_special(const unsigned char *l, size_t n)
{
	size_t i, k;

	for (i = 0; i < GH_ARRAY_SIZE(special_use); i++) {
		if (strlen(special_use[i]) != n)
			continue;
		for (k = 0; k < n; k++)
			if (to_lower(l[k]) != (unsigned char)special_use[i][k])
				break;
		if (k == n)
			return true;
	}
	return false;
}

/* Hostname of two or more LDH labels, in a top-level domain. */
static bool
domain_ok(const unsigned char *p, size_t n)
{
	size_t i, start = 0, last = 0, labels = 0;

	if (n == 0 || n > EMAIL_DOMAIN_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '.') {
			if (!is_alnum(p[i]) && p[i] != '-')
				return false;
			continue;
		}
		if (!label_ok(p + start, i - start))
			return false;
		labels++;
		last = start;
		start = i + 1;
	}
	/* email-validator: "all TLDs currently end with a letter". */
	if (labels < 2 || !is_alpha(p[n - 1]))
		return false;
	return !last_label_special(p + last, n - last);
}

bool
gh_email_normalize(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	const unsigned char *at;
	size_t a = 0, b = len, i, local_len;

	out[0] = '\0';
	if (!gh_utf8_valid(in, len) || gh_utf8_count(in, len) > EMAIL_INPUT_MAX)
		return false;
	strip_display_name(s, len, &a, &b);
	strip_space(s, &a, &b);
	if (a == b || (at = memchr(s + a, '@', b - a)) == NULL)
		return false;
	local_len = (size_t)(at - (s + a));
	if (memchr(at + 1, '@', b - a - local_len - 1) != NULL)
		return false;
	if (!local_ok(s + a, local_len) ||
	    !domain_ok(at + 1, b - a - local_len - 1) ||
	    b - a > EMAIL_TOTAL_MAX)
		return false;
	/* The local part is case-sensitive (RFC 5321); keep it as given. */
	memcpy(out, s + a, local_len + 1);
	for (i = a + local_len + 1; i < b; i++)
		out[i - a] = (char)to_lower(s[i]);
	out[b - a] = '\0';
	return true;
}

/*
 * Shared digit loop: s must be all ASCII digits (at least one).  Sets
 * *overflow when the value exceeds INT64_MAX.  Returns false for a
 * non-digit, no digits, or more digits than CPython's int() accepts.
 */
static bool
parse_digits(const char *s, int64_t *out, bool *overflow)
{
	size_t i;
	int64_t v = 0;
	int d;

	*out = 0;
	*overflow = false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= INT_DIGITS_MAX)
			return false;
		d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
	}
	if (i == 0)
		return false;
	*out = *overflow ? 0 : v;
	return true;
}

enum gh_err
gh_parse_id(const char *s, gh_id *out)
{
	bool neg = false, overflow;
	int64_t v;

	*out = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!parse_digits(s, &v, &overflow))
		return GH_ERR_INVALID;
	if (neg || overflow || v == 0)
		return GH_ERR_NOTFOUND;
	*out = v;
	return GH_OK;
}

enum gh_err
gh_parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	bool overflow;
	int64_t v;

	*out = 0;
	if (!parse_digits(s, &v, &overflow) || overflow || v < lo || v > hi)
		return GH_ERR_INVALID;
	*out = v;
	return GH_OK;
}
