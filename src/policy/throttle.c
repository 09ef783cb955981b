/*
 * throttle.c - see throttle.h.  Pure arithmetic, no clock, no storage:
 * the store keeps the counters, the handler asks this file.
 */
#include "gh.h"
#include "policy/throttle.h"
#include "util/banned.h"

int64_t
gh_throttle_delay(int64_t failures, int64_t limit, int64_t window)
{
	int64_t d = GH_MAX(window / 180, 1);
	int64_t k = failures - limit;

	while (k-- > 0 && d < window)
		d *= 2;
	return GH_MIN(d, window);
}

int64_t
gh_throttle_wait(int64_t failures, int64_t first_at, int64_t last_at,
    int64_t limit, int64_t window, int64_t now)
{
	int64_t until;

	if (failures < limit || now - first_at >= window)
		return 0;
	/* the lock never outlasts the window: then the counter restarts */
	until = GH_MIN(last_at + gh_throttle_delay(failures, limit, window),
	    first_at + window);
	return until > now ? until - now : 0;
}
