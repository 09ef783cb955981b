/*
 * arena.h - per-request memory pool with a hard maximum.
 *
 * A request owns one arena, created on libmicrohttpd's first call for the
 * request and released in the completed callback.  Everything allocated
 * from it lives until then; handlers never free arena memory.  The arena
 * is wiped (sodium_memzero) before it is freed, so a password copied into
 * a request buffer does not linger in freed heap.
 */
#ifndef GH_ARENA_H
#define GH_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct gh_arena;

/* New arena that refuses to grow past max bytes in total. Free with
 * gh_arena_free(). Aborts on out-of-memory. */
struct gh_arena *gh_arena_new(size_t max);

/* Wipe and free the arena and everything allocated from it. NULL is ok. */
void gh_arena_free(struct gh_arena *a);

/* n bytes aligned for any type, zeroed. NULL only when the arena's maximum
 * would be exceeded. */
void *gh_arena_alloc(struct gh_arena *a, size_t n);

/* Copy of s[0..n) plus a NUL. NULL when over the maximum. */
char *gh_arena_strndup(struct gh_arena *a, const char *s, size_t n);

/* printf into arena memory. NULL when over the maximum. */
char *gh_arena_printf(struct gh_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes handed out so far. */
size_t gh_arena_used(const struct gh_arena *a);

#endif /* GH_ARENA_H */
