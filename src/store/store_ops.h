/*
 * store_ops.h - the store's operations, each declared once.
 *
 * GH_STORE_OPS(X) calls X(kind, name, params, args) for every operation a
 * backend implements beyond open/close/ping/batching: name is the
 * operation (gh_store_<name> for the callers, ops->name in the backend's
 * table), params its parameter list, args the same names as a call's
 * arguments.  kind says what store.c puts in front of the backend:
 *   FWD  a plain forward
 *   INV  a forward, then the authentication cache is invalidated (the
 *        write may change its answers)
 *   OWN  store.c writes the function itself (the cache answers, or
 *        invalidates only on some outcomes)
 * From this one list come struct gh_store_ops's members, the gh_store_*
 * prototypes (store.h, where each contract is documented), store.c's
 * forwards and each backend's table and prototypes, so an operation
 * added here and missing anywhere is a compile error.
 */
#ifndef GH_STORE_OPS_H
#define GH_STORE_OPS_H

/* clang-format off */
#define GH_STORE_OPS(X)                                                      \
	/* users and posts */                                                  \
	X(FWD, user_get, (struct gh_store *s, gh_id id, struct gh_arena *a,   \
	    struct gh_user *out), (s, id, a, out))                            \
	X(FWD, user_get_by_name, (struct gh_store *s, const char *username,   \
	    struct gh_arena *a, struct gh_user *out), (s, username, a, out))  \
	X(FWD, user_create, (struct gh_store *s, const char *username,        \
	    const char *email, const char *password_hash, int64_t now,        \
	    struct gh_arena *a, struct gh_user *out), (s, username, email,    \
	    password_hash, now, a, out))                                      \
	X(FWD, user_rehash, (struct gh_store *s, gh_id id,                    \
	    const char *old_hash, const char *new_hash), (s, id, old_hash,    \
	    new_hash))                                                        \
	X(FWD, user_list, (struct gh_store *s, gh_id after_id,                \
	    int64_t limit, gh_store_user_fn fn, void *ctx), (s, after_id,     \
	    limit, fn, ctx))                                                  \
	X(FWD, post_create, (struct gh_store *s, gh_id user_id,               \
	    const char *title, const char *content, int64_t now,              \
	    struct gh_arena *a, struct gh_post *out), (s, user_id, title,     \
	    content, now, a, out))                                            \
	X(FWD, post_get, (struct gh_store *s, gh_id id, struct gh_arena *a,   \
	    struct gh_post *out), (s, id, a, out))                            \
	X(FWD, post_update, (struct gh_store *s, gh_id id,                    \
	    const char *title, const char *content, struct gh_arena *a,       \
	    struct gh_post *out), (s, id, title, content, a, out))            \
	X(FWD, post_delete, (struct gh_store *s, gh_id id), (s, id))          \
	X(FWD, post_list, (struct gh_store *s, gh_id after_id,                \
	    int64_t limit, gh_store_post_fn fn, void *ctx), (s, after_id,     \
	    limit, fn, ctx))                                                  \
	/* sessions, refresh tokens, API keys, login counters */                \
	X(OWN, auth_load, (struct gh_store *s, gh_id uid, gh_id sid,          \
	    struct gh_arena *a, struct gh_user *u, bool *session_live), (s,   \
	    uid, sid, a, u, session_live))                                    \
	X(FWD, session_create, (struct gh_store *s, gh_id user_id,            \
	    const unsigned char *refresh_hash, int64_t now,                   \
	    int64_t expires_at, const char *user_agent, const char *ip,       \
	    gh_id *sid), (s, user_id, refresh_hash, now, expires_at,          \
	    user_agent, ip, sid))                                             \
	X(OWN, refresh_rotate, (struct gh_store *s,                           \
	    const unsigned char *old_hash, const unsigned char *new_hash,     \
	    int64_t now, int64_t expires_at, int64_t grace_usec,              \
	    struct gh_arena *a, struct gh_user *u, gh_id *sid,                \
	    enum gh_refresh_result *res), (s, old_hash, new_hash, now,        \
	    expires_at, grace_usec, a, u, sid, res))                          \
	X(INV, session_revoke, (struct gh_store *s, gh_id sid,                \
	    gh_id user_id, int64_t now), (s, sid, user_id, now))              \
	X(FWD, session_of_refresh, (struct gh_store *s,                       \
	    const unsigned char *refresh_hash, gh_id *sid, gh_id *user_id), ( \
	    s, refresh_hash, sid, user_id))                                   \
	X(FWD, session_list, (struct gh_store *s, gh_id user_id,              \
	    int64_t now, gh_store_session_fn fn, void *ctx), (s, user_id,     \
	    now, fn, ctx))                                                    \
	X(FWD, session_set_cookie, (struct gh_store *s, gh_id sid,            \
	    const unsigned char *cookie_hash), (s, sid, cookie_hash))         \
	X(FWD, session_by_cookie, (struct gh_store *s,                        \
	    const unsigned char *cookie_hash, int64_t now, gh_id *sid,        \
	    gh_id *user_id), (s, cookie_hash, now, sid, user_id))             \
	X(INV, user_set_password, (struct gh_store *s, gh_id id,              \
	    const char *new_hash, int64_t now, bool keep_keys), (s, id,       \
	    new_hash, now, keep_keys))                                        \
	X(FWD, apikey_create, (struct gh_store *s, gh_id user_id,             \
	    const char *name, const char *prefix, const unsigned char *hash,  \
	    int64_t now, int64_t expires_at, unsigned scopes,                 \
	    struct gh_arena *a, struct gh_apikey *out), (s, user_id, name,    \
	    prefix, hash, now, expires_at, scopes, a, out))                   \
	X(OWN, apikey_by_prefix, (struct gh_store *s, const char *prefix,     \
	    struct gh_arena *a, struct gh_apikey *out), (s, prefix, a, out))  \
	X(OWN, apikey_touch, (struct gh_store *s, gh_id id, int64_t now), (   \
	    s, id, now))                                                      \
	X(FWD, apikey_list, (struct gh_store *s, gh_id user_id, int64_t now,  \
	    gh_store_apikey_fn fn, void *ctx), (s, user_id, now, fn, ctx))    \
	X(INV, apikey_revoke, (struct gh_store *s, gh_id id, gh_id user_id,   \
	    int64_t now), (s, id, user_id, now))                              \
	X(FWD, login_counter_get, (struct gh_store *s, const char *kind,      \
	    const char *key, struct gh_login_counter *out), (s, kind, key,    \
	    out))                                                             \
	X(FWD, login_failure_add, (struct gh_store *s, const char *kind,      \
	    const char *key, int64_t now, int64_t window,                     \
	    struct gh_login_counter *out), (s, kind, key, now, window, out))  \
	X(FWD, login_counter_clear, (struct gh_store *s, const char *kind,    \
	    const char *key), (s, kind, key))                                 \
	X(FWD, login_counter_undo, (struct gh_store *s, const char *kind,     \
	    const char *key), (s, kind, key))                                 \
	/* todos */                                                            \
	X(FWD, todo_create, (struct gh_store *s, gh_id user_id,               \
	    const char *title, bool completed, int64_t now,                   \
	    struct gh_arena *a, struct gh_todo *out), (s, user_id, title,     \
	    completed, now, a, out))                                          \
	X(FWD, todo_get, (struct gh_store *s, gh_id id, gh_id user_id,        \
	    struct gh_arena *a, struct gh_todo *out), (s, id, user_id, a,     \
	    out))                                                             \
	X(FWD, todo_update, (struct gh_store *s, gh_id id, gh_id user_id,     \
	    const char *title, int completed, struct gh_arena *a,             \
	    struct gh_todo *out), (s, id, user_id, title, completed, a,       \
	    out))                                                             \
	X(FWD, todo_delete, (struct gh_store *s, gh_id id, gh_id user_id), (  \
	    s, id, user_id))                                                  \
	X(FWD, todo_list, (struct gh_store *s, gh_id user_id,                 \
	    gh_id after_id, int64_t limit, gh_store_todo_fn fn, void *ctx), ( \
	    s, user_id, after_id, limit, fn, ctx))                            \
	/* administration and audit */                                         \
	X(INV, user_admin_update, (struct gh_store *s, gh_id id,              \
	    const enum gh_role *role, const bool *is_active,                  \
	    struct gh_arena *a, struct gh_user *out), (s, id, role,           \
	    is_active, a, out))                                               \
	X(INV, user_delete, (struct gh_store *s, gh_id id), (s, id))          \
	X(FWD, audit_add, (struct gh_store *s,                                \
	    const struct gh_audit_entry *e), (s, e))                          \
	X(FWD, audit_write, (struct gh_store *s,                              \
	    const struct gh_audit_entry *e), (s, e))                          \
	X(FWD, audit_list, (struct gh_store *s, gh_id before_id,               \
	    int64_t limit, gh_id user_id, const char *event,                  \
	    gh_store_audit_fn fn, void *ctx), (s, before_id, limit, user_id,  \
	    event, fn, ctx))
/* clang-format on */

#endif /* GH_STORE_OPS_H */
