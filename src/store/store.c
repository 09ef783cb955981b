/*
 * store.c - picks the backend and forwards the interface to it.
 *
 * The forwarding functions are deliberately thin: they exist so that
 * handlers call gh_store_*() and never a backend by name.
 */
#include "store/store.h"
#include "store/store_sqlite.h"
#include "util/banned.h"

enum gh_err
gh_store_open(const char *sqlite_path, struct gh_store **out)
{
	return gh_store_sqlite_open(sqlite_path, out);
}

void
gh_store_close(struct gh_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

enum gh_err
gh_store_ping(struct gh_store *s)
{
	return s->ops->ping(s);
}

enum gh_err
gh_store_user_get(
    struct gh_store *s, gh_id id, struct gh_arena *a, struct gh_user *out)
{
	return s->ops->user_get(s, id, a, out);
}

enum gh_err
gh_store_user_get_by_name(struct gh_store *s, const char *username,
    struct gh_arena *a, struct gh_user *out)
{
	return s->ops->user_get_by_name(s, username, a, out);
}

enum gh_err
gh_store_user_create(struct gh_store *s, const char *username,
    const char *email, const char *password_hash, int64_t now,
    struct gh_arena *a, struct gh_user *out)
{
	return s->ops->user_create(
	    s, username, email, password_hash, now, a, out);
}

enum gh_err
gh_store_user_rehash(
    struct gh_store *s, gh_id id, const char *old_hash, const char *new_hash)
{
	return s->ops->user_rehash(s, id, old_hash, new_hash);
}

enum gh_err
gh_store_user_list(struct gh_store *s, gh_id after_id, int64_t limit,
    gh_store_user_fn fn, void *ctx)
{
	return s->ops->user_list(s, after_id, limit, fn, ctx);
}

enum gh_err
gh_store_post_create(struct gh_store *s, gh_id user_id, const char *title,
    const char *content, int64_t now, struct gh_arena *a, struct gh_post *out)
{
	return s->ops->post_create(s, user_id, title, content, now, a, out);
}

enum gh_err
gh_store_post_get(
    struct gh_store *s, gh_id id, struct gh_arena *a, struct gh_post *out)
{
	return s->ops->post_get(s, id, a, out);
}

enum gh_err
gh_store_post_update(struct gh_store *s, gh_id id, const char *title,
    const char *content, struct gh_arena *a, struct gh_post *out)
{
	return s->ops->post_update(s, id, title, content, a, out);
}

enum gh_err
gh_store_post_delete(struct gh_store *s, gh_id id)
{
	return s->ops->post_delete(s, id);
}

enum gh_err
gh_store_post_list(struct gh_store *s, gh_id after_id, int64_t limit,
    gh_store_post_fn fn, void *ctx)
{
	return s->ops->post_list(s, after_id, limit, fn, ctx);
}

/* The later domains forward the same way, one line each. */
#define FWD(name, params, args)                                                \
	enum gh_err gh_store_##name params                                     \
	{                                                                      \
		return s->ops->name args;                                      \
	}

FWD(auth_load,
    (struct gh_store * s, gh_id uid, gh_id sid, struct gh_arena *a,
        struct gh_user *u, bool *session_live),
    (s, uid, sid, a, u, session_live))
FWD(session_create,
    (struct gh_store * s, gh_id user_id, const unsigned char *refresh_hash,
        int64_t now, int64_t expires_at, const char *user_agent, const char *ip,
        gh_id *sid),
    (s, user_id, refresh_hash, now, expires_at, user_agent, ip, sid))
FWD(refresh_rotate,
    (struct gh_store * s, const unsigned char *old_hash,
        const unsigned char *new_hash, int64_t now, int64_t expires_at,
        int64_t grace_usec, struct gh_arena *a, struct gh_user *u, gh_id *sid,
        enum gh_refresh_result *res),
    (s, old_hash, new_hash, now, expires_at, grace_usec, a, u, sid, res))
FWD(session_revoke,
    (struct gh_store * s, gh_id sid, gh_id user_id, int64_t now),
    (s, sid, user_id, now))
FWD(session_of_refresh,
    (struct gh_store * s, const unsigned char *refresh_hash, gh_id *sid,
        gh_id *user_id),
    (s, refresh_hash, sid, user_id))
FWD(session_list,
    (struct gh_store * s, gh_id user_id, int64_t now, gh_store_session_fn fn,
        void *ctx),
    (s, user_id, now, fn, ctx))
FWD(session_set_cookie,
    (struct gh_store * s, gh_id sid, const unsigned char *cookie_hash),
    (s, sid, cookie_hash))
FWD(session_by_cookie,
    (struct gh_store * s, const unsigned char *cookie_hash, int64_t now,
        gh_id *sid, gh_id *user_id),
    (s, cookie_hash, now, sid, user_id))
FWD(user_set_password,
    (struct gh_store * s, gh_id id, const char *new_hash, int64_t now),
    (s, id, new_hash, now))
FWD(apikey_create,
    (struct gh_store * s, gh_id user_id, const char *name, const char *prefix,
        const unsigned char *hash, int64_t now, int64_t expires_at,
        struct gh_arena *a, struct gh_apikey *out),
    (s, user_id, name, prefix, hash, now, expires_at, a, out))
FWD(apikey_by_prefix,
    (struct gh_store * s, const char *prefix, struct gh_arena *a,
        struct gh_apikey *out),
    (s, prefix, a, out))
FWD(apikey_touch, (struct gh_store * s, gh_id id, int64_t now), (s, id, now))
FWD(apikey_list,
    (struct gh_store * s, gh_id user_id, int64_t now, gh_store_apikey_fn fn,
        void *ctx),
    (s, user_id, now, fn, ctx))
FWD(apikey_revoke, (struct gh_store * s, gh_id id, gh_id user_id, int64_t now),
    (s, id, user_id, now))
FWD(login_counter_get,
    (struct gh_store * s, const char *kind, const char *key,
        struct gh_login_counter *out),
    (s, kind, key, out))
FWD(login_failure_add,
    (struct gh_store * s, const char *kind, const char *key, int64_t now,
        int64_t window, struct gh_login_counter *out),
    (s, kind, key, now, window, out))
FWD(login_counter_undo,
    (struct gh_store * s, const char *kind, const char *key), (s, kind, key))
FWD(login_counter_clear,
    (struct gh_store * s, const char *kind, const char *key), (s, kind, key))
FWD(todo_create,
    (struct gh_store * s, gh_id user_id, const char *title, bool completed,
        int64_t now, struct gh_arena *a, struct gh_todo *out),
    (s, user_id, title, completed, now, a, out))
FWD(todo_get,
    (struct gh_store * s, gh_id id, gh_id user_id, struct gh_arena *a,
        struct gh_todo *out),
    (s, id, user_id, a, out))
FWD(todo_update,
    (struct gh_store * s, gh_id id, gh_id user_id, const char *title,
        int completed, struct gh_arena *a, struct gh_todo *out),
    (s, id, user_id, title, completed, a, out))
FWD(todo_delete, (struct gh_store * s, gh_id id, gh_id user_id),
    (s, id, user_id))
FWD(todo_list,
    (struct gh_store * s, gh_id user_id, gh_id after_id, int64_t limit,
        gh_store_todo_fn fn, void *ctx),
    (s, user_id, after_id, limit, fn, ctx))
FWD(user_admin_update,
    (struct gh_store * s, gh_id id, const enum gh_role *role,
        const bool *is_active, struct gh_arena *a, struct gh_user *out),
    (s, id, role, is_active, a, out))
FWD(user_delete, (struct gh_store * s, gh_id id), (s, id))
FWD(audit_add, (struct gh_store * s, const struct gh_audit_entry *e), (s, e))
FWD(audit_list,
    (struct gh_store * s, gh_id before_id, int64_t limit, gh_id user_id,
        const char *event, gh_store_audit_fn fn, void *ctx),
    (s, before_id, limit, user_id, event, fn, ctx))
