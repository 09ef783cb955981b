/*
 * store_cache.h - the authentication cache in front of a backend
 * (private to store/; store.c is its only user).
 *
 * Every authenticated request needs its user row and whether its session
 * is live (gh_store_auth_load), or its API key's row
 * (gh_store_apikey_by_prefix).  These change rarely and are read on every
 * request, so each HTTP thread keeps the answers it loaded in a table of
 * its own (no lock on the read path) and reuses them while they are
 * exact:
 *
 *   - one store-wide epoch counts the writes that can change such an
 *     answer (password change, role/active change, user delete, session
 *     or key revocation, refresh-token reuse);  store.c bumps it after
 *     the write returns, i.e. after its commit, and before the handler
 *     answers the client;
 *   - an entry records the epoch read BEFORE its row was loaded, and is
 *     used only while the epoch has not moved: a write that committed
 *     after that load bumped the epoch, so a stale row is never reused;
 *   - an entry also expires ttl after it was loaded, which bounds how
 *     long a write made by another process (sqlite3 shell, a second
 *     instance) can go unseen.
 *
 * Only successful loads are kept; password hashes never enter the cache.
 */
#ifndef GH_STORE_CACHE_H
#define GH_STORE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct gh_store_cache;

/* A cache of `slots` users and slots/16 (at least 16) API keys per
 * thread, entries valid for ttl_usec at most.  slots > 0, ttl_usec > 0. */
struct gh_store_cache *gh_store_cache_new(unsigned slots, int64_t ttl_usec);
void gh_store_cache_free(struct gh_store_cache *c);

/* The current epoch: read it before loading what put() will store. */
uint64_t gh_store_cache_epoch(struct gh_store_cache *c);
/* A write that may change a cached answer has returned. */
void gh_store_cache_invalidate(struct gh_store_cache *c);

/* The user uid and whether session sid is live, if this thread has an
 * exact entry; strings are copied into a.  password_hash is NULL. */
bool gh_store_cache_auth_get(struct gh_store_cache *c, gh_id uid, gh_id sid,
    struct gh_arena *a, struct gh_user *u, bool *session_live);
void gh_store_cache_auth_put(struct gh_store_cache *c, uint64_t epoch,
    gh_id uid, gh_id sid, const struct gh_user *u, bool session_live);

/* The API key with this prefix, if this thread has an exact entry. */
bool gh_store_cache_key_get(struct gh_store_cache *c, const char *prefix,
    struct gh_arena *a, struct gh_apikey *k);
void gh_store_cache_key_put(
    struct gh_store_cache *c, uint64_t epoch, const struct gh_apikey *k);
/* Key id's last_used_at moved to now (this thread's copy follows). */
void gh_store_cache_key_touched(
    struct gh_store_cache *c, gh_id id, int64_t now);

#endif
