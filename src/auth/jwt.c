/*
 * jwt.c - HS256 JSON Web Tokens (see jwt.h for the contract).
 *
 * Verification order is fixed and is the point of this module: length
 * limit, three non-empty parts, strict base64url header, header a JSON
 * object whose "alg" is exactly "HS256" and which has no "crit", then the
 * HMAC (compared with sodium_memcmp), and only then the payload and its
 * claims.  Nothing from an unauthenticated payload is ever parsed.
 *
 * Base64url is libsodium's URL-safe no-padding variant with no ignore set
 * and no end pointer, so any '=', whitespace, '+', '/', a length of 4n+1
 * or non-zero trailing bits make the decode fail: one token has exactly
 * one encoding.
 *
 * HMAC-SHA-256 is libsodium's (crypto_auth_hmacsha256).  A key holds the
 * HMAC state right after absorbing the secret (inner and outer pads
 * hashed once); each token starts from a copy of it on the stack, so no
 * key schedule runs per token and the secret itself is not kept.
 * libsodium is loaded anyway (argon2id, random bytes); initialising
 * OpenSSL's provider machinery only for HMAC cost ~2 MB of resident
 * memory at start (docs/DECISIONS.md).  A key also owns a per-thread
 * registry (util/tls.h): each thread that uses it gets its own token
 * cache, released when the thread exits or by gh_jwt_key_free().  The
 * HMAC state and the caches are wiped on free.
 *
 * Hot path: the header we write (PyJWT writes the same bytes) is known
 * by its base64url text and not decoded or parsed.  The only allocations
 * are jansson's trees (the payload, and any other header); every buffer
 * is on the stack, sized from GH_JWT_MAX_LEN.  Lifetime: keys are made at
 * start-up and freed after every thread that used them has stopped using
 * them.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "gh.h"
#include "auth/jwt.h"
#include "util/tls.h"
#include "util/banned.h"

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIG_LEN 32 /* SHA-256 output */
/* Largest decoded part: a part is shorter than the whole token. */
#define PART_MAX (GH_JWT_MAX_LEN / 4 * 3 + 3)

/* base64url of {"alg":"HS256","typ":"JWT"}, the only header we write. */
static const char hdr_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/*
 * Verified-token cache, per thread: a client sends the same token with
 * every request, and its signature, base64 and JSON need checking once.
 * A slot holds a token that passed every time-independent check, with its
 * claims; a hit is a constant-time compare of the whole token, after
 * which exp, nbf and iat are checked against the current time as usual.
 * Slots are picked by SipHash under a random per-thread key, so nobody
 * can aim at a slot.  Tokens longer than CACHE_TOKMAX are never cached.
 * Revocation is unaffected: it is decided by the caller after verify.
 */
#define CACHE_SLOTS 64
#define CACHE_TOKMAX 768

struct cache_ent {
	size_t len;
	char tok[CACHE_TOKMAX];
	struct gh_jwt_claims c;
};

/* One thread's token cache (util/tls.h makes and finds it). */
struct tctx {
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	struct cache_ent cache[CACHE_SLOTS];
};

struct gh_jwt_key {
	crypto_auth_hmacsha256_state keyed; /* the secret absorbed */
	struct gh_tls *caches;              /* struct tctx per thread */
};

static void *
tctx_make(void *arg)
{
	struct tctx *t = gh_xcalloc(1, sizeof(*t));

	GH_UNUSED(arg);
	randombytes_buf(t->hkey, sizeof(t->hkey));
	return t;
}

static void
tctx_destroy(void *obj)
{
	sodium_memzero(obj, sizeof(struct tctx));
	free(obj);
}

/* The cache slot token[0..len) maps to in t. */
static struct cache_ent *
cache_slot(struct tctx *t, const char *token, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];

	crypto_shorthash(h, (const unsigned char *)token, len, t->hkey);
	return &t->cache[h[0] % CACHE_SLOTS];
}

/* HMAC-SHA256 of data[0..len) into OUT: mac. */
static enum gh_err
hmac(const struct gh_jwt_key *key, const char *data, size_t len,
    unsigned char mac[SIG_LEN])
{
	crypto_auth_hmacsha256_state st = key->keyed;

	crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	return GH_OK;
}

struct gh_jwt_key *
gh_jwt_key_new(const unsigned char *secret, size_t len)
{
	/* libsodium wants a pointer even for an empty secret */
	static const unsigned char empty[1];
	struct gh_jwt_key *key = gh_xcalloc(1, sizeof(*key));

	crypto_auth_hmacsha256_init(&key->keyed, len > 0 ? secret : empty, len);
	/* gh_jwt_verify takes a const key: the registry is its own object */
	key->caches = gh_tls_new(tctx_make, tctx_destroy, NULL);
	return key;
}

void
gh_jwt_key_free(struct gh_jwt_key *key)
{
	if (key == NULL)
		return;
	gh_tls_free(key->caches); /* threads must no longer use the key */
	sodium_memzero(&key->keyed, sizeof(key->keyed));
	free(key);
}

/* Set name to the string s, at most bufsz - 1 bytes, in obj. */
static int
set_str(json_t *obj, const char *name, const char *s, size_t bufsz)
{
	size_t n = strnlen(s, bufsz);

	if (n == bufsz)
		return -1; /* not terminated inside its buffer */
	return json_object_set_new(obj, name, json_stringn(s, n));
}

enum gh_err
gh_jwt_sign(const struct gh_jwt_key *key, const struct gh_jwt_claims *c,
    char *out, size_t outsz)
{
	char json[GH_JWT_MAX_LEN];
	unsigned char mac[SIG_LEN];
	json_t *p = NULL;
	size_t jlen, plen, slen, need, pos;
	int r = GH_ERR_INTERNAL, e = 0;

	if (outsz > 0)
		out[0] = '\0';
	if ((p = json_object()) == NULL)
		goto out;
	/* The order is the wire order (jansson keeps insertion order). */
	if (c->has_sub)
		e |= set_str(p, "sub", c->sub, sizeof(c->sub));
	if (c->has_uid)
		e |= json_object_set_new(p, "uid", json_integer(c->uid));
	if (c->has_role)
		e |= set_str(p, "role", c->role, sizeof(c->role));
	if (c->has_type)
		e |= set_str(p, "type", c->type, sizeof(c->type));
	if (c->has_sid)
		e |= json_object_set_new(p, "sid", json_integer(c->sid));
	if (c->has_jti)
		e |= set_str(p, "jti", c->jti, sizeof(c->jti));
	if (c->has_ver)
		e |= json_object_set_new(p, "ver", json_integer(c->ver));
	if (c->has_iat)
		e |= json_object_set_new(p, "iat", json_integer(c->iat));
	if (c->has_exp)
		e |= json_object_set_new(p, "exp", json_integer(c->exp));
	if (c->has_nbf)
		e |= json_object_set_new(p, "nbf", json_integer(c->nbf));
	if (e != 0)
		goto out; /* a string that is not UTF-8, or out of memory */
	jlen = json_dumpb(p, json, sizeof(json), JSON_COMPACT);
	if (jlen == 0)
		goto out;
	if (jlen > sizeof(json)) {
		r = GH_ERR_TOOLARGE;
		goto out;
	}

	/* Lengths without the NUL that sodium_base64_ENCODED_LEN counts. */
	plen = sodium_base64_ENCODED_LEN(jlen, B64_VARIANT) - 1;
	slen = sodium_base64_ENCODED_LEN(SIG_LEN, B64_VARIANT) - 1;
	need = sizeof(hdr_b64) - 1 + 1 + plen + 1 + slen + 1;
	if (outsz < need) {
		r = GH_ERR_TOOLARGE;
		goto out;
	}
	pos = sizeof(hdr_b64) - 1;
	memcpy(out, hdr_b64, pos);
	out[pos++] = '.';
	sodium_bin2base64(out + pos, plen + 1, (const unsigned char *)json,
	    jlen, B64_VARIANT);
	pos += plen;
	if ((r = hmac(key, out, pos, mac)) != GH_OK)
		goto out;
	out[pos++] = '.';
	sodium_bin2base64(out + pos, slen + 1, mac, SIG_LEN, B64_VARIANT);
	r = GH_OK;
out:
	if (r != GH_OK && outsz > 0)
		out[0] = '\0';
	json_decref(p);
	return r;
}

/* Strictly decode b64[0..len) into OUT: bin (size max); -1 when invalid. */
static int
b64_decode(
    const char *b64, size_t len, unsigned char *bin, size_t max, size_t *binlen)
{
	/* No ignore set and no end pointer: every byte must be decoded. */
	return sodium_base642bin(
	    bin, max, b64, len, NULL, binlen, NULL, B64_VARIANT);
}

/* Decode a part and parse it as a JSON object without duplicate keys. */
static json_t *
part_object(const char *b64, size_t len, unsigned char *buf, size_t bufsz)
{
	json_t *o;
	size_t n;

	if (b64_decode(b64, len, buf, bufsz, &n) != 0)
		return NULL;
	if ((o = json_loadb(
	         (const char *)buf, n, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Check the header part: a JSON object, "alg" exactly "HS256", no "crit".
 * Our own header (which PyJWT writes too) is recognised by its bytes and
 * not parsed: those bytes can only decode to that object.
 */
static enum gh_err
header_check(const char *b64, size_t len, unsigned char *buf, size_t bufsz,
    const char **why)
{
	const json_t *alg;
	json_t *h;
	int r = GH_ERR_DENIED;

	if (len == sizeof(hdr_b64) - 1 && memcmp(b64, hdr_b64, len) == 0)
		return GH_OK;
	if ((h = part_object(b64, len, buf, bufsz)) == NULL) {
		*why = "bad header";
		goto out;
	}
	alg = json_object_get(h, "alg");
	if (!json_is_string(alg) || json_string_length(alg) != 5 ||
	    memcmp(json_string_value(alg), "HS256", 5) != 0) {
		*why = "alg not HS256";
		goto out;
	}
	if (json_object_get(h, "crit") != NULL) {
		*why = "crit header";
		goto out;
	}
	r = GH_OK;
out:
	json_decref(h);
	return r;
}

/* Copy string claim name into OUT: dst; 0 absent, 1 present, -1 bad. */
static int
get_str(const json_t *obj, const char *name, char *dst, size_t dstsz)
{
	const json_t *v;
	size_t n;

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	/* Without JSON_ALLOW_NUL jansson refuses "\u0000", so n is also
	 * the C length. */
	if (n >= dstsz)
		return -1;
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return 1;
}

/* Integer claim name into OUT: dst; 0 absent, 1 present, -1 bad. */
static int
get_int(const json_t *obj, const char *name, int64_t *dst)
{
	const json_t *v;

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*dst = json_integer_value(v);
	return 1;
}

/* Fill OUT: c from payload p; the static reason in *why when it fails. */
static enum gh_err
claims_get(const json_t *p, struct gh_jwt_claims *c, const char **why)
{
	const struct {
		const char *name;
		char *dst;
		size_t size;
		bool *has;
	} strs[] = {
	    {"sub", c->sub, sizeof(c->sub), &c->has_sub},
	    {"role", c->role, sizeof(c->role), &c->has_role},
	    {"type", c->type, sizeof(c->type), &c->has_type},
	    {"jti", c->jti, sizeof(c->jti), &c->has_jti},
	};
	const struct {
		const char *name;
		int64_t *dst;
		bool *has;
	} ints[] = {
	    {"uid", &c->uid, &c->has_uid},
	    {"ver", &c->ver, &c->has_ver},
	    {"sid", &c->sid, &c->has_sid},
	    {"iat", &c->iat, &c->has_iat},
	    {"exp", &c->exp, &c->has_exp},
	    {"nbf", &c->nbf, &c->has_nbf},
	};
	size_t i;
	int k;

	for (i = 0; i < GH_ARRAY_SIZE(strs); i++) {
		if ((k = get_str(p, strs[i].name, strs[i].dst, strs[i].size)) <
		    0) {
			*why = "bad string claim";
			return GH_ERR_DENIED;
		}
		*strs[i].has = k > 0;
	}
	for (i = 0; i < GH_ARRAY_SIZE(ints); i++) {
		if ((k = get_int(p, ints[i].name, ints[i].dst)) < 0) {
			*why = "bad integer claim";
			return GH_ERR_DENIED;
		}
		*ints[i].has = k > 0;
	}
	return GH_OK;
}

enum gh_err
gh_jwt_verify(const struct gh_jwt_key *key, const char *token, size_t len,
    int64_t now, struct gh_jwt_claims *out, const char **why)
{
	unsigned char buf[PART_MAX];
	unsigned char sig[SIG_LEN], mac[SIG_LEN];
	const char *d1, *d2, *reason = "internal error";
	struct cache_ent *slot = NULL;
	struct tctx *t;
	json_t *p = NULL;
	size_t n;
	int r = GH_ERR_DENIED;

	memset(out, 0, sizeof(*out));
	if (len > GH_JWT_MAX_LEN) {
		reason = "token too long";
		goto out;
	}
	if (len <= CACHE_TOKMAX && (t = gh_tls_get(key->caches)) != NULL) {
		slot = cache_slot(t, token, len);
		if (slot->len == len &&
		    sodium_memcmp(slot->tok, token, len) == 0) {
			*out = slot->c;
			goto check_time;
		}
	}
	/* Exactly three non-empty parts. */
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
	        NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL) {
		reason = "not three parts";
		goto out;
	}
	if (d1 == token || d2 == d1 + 1 || d2 + 1 == token + len) {
		reason = "empty part";
		goto out;
	}

	/* The algorithm is pinned before the signature is looked at. */
	if (header_check(token, (size_t)(d1 - token), buf, sizeof(buf),
	        &reason) != GH_OK)
		goto out;

	if (b64_decode(d2 + 1, len - (size_t)(d2 + 1 - token), sig, sizeof(sig),
	        &n) != 0 ||
	    n != SIG_LEN) {
		reason = "bad signature encoding";
		goto out;
	}
	if (hmac(key, token, (size_t)(d2 - token), mac) != GH_OK) {
		r = GH_ERR_INTERNAL;
		goto out;
	}
	if (sodium_memcmp(sig, mac, SIG_LEN) != 0) {
		reason = "bad signature";
		goto out;
	}

	if ((p = part_object(
	         d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf))) == NULL) {
		reason = "bad payload";
		goto out;
	}
	if (claims_get(p, out, &reason) != GH_OK)
		goto out;
	if (!out->has_exp) {
		reason = "exp missing";
		goto out;
	}
	if (slot != NULL) {
		slot->len = len;
		memcpy(slot->tok, token, len);
		slot->c = *out;
	}
check_time:
	if (now >= out->exp) {
		reason = "expired";
		goto out;
	}
	if (out->has_nbf && now < out->nbf) {
		reason = "not yet valid";
		goto out;
	}
	if (out->has_iat && out->iat > now &&
	    (uint64_t)out->iat - (uint64_t)now > GH_JWT_IAT_LEEWAY) {
		reason = "issued in the future";
		goto out;
	}
	reason = "ok";
	r = GH_OK;
out:
	if (r != GH_OK)
		memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = reason;
	json_decref(p);
	return r;
}
