/*
 * test_store_admin.c - unit tests for store/store_sqlite_admin.c: user
 * administration (role, active flag, delete with cascade, the "last
 * active admin" rule) and the audit log.
 *
 * Each test opens a fresh SQLite file in a temporary directory, as
 * test_store.c does, and goes through the public gh_store_*() calls;
 * facts the interface does not expose (is_admin, rows of tables whose
 * store functions belong to other modules) are read or written with
 * sqlite3 directly.
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
#include <unistd.h>

#include <sqlite3.h>

#include "gh.h"
#include "log.h"
#include "store/store.h"
#include "util/arena.h"

#define HASH_A "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

/* 2026-11-23 15:04:42.298731 UTC */
#define T0 INT64_C(1795446282298731)

STORE_TEST_DIR("/tmp/gh-test-store-admin");

struct fixture {
	char path[256];
	struct gh_store *s;
	struct gh_arena *a;
};

/* ---- helpers ------------------------------------------------------------- */

static enum gh_err
ignore_audit(void *ctx, const struct gh_audit_entry *e)
{
	(void)ctx;
	(void)e;
	return GH_OK;
}

/* Reading the log writes every queued audit row first. */
static void
flush_audit(struct fixture *f)
{
	assert_int_equal(
	    gh_store_audit_list(f->s, 0, 1, 0, NULL, ignore_audit, NULL),
	    GH_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL ||
	    fixture_open(f->path, sizeof(f->path), &f->s, &f->a) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fixture_close(f->path, f->s, f->a);
	free(f);
	return 0;
}

static int64_t sql_intf(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t
sql_intf(const char *path, const char *fmt, ...)
{
	char sql[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return sql_int(path, sql);
}

static gh_id
mkuser(struct fixture *f, const char *name)
{
	char email[64];
	struct gh_user u;

	snprintf(email, sizeof(email), "%s@example.com", name);
	assert_int_equal(
	    gh_store_user_create(f->s, name, email, HASH_A, T0, f->a, &u),
	    GH_OK);
	return u.id;
}

static enum gh_err
set_role(struct fixture *f, gh_id id, enum gh_role role)
{
	struct gh_user u;

	return gh_store_user_admin_update(f->s, id, &role, NULL, f->a, &u);
}

static enum gh_err
set_active(struct fixture *f, gh_id id, bool active)
{
	struct gh_user u;

	return gh_store_user_admin_update(f->s, id, NULL, &active, f->a, &u);
}

/* The stored role / is_admin / is_active of id, as "admin,1,1". */
static const char *
state_of(struct fixture *f, gh_id id, char *buf, size_t sz)
{
	struct gh_user u;

	assert_int_equal(gh_store_user_get(f->s, id, f->a, &u), GH_OK);
	snprintf(buf, sz, "%s,%lld,%d", gh_role_name(u.role),
	    (long long)sql_intf(f->path,
	        "SELECT is_admin FROM users WHERE id = %lld", (long long)u.id),
	    u.is_active ? 1 : 0);
	return buf;
}

/* ---- role and active flag ------------------------------------------------ */

static void
test_update_role_and_active(void **state)
{
	static const struct {
		int role;         /* -1: keep */
		int active;       /* -1: keep */
		const char *want; /* role,is_admin,is_active */
	} cases[] = {
	    {GH_ROLE_MODERATOR, -1, "moderator,0,1"},
	    {GH_ROLE_ADMIN, -1, "admin,1,1"},
	    {-1, 0, "admin,1,0"},
	    {-1, -1, "admin,1,0"},
	    {GH_ROLE_USER, 1, "user,0,1"},
	    {GH_ROLE_ADMIN, 0, "admin,1,0"},
	    {GH_ROLE_MODERATOR, -1, "moderator,0,0"},
	    {-1, 1, "moderator,0,1"},
	    {GH_ROLE_USER, -1, "user,0,1"},
	};
	struct fixture *f = *state;
	gh_id admin = mkuser(f, "alice");
	gh_id bob = mkuser(f, "bob");
	struct gh_user u, before;
	char buf[64];
	size_t i;
	int64_t deactivations = 0;
	bool was_active = true;

	assert_int_equal(gh_store_user_get(f->s, bob, f->a, &before), GH_OK);
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		enum gh_role role = (enum gh_role)cases[i].role;
		bool active = cases[i].active == 1;
		char got[64];

		assert_int_equal(
		    gh_store_user_admin_update(f->s, bob,
		        cases[i].role >= 0 ? &role : NULL,
		        cases[i].active >= 0 ? &active : NULL, f->a, &u),
		    GH_OK);
		/* the record handed back is the row as stored */
		snprintf(got, sizeof(got), "%s,%d,%d", gh_role_name(u.role),
		    u.role == GH_ROLE_ADMIN, u.is_active ? 1 : 0);
		if (strcmp(got, cases[i].want) != 0 ||
		    strcmp(state_of(f, bob, buf, sizeof(buf)), cases[i].want) !=
		        0)
			fail_msg("case %zu: returned %s, stored %s, want %s", i,
			    got, buf, cases[i].want);
		assert_int_equal(u.id, bob);
		assert_string_equal(u.username, "bob");
		assert_string_equal(u.email, "bob@example.com");
		assert_string_equal(u.password_hash, HASH_A);
		assert_int_equal(u.created_at, before.created_at);
		/* authorization reads the row: a role change bumps no token
		 * version; a deactivation does (every token dies with it) */
		if (was_active && !u.is_active)
			deactivations++;
		was_active = u.is_active;
		assert_int_equal(
		    u.token_version, before.token_version + deactivations);
	}
	assert_int_equal(deactivations, 2);
	/* the first admin was never touched */
	assert_string_equal(state_of(f, admin, buf, sizeof(buf)), "admin,1,1");
}

static void
test_update_notfound(void **state)
{
	static const gh_id ids[] = {0, -1, 3, 1000, INT64_MAX};
	struct fixture *f = *state;
	enum gh_role role = GH_ROLE_USER;
	bool active = false;
	struct gh_user u;
	char buf[64];
	size_t i;

	mkuser(f, "alice");
	mkuser(f, "bob");
	for (i = 0; i < GH_ARRAY_SIZE(ids); i++) {
		assert_int_equal(gh_store_user_admin_update(
		                     f->s, ids[i], &role, &active, f->a, &u),
		    GH_ERR_NOTFOUND);
		assert_int_equal(gh_store_user_admin_update(
		                     f->s, ids[i], NULL, NULL, f->a, &u),
		    GH_ERR_NOTFOUND);
		assert_int_equal(
		    gh_store_user_delete(f->s, ids[i]), GH_ERR_NOTFOUND);
	}
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 2);
	assert_string_equal(state_of(f, 1, buf, sizeof(buf)), "admin,1,1");
	/* deleted ids are not found either */
	assert_int_equal(gh_store_user_delete(f->s, 2), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, 2), GH_ERR_NOTFOUND);
	assert_int_equal(set_active(f, 2, true), GH_ERR_NOTFOUND);
}

/* ---- the last active admin ------------------------------------------------
 */

static void
test_last_admin_alone(void **state)
{
	struct fixture *f = *state;
	gh_id alice = mkuser(f, "alice");
	gh_id bob = mkuser(f, "bob");
	enum gh_role admin = GH_ROLE_ADMIN;
	bool yes = true;
	struct gh_user u;
	char buf[64];

	/* alice is the only admin: each way of losing her is refused and
	 * leaves the row as it was */
	assert_int_equal(set_role(f, alice, GH_ROLE_USER), GH_ERR_CONFLICT);
	assert_int_equal(
	    set_role(f, alice, GH_ROLE_MODERATOR), GH_ERR_CONFLICT);
	assert_int_equal(set_active(f, alice, false), GH_ERR_CONFLICT);
	assert_int_equal(gh_store_user_delete(f->s, alice), GH_ERR_CONFLICT);
	assert_string_equal(state_of(f, alice, buf, sizeof(buf)), "admin,1,1");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users"), 2);
	/* changes that keep her an active admin are fine */
	assert_int_equal(
	    gh_store_user_admin_update(f->s, alice, &admin, &yes, f->a, &u),
	    GH_OK);
	assert_int_equal(
	    gh_store_user_admin_update(f->s, alice, NULL, NULL, f->a, &u),
	    GH_OK);
	assert_int_equal(set_active(f, alice, true), GH_OK);
	/* and so are changes to others */
	assert_int_equal(set_role(f, bob, GH_ROLE_MODERATOR), GH_OK);
	assert_int_equal(set_active(f, bob, false), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, bob), GH_OK);
	/* a refused change left no transaction open: writes go on */
	assert_true(mkuser(f, "carol") > bob);
}

static void
test_last_admin_with_others(void **state)
{
	struct fixture *f = *state;
	gh_id alice = mkuser(f, "alice");
	gh_id bob = mkuser(f, "bob");
	gh_id carol = mkuser(f, "carol");
	char buf[64];

	/* an inactive admin does not count */
	assert_int_equal(set_role(f, bob, GH_ROLE_ADMIN), GH_OK);
	assert_int_equal(set_active(f, bob, false), GH_OK);
	assert_string_equal(state_of(f, bob, buf, sizeof(buf)), "admin,1,0");
	assert_int_equal(set_role(f, alice, GH_ROLE_USER), GH_ERR_CONFLICT);
	assert_int_equal(gh_store_user_delete(f->s, alice), GH_ERR_CONFLICT);
	/* nor does a moderator */
	assert_int_equal(set_role(f, carol, GH_ROLE_MODERATOR), GH_OK);
	assert_int_equal(set_active(f, alice, false), GH_ERR_CONFLICT);
	/* bob active again: now alice may go, in each of the three ways */
	assert_int_equal(set_active(f, bob, true), GH_OK);
	assert_int_equal(set_role(f, alice, GH_ROLE_MODERATOR), GH_OK);
	assert_string_equal(
	    state_of(f, alice, buf, sizeof(buf)), "moderator,0,1");
	/* ... and bob is the last one now */
	assert_int_equal(set_active(f, bob, false), GH_ERR_CONFLICT);
	assert_int_equal(set_role(f, alice, GH_ROLE_ADMIN), GH_OK);
	assert_int_equal(set_active(f, alice, false), GH_OK);
	assert_int_equal(set_role(f, bob, GH_ROLE_USER), GH_ERR_CONFLICT);
	assert_int_equal(set_active(f, alice, true), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, alice), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, bob), GH_ERR_CONFLICT);
	/* an inactive admin can always be deleted or demoted */
	assert_int_equal(set_role(f, carol, GH_ROLE_ADMIN), GH_OK);
	assert_int_equal(set_active(f, carol, false), GH_OK);
	assert_int_equal(set_role(f, carol, GH_ROLE_USER), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, carol), GH_OK);
	assert_string_equal(state_of(f, bob, buf, sizeof(buf)), "admin,1,1");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM users WHERE "
	                                  "role = 'admin' AND is_active = 1"),
	    1);
}

/* A database with no active admin at all (a seed file without admins):
 * changes that remove none are not blocked by the rule. */
static void
test_no_admin_at_all(void **state)
{
	struct fixture *f = *state;
	gh_id alice = mkuser(f, "alice");
	gh_id bob = mkuser(f, "bob");

	sql_exec(f->path, "UPDATE users SET role = 'user', is_admin = 0");
	assert_int_equal(set_role(f, bob, GH_ROLE_MODERATOR), GH_OK);
	assert_int_equal(set_active(f, alice, false), GH_OK);
	assert_int_equal(gh_store_user_delete(f->s, alice), GH_OK);
	assert_int_equal(set_role(f, bob, GH_ROLE_ADMIN), GH_OK);
	assert_int_equal(set_role(f, bob, GH_ROLE_USER), GH_ERR_CONFLICT);
}

/* Two admins demote each other at the same moment, many times: the
 * check and the write are one transaction, so exactly one wins. */
struct race {
	struct gh_store *s;
	gh_id id;
	pthread_barrier_t *go;
	enum gh_err r;
};

static void *
race_demote(void *p)
{
	struct race *ra = p;
	struct gh_arena *a = gh_arena_new(1u << 16);
	enum gh_role role = GH_ROLE_USER;
	struct gh_user u;

	pthread_barrier_wait(ra->go);
	ra->r = gh_store_user_admin_update(ra->s, ra->id, &role, NULL, a, &u);
	gh_arena_free(a);
	return NULL;
}

static void
test_last_admin_race(void **state)
{
	struct fixture *f = *state;
	gh_id ids[2];
	pthread_barrier_t go;
	pthread_t th[2];
	struct race ra[2];
	int round, i, ok;

	ids[0] = mkuser(f, "alice");
	ids[1] = mkuser(f, "bob");
	for (round = 0; round < 20; round++) {
		assert_int_equal(set_role(f, ids[0], GH_ROLE_ADMIN), GH_OK);
		assert_int_equal(set_role(f, ids[1], GH_ROLE_ADMIN), GH_OK);
		pthread_barrier_init(&go, NULL, 2);
		for (i = 0; i < 2; i++) {
			ra[i] =
			    (struct race){f->s, ids[i], &go, GH_ERR_INTERNAL};
			assert_int_equal(
			    pthread_create(&th[i], NULL, race_demote, &ra[i]),
			    0);
		}
		for (i = 0, ok = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			if (ra[i].r == GH_OK)
				ok++;
			else
				assert_int_equal(ra[i].r, GH_ERR_CONFLICT);
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(ok, 1);
		assert_int_equal(
		    sql_int(f->path, "SELECT count(*) FROM users WHERE "
		                     "role = 'admin' AND is_active = 1"),
		    1);
	}
}

/* ---- delete ----------------------------------------------------------------
 */

static void
test_delete_cascades(void **state)
{
	static const char *const tables[] = {
	    "posts", "todos", "api_keys", "sessions", "refresh_tokens"};
	struct fixture *f = *state;
	gh_id alice = mkuser(f, "alice");
	gh_id bob = mkuser(f, "bob");
	struct gh_audit_entry e = {0};
	struct gh_post p;
	struct gh_user u;
	char sql[1024];
	gh_id bob_post;
	size_t i;

	assert_int_equal(
	    gh_store_post_create(f->s, bob, "mine", "body", T0, f->a, &p),
	    GH_OK);
	bob_post = p.id;
	assert_int_equal(
	    gh_store_post_create(f->s, alice, "hers", "body", T0, f->a, &p),
	    GH_OK);
	/* the other tables' rows, written directly: their store functions
	 * are another module's */
	for (i = 0; i < 2; i++) {
		gh_id uid = i == 0 ? alice : bob;

		snprintf(sql, sizeof(sql),
		    "INSERT INTO todos (user_id, title, completed, created_at)"
		    " VALUES (%lld, 't', 0, '2026-11-23 15:04:42.298731');"
		    "INSERT INTO api_keys (user_id, name, prefix, secret_hash,"
		    " created_at) VALUES (%lld, 'k', 'p%lld', x'00',"
		    " '2026-11-23 15:04:42.298731');"
		    "INSERT INTO sessions (user_id, created_at, last_used_at,"
		    " expires_at) VALUES (%lld, '2026-11-23 15:04:42.298731',"
		    " '2026-11-23 15:04:42.298731',"
		    " '2026-11-30 15:04:42.298731');"
		    "INSERT INTO refresh_tokens (session_id, token_hash,"
		    " created_at, expires_at) VALUES (last_insert_rowid(),"
		    " randomblob(32), '2026-11-23 15:04:42.298731',"
		    " '2026-11-30 15:04:42.298731');",
		    (long long)uid, (long long)uid, (long long)uid,
		    (long long)uid);
		sql_exec(f->path, sql);
	}
	e.at = T0;
	e.event = "login.success";
	e.user_id = bob;
	e.username = "bob";
	e.success = true;
	assert_int_equal(gh_store_audit_add(f->s, &e), GH_OK);
	flush_audit(f); /* queued rows are written when the log is read */

	assert_int_equal(gh_store_user_delete(f->s, bob), GH_OK);
	assert_int_equal(
	    gh_store_user_get(f->s, bob, f->a, &u), GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_store_post_get(f->s, bob_post, f->a, &p), GH_ERR_NOTFOUND);
	for (i = 0; i < GH_ARRAY_SIZE(tables); i++) {
		/* bob's rows are gone, alice's are all there */
		snprintf(
		    sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		if (sql_int(f->path, sql) != 1)
			fail_msg("%s: %lld rows left, want 1", tables[i],
			    (long long)sql_int(f->path, sql));
	}
	assert_int_equal(
	    sql_intf(f->path, "SELECT count(*) FROM posts WHERE user_id = %lld",
	        (long long)alice),
	    1);
	/* the audit log outlives the user */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log"), 1);
	assert_int_equal(
	    sql_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"),
	    0);
	/* the id is never handed out again */
	assert_true(mkuser(f, "bob") > bob);
}

/* ---- audit log -------------------------------------------------------------
 */

#define MAX_ROWS 64

struct audit_rows {
	struct {
		gh_id id, user_id, target;
		int64_t at;
		char event[32], username[32], ip[64], detail[64];
		bool null_username, null_ip, null_detail, success;
	} row[MAX_ROWS];
	size_t n;
	size_t stop_after; /* 0 = never */
};

static void
copy_or_null(char *dst, size_t sz, const char *src, bool *is_null)
{
	*is_null = src == NULL;
	snprintf(dst, sz, "%s", src != NULL ? src : "");
}

static enum gh_err
collect_audit(void *ctx, const struct gh_audit_entry *e)
{
	struct audit_rows *c = ctx;

	assert_true(c->n < MAX_ROWS);
	c->row[c->n].id = e->id;
	c->row[c->n].at = e->at;
	c->row[c->n].user_id = e->user_id;
	c->row[c->n].target = e->target_user_id;
	c->row[c->n].success = e->success;
	assert_non_null(e->event);
	snprintf(c->row[c->n].event, sizeof(c->row[0].event), "%s", e->event);
	copy_or_null(c->row[c->n].username, sizeof(c->row[0].username),
	    e->username, &c->row[c->n].null_username);
	copy_or_null(c->row[c->n].ip, sizeof(c->row[0].ip), e->ip,
	    &c->row[c->n].null_ip);
	copy_or_null(c->row[c->n].detail, sizeof(c->row[0].detail), e->detail,
	    &c->row[c->n].null_detail);
	c->n++;
	return c->stop_after != 0 && c->n == c->stop_after ? GH_ERR_TOOLARGE
	                                                   : GH_OK;
}

static void
test_audit_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct gh_audit_entry full = {
	    .at = T0,
	    .event = "user.update",
	    .user_id = 1,
	    .username = "alice",
	    .ip = "192.0.2.7",
	    .success = true,
	    .target_user_id = 2,
	    .detail = "role=moderator is_active=false",
	};
	struct gh_audit_entry bare = {
	    .at = T0 + 1,
	    .event = "login.failure",
	    .username = "who?",
	    .success = false,
	};
	struct gh_audit_entry empty_name = {
	    .at = T0 + 2,
	    .event = "login.failure",
	    .username = "",
	    .ip = "",
	};
	struct audit_rows c;
	char buf[64];

	assert_int_equal(gh_store_audit_add(f->s, &full), GH_OK);
	assert_int_equal(gh_store_audit_add(f->s, &bare), GH_OK);
	assert_int_equal(gh_store_audit_add(f->s, &empty_name), GH_OK);
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    gh_store_audit_list(f->s, 0, 100, 0, NULL, collect_audit, &c),
	    GH_OK);
	assert_int_equal(c.n, 3);
	/* newest first */
	assert_true(c.row[0].id > c.row[1].id && c.row[1].id > c.row[2].id);

	assert_int_equal(c.row[2].at, T0);
	assert_string_equal(c.row[2].event, "user.update");
	assert_int_equal(c.row[2].user_id, 1);
	assert_string_equal(c.row[2].username, "alice");
	assert_string_equal(c.row[2].ip, "192.0.2.7");
	assert_true(c.row[2].success);
	assert_int_equal(c.row[2].target, 2);
	assert_string_equal(c.row[2].detail, "role=moderator is_active=false");

	/* ids 0 and NULL strings are stored as NULL and read back so */
	assert_int_equal(c.row[1].at, T0 + 1);
	assert_string_equal(c.row[1].event, "login.failure");
	assert_int_equal(c.row[1].user_id, 0);
	assert_string_equal(c.row[1].username, "who?");
	assert_false(c.row[1].success);
	assert_int_equal(c.row[1].target, 0);
	assert_true(c.row[1].null_detail);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log "
	                                  "WHERE user_id IS NULL AND "
	                                  "target_user_id IS NULL AND "
	                                  "detail IS NULL"),
	    2);
	/* an empty attempted username is a value, not a NULL */
	assert_false(c.row[0].null_username);
	assert_string_equal(c.row[0].username, "");
	/* times are stored as SQLAlchemy writes them, outcome as text */
	snprintf(buf, sizeof(buf), "%lld",
	    (long long)sql_int(f->path, "SELECT count(*) FROM audit_log WHERE "
	                                "at = '2026-11-23 15:04:42.298731' "
	                                "AND outcome = 'success'"));
	assert_string_equal(buf, "1");
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log "
	                                  "WHERE outcome = 'failure'"),
	    2);
}

/* 30 entries: id k (1..30) by user 1 + k % 3, event "e<k % 2>". */
static void
fill_audit(struct fixture *f)
{
	static const char *const events[] = {"e0", "e1"};
	struct gh_audit_entry e = {0};
	int k;

	for (k = 1; k <= 30; k++) {
		e.at = T0 + k;
		e.event = events[k % 2];
		e.user_id = 1 + k % 3;
		e.ip = "127.0.0.1";
		e.success = true;
		assert_int_equal(gh_store_audit_add(f->s, &e), GH_OK);
	}
}

static void
test_audit_paging_and_filters(void **state)
{
	static const struct {
		gh_id before;
		int64_t limit;
		gh_id user;
		const char *event;
		const char *want; /* ids, comma-joined */
	} cases[] = {
	    {0, 3, 0, NULL, "30,29,28"},
	    {28, 3, 0, NULL, "27,26,25"},
	    {4, 10, 0, NULL, "3,2,1"},
	    {1, 10, 0, NULL, ""},
	    {1000, 2, 0, NULL, "30,29"},
	    {-1, 1, 0, NULL, "30"},
	    {0, 0, 0, NULL, ""},
	    {0, 5, 1, NULL, "30,27,24,21,18"},
	    {18, 3, 1, NULL, "15,12,9"},
	    {0, 4, 2, NULL, "28,25,22,19"},
	    {0, 5, 0, "e1", "29,27,25,23,21"},
	    {21, 3, 0, "e0", "20,18,16"},
	    {0, 100, 1, "e0", "30,24,18,12,6"},
	    {12, 100, 3, "e1", "11,5"},
	    {0, 100, 4, NULL, ""},
	    {0, 100, 0, "e2", ""},
	    {0, 100, 0, "", ""},
	    {0, 100, 0, "E1", ""},
	};
	struct fixture *f = *state;
	struct audit_rows c;
	char got[256];
	size_t i, k;

	fill_audit(f);
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(
		    gh_store_audit_list(f->s, cases[i].before, cases[i].limit,
		        cases[i].user, cases[i].event, collect_audit, &c),
		    GH_OK);
		got[0] = '\0';
		for (k = 0; k < c.n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%lld", k > 0 ? "," : "", (long long)c.row[k].id);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got,
			    cases[i].want);
	}
	/* a callback error stops the walk and is returned */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(
	    gh_store_audit_list(f->s, 0, 10, 0, NULL, collect_audit, &c),
	    GH_ERR_TOOLARGE);
	assert_int_equal(c.n, 2);
	/* and the statement is usable again afterwards */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    gh_store_audit_list(f->s, 0, -1, 0, NULL, collect_audit, &c),
	    GH_OK);
	assert_int_equal(c.n, 30);
}

/* Paging by the last id seen walks the whole log exactly once. */
static void
test_audit_walk(void **state)
{
	struct fixture *f = *state;
	struct audit_rows c;
	gh_id before = 0, expect = 30;
	size_t k, pages = 0;

	fill_audit(f);
	do {
		memset(&c, 0, sizeof(c));
		assert_int_equal(gh_store_audit_list(f->s, before, 7, 0, NULL,
		                     collect_audit, &c),
		    GH_OK);
		for (k = 0; k < c.n; k++)
			assert_int_equal(c.row[k].id, expect--);
		if (c.n > 0)
			before = c.row[c.n - 1].id;
		pages++;
	} while (c.n == 7);
	assert_int_equal(expect, 0);
	assert_int_equal(pages, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_update_role_and_active, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_update_notfound, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_last_admin_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_last_admin_with_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_no_admin_at_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_last_admin_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_cascades, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_audit_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_audit_paging_and_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
