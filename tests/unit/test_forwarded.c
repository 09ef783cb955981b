/*
 * test_forwarded.c - unit tests for src/http/forwarded.c and the network
 * sets of src/util/netaddr.c it stands on: a table of (trusted proxies,
 * peer, X-Forwarded-For) and the client each must resolve to, then the
 * sets' parsing and matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

struct fwd_case {
	const char *trusted, *peer, *xff;
	const char *want;
	bool peer_trusted;
};

static const struct fwd_case cases[] = {
    /* no trusted proxies: the peer, whatever the header says */
    {"", "192.0.2.7", "10.1.2.3", "192.0.2.7", false},
    {"", "192.0.2.7", NULL, "192.0.2.7", false},
    /* an untrusted peer's header is ignored */
    {"127.0.0.1", "192.0.2.7", "10.1.2.3", "192.0.2.7", false},
    /* one trusted proxy */
    {"127.0.0.1", "127.0.0.1", "10.1.2.3", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", NULL, "127.0.0.1", true},
    /* nginx's $proxy_add_x_forwarded_for: "client-sent, seen" */
    {"127.0.0.1", "127.0.0.1", "10.1.2.3, 127.0.0.1", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", "10.1.2.3,127.0.0.1", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", "10.1.2.3 ,\t127.0.0.1 ", "10.1.2.3", true},
    /* a forged entry left of the first untrusted hop is not believed */
    {"127.0.0.1", "127.0.0.1", "6.6.6.6, 10.1.2.3", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", "6.6.6.6, 10.1.2.3, 127.0.0.1", "10.1.2.3",
        true},
    /* a chain of trusted proxies, by network */
    {"10.0.0.0/8, 127.0.0.1", "127.0.0.1", "198.51.100.9, 10.0.0.2, 10.9.9.9",
        "198.51.100.9", true},
    /* every entry trusted: the leftmost */
    {"127.0.0.1,10.0.0.0/8", "127.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5",
        true},
    /* garbage stops the walk; the last good address stands */
    {"127.0.0.1", "127.0.0.1", "10.1.2.3, garbage", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "garbage, 10.1.2.3", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", "10.1.2.3,, 127.0.0.1", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", " ", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", ",", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "unknown", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "10.1.2.3/8", "127.0.0.1", true},
    /* ports and brackets as some proxies write them */
    {"127.0.0.1", "127.0.0.1", "10.1.2.3:4711", "10.1.2.3", true},
    {"127.0.0.1", "127.0.0.1", "[2001:db8::1]:4711", "2001:db8::1", true},
    {"127.0.0.1", "127.0.0.1", "[2001:db8::1]", "2001:db8::1", true},
    {"127.0.0.1", "127.0.0.1", "10.1.2.3:", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "[10.1.2.3]", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.1", "[2001:db8::1", "127.0.0.1", true},
    /* IPv6, canonical forms */
    {"::1", "::1", "2001:DB8:0:0::1", "2001:db8::1", true},
    {"::1", "0:0:0:0:0:0:0:1", "2001:db8::1", "2001:db8::1", true},
    {"fd00::/8", "fd12::1", "2001:db8::2, fd00::9", "2001:db8::2", true},
    /* IPv4-mapped IPv6 is the IPv4 address, peer and entries alike */
    {"127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "10.1.2.3", true},
    {"", "::ffff:192.0.2.7", NULL, "192.0.2.7", false},
    /* a peer that is no address is kept as it is */
    {"127.0.0.1", "unknown", "10.1.2.3", "unknown", false},
};

static void
test_table(void **state)
{
	struct gh_netset set;
	char out[GH_ADDR_STRLEN], err[128];
	size_t i;
	bool t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    gh_netset_parse(cases[i].trusted, &set, err, sizeof(err)),
		    GH_OK);
		t = gh_forwarded_client(&set, cases[i].peer, cases[i].xff, out);
		if (strcmp(out, cases[i].want) != 0 ||
		    t != cases[i].peer_trusted)
			fail_msg(
			    "case %zu (%s | %s | %s): got %s/%d, want %s/%d", i,
			    cases[i].trusted, cases[i].peer,
			    cases[i].xff ? cases[i].xff : "(none)", out, t,
			    cases[i].want, cases[i].peer_trusted);
		gh_netset_release(&set);
	}
	/* a NULL set trusts no one */
	assert_false(gh_forwarded_client(NULL, "127.0.0.1", "10.1.2.3", out));
	assert_string_equal(out, "127.0.0.1");
}

static void
test_netset_parse(void **state)
{
	static const char *const good[] = {"", " , ", "127.0.0.1",
	    "10.0.0.0/8 192.168.0.0/16", "::1,fd00::/8", "0.0.0.0/0", "::/0",
	    "2001:db8::/128", "::ffff:10.0.0.0/104"};
	static const char *const bad[] = {"localhost", "10.0.0.0/33", "::/129",
	    "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "1.2.3",
	    "10.0.0.0/0008", "*"};
	struct gh_netset set;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (gh_netset_parse(good[i], &set, err, sizeof(err)) != GH_OK)
			fail_msg("%s refused: %s", good[i], err);
		gh_netset_release(&set);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gh_netset_parse(bad[i], &set, err, sizeof(err)) == GH_OK)
			fail_msg("%s accepted", bad[i]);
		assert_null(set.v);
		assert_non_null(strstr(err, "not an address"));
	}
}

static bool
contains(const char *list, const char *addr)
{
	struct gh_netset set;
	struct gh_netaddr a;
	char err[128];
	bool r;

	assert_int_equal(gh_netset_parse(list, &set, err, sizeof(err)), GH_OK);
	assert_true(gh_netaddr_parse(addr, strlen(addr), &a));
	r = gh_netset_contains(&set, &a);
	gh_netset_release(&set);
	return r;
}

static void
test_netset_contains(void **state)
{
	(void)state;
	assert_true(contains("10.0.0.0/8", "10.255.1.2"));
	assert_false(contains("10.0.0.0/8", "11.0.0.1"));
	assert_true(contains("10.1.2.3/31", "10.1.2.2"));
	assert_false(contains("10.1.2.3/31", "10.1.2.4"));
	assert_true(contains("0.0.0.0/0", "203.0.113.1"));
	assert_false(contains("0.0.0.0/0", "::1")); /* families apart */
	assert_true(contains("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(contains("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
	assert_true(contains("127.0.0.1", "::ffff:127.0.0.1"));
	assert_false(contains("127.0.0.1", "127.0.0.2"));
}

static void
test_netaddr_parse(void **state)
{
	struct gh_netaddr a;
	char out[GH_ADDR_STRLEN];

	(void)state;
	assert_true(gh_netaddr_parse("::FFFF:1.2.3.4", 14, &a));
	assert_int_equal(a.family, AF_INET);
	gh_netaddr_format(&a, out);
	assert_string_equal(out, "1.2.3.4");
	assert_false(gh_netaddr_parse("1.2.3.4\0x", 9, &a));
	assert_false(gh_netaddr_parse("", 0, &a));
	assert_false(gh_netaddr_parse(" 1.2.3.4", 8, &a));
	assert_false(gh_netaddr_parse("fe80::1%eth0", 12, &a));
	assert_true(gh_netaddr_parse("1.2.3.4xyz", 7, &a)); /* len counts */
}

/* Throttling buckets: IPv4 alone, IPv6 by /64, mapped forms as IPv4. */
static void
test_netaddr_bucket(void **state)
{
	static const struct {
		const char *ip, *bucket;
	} buckets[] = {
	    {"192.0.2.7", "192.0.2.7"},
	    {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
	    {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
	    {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
	    {"::1", "::/64"},
	    {"::ffff:192.0.2.7", "192.0.2.7"},
	    {"unknown", "unknown"},
	};
	char out[GH_ADDR_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
		gh_netaddr_bucket(buckets[i].ip, out);
		assert_string_equal(out, buckets[i].bucket);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_netaddr_bucket),
	    cmocka_unit_test(test_netset_parse),
	    cmocka_unit_test(test_netset_contains),
	    cmocka_unit_test(test_netaddr_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
