/*
 * password.c - password hashing and verification (see password.h).
 *
 * argon2id hashes are written and checked by libsodium.  Legacy bcrypt
 * hashes ($2a$, $2b$, $2y$, from the seed's passlib) are recomputed with
 * libxcrypt's crypt_rn and the result is compared with the stored string
 * in constant time; they always need a rehash.  Any other string is
 * refused, never passed to crypt (which would accept DES and friends).
 *
 * Wiping: the NUL-terminated password copy and the crypt_data work area
 * (which holds the recomputed hash) are wiped before they are freed.
 * sodium_init() is called on every hash and verify: it is idempotent and
 * cheap next to the hash, and without it libsodium uses its slow
 * portable argon2 code.
 */
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "gh.h"
#include "auth/password.h"
#include "util/banned.h"

_Static_assert(GH_PASSWORD_HASH_BUFSZ >= crypto_pwhash_STRBYTES,
    "hash buffer smaller than libsodium's string");

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum gh_password_kind
gh_password_kind(const char *hash)
{
	if (hash == NULL)
		return GH_PW_UNKNOWN;
	if (has_prefix(hash, "$argon2id$"))
		return GH_PW_ARGON2ID;
	if (has_prefix(hash, "$2a$") || has_prefix(hash, "$2b$") ||
	    has_prefix(hash, "$2y$"))
		return GH_PW_BCRYPT;
	return GH_PW_UNKNOWN;
}

enum gh_err
gh_password_hash(const struct gh_password_params *p, const char *pw, size_t len,
    char out[GH_PASSWORD_HASH_BUFSZ])
{
	out[0] = '\0';
	if (sodium_init() < 0)
		return GH_ERR_INTERNAL;
	if (crypto_pwhash_str_alg(out, pw, len, p->opslimit, p->memlimit,
	        crypto_pwhash_ALG_ARGON2ID13) != 0) {
		out[0] = '\0';
		return GH_ERR_INTERNAL;
	}
	return GH_OK;
}

static enum gh_err
verify_bcrypt(const char *hash, const char *pw, size_t len)
{
	struct crypt_data *cd = NULL;
	char *pwz = NULL;
	const char *res;
	size_t hlen;
	int r = GH_ERR_DENIED;

	/* crypt takes a C string: what follows a NUL would be ignored. */
	if (memchr(pw, '\0', len) != NULL)
		goto out;
	pwz = gh_xmalloc(len + 1);
	memcpy(pwz, pw, len);
	pwz[len] = '\0';
	cd = gh_xcalloc(1, sizeof(*cd)); /* ~32 KiB: too big for a stack */
	/* crypt_rn returns NULL (never a "*0" token) for a bad setting. */
	if ((res = crypt_rn(pwz, hash, cd, (int)sizeof(*cd))) == NULL)
		goto out;
	hlen = strlen(hash);
	if (strlen(res) != hlen || sodium_memcmp(res, hash, hlen) != 0)
		goto out;
	r = GH_OK;
out:
	if (cd != NULL) {
		sodium_memzero(cd, sizeof(*cd));
		free(cd);
	}
	if (pwz != NULL) {
		sodium_memzero(pwz, len + 1);
		free(pwz);
	}
	return r;
}

enum gh_err
gh_password_verify(const char *hash, const char *pw, size_t len)
{
	switch (gh_password_kind(hash)) {
	case GH_PW_ARGON2ID:
		if (sodium_init() < 0)
			return GH_ERR_INTERNAL;
		if (crypto_pwhash_str_verify(hash, pw, len) != 0)
			return GH_ERR_DENIED;
		return GH_OK;
	case GH_PW_BCRYPT:
		return verify_bcrypt(hash, pw, len);
	case GH_PW_UNKNOWN:
		break;
	}
	return GH_ERR_DENIED;
}

bool
gh_password_needs_rehash(const struct gh_password_params *p, const char *hash)
{
	if (gh_password_kind(hash) != GH_PW_ARGON2ID)
		return true;
	/* -1 for a garbled hash, 1 for other parameters. */
	return crypto_pwhash_str_needs_rehash(hash, p->opslimit, p->memlimit) !=
	       0;
}
