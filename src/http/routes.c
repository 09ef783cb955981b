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

#define PUBLIC GH_GUARD_PUBLIC, GH_ROLE_USER, 0, NULL
#define USER GH_GUARD_USER, GH_ROLE_USER, 0, NULL
#define ADMIN(deny) GH_GUARD_ROLE, GH_ROLE_ADMIN, 0, deny
/* the owner of the row, or a role the policy names for this action */
#define OWNER(action, deny) GH_GUARD_OWNER, GH_ROLE_USER, action, deny
#define NOKEY GH_ROUTE_NO_APIKEY

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
    {GH_POST, "/auth/refresh", h_auth_refresh, PUBLIC, GH_BODY_JSON,
        "Exchange a refresh token for a new token pair (rotation)"},
    {GH_POST, "/auth/logout", h_auth_logout, USER, GH_BODY_NONE,
        "End the caller's session", NOKEY},
    {GH_POST, "/auth/revoke", h_auth_revoke, PUBLIC, GH_BODY_FORM,
        "RFC 7009: revoke the session of an access or refresh token"},
    {GH_GET, "/users/me/sessions", h_account_sessions, USER, GH_BODY_NONE,
        "The caller's live sessions", NOKEY},
    {GH_DELETE, "/users/me/sessions/{session_id}", h_account_session_delete,
        USER, GH_BODY_NONE, "End one of the caller's sessions", NOKEY},
    {GH_POST, "/users/me/password", h_account_password, USER, GH_BODY_JSON,
        "Change the password; every session ends", NOKEY},
    {GH_POST, "/api-keys", h_apikeys_create, USER, GH_BODY_JSON,
        "Create an API key (the secret is shown once)", NOKEY},
    {GH_GET, "/api-keys", h_apikeys_list, USER, GH_BODY_NONE,
        "The caller's API keys", NOKEY},
    {GH_DELETE, "/api-keys/{key_id}", h_apikeys_delete, USER, GH_BODY_NONE,
        "Revoke one of the caller's API keys", NOKEY},
    {GH_GET, "/users/me", h_users_me, USER, GH_BODY_NONE, "The current user"},
    {GH_GET, "/me", h_users_me, USER, GH_BODY_NONE, "Alias of /users/me"},
    {GH_GET, "/admin/users", h_admin_users_list, ADMIN("Admin access required"),
        GH_BODY_NONE, "Every user, ordered by id (admin)"},
    {GH_POST, "/posts", h_posts_create, USER, GH_BODY_JSON,
        "Create a post owned by the caller"},
    {GH_GET, "/posts", h_posts_list, PUBLIC, GH_BODY_NONE,
        "Posts ordered by id (streamed; ?limit=&after_id= pages)"},
    {GH_PATCH, "/posts/{post_id}", h_posts_update,
        OWNER(GH_ACT_POST_UPDATE,
            "Only the owner or an admin can update this post"),
        GH_BODY_JSON, "Change a post (owner or admin)"},
    {GH_DELETE, "/posts/{post_id}", h_posts_delete,
        OWNER(GH_ACT_POST_DELETE,
            "Only the owner or an admin can delete this post"),
        GH_BODY_NONE, "Delete a post (owner, moderator or admin)"},
    {GH_GET, "/todos", h_todos_list, USER, GH_BODY_NONE,
        "The caller's todos by id (?limit=&after_id= pages)"},
    {GH_POST, "/todos", h_todos_create, USER, GH_BODY_JSON, "Create a todo"},
    {GH_GET, "/todos/{todo_id}", h_todos_get, USER, GH_BODY_NONE,
        "One of the caller's todos"},
    {GH_PATCH, "/todos/{todo_id}", h_todos_update, USER, GH_BODY_JSON,
        "Change one of the caller's todos"},
    {GH_DELETE, "/todos/{todo_id}", h_todos_delete, USER, GH_BODY_NONE,
        "Delete one of the caller's todos"},
    {GH_PATCH, "/admin/users/{user_id}", h_admin_user_update, ADMIN(NULL),
        GH_BODY_JSON, "Change a user's role or active flag (admin)"},
    {GH_DELETE, "/users/{user_id}", h_admin_user_delete, ADMIN(NULL),
        GH_BODY_NONE, "Delete a user and everything they own (admin)"},
    {GH_GET, "/admin/audit", h_admin_audit_list, ADMIN(NULL), GH_BODY_NONE,
        "The audit log, newest first (admin)"},
};

const size_t gh_routes_count = sizeof(gh_routes) / sizeof(gh_routes[0]);
