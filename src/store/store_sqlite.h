/*
 * store_sqlite.h - the embedded SQLite backend of store.h.
 */
#ifndef GH_STORE_SQLITE_H
#define GH_STORE_SQLITE_H

#include "store/store.h"

/* Open (creating if needed) the SQLite file at path, in WAL mode, apply
 * the migrations, and return the handle.  Tests use a temporary file:
 * every thread opens its own connection to the same file. */
enum gh_err gh_store_sqlite_open(const char *path, struct gh_store **out);

#endif /* GH_STORE_SQLITE_H */
