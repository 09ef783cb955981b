/*
 * policy.c - the authorization rules of gatehouse, as data.
 *
 * Each action names the roles that may perform it on anyone's row; the
 * owner of a row may always perform the actions marked owner_ok.  The
 * seed's rule "the owner or an admin may change a post" is the row for
 * GH_ACT_POST_UPDATE; moderators may delete (not edit) any post.
 */
#include <string.h>

#include "policy/policy.h"
#include "util/banned.h"

static const char *const role_names[] = {"user", "moderator", "admin"};

struct rule {
	bool owner_ok;
	enum gh_role min_role; /* this role or higher acts on any row */
};

static const struct rule rules[] = {
    [GH_ACT_POST_UPDATE] = {true, GH_ROLE_ADMIN},
    [GH_ACT_POST_DELETE] = {true, GH_ROLE_MODERATOR},
};

const char *
gh_role_name(enum gh_role r)
{
	return (unsigned)r < GH_ARRAY_SIZE(role_names) ? role_names[r] : "user";
}

bool
gh_role_parse(const char *s, enum gh_role *out)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(role_names); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum gh_role)i;
			return true;
		}
	return false;
}

bool
gh_policy_role_allows(enum gh_role have, enum gh_role need)
{
	/* a role outside the enum is no role at all: fail closed */
	return (unsigned)have < GH_ARRAY_SIZE(role_names) && have >= need;
}

bool
gh_policy_allow(
    const struct gh_actor *actor, enum gh_action act, gh_id owner_id)
{
	const struct rule *r;

	if (actor == NULL || (unsigned)act >= GH_ARRAY_SIZE(rules))
		return false;
	r = &rules[act];
	if (r->owner_ok && actor->uid == owner_id)
		return true;
	return gh_policy_role_allows(actor->role, r->min_role);
}

static const char *const scope_names[] = {"read", "write", "admin"};

unsigned
gh_scope_parse(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(scope_names); i++)
		if (strlen(scope_names[i]) == len &&
		    memcmp(s, scope_names[i], len) == 0)
			return 1u << i;
	return 0;
}

const char *
gh_scope_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(scope_names); i++)
		if (bit == 1u << i)
			return scope_names[i];
	return NULL;
}

unsigned
gh_policy_scope_needed(bool safe_method, bool admin_route)
{
	if (admin_route)
		return GH_SCOPE_ADMIN;
	return safe_method ? GH_SCOPE_READ : GH_SCOPE_WRITE;
}
