/*
 * test_store_cache.c - unit tests for the authentication cache
 * (store/store_cache.c) and its use in store.c: a cached answer is reused
 * only while it is exact.
 *
 * Each test opens a fresh SQLite store with the cache on and goes through
 * the public gh_store_*() calls.  "Served from the cache" is shown by
 * changing a row behind the store's back (sqlite3 directly, as another
 * process would) and seeing the old answer; "invalidated" by making the
 * same change through the store and seeing the new one at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gh.h"
#include "log.h"
#include "store/store.h"
#include "store/store_cache.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define HASH_B "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$b3RoZXJoYXNoaGFzaA"
#define T0 INT64_C(1795446282298731)
#define DAY (INT64_C(86400) * 1000000)
#define TTL_LONG (INT64_C(3600) * 1000000)

STORE_TEST_DIR("/tmp/gh-test-store-cache");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
	struct gh_user u, admin;
	gh_id sid;
};

static int
open_with_ttl(void **state, int64_t ttl)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned char rh[GH_TOKEN_HASH_LEN] = {1};

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	gh_store_cache_enable(f->s, 64, ttl);
	/* the first user is the admin; the second is the one under test */
	if (gh_store_user_create(f->s, "root", "root@example.com", HASH_A, T0,
	        f->a, &f->admin) != GH_OK ||
	    gh_store_user_create(f->s, "alice", "alice@example.com", HASH_A, T0,
	        f->a, &f->u) != GH_OK ||
	    gh_store_session_create(f->s, f->u.id, rh, T0, T0 + DAY, "ua",
	        "127.0.0.1", &f->sid) != GH_OK)
		return -1;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return open_with_ttl(state, TTL_LONG);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fixture_close(f->path, f->s, f->a);
	free(f);
	return 0;
}

static void
load(struct fixture *f, struct gh_user *u, bool *live)
{
	assert_int_equal(
	    gh_store_auth_load(f->s, f->u.id, f->sid, f->a, u, live), GH_OK);
}

static void __attribute__((format(printf, 2, 3)))
behind_our_back(struct fixture *f, const char *fmt, ...)
{
	va_list ap;

	char sql[256];

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sql_exec(f->path, sql);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_second_load_is_served_from_the_cache(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	bool live;

	load(f, &u, &live);
	assert_true(live);
	assert_string_equal(u.username, "alice");
	assert_null(u.password_hash); /* never, cached or not */
	behind_our_back(f,
	    "UPDATE users SET email = 'x@example.com' "
	    "WHERE id = %lld",
	    (long long)f->u.id);
	load(f, &u, &live);
	assert_string_equal(u.email, "alice@example.com"); /* cached */
	assert_string_equal(u.username, "alice");
	assert_int_equal(u.id, f->u.id);
	assert_int_equal(u.created_at, f->u.created_at);
	assert_true(u.is_active);
	assert_null(u.password_hash);
}

static void
test_session_revoke_is_seen_at_once(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	bool live;

	load(f, &u, &live);
	assert_true(live);
	assert_int_equal(
	    gh_store_session_revoke(f->s, f->sid, f->u.id, T0 + 1), GH_OK);
	load(f, &u, &live);
	assert_false(live);
}

static void
test_admin_update_and_delete_are_seen_at_once(void **state)
{
	struct fixture *f = *state;
	enum gh_role role = GH_ROLE_MODERATOR;
	bool inactive = false, live;
	struct gh_user u, out;

	load(f, &u, &live);
	assert_int_equal(u.role, GH_ROLE_USER);
	assert_int_equal(
	    gh_store_user_admin_update(f->s, f->u.id, &role, NULL, f->a, &out),
	    GH_OK);
	load(f, &u, &live);
	assert_int_equal(u.role, GH_ROLE_MODERATOR);
	assert_int_equal(gh_store_user_admin_update(
	                     f->s, f->u.id, NULL, &inactive, f->a, &out),
	    GH_OK);
	load(f, &u, &live);
	assert_false(u.is_active);
	assert_int_equal(gh_store_user_delete(f->s, f->u.id), GH_OK);
	assert_int_equal(
	    gh_store_auth_load(f->s, f->u.id, f->sid, f->a, &u, &live),
	    GH_ERR_NOTFOUND);
}

static void
test_password_change_is_seen_at_once(void **state)
{
	struct fixture *f = *state;
	struct gh_user u;
	int64_t ver;
	bool live;

	load(f, &u, &live);
	ver = u.token_version;
	assert_int_equal(
	    gh_store_user_set_password(f->s, f->u.id, HASH_B, T0 + 1, false),
	    GH_OK);
	load(f, &u, &live);
	assert_int_not_equal(u.token_version, ver);
	assert_false(live); /* a password change ends every session */
}

static void
test_refresh_reuse_is_seen_at_once(void **state)
{
	struct fixture *f = *state;
	unsigned char old[GH_TOKEN_HASH_LEN] = {1}, n1[GH_TOKEN_HASH_LEN] = {2},
	              n2[GH_TOKEN_HASH_LEN] = {3};
	enum gh_refresh_result res;
	struct gh_user u, ru;
	gh_id sid;
	bool live;

	load(f, &u, &live);
	assert_int_equal(gh_store_refresh_rotate(f->s, old, n1, T0 + 1,
	                     T0 + DAY, 0, f->a, &ru, &sid, &res),
	    GH_OK);
	assert_int_equal(res, GH_REFRESH_ROTATED);
	load(f, &u, &live);
	assert_true(live);
	/* the spent token again: reuse, the family is revoked */
	assert_int_equal(gh_store_refresh_rotate(f->s, old, n2, T0 + 2,
	                     T0 + DAY, 0, f->a, &ru, &sid, &res),
	    GH_OK);
	assert_int_equal(res, GH_REFRESH_REUSED);
	load(f, &u, &live);
	assert_false(live);
}

static void
test_apikey_revoke_is_seen_at_once(void **state)
{
	struct fixture *f = *state;
	unsigned char h[GH_TOKEN_HASH_LEN] = {7};
	struct gh_apikey k, got;

	assert_int_equal(gh_store_apikey_create(f->s, f->u.id, "ci",
	                     "0123456789ab", h, T0, 0, 3, f->a, &k),
	    GH_OK);
	assert_int_equal(
	    gh_store_apikey_by_prefix(f->s, "0123456789ab", f->a, &got), GH_OK);
	assert_int_equal(got.id, k.id);
	assert_int_equal(got.scopes, 3);
	/* cached: a change behind the store's back is not seen */
	behind_our_back(f,
	    "UPDATE api_keys SET name = 'renamed' "
	    "WHERE id = %lld",
	    (long long)k.id);
	assert_int_equal(
	    gh_store_apikey_by_prefix(f->s, "0123456789ab", f->a, &got), GH_OK);
	assert_string_equal(got.name, "ci");
	assert_string_equal(got.prefix, "0123456789ab");
	assert_memory_equal(got.secret_hash, h, sizeof(h));
	/* touch updates the cached copy, so it is not touched again */
	assert_int_equal(gh_store_apikey_touch(f->s, k.id, T0 + 5), GH_OK);
	assert_int_equal(
	    gh_store_apikey_by_prefix(f->s, "0123456789ab", f->a, &got), GH_OK);
	assert_true(got.last_used_at == T0 + 5);
	assert_int_equal(
	    gh_store_apikey_revoke(f->s, k.id, f->u.id, T0 + 6), GH_OK);
	assert_int_equal(
	    gh_store_apikey_by_prefix(f->s, "0123456789ab", f->a, &got),
	    GH_ERR_NOTFOUND);
}

/* Another thread's write invalidates this thread's entries. */
struct revoker {
	struct fixture *f;
	enum gh_err r;
};

static void *
revoke_thread(void *arg)
{
	struct revoker *rv = arg;

	rv->r = gh_store_session_revoke(rv->f->s, rv->f->sid, 0, T0 + 1);
	return NULL;
}

static void
test_write_on_another_thread_is_seen(void **state)
{
	struct fixture *f = *state;
	struct revoker rv = {f, GH_ERR_INTERNAL};
	struct gh_user u;
	pthread_t t;
	bool live;

	load(f, &u, &live);
	assert_true(live);
	assert_int_equal(pthread_create(&t, NULL, revoke_thread, &rv), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rv.r, GH_OK);
	load(f, &u, &live);
	assert_false(live);
}

static int
setup_short_ttl(void **state)
{
	return open_with_ttl(state, 1000); /* 1 ms */
}

/* A write by another process is seen once the entry's ttl has passed. */
static void
test_ttl_bounds_external_writes(void **state)
{
	struct fixture *f = *state;
	struct timespec ts = {0, 30 * 1000 * 1000};
	struct gh_user u;
	bool live;

	load(f, &u, &live);
	behind_our_back(f,
	    "UPDATE sessions SET revoked_at = "
	    "'2026-01-01 00:00:00.000000' WHERE id = %lld",
	    (long long)f->sid);
	nanosleep(&ts, NULL); /* 30 x the ttl, and the coarse clock's tick */
	load(f, &u, &live);
	assert_false(live);
}

/* A user whose name and e-mail do not fit an entry is never cached but
 * still answered. */
static void
test_long_user_is_not_cached(void **state)
{
	struct fixture *f = *state;
	char email[140], name[120];
	struct gh_user u, big;
	bool live;
	int i;

	/* 50 two-byte characters and a 112-character address: valid */
	for (i = 0; i < 50; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[100] = '\0';
	memset(email, 'e', 100);
	memcpy(email + 100, "@example.com", 13);
	assert_int_equal(
	    gh_store_user_create(f->s, name, email, HASH_A, T0, f->a, &big),
	    GH_OK);
	assert_int_equal(
	    gh_store_auth_load(f->s, big.id, 0, f->a, &u, &live), GH_OK);
	behind_our_back(f, "UPDATE users SET is_active = 0 WHERE id = %lld",
	    (long long)big.id);
	assert_int_equal(
	    gh_store_auth_load(f->s, big.id, 0, f->a, &u, &live), GH_OK);
	assert_false(u.is_active); /* read again, not cached */
	assert_string_equal(u.email, email);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_second_load_is_served_from_the_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_session_revoke_is_seen_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_admin_update_and_delete_are_seen_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_password_change_is_seen_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_refresh_reuse_is_seen_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_apikey_revoke_is_seen_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_write_on_another_thread_is_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ttl_bounds_external_writes, setup_short_ttl, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_long_user_is_not_cached, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
