/*
 * store.c - picks the backend, forwards the interface to it, and keeps
 * the authentication cache in front of it (store_cache.h).
 *
 * The forwarding functions are deliberately thin: they exist so that
 * handlers call gh_store_*() and never a backend by name.  The few that
 * are not thin are the cache's: auth_load and apikey_by_prefix answer
 * from it when they can, and every write that can change their answers
 * bumps its epoch once the backend has returned (FWD_INVALIDATES).
 */
#include "store/store.h"
#include "store/store_batch.h"
#include "store/store_cache.h"
#include "store/store_sqlite.h"
#include "util/banned.h"

enum gh_err
gh_store_open(const char *sqlite_path, struct gh_store **out)
{
	enum gh_err r = gh_store_sqlite_open(sqlite_path, out);

	if (r == GH_OK)
		gh_store_batcher_start(*out);
	return r;
}

/* A write that may change cached answers has returned: invalidate now,
 * or after the commit of the batch it runs in. */
static void
invalidate(struct gh_store *s)
{
	if (s->cache != NULL && !gh_store_batch_defer_invalidate(s))
		gh_store_cache_invalidate(s->cache);
}

void
gh_store_cache_enable(struct gh_store *s, unsigned slots, int64_t ttl_usec)
{
	if (s->cache != NULL || slots == 0 || ttl_usec <= 0)
		return;
	s->cache = gh_store_cache_new(slots, ttl_usec);
}

void
gh_store_close(struct gh_store *s)
{
	if (s == NULL)
		return;
	gh_store_batcher_free(s);
	gh_store_cache_free(s->cache);
	s->cache = NULL;
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

/* As FWD, then: the write has returned (committed or not), so answers
 * cached before it may be stale. */
#define FWD_INVALIDATES(name, params, args)                                    \
	enum gh_err gh_store_##name params                                     \
	{                                                                      \
		enum gh_err r_ = s->ops->name args;                            \
		invalidate(s);                                                 \
		return r_;                                                     \
	}

enum gh_err
gh_store_auth_load(struct gh_store *s, gh_id uid, gh_id sid, struct gh_arena *a,
    struct gh_user *u, bool *session_live)
{
	uint64_t epoch;
	enum gh_err r;

	if (s->cache == NULL) {
		r = s->ops->auth_load(s, uid, sid, a, u, session_live);
		u->password_hash = NULL;
		return r;
	}
	if (gh_store_cache_auth_get(s->cache, uid, sid, a, u, session_live))
		return GH_OK;
	epoch = gh_store_cache_epoch(s->cache); /* before the load */
	r = s->ops->auth_load(s, uid, sid, a, u, session_live);
	u->password_hash = NULL;
	if (r == GH_OK)
		gh_store_cache_auth_put(
		    s->cache, epoch, uid, sid, u, *session_live);
	return r;
}

enum gh_err
gh_store_apikey_by_prefix(struct gh_store *s, const char *prefix,
    struct gh_arena *a, struct gh_apikey *out)
{
	uint64_t epoch;
	enum gh_err r;

	if (s->cache == NULL)
		return s->ops->apikey_by_prefix(s, prefix, a, out);
	if (gh_store_cache_key_get(s->cache, prefix, a, out))
		return GH_OK;
	epoch = gh_store_cache_epoch(s->cache);
	r = s->ops->apikey_by_prefix(s, prefix, a, out);
	if (r == GH_OK)
		gh_store_cache_key_put(s->cache, epoch, out);
	return r;
}

enum gh_err
gh_store_apikey_touch(struct gh_store *s, gh_id id, int64_t now)
{
	enum gh_err r = s->ops->apikey_touch(s, id, now);

	if (s->cache != NULL && r == GH_OK)
		gh_store_cache_key_touched(s->cache, id, now);
	return r;
}

enum gh_err
gh_store_refresh_rotate(struct gh_store *s, const unsigned char *old_hash,
    const unsigned char *new_hash, int64_t now, int64_t expires_at,
    int64_t grace_usec, struct gh_arena *a, struct gh_user *u, gh_id *sid,
    enum gh_refresh_result *res)
{
	enum gh_err r = s->ops->refresh_rotate(
	    s, old_hash, new_hash, now, expires_at, grace_usec, a, u, sid, res);

	/* a rotation changes no cached answer; a detected reuse revokes */
	if (r != GH_OK || *res == GH_REFRESH_REUSED)
		invalidate(s);
	return r;
}

FWD(session_create,
    (struct gh_store * s, gh_id user_id, const unsigned char *refresh_hash,
        int64_t now, int64_t expires_at, const char *user_agent, const char *ip,
        gh_id *sid),
    (s, user_id, refresh_hash, now, expires_at, user_agent, ip, sid))
FWD_INVALIDATES(session_revoke,
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
FWD_INVALIDATES(user_set_password,
    (struct gh_store * s, gh_id id, const char *new_hash, int64_t now),
    (s, id, new_hash, now))
FWD(apikey_create,
    (struct gh_store * s, gh_id user_id, const char *name, const char *prefix,
        const unsigned char *hash, int64_t now, int64_t expires_at,
        struct gh_arena *a, struct gh_apikey *out),
    (s, user_id, name, prefix, hash, now, expires_at, a, out))
FWD(apikey_list,
    (struct gh_store * s, gh_id user_id, int64_t now, gh_store_apikey_fn fn,
        void *ctx),
    (s, user_id, now, fn, ctx))
FWD_INVALIDATES(apikey_revoke,
    (struct gh_store * s, gh_id id, gh_id user_id, int64_t now),
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
FWD_INVALIDATES(user_admin_update,
    (struct gh_store * s, gh_id id, const enum gh_role *role,
        const bool *is_active, struct gh_arena *a, struct gh_user *out),
    (s, id, role, is_active, a, out))
FWD_INVALIDATES(user_delete, (struct gh_store * s, gh_id id), (s, id))
FWD(audit_add, (struct gh_store * s, const struct gh_audit_entry *e), (s, e))
FWD(audit_list,
    (struct gh_store * s, gh_id before_id, int64_t limit, gh_id user_id,
        const char *event, gh_store_audit_fn fn, void *ctx),
    (s, before_id, limit, user_id, event, fn, ctx))
