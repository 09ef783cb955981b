/*
 * schema.h - versioned migrations compiled into the binary.
 *
 * The files src/store/schema/<backend>/NNN_name.sql are turned into a
 * table by scripts/embed-sql.sh at build time.  A migration's version is
 * NNN; a database records the highest version applied (SQLite:
 * PRAGMA user_version) and every newer file is applied, in order, inside
 * one transaction at start-up.
 */
#ifndef GH_SCHEMA_H
#define GH_SCHEMA_H

#include <stddef.h>

struct gh_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct gh_migration gh_schema_sqlite[];
extern const size_t gh_schema_sqlite_count;

#endif /* GH_SCHEMA_H */
