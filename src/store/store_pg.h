/*
 * store_pg.h - the PostgreSQL backend (private to store/; store.c opens
 * it for gh_store_open_pg).
 */
#ifndef GH_STORE_PG_H
#define GH_STORE_PG_H

#include "store/store.h"

enum gh_err gh_store_pg_open(
    const struct gh_store_pg_opts *o, struct gh_store **out);

#endif
