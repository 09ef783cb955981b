/*
 * throttle.h - the brute-force rule for logins, as a pure function.
 *
 * Failed logins are counted per key (a username, or a client address)
 * over a window.  Once a key has `limit` failures inside the window,
 * attempts are refused until its last failure plus a delay that starts
 * at window/180 seconds (5 s for the default 900 s window, at least 1 s)
 * and doubles with each further failure, capped at the window; the lock
 * never outlasts the window that began with the first failure, after
 * which the counter restarts.
 */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H

#include <stdint.h>

/* Lock-out delay in seconds after `failures` failures (>= limit). */
int64_t gh_throttle_delay(int64_t failures, int64_t limit, int64_t window);

/*
 * Seconds the caller must wait before an attempt for a key whose counter
 * holds `failures` failures, the first at first_at and the last at
 * last_at (unix seconds), at time now; 0 = go ahead.
 */
int64_t gh_throttle_wait(int64_t failures, int64_t first_at, int64_t last_at,
    int64_t limit, int64_t window, int64_t now);

#endif /* GH_THROTTLE_H */
