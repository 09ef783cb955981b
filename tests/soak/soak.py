#!/usr/bin/python3
"""tests/soak/soak.py - a long mixed load against the sanitizer build:
does memory or the descriptor count grow, and does anything leak?

Starts build-san/gatehouse (GH_BIN to change it) with LeakSanitizer on, a
fresh data folder and throttling out of the way, then runs SOAK_SECONDS
(1800 for make soak) of mixed load from SOAK_THREADS (8) clients:
registrations, logins (right and wrong passwords), refresh chains, posts,
post lists, todos, API keys and logouts.  Every SOAK_SAMPLE (10) seconds
it samples the server's RSS (VmRSS) and open descriptors (/proc/PID/fd).
At the end it stops the server with SIGTERM (by PID) and fails when:
  - the least-squares slope of RSS over the second half of the run is
    above SOAK_MAX_RSS_SLOPE KiB per minute (64): a leak grows without
    bound, a cache fills once and stays;
  - the descriptors at the end exceed those at the half by more than 16;
  - LeakSanitizer (or ASan/UBSan) reported anything on stderr;
  - the server answered any 5xx.
Prints the samples' summary and both slopes.
"""

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

SECONDS = int(os.environ.get("SOAK_SECONDS", "1800"))
THREADS = int(os.environ.get("SOAK_THREADS", "8"))
SAMPLE = float(os.environ.get("SOAK_SAMPLE", "10"))
MAX_SLOPE = float(os.environ.get("SOAK_MAX_RSS_SLOPE", "64"))
BIN = os.environ.get("GH_BIN", "build-san/gatehouse")
PASSWORD = "soak password 1234"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def main():
    data = tempfile.mkdtemp(prefix="gh-soak-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SECRET_KEY=secrets.token_hex(32),
               LOGIN_MAX_FAILURES="1000000",
               LOGIN_MAX_FAILURES_PER_ADDRESS="1000000",
               REGISTER_MAX_PER_ADDRESS="1000000",
               PASSWORD_HASH_MEMORY_KIB="8192", PASSWORD_HASH_ITERATIONS="1",
               # a small quarantine: ASan's default (256 MB) fills slowly
               # and would read as growth
               ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=8:"
                            "thread_local_quarantine_size_kb=64",
               LOG_LEVEL="warn")
    err_path = os.path.join(data, "stderr.log")
    with open(err_path, "wb") as ef:
        proc = subprocess.Popen([BIN, "--host", "127.0.0.1", "--port",
                                 str(port), "--data-dir", data], env=env,
                                stdout=subprocess.DEVNULL, stderr=ef)
    for _ in range(600):                 # poll /healthz, 60 s at most
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)                  # polling interval
    else:
        proc.kill()
        sys.exit("soak: gatehouse did not start")
    stop = threading.Event()
    errors, counts, lock = [], [0], threading.Lock()
    threads = [threading.Thread(target=worker, args=(url, stop, errors,
                                                     counts, lock, i))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    samples = []
    while time.monotonic() - t0 < SECONDS:
        stop.wait(SAMPLE)                # the sampling period
        now = time.monotonic() - t0
        samples.append((now, rss_kib(proc.pid), fds(proc.pid)))
    stop.set()
    for t in threads:
        t.join(timeout=60)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=120)
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    half = [s for s in samples if s[0] >= SECONDS / 2]
    rss_slope = slope([(t, r) for t, r, _ in half])
    fd_half, fd_end = half[0][2], half[-1][2]
    print(f"soak: {SECONDS} s, {THREADS} clients, {counts[0]} requests")
    print(f"  RSS KiB: start {samples[0][1]}, half {half[0][1]}, "
          f"end {samples[-1][1]}, max {max(r for _, r, _ in samples)}")
    print(f"  RSS slope over the second half: {rss_slope:.1f} KiB/min "
          f"(limit {MAX_SLOPE:.0f})")
    print(f"  descriptors: half {fd_half}, end {fd_end}, "
          f"slope {slope([(t, f) for t, _, f in half]):.2f}/min")
    bad = []
    if rss_slope > MAX_SLOPE:
        bad.append("RSS keeps growing")
    if fd_end > fd_half + 16:
        bad.append("descriptors keep growing")
    for marker in ("LeakSanitizer", "AddressSanitizer", "runtime error:"):
        if marker in stderr:
            bad.append(f"{marker} reported (see {err_path})")
    if rc != 0:
        bad.append(f"exit status {rc}")
    if errors:
        bad.append(f"{len(errors)} errors, first {errors[0]}")
    if bad:
        print("soak: FAILED: " + "; ".join(bad))
        sys.exit(1)
    print("soak: ok (LeakSanitizer clean on exit)")


if __name__ == "__main__":
    main()
