#!/usr/bin/python3
"""tests/soak/soak.py - a long mixed load: does memory or the descriptor
count grow, and does anything leak?

Starts two servers side by side, each on a fresh data folder with
throttling out of the way (tests/http/ghtest.py ServerProcess: free port,
/healthz polled, stopped by PID): the plain build (GH_BIN, build/gatehouse)
and the sanitizer build (GH_SAN_BIN, build-san/gatehouse) with
LeakSanitizer on.  SOAK_THREADS (8) clients, half on each, run
SOAK_SECONDS (1800 for make soak) of mixed load: registrations, logins
(right and wrong passwords), refresh chains, posts, post lists, todos, API
keys and logouts.  Every SOAK_SAMPLE (10) seconds it samples each server's
RSS (VmRSS) and open descriptors (/proc/PID/fd).  It fails when:
  - the plain build's RSS peak over the last third of the run exceeds
    its peak over the middle third by more than SOAK_MAX_PEAK_GROWTH_KIB
    (4096; over a 10-minute third at the load of make soak, a leak of
    about 25 bytes per request, printed for the run): a leak raises every peak, caches fill and stay.  Peaks, not a
    least-squares slope: glibc returns freed arenas to the system now and
    then, so RSS swings by several MB within minutes and a slope over 15
    minutes moves by more than any small leak would (it is printed, for
    the record).  The sanitizer build's RSS is printed, not judged:
    ASan's allocator keeps freed chunks in its quarantine and per-thread
    caches and its stack depot grows with every new call stack, so its
    RSS creeps up without any leak;
  - either server's descriptors at the end exceed those at the half by
    more than 16;
  - LeakSanitizer, ASan or UBSan reported anything, or a server did not
    exit 0 on SIGTERM;
  - a server answered any 5xx.
"""

import os
import random
import secrets
import sys
import threading
import time

import requests

os.environ.setdefault("GH_SANITIZED", "1")   # ghtest: sanitizer-sized bounds
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "http"))
from ghtest import ServerProcess  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "1800"))
THREADS = int(os.environ.get("SOAK_THREADS", "8"))
SAMPLE = float(os.environ.get("SOAK_SAMPLE", "10"))
MAX_GROWTH = float(os.environ.get("SOAK_MAX_PEAK_GROWTH_KIB", "4096"))
OUT = os.environ.get("SOAK_OUT", "tests/out/soak")
BIN = os.path.abspath(os.environ.get("GH_BIN", "build/gatehouse"))
SAN_BIN = os.path.abspath(os.environ.get("GH_SAN_BIN", "build-san/gatehouse"))
PASSWORD = "soak password 1234"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def slope(points):
    """Least squares: KiB per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    num = sum((t - mx) * (v - my) for t, v in points)
    den = sum((t - mx) ** 2 for t, _ in points) or 1.0
    return num / den * 60


def worker(url, stop, errors, counts, lock, seed):
    rnd = random.Random(seed)
    s = requests.Session()
    name = "soak" + secrets.token_hex(6)
    s.post(url + "/auth/register", json={
        "username": name, "email": name + "@example.com",
        "password": PASSWORD}, timeout=30)
    tok = s.post(url + "/auth/token", data={
        "username": name, "password": PASSWORD}, timeout=30).json()
    while not stop.is_set():
        h = {"Authorization": "Bearer " + tok["access_token"]}
        op = rnd.randrange(10)
        try:
            if op == 0:
                n2 = "soak" + secrets.token_hex(6)
                r = s.post(url + "/auth/register", json={
                    "username": n2, "email": n2 + "@example.com",
                    "password": PASSWORD}, timeout=30)
            elif op == 1:
                r = s.post(url + "/auth/token", data={
                    "username": name, "password": "wrong"}, timeout=30)
            elif op == 2:
                r = s.post(url + "/auth/refresh", json={
                    "refresh_token": tok["refresh_token"]}, timeout=30)
                if r.status_code == 200:
                    tok = r.json()
            elif op == 3:
                r = s.post(url + "/posts", headers=h, json={
                    "title": "t", "content": "c" * rnd.randrange(1, 2000)},
                    timeout=30)
            elif op == 4:
                r = s.get(url + "/posts?limit=50", headers=h, timeout=30)
            elif op == 5:
                r = s.post(url + "/todos", headers=h, json={
                    "title": "todo", "completed": False}, timeout=30)
                if r.status_code == 201:
                    s.delete(url + f"/todos/{r.json()['id']}", headers=h,
                             timeout=30)
            elif op == 6:
                r = s.post(url + "/api-keys", headers=h,
                           json={"name": "k"}, timeout=30)
                if r.status_code == 201:
                    k = r.json()
                    s.get(url + "/users/me",
                          headers={"X-API-Key": k["key"]}, timeout=30)
                    s.delete(url + f"/api-keys/{k['id']}", headers=h,
                             timeout=30)
            elif op == 7:
                r = s.post(url + "/auth/token", data={
                    "username": name, "password": PASSWORD}, timeout=30)
                if r.status_code == 200:
                    old, tok = tok, r.json()
                    s.post(url + "/auth/logout", headers={
                        "Authorization": "Bearer " + old["access_token"]},
                        timeout=30)
            else:
                r = s.get(url + "/users/me", headers=h, timeout=30)
            with lock:
                counts[0] += 1
                if r.status_code >= 500:
                    errors.append((op, r.status_code, r.text[:100]))
        except requests.RequestException as e:
            with lock:
                errors.append((op, "exception", str(e)[:100]))


class Run:
    """One server under the soak's load, sampled every SAMPLE seconds."""

    def __init__(self, binary, label, env, judge_rss):
        self.label, self.judge_rss = label, judge_rss
        self.sp = ServerProcess(binary=binary, env=env, name=label,
                                request_timeout=30)
        self.samples, self.errors, self.counts = [], [], [0]
        self.lock = threading.Lock()

    def sample(self, now):
        pid = self.sp.proc.pid
        self.samples.append((now, rss_kib(pid), fds(pid)))

    def report(self):
        """Print the figures; return the reasons to fail."""
        half = [s for s in self.samples if s[0] >= SECONDS / 2]
        third = len(self.samples) // 3
        mid = self.samples[third:2 * third]
        last = self.samples[2 * third:]
        peak_mid = max(r for _, r, _ in mid)
        peak_last = max(r for _, r, _ in last)
        rss_slope = slope([(t, r) for t, r, _ in half])
        fd_half, fd_end = half[0][2], half[-1][2]
        print(f"{self.label}: {self.counts[0]} requests")
        print(f"  RSS KiB: start {self.samples[0][1]}, half {half[0][1]}, "
              f"end {self.samples[-1][1]}, "
              f"max {max(r for _, r, _ in self.samples)}")
        judged = (f"(limit +{MAX_GROWTH:.0f})" if self.judge_rss else
                  "(not judged: ASan's allocator keeps freed memory in "
                  "quarantine and per-thread caches)")
        print(f"  RSS peak of the middle third {peak_mid}, of the last "
              f"third {peak_last}: {peak_last - peak_mid:+d} KiB {judged}")
        per_third = self.counts[0] / 3 or 1
        print(f"  (a leak of {MAX_GROWTH * 1024 / per_third:.0f} bytes per "
              "request would raise the peak by the limit in one third)")
        print(f"  RSS slope over the second half: {rss_slope:.1f} KiB/min "
              "(for the record: allocator trims move it by MBs)")
        print(f"  descriptors: half {fd_half}, end {fd_end}, "
              f"slope {slope([(t, f) for t, _, f in half]):.2f}/min")
        os.makedirs(OUT, exist_ok=True)
        tsv = os.path.join(OUT, self.label.replace(" ", "-") + ".tsv")
        with open(tsv, "w") as f:
            f.write("seconds\trss_kib\tfds\n")
            for t, r, d in self.samples:
                f.write(f"{t:.1f}\t{r}\t{d}\n")
        print(f"  samples: {tsv}")
        bad = []
        if self.judge_rss and peak_last - peak_mid > MAX_GROWTH:
            bad.append("RSS keeps growing")
        if fd_end > fd_half + 16:
            bad.append("descriptors keep growing")
        rc = self.sp.stop()
        bad += self.sp.problems()      # exit status, sanitizer reports
        if rc != 0 and not self.sp.problems():
            bad.append(f"exit status {rc}")
        if self.errors:
            bad.append(f"{len(self.errors)} errors, first {self.errors[0]}")
        if not bad:
            self.sp.cleanup_files()
        return [f"{self.label}: {b}" for b in bad]


def main():
    env = dict(SECRET_KEY=secrets.token_hex(32),
               LOGIN_MAX_FAILURES="1000000",
               LOGIN_MAX_FAILURES_PER_ADDRESS="1000000",
               REGISTER_MAX_PER_ADDRESS="1000000",
               PASSWORD_HASH_MEMORY_KIB="8192", PASSWORD_HASH_ITERATIONS="1",
               ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=8:"
                            "thread_local_quarantine_size_kb=64",
               UBSAN_OPTIONS="print_stacktrace=1",
               LOG_LEVEL="warn")
    runs = [Run(BIN, "plain build", env, judge_rss=True),
            Run(SAN_BIN, "sanitizer build", env, judge_rss=False)]
    for r in runs:
        r.sp.start()                     # polls /healthz
    stop = threading.Event()
    threads = []
    for r in runs:
        threads += [threading.Thread(target=worker, args=(
            r.sp.url, stop, r.errors, r.counts, r.lock, i))
            for i in range(THREADS // len(runs))]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < SECONDS:
        stop.wait(SAMPLE)                # the sampling period
        for r in runs:
            r.sample(time.monotonic() - t0)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    print(f"soak: {SECONDS} s, {THREADS} clients")
    bad = []
    for r in runs:
        bad += r.report()
    if bad:
        print("soak: FAILED: " + "; ".join(bad))
        sys.exit(1)
    print("soak: ok (RSS and descriptors flat, LeakSanitizer clean on exit)")


if __name__ == "__main__":
    main()
