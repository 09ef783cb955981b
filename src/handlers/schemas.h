/*
 * schemas.h - the request body schemas route rows point at
 * (&gh_schemas[GH_SCHEMA_...]); schemas.c defines the whole table.
 */
#ifndef GH_SCHEMAS_H
#define GH_SCHEMAS_H

#include "http/schema.h"

enum {
	GH_SCHEMA_USER_CREATE,
	GH_SCHEMA_TOKEN_REQUEST,
	GH_SCHEMA_REFRESH_REQUEST,
	GH_SCHEMA_REVOKE_REQUEST,
	GH_SCHEMA_PASSWORD_CHANGE,
	GH_SCHEMA_APIKEY_CREATE,
	GH_SCHEMA_POST_CREATE,
	GH_SCHEMA_POST_UPDATE,
	GH_SCHEMA_TODO_CREATE,
	GH_SCHEMA_TODO_UPDATE,
	GH_SCHEMA_USER_ADMIN_UPDATE,
};

/* Limits the handlers share with the schemas (API.md Part 1). */
#define GH_USERNAME_MAX 50
#define GH_PASSWORD_MIN 8
#define GH_PASSWORD_MAX 128
#define GH_POST_TITLE_MAX 100
#define GH_TODO_TITLE_MAX 200
#define GH_APIKEY_NAME_MAX 100
#define GH_APIKEY_DAYS_MAX 3650

#endif /* GH_SCHEMAS_H */
