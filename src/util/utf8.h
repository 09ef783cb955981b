/*
 * utf8.h - strict UTF-8 validation and code-point counting.
 *
 * Pure functions over byte ranges; no allocation. "Strict" follows
 * RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences.  NUL bytes are valid UTF-8;
 * callers that refuse them check separately (gh_utf8_has_nul).  s may
 * be NULL when len is 0.
 */
#ifndef GH_UTF8_H
#define GH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is strict UTF-8. */
bool gh_utf8_valid(const char *s, size_t len);

/* Number of code points in s[0..len), which must be valid UTF-8. */
size_t gh_utf8_count(const char *s, size_t len);

/* Length of the longest prefix of s[0..len) that is strict UTF-8 (so a
 * string can be cut back to its last complete character). */
size_t gh_utf8_valid_prefix(const char *s, size_t len);

/* True when s[0..len) contains a NUL byte. */
bool gh_utf8_has_nul(const char *s, size_t len);

#endif /* GH_UTF8_H */
