/*
 * server.c - libmicrohttpd glue: request lifetime, limits, dispatch.
 *
 * A request's path through this file:
 *   uri_cb        request line read: the request and its arena are born
 *   on_request #1 headers read: header-size (431) and Content-Length
 *                 (413) limits, before any parsing
 *   on_request #n body chunks appended to a buffer with a hard maximum
 *   on_request    body complete: route match (404/405), the row's guard
 *                 (503 while the hashing pool is full for a HASHES row;
 *                 401/403 from auth/authn.h and the policy), its input
 *                 (http/input.h: 422, 404, the owner's 403), throttling
 *                 for a THROTTLED row (429), then the handler
 *   (suspended)   a handler that deferred work to the hashing pool is
 *                 called again when the pool resumes the connection
 *   completed_cb  the body is wiped, the arena freed
 *
 * Slow clients: libmicrohttpd's own timeout closes a connection that is
 * silent for IDLE_TIMEOUT_SECONDS; it cannot see a client that trickles
 * one byte at a time.  Every connection is therefore tracked (notify_cb)
 * and a sweeper thread shuts down the socket of any connection that has
 * spent more than REQUEST_TIMEOUT_SECONDS receiving one request, or that
 * has not started its first request within that time.  shutdown(2) only
 * wakes libmicrohttpd, which then closes the connection itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "authn/authn.h"
#include "http/forwarded.h"
#include "http/input.h"
#include "http/resp.h"
#include "http/router.h"
#include "http/server.h"
#include "log.h"
#include "util/form.h"
#include "util/timefmt.h"
#include "util/workq.h"
#include "util/banned.h"

/* A request's arena may hold what its handler keeps of the body across a
 * suspension plus the row a store call copies back (a post's content
 * twice), and 1 MiB for everything else; it grows only as used. */
#define REQ_ARENA_BASE (1024 * 1024)

enum track_state {
	T_NEW,       /* connected, no request yet */
	T_RECEIVING, /* request line seen, headers/body not complete */
	T_PROCESSING,
	T_IDLE, /* between keep-alive requests */
};

struct gh_conn_track {
	int fd;
	_Atomic int state;
	_Atomic int64_t since; /* usec when state was entered */
	struct gh_conn_track *prev, *next;
};

struct gh_server {
	struct gh_server_opts o;
	struct MHD_Daemon *d;
	uint16_t port;
	atomic_long inflight;
	atomic_bool draining; /* shutting down: no new connection */

	pthread_mutex_t mu; /* guards conns */
	struct gh_conn_track *conns;

	pthread_t sweeper;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stopping;
};

/*
 * libmicrohttpd's accept policy: while the server drains at shutdown, a
 * new connection is closed at once.  (MHD_quiesce_daemon would stop
 * accepting too, but with the epoll thread pool it races the workers'
 * own removal of the listen socket and aborts the process: libmicrohttpd
 * 0.9.75, "Failed to remove listen FD from epoll set".)
 */
static enum MHD_Result
accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct gh_server *s = cls;

	GH_UNUSED(addr);
	GH_UNUSED(addrlen);
	return atomic_load(&s->draining) ? MHD_NO : MHD_YES;
}

static void
track_set(struct gh_conn_track *t, enum track_state st)
{
	if (t == NULL)
		return;
	atomic_store(&t->since, gh_time_now_usec());
	atomic_store(&t->state, st);
}

static void
notify_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct gh_server *s = cls;
	struct gh_conn_track *t;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		t = gh_xcalloc(1, sizeof(*t));
		ci = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		t->fd = ci != NULL ? ci->connect_fd : -1;
		track_set(t, T_NEW);
		pthread_mutex_lock(&s->mu);
		t->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = t;
		s->conns = t;
		pthread_mutex_unlock(&s->mu);
		*socket_context = t;
		return;
	}
	if ((t = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		s->conns = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&s->mu);
	free(t);
	*socket_context = NULL;
}

static void *
sweeper_main(void *arg)
{
	struct gh_server *s = arg;
	int64_t limit = (int64_t)s->o.request_timeout_s * 1000000, now;
	struct gh_conn_track *t;
	struct timespec ts;
	int st;

	pthread_mutex_lock(&s->stop_mu);
	while (!s->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &ts);
		if (s->stopping)
			break;
		now = gh_time_now_usec();
		pthread_mutex_lock(&s->mu);
		for (t = s->conns; t != NULL; t = t->next) {
			st = atomic_load(&t->state);
			if ((st == T_NEW || st == T_RECEIVING) &&
			    now - atomic_load(&t->since) > limit &&
			    t->fd >= 0) {
				gh_log_info_f("closing a connection that sent "
				              "no complete request in %us",
				    s->o.request_timeout_s);
				shutdown(t->fd, SHUT_RDWR);
				atomic_store(&t->since, now); /* once */
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->stop_mu);
	return NULL;
}

static void
client_ip(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, outsz, "unknown");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)outsz);
}

/* The client's address and scheme, once, before anything reads them
 * (req.h); the peer's address is in req->ip from uri_cb. */
static void
resolve_client(struct gh_server *s, struct gh_req *req)
{
	char peer[GH_ADDR_STRLEN];
	const char *proto;

	memcpy(peer, req->ip, sizeof(peer));
	req->peer_trusted = gh_forwarded_client(s->o.trusted_proxies, peer,
	    gh_req_header_all(req, "X-Forwarded-For"), req->ip);
	gh_netaddr_bucket(req->ip, req->ip_bucket);
	proto = gh_req_header(req, "X-Forwarded-Proto");
	req->https = req->peer_trusted && proto != NULL &&
	             strcasecmp(proto, "https") == 0;
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct gh_server *s = cls;
	struct gh_arena *a = gh_arena_new(2 * s->o.max_body + REQ_ARENA_BASE);
	struct gh_req *req = gh_arena_alloc(a, sizeof(*req));
	const union MHD_ConnectionInfo *ci;

	GH_UNUSED(uri);
	req->arena = a;
	req->conn = conn;
	req->app = s->o.app;
	req->started_usec = gh_time_now_usec();
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL)
		req->track = ci->socket_context;
	track_set(req->track, T_RECEIVING);
	client_ip(conn, req->ip, sizeof(req->ip));
	atomic_fetch_add(&s->inflight, 1);
	return req;
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct gh_server *s = cls;
	struct gh_req *req = *con_cls;

	GH_UNUSED(conn);
	GH_UNUSED(toe);
	if (req == NULL)
		return;
	*con_cls = NULL;
	track_set(req->track, T_IDLE);
	gh_input_release(req);
	gh_fail_release(req);
	if (req->held != NULL) /* the client left during the barrier */
		MHD_destroy_response(req->held);
	if (req->body != NULL) {
		sodium_memzero(req->body, req->body_cap);
		free(req->body);
	}
	gh_arena_free(req->arena);
	atomic_fetch_sub(&s->inflight, 1);
}

/* What the header block holds, for the checks before any parsing. */
struct hdr_scan {
	size_t n;     /* bytes, about as sent */
	bool bad;     /* a control byte (NUL included) in a name or value */
	unsigned ncl; /* Content-Length fields */
	bool te;      /* a Transfer-Encoding field */
};

static bool
has_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return true;
	return false;
}

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct hdr_scan *h = cls;

	GH_UNUSED(kind);
	h->n += key_size + value_size + 4;
	/* RFC 9110 5.5: a control byte is refused.  (A NUL cannot be seen
	 * here: libmicrohttpd 0.9.75 already cut the value at it.) */
	if (has_ctl(key, key_size) ||
	    (value != NULL && has_ctl(value, value_size)))
		h->bad = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->ncl++;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		h->te = true;
	return MHD_YES;
}

/*
 * 431/413/400 before anything is parsed; true when a response was
 * queued.  Framing a proxy in front could read another way is refused
 * (RFC 9112 6.3: request smuggling): more than one Content-Length, or a
 * Content-Length beside a Transfer-Encoding; so is a control byte in any
 * header or the path (except NUL, which libmicrohttpd hides).
 */
static bool
check_limits(struct gh_server *s, struct gh_req *req, const char *url)
{
	struct hdr_scan h = {strlen(url), false, 0, false};
	const char *cl;
	char *end;
	unsigned long long n;

	MHD_get_connection_values_n(
	    req->conn, MHD_HEADER_KIND, scan_header, &h);
	if (h.n > s->o.max_header) {
		gh_resp_status(
		    req, 431, "Request header fields too large", NULL, NULL);
		return true;
	}
	if (h.bad || has_ctl(url, strlen(url))) {
		gh_resp_status(
		    req, 400, "Invalid character in the request", NULL, NULL);
		return true;
	}
	if (h.ncl > 1 || (h.ncl > 0 && h.te)) {
		gh_resp_status(
		    req, 400, "Conflicting message framing", NULL, NULL);
		return true;
	}
	cl = MHD_lookup_connection_value(
	    req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || n > s->o.max_body) {
			gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
			return true;
		}
		if (n > 0) {
			req->body_cap = (size_t)n + 1;
			req->body = gh_xmalloc(req->body_cap);
		}
	}
	return false;
}

static bool
append_body(struct gh_server *s, struct gh_req *req, const char *data, size_t n)
{
	size_t cap;

	if (n > s->o.max_body - req->body_len)
		return false;
	if (req->body_len + n + 1 > req->body_cap) {
		cap = GH_MAX(req->body_cap * 2, req->body_len + n + 1);
		cap = GH_MIN(cap, s->o.max_body + 1);
		req->body = gh_xrealloc(req->body, cap);
		/* the old block may hold part of a password: realloc copied
		 * it; nothing else can be done portably, so keep blocks few
		 * by sizing from Content-Length when the client sends one */
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
	return true;
}

/*
 * After a handler (or a check before it) returned r: the one place a
 * failure becomes a response (resp.h gh_resp_fail).  A handler that
 * neither answered nor deferred nor failed is a bug: 500.
 */
static void
finish(struct gh_req *req, enum gh_err r)
{
	if (req->deferred)
		return;
	if (!req->responded) {
		if (r == GH_OK) {
			gh_log_error_f("%s %s: handler produced no response",
			    gh_method_name(req->method), req->route->pattern);
			r = gh_fail(req, GH_ERR_INTERNAL, NULL);
		}
		gh_resp_fail(req, r);
	}
	/* an answer held by the request's barrier (req.h): run it; the
	 * answer goes once it resumes the request */
	if (req->held != NULL && !req->barrier_running) {
		req->barrier_running = true;
		gh_req_suspend(req);
		req->barrier(req);
	}
}

/* "GET, HEAD, POST" for an allow mask. */
static void
allow_list(unsigned mask, char *out, size_t outsz)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < GH_METHOD_COUNT; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(out + len, outsz - len, "%s%s",
			    len ? ", " : "", gh_method_name((enum gh_method)i));
}

/* A CORS preflight: 204 with what this path allows (the CORS headers
 * proper are added by resp.c when the origin is allowed). */
static void
preflight(struct gh_req *req, unsigned mask)
{
	struct MHD_Response *r;
	char allow[128];

	allow_list(mask, allow, sizeof(allow));
	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return;
	if (req->cors_allow != NULL) {
		MHD_add_response_header(
		    r, "Access-Control-Allow-Methods", allow);
		MHD_add_response_header(
		    r, "Access-Control-Allow-Headers", GH_CORS_ALLOW_HEADERS);
		MHD_add_response_header(
		    r, "Access-Control-Max-Age", GH_CORS_MAX_AGE);
	}
	gh_resp_raw(req, 204, r);
}

/*
 * Who may call the row, before its input is even parsed: the hashing
 * pool's room (GH_ROUTE_HASHES: 503 while it is full, so a refused
 * request costs no parse and no lookup), the caller's credentials
 * (auth/authn.h), what the row accepts of them (GH_ROUTE_NO_APIKEY: 403
 * for an API key; GH_ROUTE_COOKIE: the console's cookie counts only
 * here) and the role.  GH_OK, or the failure to answer.
 */
static enum gh_err
guard(struct gh_server *s, struct gh_req *req, const struct gh_route *route)
{
	char detail[64];
	unsigned need;
	enum gh_err r;

	if ((route->flags & GH_ROUTE_HASHES) && s->o.hashq != NULL &&
	    gh_workq_full(s->o.hashq))
		return gh_fail_busy(req, "password hashing");
	if (route->guard == GH_GUARD_PUBLIC)
		return GH_OK;
	if ((r = gh_authn_request(req)) != GH_OK)
		return r;
	if (req->via_cookie && !(route->flags & GH_ROUTE_COOKIE)) {
		req->authenticated = false;
		return gh_fail_unauth(req, "Not authenticated", false);
	}
	if (req->via_apikey && (route->flags & GH_ROUTE_NO_APIKEY))
		return gh_fail(req, GH_ERR_DENIED,
		    "API keys cannot be used for this action");
	/* a key's scopes: read for GET and HEAD, write for the rest, admin
	 * for the admin-only rows (policy/policy.h) */
	need = gh_policy_scope_needed(
	    req->method == GH_GET || req->method == GH_HEAD,
	    route->guard == GH_GUARD_ROLE && route->role == GH_ROLE_ADMIN);
	if (!(req->actor.scopes & need)) {
		snprintf(detail, sizeof(detail),
		    "This API key lacks the %s scope", gh_scope_name(need));
		return gh_fail(req, GH_ERR_DENIED, detail);
	}
	if (route->guard == GH_GUARD_ROLE &&
	    !gh_policy_role_allows(req->actor.role, route->role))
		return gh_fail(req, GH_ERR_DENIED, route->deny_detail);
	return GH_OK;
}

static void
dispatch(struct gh_server *s, struct gh_req *req)
{
	const struct gh_route *route;
	enum gh_route_match m;
	enum gh_err r;
	char allow[128];
	unsigned mask;

	m = gh_router_match(s->o.routes, s->o.nroutes, req->method, req->path,
	    req->arena, &route, req->params, &mask);
	if (s->o.cors != NULL && s->o.cors->enabled) {
		req->cors_vary = true;
		req->cors_allow = gh_cors_allow(
		    s->o.cors, gh_req_header(req, MHD_HTTP_HEADER_ORIGIN));
		if (req->method == GH_OPTIONS && m != GH_ROUTE_NO_PATH &&
		    gh_req_header(req, "Access-Control-Request-Method") !=
		        NULL) {
			preflight(req, mask);
			return;
		}
	}
	if (m == GH_ROUTE_NO_PATH) {
		gh_resp_status(req, 404, "Not Found", NULL, NULL);
		return;
	}
	if (m == GH_ROUTE_NO_METHOD) {
		allow_list(mask, allow, sizeof(allow));
		gh_resp_status(req, 405, "Method Not Allowed", "Allow", allow);
		return;
	}
	req->route = route;
	/* who may call, the row's input, throttling: each check returns its
	 * failure, answered by finish() as a handler's would be */
	if ((r = guard(s, req, route)) == GH_OK &&
	    (r = gh_input_check(req)) == GH_OK &&
	    (route->flags & GH_ROUTE_THROTTLED))
		r = gh_authn_throttle(req);
	if (r != GH_OK) {
		finish(req, r);
		return;
	}
	finish(req, route->handler(req));
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct gh_server *s = cls;
	struct gh_req *req = *con_cls;

	GH_UNUSED(version);
	if (req == NULL) /* uri_cb always runs first; be defensive */
		*con_cls = req = uri_cb(s, url, conn);
	if (!req->headers_checked) {
		req->headers_checked = true;
		req->method = gh_method_parse(method);
		req->path = url;
		resolve_client(s, req);
		check_limits(s, req, url);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* libmicrohttpd accepts no response while a body is being
		 * received: past the limit, discard the rest (the request
		 * timeout bounds how long) and answer 413 at the end */
		if (!req->responded && !req->body_too_large &&
		    !append_body(s, req, upload, *upload_size))
			req->body_too_large = true;
		*upload_size = 0;
		if (gh_time_now_usec() - req->started_usec >
		    (int64_t)s->o.request_timeout_s * 1000000)
			return MHD_NO; /* a trickling body */
		return MHD_YES;
	}
	if (req->barrier_running) { /* the barrier is passed */
		req->deferred = false;
		gh_resp_release(req);
		return MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	if (req->body_too_large) {
		gh_resp_err(req, GH_ERR_TOOLARGE, NULL);
		return MHD_YES;
	}
	if (req->deferred) {
		req->deferred = false;
		req->resumed = true;
		finish(req, req->route->handler(req));
		return MHD_YES;
	}
	if (req->body == NULL) {
		req->body = gh_xmalloc(1);
		req->body_cap = 1;
	}
	req->body[req->body_len] = '\0';
	track_set(req->track, T_PROCESSING);
	dispatch(s, req);
	return MHD_YES;
}

const char *
gh_req_header(struct gh_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct hdr_join {
	struct gh_req *req;
	const char *name;
	char *out;
};

static enum MHD_Result
join_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_join *j = cls;

	GH_UNUSED(kind);
	if (value == NULL || strcasecmp(key, j->name) != 0)
		return MHD_YES;
	j->out = j->out == NULL
	             ? gh_arena_strndup(j->req->arena, value, strlen(value))
	             : gh_arena_printf(j->req->arena, "%s, %s", j->out, value);
	return j->out != NULL ? MHD_YES : MHD_NO;
}

const char *
gh_req_header_all(struct gh_req *req, const char *name)
{
	struct hdr_join j = {req, name, NULL};

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_header, &j);
	return j.out;
}

const char *
gh_req_query(struct gh_req *req, const char *name)
{
	return MHD_lookup_connection_value(
	    req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void
gh_req_suspend(struct gh_req *req)
{
	req->deferred = true;
	MHD_suspend_connection(req->conn);
}

void
gh_req_resume(struct gh_req *req)
{
	MHD_resume_connection(req->conn);
}

/*
 * Percent-decoding of the path and query (libmicrohttpd's unescape
 * hook).  Like libmicrohttpd's own, except that "%00" stays as the three
 * characters: a decoded NUL would silently cut the string ("/%00x"
 * would route as "/"), so it now simply matches nothing.
 */
static size_t
unescape_cb(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	GH_UNUSED(cls);
	GH_UNUSED(conn);
	while (*r != '\0') {
		if (r[0] == '%' &&
		    (hi = gh_form_hexval((unsigned char)r[1])) >= 0 &&
		    (lo = gh_form_hexval((unsigned char)r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void __attribute__((format(printf, 2, 0)))
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	GH_UNUSED(cls);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	gh_log_debug_f("libmicrohttpd: %s", msg);
}

enum gh_err
gh_server_start(const struct gh_server_opts *o, struct gh_server **out)
{
	struct gh_server *s = gh_xcalloc(1, sizeof(*s));
	struct addrinfo hints = {0}, *ai = NULL;
	const union MHD_DaemonInfo *di;
	char port[8];
	unsigned flags;
	int rc;

	*out = NULL;
	s->o = *o;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->stop_mu, NULL);
	pthread_cond_init(&s->stop_cv, NULL);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)o->port);
	if ((rc = getaddrinfo(o->host, port, &hints, &ai)) != 0) {
		gh_log_error_f(
		    "cannot resolve %s: %s", o->host, gai_strerror(rc));
		goto fail;
	}
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	        MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, o->port, accept_cb, s, on_request, s,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
	    o->threads, MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_connections_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)GH_MAX(16384, 2 * o->max_header),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096, MHD_OPTION_URI_LOG_CALLBACK,
	    uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_cb, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, s, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (s->d == NULL) {
		gh_log_error_f(
		    "cannot listen on %s:%u", o->host, (unsigned)o->port);
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : o->port;
	if (pthread_create(&s->sweeper, NULL, sweeper_main, s) != 0) {
		MHD_stop_daemon(s->d);
		goto fail;
	}
	*out = s;
	return GH_OK;
fail:
	pthread_cond_destroy(&s->stop_cv);
	pthread_mutex_destroy(&s->stop_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return GH_ERR_INTERNAL;
}

uint16_t
gh_server_port(const struct gh_server *s)
{
	return s->port;
}

/* Wait up to ms for the requests in flight to finish; true if they did. */
static bool
wait_inflight(struct gh_server *s, unsigned ms)
{
	struct timespec ts = {0, 10 * 1000000};
	unsigned waited = 0;

	while (atomic_load(&s->inflight) > 0 && waited < ms) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return atomic_load(&s->inflight) == 0;
}

void
gh_server_stop(
    struct gh_server *s, unsigned grace_ms, void (*drain)(void *arg), void *arg)
{
	if (s == NULL)
		return;
	atomic_store(&s->draining, true);
	wait_inflight(s, grace_ms);
	/* after this no request can be suspended any more: jobs are done,
	 * and new ones are refused (503) on the spot */
	if (drain != NULL)
		drain(arg);
	if (!wait_inflight(s, 2000))
		gh_log_warn_f("%ld requests still in flight at shutdown",
		    (long)atomic_load(&s->inflight));
	pthread_mutex_lock(&s->stop_mu);
	s->stopping = true;
	pthread_cond_signal(&s->stop_cv);
	pthread_mutex_unlock(&s->stop_mu);
	pthread_join(s->sweeper, NULL);
	MHD_stop_daemon(s->d);
	pthread_cond_destroy(&s->stop_cv);
	pthread_mutex_destroy(&s->stop_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
