/*
 * store_cache.c - per-thread tables of authentication answers, made exact
 * by a store-wide epoch (see store_cache.h for the rule).
 *
 * Each thread that asks gets its own pair of direct-mapped tables through
 * a per-thread registry (util/tls.h), so the read path takes no lock: hash the
 * key with this thread's SipHash key, look at one slot, compare.  The tables
 * are allocated zeroed on the thread's first call, so the pages of slots never
 * used are never touched (they cost no resident memory).
 *
 * Memory: a thread's tables are freed when the thread exits, or by
 * gh_store_cache_free for threads still alive (which must no longer use
 * the store).  Strings handed out are copies in the
 * caller's arena.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "gh.h"
#include "store/store_cache.h"
#include "util/tls.h"
#include "util/banned.h"

#define USER_TEXT 192 /* username '\0' email '\0'; longer: not cached */
#define KEY_TEXT 128  /* name '\0'; longer: not cached */
#define KEY_PREFIX_MAX 32
#define MIN_KEY_SLOTS 16

struct auth_ent {
	uint64_t epoch; /* 0: empty (epochs start at 1) */
	int64_t loaded; /* monotonic usec */
	gh_id uid, sid;
	enum gh_role role;
	bool is_active, live;
	int64_t created_at, token_version;
	uint16_t name_len, email_len;
	char text[USER_TEXT];
};

struct key_ent {
	uint64_t epoch;
	int64_t loaded;
	gh_id id, user_id;
	unsigned char secret_hash[GH_TOKEN_HASH_LEN];
	int64_t created_at, expires_at, last_used_at;
	unsigned scopes;
	char prefix[KEY_PREFIX_MAX];
	uint16_t name_len;
	char name[KEY_TEXT];
};

struct tcache {
	struct gh_store_cache *owner;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	struct auth_ent *auth;
	struct key_ent *keys;
};

struct gh_store_cache {
	_Atomic uint64_t epoch;
	unsigned slots, key_slots;
	int64_t ttl;
	struct gh_tls *tables; /* struct tcache per thread */
};

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
tcache_destroy(void *obj)
{
	struct tcache *t = obj;

	sodium_memzero(t->keys, sizeof(*t->keys) * t->owner->key_slots);
	free(t->auth);
	free(t->keys);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

static void *
tcache_make(void *arg)
{
	struct gh_store_cache *c = arg;
	struct tcache *t = gh_xcalloc(1, sizeof(*t));

	t->owner = c;
	t->auth = gh_xcalloc(c->slots, sizeof(*t->auth));
	t->keys = gh_xcalloc(c->key_slots, sizeof(*t->keys));
	randombytes_buf(t->hkey, sizeof(t->hkey));
	return t;
}

static struct tcache *
tcache_get(struct gh_store_cache *c)
{
	return gh_tls_get(c->tables);
}

static uint64_t
slot_hash(const struct tcache *t, const void *data, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, data, len, t->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static struct auth_ent *
auth_slot(const struct tcache *t, gh_id uid, gh_id sid)
{
	gh_id ids[2] = {uid, sid};

	return &t->auth[slot_hash(t, ids, sizeof(ids)) % t->owner->slots];
}

static struct key_ent *
key_slot(const struct tcache *t, const char *prefix, size_t len)
{
	return &t->keys[slot_hash(t, prefix, len) % t->owner->key_slots];
}

/* An entry loaded at epoch e and time loaded is still exact. */
static bool
fresh(struct gh_store_cache *c, uint64_t e, int64_t loaded)
{
	return e != 0 && e == atomic_load(&c->epoch) &&
	       mono_usec() - loaded < c->ttl;
}

struct gh_store_cache *
gh_store_cache_new(unsigned slots, int64_t ttl_usec)
{
	struct gh_store_cache *c = gh_xcalloc(1, sizeof(*c));

	atomic_init(&c->epoch, 1);
	c->slots = slots;
	c->key_slots = GH_MAX(MIN_KEY_SLOTS, slots / 16);
	c->ttl = ttl_usec;
	c->tables = gh_tls_new(tcache_make, tcache_destroy, c);
	return c;
}

void
gh_store_cache_free(struct gh_store_cache *c)
{
	if (c == NULL)
		return;
	/* every thread's tables, those of threads still alive included */
	gh_tls_free(c->tables);
	free(c);
}

uint64_t
gh_store_cache_epoch(struct gh_store_cache *c)
{
	return atomic_load(&c->epoch);
}

void
gh_store_cache_invalidate(struct gh_store_cache *c)
{
	atomic_fetch_add(&c->epoch, 1);
}

bool
gh_store_cache_auth_get(struct gh_store_cache *c, gh_id uid, gh_id sid,
    struct gh_arena *a, struct gh_user *u, bool *session_live)
{
	struct tcache *t = tcache_get(c);
	struct auth_ent *e;

	if (t == NULL)
		return false;
	e = auth_slot(t, uid, sid);
	if (e->uid != uid || e->sid != sid || !fresh(c, e->epoch, e->loaded))
		return false;
	memset(u, 0, sizeof(*u));
	u->username = gh_arena_strndup(a, e->text, e->name_len);
	u->email = gh_arena_strndup(a, e->text + e->name_len + 1, e->email_len);
	if (u->username == NULL || u->email == NULL)
		return false;
	u->id = uid;
	u->role = e->role;
	u->is_active = e->is_active;
	u->created_at = e->created_at;
	u->token_version = e->token_version;
	*session_live = e->live;
	return true;
}

void
gh_store_cache_auth_put(struct gh_store_cache *c, uint64_t epoch, gh_id uid,
    gh_id sid, const struct gh_user *u, bool session_live)
{
	struct tcache *t = tcache_get(c);
	size_t nl, el;
	struct auth_ent *e;

	if (t == NULL || u->username == NULL || u->email == NULL)
		return;
	nl = strlen(u->username);
	el = strlen(u->email);
	if (nl + el + 2 > USER_TEXT)
		return;
	e = auth_slot(t, uid, sid);
	e->epoch = epoch;
	e->loaded = mono_usec();
	e->uid = uid;
	e->sid = sid;
	e->role = u->role;
	e->is_active = u->is_active;
	e->live = session_live;
	e->created_at = u->created_at;
	e->token_version = u->token_version;
	e->name_len = (uint16_t)nl;
	e->email_len = (uint16_t)el;
	memcpy(e->text, u->username, nl + 1);
	memcpy(e->text + nl + 1, u->email, el + 1);
}

bool
gh_store_cache_key_get(struct gh_store_cache *c, const char *prefix,
    struct gh_arena *a, struct gh_apikey *k)
{
	struct tcache *t = tcache_get(c);
	size_t pl = strlen(prefix);
	struct key_ent *e;

	if (t == NULL || pl >= KEY_PREFIX_MAX)
		return false;
	e = key_slot(t, prefix, pl);
	if (strcmp(e->prefix, prefix) != 0 || !fresh(c, e->epoch, e->loaded))
		return false;
	memset(k, 0, sizeof(*k));
	k->prefix = gh_arena_strndup(a, e->prefix, pl);
	k->name = gh_arena_strndup(a, e->name, e->name_len);
	if (k->prefix == NULL || k->name == NULL)
		return false;
	k->id = e->id;
	k->user_id = e->user_id;
	memcpy(k->secret_hash, e->secret_hash, sizeof(k->secret_hash));
	k->created_at = e->created_at;
	k->expires_at = e->expires_at;
	k->last_used_at = e->last_used_at;
	k->scopes = e->scopes;
	return true;
}

void
gh_store_cache_key_put(
    struct gh_store_cache *c, uint64_t epoch, const struct gh_apikey *k)
{
	struct tcache *t = tcache_get(c);
	size_t pl, nl;
	struct key_ent *e;

	if (t == NULL || k->prefix == NULL)
		return;
	pl = strlen(k->prefix);
	nl = k->name != NULL ? strlen(k->name) : 0;
	if (pl >= KEY_PREFIX_MAX || nl >= KEY_TEXT)
		return;
	e = key_slot(t, k->prefix, pl);
	e->epoch = epoch;
	e->loaded = mono_usec();
	e->id = k->id;
	e->user_id = k->user_id;
	memcpy(e->secret_hash, k->secret_hash, sizeof(e->secret_hash));
	e->created_at = k->created_at;
	e->expires_at = k->expires_at;
	e->last_used_at = k->last_used_at;
	e->scopes = k->scopes;
	memcpy(e->prefix, k->prefix, pl + 1);
	e->name_len = (uint16_t)nl;
	if (nl > 0)
		memcpy(e->name, k->name, nl);
	e->name[nl] = '\0';
}

void
gh_store_cache_key_touched(struct gh_store_cache *c, gh_id id, int64_t now)
{
	struct tcache *t = tcache_get(c);
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; i < c->key_slots; i++)
		if (t->keys[i].epoch != 0 && t->keys[i].id == id)
			t->keys[i].last_used_at = now;
}
