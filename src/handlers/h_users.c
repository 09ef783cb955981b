/*
 * h_users.c - the current user and the admin's user list.
 */
#include "handlers/app.h"
#include "http/resp.h"
#include "util/banned.h"

enum gh_err
h_users_me(struct gh_req *req)
{
	return gh_h_send_user(req, 200, req->principal);
}

static enum gh_err
user_row(void *ctx, const struct gh_user *u)
{
	gh_h_user_write(gh_h_stream_row(ctx, u->id), u);
	return GH_OK;
}

static enum gh_err
users_page(struct gh_store *s, gh_id after_id, int64_t n, void *emit_ctx)
{
	return gh_store_user_list(s, after_id, n, user_row, emit_ctx);
}

enum gh_err
h_admin_users_list(struct gh_req *req)
{
	return gh_h_stream_list(req, users_page, 0, -1);
}
