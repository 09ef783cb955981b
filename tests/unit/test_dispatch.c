/*
 * test_dispatch.c - the server enforces what a route row declares, with
 * no help from the handler.
 *
 * A real server (http/server.c on a free loopback port) serves a table of
 * test rows whose handlers only count that they ran and answer 200.  Each
 * test sends real HTTP requests and checks that what the row declares
 * (guard, role, path id, query bounds, body schema, owner lookup) is
 * answered before the handler: the handler's counter does not move.
 * Authentication is the real auth layer (auth/authn.h) over a real store
 * in a temporary folder: each test user has an API key, and one has a
 * console session whose cookie the cookie tests present.  Every flag a
 * row can carry has a test: NO_APIKEY, COOKIE, THROTTLED and HASHES here;
 * HIDDEN and NO_STORE only shape /openapi.json (test_openapi.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <semaphore.h>
#include <sched.h>

#include "auth/jwt.h"
#include "auth/token.h"
#include "config.h"
#include "handlers/app.h"
#include "handlers/console.h"
#include "http/resp.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"
#include "util/timefmt.h"
#include "util/workq.h"

#include "store_fixture.h"

STORE_TEST_DIR("/tmp/gh-test-dispatch");

static atomic_int reached;

static enum gh_err
h_reached(struct gh_req *req)
{
	char body[96];
	int n;

	atomic_fetch_add(&reached, 1);
	n = snprintf(body, sizeof(body), "{\"id\":%lld,\"limit\":%lld}",
	    (long long)req->id, (long long)gh_req_query_int(req, "limit", -1));
	return gh_resp_data(req, 200, "application/json", body, (size_t)n);
}

/* The test users: name, role, and what setup makes of them. */
static struct cred {
	const char *name;
	enum gh_role role;
	gh_id id;
	char key[80];                /* "gh_<prefix>_<secret>" */
	char cookie[GH_TOKEN_BUFSZ]; /* the owner's console cookie */
} creds[] = {
    {"alice", GH_ROLE_USER},
    {"mod", GH_ROLE_MODERATOR},
    {"admin", GH_ROLE_ADMIN},
    {"owner", GH_ROLE_USER},
    {"other", GH_ROLE_USER},
};

static struct cred *
cred(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		if (strcmp(creds[i].name, name) == 0)
			return &creds[i];
	fail_msg("no test user %s", name);
	return NULL;
}

/* Thing 1 belongs to "owner"; thing 2 does not exist. */
static enum gh_err
thing_owner(struct gh_req *req, gh_id id, gh_id *owner)
{
	(void)req;
	if (id != 1)
		return GH_ERR_NOTFOUND;
	*owner = cred("owner")->id;
	return GH_OK;
}

static const struct gh_field thing_fields[] = {
    {"name", GH_F_STR, GH_F_REQ, 1, 5},
    {"done", GH_F_BOOL, 0},
    {NULL},
};
static const struct gh_schema thing_schema = {"Thing", NULL, thing_fields};
static const struct gh_route_query list_query[] = {
    {"limit", false, 1, 10, NULL},
    {NULL},
};
static const struct gh_route_resp thing_resps[] = {
    {200, NULL, NULL},
    {404, "HTTPError", "Thing not found"},
    {0},
};

static const struct gh_route rows[] = {
    {.method = GH_GET, .pattern = "/open", .handler = h_reached},
    {.method = GH_GET,
        .pattern = "/user",
        .handler = h_reached,
        .guard = GH_GUARD_USER},
    {.method = GH_GET,
        .pattern = "/admin",
        .handler = h_reached,
        .guard = GH_GUARD_ROLE,
        .role = GH_ROLE_ADMIN,
        .deny_detail = "Admins only"},
    {.method = GH_GET,
        .pattern = "/list",
        .handler = h_reached,
        .query = list_query},
    {.method = GH_PATCH,
        .pattern = "/things/{thing_id}",
        .handler = h_reached,
        .guard = GH_GUARD_OWNER,
        .action = GH_ACT_POST_UPDATE,
        .deny_detail = "Not your thing",
        .body = GH_BODY_JSON,
        .request = &thing_schema,
        .responses = thing_resps,
        .owner = thing_owner},
    {.method = GH_DELETE,
        .pattern = "/things/{thing_id}",
        .handler = h_reached,
        .guard = GH_GUARD_USER,
        .responses = thing_resps},
    {.method = GH_GET,
        .pattern = "/nokey",
        .handler = h_reached,
        .guard = GH_GUARD_USER,
        .flags = GH_ROUTE_NO_APIKEY | GH_ROUTE_COOKIE},
    {.method = GH_GET,
        .pattern = "/cookie",
        .handler = h_reached,
        .guard = GH_GUARD_USER,
        .flags = GH_ROUTE_COOKIE},
    {.method = GH_POST,
        .pattern = "/attempt",
        .handler = h_reached,
        .body = GH_BODY_FORM,
        .flags = GH_ROUTE_THROTTLED},
    {.method = GH_POST,
        .pattern = "/attempt-json",
        .handler = h_reached,
        .body = GH_BODY_JSON,
        .flags = GH_ROUTE_THROTTLED},
    {.method = GH_POST,
        .pattern = "/change",
        .handler = h_reached,
        .guard = GH_GUARD_USER,
        .flags = GH_ROUTE_THROTTLED},
    {.method = GH_POST,
        .pattern = "/hash",
        .handler = h_reached,
        .flags = GH_ROUTE_HASHES},
};

static struct gh_server *srv;
static uint16_t port;
static struct gh_config cfg;
static struct gh_app app;
static char db_path[200];
static char secret[] = "dispatch-test-secret-0123456789abcdef0123456789";

/* Each test user, with an API key; the owner with a console session. */
static void
make_users(struct gh_arena *a)
{
	unsigned char h[GH_TOKEN_HASHSZ];
	char secret_part[GH_TOKEN_BUFSZ], prefix[16];
	struct gh_user u;
	struct gh_apikey k;
	gh_id sid;
	size_t i;
	int64_t now = gh_time_now_usec();

	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
		struct cred *c = &creds[i];
		char email[64];

		snprintf(email, sizeof(email), "%s@example.com", c->name);
		assert_int_equal(gh_store_user_create(app.store, c->name, email,
		                     app.dummy_hash, now, a, &u),
		    GH_OK);
		c->id = u.id;
		if (c->role != GH_ROLE_USER)
			assert_int_equal(gh_store_user_admin_update(app.store,
			                     u.id, &c->role, NULL, a, &u),
			    GH_OK);
		snprintf(prefix, sizeof(prefix), "%012zx", i + 1);
		gh_token_new(secret_part, h);
		assert_int_equal(gh_store_apikey_create(app.store, u.id, "t",
		                     prefix, h, now, 0, 7, a, &k),
		    GH_OK);
		snprintf(
		    c->key, sizeof(c->key), "gh_%s_%s", prefix, secret_part);
		if (strcmp(c->name, "owner") != 0)
			continue;
		gh_token_new(c->cookie, h); /* h: the refresh token's, unused */
		assert_int_equal(
		    gh_store_session_create(app.store, u.id, h, now,
		        now + 3600000000LL, "test", "127.0.0.1", &sid),
		    GH_OK);
		gh_token_hash(c->cookie, strlen(c->cookie), h);
		assert_int_equal(
		    gh_store_session_set_cookie(app.store, sid, h), GH_OK);
	}
}

static int
setup(void **state)
{
	struct gh_server_opts o = {0};
	struct gh_arena *a;

	if (group_setup(state) != 0)
		return -1;
	gh_config_defaults(&cfg);
	cfg.secret_key = secret;
	app.cfg = &cfg;
	snprintf(db_path, sizeof(db_path), "%s/dispatch.db", tmp_dir);
	if (gh_store_open(db_path, &app.store) != GH_OK)
		return -1;
	app.jwt = gh_jwt_key_new((const unsigned char *)secret, strlen(secret));
	snprintf(app.dummy_hash, sizeof(app.dummy_hash), "%s",
	    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
	    "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g");
	/* one worker, room for one queued job: test_hashes fills it */
	if (gh_workq_new(1, 1, &app.hashq) != GH_OK)
		return -1;
	a = gh_arena_new(1 << 16);
	make_users(a);
	gh_arena_free(a);
	o.host = "127.0.0.1";
	o.threads = 2;
	o.max_connections = 64;
	o.max_connections_per_ip = 64;
	o.idle_timeout_s = 5;
	o.request_timeout_s = 5;
	o.max_body = 1 << 16;
	o.max_header = 8192;
	o.routes = rows;
	o.nroutes = sizeof(rows) / sizeof(rows[0]);
	o.app = &app;
	o.hashq = app.hashq;
	if (gh_server_start(&o, &srv) != GH_OK)
		return -1;
	port = gh_server_port(srv);
	return 0;
}

static int
teardown(void **state)
{
	gh_server_stop(srv, 1000, NULL, NULL);
	gh_workq_free(app.hashq);
	gh_store_close(app.store);
	gh_jwt_key_free(app.jwt);
	remove_db(db_path);
	return group_teardown(state);
}

/* The header line presenting who: NULL (nobody), "name" (that user's
 * API key) or "cookie:name" (that user's console cookie). */
static void
who_header(const char *who, char *out, size_t outsz)
{
	out[0] = '\0';
	if (who == NULL)
		return;
	if (strncmp(who, "cookie:", 7) == 0)
		snprintf(out, outsz, "Cookie: %s=%s\r\n", GH_CONSOLE_COOKIE,
		    cred(who + 7)->cookie);
	else
		snprintf(out, outsz, "X-API-Key: %s\r\n", cred(who)->key);
}

/* One request on a fresh connection; the status, body into OUT: body.
 * A body starting "form:" is sent as a form, any other as JSON. */
static int
http(const char *method, const char *path, const char *who, const char *body_in,
    char *body, size_t bodysz)
{
	struct sockaddr_in sa = {0};
	char req[2048], resp[8192], hdr[256], *p;
	const char *ct = "application/json";
	size_t got = 0;
	ssize_t n;
	int fd, status = -1;

	if (body_in != NULL && strncmp(body_in, "form:", 5) == 0) {
		ct = "application/x-www-form-urlencoded";
		body_in += 5;
	}
	who_header(who, hdr, sizeof(hdr));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, hdr, ct, body_in ? strlen(body_in) : 0,
	    body_in ? body_in : "");
	assert_int_equal(write(fd, req, (size_t)n), n);
	while ((n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	resp[got] = '\0';
	sscanf(resp, "HTTP/1.1 %d", &status);
	p = strstr(resp, "\r\n\r\n");
	snprintf(body, bodysz, "%s", p ? p + 4 : "");
	return status;
}

/* The request is answered status, with text in its body, and the
 * handler did not run (or ran, when ran is true). */
static void
expect(const char *method, const char *path, const char *who, const char *json,
    int status, const char *text, bool ran)
{
	char body[4096];
	int before = atomic_load(&reached);

	assert_int_equal(
	    http(method, path, who, json, body, sizeof(body)), status);
	if (text != NULL && strstr(body, text) == NULL)
		fail_msg("%s %s: %s not in %s", method, path, text, body);
	if (atomic_load(&reached) - before != (ran ? 1 : 0))
		fail_msg("%s %s: the handler %s", method, path,
		    ran ? "did not run" : "ran");
}

static void
test_guards(void **state)
{
	(void)state;
	expect("GET", "/open", NULL, NULL, 200, NULL, true);
	expect("GET", "/user", NULL, NULL, 401, "Not authenticated", false);
	expect("GET", "/user", "alice", NULL, 200, NULL, true);
	expect("GET", "/admin", "mod", NULL, 403, "Admins only", false);
	expect("GET", "/admin", "admin", NULL, 200, NULL, true);
}

static void
test_query_bounds(void **state)
{
	(void)state;
	expect("GET", "/list?limit=11", NULL, NULL, 422,
	    "\"loc\":[\"query\",\"limit\"]", false);
	expect("GET", "/list?limit=0", NULL, NULL, 422,
	    "greater than or equal to 1", false);
	expect("GET", "/list?limit=x", NULL, NULL, 422,
	    "value is not a valid integer", false);
	expect("GET", "/list?limit=3", NULL, NULL, 200, "\"limit\":3", true);
	expect("GET", "/list", NULL, NULL, 200, "\"limit\":-1", true);
}

static void
test_path_id(void **state)
{
	(void)state;
	expect("DELETE", "/things/abc", "owner", NULL, 422,
	    "\"loc\":[\"path\",\"thing_id\"]", false);
	expect("DELETE", "/things/0", "owner", NULL, 404, "Thing not found",
	    false);
	expect("DELETE", "/things/99999999999999999999", "owner", NULL, 404,
	    "Thing not found", false);
	expect("DELETE", "/things/5", "owner", NULL, 200, "\"id\":5", true);
}

static void
test_body_schema(void **state)
{
	(void)state;
	expect("PATCH", "/things/1", "owner", "{\"name\":\"\"}", 422,
	    "\"loc\":[\"body\",\"name\"]", false);
	expect("PATCH", "/things/1", "owner", "{\"name\":\"abcdef\"}", 422,
	    "at most 5 characters", false);
	expect("PATCH", "/things/1", "owner", "{\"done\":1}", 422,
	    "field required", false);
	expect("PATCH", "/things/1", "owner", "{\"name\":\"a\",\"done\":1}",
	    422, "value could not be parsed to a boolean", false);
	expect("PATCH", "/things/1", "owner", "{\"name\":", 422,
	    "value_error.jsondecode", false);
	expect("PATCH", "/things/1", "owner", "[1]", 422, "type_error.dict",
	    false);
	/* path and body errors in one 422, path first */
	expect("PATCH", "/things/x", "owner", "{}", 422,
	    "[{\"loc\":[\"path\",\"thing_id\"]", false);
	expect("PATCH", "/things/1", "owner", "{\"name\":\"ok\"}", 200,
	    "\"id\":1", true);
}

static void
test_owner(void **state)
{
	(void)state;
	/* the body is checked before the row is looked up (FastAPI) */
	expect(
	    "PATCH", "/things/2", "other", "{\"name\":\"\"}", 422, NULL, false);
	expect("PATCH", "/things/2", "other", "{\"name\":\"a\"}", 404,
	    "Thing not found", false);
	expect("PATCH", "/things/1", "other", "{\"name\":\"a\"}", 403,
	    "Not your thing", false);
	expect("PATCH", "/things/1", "mod", "{\"name\":\"a\"}", 403,
	    "Not your thing", false);
	expect(
	    "PATCH", "/things/1", "admin", "{\"name\":\"a\"}", 200, NULL, true);
	expect(
	    "PATCH", "/things/1", "owner", "{\"name\":\"a\"}", 200, NULL, true);
}

/* GH_ROUTE_NO_APIKEY: an API key is refused (403) where the row says
 * so, accepted where it does not; the cookie still passes. */
static void
test_flag_no_apikey(void **state)
{
	(void)state;
	expect("GET", "/nokey", "owner", NULL, 403,
	    "API keys cannot be used for this action", false);
	expect("GET", "/nokey", "cookie:owner", NULL, 200, NULL, true);
	expect("GET", "/user", "owner", NULL, 200, NULL, true);
}

/* GH_ROUTE_COOKIE: the console's cookie authenticates on a row that
 * allows it, and is no credential at all on one that does not. */
static void
test_flag_cookie(void **state)
{
	(void)state;
	expect("GET", "/cookie", "cookie:owner", NULL, 200, NULL, true);
	expect("GET", "/user", "cookie:owner", NULL, 401, "Not authenticated",
	    false);
	expect("GET", "/admin", "cookie:owner", NULL, 401, NULL, false);
}

/* GH_ROUTE_THROTTLED: a locked username (from a form, from a JSON body,
 * or the authenticated user's own) is refused with 429 before the
 * handler; other names, and requests naming none, reach it. */
static void
test_flag_throttled(void **state)
{
	struct gh_login_counter lc;
	int64_t i, now = gh_time_now_usec() / 1000000;

	(void)state;
	for (i = 0; i <= cfg.login_max_failures; i++) {
		assert_int_equal(
		    gh_store_login_failure_add(app.store, "user", "locked", now,
		        cfg.login_window_seconds, &lc),
		    GH_OK);
		assert_int_equal(
		    gh_store_login_failure_add(app.store, "user", "other", now,
		        cfg.login_window_seconds, &lc),
		    GH_OK);
	}
	expect("POST", "/attempt", NULL, "form:username=locked&password=x", 429,
	    "Too many failed login attempts", false);
	expect("POST", "/attempt-json", NULL,
	    "{\"username\":\"locked\",\"password\":\"x\"}", 429, NULL, false);
	expect("POST", "/change", "other", "{}", 429, NULL, false);
	expect("POST", "/attempt", NULL, "form:username=free&password=x", 200,
	    NULL, true);
	expect("POST", "/attempt", NULL, "form:password=x", 200, NULL, true);
	expect("POST", "/change", "alice", "{}", 200, NULL, true);
	assert_int_equal(
	    gh_store_login_counter_clear(app.store, "user", "other"), GH_OK);
}

static sem_t job_go, job_done;

static void
job_block(void *arg)
{
	(void)arg;
	sem_wait(&job_go);
}

static void
job_finished(void *arg)
{
	(void)arg;
	sem_post(&job_done);
}

/* GH_ROUTE_HASHES: while the hashing pool's queue is full the row is
 * refused with 503 and Retry-After, before anything else. */
static void
test_flag_hashes(void **state)
{
	(void)state;
	sem_init(&job_go, 0, 0);
	sem_init(&job_done, 0, 0);
	/* one job runs (blocked), one waits: the queue is full */
	assert_int_equal(
	    gh_workq_submit(app.hashq, job_block, job_finished, NULL), GH_OK);
	while (
	    gh_workq_submit(app.hashq, job_block, job_finished, NULL) != GH_OK)
		sched_yield(); /* until the worker took the first */
	assert_true(gh_workq_full(app.hashq));
	expect("POST", "/hash", NULL, NULL, 503, "Server busy", false);
	sem_post(&job_go);
	sem_post(&job_go);
	sem_wait(&job_done);
	sem_wait(&job_done);
	expect("POST", "/hash", NULL, NULL, 200, NULL, true);
	sem_destroy(&job_go);
	sem_destroy(&job_done);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guards),
	    cmocka_unit_test(test_query_bounds),
	    cmocka_unit_test(test_path_id),
	    cmocka_unit_test(test_body_schema),
	    cmocka_unit_test(test_owner),
	    cmocka_unit_test(test_flag_no_apikey),
	    cmocka_unit_test(test_flag_cookie),
	    cmocka_unit_test(test_flag_throttled),
	    cmocka_unit_test(test_flag_hashes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
