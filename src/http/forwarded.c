/*
 * forwarded.c - the client's address behind trusted proxies
 * (forwarded.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "http/forwarded.h"
#include "util/banned.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One X-Forwarded-For entry, without blanks: "addr", "[v6]",
 * "[v6]:port" or "v4:port". */
static bool
parse_entry(const char *s, size_t len, struct gh_netaddr *out)
{
	const char *close, *colon;
	size_t i;

	if (len > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', len)) == NULL)
			return false;
		if (close + 1 < s + len) { /* "]:port" */
			if (close[1] != ':' || close + 2 == s + len)
				return false;
			for (i = (size_t)(close + 2 - s); i < len; i++)
				if (s[i] < '0' || s[i] > '9')
					return false;
		}
		return gh_netaddr_parse(s + 1, (size_t)(close - s - 1), out) &&
		       out->family != AF_INET;
	}
	colon = memchr(s, ':', len);
	if (colon != NULL &&
	    memchr(colon + 1, ':', (size_t)(s + len - colon - 1)) == NULL) {
		/* exactly one colon: IPv4 with a port */
		if (colon + 1 == s + len)
			return false;
		for (i = (size_t)(colon + 1 - s); i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
		return gh_netaddr_parse(s, (size_t)(colon - s), out) &&
		       out->family == AF_INET;
	}
	return gh_netaddr_parse(s, len, out);
}

bool
gh_forwarded_client(const struct gh_netset *trusted, const char *peer,
    const char *xff, char out[GH_ADDR_STRLEN])
{
	struct gh_netaddr a;
	const char *end, *start, *lo, *hi;

	if (!gh_netaddr_parse(peer, strlen(peer), &a)) {
		snprintf(out, GH_ADDR_STRLEN, "%s", peer);
		return false;
	}
	gh_netaddr_format(&a, out);
	if (trusted == NULL || !gh_netset_contains(trusted, &a))
		return false;
	if (xff == NULL)
		return true;
	/* from the right: each proxy appended the address it saw */
	end = xff + strlen(xff);
	for (;;) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		lo = start;
		hi = end;
		while (lo < hi && is_blank(*lo))
			lo++;
		while (hi > lo && is_blank(hi[-1]))
			hi--;
		if (!parse_entry(lo, (size_t)(hi - lo), &a))
			break; /* not an address: believe nothing further left
			        */
		gh_netaddr_format(&a, out);
		if (!gh_netset_contains(trusted, &a) || start == xff)
			break;
		end = start - 1; /* before the comma */
	}
	return true;
}
