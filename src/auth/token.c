/*
 * token.c - opaque bearer secrets (token.h).
 */
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "util/banned.h"

void
gh_token_new(char tok[GH_TOKEN_BUFSZ], unsigned char hash[GH_TOKEN_HASHSZ])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(tok, GH_TOKEN_BUFSZ, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	gh_token_hash(tok, GH_TOKEN_LEN, hash);
}

void
gh_token_hash(const char *tok, size_t len, unsigned char hash[GH_TOKEN_HASHSZ])
{
	crypto_hash_sha256(hash, (const unsigned char *)tok, len);
}

bool
gh_apikey_parse(
    const char *key, char prefix[GH_APIKEY_PREFIX_LEN + 1], const char **secret)
{
	const char *p, *us;
	size_t n;

	if (strncmp(key, "gh_", 3) != 0)
		return false;
	p = key + 3;
	if ((us = strchr(p, '_')) == NULL)
		return false;
	n = (size_t)(us - p);
	if (n != GH_APIKEY_PREFIX_LEN || strspn(p, "0123456789abcdef") < n)
		return false;
	memcpy(prefix, p, n);
	prefix[n] = '\0';
	*secret = us + 1;
	return strlen(*secret) == GH_APIKEY_SECRET_LEN;
}
