/*
 * csrf.c - CSRF tokens of the account console (see csrf.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth/csrf.h"
#include "util/banned.h"

#define CSRF_LABEL "gatehouse console csrf v1"

void
gh_csrf_token(
    const char *secret, size_t secret_len, gh_id sid, char out[GH_CSRF_BUFSZ])
{
	unsigned char k[crypto_auth_hmacsha256_BYTES];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char msg[32];
	int n;

	/* derive a key of its own, so a CSRF token is never a MAC anything
	 * else (a JWT signature) would accept */
	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *)secret, secret_len);
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *)CSRF_LABEL, sizeof(CSRF_LABEL) - 1);
	crypto_auth_hmacsha256_final(&st, k);
	n = snprintf(msg, sizeof(msg), "sid:%lld", (long long)sid);
	crypto_auth_hmacsha256_init(&st, k, sizeof(k));
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *)msg, (size_t)n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, GH_CSRF_BUFSZ, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(&st, sizeof(st));
}

bool
gh_csrf_verify(
    const char *secret, size_t secret_len, gh_id sid, const char *presented)
{
	char want[GH_CSRF_BUFSZ];
	bool ok;

	if (presented == NULL || strlen(presented) != GH_CSRF_BUFSZ - 1)
		return false;
	gh_csrf_token(secret, secret_len, sid, want);
	ok = sodium_memcmp(want, presented, GH_CSRF_BUFSZ - 1) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}
