/*
 * jsonw.h - a minimal JSON writer for the hot response paths.
 *
 * jansson builds a tree, then serialises it: fine for one object, but a
 * list of a hundred posts costs hundreds of allocations.  Rows of lists
 * and the common response objects are written straight into a growable
 * buffer instead.  Output matches jansson's JSON_COMPACT (and Starlette's
 * JSONResponse): no spaces, raw UTF-8, only '"', '\\' and control
 * characters escaped.  Invalid UTF-8 in a string (possible only in rows
 * another program wrote) is replaced by U+FFFD, so output is always valid
 * JSON.  The buffer is malloc'd; gh_jsonw_release() frees it.
 */
#ifndef GH_JSONW_H
#define GH_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gh_jsonw {
	char *buf;
	size_t len, cap;
};

/* Append n raw bytes / a raw C string (no escaping). */
void gh_jsonw_raw(struct gh_jsonw *w, const char *s, size_t n);
void gh_jsonw_lit(struct gh_jsonw *w, const char *s);

/* Append s as a quoted, escaped JSON string. */
void gh_jsonw_str(struct gh_jsonw *w, const char *s);

/* Append a decimal integer / true or false. */
void gh_jsonw_int(struct gh_jsonw *w, int64_t v);
void gh_jsonw_bool(struct gh_jsonw *w, bool v);

/* Forget the contents, keep the buffer. */
void gh_jsonw_reset(struct gh_jsonw *w);

/* Free the buffer. */
void gh_jsonw_release(struct gh_jsonw *w);

#endif /* GH_JSONW_H */
