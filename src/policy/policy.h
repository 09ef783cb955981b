/*
 * policy.h - who may do what: roles and ownership, decided in one place.
 *
 * Pure functions over an actor (the authenticated user as the request
 * sees it) and the facts of the target row.  No HTTP, no SQL: the
 * router calls gh_policy_role_allows() for a route's guard, and a
 * handler that has loaded a row calls gh_policy_allow() with its owner.
 */
#ifndef GH_POLICY_H
#define GH_POLICY_H

#include <stdbool.h>

#include "gh.h"

/*
 * What an API key may do, chosen when it is made: read (GET, HEAD),
 * write (every other method), admin (the admin-only routes; only an
 * admin's key can have it, and it adds nothing to the owner's role).
 * Bearer tokens and the console cookie carry every scope.
 */
#define GH_SCOPE_READ 1u
#define GH_SCOPE_WRITE 2u
#define GH_SCOPE_ADMIN 4u
#define GH_SCOPE_ALL 7u
#define GH_SCOPE_NAMES "read|write|admin" /* bit order */

struct gh_actor {
	gh_id uid;
	enum gh_role role;
	unsigned scopes; /* GH_SCOPE_*: all for a token, a key's own set */
};

/* "read" -> GH_SCOPE_READ; 0 for an unknown name. */
unsigned gh_scope_parse(const char *s, size_t len);

/* The name of one GH_SCOPE_ bit ("read"), NULL for none. */
const char *gh_scope_name(unsigned bit);

/*
 * The scope a request needs: admin for a route only admins may call
 * (need_role admin), else read for a safe method, write for any other.
 */
unsigned gh_policy_scope_needed(bool safe_method, bool admin_route);

enum gh_action {
	GH_ACT_POST_UPDATE, /* owner or admin */
	GH_ACT_POST_DELETE, /* owner, moderator or admin */
};

/* "user", "moderator", "admin". */
const char *gh_role_name(enum gh_role r);

/* Parse a role name; false when unknown. */
bool gh_role_parse(const char *s, enum gh_role *out);

/* True when an actor of role `have` passes a guard that requires `need`
 * (roles are ordered: user < moderator < admin). */
bool gh_policy_role_allows(enum gh_role have, enum gh_role need);

/* True when actor may perform act on a row owned by owner_id. */
bool gh_policy_allow(
    const struct gh_actor *actor, enum gh_action act, gh_id owner_id);

#endif /* GH_POLICY_H */
