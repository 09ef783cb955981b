/*
 * netaddr.c - IP addresses and networks (netaddr.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/netaddr.h"
#include "util/banned.h"

static const unsigned char v4mapped[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool
gh_netaddr_parse(const char *s, size_t len, struct gh_netaddr *out)
{
	char buf[GH_ADDR_STRLEN];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strlen(buf) != len) /* a NUL inside */
		return false;
	if (inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->b) != 1)
		return false;
	out->family = AF_INET6;
	if (memcmp(out->b, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

void
gh_netaddr_format(const struct gh_netaddr *a, char out[GH_ADDR_STRLEN])
{
	if (inet_ntop(a->family, a->b, out, GH_ADDR_STRLEN) == NULL)
		snprintf(out, GH_ADDR_STRLEN, "unknown");
}

static void
mask(struct gh_netaddr *a, unsigned bits)
{
	unsigned i, max = a->family == AF_INET ? 4 : 16;

	for (i = 0; i < max; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		a->b[i] &= (unsigned char)(0xff00u >> bits);
		bits = 0;
	}
}

void
gh_netaddr_bucket(const char *ip, char out[GH_ADDR_STRLEN])
{
	struct gh_netaddr a;
	size_t n;

	if (!gh_netaddr_parse(ip, strlen(ip), &a)) {
		snprintf(out, GH_ADDR_STRLEN, "%s", ip);
		return;
	}
	if (a.family == AF_INET) {
		gh_netaddr_format(&a, out);
		return;
	}
	mask(&a, 64);
	gh_netaddr_format(&a, out);
	n = strlen(out);
	snprintf(out + n, GH_ADDR_STRLEN - n, "/64");
}

static bool
parse_net(const char *s, size_t len, struct gh_netnet *out)
{
	const char *slash = memchr(s, '/', len);
	unsigned max, bits = 0;
	size_t i, alen = slash ? (size_t)(slash - s) : len;

	if (!gh_netaddr_parse(s, alen, &out->net))
		return false;
	max = out->net.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->bits = max;
		return true;
	}
	/* an IPv4-mapped network keeps its meaning as IPv4 */
	if (out->net.family == AF_INET && memchr(s, ':', alen) != NULL)
		max = 128;
	if (s + len - slash - 1 < 1 || s + len - slash - 1 > 3)
		return false;
	for (i = 1; slash + i < s + len; i++) {
		if (slash[i] < '0' || slash[i] > '9')
			return false;
		bits = bits * 10 + (unsigned)(slash[i] - '0');
	}
	if (bits > max)
		return false;
	if (max == 128 && out->net.family == AF_INET) /* ::ffff:a.b.c.d/n */
		bits = bits >= 96 ? bits - 96 : 0;
	out->bits = bits;
	mask(&out->net, bits);
	return true;
}

enum gh_err
gh_netset_parse(
    const char *list, struct gh_netset *out, char *err, size_t errsz)
{
	const char *p = list, *e;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		e = p + strcspn(p, ", \t");
		if (out->n == cap) {
			cap = cap ? 2 * cap : 4;
			out->v = gh_xrealloc(out->v, cap * sizeof(*out->v));
		}
		if (!parse_net(p, (size_t)(e - p), &out->v[out->n])) {
			snprintf(err, errsz, "not an address or network: %.*s",
			    (int)GH_MIN(e - p, 80), p);
			gh_netset_release(out);
			return GH_ERR_INVALID;
		}
		out->n++;
		p = e;
	}
	return GH_OK;
}

void
gh_netset_release(struct gh_netset *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

bool
gh_netset_contains(const struct gh_netset *set, const struct gh_netaddr *a)
{
	struct gh_netaddr m;
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->v[i].net.family != a->family)
			continue;
		m = *a;
		mask(&m, set->v[i].bits);
		if (memcmp(m.b, set->v[i].net.b, sizeof(m.b)) == 0)
			return true;
	}
	return false;
}
