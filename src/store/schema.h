/*
 * schema.h - versioned migrations compiled into the binary.
 *
 * The files src/store/schema/<backend>/NNN_name.sql (sqlite, pg) are
 * turned into one table per backend by scripts/embed-sql.sh at build
 * time.  A migration's version is NNN; a database records the highest
 * version applied (SQLite: PRAGMA user_version; PostgreSQL: the table
 * gh_schema_version) and every newer file is applied, in order, each in
 * one transaction, at start-up.
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
extern const struct gh_migration gh_schema_pg[];
extern const size_t gh_schema_pg_count;

#endif /* GH_SCHEMA_H */
