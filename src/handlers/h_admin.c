/*
 * h_admin.c - user administration and the audit log (admins only).
 *
 * The route table's ADMIN guard has already answered 401/403 before any
 * of these runs, so req->actor is an admin.  The "last active admin"
 * rule lives in the store, atomically; handlers only map its
 * GH_ERR_CONFLICT to the 409 text.  The server has validated the path,
 * query and body against the rows before a handler runs (http/input.h),
 * so the database is touched only by a valid request.
 *
 * Every change (and every change refused by the last-admin rule) is
 * recorded with gh_audit(): "user.update" with the fields that were set,
 * "user.delete" with the deleted user's name.
 */
#include <stdio.h>
#include <string.h>

#include "handlers/app.h"
#include "http/resp.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/validate.h"
#include "util/banned.h"

#define AUDIT_LIMIT_DEFAULT 100

#define USER_NOT_FOUND "User not found"
#define LAST_ADMIN "Cannot remove the last active admin"

/* "role=moderator is_active=false", only the fields given; NULL for
 * none. */
static const char *
update_detail(struct gh_req *req, const enum gh_role *role, const bool *active)
{
	if (role != NULL && active != NULL)
		return gh_arena_printf(req->arena, "role=%s is_active=%s",
		    gh_role_name(*role), *active ? "true" : "false");
	if (role != NULL)
		return gh_arena_printf(
		    req->arena, "role=%s", gh_role_name(*role));
	if (active != NULL)
		return gh_arena_printf(
		    req->arena, "is_active=%s", *active ? "true" : "false");
	return NULL;
}

enum gh_err
h_admin_user_update(struct gh_req *req)
{
	struct gh_app *app = req->app;
	const enum gh_role *role = NULL;
	const bool *active = NULL;
	enum gh_role role_v = GH_ROLE_USER;
	bool active_v = false;
	const char *rs;
	struct gh_user u;
	enum gh_err r;
	gh_id id = req->id;
	int a;

	/* the body passed UserAdminUpdate (http/input.h): a present role is
	 * one of the enum's values */
	if ((rs = gh_h_str(req, "role")) != NULL) {
		if (!gh_role_parse(rs, &role_v))
			return gh_fail(req, GH_ERR_INTERNAL, NULL);
		role = &role_v;
	}
	if ((a = gh_h_bool(req, "is_active")) >= 0) {
		active_v = a == 1;
		active = &active_v;
	}
	r = gh_store_user_admin_update(
	    app->store, id, role, active, req->arena, &u);
	switch (r) {
	case GH_OK:
		gh_audit(req, "user.update", true, req->actor.uid, NULL, id,
		    update_detail(req, role, active));
		return gh_h_send_user(req, 200, &u);
	case GH_ERR_NOTFOUND:
		return gh_fail(req, r, USER_NOT_FOUND);
	case GH_ERR_CONFLICT:
		gh_audit(req, "user.update", false, req->actor.uid, NULL, id,
		    update_detail(req, role, active));
		return gh_fail(req, r, LAST_ADMIN);
	default:
		return gh_fail(req, r, NULL);
	}
}

enum gh_err
h_admin_user_delete(struct gh_req *req)
{
	struct gh_app *app = req->app;
	const char *detail;
	struct gh_user u;
	enum gh_err r;
	gh_id id = req->id;

	/* the name, for the audit entry: the row is about to vanish */
	if ((r = gh_store_user_get(app->store, id, req->arena, &u)) != GH_OK)
		return gh_fail(
		    req, r, r == GH_ERR_NOTFOUND ? USER_NOT_FOUND : NULL);
	detail = gh_arena_printf(req->arena, "username=%s", u.username);
	r = gh_store_user_delete(app->store, id);
	switch (r) {
	case GH_OK:
		gh_audit(
		    req, "user.delete", true, req->actor.uid, NULL, id, detail);
		return gh_resp_empty(req, 204);
	case GH_ERR_NOTFOUND:
		return gh_fail(req, r, USER_NOT_FOUND);
	case GH_ERR_CONFLICT:
		gh_audit(req, "user.delete", false, req->actor.uid, NULL, id,
		    detail);
		return gh_fail(req, r, LAST_ADMIN);
	default:
		return gh_fail(req, r, NULL);
	}
}

static void
write_id_or_null(struct gh_jsonw *w, gh_id id)
{
	if (id != 0)
		gh_jsonw_int(w, id);
	else
		gh_jsonw_lit(w, "null");
}

static void
write_str_or_null(struct gh_jsonw *w, const char *s)
{
	if (s != NULL && s[0] != '\0')
		gh_jsonw_str(w, s);
	else
		gh_jsonw_lit(w, "null");
}

struct audit_out {
	struct gh_jsonw w;
	bool first;
};

static enum gh_err
audit_row(void *ctx, const struct gh_audit_entry *e)
{
	struct audit_out *o = ctx;
	char ts[GH_TIME_BUFSZ];

	gh_time_rfc3339(e->at, ts);
	gh_jsonw_lit(&o->w, o->first ? "{\"id\":" : ",{\"id\":");
	o->first = false;
	gh_jsonw_int(&o->w, e->id);
	gh_jsonw_lit(&o->w, ",\"at\":");
	gh_jsonw_str(&o->w, ts);
	gh_jsonw_lit(&o->w, ",\"event\":");
	gh_jsonw_str(&o->w, e->event);
	gh_jsonw_lit(&o->w, ",\"user_id\":");
	write_id_or_null(&o->w, e->user_id);
	gh_jsonw_lit(&o->w, ",\"username\":");
	/* an empty attempted username is still a recorded value */
	if (e->username != NULL)
		gh_jsonw_str(&o->w, e->username);
	else
		gh_jsonw_lit(&o->w, "null");
	gh_jsonw_lit(&o->w, ",\"ip\":");
	write_str_or_null(&o->w, e->ip);
	gh_jsonw_lit(&o->w, ",\"outcome\":");
	gh_jsonw_str(&o->w, e->success ? "success" : "failure");
	gh_jsonw_lit(&o->w, ",\"target_user_id\":");
	write_id_or_null(&o->w, e->target_user_id);
	gh_jsonw_lit(&o->w, ",\"detail\":");
	if (e->detail != NULL)
		gh_jsonw_str(&o->w, e->detail);
	else
		gh_jsonw_lit(&o->w, "null");
	gh_jsonw_lit(&o->w, "}");
	return GH_OK;
}

/*
 * GET /admin/audit: built in one buffer rather than streamed, because
 * the page is bounded (at most AUDIT_LIMIT_MAX rows of short fields) and
 * the stream helper pages forward by id while this list goes backward.
 */
enum gh_err
h_admin_audit_list(struct gh_req *req)
{
	struct gh_app *app = req->app;
	struct audit_out o = {.first = true};
	enum gh_err r;

	gh_jsonw_lit(&o.w, "[");
	r = gh_store_audit_list(app->store,
	    gh_req_query_int(req, "before_id", 0),
	    gh_req_query_int(req, "limit", AUDIT_LIMIT_DEFAULT),
	    gh_req_query_int(req, "user_id", 0), gh_req_query(req, "event"),
	    audit_row, &o);
	if (r != GH_OK) {
		gh_jsonw_release(&o.w);
		return gh_fail(req, r, NULL);
	}
	gh_jsonw_lit(&o.w, "]");
	return gh_resp_jsonw(req, 200, &o.w);
}
