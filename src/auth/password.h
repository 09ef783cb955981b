/*
 * password.h - password hashing and verification.
 *
 * New hashes are argon2id through libsodium (crypto_pwhash_str), with
 * the cost from configuration.  Hashes written by the seed's passlib
 * ($2a$, $2b$, $2y$ bcrypt) verify through libxcrypt's crypt_rn and are
 * reported as needing a rehash.  All comparisons are constant-time.
 *
 * These calls are slow on purpose (milliseconds): call them from the
 * hashing worker pool, never on an HTTP thread.  Pure: no globals.
 */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "../gh.h"

/* Size of a buffer that holds any hash gh_password_hash() writes. */
#define GH_PASSWORD_HASH_BUFSZ 128

enum gh_password_kind {
	GH_PW_UNKNOWN = 0,
	GH_PW_ARGON2ID,
	GH_PW_BCRYPT,
};

struct gh_password_params {
	unsigned long long opslimit; /* argon2id t (iterations) */
	size_t memlimit;             /* argon2id m in bytes */
};

/* Hash pw[0..len) into out (NUL-terminated encoded argon2id string).
 * GH_OK, GH_ERR_INTERNAL (out of memory inside libsodium). */
enum gh_err gh_password_hash(const struct gh_password_params *p, const char *pw,
    size_t len, char out[GH_PASSWORD_HASH_BUFSZ]);

/* Verify pw[0..len) against an encoded hash of any supported kind.
 * GH_OK on a match, GH_ERR_DENIED on a mismatch or an unknown/garbled
 * hash (a bcrypt password containing a NUL byte never matches). */
enum gh_err gh_password_verify(const char *hash, const char *pw, size_t len);

/* Which scheme wrote this hash. */
enum gh_password_kind gh_password_kind(const char *hash);

/* True when hash is not argon2id with exactly the parameters p. */
bool gh_password_needs_rehash(
    const struct gh_password_params *p, const char *hash);

#endif /* GH_PASSWORD_H */
