/*
 * username.h - what a new username may be: RFC 8265's
 * UsernameCasePreserved profile (PRECIS IdentifierClass), through GNU
 * libunistring.
 *
 * A new name must already be what the profile would make of it: in NFC,
 * without full-width or half-width forms, and made only of letters and
 * digits of any script (Lu, Ll, Lo, Lm, Nd, and the combining marks Mn,
 * Mc) and printable ASCII other than the space.  So control, format
 * (zero-width, bidi overrides), space, symbol and private-use characters
 * are refused, and a name the profile would rewrite is refused, never
 * rewritten.  Two names are the same account when their case-folded
 * forms are equal (gh_username_fold): "Admin" cannot join "admin".
 *
 * Existing accounts (a seed database) are not checked: only names being
 * registered.  Pure functions; fold allocates nothing of the caller's.
 */
#ifndef GH_USERNAME_H
#define GH_USERNAME_H

#include <stdbool.h>
#include <stddef.h>

/* The longest folded form (bytes, with the NUL) of a name of at most
 * 50 code points: case folding can triple a code point's length. */
#define GH_USERNAME_FOLD_BUFSZ 640

/*
 * True when s[0..len) (valid UTF-8, no NUL) is a name the profile
 * leaves as it is.  Otherwise false and *why is a short static English
 * reason ("contains a character that is not allowed").
 */
bool gh_username_check(const char *s, size_t len, const char **why);

/*
 * The comparison form of s[0..len): NFC of its Unicode full case
 * folding, into out (NUL-terminated).  False when it does not fit or s
 * is not valid UTF-8.
 */
bool gh_username_fold(const char *s, size_t len, char *out, size_t outsz);

#endif /* GH_USERNAME_H */
