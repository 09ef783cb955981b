/*
 * h_meta.c - the routes about the service itself: the seed's root
 * message, liveness and readiness.
 */
#include "handlers/app.h"
#include "http/resp.h"
#include "util/banned.h"

enum gh_err
h_meta_root(struct gh_req *req)
{
	/* the seed's text, byte for byte: clients may compare it */
	return gh_resp_json(req, 200,
	    json_pack("{s:s}", "message",
	        "FastAPI authentication and authorization example"));
}

enum gh_err
h_meta_healthz(struct gh_req *req)
{
	return gh_resp_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

enum gh_err
h_meta_readyz(struct gh_req *req)
{
	struct gh_app *app = req->app;

	if (gh_store_ping(app->store) != GH_OK)
		return gh_fail_status(
		    req, 503, "Database unavailable", "Retry-After", "1");
	return gh_resp_json(req, 200, json_pack("{s:s}", "status", "ready"));
}
