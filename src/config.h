/*
 * config.h - gatehouse's settings: one table, four sources.
 *
 * Every setting is a row of the table in config.c (name, environment
 * variable, flag, type, bounds, default, whether it is SENSITIVE), as in
 * Redis's config.c.  Sources apply in the order: defaults, the .env file
 * of the working directory, the environment, command-line flags; a later
 * source wins.  The result is validated once and then never mutated:
 * every thread reads it without locks.
 */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gh.h"

struct gh_config {
	char *host;
	int64_t port;
	char *data_dir;
	char *database_url;
	char *secret_key; /* SENSITIVE; NULL until gh_secret_load() */
	char *algorithm;
	int64_t access_token_expire_minutes;
	int64_t refresh_token_expire_days;
	int64_t password_hash_memory_kib;
	int64_t password_hash_iterations;
	int64_t hash_workers; /* 0 = one per core */
	int64_t hash_queue_max;
	int64_t http_threads; /* 0 = max(2, cores) */
	int64_t max_connections;
	int64_t max_connections_per_ip; /* 0 = unlimited */
	int64_t request_timeout_seconds;
	int64_t idle_timeout_seconds;
	int64_t max_body_bytes;
	int64_t max_header_bytes;
	char *log_level;
	char *run_as_user;
	int64_t refresh_reuse_grace_seconds;
	int64_t auth_cache_entries, auth_cache_ttl_ms;
	int64_t login_max_failures;
	int64_t login_max_failures_per_address;
	int64_t login_window_seconds;
	int64_t register_max_per_address, register_window_seconds;
	int64_t api_key_max_days;
	int64_t session_max_days;
	int64_t unsafe_sqlite_sync_normal;
	int64_t db_pool_size; /* 0 = HTTP threads + 2 */
	int64_t db_pool_timeout_ms, db_statement_timeout_ms;
	char *trusted_proxies; /* comma list of addresses */
	char *cors_origins;    /* comma list; empty = CORS off */

	/* Derived by gh_config_finish(): */
	char *db_path;     /* SQLite file path from DATABASE_URL, or NULL */
	char *pg_conninfo; /* PostgreSQL: DATABASE_URL as libpq takes it */
};

/* What main() should do after parsing the command line. */
enum gh_config_action {
	GH_CONFIG_SERVE = 0,
	GH_CONFIG_CHECK,   /* --check-config */
	GH_CONFIG_PRINT,   /* --print-config */
	GH_CONFIG_HELP,    /* --help */
	GH_CONFIG_OPENAPI, /* --print-openapi */
	GH_CONFIG_VERSION  /* --version */
};

/*
 * Build the configuration from defaults, ./.env (if present), the
 * environment and argv.  On error writes a one-line reason into err and
 * returns GH_ERR_INVALID.  The caller frees cfg with gh_config_release().
 */
enum gh_err gh_config_load(struct gh_config *cfg, int argc, char **argv,
    enum gh_config_action *action, char *err, size_t errsz);

/*
 * Apply one NAME=VALUE setting by its environment name (used by the .env
 * reader and the tests).  GH_ERR_NOTFOUND for an unknown name,
 * GH_ERR_INVALID for a bad value (reason in err).
 */
enum gh_err gh_config_set(struct gh_config *cfg, const char *env_name,
    const char *value, char *err, size_t errsz);

/* Set every setting to its default. */
void gh_config_defaults(struct gh_config *cfg);

/*
 * Parse a .env buffer: lines of NAME=VALUE, optional "export ", '#'
 * comments, values optionally in single or double quotes.  Calls fn for
 * each assignment; a malformed line is GH_ERR_INVALID with its line
 * number in err.  Pure; fuzzed.
 */
enum gh_err gh_config_parse_dotenv(const char *buf, size_t len,
    enum gh_err (*fn)(void *ctx, const char *name, const char *value, char *err,
        size_t errsz),
    void *ctx, char *err, size_t errsz);

/*
 * Derive and check cross-field rules (DATABASE_URL scheme and path,
 * algorithm).  GH_ERR_INVALID with a reason in err.
 */
enum gh_err gh_config_finish(struct gh_config *cfg, char *err, size_t errsz);

/* Print every setting as NAME=value, SENSITIVE ones as "<redacted>". */
void gh_config_print(const struct gh_config *cfg, FILE *fp);

/* Print --help text. */
void gh_config_usage(FILE *fp);

/* Free the strings of cfg (wiping the secret). */
void gh_config_release(struct gh_config *cfg);

#endif /* GH_CONFIG_H */
