/*
 * username.c - RFC 8265 UsernameCasePreserved for new names (username.h).
 *
 * The IdentifierClass of RFC 8264 derives each code point's status from
 * its Unicode properties; this applies its rules the way they fall for a
 * username: PVALID are the LetterDigits (Ll, Lu, Lo, Nd, Lm, Mn, Mc) and
 * ASCII 0x21..0x7E; everything else (spaces, controls, format characters
 * such as zero-width and bidi controls, symbols, punctuation beyond
 * ASCII, private use, unassigned) is DISALLOWED.  The profile's width
 * mapping and NFC are checked as "would it change": a name that is not
 * already in that form is refused rather than silently rewritten.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "util/username.h"
#include "util/banned.h"

static bool
pvalid(ucs4_t uc)
{
	if (uc >= 0x21 && uc <= 0x7e)
		return true;
	if (uc < 0x80)
		return false; /* controls, space, DEL */
	return uc_is_general_category(
	    uc, uc_general_category_or(
	            uc_general_category_or(
	                uc_general_category_or(UC_CATEGORY_Ll, UC_CATEGORY_Lu),
	                uc_general_category_or(UC_CATEGORY_Lo, UC_CATEGORY_Lm)),
	            uc_general_category_or(
	                uc_general_category_or(UC_CATEGORY_Nd, UC_CATEGORY_Mn),
	                UC_CATEGORY_Mc)));
}

/* Would the profile's width mapping change uc (a <wide>/<narrow> form)? */
static bool
width_mapped(ucs4_t uc)
{
	ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
	int tag;

	return uc_decomposition(uc, &tag, d) > 0 &&
	       (tag == UC_DECOMP_WIDE || tag == UC_DECOMP_NARROW);
}

bool
gh_username_check(const char *s, size_t len, const char **why)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	uint8_t *nfc;
	size_t nlen = 0;
	ucs4_t uc;
	int n;
	bool same;

	if (len == 0) {
		*why = "must not be empty";
		return false;
	}
	while (p < end) {
		if ((n = u8_mbtouc_unsafe(&uc, p, (size_t)(end - p))) <= 0) {
			*why = "is not valid UTF-8";
			return false;
		}
		if (uc == ' ' || uc_is_property_white_space(uc)) {
			*why = "must not contain spaces";
			return false;
		}
		if (!pvalid(uc)) {
			*why = "contains a character that is not allowed "
			       "(a control, format, symbol or private-use "
			       "character)";
			return false;
		}
		if (width_mapped(uc)) {
			*why = "contains a full-width or half-width form";
			return false;
		}
		p += n;
	}
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nlen);
	if (nfc == NULL) {
		*why = "is not valid UTF-8";
		return false;
	}
	same = nlen == len && memcmp(nfc, s, len) == 0;
	free(nfc);
	if (!same) {
		*why = "is not in Unicode normalization form C";
		return false;
	}
	return true;
}

bool
gh_username_fold(const char *s, size_t len, char *out, size_t outsz)
{
	size_t n = outsz > 0 ? outsz - 1 : 0;
	uint8_t *r;

	if (outsz == 0 || u8_check((const uint8_t *)s, len) != NULL)
		return false;
	r = u8_casefold(
	    (const uint8_t *)s, len, NULL, UNINORM_NFC, (uint8_t *)out, &n);
	if (r == NULL)
		return false;
	if (r != (uint8_t *)out) { /* it did not fit */
		free(r);
		return false;
	}
	out[n] = '\0';
	return true;
}
