/*
 * schemas.c - every body gatehouse reads or writes, as one table
 * (http/schema.h): the server validates request bodies against it before
 * a handler runs, and /openapi.json describes both kinds from it.  The
 * limits written here are the handlers' limits, defined nowhere else;
 * tests/http/test_openapi.py probes them from outside.
 *
 * Request schemas come first, at the indexes schemas.h names, so that
 * route rows can point at them.
 */
#include "handlers/schemas.h"
#include "policy/policy.h"
#include "util/validate.h"
#include "util/banned.h"

/* ---- request bodies ----------------------------------------------------- */

static const struct gh_field user_create_fields[] = {
    {"username", GH_F_STR, GH_F_REQ | GH_F_USERNAME, 1, GH_USERNAME_MAX,
        .description = "RFC 8265 (UsernameCasePreserved): letters and "
                       "digits of any script and printable ASCII, no "
                       "spaces, in NFC; unique regardless of case"},
    {"email", GH_F_EMAIL, GH_F_REQ, 0, GH_EMAIL_MAX,
        .description = "a syntactically valid address; unique, compared "
                       "case-insensitively"},
    {"password", GH_F_PASSWORD, GH_F_REQ, GH_PASSWORD_MIN, GH_PASSWORD_MAX},
    {NULL},
};

static const struct gh_field token_request_fields[] = {
    {"grant_type", GH_F_ENUM, 0, .extra = "password|refresh_token",
        .description = "absent means password"},
    {"username", GH_F_STR, 0, 1, 0},
    {"password", GH_F_PASSWORD, 0, 1, 0},
    {"scope", GH_F_STR, 0, .description = "accepted and ignored",
        .def = "\"\""},
    {"client_id", GH_F_STR, 0, .description = "accepted and ignored"},
    {"client_secret", GH_F_PASSWORD, 0, .description = "accepted and ignored"},
    {"refresh_token", GH_F_STR, 0, 1, 0,
        .description = "grant_type=refresh_token: the refresh token to "
                       "rotate"},
    {NULL},
};

static const struct gh_field refresh_request_fields[] = {
    {"refresh_token", GH_F_STR, GH_F_REQ},
    {NULL},
};

static const struct gh_field revoke_request_fields[] = {
    {"token", GH_F_STR, GH_F_REQ, 1, 0,
        .description = "an access or refresh token; its whole session "
                       "ends"},
    {"token_type_hint", GH_F_STR, 0, .description = "accepted and ignored"},
    {NULL},
};

static const struct gh_field password_change_fields[] = {
    {"current_password", GH_F_PASSWORD, GH_F_REQ},
    {"new_password", GH_F_PASSWORD, GH_F_REQ, GH_PASSWORD_MIN, GH_PASSWORD_MAX},
    {"keep_api_keys", GH_F_BOOL, 0,
        .description = "true: the caller's API keys survive the change "
                       "(by default they are revoked with every session)",
        .def = "false"},
    {NULL},
};

static const struct gh_field apikey_create_fields[] = {
    {"name", GH_F_STR, GH_F_REQ, 1, GH_APIKEY_NAME_MAX},
    {"expires_in_days", GH_F_INT, 0, 1, GH_APIKEY_DAYS_MAX,
        .description = "absent: API_KEY_MAX_DAYS (365 by default); never "
                       "more than that"},
    {"scopes", GH_F_ENUMS, 0, 1, 0, GH_SCOPE_NAMES,
        .description = "what the key may do: read (GET), write (other "
                       "methods), admin (admin-only routes; admins' keys "
                       "only). Absent: every scope its owner can give"},
    {NULL},
};

static const struct gh_field post_create_fields[] = {
    {"title", GH_F_STR, GH_F_REQ, 1, GH_POST_TITLE_MAX},
    {"content", GH_F_STR, GH_F_REQ, 1, 0},
    {NULL},
};

static const struct gh_field post_update_fields[] = {
    {"title", GH_F_STR, 0, 1, GH_POST_TITLE_MAX,
        .description = "unchanged when absent"},
    {"content", GH_F_STR, 0, 1, 0, .description = "unchanged when absent"},
    {NULL},
};

static const struct gh_field todo_create_fields[] = {
    {"title", GH_F_STR, GH_F_REQ, 1, GH_TODO_TITLE_MAX},
    {"completed", GH_F_BOOL, 0, .def = "false"},
    {NULL},
};

static const struct gh_field todo_update_fields[] = {
    {"title", GH_F_STR, 0, 1, GH_TODO_TITLE_MAX,
        .description = "unchanged when absent"},
    {"completed", GH_F_BOOL, 0, .description = "unchanged when absent"},
    {NULL},
};

static const struct gh_field user_admin_update_fields[] = {
    {"role", GH_F_ENUM, 0, .extra = "user|moderator|admin",
        .description = "unchanged when absent"},
    {"is_active", GH_F_BOOL, 0,
        .description = "false ends every session of the user at once"},
    {NULL},
};

/* ---- response bodies ---------------------------------------------------- */

static const struct gh_field message_fields[] = {
    {"message", GH_F_STR, GH_F_REQ},
    {NULL},
};

static const struct gh_field status_fields[] = {
    {"status", GH_F_STR, GH_F_REQ},
    {NULL},
};

static const struct gh_field http_error_fields[] = {
    {"detail", GH_F_STR, GH_F_REQ},
    {NULL},
};

static const struct gh_field oauth_error_fields[] = {
    {"error", GH_F_ENUM, GH_F_REQ,
        .extra = "invalid_request|invalid_grant|unsupported_grant_type"},
    {"error_description", GH_F_STR, GH_F_REQ},
    {NULL},
};

static const struct gh_field validation_error_fields[] = {
    {"loc", GH_F_RAW, GH_F_REQ,
        .extra = "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":"
                 "\"string\"},{\"type\":\"integer\"}]}}",
        .description = "where: body, query, path or header, then the field "
                       "name or the byte offset"},
    {"msg", GH_F_STR, GH_F_REQ},
    {"type", GH_F_STR, GH_F_REQ},
    {"ctx", GH_F_RAW, 0, .extra = "{\"type\":\"object\"}"},
    {NULL},
};

static const struct gh_field http_validation_error_fields[] = {
    {"detail", GH_F_REFS, GH_F_REQ, .extra = "ValidationError"},
    {NULL},
};

static const struct gh_field user_response_fields[] = {
    {"id", GH_F_INT, GH_F_REQ},
    {"username", GH_F_STR, GH_F_REQ},
    {"email", GH_F_EMAIL, GH_F_REQ},
    {"is_admin", GH_F_BOOL, GH_F_REQ, .description = "role is admin"},
    {"role", GH_F_ENUM, GH_F_REQ, .extra = "user|moderator|admin"},
    {"is_active", GH_F_BOOL, GH_F_REQ},
    {"created_at", GH_F_TIME, GH_F_REQ},
    {NULL},
};

static const struct gh_field post_response_fields[] = {
    {"id", GH_F_INT, GH_F_REQ},
    {"title", GH_F_STR, GH_F_REQ},
    {"content", GH_F_STR, GH_F_REQ},
    {"user_id", GH_F_INT, GH_F_REQ},
    {"date_posted", GH_F_TIME, GH_F_REQ},
    {NULL},
};

static const struct gh_field token_fields[] = {
    {"access_token", GH_F_STR, GH_F_REQ, .description = "a JWT, HS256"},
    {"token_type", GH_F_ENUM, GH_F_REQ, .extra = "bearer"},
    {"expires_in", GH_F_INT, GH_F_REQ,
        .description = "seconds the access token is valid"},
    {"refresh_token", GH_F_STR, GH_F_REQ,
        .description = "opaque; spent by its first use (rotation)"},
    {NULL},
};

static const struct gh_field todo_response_fields[] = {
    {"id", GH_F_INT, GH_F_REQ},
    {"title", GH_F_STR, GH_F_REQ},
    {"completed", GH_F_BOOL, GH_F_REQ},
    {"user_id", GH_F_INT, GH_F_REQ},
    {"created_at", GH_F_TIME, GH_F_REQ},
    {NULL},
};

static const struct gh_field session_fields[] = {
    {"id", GH_F_INT, GH_F_REQ},
    {"created_at", GH_F_TIME, GH_F_REQ},
    {"last_used_at", GH_F_TIME, GH_F_REQ | GH_F_NULLABLE},
    {"user_agent", GH_F_STR, GH_F_REQ},
    {"ip", GH_F_STR, GH_F_REQ},
    {"current", GH_F_BOOL, GH_F_REQ,
        .description = "the session of the token making this request"},
    {NULL},
};

#define APIKEY_FIELDS                                                          \
	{"id", GH_F_INT, GH_F_REQ}, {"name", GH_F_STR, GH_F_REQ},              \
	    {"prefix", GH_F_STR, GH_F_REQ,                                     \
	        .description = "the public part of the key, to recognise "     \
	                       "it"},                                          \
	    {"created_at", GH_F_TIME, GH_F_REQ},                               \
	    {"expires_at", GH_F_TIME, GH_F_REQ | GH_F_NULLABLE},               \
	    {"scopes", GH_F_ENUMS, GH_F_REQ, 0, 0, GH_SCOPE_NAMES},            \
	{                                                                      \
		"last_used_at", GH_F_TIME, GH_F_REQ | GH_F_NULLABLE            \
	}

static const struct gh_field apikey_fields[] = {
    APIKEY_FIELDS,
    {NULL},
};

static const struct gh_field apikey_created_fields[] = {
    APIKEY_FIELDS,
    {"key", GH_F_PASSWORD, GH_F_REQ,
        .description = "the secret to send as X-API-Key; shown only in "
                       "this response"},
    {NULL},
};

static const struct gh_field audit_entry_fields[] = {
    {"id", GH_F_INT, GH_F_REQ},
    {"at", GH_F_TIME, GH_F_REQ},
    {"event", GH_F_STR, GH_F_REQ,
        .description = "login.success, token.refresh, "
                       "user.update, ..."},
    {"user_id", GH_F_INT, GH_F_REQ | GH_F_NULLABLE, .description = "who acted"},
    {"username", GH_F_STR, GH_F_REQ | GH_F_NULLABLE,
        .description = "who acted, or the name a failed login tried"},
    {"ip", GH_F_STR, GH_F_REQ | GH_F_NULLABLE},
    {"outcome", GH_F_ENUM, GH_F_REQ, .extra = "success|failure"},
    {"target_user_id", GH_F_INT, GH_F_REQ | GH_F_NULLABLE},
    {"detail", GH_F_STR, GH_F_REQ | GH_F_NULLABLE},
    {NULL},
};

const struct gh_schema gh_schemas[] = {
    [GH_SCHEMA_USER_CREATE] = {"UserCreate", "Registration",
        user_create_fields},
    [GH_SCHEMA_TOKEN_REQUEST] = {"TokenRequest",
        "OAuth2 token request (RFC 6749 4.3 and 6): the password grant "
        "by default, or grant_type=refresh_token",
        token_request_fields,
        "{\"if\":{\"properties\":{\"grant_type\":{\"const\":"
        "\"refresh_token\"}},\"required\":[\"grant_type\"]},"
        "\"then\":{\"properties\":{\"refresh_token\":true},"
        "\"required\":[\"refresh_token\"]},"
        "\"else\":{\"properties\":{\"username\":true,\"password\":true},"
        "\"required\":[\"username\",\"password\"]}}"},
    [GH_SCHEMA_REFRESH_REQUEST] = {"RefreshRequest", NULL,
        refresh_request_fields},
    [GH_SCHEMA_REVOKE_REQUEST] = {"RevokeRequest", "RFC 7009 token revocation",
        revoke_request_fields},
    [GH_SCHEMA_PASSWORD_CHANGE] = {"PasswordChange", NULL,
        password_change_fields},
    [GH_SCHEMA_APIKEY_CREATE] = {"ApiKeyCreate", NULL, apikey_create_fields},
    [GH_SCHEMA_POST_CREATE] = {"PostCreate", NULL, post_create_fields},
    [GH_SCHEMA_POST_UPDATE] = {"PostUpdate",
        "Only the fields present change; null is refused", post_update_fields},
    [GH_SCHEMA_TODO_CREATE] = {"TodoCreate", NULL, todo_create_fields},
    [GH_SCHEMA_TODO_UPDATE] = {"TodoUpdate",
        "Only the fields present change; null is refused", todo_update_fields},
    [GH_SCHEMA_USER_ADMIN_UPDATE] = {"UserAdminUpdate",
        "Only the fields present change; null is refused",
        user_admin_update_fields},
    {"Message", NULL, message_fields},
    {"Status", NULL, status_fields},
    {"HTTPError", "A single failure", http_error_fields},
    {"OAuthError", "OAuth2 token endpoint error (RFC 6749 5.2)",
        oauth_error_fields},
    {"ValidationError", NULL, validation_error_fields},
    {"HTTPValidationError", "Request validation failures, shaped as FastAPI's",
        http_validation_error_fields},
    {"UserResponse", NULL, user_response_fields},
    {"PostResponse", NULL, post_response_fields},
    {"Token", "OAuth2 access token response (RFC 6749 5.1)", token_fields},
    {"TodoResponse", NULL, todo_response_fields},
    {"Session", NULL, session_fields},
    {"ApiKey", NULL, apikey_fields},
    {"ApiKeyCreated", NULL, apikey_created_fields},
    {"AuditEntry", NULL, audit_entry_fields},
    {"Empty", "An empty object", NULL, "{\"type\":\"object\"}"},
    {"OpenAPI", "An OpenAPI 3.1 document", NULL, "{\"type\":\"object\"}"},
    {"HTMLPage", NULL, NULL, "{\"type\":\"string\"}",
        "text/html; charset=utf-8"},
};

const size_t gh_schemas_count = sizeof(gh_schemas) / sizeof(gh_schemas[0]);
