/*
 * csrf.h - the account console's CSRF tokens.
 *
 * A token is bound to one session: base64url(HMAC-SHA256(k, "sid:<id>"))
 * where k = HMAC-SHA256(SECRET_KEY, "gatehouse console csrf v1"), a key
 * used for nothing else.  Nothing is stored: the server recomputes the
 * token from the session the cookie names and compares in constant time.
 * Ending the session makes its token useless; rotating SECRET_KEY
 * invalidates every token.  Pure: no HTTP, no SQL, no globals.
 */
#ifndef GH_CSRF_H
#define GH_CSRF_H

#include <stdbool.h>
#include <stddef.h>

#include "gh.h"

/* 43 base64url characters (256 bits) and the NUL. */
#define GH_CSRF_BUFSZ 44

/* Write the CSRF token of session sid under secret (secret_len bytes)
 * into out (NUL-terminated). */
void gh_csrf_token(
    const char *secret, size_t secret_len, gh_id sid, char out[GH_CSRF_BUFSZ]);

/* Is presented (NUL-terminated, may be NULL) the token of session sid?
 * Constant time in the token's bytes. */
bool gh_csrf_verify(
    const char *secret, size_t secret_len, gh_id sid, const char *presented);

#endif /* GH_CSRF_H */
