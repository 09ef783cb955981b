/*
 * assets.h - files compiled into the binary and served as they are.
 *
 * scripts/embed-assets.sh generates each table at build time (the bytes
 * come in through the assembler's .incbin); the tables are constant and
 * live as long as the process, so responses send them without a copy.
 */
#ifndef GH_ASSETS_H
#define GH_ASSETS_H

#include <stddef.h>

struct gh_asset {
	const char *name;          /* base name: "swagger-ui.css" */
	const char *content_type;  /* from the extension */
	const unsigned char *data; /* len bytes, then a NUL */
	size_t len;
	const char *etag; /* "\"<16 hex digits of SHA-256>\"" */
};

/* The asset called name in table[0..n), or NULL. */
const struct gh_asset *gh_asset_find(
    const struct gh_asset *table, size_t n, const char *name);

/* /docs: the page, its start-up script and Swagger UI (swagger-ui-dist,
 * pinned in package.json). */
extern const struct gh_asset gh_docs_assets[];
extern const size_t gh_docs_assets_count;

#endif /* GH_ASSETS_H */
