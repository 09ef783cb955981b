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
#include "store/store_pg.h"
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

enum gh_err
gh_store_open_pg(const struct gh_store_pg_opts *o, struct gh_store **out)
{
	enum gh_err r = gh_store_pg_open(o, out);

	if (r == GH_OK)
		gh_store_batcher_start(*out);
	return r;
}

/* A write that may change cached answers has returned: tell the other
 * processes on the database, and invalidate now, or after the commit of
 * the batch it runs in. */
static void
invalidate(struct gh_store *s)
{
	if (s->ops->announce != NULL)
		s->ops->announce(s);
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
gh_store_set_session_max(struct gh_store *s, int64_t usec)
{
	s->session_max_usec = usec > 0 ? usec : 0;
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

/* The operations of store_ops.h: FWD and INV ones are generated at the
 * end of this file, the OWN ones are written here. */
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
	if (s->ops->cache_sync != NULL)
		s->ops->cache_sync(s);
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
	if (s->ops->cache_sync != NULL)
		s->ops->cache_sync(s);
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

#define GEN_FWD(name, params, args) FWD(name, params, args)
#define GEN_INV(name, params, args) FWD_INVALIDATES(name, params, args)
#define GEN_OWN(name, params, args)
#define GEN(kind, name, params, args) GEN_##kind(name, params, args)
GH_STORE_OPS(GEN)
