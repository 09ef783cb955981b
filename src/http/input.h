/*
 * input.h - what a route row declares of its input, parsed and checked
 * by the server before the handler runs.
 *
 * A row's input is its path id (a capture named "{..._id}": a positive
 * 64-bit integer), its query parameters (row.query: integers in bounds,
 * or strings) and, for a GH_BODY_JSON row with a request schema, its
 * body.  Errors are gathered the way FastAPI gathers them: a body that
 * is not JSON (or not an object) is a 422 of its own; otherwise every
 * path, query and body error goes out in one 422, in that order.  An id
 * that cannot name a row (0, negative, beyond 64 bits) is then the row's
 * 404.  Last, a row with an owner lookup has its row loaded and the
 * policy asked (404, then 403), so no handler can forget the ownership
 * guard.
 */
#ifndef GH_INPUT_H
#define GH_INPUT_H

#include <stdbool.h>

#include <jansson.h>

#include "http/req.h"

/* Check req's input against req->route: GH_OK, or the failure (422,
 * 404, 403, 503; recorded with resp.h's gh_fail) and the handler must not
 * run.  Sets req->id, the query values and req->json. */
enum gh_err gh_input_check(struct gh_req *req);

/* Wipe the secrets of req->json and free it (the completed callback). */
void gh_input_release(struct gh_req *req);

/*
 * Parse a JSON request body as FastAPI does (an empty body, a content
 * type that is not JSON, malformed JSON, duplicate keys, a null or a
 * non-object: each a 422 with FastAPI's loc/msg/type).  On failure the
 * 422 is recorded (gh_fail_422) and GH_ERR_INVALID returned; *out is a new
 * reference on success.  For handlers that read a body no schema describes.
 */
enum gh_err gh_input_json_body(struct gh_req *req, json_t **out);

/* Is the body application/x-www-form-urlencoded (any parameters)? */
bool gh_input_is_form(struct gh_req *req);

/*
 * The form body as FastAPI reads Form fields: *out NULL when the content
 * type is not a form (an empty form to FastAPI); the fields live in the
 * request arena.  A malformed body fails with 422 (GH_ERR_INVALID), too
 * many fields with 413 (GH_ERR_TOOLARGE).
 */
struct gh_form;
enum gh_err gh_input_form_body(struct gh_req *req, struct gh_form **out);

/*
 * The body's string field name, whatever the body's kind: the validated
 * JSON body (req->json), the form (parsed once, kept for
 * gh_input_form_body), or a JSON body no schema describes (read for this
 * one field, every other string in it wiped).  NULL when absent, empty,
 * not a string, not valid UTF-8 or the body does not parse: the handler
 * answers a bad body.  Lives until the request completes.
 */
const char *gh_input_str(struct gh_req *req, const char *name);

/*
 * A field of form f (NULL: none), as FastAPI's Form() reads it: absent
 * or empty is missing (a "field required" error when required); a NUL
 * byte or invalid UTF-8 is an error too.  NULL after appending to errs,
 * or the value (*len bytes, NUL-terminated, in the arena).
 */
const char *gh_input_form_field(const struct gh_form *f, const char *name,
    bool required, json_t *errs, size_t *len);

#endif /* GH_INPUT_H */
