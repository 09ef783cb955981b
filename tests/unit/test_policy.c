/*
 * test_policy.c - unit tests for policy/policy.c.
 *
 * The decision table is written out in full, one row per actor role x
 * ownership x action, so that a change to the rules shows up here as a
 * changed row rather than as a surprise in an HTTP test.  The rules:
 * the owner may update and delete their post; an admin may update and
 * delete anyone's; a moderator may delete (not update) anyone's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "gh.h"
#include "policy/policy.h"

#define OWNER_ID 7
#define OTHER_ID 8

static const struct {
	enum gh_role role;
	bool owner;
	enum gh_action act;
	bool allowed;
} decisions[] = {
    {GH_ROLE_USER, true, GH_ACT_POST_UPDATE, true},
    {GH_ROLE_USER, true, GH_ACT_POST_DELETE, true},
    {GH_ROLE_USER, false, GH_ACT_POST_UPDATE, false},
    {GH_ROLE_USER, false, GH_ACT_POST_DELETE, false},
    {GH_ROLE_MODERATOR, true, GH_ACT_POST_UPDATE, true},
    {GH_ROLE_MODERATOR, true, GH_ACT_POST_DELETE, true},
    {GH_ROLE_MODERATOR, false, GH_ACT_POST_UPDATE, false},
    {GH_ROLE_MODERATOR, false, GH_ACT_POST_DELETE, true},
    {GH_ROLE_ADMIN, true, GH_ACT_POST_UPDATE, true},
    {GH_ROLE_ADMIN, true, GH_ACT_POST_DELETE, true},
    {GH_ROLE_ADMIN, false, GH_ACT_POST_UPDATE, true},
    {GH_ROLE_ADMIN, false, GH_ACT_POST_DELETE, true},
};

static void
test_decision_table(void **state)
{
	struct gh_actor actor;
	size_t i;
	bool got;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(decisions); i++) {
		actor.uid = OWNER_ID;
		actor.role = decisions[i].role;
		got = gh_policy_allow(&actor, decisions[i].act,
		    decisions[i].owner ? OWNER_ID : OTHER_ID);
		if (got != decisions[i].allowed)
			fail_msg("row %zu: role %s owner %d act %d: got %d", i,
			    gh_role_name(decisions[i].role),
			    (int)decisions[i].owner, (int)decisions[i].act,
			    (int)got);
	}
}

/* The table above covers every role x ownership x action. */
static void
test_decision_table_complete(void **state)
{
	static const enum gh_role roles[] = {
	    GH_ROLE_USER, GH_ROLE_MODERATOR, GH_ROLE_ADMIN};
	static const enum gh_action acts[] = {
	    GH_ACT_POST_UPDATE, GH_ACT_POST_DELETE};
	size_t r, o, a, i, seen;

	(void)state;
	for (r = 0; r < GH_ARRAY_SIZE(roles); r++)
		for (o = 0; o < 2; o++)
			for (a = 0; a < GH_ARRAY_SIZE(acts); a++) {
				seen = 0;
				for (i = 0; i < GH_ARRAY_SIZE(decisions); i++)
					if (decisions[i].role == roles[r] &&
					    decisions[i].owner == (o == 1) &&
					    decisions[i].act == acts[a])
						seen++;
				assert_int_equal(seen, 1);
			}
}

/* Odd inputs fail closed. */
static void
test_allow_edge_cases(void **state)
{
	struct gh_actor user = {OWNER_ID, GH_ROLE_USER};
	struct gh_actor admin = {1, GH_ROLE_ADMIN};
	struct gh_actor zero = {0, GH_ROLE_USER};

	(void)state;
	assert_false(gh_policy_allow(NULL, GH_ACT_POST_UPDATE, OWNER_ID));
	assert_false(gh_policy_allow(NULL, GH_ACT_POST_DELETE, OWNER_ID));
	/* an action the table does not know, even for the owner or admin */
	assert_false(gh_policy_allow(&user, (enum gh_action)99, OWNER_ID));
	assert_false(gh_policy_allow(&admin, (enum gh_action)99, OWNER_ID));
	assert_false(gh_policy_allow(&admin, (enum gh_action) - 1, OWNER_ID));
	/* ownership is exact id equality */
	assert_false(gh_policy_allow(&user, GH_ACT_POST_UPDATE, -OWNER_ID));
	assert_false(
	    gh_policy_allow(&user, GH_ACT_POST_UPDATE, OWNER_ID + (1LL << 32)));
	assert_true(gh_policy_allow(&zero, GH_ACT_POST_UPDATE, 0));
	/* an actor whose role is outside the enum acts only as an owner */
	user.role = (enum gh_role) - 1;
	assert_false(gh_policy_allow(&user, GH_ACT_POST_DELETE, OTHER_ID));
	assert_true(gh_policy_allow(&user, GH_ACT_POST_DELETE, OWNER_ID));
}

static void
test_role_names(void **state)
{
	static const struct {
		enum gh_role role;
		const char *name;
	} names[] = {
	    {GH_ROLE_USER, "user"},
	    {GH_ROLE_MODERATOR, "moderator"},
	    {GH_ROLE_ADMIN, "admin"},
	};
	enum gh_role r;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(names); i++) {
		assert_string_equal(gh_role_name(names[i].role), names[i].name);
		r = (enum gh_role) - 1;
		assert_true(gh_role_parse(names[i].name, &r));
		assert_int_equal(r, names[i].role);
	}
	/* out of range names as the least privileged role */
	assert_string_equal(gh_role_name((enum gh_role)3), "user");
	assert_string_equal(gh_role_name((enum gh_role) - 1), "user");
}

static void
test_role_parse_rejects(void **state)
{
	static const char *const bad[] = {"", "Admin", "ADMIN", "admin ",
	    " admin", "admins", "adm", "root", "superuser", "mod", "Moderator",
	    "user\n", "0", "2"};
	enum gh_role r;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		r = GH_ROLE_MODERATOR;
		if (gh_role_parse(bad[i], &r))
			fail_msg("accepted role \"%s\"", bad[i]);
		assert_int_equal(r, GH_ROLE_MODERATOR); /* untouched */
	}
}

static void
test_role_allows_ordering(void **state)
{
	static const struct {
		enum gh_role have, need;
		bool ok;
	} cases[] = {
	    {GH_ROLE_USER, GH_ROLE_USER, true},
	    {GH_ROLE_USER, GH_ROLE_MODERATOR, false},
	    {GH_ROLE_USER, GH_ROLE_ADMIN, false},
	    {GH_ROLE_MODERATOR, GH_ROLE_USER, true},
	    {GH_ROLE_MODERATOR, GH_ROLE_MODERATOR, true},
	    {GH_ROLE_MODERATOR, GH_ROLE_ADMIN, false},
	    {GH_ROLE_ADMIN, GH_ROLE_USER, true},
	    {GH_ROLE_ADMIN, GH_ROLE_MODERATOR, true},
	    {GH_ROLE_ADMIN, GH_ROLE_ADMIN, true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++)
		if (gh_policy_role_allows(cases[i].have, cases[i].need) !=
		    cases[i].ok)
			fail_msg("have %s need %s", gh_role_name(cases[i].have),
			    gh_role_name(cases[i].need));
	/* a role outside the enum (a corrupt row) passes no guard, as
	 * gh_role_name() already treats it as the least privileged */
	assert_false(gh_policy_role_allows((enum gh_role)3, GH_ROLE_USER));
	assert_false(gh_policy_role_allows((enum gh_role) - 1, GH_ROLE_ADMIN));
}

/* API-key scopes: names both ways, and what a request needs. */
static void
test_scopes(void **state)
{
	(void)state;
	assert_int_equal(gh_scope_parse("read", 4), GH_SCOPE_READ);
	assert_int_equal(gh_scope_parse("write", 5), GH_SCOPE_WRITE);
	assert_int_equal(gh_scope_parse("admin", 5), GH_SCOPE_ADMIN);
	assert_int_equal(gh_scope_parse("READ", 4), 0);
	assert_int_equal(gh_scope_parse("rea", 3), 0);
	assert_int_equal(gh_scope_parse("readx", 5), 0);
	assert_string_equal(gh_scope_name(GH_SCOPE_WRITE), "write");
	assert_null(gh_scope_name(GH_SCOPE_READ | GH_SCOPE_WRITE));
	assert_null(gh_scope_name(0));
	assert_int_equal(gh_policy_scope_needed(true, false), GH_SCOPE_READ);
	assert_int_equal(gh_policy_scope_needed(false, false), GH_SCOPE_WRITE);
	assert_int_equal(gh_policy_scope_needed(true, true), GH_SCOPE_ADMIN);
	assert_int_equal(gh_policy_scope_needed(false, true), GH_SCOPE_ADMIN);
	assert_int_equal(
	    GH_SCOPE_ALL, GH_SCOPE_READ | GH_SCOPE_WRITE | GH_SCOPE_ADMIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decision_table),
	    cmocka_unit_test(test_decision_table_complete),
	    cmocka_unit_test(test_allow_edge_cases),
	    cmocka_unit_test(test_role_names),
	    cmocka_unit_test(test_role_parse_rejects),
	    cmocka_unit_test(test_role_allows_ordering),
	    cmocka_unit_test(test_scopes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
