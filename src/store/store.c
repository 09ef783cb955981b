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
