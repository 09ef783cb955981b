/*
 * main.c - start-up order, signals and shutdown.
 *
 * Start: configuration (defaults < .env < environment < flags), log
 * level, data folder, signing secret, privilege drop, store (migrations),
 * JWT key, password cost and dummy hash, hashing pool, HTTP server.
 * Then the main thread waits for SIGTERM/SIGINT with sigwait (every
 * other thread is created with those signals blocked).
 * Stop: the server stops accepting and lets in-flight requests finish,
 * the hashing pool drains, the store closes its connections (SQLite
 * checkpoints the WAL on the last close).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/secret.h"
#include "config.h"
#include "handlers/app.h"
#include "store/store_copy.h"
#include "http/openapi.h"
#include "http/router.h"
#include "http/server.h"
#include "log.h"
#include "store/store.h"
#include "util/netaddr.h"
#include "util/workq.h"
#include "util/banned.h"

#ifndef GH_VERSION
#define GH_VERSION "0.0.0"
#endif

#define SHUTDOWN_GRACE_MS 10000

static unsigned
cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		gh_fatal(
		    "cannot create data folder %s: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		gh_fatal("data folder %s is not a folder", dir);
}

static void
drop_privileges(const struct gh_config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	if (cfg->run_as_user == NULL) {
		gh_log_warn_f("running as root; set RUN_AS_USER to drop "
		              "privileges after start-up");
		return;
	}
	if ((pw = getpwnam(cfg->run_as_user)) == NULL)
		gh_fatal("RUN_AS_USER %s does not exist", cfg->run_as_user);
	if (chown(cfg->data_dir, pw->pw_uid, pw->pw_gid) != 0 ||
	    setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		gh_fatal("cannot switch to user %s: %s", cfg->run_as_user,
		    strerror(errno));
	if (setuid(0) == 0)
		gh_fatal("privileges were not dropped");
	gh_log_info_f("running as %s", cfg->run_as_user);
}

/* The OpenAPI document of the route table; a table the generator cannot
 * describe is a bug, found here at start-up. */
static void
build_openapi(struct gh_app *app)
{
	char err[256];

	if (gh_openapi_build(gh_routes, gh_routes_count, gh_route_tags,
	        gh_route_tags_count, GH_VERSION, &app->openapi,
	        &app->openapi_len, err, sizeof(err)) != GH_OK)
		gh_fatal("cannot build the OpenAPI document: %s", err);
}

static void
load_secret(struct gh_config *cfg, bool create)
{
	char err[256];
	enum gh_err r;

	if (cfg->secret_key != NULL) {
		if (strlen(cfg->secret_key) < 32)
			gh_log_warn_f("SECRET_KEY is shorter than 32 bytes; "
			              "use a long random value");
		return;
	}
	r = gh_secret_load(
	    cfg->data_dir, create, &cfg->secret_key, err, sizeof(err));
	if (r == GH_ERR_NOTFOUND && !create)
		return;
	if (r != GH_OK)
		gh_fatal("%s", err);
}

/* Shutdown step between "no new requests" and "stop the threads":
 * finish the work suspended requests wait for (hashing, batched writes),
 * whose completions resume connections. */
static void
drain_deferred(void *arg)
{
	struct gh_app *app = arg;

	gh_workq_shutdown(app->hashq);
	gh_store_batch_drain(app->store);
}

/* The database as the log may name it: a SQLite path, or only the
 * backend (a PostgreSQL URL may carry a password). */
static const char *
db_name(const struct gh_config *cfg)
{
	return cfg->pg_conninfo != NULL ? "PostgreSQL" : cfg->db_path;
}

static unsigned
http_threads(const struct gh_config *cfg)
{
	return cfg->http_threads ? (unsigned)cfg->http_threads
	                         : GH_MAX(2u, cores());
}

static unsigned
hash_workers(const struct gh_config *cfg)
{
	return cfg->hash_workers ? (unsigned)cfg->hash_workers : cores();
}

static void
open_store(const struct gh_config *cfg, struct gh_app *app)
{
	struct gh_store_pg_opts o;

	if (cfg->pg_conninfo == NULL) {
		if (gh_store_open(cfg->db_path, &app->store) != GH_OK)
			gh_fatal("cannot open the database %s", cfg->db_path);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.conninfo = cfg->pg_conninfo;
	/* every thread that may hold one at once: the HTTP threads and the
	 * group-commit writer (the hashing workers never touch the
	 * database), and one to spare */
	o.pool_size = cfg->db_pool_size ? (unsigned)cfg->db_pool_size
	                                : http_threads(cfg) + 2;
	o.pool_timeout_ms = (int)cfg->db_pool_timeout_ms;
	o.statement_timeout_ms = (int)cfg->db_statement_timeout_ms;
	if (gh_store_open_pg(&o, &app->store) != GH_OK)
		gh_fatal("cannot open the PostgreSQL database (DATABASE_URL)");
}

/*
 * gatehouse migrate --from sqlite:///app.db --to postgresql://... [--replace]
 * Copies a SQLite database into PostgreSQL (store/store_copy.c) and
 * prints the rows of each table.  Exit 0 on success, 1 when the copy
 * failed (the target is unchanged), 2 on a usage error.
 */
static int
migrate_main(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	struct gh_copy_count counts[GH_COPY_TABLES];
	struct gh_store_pg_opts o;
	bool replace = false;
	char err[512];
	enum gh_err r;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--replace") == 0)
			replace = true;
		else
			from = to = NULL, i = argc;
	}
	if (from == NULL || to == NULL ||
	    (strncmp(to, "postgresql://", 13) != 0 &&
	        strncmp(to, "postgres://", 11) != 0 && !strchr(to, '='))) {
		fprintf(stderr,
		    "usage: gatehouse migrate --from sqlite:///app.db "
		    "--to postgresql://user@host:port/db [--replace]\n"
		    "  copies every table in one transaction; refuses a "
		    "target that holds rows\n"
		    "  unless --replace (which empties it first).  Prefer "
		    "PGPASSWORD or ~/.pgpass\n"
		    "  to a password in the URL (the command line is "
		    "visible to other users).\n");
		return 2;
	}
	if (strncmp(from, "sqlite:///", 10) == 0)
		from += 10; /* as DATABASE_URL: relative, or /absolute */
	memset(&o, 0, sizeof(o));
	o.conninfo = to;
	o.pool_size = 1;
	o.pool_timeout_ms = 10000;
	o.statement_timeout_ms = 0;
	gh_log_set_level(GH_LOG_WARN);
	r = gh_store_copy(from, &o, replace, counts, err, sizeof(err));
	if (r != GH_OK) {
		fprintf(stderr, "gatehouse migrate: %s\n", err);
		return 1;
	}
	for (i = 0; i < GH_COPY_TABLES; i++)
		printf("%-16s %lld rows\n", counts[i].table,
		    (long long)counts[i].target);
	printf("migrate: ok (counts verified, committed)\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct gh_config cfg;
	struct gh_app app;
	struct gh_server_opts so;
	struct gh_server *srv = NULL;
	struct gh_cors cors;
	struct gh_netset proxies;
	enum gh_config_action action;
	char err[512], pw[32];
	sigset_t sigs;
	int sig = 0;

	umask(077);
	if (sodium_init() < 0)
		gh_fatal("libsodium failed to initialise");
	if (argc > 1 && strcmp(argv[1], "migrate") == 0)
		return migrate_main(argc - 1, argv + 1);
	if (gh_config_load(&cfg, argc, argv, &action, err, sizeof(err)) !=
	    GH_OK) {
		fprintf(stderr, "gatehouse: %s\n", err);
		return 2;
	}
	switch (action) {
	case GH_CONFIG_HELP:
		gh_config_usage(stdout);
		return 0;
	case GH_CONFIG_VERSION:
		printf("gatehouse %s\n", GH_VERSION);
		return 0;
	case GH_CONFIG_PRINT:
		gh_config_print(&cfg, stdout);
		return 0;
	case GH_CONFIG_OPENAPI:
		memset(&app, 0, sizeof(app));
		build_openapi(&app);
		printf("%s\n", app.openapi);
		free(app.openapi);
		gh_config_release(&cfg);
		return 0;
	case GH_CONFIG_CHECK:
		load_secret(&cfg, false);
		printf("configuration ok (database %s)\n", db_name(&cfg));
		gh_config_release(&cfg);
		return 0;
	case GH_CONFIG_SERVE:
		break;
	}
	gh_log_set_level((enum gh_log_level)gh_log_level_parse(cfg.log_level));
	raise_nofile();
	ensure_dir(cfg.data_dir);
	load_secret(&cfg, true);
	drop_privileges(&cfg);

	/* signals: blocked here, so every thread created below inherits
	 * the mask and only sigwait() below sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	build_openapi(&app);
	open_store(&cfg, &app);
	gh_store_cache_enable(app.store, (unsigned)cfg.auth_cache_entries,
	    cfg.auth_cache_ttl_ms * 1000);
	gh_store_set_session_max(
	    app.store, cfg.session_max_days * 86400LL * 1000000);
	if (cfg.unsafe_sqlite_sync_normal && cfg.pg_conninfo == NULL) {
		app.store->relaxed_sync = true;
		gh_log_warn_f("UNSAFE_SQLITE_SYNC_NORMAL=1: commits are not "
		              "fsync'd; a power cut may undo answered writes");
	}
	app.jwt = gh_jwt_key_new(
	    (const unsigned char *)cfg.secret_key, strlen(cfg.secret_key));
	app.pw.opslimit = (unsigned long long)cfg.password_hash_iterations;
	app.pw.memlimit = (size_t)cfg.password_hash_memory_kib * 1024;
	randombytes_buf(pw, sizeof(pw));
	if (gh_password_hash(&app.pw, pw, sizeof(pw), app.dummy_hash) != GH_OK)
		gh_fatal("cannot compute the dummy password hash");
	sodium_memzero(pw, sizeof(pw));
	if (gh_workq_new(hash_workers(&cfg), (size_t)cfg.hash_queue_max,
	        &app.hashq) != GH_OK)
		gh_fatal("cannot start the hashing workers");

	memset(&so, 0, sizeof(so));
	so.host = cfg.host;
	so.port = (uint16_t)cfg.port;
	so.threads = http_threads(&cfg);
	so.max_connections = (unsigned)cfg.max_connections;
	so.max_connections_per_ip = (unsigned)cfg.max_connections_per_ip;
	so.idle_timeout_s = (unsigned)cfg.idle_timeout_seconds;
	so.request_timeout_s = (unsigned)cfg.request_timeout_seconds;
	so.max_body = (size_t)cfg.max_body_bytes;
	so.max_header = (size_t)cfg.max_header_bytes;
	if (gh_cors_parse(cfg.cors_origins, &cors) != GH_OK)
		gh_fatal("CORS_ORIGINS must be a comma list of "
		         "http(s)://host[:port] origins or *");
	so.cors = &cors;
	if (gh_netset_parse(cfg.trusted_proxies, &proxies, err, sizeof(err)) !=
	    GH_OK)
		gh_fatal("TRUSTED_PROXIES: %s", err);
	so.trusted_proxies = &proxies;
	so.routes = gh_routes;
	so.nroutes = gh_routes_count;
	so.app = &app;
	so.hashq = app.hashq;
	if (gh_server_start(&so, &srv) != GH_OK)
		gh_fatal("cannot start the HTTP server on %s:%lld", cfg.host,
		    (long long)cfg.port);
	gh_log_info_f("gatehouse %s listening on http://%s:%u (database %s)",
	    GH_VERSION, cfg.host, (unsigned)gh_server_port(srv), db_name(&cfg));

	while (sigwait(&sigs, &sig) != 0)
		;
	gh_log_info_f("signal %d: shutting down", sig);
	gh_server_stop(srv, SHUTDOWN_GRACE_MS, drain_deferred, &app);
	gh_workq_free(app.hashq);
	gh_store_close(app.store);
	gh_jwt_key_free(app.jwt);
	gh_cors_release(&cors);
	gh_netset_release(&proxies);
	sodium_memzero(app.dummy_hash, sizeof(app.dummy_hash));
	free(app.openapi);
	gh_config_release(&cfg);
	gh_log_info_f("stopped");
	return 0;
}
