/*
 * test_jsonw.c - the direct JSON writer must produce what jansson's
 * JSON_COMPACT produces for every valid string (with Python's lower-case
 * \u escapes), and valid JSON for invalid UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/jsonw.h"

static const char *const valid[] = {
    "",
    "plain ascii",
    "quote \" and backslash \\ and slash /",
    "\n\r\t\b\f",
    "\x01\x02\x1f\x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "\xe2\x80\xa8 line separator",
    "<script>alert(1)</script>",
};

/* jansson writes \u001F, Python (and so the seed) \u001f: we follow
 * Python; compare modulo that. */
static void
lower_escapes(char *s)
{
	char *p;

	for (p = s; (p = strstr(p, "\\u")) != NULL; p += 2) {
		int i;

		for (i = 2; i < 6 && p[i] != '\0'; i++)
			if (p[i] >= 'A' && p[i] <= 'F')
				p[i] = (char)(p[i] - 'A' + 'a');
	}
}

static void
test_matches_jansson(void **state)
{
	struct gh_jsonw w = {0};
	json_t *j;
	char *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		gh_jsonw_reset(&w);
		gh_jsonw_str(&w, valid[i]);
		j = json_string(valid[i]);
		assert_non_null(j);
		want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		lower_escapes(want);
		assert_int_equal(w.len, strlen(want));
		assert_memory_equal(w.buf, want, w.len);
		free(want);
		json_decref(j);
	}
	gh_jsonw_release(&w);
}

static void
test_invalid_utf8_is_replaced(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"a\xff"
	     "b",
	        "\"a\xef\xbf\xbd"
	        "b\""},
	    {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"end\xe2\x82", "\"end\xef\xbf\xbd\xef\xbf\xbd\""},
	};
	struct gh_jsonw w = {0};
	json_error_t e;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gh_jsonw_reset(&w);
		gh_jsonw_str(&w, cases[i].in);
		assert_int_equal(w.len, strlen(cases[i].out));
		assert_memory_equal(w.buf, cases[i].out, w.len);
		j = json_loadb(w.buf, w.len, JSON_DECODE_ANY, &e);
		assert_non_null(j);
		json_decref(j);
	}
	gh_jsonw_release(&w);
}

static void
test_ints_bools_raw(void **state)
{
	struct gh_jsonw w = {0};

	(void)state;
	gh_jsonw_lit(&w, "[");
	gh_jsonw_int(&w, INT64_MIN);
	gh_jsonw_lit(&w, ",");
	gh_jsonw_int(&w, INT64_MAX);
	gh_jsonw_lit(&w, ",");
	gh_jsonw_int(&w, 0);
	gh_jsonw_lit(&w, ",");
	gh_jsonw_bool(&w, true);
	gh_jsonw_lit(&w, ",");
	gh_jsonw_bool(&w, false);
	gh_jsonw_lit(&w, "]");
	assert_int_equal(w.len,
	    strlen("[-9223372036854775808,9223372036854775807,0,true,false]"));
	assert_memory_equal(w.buf,
	    "[-9223372036854775808,9223372036854775807,0,true,false]", w.len);
	gh_jsonw_release(&w);
	assert_null(w.buf);
}

static void
test_grows(void **state)
{
	struct gh_jsonw w = {0};
	char big[100000];
	size_t i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 10; i++)
		gh_jsonw_str(&w, big);
	assert_int_equal(w.len, 10 * (sizeof(big) - 1 + 2));
	gh_jsonw_release(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_jansson),
	    cmocka_unit_test(test_invalid_utf8_is_replaced),
	    cmocka_unit_test(test_ints_bools_raw),
	    cmocka_unit_test(test_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
