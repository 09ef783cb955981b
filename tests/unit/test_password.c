/*
 * test_password.c - unit tests for auth/password.c.
 *
 * The known-answer vectors were written by other implementations, so a
 * bug shared by our hashing and our verifying cannot hide:
 *   argon2id  the reference argon2 CLI (Debian package argon2), e.g.
 *             echo -n password | argon2 somesaltsomesalt -id -t 2 -k 8192
 *                 -p 1 -e
 *   bcrypt    python3-bcrypt 3.2 (bcrypt.hashpw), and the classic
 *             crypt_blowfish test vector for "U*U".
 * Round trips use small argon2id costs (t = 1..2, m = 8 MiB) to stay fast.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "gh.h"
#include "auth/password.h"

#define MIB (1024 * 1024)

static const struct gh_password_params small = {1, 8 * MIB};

/* ---- known answers ---------------------------------------------------- */

static const struct kat {
	const char *name;
	const char *hash;
	const char *pw;
	size_t len; /* 0: strlen(pw) */
	enum gh_err want;
	enum gh_password_kind kind;
} kats[] = {
    /* argon2 CLI (reference implementation) */
    {"argon2 cli t2",
        "$argon2id$v=19$m=8192,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "/X5EVS2D22ucK8nb1tiP4PrNEd9GVKwh/oAT/XoF68M",
        "password", 0, GH_OK, GH_PW_ARGON2ID},
    {"argon2 cli t2 wrong",
        "$argon2id$v=19$m=8192,t=2,p=1$"
        "c29tZXNhbHRzb21lc2FsdA$"
        "/X5EVS2D22ucK8nb1tiP4PrNEd9GVKwh/oAT/XoF68M",
        "Password", 0, GH_ERR_DENIED, GH_PW_ARGON2ID},
    {"argon2 cli t1",
        "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
        "xwP/sUpncRUpT63+0aadhrYrW8PTzYL8TrQp/6Tj9lA",
        "correct horse battery staple", 0, GH_OK, GH_PW_ARGON2ID},
    {"argon2 cli prefix pw",
        "$argon2id$v=19$m=8192,t=1,p=1$"
        "c2FsdHNhbHRzYWx0c2FsdA$"
        "xwP/sUpncRUpT63+0aadhrYrW8PTzYL8TrQp/6Tj9lA",
        "correct horse battery staple", 27, GH_ERR_DENIED, GH_PW_ARGON2ID},
    {"argon2 cli tampered",
        "$argon2id$v=19$m=8192,t=2,p=1$"
        "c29tZXNhbHRzb21lc2FsdA$"
        "/X5EVS2D22ucK8nb1tiP4PrNEd9GVKwh/oAT/XoF68N",
        "password", 0, GH_ERR_DENIED, GH_PW_ARGON2ID},
    /* argon2i from the same CLI: a kind we do not accept */
    {"argon2i refused",
        "$argon2i$v=19$m=8192,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "x/QyceoUC8d7LpqUoTfrZLnphOzNZAm5JQCDZ6xGT/w",
        "password", 0, GH_ERR_DENIED, GH_PW_UNKNOWN},

    /* python3-bcrypt: bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4)) */
    {"bcrypt 2b",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horse", 0, GH_OK, GH_PW_BCRYPT},
    {"bcrypt 2b wrong",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horsf", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b empty pw",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS", "", 0,
        GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b NUL inside",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq."
        "WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horse\0x", 15, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b NUL at end",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq."
        "WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horse\0", 14, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b trailing newline",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS\n",
        "correct horse", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b truncated",
        "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10I",
        "correct horse", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2b salt only", "$2b$04$uYlNiPQtK8XSWs8c2tniq.", "correct horse", 0,
        GH_ERR_DENIED, GH_PW_BCRYPT},
    /* python3-bcrypt with a $2y$ salt */
    {"bcrypt 2y",
        "$2y$04$abcdefghijklmnopqrstuuu4mhWRA0zmTecRlFDBLO51tsOUon.1m",
        "tr0ub4dor&3", 0, GH_OK, GH_PW_BCRYPT},
    {"bcrypt 2y wrong",
        "$2y$04$abcdefghijklmnopqrstuuu4mhWRA0zmTecRlFDBLO51tsOUon.1m",
        "tr0ub4dor&4", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    /* crypt_blowfish's classic vector, and the same under $2y$ and $2b$
     * (the variants differ only for 8-bit passwords) */
    {"bcrypt 2a U*U",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U",
        0, GH_OK, GH_PW_BCRYPT},
    {"bcrypt 2y U*U",
        "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U",
        0, GH_OK, GH_PW_BCRYPT},
    {"bcrypt 2b U*U",
        "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U",
        0, GH_OK, GH_PW_BCRYPT},
    {"bcrypt 2a U*U NUL",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC."
        "E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "U*U\0", 4, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bcrypt 2a U*V",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*V",
        0, GH_ERR_DENIED, GH_PW_BCRYPT},
    /* $2x$ exists in crypt_blowfish but passlib never wrote it */
    {"bcrypt 2x refused",
        "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U",
        0, GH_ERR_DENIED, GH_PW_UNKNOWN},

    /* garbage, and other crypt schemes (real hashes of the password,
     * from openssl passwd and crypt(3)) that must never reach crypt */
    {"empty hash", "", "", 0, GH_ERR_DENIED, GH_PW_UNKNOWN},
    {"bare 2b", "$2b$", "x", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"2b bad cost",
        "$2b$99$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horse", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"2b bad salt char",
        "$2b$04$uYlNiPQtK8XSWs8c2tn!q.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS",
        "correct horse", 0, GH_ERR_DENIED, GH_PW_BCRYPT},
    {"bare argon2id", "$argon2id$", "x", 0, GH_ERR_DENIED, GH_PW_ARGON2ID},
    {"argon2id garbage", "$argon2id$v=19$m=8192,t=2,p=1$!!!$???", "password", 0,
        GH_ERR_DENIED, GH_PW_ARGON2ID},
    {"argon2id no hash", "$argon2id$v=19$m=8192,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
        "password", 0, GH_ERR_DENIED, GH_PW_ARGON2ID},
    {"random text", "correct horse", "correct horse", 0, GH_ERR_DENIED,
        GH_PW_UNKNOWN},
    {"plain text equal", "password", "password", 0, GH_ERR_DENIED,
        GH_PW_UNKNOWN},
    {"des crypt refused", "abgOeLfPimXQo", "test", 0, GH_ERR_DENIED,
        GH_PW_UNKNOWN},
    {"md5 crypt refused", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", "password", 0,
        GH_ERR_DENIED, GH_PW_UNKNOWN},
    {"sha512 crypt refused",
        "$6$salt$"
        "IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3a"
        "CI6WouIL9AjRbLCelDCy.g.",
        "password", 0, GH_ERR_DENIED, GH_PW_UNKNOWN},
};

static void
test_known_answers(void **state)
{
	size_t i, len, failed = 0;
	enum gh_err r;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(kats); i++) {
		const struct kat *t = &kats[i];

		len = t->len ? t->len : strlen(t->pw);
		if ((r = gh_password_verify(t->hash, t->pw, len)) != t->want) {
			print_error("case \"%s\": got %s, want %s\n", t->name,
			    gh_err_str(r), gh_err_str(t->want));
			failed++;
		}
		if (gh_password_kind(t->hash) != t->kind) {
			print_error("case \"%s\": wrong kind\n", t->name);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ---- kind ------------------------------------------------------------- */

static void
test_kind(void **state)
{
	static const struct {
		const char *hash;
		enum gh_password_kind kind;
	} k[] = {
	    {"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", GH_PW_ARGON2ID},
	    {"$argon2id$", GH_PW_ARGON2ID},
	    {"$argon2id", GH_PW_UNKNOWN},
	    {"$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA", GH_PW_UNKNOWN},
	    {"$argon2d$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA", GH_PW_UNKNOWN},
	    {"$ARGON2ID$", GH_PW_UNKNOWN},
	    {"$2a$10$x", GH_PW_BCRYPT},
	    {"$2b$10$x", GH_PW_BCRYPT},
	    {"$2y$10$x", GH_PW_BCRYPT},
	    {"$2x$10$x", GH_PW_UNKNOWN},
	    {"$2$10$x", GH_PW_UNKNOWN},
	    {"$2b", GH_PW_UNKNOWN},
	    {"$2B$10$x", GH_PW_UNKNOWN},
	    {" $2b$10$x", GH_PW_UNKNOWN},
	    {"$1$salt$hash", GH_PW_UNKNOWN},
	    {"$6$salt$hash", GH_PW_UNKNOWN},
	    {"$y$j9T$salt$hash", GH_PW_UNKNOWN},
	    {"", GH_PW_UNKNOWN},
	    {"$", GH_PW_UNKNOWN},
	    {"pbkdf2_sha256$260000$salt$hash", GH_PW_UNKNOWN},
	};
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(k); i++)
		if (gh_password_kind(k[i].hash) != k[i].kind)
			fail_msg("kind of \"%s\"", k[i].hash);
	assert_int_equal(gh_password_kind(NULL), GH_PW_UNKNOWN);
	assert_int_equal(gh_password_verify(NULL, "x", 1), GH_ERR_DENIED);
	assert_true(gh_password_needs_rehash(&small, NULL));
}

/* ---- hash, verify, rehash ---------------------------------------------- */

static void
test_roundtrip(void **state)
{
	static const char pw[] = "correct horse battery staple";
	char h[GH_PASSWORD_HASH_BUFSZ], h2[GH_PASSWORD_HASH_BUFSZ];

	(void)state;
	assert_int_equal(gh_password_hash(&small, pw, strlen(pw), h), GH_OK);
	assert_non_null(memchr(h, '\0', sizeof(h)));
	assert_true(strncmp(h, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0);
	assert_int_equal(gh_password_kind(h), GH_PW_ARGON2ID);
	assert_int_equal(gh_password_verify(h, pw, strlen(pw)), GH_OK);
	assert_int_equal(
	    gh_password_verify(h, pw, strlen(pw) - 1), GH_ERR_DENIED);
	assert_int_equal(
	    gh_password_verify(h, "Correct horse battery staple", strlen(pw)),
	    GH_ERR_DENIED);
	assert_int_equal(gh_password_verify(h, "", 0), GH_ERR_DENIED);

	/* a fresh salt every time */
	assert_int_equal(gh_password_hash(&small, pw, strlen(pw), h2), GH_OK);
	assert_string_not_equal(h, h2);
	assert_int_equal(gh_password_verify(h2, pw, strlen(pw)), GH_OK);

	/* the empty password is a password like any other */
	assert_int_equal(gh_password_hash(&small, "", 0, h), GH_OK);
	assert_int_equal(gh_password_verify(h, "", 0), GH_OK);
	assert_int_equal(gh_password_verify(h, "\0", 1), GH_ERR_DENIED);

	/* argon2id takes bytes: a NUL inside counts */
	assert_int_equal(gh_password_hash(&small, "ab\0cd", 5, h), GH_OK);
	assert_int_equal(gh_password_verify(h, "ab\0cd", 5), GH_OK);
	assert_int_equal(gh_password_verify(h, "ab\0ce", 5), GH_ERR_DENIED);
	assert_int_equal(gh_password_verify(h, "ab", 2), GH_ERR_DENIED);
}

static void
test_long_and_binary(void **state)
{
	char pw[1000], h[GH_PASSWORD_HASH_BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pw); i++)
		pw[i] = (char)(i * 7 + 1);
	assert_int_equal(gh_password_hash(&small, pw, sizeof(pw), h), GH_OK);
	assert_int_equal(gh_password_verify(h, pw, sizeof(pw)), GH_OK);
	pw[sizeof(pw) - 1] ^= 1; /* argon2id does not truncate, unlike bcrypt */
	assert_int_equal(gh_password_verify(h, pw, sizeof(pw)), GH_ERR_DENIED);
}

static void
test_bad_params(void **state)
{
	static const struct gh_password_params zero_ops = {0, 8 * MIB};
	static const struct gh_password_params tiny_mem = {1, 1024};
	char h[GH_PASSWORD_HASH_BUFSZ];

	(void)state;
	memset(h, 'x', sizeof(h));
	assert_int_equal(
	    gh_password_hash(&zero_ops, "pw", 2, h), GH_ERR_INTERNAL);
	assert_string_equal(h, "");
	assert_int_equal(
	    gh_password_hash(&tiny_mem, "pw", 2, h), GH_ERR_INTERNAL);
	assert_string_equal(h, "");
}

static void
test_needs_rehash(void **state)
{
	static const struct gh_password_params t2m8 = {2, 8 * MIB};
	static const struct gh_password_params t1m16 = {1, 16 * MIB};
	static const char cli_t2[] =
	    "$argon2id$v=19$m=8192,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "/X5EVS2D22ucK8nb1tiP4PrNEd9GVKwh/oAT/XoF68M";
	char h[GH_PASSWORD_HASH_BUFSZ];

	(void)state;
	assert_int_equal(gh_password_hash(&small, "pw", 2, h), GH_OK);
	assert_false(gh_password_needs_rehash(&small, h));
	assert_true(gh_password_needs_rehash(&t2m8, h));
	assert_true(gh_password_needs_rehash(&t1m16, h));

	/* the reference CLI's hash, with its own parameters */
	assert_false(gh_password_needs_rehash(&t2m8, cli_t2));
	assert_true(gh_password_needs_rehash(&small, cli_t2));

	/* bcrypt always; anything unknown or garbled too */
	assert_true(gh_password_needs_rehash(&small,
	    "$2b$04$uYlNiPQtK8XSWs8c2tniq.WtmMVTngJIyEraaD.Sd.uR8Muhd10IS"));
	assert_true(gh_password_needs_rehash(&small,
	    "$2y$04$abcdefghijklmnopqrstuuu4mhWRA0zmTecRlFDBLO51tsOUon.1m"));
	assert_true(gh_password_needs_rehash(&small, ""));
	assert_true(gh_password_needs_rehash(&small, "$argon2id$"));
	assert_true(gh_password_needs_rehash(&small, "$argon2id$v=19$garbage"));
	assert_true(gh_password_needs_rehash(&small,
	    "$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
	    "x/QyceoUC8d7LpqUoTfrZLnphOzNZAm5JQCDZ6xGT/w"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_kind),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_long_and_binary),
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_needs_rehash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
