/*
 * arena.c - per-request bump allocator over a chain of blocks.
 *
 * Blocks are malloc'd on demand (first 4 KiB, then doubling up to 64 KiB,
 * or exactly the size of a larger request).  The total is capped by the
 * max given at creation, so one request can never take unbounded memory.
 * gh_arena_free() wipes every block with sodium_memzero before freeing:
 * request bodies may hold passwords.
 */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gh.h"
#include "util/arena.h"
#include "util/banned.h"

#define ARENA_ALIGN 16
#define ARENA_FIRST 4096
#define ARENA_BIG 65536

struct block {
	struct block *next;
	size_t size, used;
	/* without the alignas, data sits at offset 24: 8-aligned only */
	alignas(ARENA_ALIGN) unsigned char data[];
};

struct gh_arena {
	struct block *head;
	size_t max, total, next_size;
};

struct gh_arena *
gh_arena_new(size_t max)
{
	struct gh_arena *a = gh_xcalloc(1, sizeof(*a));

	a->max = max;
	a->next_size = ARENA_FIRST;
	return a;
}

void
gh_arena_free(struct gh_arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		sodium_memzero(b->data, b->used);
		free(b);
	}
	free(a);
}

void *
gh_arena_alloc(struct gh_arena *a, size_t n)
{
	struct block *b = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	size_t size;
	void *p;

	if (n == 0)
		need = ARENA_ALIGN;
	if (need < n || need > a->max - GH_MIN(a->max, a->total) ||
	    need > SIZE_MAX - sizeof(*b))
		return NULL;
	if (b == NULL || b->size - b->used < need) {
		size = GH_MAX(need, a->next_size);
		b = gh_xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		if (a->next_size < ARENA_BIG)
			a->next_size *= 2;
	}
	p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

char *
gh_arena_strndup(struct gh_arena *a, const char *s, size_t n)
{
	char *p = gh_arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
gh_arena_printf(struct gh_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = gh_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
gh_arena_used(const struct gh_arena *a)
{
	return a->total;
}
