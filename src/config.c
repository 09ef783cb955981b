/*
 * config.c - the settings table and its four sources.
 *
 * One row per setting: environment name (the seeds' names where they
 * have one), optional long flag, type, bounds, default, SENSITIVE flag,
 * and the field's offset in struct gh_config.  Adding a setting is one
 * row plus one struct field.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "util/netaddr.h"
#include "util/validate.h"
#include "util/banned.h"

enum cfg_type { T_STR, T_INT };

#define SENSITIVE 1

struct cfg_row {
	const char *env;
	const char *flag; /* long option name, or NULL */
	enum cfg_type type;
	size_t off;
	int64_t lo, hi;
	const char *def; /* default, as text; NULL = unset */
	int flags;
	const char *help;
};

#define OFF(f) offsetof(struct gh_config, f)

static const struct cfg_row rows[] = {
    {"HOST", "host", T_STR, OFF(host), 0, 0, "127.0.0.1", 0,
        "address to listen on"},
    {"PORT", "port", T_INT, OFF(port), 0, 65535, "8000", 0,
        "TCP port (0 = any free port)"},
    {"DATA_DIR", "data-dir", T_STR, OFF(data_dir), 0, 0, "data", 0,
        "folder for the SQLite file and the generated secret key"},
    {"DATABASE_URL", "database-url", T_STR, OFF(database_url), 0, 0, NULL,
        SENSITIVE,
        "sqlite:///relative.db, sqlite:////absolute.db, "
        "postgresql://user:pass@host:port/db or a libpq key=value string"},
    {"DB_POOL_SIZE", NULL, T_INT, OFF(db_pool_size), 0, 1000, "0", 0,
        "PostgreSQL connections per instance (0 = HTTP threads + 2)"},
    {"DB_POOL_TIMEOUT_MS", NULL, T_INT, OFF(db_pool_timeout_ms), 1, 600000,
        "2000", 0,
        "wait this long for a free PostgreSQL connection (503 after)"},
    {"DB_STATEMENT_TIMEOUT_MS", NULL, T_INT, OFF(db_statement_timeout_ms), 0,
        3600000, "5000", 0,
        "PostgreSQL statement_timeout of gatehouse's connections (0 = none)"},
    {"SECRET_KEY", NULL, T_STR, OFF(secret_key), 0, 0, NULL, SENSITIVE,
        "HS256 signing key (generated into DATA_DIR/secret_key if unset)"},
    {"ALGORITHM", NULL, T_STR, OFF(algorithm), 0, 0, "HS256", 0,
        "JWT signing algorithm (HS256)"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", NULL, T_INT,
        OFF(access_token_expire_minutes), 1, 525600, "30", 0,
        "access token lifetime"},
    {"REFRESH_TOKEN_EXPIRE_DAYS", NULL, T_INT, OFF(refresh_token_expire_days),
        1, 3650, "7", 0, "refresh token lifetime"},
    {"PASSWORD_HASH_MEMORY_KIB", NULL, T_INT, OFF(password_hash_memory_kib), 8,
        4194304, "19456", 0, "argon2id memory cost m in KiB"},
    {"PASSWORD_HASH_ITERATIONS", NULL, T_INT, OFF(password_hash_iterations), 1,
        100, "2", 0, "argon2id time cost t"},
    {"HASH_WORKERS", NULL, T_INT, OFF(hash_workers), 0, 256, "0", 0,
        "password hashing threads (0 = one per core)"},
    {"HASH_QUEUE_MAX", NULL, T_INT, OFF(hash_queue_max), 1, 1000000, "256", 0,
        "hashing jobs waiting before 503"},
    {"HTTP_THREADS", NULL, T_INT, OFF(http_threads), 0, 256, "0", 0,
        "HTTP threads (0 = max(2, cores))"},
    {"MAX_CONNECTIONS", NULL, T_INT, OFF(max_connections), 16, 1000000, "10000",
        0, "open connections at most"},
    {"MAX_CONNECTIONS_PER_IP", NULL, T_INT, OFF(max_connections_per_ip), 0,
        1000000, "0", 0, "open connections per client address (0 = no limit)"},
    {"REQUEST_TIMEOUT_SECONDS", NULL, T_INT, OFF(request_timeout_seconds), 1,
        3600, "30", 0, "time allowed to receive one request"},
    {"IDLE_TIMEOUT_SECONDS", NULL, T_INT, OFF(idle_timeout_seconds), 1, 86400,
        "60", 0, "keep-alive connection idle time"},
    {"MAX_BODY_BYTES", NULL, T_INT, OFF(max_body_bytes), 1024, 67108864,
        "1048576", 0, "largest request body (413 above)"},
    {"MAX_HEADER_BYTES", NULL, T_INT, OFF(max_header_bytes), 1024, 65536,
        "8192", 0, "largest request header block (431 above)"},
    {"LOG_LEVEL", "log-level", T_STR, OFF(log_level), 0, 0, "info", 0,
        "debug, info, warn or error"},
    {"REFRESH_REUSE_GRACE_SECONDS", NULL, T_INT,
        OFF(refresh_reuse_grace_seconds), 0, 3600, "0", 0,
        "a spent refresh token may be retried this long without revoking"},
    {"AUTH_CACHE_ENTRIES", NULL, T_INT, OFF(auth_cache_entries), 0, 1048576,
        "4096", 0, "users/sessions each HTTP thread caches (0 = off)"},
    {"AUTH_CACHE_TTL_MS", NULL, T_INT, OFF(auth_cache_ttl_ms), 1, 3600000,
        "1000", 0,
        "cache entry lifetime: how late a write by another process is seen"},
    {"LOGIN_MAX_FAILURES", NULL, T_INT, OFF(login_max_failures), 1, 1000000,
        "5", 0, "failed logins per username before 429"},
    {"LOGIN_MAX_FAILURES_PER_ADDRESS", NULL, T_INT,
        OFF(login_max_failures_per_address), 1, 1000000, "100", 0,
        "failed logins per client address before 429"},
    {"LOGIN_WINDOW_SECONDS", NULL, T_INT, OFF(login_window_seconds), 1, 86400,
        "900", 0, "failed logins are counted over this window"},
    {"REGISTER_MAX_PER_ADDRESS", NULL, T_INT, OFF(register_max_per_address), 1,
        1000000, "1000", 0,
        "registrations per client address (an IPv6 /64) per window, "
        "before 429"},
    {"REGISTER_WINDOW_SECONDS", NULL, T_INT, OFF(register_window_seconds), 1,
        86400, "3600", 0, "registrations are counted over this window"},
    {"UNSAFE_SQLITE_SYNC_NORMAL", NULL, T_INT, OFF(unsafe_sqlite_sync_normal),
        0, 1, "0", 0,
        "1: do not fsync each commit (faster writes; a power cut may undo "
        "answered writes, revocations included). Unsafe"},
    {"SESSION_MAX_DAYS", NULL, T_INT, OFF(session_max_days), 1, 3650, "30", 0,
        "a session (its refresh tokens, its console cookie) ends this long "
        "after its login, however often it is refreshed"},
    {"API_KEY_MAX_DAYS", NULL, T_INT, OFF(api_key_max_days), 1, 3650, "365", 0,
        "the longest an API key lives (and how long one made without "
        "expires_in_days does)"},
    {"TRUSTED_PROXIES", NULL, T_STR, OFF(trusted_proxies), 0, 0, "", 0,
        "proxies (addresses or networks, comma list) whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed"},
    {"CORS_ORIGINS", NULL, T_STR, OFF(cors_origins), 0, 0, "", 0,
        "allowed browser origins (comma list, * for any; empty = off)"},
    {"RUN_AS_USER", NULL, T_STR, OFF(run_as_user), 0, 0, NULL, 0,
        "when started as root, switch to this user"},
};

static char **
str_field(struct gh_config *cfg, const struct cfg_row *r)
{
	return (char **)(void *)((char *)cfg + r->off);
}

static int64_t *
int_field(struct gh_config *cfg, const struct cfg_row *r)
{
	return (int64_t *)(void *)((char *)cfg + r->off);
}

static enum gh_err
apply(struct gh_config *cfg, const struct cfg_row *r, const char *value,
    char *err, size_t errsz)
{
	int64_t v;
	char **sp;

	if (r->type == T_INT) {
		if (gh_parse_int_range(value, r->lo, r->hi, &v) != GH_OK) {
			snprintf(err, errsz,
			    "%s must be an integer in %lld..%lld", r->env,
			    (long long)r->lo, (long long)r->hi);
			return GH_ERR_INVALID;
		}
		*int_field(cfg, r) = v;
		return GH_OK;
	}
	sp = str_field(cfg, r);
	if (*sp != NULL) {
		sodium_memzero(*sp, strlen(*sp));
		free(*sp);
	}
	*sp = gh_xstrdup(value);
	return GH_OK;
}

void
gh_config_defaults(struct gh_config *cfg)
{
	size_t i;
	char err[128];

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < GH_ARRAY_SIZE(rows); i++)
		if (rows[i].def != NULL && apply(cfg, &rows[i], rows[i].def,
		                               err, sizeof(err)) != GH_OK)
			abort(); /* a default outside its own bounds is a bug */
}

enum gh_err
gh_config_set(struct gh_config *cfg, const char *env_name, const char *value,
    char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(rows); i++)
		if (strcmp(rows[i].env, env_name) == 0)
			return apply(cfg, &rows[i], value, err, errsz);
	return GH_ERR_NOTFOUND;
}

enum gh_err
gh_config_parse_dotenv(const char *buf, size_t len,
    enum gh_err (*fn)(void *, const char *, const char *, char *, size_t),
    void *ctx, char *err, size_t errsz)
{
	enum gh_err r = GH_OK;
	size_t pos = 0, lineno = 0, eol, n, vlen;
	char line[4096], *name, *eq, *val, *end;
	const char *rest;

	while (pos < len) {
		lineno++;
		for (eol = pos; eol < len && buf[eol] != '\n'; eol++)
			;
		n = eol - pos;
		if (n >= sizeof(line) || memchr(buf + pos, '\0', n) != NULL) {
			snprintf(err, errsz, ".env line %zu: too long or NUL",
			    lineno);
			r = GH_ERR_INVALID;
			goto out;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos = eol + 1;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		name = line;
		while (*name == ' ' || *name == '\t')
			name++;
		if (*name == '\0' || *name == '#')
			continue;
		if (strncmp(name, "export ", 7) == 0)
			for (name += 7; *name == ' ' || *name == '\t';)
				name++;
		if ((eq = strchr(name, '=')) == NULL || eq == name) {
			snprintf(err, errsz,
			    ".env line %zu: expected NAME=VALUE", lineno);
			r = GH_ERR_INVALID;
			goto out;
		}
		for (end = eq;
		     end > name && (end[-1] == ' ' || end[-1] == '\t');)
			end--;
		*end = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		vlen = strlen(val);
		if (vlen > 0 && (val[0] == '"' || val[0] == '\'')) {
			/* the closing quote is the first one followed only by
			 * blanks and an optional comment */
			for (end = strchr(val + 1, val[0]); end != NULL;
			     end = strchr(end + 1, val[0])) {
				rest = end + 1 + strspn(end + 1, " \t");
				if (*rest == '#' || *rest == '\0')
					break;
			}
			if (end == NULL) {
				snprintf(err, errsz,
				    ".env line %zu: unterminated quote",
				    lineno);
				r = GH_ERR_INVALID;
				goto out;
			}
			*end = '\0';
			val++;
		} else {
			/* unquoted: strip a trailing " # comment" and blanks */
			if ((end = strstr(val, " #")) != NULL)
				*end = '\0';
			for (end = val + strlen(val);
			     end > val && (end[-1] == ' ' || end[-1] == '\t');)
				*--end = '\0';
		}
		if ((r = fn(ctx, name, val, err, errsz)) != GH_OK)
			goto out;
	}
out:
	sodium_memzero(line, sizeof(line));
	return r;
}

static enum gh_err
dotenv_set(
    void *ctx, const char *name, const char *value, char *err, size_t errsz)
{
	enum gh_err r = gh_config_set(ctx, name, value, err, errsz);

	return r == GH_ERR_NOTFOUND ? GH_OK : r; /* other apps' variables */
}

static enum gh_err
load_dotenv(struct gh_config *cfg, const char *path, char *err, size_t errsz)
{
	enum gh_err r = GH_ERR_INVALID;
	char *buf = NULL;
	ssize_t n;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return GH_OK;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return GH_ERR_INVALID;
	}
	if (fstat(fd, &st) != 0 || st.st_size > 1024 * 1024) {
		snprintf(
		    err, errsz, "%s: unreadable or larger than 1 MiB", path);
		goto out;
	}
	buf = gh_xmalloc((size_t)st.st_size + 1);
	if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size) {
		snprintf(err, errsz, "%s: short read", path);
		goto out;
	}
	r = gh_config_parse_dotenv(buf, (size_t)n, dotenv_set, cfg, err, errsz);
out:
	if (buf != NULL) {
		sodium_memzero(buf, (size_t)st.st_size);
		free(buf);
	}
	close(fd);
	return r;
}

enum gh_err
gh_config_finish(struct gh_config *cfg, char *err, size_t errsz)
{
	const char *u = cfg->database_url;
	struct gh_netset nets;
	char nerr[128];

	if (strcmp(cfg->algorithm, "HS256") != 0) {
		snprintf(err, errsz,
		    "ALGORITHM %s is not supported (use HS256)",
		    cfg->algorithm);
		return GH_ERR_INVALID;
	}
	if (gh_log_level_parse(cfg->log_level) < 0) {
		snprintf(
		    err, errsz, "LOG_LEVEL must be debug, info, warn or error");
		return GH_ERR_INVALID;
	}
	if (gh_netset_parse(cfg->trusted_proxies, &nets, nerr, sizeof(nerr)) !=
	    GH_OK) {
		snprintf(err, errsz, "TRUSTED_PROXIES: %s", nerr);
		return GH_ERR_INVALID;
	}
	gh_netset_release(&nets);
	if (cfg->secret_key != NULL && cfg->secret_key[0] == '\0') {
		snprintf(err, errsz, "SECRET_KEY is set but empty");
		return GH_ERR_INVALID;
	}
	free(cfg->db_path);
	cfg->db_path = NULL;
	if (cfg->pg_conninfo != NULL)
		sodium_memzero(cfg->pg_conninfo, strlen(cfg->pg_conninfo));
	free(cfg->pg_conninfo);
	cfg->pg_conninfo = NULL;
	if (u == NULL || *u == '\0') {
		size_t n = strlen(cfg->data_dir) + sizeof("/gatehouse.db");

		cfg->db_path = gh_xmalloc(n);
		snprintf(cfg->db_path, n, "%s/gatehouse.db", cfg->data_dir);
		return GH_OK;
	}
	if (strncmp(u, "sqlite:///", 10) == 0 && u[10] != '\0') {
		/* sqlite:///rel.db is relative, sqlite:////abs.db absolute,
		 * exactly as SQLAlchemy reads them */
		cfg->db_path = gh_xstrdup(u + 10);
		return GH_OK;
	}
	if (strncmp(u, "postgresql://", 13) == 0 ||
	    strncmp(u, "postgres://", 11) == 0 || strchr(u, '=') != NULL) {
		/* a URL or libpq's key=value form; PG* environment
		 * variables fill in what it leaves out */
		cfg->pg_conninfo = gh_xstrdup(u);
		return GH_OK;
	}
	snprintf(err, errsz,
	    "DATABASE_URL must look like sqlite:///relative.db, "
	    "sqlite:////absolute.db, postgresql://... or host=... dbname=...");
	return GH_ERR_INVALID;
}

enum gh_err
gh_config_load(struct gh_config *cfg, int argc, char **argv,
    enum gh_config_action *action, char *err, size_t errsz)
{
	static const struct option extra[] = {
	    {"check-config", no_argument, NULL, 'c'},
	    {"print-config", no_argument, NULL, 'p'},
	    {"print-openapi", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	};
	struct option opts[GH_ARRAY_SIZE(rows) + GH_ARRAY_SIZE(extra) + 1];
	const char *v;
	enum gh_err r;
	size_t i, n = 0;
	int c, idx;

	*action = GH_CONFIG_SERVE;
	gh_config_defaults(cfg);
	if ((r = load_dotenv(cfg, ".env", err, errsz)) != GH_OK)
		return r;
	for (i = 0; i < GH_ARRAY_SIZE(rows); i++)
		if ((v = getenv(rows[i].env)) != NULL &&
		    (r = apply(cfg, &rows[i], v, err, errsz)) != GH_OK)
			return r;

	memset(opts, 0, sizeof(opts));
	for (i = 0; i < GH_ARRAY_SIZE(rows); i++) {
		if (rows[i].flag == NULL)
			continue;
		opts[n].name = rows[i].flag;
		opts[n].has_arg = required_argument;
		opts[n].val = 1000 + (int)i;
		n++;
	}
	for (i = 0; i < GH_ARRAY_SIZE(extra); i++)
		opts[n++] = extra[i];
	optind = 0; /* glibc: a full restart, no state left from a last call */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
		switch (c) {
		case 'c':
			*action = GH_CONFIG_CHECK;
			break;
		case 'p':
			*action = GH_CONFIG_PRINT;
			break;
		case 'o':
			*action = GH_CONFIG_OPENAPI;
			break;
		case 'h':
			*action = GH_CONFIG_HELP;
			return GH_OK;
		case 'V':
			*action = GH_CONFIG_VERSION;
			return GH_OK;
		case '?':
		case ':':
			snprintf(err, errsz,
			    "unknown option or missing value: %s",
			    argv[optind - 1]);
			return GH_ERR_INVALID;
		default:
			if (c >= 1000 &&
			    (size_t)(c - 1000) < GH_ARRAY_SIZE(rows) &&
			    (r = apply(cfg, &rows[c - 1000], optarg, err,
			         errsz)) != GH_OK)
				return r;
		}
	}
	if (optind < argc) {
		snprintf(err, errsz, "unexpected argument: %s", argv[optind]);
		return GH_ERR_INVALID;
	}
	return gh_config_finish(cfg, err, errsz);
}

void
gh_config_print(const struct gh_config *cfg, FILE *fp)
{
	struct gh_config *c = (struct gh_config *)(uintptr_t)cfg;
	const struct cfg_row *r;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(rows); i++) {
		r = &rows[i];
		if (r->type == T_INT)
			fprintf(fp, "%s=%lld\n", r->env,
			    (long long)*int_field(c, r));
		else if (*str_field(c, r) == NULL)
			fprintf(fp, "%s=\n", r->env);
		else if (r->flags & SENSITIVE)
			fprintf(fp, "%s=<redacted>\n", r->env);
		else
			fprintf(fp, "%s=%s\n", r->env, *str_field(c, r));
	}
}

void
gh_config_usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: gatehouse [--host ADDR] [--port N] [--data-dir DIR]\n"
	    "                 [--database-url URL] [--log-level LEVEL]\n"
	    "                 [--check-config] [--print-config] "
	    "[--print-openapi]\n"
	    "                 [--help] [--version]\n\n"
	    "Settings (environment < ./.env < flags; flags win):\n");
	for (i = 0; i < GH_ARRAY_SIZE(rows); i++)
		fprintf(fp, "  %-28s %s%s%s%s\n", rows[i].env, rows[i].help,
		    rows[i].def ? " [default " : "",
		    rows[i].def ? rows[i].def : "", rows[i].def ? "]" : "");
}

void
gh_config_release(struct gh_config *cfg)
{
	size_t i;
	char **sp;

	for (i = 0; i < GH_ARRAY_SIZE(rows); i++) {
		if (rows[i].type != T_STR)
			continue;
		sp = str_field(cfg, &rows[i]);
		if (*sp != NULL) {
			sodium_memzero(*sp, strlen(*sp));
			free(*sp);
			*sp = NULL;
		}
	}
	free(cfg->db_path);
	cfg->db_path = NULL;
	if (cfg->pg_conninfo != NULL)
		sodium_memzero(cfg->pg_conninfo, strlen(cfg->pg_conninfo));
	free(cfg->pg_conninfo);
	cfg->pg_conninfo = NULL;
}
