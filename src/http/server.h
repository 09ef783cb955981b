/*
 * server.h - the HTTP server: libmicrohttpd glue, limits, dispatch.
 *
 * The server owns the listening socket, the HTTP threads (epoll thread
 * pool), request lifetimes and the limits checked before any parsing:
 * header block size (431), body size (413), the time allowed to receive
 * a request, idle keep-alive time and connection counts.  It matches the
 * route table, enforces what the matched row declares (its guard through
 * auth/authn.h, its flags, its input through http/input.h) and calls the
 * handler.  It knows nothing of users or SQL.
 */
#ifndef GH_SERVER_H
#define GH_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "gh.h"
#include "http/cors.h"
#include "http/req.h"

struct gh_workq;

struct gh_server_opts {
	const char *host;
	uint16_t port; /* 0 = any free port */
	unsigned threads;
	unsigned max_connections, max_connections_per_ip;
	unsigned idle_timeout_s, request_timeout_s;
	size_t max_body, max_header;
	/* the route table (routes.c's gh_routes; a test's own table) */
	const struct gh_route *routes;
	size_t nroutes;
	void *app;                  /* handed to handlers as req->app */
	const struct gh_cors *cors; /* NULL or disabled: no CORS */
	/* TRUSTED_PROXIES: peers whose X-Forwarded-For and
	 * X-Forwarded-Proto are believed (NULL: none) */
	const struct gh_netset *trusted_proxies;
	/* the hashing pool: a GH_ROUTE_HASHES row is refused (503) while
	 * its queue is full (NULL: never) */
	struct gh_workq *hashq;
};

struct gh_server;

/* Bind and start serving.  *out is freed by gh_server_stop(). */
enum gh_err gh_server_start(
    const struct gh_server_opts *o, struct gh_server **out);

/* The bound port (useful with port 0). */
uint16_t gh_server_port(const struct gh_server *s);

/*
 * Stop accepting, let in-flight requests finish for up to grace_ms, then
 * call drain(arg) (main shuts the hashing pool down there: every
 * suspended request is resumed and answered), wait for those answers
 * (bounded), stop the threads and free the server.  libmicrohttpd must
 * not be stopped while a connection is suspended.
 */
void gh_server_stop(struct gh_server *s, unsigned grace_ms,
    void (*drain)(void *arg), void *arg);

#endif /* GH_SERVER_H */
