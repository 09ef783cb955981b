/*
 * test_jwt.c - unit tests for auth/jwt.c.
 *
 * Known-answer vectors come from elsewhere: RFC 7515 Appendix A.1 and a
 * token written by PyJWT.  The rejection table builds each token from
 * header and payload JSON, signs it with OpenSSL's one-shot EVP_Q_mac
 * (not the module's code), applies one mutation and checks both the
 * result and the reason, so that a case cannot pass for the wrong
 * reason (for example alg "none" must fail on alg, not on the signature).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "gh.h"
#include "auth/jwt.h"

#define SECRET "test-secret-for-gatehouse"
#define V sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* ---- an independent token builder -------------------------------------- */

enum mut {
	M_NONE,
	M_OTHER_SECRET,  /* signed with another secret */
	M_FLIP_SIG,      /* one bit of the signature flipped */
	M_NONCANON_SIG,  /* same signature bytes, non-zero trailing bits */
	M_PAD_HEADER,    /* '=' after the header (signed as such) */
	M_PAD_PAYLOAD,   /* '=' after the payload (signed as such) */
	M_PAD_SIG,       /* '=' after the signature */
	M_PLUS_PAYLOAD,  /* first payload char replaced by '+' */
	M_SLASH_HEADER,  /* last header char replaced by '/' */
	M_SPACE_PAYLOAD, /* a space inside the payload */
	M_FOUR_PARTS,    /* h.p.s.s */
	M_TWO_PARTS,     /* h.p */
	M_EMPTY_HEADER,  /* .p.s */
	M_EMPTY_PAYLOAD, /* h..s */
	M_EMPTY_SIG,     /* h.p. */
	M_TRAIL_NL,      /* h.p.s\n */
	M_TRAIL_SPACE,   /* h.p.s followed by a space */
	M_TRAIL_CHAR,    /* h.p.sA */
	M_TRAIL_NUL,     /* a NUL byte counted in len */
};

static void
b64(const void *bin, size_t n, char *dst, size_t dstsz)
{
	assert_true(sodium_base64_ENCODED_LEN(n, V) <= dstsz);
	sodium_bin2base64(dst, dstsz, bin, n, V);
}

static void
hs256(const char *secret, const char *data, size_t n, unsigned char mac[32])
{
	size_t outl = 0;

	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
	    strlen(secret), (const unsigned char *)data, n, mac, 32, &outl));
	assert_int_equal(outl, 32);
}

static int
b64val(char ch)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = strchr(a, ch);

	assert_non_null(p);
	return (int)(p - a);
}

/* Build a token into out; returns its length (len may count a NUL). */
static size_t
make_token(
    char *out, size_t outsz, const char *hdr, const char *pay, enum mut m)
{
	char h[4096], p[8192], s[64];
	unsigned char mac[32];
	size_t n, hl, pl;
	int k;

	b64(hdr, strlen(hdr), h, sizeof(h));
	b64(pay, strlen(pay), p, sizeof(p));
	hl = strlen(h);
	pl = strlen(p);
	switch (m) {
	case M_PAD_HEADER:
		h[hl++] = '=';
		h[hl] = '\0';
		break;
	case M_PAD_PAYLOAD:
		p[pl++] = '=';
		p[pl] = '\0';
		break;
	case M_PLUS_PAYLOAD:
		p[0] = '+';
		break;
	case M_SLASH_HEADER:
		h[hl - 1] = '/';
		break;
	case M_SPACE_PAYLOAD:
		memmove(p + 5, p + 4, pl - 4 + 1);
		p[4] = ' ';
		break;
	default:
		break;
	}
	k = snprintf(out, outsz, "%s.%s", h, p);
	assert_true(k > 0 && (size_t)k < outsz);
	n = (size_t)k;
	hs256(m == M_OTHER_SECRET ? "another-secret" : SECRET, out, n, mac);
	if (m == M_FLIP_SIG)
		mac[17] ^= 0x08;
	b64(mac, sizeof(mac), s, sizeof(s));
	assert_int_equal(strlen(s), 43);
	if (m == M_NONCANON_SIG) {
		/* 43 chars carry 258 bits: the last char's two low bits are
		 * padding and must be zero. */
		assert_int_equal(b64val(s[42]) & 3, 0);
		s[42] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		        "0123456789-_"[b64val(s[42]) + 1];
	}

	switch (m) {
	case M_FOUR_PARTS:
		k = snprintf(out + n, outsz - n, ".%s.%s", s, s);
		break;
	case M_TWO_PARTS:
		k = 0;
		break;
	case M_EMPTY_SIG:
		k = snprintf(out + n, outsz - n, ".");
		break;
	case M_PAD_SIG:
		k = snprintf(out + n, outsz - n, ".%s=", s);
		break;
	case M_TRAIL_NL:
		k = snprintf(out + n, outsz - n, ".%s\n", s);
		break;
	case M_TRAIL_SPACE:
		k = snprintf(out + n, outsz - n, ".%s ", s);
		break;
	case M_TRAIL_CHAR:
		k = snprintf(out + n, outsz - n, ".%sA", s);
		break;
	case M_TRAIL_NUL:
		k = snprintf(out + n, outsz - n, ".%s", s) + 1;
		break;
	default:
		k = snprintf(out + n, outsz - n, ".%s", s);
		break;
	}
	assert_true(k >= 0 && (size_t)k < outsz - n);
	n += (size_t)k;

	if (m == M_EMPTY_HEADER) {
		const char *dot = strchr(out, '.');

		memmove(out, dot, n - (size_t)(dot - out) + 1);
		n -= (size_t)(dot - out);
	} else if (m == M_EMPTY_PAYLOAD) {
		char *d1 = strchr(out, '.'), *d2 = strchr(d1 + 1, '.');

		memmove(d1 + 1, d2, n - (size_t)(d2 - out) + 1);
		n -= (size_t)(d2 - d1 - 1);
	}
	return n;
}

/* ---- setup ------------------------------------------------------------ */

static int
setup(void **state)
{
	*state = gh_jwt_key_new((const unsigned char *)SECRET, strlen(SECRET));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	gh_jwt_key_free(*state);
	return 0;
}

/* ---- the verification table ------------------------------------------- */

static const struct vcase {
	const char *name;
	const char *hdr;
	const char *pay;
	enum mut m;
	int64_t now;
	enum gh_err want;
	const char *why; /* reason gh_jwt_verify must give */
} vcases[] = {
    /* accepted */
    {"valid", HDR, "{\"sub\":\"alice\",\"exp\":2000}", M_NONE, 1000, GH_OK,
        "ok"},
    {"no typ", "{\"alg\":\"HS256\"}", "{\"exp\":2000}", M_NONE, 1000, GH_OK,
        "ok"},
    {"extra header fields",
        "{\"typ\":\"JWT\",\"kid\":\"k1\",\"alg\":"
        "\"HS256\"}",
        "{\"exp\":2000}", M_NONE, 1000, GH_OK, "ok"},
    {"unknown claims ignored", HDR,
        "{\"exp\":2000,\"iss\":\"x\",\"aud\":[\"a\"],\"o\":{\"n\":1.5}}",
        M_NONE, 1000, GH_OK, "ok"},
    {"one second before exp", HDR, "{\"exp\":2000}", M_NONE, 1999, GH_OK, "ok"},
    {"nbf equal to now", HDR, "{\"exp\":2000,\"nbf\":1000}", M_NONE, 1000,
        GH_OK, "ok"},
    {"iat within the leeway", HDR, "{\"exp\":2000,\"iat\":1060}", M_NONE, 1000,
        GH_OK, "ok"},
    {"role of 31 bytes", HDR,
        "{\"exp\":2000,\"role\":\"0123456789012345678901234567890\"}", M_NONE,
        1000, GH_OK, "ok"},

    /* the algorithm, checked before the signature */
    {"alg none signed", "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"exp\":2000}",
        M_NONE, 1000, GH_ERR_DENIED, "alg not HS256"},
    {"alg none bad sig", "{\"alg\":\"none\"}", "{\"exp\":2000}", M_FLIP_SIG,
        1000, GH_ERR_DENIED, "alg not HS256"},
    {"alg none unsigned", "{\"alg\":\"none\"}", "{\"exp\":2000}", M_EMPTY_SIG,
        1000, GH_ERR_DENIED, "empty part"},
    {"alg HS512", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "{\"exp\":2000}",
        M_NONE, 1000, GH_ERR_DENIED, "alg not HS256"},
    {"alg RS256", "{\"alg\":\"RS256\"}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg hs256", "{\"alg\":\"hs256\"}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg HS256 space", "{\"alg\":\"HS256 \"}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg HS2", "{\"alg\":\"HS2\"}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg not a string", "{\"alg\":256}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg null", "{\"alg\":null}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg array", "{\"alg\":[\"HS256\"]}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg missing", "{\"typ\":\"JWT\"}", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "alg not HS256"},
    {"alg with NUL", "{\"alg\":\"HS256\\u0000\"}", "{\"exp\":2000}", M_NONE,
        1000, GH_ERR_DENIED, "bad header"},
    {"crit present", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "{\"exp\":2000}",
        M_NONE, 1000, GH_ERR_DENIED, "crit header"},
    {"crit empty", "{\"alg\":\"HS256\",\"crit\":[]}", "{\"exp\":2000}", M_NONE,
        1000, GH_ERR_DENIED, "crit header"},
    {"header duplicate alg", "{\"alg\":\"HS256\",\"alg\":\"none\"}",
        "{\"exp\":2000}", M_NONE, 1000, GH_ERR_DENIED, "bad header"},
    {"header array", "[\"HS256\"]", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "bad header"},
    {"header not json", "alg=HS256", "{\"exp\":2000}", M_NONE, 1000,
        GH_ERR_DENIED, "bad header"},
    {"header trailing data", "{\"alg\":\"HS256\"} {}", "{\"exp\":2000}", M_NONE,
        1000, GH_ERR_DENIED, "bad header"},

    /* the signature */
    {"bit flipped", HDR, "{\"exp\":2000}", M_FLIP_SIG, 1000, GH_ERR_DENIED,
        "bad signature"},
    {"other secret", HDR, "{\"exp\":2000}", M_OTHER_SECRET, 1000, GH_ERR_DENIED,
        "bad signature"},
    {"non-canonical sig bits", HDR, "{\"exp\":2000}", M_NONCANON_SIG, 1000,
        GH_ERR_DENIED, "bad signature encoding"},

    /* strict base64url and structure */
    {"padding in header", HDR, "{\"exp\":2000}", M_PAD_HEADER, 1000,
        GH_ERR_DENIED, "bad header"},
    {"padding in payload", HDR, "{\"exp\":2000}", M_PAD_PAYLOAD, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"padding in signature", HDR, "{\"exp\":2000}", M_PAD_SIG, 1000,
        GH_ERR_DENIED, "bad signature encoding"},
    {"plus in payload", HDR, "{\"exp\":2000}", M_PLUS_PAYLOAD, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"slash in header", HDR, "{\"exp\":2000}", M_SLASH_HEADER, 1000,
        GH_ERR_DENIED, "bad header"},
    {"space in payload", HDR, "{\"exp\":2000}", M_SPACE_PAYLOAD, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"four parts", HDR, "{\"exp\":2000}", M_FOUR_PARTS, 1000, GH_ERR_DENIED,
        "not three parts"},
    {"two parts", HDR, "{\"exp\":2000}", M_TWO_PARTS, 1000, GH_ERR_DENIED,
        "not three parts"},
    {"empty header", HDR, "{\"exp\":2000}", M_EMPTY_HEADER, 1000, GH_ERR_DENIED,
        "empty part"},
    {"empty payload", HDR, "{\"exp\":2000}", M_EMPTY_PAYLOAD, 1000,
        GH_ERR_DENIED, "empty part"},
    {"empty signature", HDR, "{\"exp\":2000}", M_EMPTY_SIG, 1000, GH_ERR_DENIED,
        "empty part"},
    {"trailing newline", HDR, "{\"exp\":2000}", M_TRAIL_NL, 1000, GH_ERR_DENIED,
        "bad signature encoding"},
    {"trailing space", HDR, "{\"exp\":2000}", M_TRAIL_SPACE, 1000,
        GH_ERR_DENIED, "bad signature encoding"},
    {"trailing char", HDR, "{\"exp\":2000}", M_TRAIL_CHAR, 1000, GH_ERR_DENIED,
        "bad signature encoding"},
    {"trailing NUL", HDR, "{\"exp\":2000}", M_TRAIL_NUL, 1000, GH_ERR_DENIED,
        "bad signature encoding"},

    /* the payload */
    {"payload array", HDR, "[{\"exp\":2000}]", M_NONE, 1000, GH_ERR_DENIED,
        "bad payload"},
    {"payload string", HDR, "\"exp\"", M_NONE, 1000, GH_ERR_DENIED,
        "bad payload"},
    {"payload number", HDR, "2000", M_NONE, 1000, GH_ERR_DENIED, "bad payload"},
    {"payload null", HDR, "null", M_NONE, 1000, GH_ERR_DENIED, "bad payload"},
    {"payload not json", HDR, "{exp:2000}", M_NONE, 1000, GH_ERR_DENIED,
        "bad payload"},
    {"payload trailing data", HDR, "{\"exp\":2000}x", M_NONE, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"payload bad utf-8", HDR, "{\"exp\":2000,\"sub\":\"\xc3\x28\"}", M_NONE,
        1000, GH_ERR_DENIED, "bad payload"},
    {"duplicate exp", HDR, "{\"exp\":2000,\"exp\":3000}", M_NONE, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"duplicate sub", HDR, "{\"sub\":\"a\",\"exp\":2000,\"sub\":\"b\"}", M_NONE,
        1000, GH_ERR_DENIED, "bad payload"},
    {"exp missing", HDR, "{\"sub\":\"alice\"}", M_NONE, 1000, GH_ERR_DENIED,
        "exp missing"},
    {"exp string", HDR, "{\"exp\":\"2000\"}", M_NONE, 1000, GH_ERR_DENIED,
        "bad integer claim"},
    {"exp float", HDR, "{\"exp\":2000.0}", M_NONE, 1000, GH_ERR_DENIED,
        "bad integer claim"},
    {"exp exponent", HDR, "{\"exp\":2e3}", M_NONE, 1000, GH_ERR_DENIED,
        "bad integer claim"},
    {"exp true", HDR, "{\"exp\":true}", M_NONE, 1000, GH_ERR_DENIED,
        "bad integer claim"},
    {"exp null", HDR, "{\"exp\":null}", M_NONE, 1000, GH_ERR_DENIED,
        "bad integer claim"},
    {"exp beyond int64", HDR, "{\"exp\":99999999999999999999}", M_NONE, 1000,
        GH_ERR_DENIED, "bad payload"},
    {"expired at exp", HDR, "{\"exp\":2000}", M_NONE, 2000, GH_ERR_DENIED,
        "expired"},
    {"expired long ago", HDR, "{\"exp\":-1}", M_NONE, 1000, GH_ERR_DENIED,
        "expired"},
    {"nbf in the future", HDR, "{\"exp\":2000,\"nbf\":1001}", M_NONE, 1000,
        GH_ERR_DENIED, "not yet valid"},
    {"iat past the leeway", HDR, "{\"exp\":9000,\"iat\":1061}", M_NONE, 1000,
        GH_ERR_DENIED, "issued in the future"},
    {"iat an hour ahead", HDR, "{\"exp\":9000,\"iat\":4600}", M_NONE, 1000,
        GH_ERR_DENIED, "issued in the future"},
    {"nbf string", HDR, "{\"exp\":2000,\"nbf\":\"0\"}", M_NONE, 1000,
        GH_ERR_DENIED, "bad integer claim"},
    {"uid string", HDR, "{\"exp\":2000,\"uid\":\"1\"}", M_NONE, 1000,
        GH_ERR_DENIED, "bad integer claim"},
    {"ver float", HDR, "{\"exp\":2000,\"ver\":1.0}", M_NONE, 1000,
        GH_ERR_DENIED, "bad integer claim"},
    {"sid string", HDR, "{\"exp\":2000,\"sid\":\"7\"}", M_NONE, 1000,
        GH_ERR_DENIED, "bad integer claim"},
    {"iat float", HDR, "{\"exp\":2000,\"iat\":0.5}", M_NONE, 1000,
        GH_ERR_DENIED, "bad integer claim"},
    {"sub number", HDR, "{\"exp\":2000,\"sub\":42}", M_NONE, 1000,
        GH_ERR_DENIED, "bad string claim"},
    {"sub null", HDR, "{\"exp\":2000,\"sub\":null}", M_NONE, 1000,
        GH_ERR_DENIED, "bad string claim"},
    {"role object", HDR, "{\"exp\":2000,\"role\":{}}", M_NONE, 1000,
        GH_ERR_DENIED, "bad string claim"},
    {"type array", HDR, "{\"exp\":2000,\"type\":[\"access\"]}", M_NONE, 1000,
        GH_ERR_DENIED, "bad string claim"},
    {"jti number", HDR, "{\"exp\":2000,\"jti\":1}", M_NONE, 1000, GH_ERR_DENIED,
        "bad string claim"},
    {"role of 32 bytes", HDR,
        "{\"exp\":2000,\"role\":\"01234567890123456789012345678901\"}", M_NONE,
        1000, GH_ERR_DENIED, "bad string claim"},
    {"type of 16 bytes", HDR, "{\"exp\":2000,\"type\":\"access-access-ac\"}",
        M_NONE, 1000, GH_ERR_DENIED, "bad string claim"},
};

static void
test_verify_table(void **state)
{
	const struct gh_jwt_key *key = *state;
	char tok[8192];
	struct gh_jwt_claims c;
	const char *why;
	enum gh_err r;
	size_t i, n, failed = 0;

	for (i = 0; i < GH_ARRAY_SIZE(vcases); i++) {
		const struct vcase *t = &vcases[i];

		n = make_token(tok, sizeof(tok), t->hdr, t->pay, t->m);
		why = NULL;
		memset(&c, 0xa5, sizeof(c));
		r = gh_jwt_verify(key, tok, n, t->now, &c, &why);
		if (r != t->want || why == NULL || strcmp(why, t->why) != 0) {
			print_error("case \"%s\": got %s (%s), want %s (%s)\n",
			    t->name, gh_err_str(r), why ? why : "(null)",
			    gh_err_str(t->want), t->why);
			failed++;
		}
		/* a refused token leaves nothing behind */
		if (r != GH_OK &&
		    (c.has_sub || c.has_exp || c.sub[0] != '\0')) {
			print_error("case \"%s\": claims left set\n", t->name);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Hand-written tokens the builder cannot make. */
static void
test_verify_raw(void **state)
{
	static const char *raw[] = {
	    "",
	    ".",
	    "..",
	    "...",
	    "abc",
	    "a.b",
	    "a.b.c",
	    "eyJhbGciOiJIUzI1NiJ9",
	    "eyJhbGciOiJIUzI1NiJ9..",
	    /* alg none, the classic attack */
	    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjIwMDB9.",
	};
	struct gh_jwt_claims c;
	const char *why;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(raw); i++) {
		why = NULL;
		if (gh_jwt_verify(*state, raw[i], strlen(raw[i]), 1000, &c,
		        &why) != GH_ERR_DENIED)
			fail_msg("raw token %zu accepted", i);
		assert_non_null(why);
	}
	/* the header gh_jwt_sign writes, which verify knows by its bytes */
	{
		char h[64];

		b64(HDR, strlen(HDR), h, sizeof(h));
		assert_string_equal(h, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
	}
	/* why may be NULL */
	assert_int_equal(
	    gh_jwt_verify(*state, "a.b", 3, 0, &c, NULL), GH_ERR_DENIED);
}

/* ---- known answers ---------------------------------------------------- */

/* RFC 7515 Appendix A.1: header {"typ":"JWT",\r\n "alg":"HS256"}. */
static const char rfc_a1_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc_a1_k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                               "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

static void
test_rfc7515_a1(void **state)
{
	unsigned char k[64];
	size_t klen = 0;
	struct gh_jwt_key *key;
	struct gh_jwt_claims c;
	const char *why;

	(void)state;
	assert_int_equal(sodium_base642bin(k, sizeof(k), rfc_a1_k,
	                     strlen(rfc_a1_k), NULL, &klen, NULL, V),
	    0);
	assert_int_equal(klen, 64);
	key = gh_jwt_key_new(k, klen);

	assert_int_equal(gh_jwt_verify(key, rfc_a1_token, strlen(rfc_a1_token),
	                     1300819379, &c, &why),
	    GH_OK);
	assert_true(c.has_exp);
	assert_int_equal(c.exp, 1300819380);
	assert_false(c.has_sub || c.has_uid || c.has_iat || c.has_nbf);

	assert_int_equal(gh_jwt_verify(key, rfc_a1_token, strlen(rfc_a1_token),
	                     1300819380, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "expired");
	gh_jwt_key_free(key);

	/* the same token under our test secret */
	assert_int_equal(gh_jwt_verify(*state, rfc_a1_token,
	                     strlen(rfc_a1_token), 1300819379, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "bad signature");
}

/*
 * Written by PyJWT 2.6.0:
 *   jwt.encode({"sub": "alice", "uid": 42, "role": "admin",
 *       "type": "access", "sid": 7, "jti": "3f9c2a1e-pyjwt", "ver": 3,
 *       "iat": 1700000000, "exp": 1700000900}, "secret", algorithm="HS256")
 */
static const char pyjwt_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    "."
    "eyJzdWIiOiJhbGljZSIsInVpZCI6NDIsInJvbGUiOiJhZG1pbiIsInR5cGUiOiJhY2Nl"
    "c3MiLCJzaWQiOjcsImp0aSI6IjNmOWMyYTFlLXB5and0IiwidmVyIjozLCJpYXQiOjE3"
    "MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0"
    "."
    "2_qj7cZS7NwnR1nglx_bmiSRtpr8cBo1W9Vo__jTQC8";

static void
fill_pyjwt_claims(struct gh_jwt_claims *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sub, sizeof(c->sub), "alice");
	snprintf(c->role, sizeof(c->role), "admin");
	snprintf(c->type, sizeof(c->type), "access");
	snprintf(c->jti, sizeof(c->jti), "3f9c2a1e-pyjwt");
	c->uid = 42;
	c->sid = 7;
	c->ver = 3;
	c->iat = 1700000000;
	c->exp = 1700000900;
	c->has_sub = c->has_role = c->has_type = c->has_jti = true;
	c->has_uid = c->has_sid = c->has_ver = c->has_iat = c->has_exp = true;
}

static void
test_pyjwt_verify(void **state)
{
	struct gh_jwt_key *key;
	struct gh_jwt_claims c;
	const char *why;

	(void)state;
	key = gh_jwt_key_new((const unsigned char *)"secret", 6);
	assert_int_equal(gh_jwt_verify(key, pyjwt_token, strlen(pyjwt_token),
	                     1700000000, &c, &why),
	    GH_OK);
	assert_string_equal(c.sub, "alice");
	assert_string_equal(c.role, "admin");
	assert_string_equal(c.type, "access");
	assert_string_equal(c.jti, "3f9c2a1e-pyjwt");
	assert_int_equal(c.uid, 42);
	assert_int_equal(c.sid, 7);
	assert_int_equal(c.ver, 3);
	assert_int_equal(c.iat, 1700000000);
	assert_int_equal(c.exp, 1700000900);
	assert_true(c.has_sub && c.has_role && c.has_type && c.has_jti);
	assert_true(c.has_uid && c.has_sid && c.has_ver && c.has_iat);
	assert_false(c.has_nbf);

	assert_int_equal(gh_jwt_verify(key, pyjwt_token, strlen(pyjwt_token),
	                     1700000900, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "expired");
	gh_jwt_key_free(key);
}

/* Our signer writes PyJWT's bytes exactly (same header, same order). */
static void
test_sign_matches_pyjwt(void **state)
{
	struct gh_jwt_key *key;
	struct gh_jwt_claims c;
	char out[GH_JWT_BUFSZ];

	(void)state;
	key = gh_jwt_key_new((const unsigned char *)"secret", 6);
	fill_pyjwt_claims(&c);
	assert_int_equal(gh_jwt_sign(key, &c, out, sizeof(out)), GH_OK);
	assert_string_equal(out, pyjwt_token);
	gh_jwt_key_free(key);
}

/* ---- sign and verify -------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	struct gh_jwt_claims in, c;
	char tok[GH_JWT_BUFSZ];
	const char *why;

	fill_pyjwt_claims(&in);
	/* JSON escaping of the strings */
	snprintf(in.sub, sizeof(in.sub), "a\"b\\c/d\te\x01 \xc3\xa9");
	in.nbf = 1700000000;
	in.has_nbf = true;
	in.uid = INT64_MAX;
	in.sid = INT64_MIN;
	assert_int_equal(gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_OK);
	assert_int_equal(
	    gh_jwt_verify(*state, tok, strlen(tok), 1700000001, &c, &why),
	    GH_OK);
	assert_string_equal(why, "ok");
	assert_memory_equal(&in, &c, sizeof(c));
	assert_int_equal(
	    gh_jwt_verify(*state, tok, strlen(tok), 1699999999, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "not yet valid");

	/* only exp: every other claim absent */
	memset(&in, 0, sizeof(in));
	in.exp = 5;
	in.has_exp = true;
	assert_int_equal(gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_OK);
	assert_int_equal(
	    gh_jwt_verify(*state, tok, strlen(tok), 4, &c, &why), GH_OK);
	assert_memory_equal(&in, &c, sizeof(c));

	/* signing without exp is allowed; verifying it is not */
	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "bob");
	in.has_sub = true;
	assert_int_equal(gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_OK);
	assert_int_equal(gh_jwt_verify(*state, tok, strlen(tok), 4, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "exp missing");
	assert_false(c.has_sub);
}

/* The per-thread cache of verified tokens must not change any answer:
 * time checks still apply on a hit, and a token one byte away from a
 * cached one is verified from scratch. */
static void
test_cache(void **state)
{
	struct gh_jwt_claims in, c;
	char tok[GH_JWT_BUFSZ], bad[GH_JWT_BUFSZ];
	const char *why;
	size_t n, i;

	fill_pyjwt_claims(&in);
	in.exp = 2000;
	in.nbf = 1000;
	in.has_nbf = true;
	in.iat = 1000;
	assert_int_equal(gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_OK);
	n = strlen(tok);
	for (i = 0; i < 3; i++) { /* the first call fills the cache */
		assert_int_equal(
		    gh_jwt_verify(*state, tok, n, 1500, &c, &why), GH_OK);
		assert_memory_equal(&in, &c, sizeof(c));
	}
	assert_int_equal(
	    gh_jwt_verify(*state, tok, n, 2000, &c, &why), GH_ERR_DENIED);
	assert_string_equal(why, "expired");
	assert_false(c.has_sub);
	assert_int_equal(
	    gh_jwt_verify(*state, tok, n, 999, &c, &why), GH_ERR_DENIED);
	assert_string_equal(why, "not yet valid");
	/* flip each byte of the signature in turn: never a hit */
	for (i = n - 43; i < n; i++) {
		memcpy(bad, tok, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(gh_jwt_verify(*state, bad, n, 1500, &c, &why),
		    GH_ERR_DENIED);
	}
	/* a prefix of a cached token is not that token */
	assert_int_equal(
	    gh_jwt_verify(*state, tok, n - 1, 1500, &c, &why), GH_ERR_DENIED);
	assert_int_equal(gh_jwt_verify(*state, tok, n, 1500, &c, &why), GH_OK);
}

static void
test_sign_limits(void **state)
{
	struct gh_jwt_claims in, c;
	char tok[GH_JWT_BUFSZ], small[GH_JWT_BUFSZ];
	const char *why;
	size_t n;

	/* the largest claims that fit their buffers */
	fill_pyjwt_claims(&in);
	memset(in.sub, 'x', sizeof(in.sub) - 1);
	memset(in.role, 'r', sizeof(in.role) - 1);
	memset(in.type, 't', sizeof(in.type) - 1);
	memset(in.jti, 'j', sizeof(in.jti) - 1);
	in.uid = in.ver = in.iat = in.exp = INT64_MAX;
	in.sid = in.nbf = INT64_MIN;
	in.has_nbf = true;
	assert_int_equal(gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_OK);
	/* at the end of time: exp still ahead, iat not ahead */
	assert_int_equal(
	    gh_jwt_verify(*state, tok, strlen(tok), INT64_MAX - 1, &c, &why),
	    GH_OK);
	assert_memory_equal(&in, &c, sizeof(c));
	/* at 0, that iat is the future */
	assert_int_equal(gh_jwt_verify(*state, tok, strlen(tok), 0, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "issued in the future");

	/* the output buffer: exactly enough, then one byte short */
	n = strlen(tok);
	assert_int_equal(gh_jwt_sign(*state, &in, small, n + 1), GH_OK);
	assert_string_equal(small, tok);
	assert_int_equal(gh_jwt_sign(*state, &in, small, n), GH_ERR_TOOLARGE);
	assert_string_equal(small, "");
	assert_int_equal(gh_jwt_sign(*state, &in, small, 10), GH_ERR_TOOLARGE);
	assert_int_equal(gh_jwt_sign(*state, &in, small, 0), GH_ERR_TOOLARGE);

	/* Claims made only of control characters escape to \uXXXX (six
	 * bytes each): still within GH_JWT_BUFSZ (the documented "always
	 * holds" bound) and GH_JWT_MAX_LEN, so signable and verifiable. */
	{
		static char big[GH_JWT_MAX_LEN];

		memset(in.sub, 1, sizeof(in.sub) - 1);
		memset(in.role, 1, sizeof(in.role) - 1);
		memset(in.type, 1, sizeof(in.type) - 1);
		memset(in.jti, 1, sizeof(in.jti) - 1);
		assert_true(GH_JWT_BUFSZ <= GH_JWT_MAX_LEN);
		assert_int_equal(
		    gh_jwt_sign(*state, &in, big, GH_JWT_BUFSZ), GH_OK);
		assert_int_equal(
		    gh_jwt_sign(*state, &in, big, sizeof(big)), GH_OK);
		assert_int_equal(gh_jwt_verify(*state, big, strlen(big),
		                     INT64_MAX - 1, &c, &why),
		    GH_OK);
		assert_memory_equal(&in, &c, sizeof(c));
	}

	/* a string not terminated inside its buffer */
	memset(in.role, 'r', sizeof(in.role));
	assert_int_equal(
	    gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_ERR_INTERNAL);
	/* a string that is not UTF-8 */
	fill_pyjwt_claims(&in);
	snprintf(in.sub, sizeof(in.sub), "\xc3\x28");
	assert_int_equal(
	    gh_jwt_sign(*state, &in, tok, sizeof(tok)), GH_ERR_INTERNAL);
	assert_string_equal(tok, "");
}

/* A valid token of exactly GH_JWT_MAX_LEN bytes passes; one more fails. */
static void
test_max_len(void **state)
{
	static char pay[GH_JWT_MAX_LEN], tok[2 * GH_JWT_MAX_LEN];
	struct gh_jwt_claims c;
	const char *why;
	size_t target, fill, n;

	for (target = GH_JWT_MAX_LEN - 8; target <= GH_JWT_MAX_LEN + 8;
	     target++) {
		/* find the filler length giving this token length */
		for (fill = 2900; fill < 3100; fill++) {
			snprintf(pay, sizeof(pay),
			    "{\"exp\":2000,\"x\":\"%*s\"}", (int)fill, "");
			n = make_token(tok, sizeof(tok), HDR, pay, M_NONE);
			if (n >= target)
				break;
		}
		if (n != target)
			continue; /* 4n+1 base64 lengths do not exist */
		if (n <= GH_JWT_MAX_LEN) {
			assert_int_equal(
			    gh_jwt_verify(*state, tok, n, 1000, &c, &why),
			    GH_OK);
		} else {
			assert_int_equal(
			    gh_jwt_verify(*state, tok, n, 1000, &c, &why),
			    GH_ERR_DENIED);
			assert_string_equal(why, "token too long");
		}
		if (n == GH_JWT_MAX_LEN || n == GH_JWT_MAX_LEN + 1)
			print_message("boundary length %zu checked\n", n);
	}
	/* a token far too long is refused before anything is read */
	assert_int_equal(gh_jwt_verify(*state, tok, SIZE_MAX, 1000, &c, &why),
	    GH_ERR_DENIED);
	assert_string_equal(why, "token too long");
}

/* Only token[0..len) is read: no NUL needed, bytes after len ignored. */
static void
test_len_bounds(void **state)
{
	char tok[512];
	struct gh_jwt_claims c;
	const char *why;
	size_t n;

	n = make_token(tok, sizeof(tok), HDR, "{\"exp\":2000}", M_NONE);
	memcpy(tok + n, ".garbage", 9);
	assert_int_equal(gh_jwt_verify(*state, tok, n, 1000, &c, &why), GH_OK);
	tok[n] = 'x';
	assert_int_equal(gh_jwt_verify(*state, tok, n, 1000, &c, &why), GH_OK);
	assert_int_equal(
	    gh_jwt_verify(*state, tok, n - 1, 1000, &c, &why), GH_ERR_DENIED);
}

static void
test_empty_secret(void **state)
{
	struct gh_jwt_key *key;
	struct gh_jwt_claims in = {.exp = 10, .has_exp = true}, c;
	char tok[GH_JWT_BUFSZ];

	key = gh_jwt_key_new((const unsigned char *)"", 0);
	assert_int_equal(gh_jwt_sign(key, &in, tok, sizeof(tok)), GH_OK);
	assert_int_equal(
	    gh_jwt_verify(key, tok, strlen(tok), 9, &c, NULL), GH_OK);
	/* PyJWT: jwt.encode({"exp": 10}, "", algorithm="HS256") */
	assert_string_equal(tok,
	    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwfQ."
	    "VwpK-I7nnP0HjaiRaKE-BXmLw4Yuz_GYdwRCxZdlBHY");
	assert_int_equal(gh_jwt_verify(*state, tok, strlen(tok), 9, &c, NULL),
	    GH_ERR_DENIED);
	gh_jwt_key_free(key);
	gh_jwt_key_free(NULL);
}

/* ---- threads: one context per thread, released at exit or free ------- */

#define NTHREADS 8
#define NROUNDS 500

static void *
worker(void *arg)
{
	const struct gh_jwt_key *key = arg;
	struct gh_jwt_claims in, c;
	char tok[GH_JWT_BUFSZ];
	int i;
	size_t bad = 0;

	fill_pyjwt_claims(&in);
	for (i = 0; i < NROUNDS; i++) {
		in.uid = i;
		if (gh_jwt_sign(key, &in, tok, sizeof(tok)) != GH_OK ||
		    gh_jwt_verify(
		        key, tok, strlen(tok), 1700000000, &c, NULL) != GH_OK ||
		    c.uid != i)
			bad++;
		tok[strlen(tok) - 5] ^= 1;
		if (gh_jwt_verify(
		        key, tok, strlen(tok), 1700000000, &c, NULL) == GH_OK)
			bad++;
	}
	return (void *)(uintptr_t)bad;
}

static void
test_threads(void **state)
{
	struct gh_jwt_key *key;
	pthread_t th[NTHREADS];
	void *res;
	int i;

	(void)state;
	key = gh_jwt_key_new((const unsigned char *)SECRET, strlen(SECRET));
	/* half exit before the key is freed (destructor path) ... */
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, key), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_int_equal((uintptr_t)res, 0);
	}
	/* ... and this thread's context is freed by gh_jwt_key_free */
	assert_int_equal((uintptr_t)worker(key), 0);
	gh_jwt_key_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verify_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_raw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rfc7515_a1, setup, teardown),
	    cmocka_unit_test(test_pyjwt_verify),
	    cmocka_unit_test(test_sign_matches_pyjwt),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_len, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_len_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_secret, setup, teardown),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
