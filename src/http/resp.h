/*
 * resp.h - every way gatehouse answers.
 *
 * resp.c alone maps enum gh_err to a status and a {"detail": ...} body,
 * adds the headers every response carries (Cache-Control: no-store,
 * X-Content-Type-Options: nosniff) and WWW-Authenticate on every 401.
 * Each function queues exactly one response on the request and returns
 * GH_OK, or GH_ERR_INTERNAL if libmicrohttpd refused it.  Handlers
 * return what these return.
 */
#ifndef GH_RESP_H
#define GH_RESP_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "http/req.h"

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
 * {"detail": detail} with the status gh_err maps to:
 *   INVALID 400, DENIED 403, NOTFOUND 404, CONFLICT 409, TOOLARGE 413,
 *   BUSY and DB 503 (with Retry-After), INTERNAL 500.
 * detail NULL uses a generic text for the status.
 */
enum gh_err gh_resp_err(struct gh_req *req, enum gh_err e, const char *detail);

/* {"detail": detail} with an explicit status, and one optional extra
 * header (name NULL for none). */
enum gh_err gh_resp_status(struct gh_req *req, unsigned status,
    const char *detail, const char *hname, const char *hvalue);

/*
 * 400 {"error": error, "error_description": description}: an OAuth2
 * token endpoint's error (RFC 6749 section 5.2; error is one of its
 * codes, invalid_grant, invalid_request, unsupported_grant_type), with
 * Pragma: no-cache beside the usual Cache-Control: no-store.
 */
enum gh_err gh_resp_oauth_err(
    struct gh_req *req, const char *error, const char *description);

/* 503 "Server busy, retry shortly" with Retry-After: 1, when what (a
 * queue: "password hashing", "write") is full; logged as a warning. */
enum gh_err gh_resp_busy(struct gh_req *req, const char *what);

/* 401 with WWW-Authenticate: Bearer (plus error="invalid_token" when a
 * presented token was rejected). */
enum gh_err gh_resp_unauth(
    struct gh_req *req, const char *detail, bool invalid_token);

/*
 * FastAPI-shaped validation errors: a list of
 * {"loc": [where, field|pos], "msg", "type"[, "ctx"]}.
 * gh_verr_add appends one; field NULL and pos < 0 give loc [where];
 * ctx is stolen (may be NULL).  gh_resp_422 sends the list (stolen).
 */
json_t *gh_verr_new(void);
void gh_verr_add(json_t *list, const char *where, const char *field,
    int64_t pos, const char *msg, const char *type, json_t *ctx);
enum gh_err gh_resp_422(struct gh_req *req, json_t *list);

/*
 * A streamed 200 JSON body: fn is called for successive chunks until it
 * returns 0 (end) or -1 (abort the connection); free_fn(cls) runs when
 * the response is destroyed.  Memory stays bounded by the chunk size.
 */
typedef ssize_t (*gh_stream_fn)(void *cls, char *buf, size_t max);
enum gh_err gh_resp_stream(
    struct gh_req *req, gh_stream_fn fn, void *cls, void (*free_fn)(void *cls));

#endif /* GH_RESP_H */
