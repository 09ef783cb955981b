/*
 * test_utf8.c - unit tests for src/util/utf8.c.
 *
 * A table of hand-picked sequences (the edge cases of Markus Kuhn's
 * UTF-8 decoder stress test: boundaries, overlongs, surrogates, values
 * past U+10FFFF, truncations, stray continuation bytes), then exhaustive
 * comparisons against a deliberately naive reference decoder, and a walk
 * of every case across the 8-byte boundary of the ASCII fast path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

struct utf8_case {
	const char *s;
	size_t len; /* 0: strlen(s) */
	bool valid;
	size_t count;    /* code points, when valid */
	const char *why; /* what the case is about */
};

static const struct utf8_case cases[] = {
    {"", 0, true, 0, "empty"},
    {"a", 0, true, 1, "one ASCII byte"},
    {"hello, world, longer than eight", 0, true, 31, "ASCII fast path"},
    {"\x7f", 0, true, 1, "U+007F, last 1-byte"},
    {"\xc2\x80", 0, true, 1, "U+0080, first 2-byte"},
    {"\xdf\xbf", 0, true, 1, "U+07FF, last 2-byte"},
    {"\xe0\xa0\x80", 0, true, 1, "U+0800, first 3-byte"},
    {"\xed\x9f\xbf", 0, true, 1, "U+D7FF, just below the surrogates"},
    {"\xee\x80\x80", 0, true, 1, "U+E000, just above the surrogates"},
    {"\xef\xbf\xbd", 0, true, 1, "U+FFFD replacement character"},
    {"\xef\xbf\xbf", 0, true, 1, "U+FFFF, last 3-byte (a noncharacter)"},
    {"\xf0\x90\x80\x80", 0, true, 1, "U+10000, first 4-byte"},
    {"\xf4\x8f\xbf\xbf", 0, true, 1, "U+10FFFF, the last code point"},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 0, true, 5,
        "Kuhn's kosme"},
    {"a\xc3\xbc\xe7\x94\xa8\xf0\x9f\x98\x80z", 0, true, 5,
        "1, 2, 3, 4, 1 bytes"},
    {"a\0b", 3, true, 3, "NUL is valid UTF-8"},
    /* Overlong forms: the same code point in more bytes than needed. */
    {"\xc0\xaf", 0, false, 0, "overlong '/' in 2 bytes"},
    {"\xe0\x80\xaf", 0, false, 0, "overlong '/' in 3 bytes"},
    {"\xf0\x80\x80\xaf", 0, false, 0, "overlong '/' in 4 bytes"},
    {"\xf8\x80\x80\x80\xaf", 0, false, 0, "overlong '/' in 5 bytes"},
    {"\xfc\x80\x80\x80\x80\xaf", 0, false, 0, "overlong '/' in 6 bytes"},
    {"\xc1\xbf", 0, false, 0, "overlong U+007F"},
    {"\xe0\x9f\xbf", 0, false, 0, "overlong U+07FF"},
    {"\xf0\x8f\xbf\xbf", 0, false, 0, "overlong U+FFFF"},
    {"\xc0\x80", 2, false, 0, "overlong NUL (modified UTF-8)"},
    {"\xe0\x80\x80", 0, false, 0, "overlong NUL in 3 bytes"},
    /* UTF-16 surrogates, single and paired (CESU-8). */
    {"\xed\xa0\x80", 0, false, 0, "U+D800"},
    {"\xed\xad\xbf", 0, false, 0, "U+DB7F"},
    {"\xed\xae\x80", 0, false, 0, "U+DB80"},
    {"\xed\xaf\xbf", 0, false, 0, "U+DBFF"},
    {"\xed\xb0\x80", 0, false, 0, "U+DC00"},
    {"\xed\xbf\xbf", 0, false, 0, "U+DFFF"},
    {"\xed\xa0\x80\xed\xb0\x80", 0, false, 0, "U+D800 U+DC00 pair"},
    {"\xed\xaf\xbf\xed\xbf\xbf", 0, false, 0, "U+DBFF U+DFFF pair"},
    /* Beyond U+10FFFF. */
    {"\xf4\x90\x80\x80", 0, false, 0, "U+110000"},
    {"\xf5\x80\x80\x80", 0, false, 0, "lead F5"},
    {"\xf7\xbf\xbf\xbf", 0, false, 0, "U+1FFFFF"},
    {"\xfe", 0, false, 0, "byte FE"},
    {"\xff", 0, false, 0, "byte FF"},
    {"\xfe\xfe\xff\xff", 0, false, 0, "FE FE FF FF"},
    /* Stray continuation bytes. */
    {"\x80", 0, false, 0, "lone 80"},
    {"\xbf", 0, false, 0, "lone BF"},
    {"a\x80z", 0, false, 0, "80 between ASCII"},
    {"\x80\xbf\x80\xbf", 0, false, 0, "continuation bytes only"},
    {"\xc3\xbc\xbc", 0, false, 0, "one continuation too many"},
    /* Lead bytes followed by something other than a continuation. */
    {"\xc2 ", 0, false, 0, "C2 then space"},
    {"\xe1 \x80", 0, false, 0, "E1 then space"},
    {"\xe1\x80 ", 0, false, 0, "E1 80 then space"},
    {"\xe1\x80\xc0", 0, false, 0, "E1 80 C0"},
    {"\xe1\xc0\x80", 0, false, 0, "E1 C0 80"},
    {"\xf0\x90\x80\x7f", 0, false, 0, "F0 90 80 7F"},
    {"\xf0\x90\x7f\x80", 0, false, 0, "F0 90 7F 80"},
    {"\xf1\x80\x80\xc0", 0, false, 0, "F1 80 80 C0"},
    /* Truncated sequences. */
    {"\xc2", 0, false, 0, "2-byte lead alone"},
    {"\xe0\xa0", 0, false, 0, "3-byte lacking 1"},
    {"\xe1", 0, false, 0, "3-byte lacking 2"},
    {"\xf0\x90\x80", 0, false, 0, "4-byte lacking 1"},
    {"\xf4\x8f\xbf", 0, false, 0, "U+10FFFF lacking 1"},
    {"\xf1", 0, false, 0, "4-byte lacking 3"},
    {"abcdefgh\xc3", 0, false, 0, "truncated after the fast path"},
    {"abcdefg\xe2\x82", 0, false, 0, "truncated across the 8-byte edge"},
    {"\xdf\xbf\xe0\xa0", 0, false, 0, "valid, then truncated"},
};

static size_t
case_len(const struct utf8_case *c)
{
	return c->len != 0 ? c->len : strlen(c->s);
}

static void
test_table(void **state)
{
	size_t i, n;
	bool nul;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = case_len(&cases[i]);
		if (gh_utf8_valid(cases[i].s, n) != cases[i].valid)
			fail_msg("case %zu (%s): valid should be %d", i,
			    cases[i].why, cases[i].valid);
		if (cases[i].valid &&
		    gh_utf8_count(cases[i].s, n) != cases[i].count)
			fail_msg("case %zu (%s): count %zu, want %zu", i,
			    cases[i].why, gh_utf8_count(cases[i].s, n),
			    cases[i].count);
		nul = memchr(cases[i].s, '\0', n) != NULL;
		if (gh_utf8_has_nul(cases[i].s, n) != nul)
			fail_msg("case %zu (%s): has_nul", i, cases[i].why);
	}
}

/*
 * Every case again behind 0..17 bytes of ASCII and in front of 0..9, so
 * each sits at every offset of the word loops and the result cannot
 * depend on alignment or on what the fast path skipped.
 */
static void
test_offsets(void **state)
{
	char buf[64];
	size_t i, pre, post, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = case_len(&cases[i]);
		for (pre = 0; pre <= 17; pre++) {
			for (post = 0; post <= 9; post++) {
				memset(buf, 'x', sizeof(buf));
				memcpy(buf + pre, cases[i].s, n);
				if (gh_utf8_valid(buf, pre + n + post) !=
				    cases[i].valid)
					fail_msg("case %zu (%s) at offset %zu "
					         "+ %zu",
					    i, cases[i].why, pre, post);
				if (cases[i].valid &&
				    gh_utf8_count(buf, pre + n + post) !=
				        pre + cases[i].count + post)
					fail_msg("case %zu (%s): count at "
					         "offset %zu + %zu",
					    i, cases[i].why, pre, post);
			}
		}
	}
}

/*
 * The reference: decode by bit pattern, then refuse by value.  Written
 * the other way round from utf8.c (which checks ranges per lead byte),
 * so a shared mistake is unlikely.
 */
static bool
ref_valid(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

static size_t
encode(uint32_t cp, unsigned char *p)
{
	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (unsigned char)(0xc0 | cp >> 6);
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (unsigned char)(0xe0 | cp >> 12);
		p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (unsigned char)(0xf0 | cp >> 18);
	p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Every scalar value is valid; every surrogate and U+110000.. is not. */
static void
test_every_code_point(void **state)
{
	unsigned char b[4];
	uint32_t cp;
	size_t n;
	bool want;

	(void)state;
	for (cp = 0; cp <= 0x13ffff; cp++) {
		n = encode(cp, b);
		want = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
		if (gh_utf8_valid((char *)b, n) != want)
			fail_msg("U+%04X: valid should be %d", cp, want);
		if (want && gh_utf8_count((char *)b, n) != 1)
			fail_msg("U+%04X: count", cp);
	}
}

/* All 1-, 2- and 3-byte strings, and a grid of 4-byte ones. */
static void
test_exhaustive(void **state)
{
	static const unsigned char edge[] = {
	    0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
	unsigned char b[4];
	uint32_t v;
	size_t j, k;

	(void)state;
	for (v = 0; v < 0x1000000; v++) {
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		if (v < 0x100 &&
		    gh_utf8_valid((char *)b + 2, 1) != ref_valid(b + 2, 1))
			fail_msg("%02X", b[2]);
		if (v < 0x10000 &&
		    gh_utf8_valid((char *)b + 1, 2) != ref_valid(b + 1, 2))
			fail_msg("%02X %02X", b[1], b[2]);
		if (gh_utf8_valid((char *)b, 3) != ref_valid(b, 3))
			fail_msg("%02X %02X %02X", b[0], b[1], b[2]);
	}
	for (v = 0; v < 0x10000; v++) {
		b[0] = (unsigned char)(v >> 8);
		b[1] = (unsigned char)v;
		for (j = 0; j < sizeof(edge); j++) {
			for (k = 0; k < sizeof(edge); k++) {
				b[2] = edge[j];
				b[3] = edge[k];
				if (gh_utf8_valid((char *)b, 4) !=
				    ref_valid(b, 4))
					fail_msg("%02X %02X %02X %02X", b[0],
					    b[1], b[2], b[3]);
			}
		}
	}
}

/* Counting on a long mixed string, against a byte-at-a-time count. */
static void
test_count_long(void **state)
{
	static const char *const pieces[] = {
	    "a", "\xc3\xbc", "\xe7\x94\xa8", "\xf0\x9f\x98\x80", "0123456789"};
	char buf[4096];
	size_t len = 0, want = 0, i, k;

	(void)state;
	for (i = 0; len + 16 < sizeof(buf); i++) {
		k = strlen(pieces[(i * 7) % 5]);
		memcpy(buf + len, pieces[(i * 7) % 5], k);
		len += k;
	}
	for (i = 0; i < len; i++)
		want += ((unsigned char)buf[i] & 0xc0) != 0x80;
	for (k = 0; k < len; k += 37) {
		size_t part = 0;

		for (i = 0; i < k; i++)
			part += ((unsigned char)buf[i] & 0xc0) != 0x80;
		assert_int_equal(gh_utf8_count(buf, k), part);
	}
	assert_true(gh_utf8_valid(buf, len));
	assert_int_equal(gh_utf8_count(buf, len), want);
}

static void
test_has_nul(void **state)
{
	(void)state;
	assert_false(gh_utf8_has_nul(NULL, 0));
	assert_false(gh_utf8_has_nul("abc", 3));
	assert_true(gh_utf8_has_nul("abc", 4));
	assert_true(gh_utf8_has_nul("\0", 1));
	assert_true(gh_utf8_has_nul("abcdefghijklmnop\0q", 18));
	assert_true(gh_utf8_valid(NULL, 0));
	assert_int_equal(gh_utf8_count(NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_offsets),
	    cmocka_unit_test(test_every_code_point),
	    cmocka_unit_test(test_exhaustive),
	    cmocka_unit_test(test_count_long),
	    cmocka_unit_test(test_has_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
