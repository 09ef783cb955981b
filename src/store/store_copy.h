/*
 * store_copy.h - copy a SQLite database into PostgreSQL
 * (`gatehouse migrate`; see store_copy.c).
 */
#ifndef GH_STORE_COPY_H
#define GH_STORE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define GH_COPY_TABLES 8

/* Rows of one table: read from the source, present in the target. */
struct gh_copy_count {
	const char *table;
	int64_t source, target;
};

/*
 * Copy every row of the SQLite database sqlite_path (never written) into
 * the PostgreSQL database target, in one transaction, then compare the
 * counts of every table.  GH_ERR_CONFLICT when the target holds rows and
 * replace is false; GH_ERR_DB (reason in err) for anything else that
 * went wrong, in which case the target is unchanged.
 */
enum gh_err gh_store_copy(const char *sqlite_path,
    const struct gh_store_pg_opts *target, bool replace,
    struct gh_copy_count counts[GH_COPY_TABLES], char *err, size_t errsz);

#endif
