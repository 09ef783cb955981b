/*
 * cookie.h - reading one cookie from a Cookie request header.
 *
 * Pure: no HTTP library, no allocation.  RFC 6265 5.4 syntax:
 * "name=value" pairs separated by ";" and optional spaces.
 */
#ifndef GH_COOKIE_H
#define GH_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Find the first cookie called name in header (may be NULL) and copy its
 * value, without surrounding double quotes, into out (outsz bytes,
 * NUL-terminated).  False when there is no such cookie or its value does
 * not fit (then *out is "").
 */
bool gh_cookie_get(
    const char *header, const char *name, char *out, size_t outsz);

#endif /* GH_COOKIE_H */
