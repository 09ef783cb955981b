/*
 * fuzz_form.c - libFuzzer target for gh_form_parse() and gh_form_get()
 * (src/util/form.c).
 *
 * The input is a form body.  It is parsed with a request-sized arena and
 * compared, field by field, with a reference parser written here from
 * the contract in form.h (split on '&', skip empty pairs, name up to the
 * first '=', '+' is a space, %XX a byte, a bad escape is an error, more
 * than GH_FORM_MAX_FIELDS fields is an error).  gh_form_get() is checked
 * against a backwards scan for every field name and a few fixed names.
 * The body is parsed once more with an arena too small for it, which
 * must either give the same fields or fail cleanly with GH_ERR_INTERNAL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh.h"
#include "util/arena.h"
#include "util/form.h"

#define ARENA_MAX (1024 * 1024) /* REQ_ARENA_MAX in src/http/server.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_field {
	size_t name_off, name_len, val_off, val_len; /* source ranges */
};

struct ref {
	size_t n; /* non-empty pairs, all of them */
	bool bad_escape;
	struct ref_field f[GH_FORM_MAX_FIELDS];
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_form: %s\n", what);
	abort();
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool
escapes_ok(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
			return false;
		i += 2;
	}
	return true;
}

/* Split s[0..n) the way form.h describes; only the ranges, no decoding. */
static void
ref_split(const unsigned char *s, size_t n, struct ref *r)
{
	size_t start = 0, end, eq;

	memset(r, 0, sizeof(*r));
	while (start <= n) {
		for (end = start; end < n && s[end] != '&'; end++)
			;
		if (end > start) {
			for (eq = start; eq < end && s[eq] != '='; eq++)
				;
			if (r->n < GH_FORM_MAX_FIELDS) {
				r->f[r->n].name_off = start;
				r->f[r->n].name_len = eq - start;
				r->f[r->n].val_off = eq < end ? eq + 1 : end;
				r->f[r->n].val_len =
				    eq < end ? end - eq - 1 : 0;
			}
			if (!escapes_ok(s + start, end - start))
				r->bad_escape = true;
			r->n++;
		}
		start = end + 1;
	}
}

static int
hexval(unsigned char c)
{
	if (c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* Decode s[0..n), whose escapes are known to be good, into OUT: d. */
static size_t
ref_decode(const unsigned char *s, size_t n, unsigned char *d)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			d[k++] = (unsigned char)(hexval(s[i + 1]) << 4 |
			                         hexval(s[i + 2]));
			i += 2;
		} else
			d[k++] = s[i] == '+' ? ' ' : s[i];
	}
	return k;
}

/* The decoded text must equal s[0..n) decoded by the reference. */
static void
same_text(const char *got, size_t got_len, const unsigned char *s, size_t n,
    unsigned char *scratch)
{
	size_t k = ref_decode(s, n, scratch);

	if (got == NULL || got_len != k || memcmp(got, scratch, k) != 0)
		fail("decoded text differs from the reference");
	if (got[got_len] != '\0')
		fail("decoded text not NUL-terminated");
}

/* gh_form_get(name) must be the last field called name. */
static void
check_get(const struct gh_form *f, const char *name)
{
	const char *v, *want = NULL;
	size_t len = 12345, want_len = 0, i, n = strlen(name);

	for (i = 0; i < f->n; i++)
		if (f->f[i].name_len == n &&
		    memcmp(f->f[i].name, name, n) == 0) {
			want = f->f[i].value;
			want_len = f->f[i].value_len;
		}
	v = gh_form_get(f, name, &len);
	if (v != want || len != want_len)
		fail("gh_form_get is not the last field of that name");
	if (gh_form_get(f, name, NULL) != want)
		fail("gh_form_get with NULL len differs");
}

static void
same_form(const struct gh_form *a, const struct gh_form *b)
{
	size_t i;

	if (a->n != b->n)
		fail("field count differs between arenas");
	for (i = 0; i < a->n; i++)
		if (a->f[i].name_len != b->f[i].name_len ||
		    a->f[i].value_len != b->f[i].value_len ||
		    memcmp(a->f[i].name, b->f[i].name, a->f[i].name_len) != 0 ||
		    memcmp(a->f[i].value, b->f[i].value, a->f[i].value_len) !=
		        0)
			fail("fields differ between arenas");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"username", "password",
	    "grant_type", "scope", "client_id", "client_secret", ""};
	struct gh_form *form, *small;
	struct gh_arena *a, *b;
	struct ref *ref;
	unsigned char *scratch;
	enum gh_err r, r2;
	size_t i;

	form = malloc(sizeof(*form));
	small = malloc(sizeof(*small));
	ref = malloc(sizeof(*ref));
	scratch = malloc(size + 1);
	if (form == NULL || small == NULL || ref == NULL || scratch == NULL)
		abort();
	a = gh_arena_new(ARENA_MAX);
	r = gh_form_parse(a, (const char *)data, size, form);
	ref_split(data, size, ref);

	if (ref->bad_escape && ref->n > GH_FORM_MAX_FIELDS) {
		/* both errors: either may be reported */
		if (r != GH_ERR_INVALID && r != GH_ERR_TOOLARGE)
			fail("bad escape and too many fields not refused");
	} else if (ref->bad_escape) {
		if (r != GH_ERR_INVALID)
			fail("bad escape not GH_ERR_INVALID");
	} else if (ref->n > GH_FORM_MAX_FIELDS) {
		if (r != GH_ERR_TOOLARGE)
			fail("too many fields not GH_ERR_TOOLARGE");
	} else if (r != GH_OK)
		fail("good form refused");

	if (r != GH_OK) {
		if (form->n != 0)
			fail("failed parse left fields");
	} else {
		if (form->n != ref->n)
			fail("field count differs from the reference");
		for (i = 0; i < form->n; i++) {
			same_text(form->f[i].name, form->f[i].name_len,
			    data + ref->f[i].name_off, ref->f[i].name_len,
			    scratch);
			same_text(form->f[i].value, form->f[i].value_len,
			    data + ref->f[i].val_off, ref->f[i].val_len,
			    scratch);
			/* a name with an embedded NUL cannot be asked for */
			if (strlen(form->f[i].name) == form->f[i].name_len)
				check_get(form, form->f[i].name);
		}
	}
	for (i = 0; i < GH_ARRAY_SIZE(names); i++)
		check_get(form, names[i]);

	/* Again with an arena that may run out: same answer, or INTERNAL. */
	b = gh_arena_new(size / 2 + 16);
	r2 = gh_form_parse(b, (const char *)data, size, small);
	if (r2 == GH_ERR_INTERNAL) {
		if (small->n != 0)
			fail("arena failure left fields");
	} else if (r2 != r)
		fail("a small arena changed the result");
	else
		same_form(form, small);

	gh_arena_free(b);
	gh_arena_free(a);
	free(scratch);
	free(ref);
	free(small);
	free(form);
	return 0;
}
