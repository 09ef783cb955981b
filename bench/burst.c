/*
 * burst.c - open many new TCP connections at once, send one HTTP request on
 * each, and time every one from the start of its connect() to the last byte
 * of its response (bench/run.sh, issue 6: "1,024 new connections at once:
 * all served, none reset, p99 < 50 ms").
 *
 *   burst [-n COUNT] [-t TIMEOUT_MS] [-H 'Name: value']... HOST PORT PATH
 *
 * All sockets are created first; then every one is connect()ed without
 * waiting (non-blocking), in one tight loop, so the server sees COUNT SYNs
 * within a few milliseconds. One epoll loop then writes each request as its
 * connection completes and reads each response until it is whole
 * (Content-Length, chunked end, or EOF). Nothing is retried.
 *
 * Output: one line, "BURST" then tab-separated key=value pairs:
 *   connections  sockets opened
 *   served       complete HTTP responses (any status)
 *   ok           of those, 2xx
 *   reset        ECONNRESET/EPIPE on connect, write or read
 *   refused      ECONNREFUSED
 *   eof          connection closed before a complete response
 *   timeout      no complete response within TIMEOUT_MS of the start
 *   error        any other socket error
 *   p50_ms p99_ms max_ms   latency of the served ones, nearest rank
 *   connect_ms   time the connect() loop took (how "at once" it was)
 *   wall_ms      first connect() to last response
 * Exit status 0 when the run happened (whatever the figures), 2 on bad
 * usage, 1 when the tool itself could not run (no sockets, no epoll).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 16
#define RESP_MAX (1024 * 1024) /* a response larger than this is an error */

enum state { S_CONNECTING, S_WRITING, S_READING, S_DONE };
enum outcome { O_NONE, O_SERVED, O_RESET, O_REFUSED, O_EOF, O_ERROR };

struct conn {
	int fd;
	enum state st;
	enum outcome out;
	int status;
	double t0, t1; /* seconds, CLOCK_MONOTONIC */
	size_t sent;
	char *buf;
	size_t len, cap;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: burst [-n COUNT] [-t TIMEOUT_MS] "
	    "[-H 'Name: value']... HOST PORT PATH\n");
	exit(2);
}

static enum outcome
classify(int err)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
		return O_RESET;
	case ECONNREFUSED:
		return O_REFUSED;
	default:
		return O_ERROR;
	}
}

/* Case-insensitive search for header NAME in the header block [p, end). */
static const char *
find_header(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':')
			return p + n + 1;
		p = eol + 1;
	}
	return NULL;
}

/*
 * Is the response in c->buf complete? With eof, a response without a length
 * ends at the close. Sets c->status.
 */
static int
complete(struct conn *c, int eof)
{
	const char *hend, *v;
	size_t hlen, body;

	if (c->len < 12)
		return 0;
	hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
	if (hend == NULL)
		return 0;
	hlen = (size_t)(hend - c->buf) + 4;
	body = c->len - hlen;
	c->status = atoi(c->buf + 9);
	if ((v = find_header(c->buf, hend, "content-length")) != NULL)
		return body >= strtoul(v, NULL, 10);
	if ((v = find_header(c->buf, hend, "transfer-encoding")) != NULL &&
	    strstr(v, "chunked") != NULL)
		return body >= 5 && memcmp(c->buf + c->len - 5, "0\r\n\r\n", 5) == 0;
	if (c->status == 204 || c->status == 304)
		return 1;
	return eof;
}

static void
finish(struct conn *c, enum outcome o, int ep)
{
	if (c->st == S_DONE)
		return;
	c->st = S_DONE;
	c->out = o;
	c->t1 = now();
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
rank(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

int
main(int argc, char **argv)
{
	const char *headers[MAX_HEADERS];
	int nheaders = 0, count = 1024, timeout_ms = 10000, opt, ep, i;
	int pending, counts[O_ERROR + 1] = {0}, timeouts = 0, ok = 0;
	struct conn *cs;
	struct addrinfo hints, *ai;
	struct epoll_event ev, *evs;
	struct rlimit rl;
	char req[4096];
	size_t reqlen;
	double start, connect_end, deadline, last = 0, *lat;
	size_t nlat = 0;
	int n;

	while ((opt = getopt(argc, argv, "n:t:H:")) != -1) {
		switch (opt) {
		case 'n':
			count = atoi(optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'H':
			if (nheaders == MAX_HEADERS)
				usage();
			headers[nheaders++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || count < 1 || timeout_ms < 1)
		usage();

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n",
	    argv[optind + 2], argv[optind], argv[optind + 1]);
	for (i = 0; i < nheaders && n > 0 && (size_t)n < sizeof(req); i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n",
		    headers[i]);
	if (n > 0 && (size_t)n < sizeof(req))
		n += snprintf(req + n, sizeof(req) - (size_t)n,
		    "Connection: close\r\n\r\n");
	if (n <= 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "burst: request too long\n");
		return 2;
	}
	reqlen = (size_t)n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai) != 0) {
		fprintf(stderr, "burst: cannot resolve %s:%s\n", argv[optind],
		    argv[optind + 1]);
		return 1;
	}

	/* COUNT sockets plus epoll and stdio */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)count + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)count + 16 ? rl.rlim_max :
		    (rlim_t)count + 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cs = calloc((size_t)count, sizeof(*cs));
	evs = calloc((size_t)count, sizeof(*evs));
	lat = calloc((size_t)count, sizeof(*lat));
	if (cs == NULL || evs == NULL || lat == NULL) {
		fprintf(stderr, "burst: out of memory\n");
		return 1;
	}
	if ((ep = epoll_create1(0)) < 0) {
		perror("burst: epoll_create1");
		return 1;
	}
	for (i = 0; i < count; i++) {
		int one = 1;

		cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (cs[i].fd < 0) {
			fprintf(stderr, "burst: socket %d of %d: %s (ulimit -n?)\n",
			    i + 1, count, strerror(errno));
			return 1;
		}
		setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}

	/* every connect() at once: latency runs from each one's own start */
	start = now();
	for (i = 0; i < count; i++) {
		struct conn *c = &cs[i];

		c->t0 = now();
		c->st = S_CONNECTING;
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			c->st = S_DONE;
			c->out = classify(errno);
			c->t1 = now();
			close(c->fd);
			c->fd = -1;
			continue;
		}
		ev.events = EPOLLOUT;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			perror("burst: epoll_ctl");
			return 1;
		}
	}
	connect_end = now();
	freeaddrinfo(ai);

	deadline = start + timeout_ms / 1000.0;
	pending = 0;
	for (i = 0; i < count; i++)
		pending += cs[i].st != S_DONE;
	while (pending > 0) {
		double left = deadline - now();
		int k, nev;

		if (left <= 0)
			break;
		nev = epoll_wait(ep, evs, count, (int)(left * 1000) + 1);
		if (nev < 0) {
			if (errno == EINTR)
				continue;
			perror("burst: epoll_wait");
			return 1;
		}
		for (k = 0; k < nev; k++) {
			struct conn *c = &cs[evs[k].data.u32];
			int err = 0;
			socklen_t el = sizeof(err);
			ssize_t r;

			if (c->st == S_CONNECTING) {
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
				    &el) < 0)
					err = errno;
				if (err != 0) {
					finish(c, classify(err), ep);
					pending--;
					continue;
				}
				c->st = S_WRITING;
			}
			if (c->st == S_WRITING) {
				r = send(c->fd, req + c->sent, reqlen - c->sent,
				    MSG_NOSIGNAL);
				if (r < 0 && errno != EAGAIN) {
					finish(c, classify(errno), ep);
					pending--;
					continue;
				}
				if (r > 0)
					c->sent += (size_t)r;
				if (c->sent == reqlen) {
					c->st = S_READING;
					ev.events = EPOLLIN;
					ev.data.u32 = evs[k].data.u32;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
				continue;
			}
			if (c->st != S_READING)
				continue;
			for (;;) {
				if (c->cap - c->len < 4096) {
					size_t cap = c->cap ? c->cap * 2 : 8192;

					if (cap > RESP_MAX) {
						finish(c, O_ERROR, ep);
						pending--;
						break;
					}
					c->buf = realloc(c->buf, cap);
					if (c->buf == NULL) {
						fprintf(stderr, "burst: out of memory\n");
						return 1;
					}
					c->cap = cap;
				}
				r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
				if (r > 0) {
					c->len += (size_t)r;
					if (complete(c, 0)) {
						finish(c, O_SERVED, ep);
						pending--;
						break;
					}
					continue;
				}
				if (r == 0) {
					finish(c, complete(c, 1) ? O_SERVED : O_EOF,
					    ep);
					pending--;
					break;
				}
				if (errno != EAGAIN)
					finish(c, classify(errno), ep);
				if (c->st == S_DONE)
					pending--;
				break;
			}
		}
	}

	for (i = 0; i < count; i++) {
		struct conn *c = &cs[i];

		if (c->st != S_DONE) {
			timeouts++;
			close(c->fd);
			continue;
		}
		counts[c->out]++;
		if (c->out == O_SERVED) {
			lat[nlat++] = (c->t1 - c->t0) * 1000.0;
			ok += c->status >= 200 && c->status < 300;
			if (c->t1 > last)
				last = c->t1;
		}
		free(c->buf);
	}
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("BURST\tconnections=%d\tserved=%d\tok=%d\treset=%d\trefused=%d"
	       "\teof=%d\ttimeout=%d\terror=%d\tp50_ms=%.3f\tp99_ms=%.3f"
	       "\tmax_ms=%.3f\tconnect_ms=%.3f\twall_ms=%.3f\n",
	    count, counts[O_SERVED], ok, counts[O_RESET], counts[O_REFUSED],
	    counts[O_EOF], timeouts, counts[O_ERROR], rank(lat, nlat, 50),
	    rank(lat, nlat, 99), nlat ? lat[nlat - 1] : 0.0,
	    (connect_end - start) * 1000.0,
	    last > 0 ? (last - start) * 1000.0 : 0.0);
	free(cs);
	free(evs);
	free(lat);
	close(ep);
	return 0;
}
