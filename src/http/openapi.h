/*
 * openapi.h - the OpenAPI 3.1 document of a route table.
 *
 * The document is generated from the route table itself (routes.c): each
 * row's method, path, summary, guard, flags, body kind and its optional
 * OpenAPI descriptors (router.h: tag, request schema name, query
 * parameters, responses).  What a row implies is derived, so that a row
 * added to the table appears in the document with no other edit:
 *
 *   guard USER/ROLE/OWNER  security: OAuth2 password bearer OR X-API-Key
 *                          (bearer only with GH_ROUTE_NO_APIKEY); 400
 *                          (both sent), 401 (+ WWW-Authenticate)
 *   ROLE, OWNER, NO_APIKEY 403 (COOKIE too: the console cookie's
 *                          cross-site and CSRF refusals)
 *   a body                 requestBody (JSON or form), 413, 422
 *   a path or query param  parameters, 422
 *   GH_ROUTE_THROTTLED     429 (+ Retry-After)
 *   not GH_ROUTE_NO_STORE  503 (+ Retry-After): database busy, or with
 *                          GH_ROUTE_HASHES the hashing queue full
 *   GH_ROUTE_HIDDEN        left out
 *
 * Schemas (HTTPError, HTTPValidationError in FastAPI's shape,
 * UserResponse, ...) are defined in openapi.c by name; only those the
 * table refers to are emitted.  The generator is pure: it reads its
 * arguments and openapi.c's constant tables, nothing else.
 */
#ifndef GH_OPENAPI_H
#define GH_OPENAPI_H

#include <stddef.h>

#include "gh.h"
#include "http/router.h"

/*
 * Build the document for table[0..n), with tags[0..ntags) giving tag
 * descriptions and version the API's version (info.version).  On success
 * *out is NUL-terminated compact JSON of *len bytes, which the caller
 * frees with free().  A row that names a schema openapi.c does not
 * define, repeats a method and path, or has a malformed path parameter
 * is GH_ERR_INVALID with a one-line reason in err (main() then refuses
 * to start: the document never silently lies).  GH_ERR_INTERNAL when
 * jansson fails.
 */
enum gh_err gh_openapi_build(const struct gh_route *table, size_t n,
    const struct gh_route_tag *tags, size_t ntags, const char *version,
    char **out, size_t *len, char *err, size_t errsz);

#endif /* GH_OPENAPI_H */
