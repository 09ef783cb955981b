/*
 * jwt.h - HS256 JSON Web Tokens (RFC 7519, JWS compact form of RFC 7515).
 *
 * Our own small module over libsodium's HMAC-SHA-256, so that we control
 * every check: the algorithm is pinned by the key and checked in the header
 * before the signature is looked at; base64url is strict (no padding, no
 * stray characters, canonical trailing bits); header and payload must be
 * JSON objects without duplicate keys; the signature is compared in
 * constant time; "exp" is required.
 *
 * A key keeps the HMAC state with its secret already absorbed, so
 * signing and verifying cost one HMAC and no key schedule.  Keys are
 * created once at start-up and shared read-only by all threads.
 *
 * Pure: no HTTP, no SQL, no logging.
 */
#ifndef GH_JWT_H
#define GH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "../gh.h"

/* Hard limit on a token's length, checked before any parsing. */
#define GH_JWT_MAX_LEN 4096
/* Buffer size that always holds a token signed by gh_jwt_sign(). */
#define GH_JWT_BUFSZ 4096

struct gh_jwt_key;

/* Claims gatehouse reads and writes. Strings are NUL-terminated UTF-8.
 * A claim absent from a verified token is left zero / empty and its
 * has_ flag false. */
struct gh_jwt_claims {
	char sub[256]; /* username (seed compatible) */
	char role[32]; /* "user", "moderator", "admin" */
	char type[16]; /* "access" (later "refresh" is never a JWT) */
	char jti[64];  /* unique token id */
	int64_t uid;   /* user id */
	int64_t ver;   /* token version of the user at issue time */
	int64_t sid;   /* session id, 0 = none */
	int64_t iat;
	int64_t exp;
	int64_t nbf;
	bool has_sub, has_role, has_type, has_jti, has_uid, has_ver, has_sid;
	bool has_iat, has_exp, has_nbf;
};

/* New key for HS256 from the raw secret bytes (the SECRET_KEY string as
 * python-jose and PyJWT use it). Free with gh_jwt_key_free(), which wipes
 * the secret. Aborts on out-of-memory. */
struct gh_jwt_key *gh_jwt_key_new(const unsigned char *secret, size_t len);
void gh_jwt_key_free(struct gh_jwt_key *key);

/*
 * Sign claims into out (size outsz) as header.payload.signature with the
 * header {"alg":"HS256","typ":"JWT"}.  Claims whose has_ flag is false are
 * omitted; sub, role, type and jti are JSON-escaped.
 * GH_OK, GH_ERR_TOOLARGE when out is too small, GH_ERR_INTERNAL.
 */
enum gh_err gh_jwt_sign(const struct gh_jwt_key *key,
    const struct gh_jwt_claims *c, char *out, size_t outsz);

/* Seconds an "iat" may lie ahead of now: clocks of several instances
 * drift a little, never an hour. */
#define GH_JWT_IAT_LEEWAY 60

/*
 * Verify token[0..len) at time now (seconds since the epoch) and fill *out.
 * Rejected (GH_ERR_DENIED) when: longer than GH_JWT_MAX_LEN; not three
 * strict base64url parts; header not a JSON object or its "alg" is not
 * exactly "HS256" (checked before the signature); a "crit" header is
 * present; the signature does not match; the payload is not a JSON
 * object, has duplicate keys, or a claim has the wrong JSON type; "exp"
 * is missing or now >= exp; "nbf" is present and now < nbf; "iat" is
 * present and more than GH_JWT_IAT_LEEWAY seconds ahead of now (a token
 * from the future was not issued by this clock).  Integer
 * claims must be JSON integers.  Unknown claims are ignored.  If why is
 * not NULL it receives a short static reason for the debug log.
 */
enum gh_err gh_jwt_verify(const struct gh_jwt_key *key, const char *token,
    size_t len, int64_t now, struct gh_jwt_claims *out, const char **why);

#endif /* GH_JWT_H */
