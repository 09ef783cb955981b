/*
 * fuzz_forwarded.c - libFuzzer target for gh_forwarded_client
 * (http/forwarded.h), the X-Forwarded-For walk, and the address parser
 * under it (util/netaddr.h).
 *
 * Input: byte 0 picks the TRUSTED_PROXIES set; the rest is the peer's
 * address up to the first NUL, then the X-Forwarded-For value (absent
 * when there is no NUL).  Checked: the result is NUL-terminated inside
 * GH_ADDR_STRLEN (ASan guards the bounds); an untrusted peer gives
 * itself, in canonical form; any other result is an address in
 * canonical form (it parses and formats back to the same text); the
 * same call gives the same answer twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sets[] = {"", "127.0.0.1", "10.0.0.0/8, ::1",
    "0.0.0.0/0, ::/0", "::ffff:127.0.0.0/104, fd00::/8"};

static void
check_canonical(const char *s)
{
	struct gh_netaddr a;
	char again[GH_ADDR_STRLEN];

	if (!gh_netaddr_parse(s, strlen(s), &a))
		abort();
	gh_netaddr_format(&a, again);
	if (strcmp(again, s) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_netset set;
	struct gh_netaddr pa;
	char *buf, *xff, out[GH_ADDR_STRLEN], again[GH_ADDR_STRLEN],
	    canon[GH_ADDR_STRLEN], err[128];
	bool t, peer_ok;

	if (size < 1)
		return 0;
	if (gh_netset_parse(sets[data[0] % (sizeof(sets) / sizeof(sets[0]))],
	        &set, err, sizeof(err)) != GH_OK)
		abort();
	if ((buf = malloc(size)) == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	xff = memchr(buf, '\0', size - 1); /* the peer's end, if any */
	if (xff != NULL)
		xff++;
	memset(out, 'x', sizeof(out));
	t = gh_forwarded_client(&set, buf, xff, out);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	peer_ok = gh_netaddr_parse(buf, strlen(buf), &pa);
	if (peer_ok) {
		gh_netaddr_format(&pa, canon);
		if (t != gh_netset_contains(&set, &pa))
			abort();
		if (!t && strcmp(out, canon) != 0)
			abort();
		check_canonical(out);
	} else if (t) {
		abort();
	}
	if (gh_forwarded_client(&set, buf, xff, again) != t ||
	    strcmp(again, out) != 0)
		abort();
	gh_netset_release(&set);
	free(buf);
	return 0;
}
