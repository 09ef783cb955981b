/*
 * test_config.c - unit tests for config.c.
 *
 * Covers the four sources in their order (defaults < .env < environment
 * < flags), the integer bounds of the table, the .env reader on a table
 * of inputs, the cross-field rules of gh_config_finish() and the
 * redaction of --print-config.  gh_config_load() reads ./.env and the
 * environment, so the group setup moves into a fresh temporary
 * directory and every test starts by clearing the table's variables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh.h"
#include "config.h"

/* Every environment name of the table (must match config.c). */
static const char *const env_names[] = {"HOST", "PORT", "DATA_DIR",
    "DATABASE_URL", "DB_POOL_SIZE", "DB_POOL_TIMEOUT_MS",
    "DB_STATEMENT_TIMEOUT_MS", "SECRET_KEY", "ALGORITHM",
    "ACCESS_TOKEN_EXPIRE_MINUTES", "REFRESH_TOKEN_EXPIRE_DAYS",
    "PASSWORD_HASH_MEMORY_KIB", "PASSWORD_HASH_ITERATIONS", "HASH_WORKERS",
    "HASH_QUEUE_MAX", "HTTP_THREADS", "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_IP", "REQUEST_TIMEOUT_SECONDS", "IDLE_TIMEOUT_SECONDS",
    "MAX_BODY_BYTES", "MAX_HEADER_BYTES", "LOG_LEVEL",
    "REFRESH_REUSE_GRACE_SECONDS", "AUTH_CACHE_ENTRIES", "AUTH_CACHE_TTL_MS",
    "LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_WINDOW_SECONDS", "REGISTER_MAX_PER_ADDRESS",
    "REGISTER_WINDOW_SECONDS", "API_KEY_MAX_DAYS", "SESSION_MAX_DAYS",
    "UNSAFE_SQLITE_SYNC_NORMAL", "TRUSTED_PROXIES", "CORS_ORIGINS",
    "RUN_AS_USER"};

static char old_cwd[PATH_MAX];
static char tmp_dir[] = "/tmp/gh-test-config-XXXXXX";

static int
group_setup(void **state)
{
	(void)state;
	if (getcwd(old_cwd, sizeof(old_cwd)) == NULL ||
	    mkdtemp(tmp_dir) == NULL || chdir(tmp_dir) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(".env");
	if (chdir(old_cwd) != 0)
		return -1;
	return rmdir(tmp_dir);
}

/* Per test: no table variable in the environment, no ./.env. */
static int
clean_env(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(env_names); i++)
		unsetenv(env_names[i]);
	unlink(".env");
	return 0;
}

static void
write_dotenv(const char *text)
{
	FILE *fp = fopen(".env", "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* ---- defaults ------------------------------------------------------------ */

static void
test_defaults(void **state)
{
	struct gh_config cfg;

	(void)state;
	gh_config_defaults(&cfg);
	assert_string_equal(cfg.host, "127.0.0.1");
	assert_int_equal(cfg.port, 8000);
	assert_string_equal(cfg.data_dir, "data");
	assert_null(cfg.database_url);
	assert_null(cfg.secret_key);
	assert_string_equal(cfg.algorithm, "HS256");
	assert_int_equal(cfg.access_token_expire_minutes, 30);
	assert_int_equal(cfg.refresh_token_expire_days, 7);
	assert_int_equal(cfg.password_hash_memory_kib, 19456);
	assert_int_equal(cfg.password_hash_iterations, 2);
	assert_int_equal(cfg.hash_workers, 0);
	assert_int_equal(cfg.hash_queue_max, 256);
	assert_int_equal(cfg.http_threads, 0);
	assert_int_equal(cfg.max_connections, 10000);
	assert_int_equal(cfg.max_connections_per_ip, 0);
	assert_int_equal(cfg.request_timeout_seconds, 30);
	assert_int_equal(cfg.idle_timeout_seconds, 60);
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.max_header_bytes, 8192);
	assert_string_equal(cfg.log_level, "info");
	assert_null(cfg.run_as_user);
	assert_null(cfg.db_path);
	gh_config_release(&cfg);
	assert_null(cfg.host);
	gh_config_release(&cfg); /* twice is harmless */
}

/* ---- gh_config_set --------------------------------------------------------
 */

static void
test_set_ints(void **state)
{
	static const struct {
		const char *name, *value;
		enum gh_err want;
		int64_t got; /* PORT etc. afterwards */
	} cases[] = {
	    {"PORT", "0", GH_OK, 0},
	    {"PORT", "1", GH_OK, 1},
	    {"PORT", "65535", GH_OK, 65535},
	    {"PORT", "0080", GH_OK, 80},
	    {"PORT", "65536", GH_ERR_INVALID, 8000},
	    {"PORT", "-1", GH_ERR_INVALID, 8000},
	    {"PORT", "-0", GH_ERR_INVALID, 8000},
	    {"PORT", "+80", GH_ERR_INVALID, 8000},
	    {"PORT", "", GH_ERR_INVALID, 8000},
	    {"PORT", " 80", GH_ERR_INVALID, 8000},
	    {"PORT", "80 ", GH_ERR_INVALID, 8000},
	    {"PORT", "80x", GH_ERR_INVALID, 8000},
	    {"PORT", "x80", GH_ERR_INVALID, 8000},
	    {"PORT", "8_000", GH_ERR_INVALID, 8000},
	    {"PORT", "0x50", GH_ERR_INVALID, 8000},
	    {"PORT", "1e3", GH_ERR_INVALID, 8000},
	    {"PORT", "80.0", GH_ERR_INVALID, 8000},
	    {"PORT", "99999999999999999999", GH_ERR_INVALID, 8000},
	    {"PORT", "18446744073709551696", GH_ERR_INVALID, 8000},
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "0", GH_ERR_INVALID, 30},
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "1", GH_OK, 1},
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "525600", GH_OK, 525600},
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "525601", GH_ERR_INVALID, 30},
	    {"PASSWORD_HASH_MEMORY_KIB", "7", GH_ERR_INVALID, 19456},
	    {"PASSWORD_HASH_MEMORY_KIB", "8", GH_OK, 8},
	    {"PASSWORD_HASH_MEMORY_KIB", "4194304", GH_OK, 4194304},
	    {"PASSWORD_HASH_MEMORY_KIB", "4194305", GH_ERR_INVALID, 19456},
	    {"HASH_QUEUE_MAX", "0", GH_ERR_INVALID, 256},
	    {"HASH_QUEUE_MAX", "1", GH_OK, 1},
	    {"MAX_CONNECTIONS", "15", GH_ERR_INVALID, 10000},
	    {"MAX_CONNECTIONS", "16", GH_OK, 16},
	    {"MAX_BODY_BYTES", "1023", GH_ERR_INVALID, 1048576},
	    {"MAX_BODY_BYTES", "67108864", GH_OK, 67108864},
	    {"MAX_BODY_BYTES", "67108865", GH_ERR_INVALID, 1048576},
	    {"MAX_HEADER_BYTES", "65537", GH_ERR_INVALID, 8192},
	    {"MAX_CONNECTIONS_PER_IP", "0", GH_OK, 0},
	    {"HASH_WORKERS", "257", GH_ERR_INVALID, 0},
	};
	struct gh_config cfg;
	char err[256];
	int64_t got;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		gh_config_defaults(&cfg);
		err[0] = '\0';
		if (gh_config_set(&cfg, cases[i].name, cases[i].value, err,
		        sizeof(err)) != cases[i].want)
			fail_msg("%s=\"%s\": wrong result", cases[i].name,
			    cases[i].value);
		if (strcmp(cases[i].name, "PORT") == 0)
			got = cfg.port;
		else if (strcmp(cases[i].name, "ACCESS_TOKEN_EXPIRE_MINUTES") ==
		         0)
			got = cfg.access_token_expire_minutes;
		else if (strcmp(cases[i].name, "PASSWORD_HASH_MEMORY_KIB") == 0)
			got = cfg.password_hash_memory_kib;
		else if (strcmp(cases[i].name, "HASH_QUEUE_MAX") == 0)
			got = cfg.hash_queue_max;
		else if (strcmp(cases[i].name, "MAX_CONNECTIONS") == 0)
			got = cfg.max_connections;
		else if (strcmp(cases[i].name, "MAX_BODY_BYTES") == 0)
			got = cfg.max_body_bytes;
		else if (strcmp(cases[i].name, "MAX_HEADER_BYTES") == 0)
			got = cfg.max_header_bytes;
		else if (strcmp(cases[i].name, "MAX_CONNECTIONS_PER_IP") == 0)
			got = cfg.max_connections_per_ip;
		else
			got = cfg.hash_workers;
		/* a refused value leaves the old one in place */
		assert_int_equal(got, cases[i].got);
		if (cases[i].want != GH_OK)
			assert_non_null(strstr(err, cases[i].name));
		gh_config_release(&cfg);
	}
}

static void
test_set_strings_and_unknown(void **state)
{
	struct gh_config cfg;
	char err[256];

	(void)state;
	gh_config_defaults(&cfg);
	assert_int_equal(
	    gh_config_set(&cfg, "HOST", "::1", err, sizeof(err)), GH_OK);
	assert_string_equal(cfg.host, "::1");
	assert_int_equal(
	    gh_config_set(&cfg, "HOST", "", err, sizeof(err)), GH_OK);
	assert_string_equal(cfg.host, "");
	assert_int_equal(
	    gh_config_set(&cfg, "SECRET_KEY", "k1", err, sizeof(err)), GH_OK);
	assert_int_equal(
	    gh_config_set(&cfg, "SECRET_KEY", "k2", err, sizeof(err)), GH_OK);
	assert_string_equal(cfg.secret_key, "k2");
	assert_int_equal(gh_config_set(&cfg, "NOPE", "1", err, sizeof(err)),
	    GH_ERR_NOTFOUND);
	assert_int_equal(gh_config_set(&cfg, "port", "1", err, sizeof(err)),
	    GH_ERR_NOTFOUND);
	assert_int_equal(
	    gh_config_set(&cfg, "", "1", err, sizeof(err)), GH_ERR_NOTFOUND);
	assert_int_equal(cfg.port, 8000);
	/* a zero-size error buffer is fine */
	assert_int_equal(
	    gh_config_set(&cfg, "PORT", "x", err, 0), GH_ERR_INVALID);
	gh_config_release(&cfg);
}

/* ---- .env ------------------------------------------------------------------
 */

struct collect {
	char out[8192];
	size_t calls;
	size_t fail_at; /* 1-based call that fails, 0 = none */
};

static enum gh_err
collect_fn(
    void *ctx, const char *name, const char *value, char *err, size_t errsz)
{
	struct collect *c = ctx;
	size_t n = strlen(c->out);

	c->calls++;
	if (c->calls == c->fail_at) {
		snprintf(err, errsz, "refused %s", name);
		return GH_ERR_INVALID;
	}
	snprintf(c->out + n, sizeof(c->out) - n, "[%s]=[%s]", name, value);
	return GH_OK;
}

static void
test_dotenv_table(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen(in) */
		enum gh_err want;
		const char *out; /* assignments, or the error text */
	} cases[] = {
	    {"", 0, GH_OK, ""},
	    {"\n\n\n", 0, GH_OK, ""},
	    {"\r\n", 0, GH_OK, ""},
	    {"A=1", 0, GH_OK, "[A]=[1]"},
	    {"A=1\n", 0, GH_OK, "[A]=[1]"},
	    {"A=1\nB=2\n", 0, GH_OK, "[A]=[1][B]=[2]"},
	    {"A=1\r\nB=2\r\n", 0, GH_OK, "[A]=[1][B]=[2]"},
	    {"A=\"q\"\r\n", 0, GH_OK, "[A]=[q]"},
	    {"# comment\nA=1\n", 0, GH_OK, "[A]=[1]"},
	    {"   # indented comment\n\tA=1", 0, GH_OK, "[A]=[1]"},
	    {"#A=1\n", 0, GH_OK, ""},
	    {"export A=1\n", 0, GH_OK, "[A]=[1]"},
	    {"  export A=1\n", 0, GH_OK, "[A]=[1]"},
	    {"export  A=1\n", 0, GH_OK, "[A]=[1]"},
	    {"export=1\n", 0, GH_OK, "[export]=[1]"},
	    {"exported=1\n", 0, GH_OK, "[exported]=[1]"},
	    {"A = 1 \n", 0, GH_OK, "[A]=[1]"},
	    {"A=\t1\t\n", 0, GH_OK, "[A]=[1]"},
	    {"A=\n", 0, GH_OK, "[A]=[]"},
	    {"A=1=2\n", 0, GH_OK, "[A]=[1=2]"},
	    {"A=x # comment\n", 0, GH_OK, "[A]=[x]"},
	    {"A=x#y\n", 0, GH_OK, "[A]=[x#y]"},
	    {"A=\"x y\"\n", 0, GH_OK, "[A]=[x y]"},
	    {"A=\"\"\n", 0, GH_OK, "[A]=[]"},
	    {"A=''\n", 0, GH_OK, "[A]=[]"},
	    {"A='x # y'\n", 0, GH_OK, "[A]=[x # y]"},
	    {"A=\"it's\"\n", 0, GH_OK, "[A]=[it's]"},
	    {"A='say \"hi\"'\n", 0, GH_OK, "[A]=[say \"hi\"]"},
	    {"A=\"x\" \n", 0, GH_OK, "[A]=[x]"},
	    {"A=\"x\"\t\n", 0, GH_OK, "[A]=[x]"},
	    {"A=\"x\" # comment\n", 0, GH_OK, "[A]=[x]"},
	    {"A=\"a # b\" # c\n", 0, GH_OK, "[A]=[a # b]"},
	    {"A=\"x\" # say \"hi\"\n", 0, GH_OK, "[A]=[x]"},
	    {"A=\"a\"b\"\n", 0, GH_OK, "[A]=[a\"b]"},
	    {"A=\"a\"\"\n", 0, GH_OK, "[A]=[a\"]"},
	    {"A=\"x\"y\n", 0, GH_ERR_INVALID,
	        ".env line 1: unterminated quote"},
	    {"A=\"x\" y\n", 0, GH_ERR_INVALID,
	        ".env line 1: unterminated quote"},
	    {"A=\"\n", 0, GH_ERR_INVALID, ".env line 1: unterminated quote"},
	    {"A='\n", 0, GH_ERR_INVALID, ".env line 1: unterminated quote"},
	    {"A=1\nB=\"abc\n", 0, GH_ERR_INVALID,
	        ".env line 2: unterminated quote"},
	    {"A='abc\"\n", 0, GH_ERR_INVALID,
	        ".env line 1: unterminated quote"},
	    {"A\n", 0, GH_ERR_INVALID, ".env line 1: expected NAME=VALUE"},
	    {"A=1\n\nB\n", 0, GH_ERR_INVALID,
	        ".env line 3: expected NAME=VALUE"},
	    {"=1\n", 0, GH_ERR_INVALID, ".env line 1: expected NAME=VALUE"},
	    {" =1\n", 0, GH_ERR_INVALID, ".env line 1: expected NAME=VALUE"},
	    {"export A\n", 0, GH_ERR_INVALID,
	        ".env line 1: expected NAME=VALUE"},
	    {"export =1\n", 0, GH_ERR_INVALID,
	        ".env line 1: expected NAME=VALUE"},
	    {"A=1\0B=2\n", 8, GH_ERR_INVALID, ".env line 1: too long or NUL"},
	    {"A=1\n#\0\n", 6, GH_ERR_INVALID, ".env line 2: too long or NUL"},
	    /* len stops before the NUL: the line is fine */
	    {"A=1\0B=2\n", 3, GH_OK, "[A]=[1]"},
	};
	struct collect c;
	char err[256];
	enum gh_err r;
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		r = gh_config_parse_dotenv(cases[i].in,
		    cases[i].len ? cases[i].len : strlen(cases[i].in),
		    collect_fn, &c, err, sizeof(err));
		if (r != cases[i].want)
			fail_msg("case %zu: result %d, want %d (%s)", i, (int)r,
			    (int)cases[i].want, err);
		if (r == GH_OK && strcmp(c.out, cases[i].out) != 0)
			fail_msg("case %zu: got %s, want %s", i, c.out,
			    cases[i].out);
		if (r != GH_OK && strcmp(err, cases[i].out) != 0)
			fail_msg("case %zu: error \"%s\", want \"%s\"", i, err,
			    cases[i].out);
	}
}

/* Lines up to 4095 bytes are read; longer ones are an error, not a
 * silent truncation. */
static void
test_dotenv_long_lines(void **state)
{
	static const struct {
		size_t line_len;
		enum gh_err want;
	} cases[] = {
	    {100, GH_OK},
	    {4095, GH_OK},
	    {4096, GH_ERR_INVALID},
	    {4097, GH_ERR_INVALID},
	    {100000, GH_ERR_INVALID},
	};
	struct collect c;
	char err[256], *buf;
	size_t i, n;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		n = cases[i].line_len;
		buf = malloc(n + 16);
		assert_non_null(buf);
		memcpy(buf, "A=1\nB=", 6);
		memset(buf + 6, 'v', n - 2);
		memcpy(buf + 4 + n, "\nC=3\n", 5);
		memset(&c, 0, sizeof(c));
		assert_int_equal(gh_config_parse_dotenv(buf, n + 9, collect_fn,
		                     &c, err, sizeof(err)),
		    cases[i].want);
		if (cases[i].want == GH_OK) {
			assert_int_equal(c.calls, 3);
			assert_int_equal(strlen(c.out),
			    strlen("[A]=[1][B]=[][C]=[3]") + n - 2);
		} else {
			assert_string_equal(
			    err, ".env line 2: too long or NUL");
			assert_int_equal(c.calls, 1);
		}
		free(buf);
	}
}

/* The callback's error stops the walk and is returned as is. */
static void
test_dotenv_callback_error(void **state)
{
	static const char in[] = "A=1\nB=2\nC=3\n";
	struct collect c;
	char err[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.fail_at = 2;
	assert_int_equal(gh_config_parse_dotenv(
	                     in, strlen(in), collect_fn, &c, err, sizeof(err)),
	    GH_ERR_INVALID);
	assert_string_equal(err, "refused B");
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.out, "[A]=[1]");
}

/* ---- gh_config_finish
 * -------------------------------------------------------- */

static void
test_finish_database_url(void **state)
{
	static const struct {
		const char *url; /* NULL: unset */
		const char *data_dir;
		enum gh_err want;
		const char *db_path;
	} cases[] = {
	    {NULL, NULL, GH_OK, "data/gatehouse.db"},
	    {NULL, "/var/lib/gh", GH_OK, "/var/lib/gh/gatehouse.db"},
	    {"", "d", GH_OK, "d/gatehouse.db"},
	    {"sqlite:///rel.db", NULL, GH_OK, "rel.db"},
	    {"sqlite:///./sub/rel.db", NULL, GH_OK, "./sub/rel.db"},
	    {"sqlite:////abs/app.db", NULL, GH_OK, "/abs/app.db"},
	    {"sqlite:////data/app.db", "/elsewhere", GH_OK, "/data/app.db"},
	    {"sqlite:///", NULL, GH_ERR_INVALID, NULL},
	    {"sqlite://", NULL, GH_ERR_INVALID, NULL},
	    {"sqlite:", NULL, GH_ERR_INVALID, NULL},
	    {"sqlite://host/x.db", NULL, GH_ERR_INVALID, NULL},
	    {"SQLITE:///x.db", NULL, GH_ERR_INVALID, NULL},
	    {"postgresql://u:p@localhost/db", NULL, GH_OK, NULL},
	    {"postgresql://", NULL, GH_OK, NULL}, /* PG* variables */
	    {"postgres://u@h/db", NULL, GH_OK, NULL},
	    {"host=/run/pg dbname=gh", NULL, GH_OK, NULL},
	    {"mysql://x", NULL, GH_ERR_INVALID, NULL},
	    {"x.db", NULL, GH_ERR_INVALID, NULL},
	    {"/abs/x.db", NULL, GH_ERR_INVALID, NULL},
	};
	struct gh_config cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		gh_config_defaults(&cfg);
		if (cases[i].url != NULL)
			assert_int_equal(gh_config_set(&cfg, "DATABASE_URL",
			                     cases[i].url, err, sizeof(err)),
			    GH_OK);
		if (cases[i].data_dir != NULL)
			assert_int_equal(
			    gh_config_set(&cfg, "DATA_DIR", cases[i].data_dir,
			        err, sizeof(err)),
			    GH_OK);
		err[0] = '\0';
		if (gh_config_finish(&cfg, err, sizeof(err)) != cases[i].want)
			fail_msg("DATABASE_URL \"%s\": wrong result (%s)",
			    cases[i].url ? cases[i].url : "(unset)", err);
		if (cases[i].want == GH_OK && cases[i].db_path == NULL) {
			/* PostgreSQL: handed to libpq as it is */
			assert_null(cfg.db_path);
			assert_non_null(cfg.pg_conninfo);
			assert_string_equal(cfg.pg_conninfo, cases[i].url);
		} else if (cases[i].want == GH_OK) {
			assert_non_null(cfg.db_path);
			assert_null(cfg.pg_conninfo);
			assert_string_equal(cfg.db_path, cases[i].db_path);
		} else {
			assert_null(cfg.db_path);
			assert_non_null(strstr(err, "DATABASE_URL"));
			/* the URL may hold a password: never echo it */
			assert_null(strstr(err, "u:p@"));
		}
		/* finishing twice recomputes, without a leak */
		if (cases[i].want == GH_OK) {
			assert_int_equal(
			    gh_config_finish(&cfg, err, sizeof(err)), GH_OK);
			if (cases[i].db_path != NULL)
				assert_string_equal(
				    cfg.db_path, cases[i].db_path);
			else
				assert_non_null(cfg.pg_conninfo);
		}
		gh_config_release(&cfg);
	}
}

static void
test_finish_other_rules(void **state)
{
	static const struct {
		const char *name, *value;
		enum gh_err want;
		const char *err_has;
	} cases[] = {
	    {"ALGORITHM", "HS256", GH_OK, NULL},
	    {"ALGORITHM", "HS384", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "HS512", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "RS256", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "none", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "hs256", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "HS256 ", GH_ERR_INVALID, "ALGORITHM"},
	    {"ALGORITHM", "", GH_ERR_INVALID, "ALGORITHM"},
	    {"LOG_LEVEL", "debug", GH_OK, NULL},
	    {"LOG_LEVEL", "warn", GH_OK, NULL},
	    {"LOG_LEVEL", "error", GH_OK, NULL},
	    {"LOG_LEVEL", "verbose", GH_ERR_INVALID, "LOG_LEVEL"},
	    {"LOG_LEVEL", "", GH_ERR_INVALID, "LOG_LEVEL"},
	    {"SECRET_KEY", "", GH_ERR_INVALID, "SECRET_KEY"},
	    {"SECRET_KEY", "x", GH_OK, NULL},
	};
	struct gh_config cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		gh_config_defaults(&cfg);
		assert_int_equal(gh_config_set(&cfg, cases[i].name,
		                     cases[i].value, err, sizeof(err)),
		    GH_OK);
		err[0] = '\0';
		if (gh_config_finish(&cfg, err, sizeof(err)) != cases[i].want)
			fail_msg("%s=\"%s\": wrong result (%s)", cases[i].name,
			    cases[i].value, err);
		if (cases[i].err_has != NULL)
			assert_non_null(strstr(err, cases[i].err_has));
		gh_config_release(&cfg);
	}
}

/* ---- gh_config_load
 * ---------------------------------------------------------- */

#define ARGV(...)                                                              \
	{                                                                      \
		"gatehouse", __VA_ARGS__, NULL                                 \
	}

static enum gh_err
load(struct gh_config *cfg, char **argv, enum gh_config_action *action,
    char *err, size_t errsz)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	err[0] = '\0';
	return gh_config_load(cfg, argc, argv, action, err, errsz);
}

static void
test_load_sources_order(void **state)
{
	struct gh_config cfg;
	enum gh_config_action action;
	char err[256];
	char *none[] = {"gatehouse", NULL};
	char *flags[] =
	    ARGV("--port", "4321", "--host=0.0.0.0", "--data-dir", "/tmp/d",
	        "--log-level", "debug", "--database-url", "sqlite:////flag.db");

	(void)state;
	/* defaults only */
	assert_int_equal(load(&cfg, none, &action, err, sizeof(err)), GH_OK);
	assert_int_equal(action, GH_CONFIG_SERVE);
	assert_int_equal(cfg.port, 8000);
	assert_string_equal(cfg.db_path, "data/gatehouse.db");
	gh_config_release(&cfg);

	/* .env over defaults; unknown names in it are other apps' */
	write_dotenv("# app\nPORT=1111\nHOST=10.0.0.1\nOTHER_APP_VAR=x\n"
	             "export DATA_DIR=/srv/gh\nLOG_LEVEL=warn\n");
	assert_int_equal(load(&cfg, none, &action, err, sizeof(err)), GH_OK);
	assert_int_equal(cfg.port, 1111);
	assert_string_equal(cfg.host, "10.0.0.1");
	assert_string_equal(cfg.db_path, "/srv/gh/gatehouse.db");
	assert_string_equal(cfg.log_level, "warn");
	gh_config_release(&cfg);

	/* environment over .env */
	assert_int_equal(setenv("PORT", "2222", 1), 0);
	assert_int_equal(setenv("DATABASE_URL", "sqlite:///env.db", 1), 0);
	assert_int_equal(load(&cfg, none, &action, err, sizeof(err)), GH_OK);
	assert_int_equal(cfg.port, 2222);
	assert_string_equal(cfg.host, "10.0.0.1"); /* still from .env */
	assert_string_equal(cfg.db_path, "env.db");
	gh_config_release(&cfg);

	/* flags over everything */
	assert_int_equal(load(&cfg, flags, &action, err, sizeof(err)), GH_OK);
	assert_int_equal(action, GH_CONFIG_SERVE);
	assert_int_equal(cfg.port, 4321);
	assert_string_equal(cfg.host, "0.0.0.0");
	assert_string_equal(cfg.data_dir, "/tmp/d");
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.database_url, "sqlite:////flag.db");
	assert_string_equal(cfg.db_path, "/flag.db");
	gh_config_release(&cfg);
}

static void
test_load_errors(void **state)
{
	static const struct {
		const char *env_name, *env_value; /* or NULL */
		const char *dotenv;               /* or NULL */
		const char *argv[6];
		const char *err_has;
	} cases[] = {
	    {NULL, NULL, NULL, {"gatehouse", "--bogus"}, "--bogus"},
	    {NULL, NULL, NULL, {"gatehouse", "-x"}, "unknown option"},
	    {NULL, NULL, NULL, {"gatehouse", "--port"}, "--port"},
	    {NULL, NULL, NULL, {"gatehouse", "--port", "70000"}, "PORT"},
	    {NULL, NULL, NULL, {"gatehouse", "--port", "-1"}, "PORT"},
	    {NULL, NULL, NULL, {"gatehouse", "--port="}, "PORT"},
	    {NULL, NULL, NULL, {"gatehouse", "serve"}, "serve"},
	    {NULL, NULL, NULL, {"gatehouse", "--check-config=1"},
	        "unknown option"},
	    /* SECRET_KEY has no flag: secrets stay out of argv */
	    {NULL, NULL, NULL, {"gatehouse", "--secret-key", "k"},
	        "--secret-key"},
	    {NULL, NULL, NULL, {"gatehouse", "--database-url", "mysql://h/db"},
	        "DATABASE_URL"},
	    {"PORT", "abc", NULL, {"gatehouse"}, "PORT"},
	    {"ALGORITHM", "RS256", NULL, {"gatehouse"}, "ALGORITHM"},
	    {NULL, NULL, "PORT=abc\n", {"gatehouse"}, "PORT"},
	    {NULL, NULL, "A=1\nGARBAGE\n", {"gatehouse"}, "line 2"},
	    {NULL, NULL, "SECRET_KEY=\"x\n", {"gatehouse"}, "quote"},
	};
	struct gh_config cfg;
	enum gh_config_action action;
	char err[256], *argv[6];
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		clean_env(NULL);
		if (cases[i].env_name != NULL)
			assert_int_equal(
			    setenv(cases[i].env_name, cases[i].env_value, 1),
			    0);
		if (cases[i].dotenv != NULL)
			write_dotenv(cases[i].dotenv);
		memcpy(argv, cases[i].argv, sizeof(argv));
		if (load(&cfg, argv, &action, err, sizeof(err)) !=
		    GH_ERR_INVALID)
			fail_msg("case %zu: accepted", i);
		if (strstr(err, cases[i].err_has) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err,
			    cases[i].err_has);
		gh_config_release(&cfg);
	}
}

static void
test_load_actions(void **state)
{
	static const struct {
		const char *argv[5];
		enum gh_config_action action;
	} cases[] = {
	    {{"gatehouse"}, GH_CONFIG_SERVE},
	    {{"gatehouse", "--help"}, GH_CONFIG_HELP},
	    {{"gatehouse", "-h"}, GH_CONFIG_HELP},
	    {{"gatehouse", "--version"}, GH_CONFIG_VERSION},
	    {{"gatehouse", "-V"}, GH_CONFIG_VERSION},
	    {{"gatehouse", "--check-config"}, GH_CONFIG_CHECK},
	    {{"gatehouse", "--print-config"}, GH_CONFIG_PRINT},
	    {{"gatehouse", "--check-config", "--port", "1"}, GH_CONFIG_CHECK},
	    {{"gatehouse", "--print-config", "--check-config"},
	        GH_CONFIG_CHECK},
	    /* help and version answer at once, whatever follows */
	    {{"gatehouse", "--help", "--bogus"}, GH_CONFIG_HELP},
	    {{"gatehouse", "-Vh"}, GH_CONFIG_VERSION},
	    /* a later call must not see the previous call's leftovers (the
	     * "h" that -Vh did not reach) */
	    {{"gatehouse", "--port", "1"}, GH_CONFIG_SERVE},
	    {{"gatehouse", "-hV"}, GH_CONFIG_HELP},
	    {{"gatehouse", "--print-config"}, GH_CONFIG_PRINT},
	};
	struct gh_config cfg;
	enum gh_config_action action;
	char err[256], *argv[5];
	size_t i;

	(void)state;
	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		memcpy(argv, cases[i].argv, sizeof(argv));
		action = (enum gh_config_action) - 1;
		if (load(&cfg, argv, &action, err, sizeof(err)) != GH_OK)
			fail_msg("case %zu: %s", i, err);
		if (action != cases[i].action)
			fail_msg("case %zu: action %d, want %d", i, (int)action,
			    (int)cases[i].action);
		/* --check-config validates: the derived fields are set */
		if (action == GH_CONFIG_CHECK || action == GH_CONFIG_SERVE ||
		    action == GH_CONFIG_PRINT)
			assert_non_null(cfg.db_path);
		gh_config_release(&cfg);
	}
	/* --check-config still fails on a bad configuration */
	{
		char *bad[] =
		    ARGV("--check-config", "--database-url", "mysql://x");

		assert_int_equal(
		    load(&cfg, bad, &action, err, sizeof(err)), GH_ERR_INVALID);
		gh_config_release(&cfg);
	}
}

/* ---- gh_config_print
 * ---------------------------------------------------------- */

static void
test_print_redacts(void **state)
{
	struct gh_config cfg;
	char err[256], *text = NULL, *line;
	size_t len = 0, i, lines = 0;
	FILE *fp;

	(void)state;
	gh_config_defaults(&cfg);
	assert_int_equal(gh_config_set(&cfg, "SECRET_KEY",
	                     "supersecret-signing-key", err, sizeof(err)),
	    GH_OK);
	assert_int_equal(gh_config_set(&cfg, "DATABASE_URL",
	                     "sqlite:////hidden/dir/app.db", err, sizeof(err)),
	    GH_OK);
	assert_int_equal(gh_config_finish(&cfg, err, sizeof(err)), GH_OK);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	gh_config_print(&cfg, fp);
	assert_int_equal(fclose(fp), 0);

	assert_null(strstr(text, "supersecret"));
	assert_null(strstr(text, "hidden"));
	assert_non_null(strstr(text, "SECRET_KEY=<redacted>\n"));
	assert_non_null(strstr(text, "DATABASE_URL=<redacted>\n"));
	assert_non_null(strstr(text, "HOST=127.0.0.1\n"));
	assert_non_null(strstr(text, "PORT=8000\n"));
	assert_non_null(strstr(text, "ALGORITHM=HS256\n"));
	assert_non_null(strstr(text, "RUN_AS_USER=\n"));
	/* one line per setting */
	for (line = text; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	assert_int_equal(lines, GH_ARRAY_SIZE(env_names));
	for (i = 0; i < GH_ARRAY_SIZE(env_names); i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s=", env_names[i]);
		assert_non_null(strstr(text, want));
	}
	free(text);
	gh_config_release(&cfg);

	/* unset secrets print empty, not "<redacted>" */
	gh_config_defaults(&cfg);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	gh_config_print(&cfg, fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(text, "SECRET_KEY=\n"));
	assert_non_null(strstr(text, "DATABASE_URL=\n"));
	free(text);
	gh_config_release(&cfg);
}

static void
test_usage(void **state)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *fp;

	(void)state;
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	gh_config_usage(fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(text, "--check-config"));
	for (i = 0; i < GH_ARRAY_SIZE(env_names); i++)
		assert_non_null(strstr(text, env_names[i]));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_defaults, clean_env),
	    cmocka_unit_test_setup(test_set_ints, clean_env),
	    cmocka_unit_test_setup(test_set_strings_and_unknown, clean_env),
	    cmocka_unit_test_setup(test_dotenv_table, clean_env),
	    cmocka_unit_test_setup(test_dotenv_long_lines, clean_env),
	    cmocka_unit_test_setup(test_dotenv_callback_error, clean_env),
	    cmocka_unit_test_setup(test_finish_database_url, clean_env),
	    cmocka_unit_test_setup(test_finish_other_rules, clean_env),
	    cmocka_unit_test_setup(test_load_sources_order, clean_env),
	    cmocka_unit_test_setup(test_load_errors, clean_env),
	    cmocka_unit_test_setup(test_load_actions, clean_env),
	    cmocka_unit_test_setup(test_print_redacts, clean_env),
	    cmocka_unit_test_setup(test_usage, clean_env),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
