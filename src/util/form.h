/*
 * form.h - application/x-www-form-urlencoded bodies (RFC 6749 4.3 token
 * requests).
 *
 * The parsed fields live in the request arena.  Names and values are
 * percent- and '+'-decoded and NUL-terminated; their true length is
 * kept, so one that decodes to an embedded NUL can be told apart
 * (callers refuse it).  Pairs are split on '&' only (python-multipart,
 * under Starlette, also splits on ';' when a chunk has no '&'), and a
 * '%' not followed by two hex digits (either case) is an error where
 * Starlette's unquote_plus() would keep it literally.  Bytes are not
 * checked for UTF-8; that is the caller's job.
 */
#ifndef GH_FORM_H
#define GH_FORM_H

#include <stddef.h>

#include "../gh.h"
#include "arena.h"

#define GH_FORM_MAX_FIELDS 32

struct gh_form_field {
	char *name;
	size_t name_len;
	char *value;
	size_t value_len;
};

struct gh_form {
	size_t n;
	struct gh_form_field f[GH_FORM_MAX_FIELDS];
};

/*
 * Parse body[0..len) into *out.  Empty pairs ("a=1&&b=2") are skipped; a
 * pair without '=' is a field with an empty value; the value runs from
 * the first '=' to the '&' ("a=b=c" is a = "b=c").  Returns GH_OK,
 * GH_ERR_INVALID for a bad percent escape, GH_ERR_TOOLARGE for more than
 * GH_FORM_MAX_FIELDS fields, GH_ERR_INTERNAL when the arena is full.
 * On error out->n is 0.  body may be NULL when len is 0.
 */
/* The value of hex digit c (either case), or -1: percent escapes here and
 * in the server's path decoding. */
int gh_form_hexval(unsigned char c);

enum gh_err gh_form_parse(
    struct gh_arena *a, const char *body, size_t len, struct gh_form *out);

/* The value of the last field called name (as Starlette's FormData.get
 * does), or NULL.  *len receives its length when len is not NULL. */
const char *gh_form_get(const struct gh_form *f, const char *name, size_t *len);

#endif /* GH_FORM_H */
