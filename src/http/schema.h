/*
 * schema.h - body schemas: what a request body must hold, checked by the
 * server before the handler runs, and what each body looks like in
 * /openapi.json.  One table feeds both, as Kore's validators do.
 *
 * The schemas themselves are the application's (handlers/schemas.c
 * defines gh_schemas[]); this module knows only field kinds.  A route row
 * names its request schema; for a JSON row the server parses the body
 * the way FastAPI does and validates it with gh_schema_validate, so a
 * handler only ever sees a body that passed (req->json).
 */
#ifndef GH_SCHEMA_H
#define GH_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum gh_ftype {
	GH_F_STR,      /* string, min/max in code points (max 0: none) */
	GH_F_EMAIL,    /* string, an e-mail address of at most max code points
	                  (util/validate.h); stored back normalised */
	GH_F_PASSWORD, /* GH_F_STR that is a secret: masked by Swagger UI,
	                  wiped from the parsed body after the request */
	GH_F_TIME,     /* RFC 3339 UTC string (responses only) */
	GH_F_INT,      /* 64-bit integer, in min..max when max > 0 */
	GH_F_BOOL,     /* JSON true or false, nothing else */
	GH_F_ENUM,     /* string, one of extra's '|'-separated values */
	GH_F_ENUMS,    /* array of at least min such values (a set) */
	GH_F_REF,      /* the schema named extra (responses only) */
	GH_F_REFS,     /* an array of the schema named extra (responses) */
	GH_F_RAW,      /* the JSON schema text extra (responses only) */
};

#define GH_F_REQ 1u      /* required */
#define GH_F_NULLABLE 2u /* may also be null */
#define GH_F_USERNAME 4u /* a new username: RFC 8265 (util/username.h) */

struct gh_field {
	const char *name;
	enum gh_ftype type;
	unsigned flags;   /* GH_F_REQ, GH_F_NULLABLE */
	int64_t min, max; /* strings: lengths (0: none); ints: max > 0 */
	const char *extra;
	const char *description;
	const char *def; /* JSON text of the default, or NULL */
};

struct gh_schema {
	const char *name; /* as FastAPI would name it: "UserCreate" */
	const char *description;
	const struct gh_field *fields; /* NULL-name terminated; NULL: raw */
	const char *raw;   /* JSON object merged into the schema, or NULL */
	const char *media; /* NULL: application/json */
};

/* Every schema /openapi.json may refer to (handlers/schemas.c). */
extern const struct gh_schema gh_schemas[];
extern const size_t gh_schemas_count;

/*
 * Check the JSON object obj against s and append one pydantic 1.10-shaped
 * error per bad field to errs ({"loc": ["body", name], "msg", "type"
 * [, "ctx"]}), in the schema's field order: a missing required field, a
 * null where none is allowed, a wrong type, a length or range outside
 * the bounds, an enum value not listed, an invalid e-mail address.
 * Unknown fields are ignored.  E-mail fields that pass are replaced in
 * obj by their normalised form.  Returns true when nothing was appended.
 */
bool gh_schema_validate(const struct gh_schema *s, json_t *obj, json_t *errs);

/* Wipe the text of every GH_F_PASSWORD string of obj (before it is
 * freed: jansson keeps its own copies). */
void gh_schema_wipe(const struct gh_schema *s, json_t *obj);

#endif /* GH_SCHEMA_H */
