/*
 * audit.c - gh_audit(): one entry in the audit log per security event.
 *
 * The audit log is data, not the debug log: entries go to the store's
 * audit_log table, where admins read them (GET /admin/audit).  An entry
 * carries the time, the event name, who acted (user id and name), the
 * client address, the outcome, the user acted upon and a short detail.
 * Callers never pass a secret (password, token, key, hash) in any
 * field; this module adds nothing but the time, the address and, for an
 * authenticated request, the actor's name.
 *
 * Recording is best effort: a failed write is logged once and the
 * request goes on, so an audit hiccup never turns a successful
 * operation into an error response.  The entry's strings are borrowed
 * for the duration of the store call (a name cut to GH_AUDIT_NAME_MAX
 * bytes is copied into the request arena).
 */
#include <string.h>

#include "handlers/app.h"
#include "handlers/schemas.h"
#include "log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/banned.h"

/* The longest name an entry records, in bytes: a username of
 * GH_USERNAME_MAX code points fits in any script. */
#define GH_AUDIT_NAME_MAX (4 * GH_USERNAME_MAX)

void
gh_audit(struct gh_req *req, const char *event, bool success, gh_id user_id,
    const char *username, gh_id target_user_id, const char *detail)
{
	struct gh_app *app = req->app;
	const struct gh_user *p = req->principal;
	struct gh_audit_entry e = {0};
	enum gh_err r;

	/* a name from a client is bounded before it reaches here (login:
	 * GH_USERNAME_MAX); this bound keeps any other path from writing an
	 * unbounded one: a longer name is recorded by its first bytes */
	if (username != NULL && strlen(username) > GH_AUDIT_NAME_MAX)
		username = gh_arena_strndup(req->arena, username,
		    gh_utf8_valid_prefix(username, GH_AUDIT_NAME_MAX));
	e.at = gh_time_now_usec();
	e.event = event;
	e.success = success;
	e.user_id = user_id;
	e.username = username;
	/* the actor's own name, never someone else's: only when the entry
	 * is about the authenticated principal (or names no one) */
	if (username == NULL && req->authenticated && p != NULL &&
	    (user_id == 0 || user_id == p->id))
		e.username = p->username;
	e.ip = req->ip;
	e.target_user_id = target_user_id;
	e.detail = detail;
	if ((r = gh_store_audit_add(app->store, &e)) != GH_OK)
		gh_log_warn_f(
		    "audit event %s not recorded: %s", event, gh_err_str(r));
}
