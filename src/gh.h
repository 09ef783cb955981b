/*
 * gh.h - the few basics every module of gatehouse shares.
 *
 * Only what is truly common lives here: the error enum every fallible
 * function returns, the id type, allocation helpers that abort on failure
 * (as h2o, Redis and git do) and small macros.  Nothing here knows HTTP,
 * SQL or users.
 */
#ifndef GH_H
#define GH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every fallible function returns one of these; GH_OK is 0. */
enum gh_err {
	GH_OK = 0,
	GH_ERR_INVALID,  /* the input is malformed or out of bounds */
	GH_ERR_NOTFOUND, /* the thing named does not exist */
	GH_ERR_CONFLICT, /* a uniqueness rule would be broken */
	GH_ERR_DENIED,   /* a credential or a permission check failed */
	GH_ERR_DB,       /* the database failed (busy, I/O, corrupt) */
	GH_ERR_TOOLARGE, /* a hard limit was exceeded */
	GH_ERR_BUSY,     /* a bounded queue is full; retry later */
	GH_ERR_INTERNAL, /* a bug or a resource failure */
};

typedef int64_t gh_id;

/* A user's role; higher values carry more rights (policy.c decides). */
enum gh_role {
	GH_ROLE_USER = 0,
	GH_ROLE_MODERATOR,
	GH_ROLE_ADMIN,
};

#define GH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GH_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GH_MAX(a, b) ((a) > (b) ? (a) : (b))
#define GH_UNUSED(x) ((void)(x))

/* Allocation that never returns NULL: on failure it logs and aborts. */
void *gh_xmalloc(size_t n);
void *gh_xcalloc(size_t nmemb, size_t size);
void *gh_xrealloc(void *p, size_t n);
char *gh_xstrdup(const char *s);
char *gh_xstrndup(const char *s, size_t n);

/* A short, stable name for an error, for logs ("invalid", "db", ...). */
const char *gh_err_str(enum gh_err e);

#endif /* GH_H */
