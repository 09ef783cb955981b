/*
 * h_docs.c - the API's own documentation: GET /openapi.json (generated
 * from the route table at start-up, http/openapi.c) and GET /docs
 * (Swagger UI, whose files are compiled into the binary, http/assets.h).
 *
 * Nothing here is fetched from another origin, so the pages send a
 * strict Content-Security-Policy: scripts from this origin only (the
 * start-up code is a file, not an inline script); styles also inline,
 * because Swagger UI sets style attributes; images also data: URIs, which
 * swagger-ui.css uses for its icons.  The files carry an ETag (their
 * SHA-256) and are revalidated, not re-sent, on each visit.
 */
#include <string.h>

#include "handlers/app.h"
#include "http/assets.h"
#include "http/resp.h"
#include "util/banned.h"

#define DOCS_CSP                                                               \
	"default-src 'none'; script-src 'self'; "                              \
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "             \
	"font-src 'self'; connect-src 'self'; base-uri 'none'; "               \
	"form-action 'self'; frame-ancestors 'none'"

/* Serve an embedded file with the pages' security headers; a matching
 * If-None-Match is a 304. */
static enum gh_err
send_asset(struct gh_req *req, const struct gh_asset *a)
{
	const char *inm = gh_req_header(req, "If-None-Match");
	const char *const hdrs[] = {
	    "Content-Security-Policy",
	    DOCS_CSP,
	    "X-Frame-Options",
	    "DENY",
	    "Referrer-Policy",
	    "no-referrer",
	    "Cache-Control",
	    "no-cache",
	    "ETag",
	    a->etag,
	    NULL,
	};

	if (inm != NULL && strstr(inm, a->etag) != NULL)
		return gh_resp_static(req, 304, NULL, NULL, 0, hdrs);
	return gh_resp_static(req, 200, a->content_type, a->data, a->len, hdrs);
}

enum gh_err
h_docs_openapi(struct gh_req *req)
{
	struct gh_app *app = req->app;

	if (app->openapi == NULL)
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	return gh_resp_static(
	    req, 200, "application/json", app->openapi, app->openapi_len, NULL);
}

enum gh_err
h_docs_page(struct gh_req *req)
{
	const struct gh_asset *a =
	    gh_asset_find(gh_docs_assets, gh_docs_assets_count, "index.html");

	if (a == NULL)
		return gh_fail(req, GH_ERR_INTERNAL, NULL);
	return send_asset(req, a);
}

/* GET /docs/static/{file}: the page's files; index.html is the page. */
enum gh_err
h_docs_static(struct gh_req *req)
{
	const struct gh_asset *a =
	    gh_asset_find(gh_docs_assets, gh_docs_assets_count, req->params[0]);

	if (a == NULL || strcmp(a->name, "index.html") == 0)
		return gh_fail(req, GH_ERR_NOTFOUND, NULL);
	return send_asset(req, a);
}
