/*
 * token.h - opaque bearer secrets: refresh tokens, console cookies and
 * API-key secrets.
 *
 * One recipe for all of them: 256 random bits from libsodium, written as
 * base64url without padding (43 characters), and their SHA-256, the only
 * form the store keeps.  Presented secrets are hashed the same way
 * (gh_token_hash) and looked up by hash.  Pure: no HTTP, no SQL.
 */
#ifndef GH_TOKEN_H
#define GH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define GH_TOKEN_LEN 43    /* base64url of 32 random bytes */
#define GH_TOKEN_BUFSZ 44  /* with its NUL */
#define GH_TOKEN_HASHSZ 32 /* SHA-256 */

/* A new secret into tok (NUL-terminated) and its SHA-256 into hash.  The
 * caller wipes tok (sodium_memzero) once it has been sent. */
void gh_token_new(
    char tok[GH_TOKEN_BUFSZ], unsigned char hash[GH_TOKEN_HASHSZ]);

/* The SHA-256 of len bytes of a presented secret. */
void gh_token_hash(
    const char *tok, size_t len, unsigned char hash[GH_TOKEN_HASHSZ]);

/* API keys are "gh_" + 12 hex characters of prefix + "_" + 43 base64url
 * characters of secret (256 bits). */
#define GH_APIKEY_PREFIX_LEN 12
#define GH_APIKEY_SECRET_LEN GH_TOKEN_LEN

/*
 * Split an API key "gh_<prefix>_<secret>" into its lookup prefix (12
 * lower-case hex digits, NUL-terminated into prefix) and *secret (the
 * rest of key: GH_APIKEY_SECRET_LEN characters); false when key has any
 * other shape.  Pure; fuzzed (tests/fuzz/fuzz_apikey.c).
 */
bool gh_apikey_parse(const char *key, char prefix[GH_APIKEY_PREFIX_LEN + 1],
    const char **secret);

#endif /* GH_TOKEN_H */
