/*
 * store.h - the storage interface: every query gatehouse makes.
 *
 * Handlers call only these functions; they never see SQL, a connection
 * or a backend.  A backend (store_sqlite.c today, store_pg.c later)
 * fills a struct gh_store_ops and store.c picks one from DATABASE_URL.
 *
 * Threads: a struct gh_store is shared by every thread; backends keep
 * one connection per thread internally, so calls need no locking by the
 * caller.
 *
 * Memory: a record returned through an OUT parameter has its strings
 * allocated from the arena the caller passes; they live as long as that
 * arena.  Rows handed to a list callback are borrowed: valid only during
 * the callback.
 *
 * Errors: GH_ERR_NOTFOUND when the row does not exist, GH_ERR_CONFLICT
 * for a uniqueness violation, GH_ERR_DB for anything the database did
 * wrong (already logged by the backend).
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "gh.h"
#include "policy/policy.h"
#include "util/arena.h"

struct gh_user {
	gh_id id;
	const char *username;
	const char *email;
	const char *password_hash; /* never leaves the server */
	enum gh_role role;
	bool is_active;
	int64_t created_at; /* microseconds since the epoch, UTC */
	int64_t token_version;
};

struct gh_post {
	gh_id id;
	const char *title;
	const char *content;
	gh_id user_id;
	int64_t date_posted; /* microseconds since the epoch, UTC */
};

struct gh_store;

/* Called once per row of a listing; a non-GH_OK return stops the walk
 * and is returned by the listing function. */
typedef enum gh_err (*gh_store_user_fn)(void *ctx, const struct gh_user *u);
typedef enum gh_err (*gh_store_post_fn)(void *ctx, const struct gh_post *p);

struct gh_store_ops {
	void (*close)(struct gh_store *s);
	enum gh_err (*ping)(struct gh_store *s);
	enum gh_err (*user_get)(struct gh_store *s, gh_id id,
	    struct gh_arena *a, struct gh_user *out);
	enum gh_err (*user_get_by_name)(struct gh_store *s,
	    const char *username, struct gh_arena *a, struct gh_user *out);
	enum gh_err (*user_create)(struct gh_store *s, const char *username,
	    const char *email, const char *password_hash, int64_t now,
	    struct gh_arena *a, struct gh_user *out);
	enum gh_err (*user_rehash)(struct gh_store *s, gh_id id,
	    const char *old_hash, const char *new_hash);
	enum gh_err (*user_list)(struct gh_store *s, gh_id after_id,
	    int64_t limit, gh_store_user_fn fn, void *ctx);
	enum gh_err (*post_create)(struct gh_store *s, gh_id user_id,
	    const char *title, const char *content, int64_t now,
	    struct gh_arena *a, struct gh_post *out);
	enum gh_err (*post_get)(struct gh_store *s, gh_id id,
	    struct gh_arena *a, struct gh_post *out);
	enum gh_err (*post_update)(struct gh_store *s, gh_id id,
	    const char *title, const char *content, struct gh_arena *a,
	    struct gh_post *out);
	enum gh_err (*post_delete)(struct gh_store *s, gh_id id);
	enum gh_err (*post_list)(struct gh_store *s, gh_id after_id,
	    int64_t limit, gh_store_post_fn fn, void *ctx);
};

/* Every backend's handle starts with this. */
struct gh_store {
	const struct gh_store_ops *ops;
};

/*
 * Open the database named by path_or_url (a SQLite file path for now),
 * apply pending migrations, and return the shared handle in *out.
 * Close with gh_store_close().
 */
enum gh_err gh_store_open(const char *sqlite_path, struct gh_store **out);
void gh_store_close(struct gh_store *s);

/* GH_OK when the database answers a trivial query. */
enum gh_err gh_store_ping(struct gh_store *s);

/* User by id / by exact username. */
enum gh_err gh_store_user_get(
    struct gh_store *s, gh_id id, struct gh_arena *a, struct gh_user *out);
enum gh_err gh_store_user_get_by_name(struct gh_store *s, const char *username,
    struct gh_arena *a, struct gh_user *out);

/*
 * Create a user atomically: GH_ERR_CONFLICT when the username is taken
 * or the e-mail is taken compared case-insensitively (ASCII).  The first
 * user of an empty table becomes admin.  Concurrent calls are
 * serialised, so of N racing registrations of one name exactly one
 * succeeds.
 */
enum gh_err gh_store_user_create(struct gh_store *s, const char *username,
    const char *email, const char *password_hash, int64_t now,
    struct gh_arena *a, struct gh_user *out);

/* Replace the password hash if it is still old_hash (a concurrent
 * password change wins). GH_OK also when nothing changed. */
enum gh_err gh_store_user_rehash(
    struct gh_store *s, gh_id id, const char *old_hash, const char *new_hash);

/* Users with id > after_id in id order, at most limit (< 0: all). */
enum gh_err gh_store_user_list(struct gh_store *s, gh_id after_id,
    int64_t limit, gh_store_user_fn fn, void *ctx);

enum gh_err gh_store_post_create(struct gh_store *s, gh_id user_id,
    const char *title, const char *content, int64_t now, struct gh_arena *a,
    struct gh_post *out);
enum gh_err gh_store_post_get(
    struct gh_store *s, gh_id id, struct gh_arena *a, struct gh_post *out);

/* Change the fields that are not NULL; GH_ERR_NOTFOUND if the post is
 * gone.  *out receives the post as stored afterwards. */
enum gh_err gh_store_post_update(struct gh_store *s, gh_id id,
    const char *title, const char *content, struct gh_arena *a,
    struct gh_post *out);
enum gh_err gh_store_post_delete(struct gh_store *s, gh_id id);

/* Posts with id > after_id in id order, at most limit. */
enum gh_err gh_store_post_list(struct gh_store *s, gh_id after_id,
    int64_t limit, gh_store_post_fn fn, void *ctx);

#endif /* GH_STORE_H */
