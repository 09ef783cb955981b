/*
 * test_form.c - unit tests for src/util/form.c.
 *
 * A table of bodies and the fields they must give, or the error; then
 * the field limit, a full arena and gh_form_get().  Every test uses a
 * fresh arena, so ASan sees any write past a decoded string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gh.h"
#include "util/arena.h"
#include "util/form.h"

#define ARENA_MAX (1024 * 1024)

struct kv {
	const char *name;
	size_t name_len; /* 0: strlen(name) */
	const char *value;
	size_t value_len; /* 0: strlen(value) */
};

struct form_case {
	const char *body;
	enum gh_err want;
	size_t n;
	struct kv f[4];
};

static const struct form_case cases[] = {
    {"username=alice&password=s3cret", GH_OK, 2,
        {{"username", 0, "alice"}, {"password", 0, "s3cret"}}},
    {"", GH_OK, 0},
    {"&", GH_OK, 0},
    {"&&&", GH_OK, 0},
    {"a=1&&b=2", GH_OK, 2, {{"a", 0, "1"}, {"b", 0, "2"}}},
    {"&a=1&", GH_OK, 1, {{"a", 0, "1"}}},
    {"a", GH_OK, 1, {{"a", 0, ""}}},
    {"a&b=", GH_OK, 2, {{"a", 0, ""}, {"b", 0, ""}}},
    {"=v", GH_OK, 1, {{"", 0, "v"}}},
    {"=", GH_OK, 1, {{"", 0, ""}}},
    {"a=b=c", GH_OK, 1, {{"a", 0, "b=c"}}},
    {"a+b=c+d+", GH_OK, 1, {{"a b", 0, "c d "}}},
    {"%41%4a%4A=%7e%7E", GH_OK, 1, {{"AJJ", 0, "~~"}}},
    {"a=%2B%26%3D%25", GH_OK, 1, {{"a", 0, "+&=%"}}},
    {"a=%2b+%20", GH_OK, 1, {{"a", 0, "+  "}}},
    {"a=%C3%BC%c3%bc", GH_OK, 1, {{"a", 0, "\xc3\xbc\xc3\xbc"}}},
    {"a=\xc3\xbc", GH_OK, 1, {{"a", 0, "\xc3\xbc"}}}, /* raw bytes kept */
    {"a=%00b", GH_OK, 1, {{"a", 0, "\0b", 2}}},
    {"a%00b=1", GH_OK, 1, {{"a\0b", 3, "1"}}},
    {"a=1;b=2", GH_OK, 1, {{"a", 0, "1;b=2"}}}, /* only '&' splits */
    {"grant_type=password&username=u%40x.co&password=p%26w&scope=", GH_OK, 4,
        {{"grant_type", 0, "password"}, {"username", 0, "u@x.co"},
            {"password", 0, "p&w"}, {"scope", 0, ""}}},
    {"a=%zz", GH_ERR_INVALID},
    {"a=%4", GH_ERR_INVALID},
    {"a=%", GH_ERR_INVALID},
    {"a=%%41", GH_ERR_INVALID},
    {"a=%g0", GH_ERR_INVALID},
    {"a=%0g", GH_ERR_INVALID},
    {"a=% 1", GH_ERR_INVALID},
    {"a=%4&b=1", GH_ERR_INVALID}, /* the '&' is not a hex digit */
    {"%4=1", GH_ERR_INVALID},
    {"ok=1&%=1", GH_ERR_INVALID},
};

static size_t
kv_len(const char *s, size_t len)
{
	return len != 0 ? len : strlen(s);
}

static void
test_table(void **state)
{
	struct gh_arena *a;
	struct gh_form form;
	const struct form_case *c;
	size_t i, k, nl, vl;
	enum gh_err r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		a = gh_arena_new(ARENA_MAX);
		r = gh_form_parse(a, c->body, strlen(c->body), &form);
		if (r != c->want)
			fail_msg("case %zu \"%s\": %s, want %s", i, c->body,
			    gh_err_str(r), gh_err_str(c->want));
		if (form.n != (r == GH_OK ? c->n : 0))
			fail_msg(
			    "case %zu \"%s\": %zu fields", i, c->body, form.n);
		for (k = 0; k < form.n; k++) {
			nl = kv_len(c->f[k].name, c->f[k].name_len);
			vl = kv_len(c->f[k].value, c->f[k].value_len);
			if (form.f[k].name_len != nl ||
			    memcmp(form.f[k].name, c->f[k].name, nl) != 0 ||
			    form.f[k].name[nl] != '\0')
				fail_msg("case %zu field %zu: name", i, k);
			if (form.f[k].value_len != vl ||
			    memcmp(form.f[k].value, c->f[k].value, vl) != 0 ||
			    form.f[k].value[vl] != '\0')
				fail_msg("case %zu field %zu: value", i, k);
		}
		gh_arena_free(a);
	}
}

/* Only len bytes are parsed; body need not be NUL-terminated. */
static void
test_length_bound(void **state)
{
	struct gh_arena *a = gh_arena_new(ARENA_MAX);
	struct gh_form form;
	char body[] = {'a', '=', '1', '%', '4', '1'};

	(void)state;
	assert_int_equal(gh_form_parse(a, body, 3, &form), GH_OK);
	assert_int_equal(form.n, 1);
	assert_string_equal(form.f[0].value, "1");
	assert_int_equal(gh_form_parse(a, body, 5, &form), GH_ERR_INVALID);
	assert_int_equal(gh_form_parse(a, body, sizeof(body), &form), GH_OK);
	assert_string_equal(form.f[0].value, "1A");
	assert_int_equal(gh_form_parse(a, NULL, 0, &form), GH_OK);
	assert_int_equal(form.n, 0);
	gh_arena_free(a);
}

static void
test_field_limit(void **state)
{
	struct gh_arena *a = gh_arena_new(ARENA_MAX);
	struct gh_form form;
	char body[512];
	size_t len = 0, i;
	int w;

	(void)state;
	for (i = 0; i < GH_FORM_MAX_FIELDS; i++) {
		w = snprintf(
		    body + len, sizeof(body) - len, "f%zu=%zu&&", i, i);
		assert_true(w > 0 && (size_t)w < sizeof(body) - len);
		len += (size_t)w;
	}
	assert_int_equal(gh_form_parse(a, body, len, &form), GH_OK);
	assert_int_equal(form.n, GH_FORM_MAX_FIELDS);
	assert_string_equal(form.f[31].name, "f31");
	assert_string_equal(form.f[31].value, "31");
	/* Empty pairs do not count; one more real field does. */
	body[len++] = 'x';
	assert_int_equal(gh_form_parse(a, body, len, &form), GH_ERR_TOOLARGE);
	assert_int_equal(form.n, 0);
	gh_arena_free(a);
}

static void
test_arena_full(void **state)
{
	struct gh_arena *a = gh_arena_new(64);
	struct gh_form form;
	char body[200];

	(void)state;
	memset(body, 'v', sizeof(body));
	memcpy(body, "a=", 2);
	assert_int_equal(
	    gh_form_parse(a, body, sizeof(body), &form), GH_ERR_INTERNAL);
	assert_int_equal(form.n, 0);
	gh_arena_free(a);
}

static void
test_get(void **state)
{
	struct gh_arena *a = gh_arena_new(ARENA_MAX);
	struct gh_form form;
	const char *body = "a=1&b=&a=2&n%00x=3&c";
	size_t len = 99;

	(void)state;
	assert_int_equal(gh_form_parse(a, body, strlen(body), &form), GH_OK);
	assert_int_equal(form.n, 5);
	/* The last one wins, as Starlette's FormData.get(). */
	assert_string_equal(gh_form_get(&form, "a", &len), "2");
	assert_int_equal(len, 1);
	assert_string_equal(gh_form_get(&form, "b", &len), "");
	assert_int_equal(len, 0);
	assert_string_equal(gh_form_get(&form, "c", NULL), "");
	len = 99;
	assert_null(gh_form_get(&form, "d", &len));
	assert_int_equal(len, 0);
	/* A name with an embedded NUL never matches its prefix. */
	assert_null(gh_form_get(&form, "n", NULL));
	assert_null(gh_form_get(&form, "", NULL));
	assert_null(gh_form_get(&form, "A", NULL));
	gh_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_length_bound),
	    cmocka_unit_test(test_field_limit),
	    cmocka_unit_test(test_arena_full),
	    cmocka_unit_test(test_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
