/*
 * routes.c - THE route table.
 *
 * Every route gatehouse serves is one row here: method, path, handler,
 * guard, body kind and summary.  The server authenticates and checks
 * the guard before the handler runs, so a handler never re-codes who
 * may call it.  Order matters only between a literal segment and a
 * capture at the same place: list the literal first.
 */
#include "handlers/app.h"
#include "http/router.h"
#include "util/banned.h"

#define PUBLIC GH_GUARD_PUBLIC, GH_ROLE_USER, NULL
#define USER GH_GUARD_USER, GH_ROLE_USER, NULL
#define ADMIN(deny) GH_GUARD_ROLE, GH_ROLE_ADMIN, deny

const struct gh_route gh_routes[] = {
    {GH_GET, "/", h_meta_root, PUBLIC, GH_BODY_NONE, "Service banner"},
    {GH_GET, "/healthz", h_meta_healthz, PUBLIC, GH_BODY_NONE,
        "Liveness: the process answers"},
    {GH_GET, "/readyz", h_meta_readyz, PUBLIC, GH_BODY_NONE,
        "Readiness: the database answers"},
    {GH_POST, "/auth/register", h_auth_register, PUBLIC, GH_BODY_JSON,
        "Register a user (the first one becomes admin)"},
    {GH_POST, "/auth/token", h_auth_token, PUBLIC, GH_BODY_FORM,
        "OAuth2 password grant: log in, get an access token"},
    {GH_POST, "/auth/login", h_auth_token, PUBLIC, GH_BODY_FORM,
        "Alias of POST /auth/token"},
    {GH_GET, "/users/me", h_users_me, USER, GH_BODY_NONE, "The current user"},
    {GH_GET, "/me", h_users_me, USER, GH_BODY_NONE, "Alias of /users/me"},
    {GH_GET, "/admin/users", h_admin_users_list, ADMIN("Admin access required"),
        GH_BODY_NONE, "Every user, ordered by id (admin)"},
    {GH_POST, "/posts", h_posts_create, USER, GH_BODY_JSON,
        "Create a post owned by the caller"},
    {GH_GET, "/posts", h_posts_list, PUBLIC, GH_BODY_NONE,
        "Posts ordered by id (streamed; ?limit=&after_id= pages)"},
    {GH_PATCH, "/posts/{post_id}", h_posts_update, USER, GH_BODY_JSON,
        "Change a post (owner or admin)"},
    {GH_DELETE, "/posts/{post_id}", h_posts_delete, USER, GH_BODY_NONE,
        "Delete a post (owner, moderator or admin)"},
};

const size_t gh_routes_count = sizeof(gh_routes) / sizeof(gh_routes[0]);
