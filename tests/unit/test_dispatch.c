/*
 * test_dispatch.c - the server enforces what a route row declares, with
 * no help from the handler.
 *
 * A real server (http/server.c on a free loopback port) serves a table of
 * test rows whose handlers only count that they ran and answer 200.  Each
 * test sends real HTTP requests and checks that what the row declares
 * (guard, role, path id, query bounds, body schema, owner lookup) is
 * answered before the handler: the handler's counter does not move.
 * The authenticate hook is a stand-in that reads "Bearer <uid>:<role>".
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

#include "http/resp.h"
#include "http/router.h"
#include "http/server.h"

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

/* Thing 1 belongs to user 7; thing 2 does not exist. */
static enum gh_err
thing_owner(struct gh_req *req, gh_id id, gh_id *owner)
{
	(void)req;
	if (id != 1)
		return GH_ERR_NOTFOUND;
	*owner = 7;
	return GH_OK;
}

/* "Authorization: Bearer <uid>:<role>", role u, m or a. */
static enum gh_err
fake_authn(struct gh_req *req)
{
	const char *h = gh_req_header(req, "Authorization");
	long long uid;
	char role;

	if (h == NULL || sscanf(h, "Bearer %lld:%c", &uid, &role) != 2)
		return gh_resp_unauth(req, "Not authenticated", false);
	req->authenticated = true;
	req->actor.uid = uid;
	req->actor.role = role == 'a'   ? GH_ROLE_ADMIN
	                  : role == 'm' ? GH_ROLE_MODERATOR
	                                : GH_ROLE_USER;
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
};

static struct gh_server *srv;
static uint16_t port;

static int
setup(void **state)
{
	struct gh_server_opts o = {0};

	(void)state;
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
	o.authenticate = fake_authn;
	if (gh_server_start(&o, &srv) != GH_OK)
		return -1;
	port = gh_server_port(srv);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gh_server_stop(srv, 1000, NULL, NULL);
	return 0;
}

/* One request on a fresh connection; the status, body into OUT: body. */
static int
http(const char *method, const char *path, const char *auth, const char *json,
    char *body, size_t bodysz)
{
	struct sockaddr_in sa = {0};
	char req[1024], resp[8192], *p;
	size_t got = 0;
	ssize_t n;
	int fd, status = -1;

	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	    "%s%s%s"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, auth ? "Authorization: Bearer " : "",
	    auth ? auth : "", auth ? "\r\n" : "", json ? strlen(json) : 0,
	    json ? json : "");
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
expect(const char *method, const char *path, const char *auth, const char *json,
    int status, const char *text, bool ran)
{
	char body[4096];
	int before = atomic_load(&reached);

	assert_int_equal(
	    http(method, path, auth, json, body, sizeof(body)), status);
	if (text != NULL && strstr(body, text) == NULL)
		fail_msg("%s %s: %s not in %s", method, path, text, body);
	assert_int_equal(atomic_load(&reached) - before, ran ? 1 : 0);
}

static void
test_guards(void **state)
{
	(void)state;
	expect("GET", "/open", NULL, NULL, 200, NULL, true);
	expect("GET", "/user", NULL, NULL, 401, "Not authenticated", false);
	expect("GET", "/user", "3:u", NULL, 200, NULL, true);
	expect("GET", "/admin", "3:m", NULL, 403, "Admins only", false);
	expect("GET", "/admin", "3:a", NULL, 200, NULL, true);
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
	expect("DELETE", "/things/abc", "7:u", NULL, 422,
	    "\"loc\":[\"path\",\"thing_id\"]", false);
	expect(
	    "DELETE", "/things/0", "7:u", NULL, 404, "Thing not found", false);
	expect("DELETE", "/things/99999999999999999999", "7:u", NULL, 404,
	    "Thing not found", false);
	expect("DELETE", "/things/5", "7:u", NULL, 200, "\"id\":5", true);
}

static void
test_body_schema(void **state)
{
	(void)state;
	expect("PATCH", "/things/1", "7:u", "{\"name\":\"\"}", 422,
	    "\"loc\":[\"body\",\"name\"]", false);
	expect("PATCH", "/things/1", "7:u", "{\"name\":\"abcdef\"}", 422,
	    "at most 5 characters", false);
	expect("PATCH", "/things/1", "7:u", "{\"done\":1}", 422,
	    "field required", false);
	expect("PATCH", "/things/1", "7:u", "{\"name\":\"a\",\"done\":1}", 422,
	    "value could not be parsed to a boolean", false);
	expect("PATCH", "/things/1", "7:u", "{\"name\":", 422,
	    "value_error.jsondecode", false);
	expect(
	    "PATCH", "/things/1", "7:u", "[1]", 422, "type_error.dict", false);
	/* path and body errors in one 422, path first */
	expect("PATCH", "/things/x", "7:u", "{}", 422,
	    "[{\"loc\":[\"path\",\"thing_id\"]", false);
	expect("PATCH", "/things/1", "7:u", "{\"name\":\"ok\"}", 200,
	    "\"id\":1", true);
}

static void
test_owner(void **state)
{
	(void)state;
	/* the body is checked before the row is looked up (FastAPI) */
	expect(
	    "PATCH", "/things/2", "8:u", "{\"name\":\"\"}", 422, NULL, false);
	expect("PATCH", "/things/2", "8:u", "{\"name\":\"a\"}", 404,
	    "Thing not found", false);
	expect("PATCH", "/things/1", "8:u", "{\"name\":\"a\"}", 403,
	    "Not your thing", false);
	expect("PATCH", "/things/1", "8:m", "{\"name\":\"a\"}", 403,
	    "Not your thing", false);
	expect(
	    "PATCH", "/things/1", "8:a", "{\"name\":\"a\"}", 200, NULL, true);
	expect(
	    "PATCH", "/things/1", "7:u", "{\"name\":\"a\"}", 200, NULL, true);
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
