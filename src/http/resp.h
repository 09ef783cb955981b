/*
 * resp.h - every way gatehouse answers.
 *
 * resp.c alone maps enum gh_err to a status and a {"detail": ...} body,
 * adds the headers every response carries (Cache-Control: no-store,
 * X-Content-Type-Options: nosniff) and WWW-Authenticate on every 401.
 * Each gh_resp_ function queues exactly one response on the request and
 * returns GH_OK, or GH_ERR_INTERNAL if libmicrohttpd refused it: a
 * handler answers success with them and returns what they return.
 *
 * Failure has one contract: a handler (and each check the server runs
 * before it) returns an error value; a gh_fail function records what the
 * answer says and returns that value, and the server alone turns it into
 * the response, with gh_resp_fail, once the handler has returned.
 */
#ifndef GH_RESP_H
#define GH_RESP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "http/req.h"

/* ---- failing: record, return the error; the server answers -------- */

/*
 * The error e, with {"detail": detail} (NULL: a generic text) and the
 * status e maps to: INVALID 400, DENIED 403, NOTFOUND 404, CONFLICT 409,
 * TOOLARGE 413, BUSY and DB 503 (with Retry-After), INTERNAL 500.
 * Returns e (GH_ERR_INTERNAL for GH_OK).
 */
enum gh_err gh_fail(struct gh_req *req, enum gh_err e, const char *detail);

/* An explicit 4xx/5xx status with {"detail": detail} and one optional
 * extra header (copied); returns the error the status stands for. */
enum gh_err gh_fail_status(struct gh_req *req, unsigned status,
    const char *detail, const char *hname, const char *hvalue);

/* 401 with WWW-Authenticate: Bearer (plus error="invalid_token" when a
 * presented token was rejected); returns GH_ERR_DENIED. */
enum gh_err gh_fail_unauth(
    struct gh_req *req, const char *detail, bool invalid_token);

/* 422 {"detail": errors} (FastAPI's shape); steals errors; returns
 * GH_ERR_INVALID. */
enum gh_err gh_fail_422(struct gh_req *req, json_t *errors);

/* 400 {"error", "error_description"}: an OAuth2 token endpoint's error
 * (RFC 6749 5.2), with Pragma: no-cache; returns GH_ERR_INVALID. */
enum gh_err gh_fail_oauth(
    struct gh_req *req, const char *error, const char *description);

/* 503 "Server busy, retry shortly" with Retry-After: 1, when the queue
 * named by what ("password hashing", "write") is full; logged as a
 * warning.  Returns GH_ERR_BUSY. */
enum gh_err gh_fail_busy(struct gh_req *req, const char *what);

/* The one place a failure becomes a response: the recorded one, or e's
 * own (gh_resp_err).  Does nothing when a response is already queued. */
void gh_resp_fail(struct gh_req *req, enum gh_err e);

/* Free what a recorded failure owns (at request completion). */
void gh_fail_release(struct gh_req *req);

/* Send the answer held while the request's barrier ran (req.h). */
enum gh_err gh_resp_release(struct gh_req *req);

/* ---- answering ------------------------------------------------------ */

/* 2xx/4xx with a JSON body; steals the reference to body. */
enum gh_err gh_resp_json(struct gh_req *req, unsigned status, json_t *body);

/* 2xx/4xx with the JSON text in w; takes w's buffer (w is left empty). */
struct gh_jsonw;
enum gh_err gh_resp_jsonw(
    struct gh_req *req, unsigned status, struct gh_jsonw *w);

/* Queue a response built by the caller (server.c's preflight), with
 * the common and CORS headers; takes r. */
struct MHD_Response;
enum gh_err gh_resp_raw(
    struct gh_req *req, unsigned status, struct MHD_Response *r);

/* A body-less response (204). */
enum gh_err gh_resp_empty(struct gh_req *req, unsigned status);

/* A fixed body of the given content type (copied). */
enum gh_err gh_resp_data(struct gh_req *req, unsigned status,
    const char *content_type, const char *data, size_t len);

/*
 * A body that lives as long as the process (a file compiled into the
 * binary), sent without a copy.  content_type may be NULL (a 304).  hdrs
 * is NULL or a NULL-terminated list of name, value pairs to add; a
 * Cache-Control among them replaces the default no-store.
 */
enum gh_err gh_resp_static(struct gh_req *req, unsigned status,
    const char *content_type, const void *data, size_t len,
    const char *const *hdrs);

/* As gh_resp_data, plus headers: hdrs is a NULL-terminated list of
 * name, value pairs (copied), e.g. Set-Cookie or the console's
 * Content-Security-Policy.  content_type NULL sends none (a 204). */
enum gh_err gh_resp_data_hdrs(struct gh_req *req, unsigned status,
    const char *content_type, const char *data, size_t len,
    const char *const *hdrs);

/*
 * The server's own answers (before a route is dispatched: 431, 413, 400,
 * 404, 405) and gh_resp_fail's: {"detail": detail} with the status
 * gh_err maps to (see gh_fail; detail NULL: a generic text), or with an
 * explicit status and one optional extra header (name NULL for none).
 */
enum gh_err gh_resp_err(struct gh_req *req, enum gh_err e, const char *detail);
enum gh_err gh_resp_status(struct gh_req *req, unsigned status,
    const char *detail, const char *hname, const char *hvalue);

/*
 * FastAPI-shaped validation errors: a list of
 * {"loc": [where, field|pos], "msg", "type"[, "ctx"]}.
 * gh_verr_add appends one; field NULL and pos < 0 give loc [where];
 * ctx is stolen (may be NULL).  gh_fail_422 answers with the list.
 */
json_t *gh_verr_new(void);
void gh_verr_add(json_t *list, const char *where, const char *field,
    int64_t pos, const char *msg, const char *type, json_t *ctx);

/*
 * A streamed 200 JSON body: fn is called for successive chunks until it
 * returns 0 (end) or -1 (abort the connection); free_fn(cls) runs when
 * the response is destroyed.  Memory stays bounded by the chunk size.
 */
typedef ssize_t (*gh_stream_fn)(void *cls, char *buf, size_t max);
enum gh_err gh_resp_stream(
    struct gh_req *req, gh_stream_fn fn, void *cls, void (*free_fn)(void *cls));

#endif /* GH_RESP_H */
