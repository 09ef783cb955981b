#!/usr/bin/python3
"""bench/timing.py - does a login reveal whether the username exists?

Starts gatehouse (GH_BIN, default build/gatehouse) through the HTTP
suite's ServerProcess (tests/http/ghtest.py: a free port, a fresh data
folder, /healthz polled, stopped by PID, folder removed) with throttling
out of the way, registers one user, then
sends TIMING_TRIES (200) logins with a wrong password for that user and as
many for usernames that do not exist, interleaved (ABAB...) so that the
machine's noise falls on both alike, one at a time.  Prints the median and
p90 of each in milliseconds and the ratio of the medians; the contract is
that they are within 5% (unknown users are verified against a dummy hash
of the same cost).  A benchmark, not a timed test: quote it, do not assert
it on a shared machine.

    bench/timing.py            (also run by make bench)
"""

import os
import secrets
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "http"))
from ghtest import ServerProcess  # noqa: E402

TRIES = int(os.environ.get("TIMING_TRIES", "200"))
BIN = os.path.abspath(os.environ.get("GH_BIN", "build/gatehouse"))


def main():
    sp = ServerProcess(binary=BIN, request_timeout=30, name="timing",
                       env={"LOGIN_MAX_FAILURES": "1000000",
                            "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
                            "LOG_LEVEL": "warn"})
    sp.start()
    url = sp.url
    try:
        s = requests.Session()
        name = "timing" + secrets.token_hex(4)
        r = s.post(url + "/auth/register", json={
            "username": name, "email": name + "@example.com",
            "password": "correct horse battery"})
        r.raise_for_status()
        known, unknown = [], []
        for i in range(2 * TRIES + 20):  # the first 20 warm up
            who = name if i % 2 == 0 else "nobody" + secrets.token_hex(4)
            t0 = time.perf_counter()
            r = s.post(url + "/auth/token",
                       data={"username": who, "password": "wrong password"})
            dt = (time.perf_counter() - t0) * 1000
            if r.status_code != 401:
                sys.exit(f"timing: login answered {r.status_code}")
            if i >= 20:
                (known if i % 2 == 0 else unknown).append(dt)
    finally:
        sp.stop()
    if sp.problems():
        sys.exit("timing: " + "; ".join(sp.problems()))
    sp.cleanup_files()
    mk, mu = statistics.median(known), statistics.median(unknown)
    p90 = lambda xs: sorted(xs)[int(len(xs) * 0.9)]
    print(f"timing: {TRIES} wrong-password logins each, interleaved")
    print(f"  existing user   median {mk:7.2f} ms  p90 {p90(known):7.2f} ms")
    print(f"  unknown user    median {mu:7.2f} ms  p90 {p90(unknown):7.2f} ms")
    print(f"  ratio of medians (unknown/existing): {mu / mk:.3f} "
          f"({abs(mu / mk - 1) * 100:.1f}% apart; the contract: within 5%)")


if __name__ == "__main__":
    main()
