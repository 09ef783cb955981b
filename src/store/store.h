/*
 * store.h - the storage interface: every query gatehouse makes.
 *
 * Handlers call only these functions; they never see SQL, a connection
 * or a backend.  A backend (store_sqlite.c, store_pg.c) fills a struct
 * gh_store_ops; main.c opens the one DATABASE_URL names.
 *
 * Threads: a struct gh_store is shared by every thread; backends keep
 * their connections internally (SQLite: one per thread; PostgreSQL: a
 * pool lent per call or transaction), so calls need no locking by the
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

/* A login session: one refresh-token family; access tokens carry its id
 * as "sid". */
struct gh_session {
	gh_id id;
	gh_id user_id;
	int64_t created_at, last_used_at, expires_at;
	const char *user_agent;
	const char *ip;
};

/* SHA-256 of a refresh token or an API-key secret. */
#define GH_TOKEN_HASH_LEN 32

struct gh_apikey {
	gh_id id;
	gh_id user_id;
	const char *name;
	const char *prefix;
	unsigned char secret_hash[GH_TOKEN_HASH_LEN];
	int64_t created_at;
	int64_t expires_at;   /* 0: never */
	int64_t last_used_at; /* 0: never used */
	unsigned scopes;      /* GH_SCOPE_* (policy/policy.h) */
};

struct gh_todo {
	gh_id id;
	gh_id user_id;
	const char *title;
	bool completed;
	int64_t created_at;
};

/* One audit log entry; ids 0 and NULL strings are JSON null. */
struct gh_audit_entry {
	gh_id id;
	int64_t at;
	const char *event;
	gh_id user_id;
	const char *username;
	const char *ip;
	bool success;
	gh_id target_user_id;
	const char *detail;
};

/* Failed-login counter of one (kind, key); times in unix seconds. */
struct gh_login_counter {
	int64_t failures;
	int64_t first_at;
	int64_t last_at;
};

/* Outcome of presenting a refresh token. */
enum gh_refresh_result {
	GH_REFRESH_ROTATED, /* valid: spent, successor stored */
	GH_REFRESH_GRACE,   /* spent within the grace window: successor
	                       stored, nothing revoked */
	GH_REFRESH_REUSED,  /* spent before: the session is now revoked */
	GH_REFRESH_INVALID, /* unknown, expired, session revoked or user
	                       gone/inactive */
};

struct gh_store;

/* Called once per row of a listing; a non-GH_OK return stops the walk
 * and is returned by the listing function. */
typedef enum gh_err (*gh_store_user_fn)(void *ctx, const struct gh_user *u);
typedef enum gh_err (*gh_store_post_fn)(void *ctx, const struct gh_post *p);
typedef enum gh_err (*gh_store_session_fn)(
    void *ctx, const struct gh_session *s);
typedef enum gh_err (*gh_store_apikey_fn)(void *ctx, const struct gh_apikey *k);
typedef enum gh_err (*gh_store_todo_fn)(void *ctx, const struct gh_todo *t);
typedef enum gh_err (*gh_store_audit_fn)(
    void *ctx, const struct gh_audit_entry *e);

#include "store/store_ops.h"

struct gh_store_ops {
	void (*close)(struct gh_store *s);
	enum gh_err (*ping)(struct gh_store *s);
	/* one transaction around several operations (gh_store_batch_*):
	 * begin, whether it is still open, commit; NULL: no batching */
	enum gh_err (*batch_begin)(struct gh_store *s);
	bool (*batch_live)(struct gh_store *s);
	enum gh_err (*batch_end)(struct gh_store *s);
	/* around each job of a batch (NULL: nothing): job_end keeps the
	 * job's writes unless the database aborted them, and then says so
	 * (GH_ERR_DB: the job did nothing, whatever it returned) */
	enum gh_err (*job_begin)(struct gh_store *s);
	enum gh_err (*job_end)(struct gh_store *s);
	/* tell other processes sharing the database that cached
	 * authentication answers may be stale (NULL: nobody to tell);
	 * inside the caller's transaction when there is one */
	void (*announce)(struct gh_store *s);
	/* before an answer is taken from the cache: take in what other
	 * processes announced (NULL: nothing to take in) */
	void (*cache_sync)(struct gh_store *s);
	/* every operation of store_ops.h */
#define GH_STORE_OP_MEMBER(kind, name, params, args) enum gh_err(*name) params;
	GH_STORE_OPS(GH_STORE_OP_MEMBER)
#undef GH_STORE_OP_MEMBER
};

struct gh_store_cache;
struct gh_store_batcher;

/* Every backend's handle starts with this (zeroed by the backend). */
struct gh_store {
	const struct gh_store_ops *ops;
	struct gh_store_cache *cache;     /* store.c's; NULL when off */
	struct gh_store_batcher *batcher; /* store.c's */
	/* SESSION_MAX_DAYS: a session ends this long after its login,
	 * however often it is refreshed (0: no bound); set once, before
	 * use (gh_store_set_session_max) */
	int64_t session_max_usec;
	/* UNSAFE_SQLITE_SYNC_NORMAL: commits are not fsync'd (a power cut
	 * may undo answered writes); set before the first write */
	bool relaxed_sync;
};

/* Bound every session's life (see struct gh_store); call after open. */
void gh_store_set_session_max(struct gh_store *s, int64_t usec);

/*
 * Open the SQLite database file sqlite_path, apply pending migrations,
 * and return the shared handle in *out.  Close with gh_store_close().
 */
enum gh_err gh_store_open(const char *sqlite_path, struct gh_store **out);

/* How to reach a PostgreSQL database (DATABASE_URL and the DB_* settings). */
struct gh_store_pg_opts {
	const char *conninfo; /* a postgresql:// URL or key=value string */
	unsigned pool_size;   /* connections */
	int pool_timeout_ms;  /* wait for a free one at most this long */
	int statement_timeout_ms;
};

/* As gh_store_open, on PostgreSQL (migrations under an advisory lock, so
 * instances starting together migrate once). */
enum gh_err gh_store_open_pg(
    const struct gh_store_pg_opts *o, struct gh_store **out);
void gh_store_close(struct gh_store *s);

/*
 * Answer gh_store_auth_load and gh_store_apikey_by_prefix from a
 * per-thread cache of `slots` entries, exact for every write made through
 * this handle and at most ttl_usec old for writes made by anyone else
 * (store_cache.h).  Call once, before the store is shared; 0 slots: off.
 */
void gh_store_cache_enable(
    struct gh_store *s, unsigned slots, int64_t ttl_usec);

/*
 * Group commit.  gh_store_batch_submit queues run(s, arg) for the store's
 * writer thread, which takes every operation queued meanwhile (up to a
 * bound) and runs them inside ONE transaction: each operation's own
 * transaction becomes a savepoint (a failing one undoes only itself),
 * and the batch commits once.  Many writes then share one commit and the
 * pages they touch, instead of each paying for its own.
 *
 * done(arg, r) is called on the writer thread after the commit, with
 * run's result, or GH_ERR_DB when the batch could not commit (then none
 * of its writes happened).  Nothing run() wrote may be shown to anyone
 * before done() is called.  run() must only call gh_store_* functions.
 * GH_ERR_BUSY when the queue is full or the store is draining (nothing
 * queued, done() not called).
 */
typedef enum gh_err (*gh_store_batch_run_fn)(struct gh_store *s, void *arg);
typedef void (*gh_store_batch_done_fn)(void *arg, enum gh_err r);
enum gh_err gh_store_batch_submit(struct gh_store *s, gh_store_batch_run_fn run,
    gh_store_batch_done_fn done, void *arg);

/* Refuse new batch operations and wait until every queued one is done
 * (shutdown, before the callers' connections go away).  Idempotent. */
void gh_store_batch_drain(struct gh_store *s);

/* Is the calling thread running one of s's batches (inside a job's run)?
 * Then a write joins the batch's transaction. */
bool gh_store_in_batch(struct gh_store *s);

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

/* ---- sessions and refresh tokens ---------------------------------------- */

/*
 * The per-request principal check, one query: the user with id uid into
 * *u and, when sid != 0, whether session sid belongs to uid and is not
 * revoked.  GH_ERR_NOTFOUND when the user does not exist.
 * u->password_hash is always NULL (the answer may come from the cache,
 * which holds no hash): load the user with gh_store_user_get to check a
 * password.
 */
enum gh_err gh_store_auth_load(struct gh_store *s, gh_id uid, gh_id sid,
    struct gh_arena *a, struct gh_user *u, bool *session_live);

/* Start a session for user_id with its first refresh token (hash),
 * expiring at expires_at (usec).  *sid receives the session id. */
enum gh_err gh_store_session_create(struct gh_store *s, gh_id user_id,
    const unsigned char *refresh_hash, int64_t now, int64_t expires_at,
    const char *user_agent, const char *ip, gh_id *sid);

/*
 * Present a refresh token (old_hash) at now, atomically.  Valid: it is
 * spent, new_hash is stored as its successor expiring at expires_at, the
 * session's last_used_at/expires_at move, *res = ROTATED.  Spent less
 * than grace_usec ago: successor stored, *res = GRACE.  Spent earlier:
 * the session is revoked, *res = REUSED.  Otherwise *res = INVALID.
 * On ROTATED/GRACE (and REUSED, for the audit) *u and *sid are filled.
 */
enum gh_err gh_store_refresh_rotate(struct gh_store *s,
    const unsigned char *old_hash, const unsigned char *new_hash, int64_t now,
    int64_t expires_at, int64_t grace_usec, struct gh_arena *a,
    struct gh_user *u, gh_id *sid, enum gh_refresh_result *res);

/* Revoke session sid (of user_id, or of anyone when user_id is 0).
 * GH_ERR_NOTFOUND when there is no such live session. */
enum gh_err gh_store_session_revoke(
    struct gh_store *s, gh_id sid, gh_id user_id, int64_t now);

/* The session (and its user) a refresh token belongs to, spent or not. */
enum gh_err gh_store_session_of_refresh(struct gh_store *s,
    const unsigned char *refresh_hash, gh_id *sid, gh_id *user_id);

/* The live (not revoked, not expired) sessions of user_id, by id. */
enum gh_err gh_store_session_list(struct gh_store *s, gh_id user_id,
    int64_t now, gh_store_session_fn fn, void *ctx);

/* Attach a browser cookie to live session sid: cookie_hash is the
 * SHA-256 (GH_TOKEN_HASH_LEN bytes) of the cookie's value, which never
 * reaches the store.  GH_ERR_NOTFOUND when the session is not live. */
enum gh_err gh_store_session_set_cookie(
    struct gh_store *s, gh_id sid, const unsigned char *cookie_hash);

/* The live (not revoked, not expired at now) session whose cookie has
 * SHA-256 cookie_hash, and its user.  GH_ERR_NOTFOUND otherwise. */
enum gh_err gh_store_session_by_cookie(struct gh_store *s,
    const unsigned char *cookie_hash, int64_t now, gh_id *sid, gh_id *user_id);

/* Set a new password hash, bump the token version and revoke every
 * session of the user and, unless keep_keys, every API key, atomically. */
enum gh_err gh_store_user_set_password(struct gh_store *s, gh_id id,
    const char *new_hash, int64_t now, bool keep_keys);

/* ---- API keys ----------------------------------------------------------- */

/* Store a key with its scopes (GH_SCOPE_*); GH_ERR_CONFLICT if the prefix
 * exists (retry with another). */
enum gh_err gh_store_apikey_create(struct gh_store *s, gh_id user_id,
    const char *name, const char *prefix, const unsigned char *hash,
    int64_t now, int64_t expires_at, unsigned scopes, struct gh_arena *a,
    struct gh_apikey *out);

/* The key with this prefix if it is not revoked (expiry is the caller's
 * check); GH_ERR_NOTFOUND otherwise. */
enum gh_err gh_store_apikey_by_prefix(struct gh_store *s, const char *prefix,
    struct gh_arena *a, struct gh_apikey *out);

/* Record a use (last_used_at = now). */
enum gh_err gh_store_apikey_touch(struct gh_store *s, gh_id id, int64_t now);

/* The user's keys that are neither revoked nor expired at now, by id. */
enum gh_err gh_store_apikey_list(struct gh_store *s, gh_id user_id, int64_t now,
    gh_store_apikey_fn fn, void *ctx);

/* Revoke key id of user_id; GH_ERR_NOTFOUND if not theirs or revoked. */
enum gh_err gh_store_apikey_revoke(
    struct gh_store *s, gh_id id, gh_id user_id, int64_t now);

/* ---- failed-login counters (kind "user" or "addr") ---------------------- */

/* GH_ERR_NOTFOUND when there is no counter. */
enum gh_err gh_store_login_counter_get(struct gh_store *s, const char *kind,
    const char *key, struct gh_login_counter *out);

/* Count one failure at now (unix seconds); a counter whose first failure
 * is older than window seconds restarts at 1.  *out is the new state. */
enum gh_err gh_store_login_failure_add(struct gh_store *s, const char *kind,
    const char *key, int64_t now, int64_t window, struct gh_login_counter *out);

enum gh_err gh_store_login_counter_clear(
    struct gh_store *s, const char *kind, const char *key);

/* Take back one counted attempt (it turned out not to be a failure). */
enum gh_err gh_store_login_counter_undo(
    struct gh_store *s, const char *kind, const char *key);

/* ---- todos: every call is scoped to the owner --------------------------- */

enum gh_err gh_store_todo_create(struct gh_store *s, gh_id user_id,
    const char *title, bool completed, int64_t now, struct gh_arena *a,
    struct gh_todo *out);

/* GH_ERR_NOTFOUND also when the todo belongs to someone else. */
enum gh_err gh_store_todo_get(struct gh_store *s, gh_id id, gh_id user_id,
    struct gh_arena *a, struct gh_todo *out);

/* title NULL keeps it; completed < 0 keeps it, else 0/1. */
enum gh_err gh_store_todo_update(struct gh_store *s, gh_id id, gh_id user_id,
    const char *title, int completed, struct gh_arena *a, struct gh_todo *out);

enum gh_err gh_store_todo_delete(struct gh_store *s, gh_id id, gh_id user_id);

/* The user's todos with id > after_id, by id, at most limit (< 0: all). */
enum gh_err gh_store_todo_list(struct gh_store *s, gh_id user_id,
    gh_id after_id, int64_t limit, gh_store_todo_fn fn, void *ctx);

/* ---- administration and audit ------------------------------------------ */

/*
 * Change a user's role and/or active flag (NULL keeps).  A role change
 * keeps is_admin equal to role == admin.  GH_ERR_NOTFOUND for an unknown
 * id; GH_ERR_CONFLICT when no active admin would remain.  Atomic.
 */
enum gh_err gh_store_user_admin_update(struct gh_store *s, gh_id id,
    const enum gh_role *role, const bool *is_active, struct gh_arena *a,
    struct gh_user *out);

/* Delete a user and (by cascade) their posts, todos, keys and sessions.
 * GH_ERR_NOTFOUND; GH_ERR_CONFLICT when it is the last active admin. */
enum gh_err gh_store_user_delete(struct gh_store *s, gh_id id);

enum gh_err gh_store_audit_add(
    struct gh_store *s, const struct gh_audit_entry *e);

/* Write one entry now, in the caller's write (a group-commit job): it
 * commits with the batch that carries it.  Entries that must be on disk
 * before their request is answered go this way (handlers/audit.c). */
enum gh_err gh_store_audit_write(
    struct gh_store *s, const struct gh_audit_entry *e);

/* Entries newest first with id < before_id (0: from the newest), at most
 * limit, optionally only of user_id (0: any) and event (NULL: any). */
enum gh_err gh_store_audit_list(struct gh_store *s, gh_id before_id,
    int64_t limit, gh_id user_id, const char *event, gh_store_audit_fn fn,
    void *ctx);

/* The documented prototypes above, checked against the one list: a
 * mismatch is a conflicting declaration. */
#define GH_STORE_OP_DECL(kind, name, params, args)                             \
	enum gh_err gh_store_##name params;
GH_STORE_OPS(GH_STORE_OP_DECL)
#undef GH_STORE_OP_DECL

#endif /* GH_STORE_H */
