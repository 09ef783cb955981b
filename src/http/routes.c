/*
 * routes.c - THE route table.
 *
 * Every route gatehouse serves is one row here: method, path, handler,
 * guard, body kind and summary.  The server authenticates and checks
 * the guard before the handler runs, so a handler never re-codes who
 * may call it.  Order matters only between a literal segment and a
 * capture at the same place: list the literal first.
 *
 * The same rows are /openapi.json (http/openapi.c): a new row is
 * documented as it is; its DOC() adds the tag, the body schema, query
 * parameters and the statuses its handler sends itself.
 */
#include "handlers/app.h"
#include "handlers/console.h"
#include "handlers/schemas.h"
#include "http/router.h"
#include "util/banned.h"

#define PUBLIC GH_GUARD_PUBLIC, GH_ROLE_USER, 0, NULL
#define USER GH_GUARD_USER, GH_ROLE_USER, 0, NULL
#define ADMIN(deny) GH_GUARD_ROLE, GH_ROLE_ADMIN, 0, deny
/* the owner of the row, or a role the policy names for this action */
#define OWNER(action, deny) GH_GUARD_OWNER, GH_ROLE_USER, action, deny
#define NOKEY GH_ROUTE_NO_APIKEY
#define HASHES GH_ROUTE_HASHES
#define THROTTLED GH_ROUTE_THROTTLED
#define NOSTORE GH_ROUTE_NO_STORE
#define HIDDEN GH_ROUTE_HIDDEN
#define COOKIE GH_ROUTE_COOKIE
/* a request body schema (handlers/schemas.h) */
#define S(name) (&gh_schemas[GH_SCHEMA_##name])

/*
 * What /openapi.json says beyond the columns above (router.h): the tag,
 * the request body's schema name (http/openapi.c), the query parameters
 * and the responses the handler itself sends ({status, schema, detail}).
 * The statuses the guard, body and flags imply are added by openapi.c.
 */
/* (clang-format would spread the compound literal over six lines) */
/* clang-format off */
#define DOC(tag, request, query, ...) \
	tag, request, query, (const struct gh_route_resp[]){__VA_ARGS__, {0}}
/* clang-format on */

/* The OAuth2 token endpoint's answers, for it and for its alias. */
/* clang-format off */
#define TOKEN_DOC \
	DOC("auth", S(TOKEN_REQUEST), NULL, {200, "Token"}, \
	    {400, "OAuthError", \
	        "refresh grant: invalid_grant (an unknown, expired, " \
	        "revoked or spent refresh token; a spent one also ends " \
	        "its session), invalid_request (refresh_token missing); " \
	        "unsupported_grant_type (neither password nor " \
	        "refresh_token)"}, \
	    {401, "HTTPError", \
	        "Incorrect username or password (password grant)"})
/* clang-format on */

static const struct gh_route_query page_query[] = {
    {"limit", false, 1, 1000, "at most this many rows; absent: all of them"},
    {"after_id", false, 0, INT64_MAX - 1, "only rows with a larger id"},
    {NULL},
};

static const struct gh_route_query audit_query[] = {
    {"limit", false, 1, 1000, "at most this many entries (default 100)"},
    {"before_id", false, 1, INT64_MAX - 1, "only entries older than this"},
    {"user_id", false, 1, INT64_MAX - 1, "only entries of this user"},
    {"event", true, 0, 0, "only entries of this event (login.failure, ...)"},
    {NULL},
};

const struct gh_route gh_routes[] = {
    {GH_GET, "/", h_meta_root, PUBLIC, GH_BODY_NONE, "Service banner", NOSTORE,
        DOC("meta", NULL, NULL, {200, "Message"})},
    {GH_GET, "/healthz", h_meta_healthz, PUBLIC, GH_BODY_NONE,
        "Liveness: the process answers", NOSTORE,
        DOC("meta", NULL, NULL, {200, "Status"})},
    {GH_GET, "/readyz", h_meta_readyz, PUBLIC, GH_BODY_NONE,
        "Readiness: the database answers", 0,
        DOC("meta", NULL, NULL, {200, "Status"},
            {503, "HTTPError", "Database unavailable"})},
    {GH_POST, "/auth/register", h_auth_register, PUBLIC, GH_BODY_JSON,
        "Register a user (the first one becomes admin)", HASHES,
        DOC("auth", S(USER_CREATE), NULL, {201, "UserResponse"},
            {409, "HTTPError", "Username or email already exists"})},
    {GH_POST, "/auth/token", h_auth_token, PUBLIC, GH_BODY_FORM,
        "OAuth2 token endpoint: the password grant (log in) or the "
        "refresh grant",
        HASHES | THROTTLED, TOKEN_DOC},
    {GH_POST, "/auth/login", h_auth_token, PUBLIC, GH_BODY_FORM,
        "Alias of POST /auth/token", HASHES | THROTTLED, TOKEN_DOC},
    {GH_POST, "/auth/refresh", h_auth_refresh, PUBLIC, GH_BODY_JSON,
        "Exchange a refresh token for a new token pair (rotation)", 0,
        DOC("auth", S(REFRESH_REQUEST), NULL, {200, "Token"},
            {401, "HTTPError",
                "Could not validate credentials (an unknown, expired or "
                "spent refresh token; a spent one also ends its "
                "session)"})},
    {GH_POST, "/auth/logout", h_auth_logout, USER, GH_BODY_NONE,
        "End the caller's session", NOKEY,
        DOC("auth", NULL, NULL, {204, NULL})},
    {GH_POST, "/auth/revoke", h_auth_revoke, PUBLIC, GH_BODY_FORM,
        "RFC 7009: revoke the session of an access or refresh token", 0,
        DOC("auth", S(REVOKE_REQUEST), NULL,
            {200, "Empty",
                "Always, whether or not the token named a session"})},
    {GH_GET, "/users/me/sessions", h_account_sessions, USER, GH_BODY_NONE,
        "The caller's live sessions", NOKEY | COOKIE,
        DOC("account", NULL, NULL, {200, "Session[]"})},
    {GH_DELETE, "/users/me/sessions/{session_id}", h_account_session_delete,
        USER, GH_BODY_NONE, "End one of the caller's sessions", NOKEY | COOKIE,
        DOC("account", NULL, NULL, {204, NULL},
            {404, "HTTPError", "Session not found"})},
    {GH_POST, "/users/me/password", h_account_password, USER, GH_BODY_JSON,
        "Change the password; every session ends", NOKEY | HASHES | COOKIE,
        DOC("account", S(PASSWORD_CHANGE), NULL, {204, NULL},
            {400, "HTTPError", "Incorrect password"})},
    {GH_POST, "/api-keys", h_apikeys_create, USER, GH_BODY_JSON,
        "Create an API key (the secret is shown once)", NOKEY | COOKIE,
        DOC("api-keys", S(APIKEY_CREATE), NULL, {201, "ApiKeyCreated"})},
    {GH_GET, "/api-keys", h_apikeys_list, USER, GH_BODY_NONE,
        "The caller's API keys", NOKEY | COOKIE,
        DOC("api-keys", NULL, NULL, {200, "ApiKey[]"})},
    {GH_DELETE, "/api-keys/{key_id}", h_apikeys_delete, USER, GH_BODY_NONE,
        "Revoke one of the caller's API keys", NOKEY | COOKIE,
        DOC("api-keys", NULL, NULL, {204, NULL},
            {404, "HTTPError", "API key not found"})},
    {GH_GET, "/users/me", h_users_me, USER, GH_BODY_NONE, "The current user",
        COOKIE, DOC("users", NULL, NULL, {200, "UserResponse"})},
    {GH_GET, "/me", h_users_me, USER, GH_BODY_NONE, "Alias of /users/me", 0,
        DOC("users", NULL, NULL, {200, "UserResponse"})},
    {GH_GET, "/admin/users", h_admin_users_list, ADMIN("Admin access required"),
        GH_BODY_NONE, "Every user, ordered by id (admin)", COOKIE,
        DOC("admin", NULL, NULL, {200, "UserResponse[]"})},
    {GH_POST, "/posts", h_posts_create, USER, GH_BODY_JSON,
        "Create a post owned by the caller", 0,
        DOC("posts", S(POST_CREATE), NULL, {201, "PostResponse"})},
    {GH_GET, "/posts", h_posts_list, PUBLIC, GH_BODY_NONE,
        "Posts ordered by id (streamed; ?limit=&after_id= pages)", 0,
        DOC("posts", NULL, page_query, {200, "PostResponse[]"})},
    {GH_PATCH, "/posts/{post_id}", h_posts_update,
        OWNER(GH_ACT_POST_UPDATE,
            "Only the owner or an admin can update this post"),
        GH_BODY_JSON, "Change a post (owner or admin)", 0,
        DOC("posts", S(POST_UPDATE), NULL, {200, "PostResponse"},
            {404, "HTTPError", "Post not found"}),
        .owner = h_posts_owner},
    {GH_DELETE, "/posts/{post_id}", h_posts_delete,
        OWNER(GH_ACT_POST_DELETE,
            "Only the owner or an admin can delete this post"),
        GH_BODY_NONE, "Delete a post (owner, moderator or admin)", 0,
        DOC("posts", NULL, NULL, {204, NULL},
            {404, "HTTPError", "Post not found"}),
        .owner = h_posts_owner},
    {GH_GET, "/todos", h_todos_list, USER, GH_BODY_NONE,
        "The caller's todos by id (?limit=&after_id= pages)", 0,
        DOC("todos", NULL, page_query, {200, "TodoResponse[]"})},
    {GH_POST, "/todos", h_todos_create, USER, GH_BODY_JSON, "Create a todo", 0,
        DOC("todos", S(TODO_CREATE), NULL, {201, "TodoResponse"})},
    {GH_GET, "/todos/{todo_id}", h_todos_get, USER, GH_BODY_NONE,
        "One of the caller's todos", 0,
        DOC("todos", NULL, NULL, {200, "TodoResponse"},
            {404, "HTTPError", "Todo not found"})},
    {GH_PATCH, "/todos/{todo_id}", h_todos_update, USER, GH_BODY_JSON,
        "Change one of the caller's todos", 0,
        DOC("todos", S(TODO_UPDATE), NULL, {200, "TodoResponse"},
            {404, "HTTPError", "Todo not found"})},
    /* seed 004's frontend updates with PUT, sending only what changed */
    {GH_PUT, "/todos/{todo_id}", h_todos_update, USER, GH_BODY_JSON,
        "Change one of the caller's todos (as PATCH: present fields change)", 0,
        DOC("todos", S(TODO_UPDATE), NULL, {200, "TodoResponse"},
            {404, "HTTPError", "Todo not found"})},
    {GH_DELETE, "/todos/{todo_id}", h_todos_delete, USER, GH_BODY_NONE,
        "Delete one of the caller's todos", 0,
        DOC("todos", NULL, NULL, {204, NULL},
            {404, "HTTPError", "Todo not found"})},
    {GH_PATCH, "/admin/users/{user_id}", h_admin_user_update, ADMIN(NULL),
        GH_BODY_JSON, "Change a user's role or active flag (admin)", COOKIE,
        DOC("admin", S(USER_ADMIN_UPDATE), NULL, {200, "UserResponse"},
            {404, "HTTPError", "User not found"},
            {409, "HTTPError", "Cannot remove the last active admin"})},
    {GH_DELETE, "/users/{user_id}", h_admin_user_delete, ADMIN(NULL),
        GH_BODY_NONE, "Delete a user and everything they own (admin)", COOKIE,
        DOC("admin", NULL, NULL, {204, NULL},
            {404, "HTTPError", "User not found"},
            {409, "HTTPError", "Cannot remove the last active admin"})},
    {GH_GET, "/admin/audit", h_admin_audit_list, ADMIN(NULL), GH_BODY_NONE,
        "The audit log, newest first (admin)", COOKIE,
        DOC("admin", NULL, audit_query, {200, "AuditEntry[]"})},
    {GH_GET, "/openapi.json", h_docs_openapi, PUBLIC, GH_BODY_NONE,
        "This API's OpenAPI 3.1 document, generated from the route table",
        NOSTORE, DOC("docs", NULL, NULL, {200, "OpenAPI"})},
    {GH_GET, "/docs", h_docs_page, PUBLIC, GH_BODY_NONE,
        "Swagger UI: read and try this API in a browser", NOSTORE,
        DOC("docs", NULL, NULL, {200, "HTMLPage"},
            {304, NULL, "Not Modified (If-None-Match)"})},
    {GH_GET, "/docs/static/{file}", h_docs_static, PUBLIC, GH_BODY_NONE,
        "The files of /docs (Swagger UI)", NOSTORE | HIDDEN},
    {GH_GET, "/account", h_console_page, PUBLIC, GH_BODY_NONE,
        "The account console (HTML)", NOSTORE | HIDDEN},
    {GH_POST, "/account/login", h_console_login, PUBLIC, GH_BODY_JSON,
        "Console sign-in: a session cookie and its CSRF token",
        HASHES | THROTTLED | COOKIE | HIDDEN},
    {GH_GET, "/account/session", h_console_session, USER, GH_BODY_NONE,
        "The console session's CSRF token and user", NOKEY | COOKIE | HIDDEN},
    {GH_POST, "/account/logout", h_console_logout, USER, GH_BODY_NONE,
        "Console sign-out: end the session, clear the cookie",
        NOKEY | COOKIE | HIDDEN},
    {GH_GET, "/account/{file}", h_console_asset, PUBLIC, GH_BODY_NONE,
        "The console's script and style sheet", NOSTORE | HIDDEN},
};

const size_t gh_routes_count = sizeof(gh_routes) / sizeof(gh_routes[0]);

const struct gh_route_tag gh_route_tags[] = {
    {"meta", "The service itself: banner, liveness, readiness"},
    {"auth", "Registration, OAuth2 login, token refresh and revocation"},
    {"account", "The caller's own sessions and password"},
    {"api-keys", "The caller's API keys (X-API-Key)"},
    {"users", "The current user"},
    {"admin", "User administration and the audit log (admins)"},
    {"posts", "Posts: anyone reads, the owner changes"},
    {"todos", "Each user's private todos"},
    {"docs", "This documentation: the OpenAPI document and Swagger UI"},
};

const size_t gh_route_tags_count =
    sizeof(gh_route_tags) / sizeof(gh_route_tags[0]);
