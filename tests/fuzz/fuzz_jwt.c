/*
 * fuzz_jwt.c - libFuzzer target for gh_jwt_verify() (src/auth/jwt.c).
 *
 * The key and the clock are fixed (FUZZ_KEY, FUZZ_NOW; the seeds in
 * corpus/fuzz_jwt/ are written by PyJWT with the same values, see
 * gen_jwt_corpus.py).  Each input is verified twice:
 *
 *  1. as it is, which explores the framing, base64url and header checks
 *     (a mutated token almost never carries a matching signature);
 *  2. re-signed: the input up to its second '.' (header.payload) gets a
 *     correct HMAC-SHA256 signature computed here with OpenSSL's one-shot
 *     EVP_Q_mac (not the module's code), so the fuzzer also reaches the
 *     payload and claim parsing behind the signature check.
 *
 * Whenever a token verifies, the claims must satisfy the contract of
 * jwt.h (exp present and in the future, nbf not in the future), and
 * signing them again with gh_jwt_sign() and verifying that token must
 * give back the same claims.  A rejected token must leave the claims
 * zeroed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "gh.h"
#include "auth/jwt.h"

#define FUZZ_KEY "gatehouse-fuzz-key"
#define FUZZ_NOW INT64_C(1700000000)
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIG_LEN 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gh_jwt_key *key;

/* Abort with a message: libFuzzer records the input as a crash. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_jwt: %s\n", what);
	abort();
}

static bool
claims_equal(const struct gh_jwt_claims *a, const struct gh_jwt_claims *b)
{
	return strcmp(a->sub, b->sub) == 0 && strcmp(a->role, b->role) == 0 &&
	       strcmp(a->type, b->type) == 0 && strcmp(a->jti, b->jti) == 0 &&
	       a->uid == b->uid && a->ver == b->ver && a->sid == b->sid &&
	       a->iat == b->iat && a->exp == b->exp && a->nbf == b->nbf &&
	       a->has_sub == b->has_sub && a->has_role == b->has_role &&
	       a->has_type == b->has_type && a->has_jti == b->has_jti &&
	       a->has_uid == b->has_uid && a->has_ver == b->has_ver &&
	       a->has_sid == b->has_sid && a->has_iat == b->has_iat &&
	       a->has_exp == b->has_exp && a->has_nbf == b->has_nbf;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Verify token[0..len) (an exact-size heap copy, so ASan sees any read
 * past the end) and check the contract on the result. */
static void
check(const char *token, size_t len)
{
	struct gh_jwt_claims c, c2;
	char *copy, resigned[GH_JWT_BUFSZ];
	const char *why = NULL;
	enum gh_err r;

	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		abort();
	if (len > 0)
		memcpy(copy, token, len);
	r = gh_jwt_verify(key, copy, len, FUZZ_NOW, &c, &why);
	free(copy);
	if (why == NULL)
		fail("no reason given");
	if (r != GH_OK) {
		if (r != GH_ERR_DENIED)
			fail("verify failed with neither OK nor DENIED");
		if (!all_zero(&c, sizeof(c)))
			fail("rejected token left claims behind");
		return;
	}
	if (len > GH_JWT_MAX_LEN)
		fail("token longer than GH_JWT_MAX_LEN verified");
	if (!c.has_exp || FUZZ_NOW >= c.exp)
		fail("verified token without a future exp");
	if (c.has_nbf && FUZZ_NOW < c.nbf)
		fail("verified token before its nbf");

	/* Round trip: sign the claims we got and verify them again. */
	if (gh_jwt_sign(key, &c, resigned, sizeof(resigned)) != GH_OK)
		fail("re-signing verified claims failed");
	if (gh_jwt_verify(key, resigned, strlen(resigned), FUZZ_NOW, &c2,
	        &why) != GH_OK) {
		fprintf(stderr, "fuzz_jwt: re-signed token: %s (%s)\n",
		    resigned, why);
		fail("re-signed token does not verify");
	}
	if (!claims_equal(&c, &c2))
		fail("claims changed through sign and verify");
}

/* Append a valid signature to data[0..second '.') and check that. */
static void
check_resigned(const uint8_t *data, size_t size)
{
	char tok[GH_JWT_MAX_LEN + 64];
	unsigned char mac[SIG_LEN];
	const uint8_t *d1, *d2;
	size_t n, maclen = 0;

	if ((d1 = memchr(data, '.', size)) == NULL)
		return;
	d2 = memchr(d1 + 1, '.', size - (size_t)(d1 + 1 - data));
	n = d2 != NULL ? (size_t)(d2 - data) : size;
	if (n + 1 + sodium_base64_ENCODED_LEN(SIG_LEN, B64) > sizeof(tok))
		return;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, FUZZ_KEY,
	        strlen(FUZZ_KEY), data, n, mac, sizeof(mac), &maclen) == NULL ||
	    maclen != SIG_LEN)
		fail("EVP_Q_mac failed");
	memcpy(tok, data, n);
	tok[n] = '.';
	sodium_bin2base64(
	    tok + n + 1, sizeof(tok) - n - 1, mac, sizeof(mac), B64);
	/* not strlen(): the input may hold NUL bytes */
	check(tok, n + sodium_base64_ENCODED_LEN(SIG_LEN, B64));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (key == NULL)
		key = gh_jwt_key_new(
		    (const unsigned char *)FUZZ_KEY, strlen(FUZZ_KEY));
	check((const char *)data, size);
	check_resigned(data, size);
	return 0;
}
