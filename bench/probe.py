#!/usr/bin/python3
"""probe.py - the measurements of bench/run.sh that are not wrk runs.

    probe.py startup BIN PASS RUNS OUT_TSV WORK_DIR [DB_URL USER PASSWORD]
        Start gatehouse RUNS times, one after another, and time each start
        from exec to the first 200 of GET /readyz (polled every millisecond
        over a fresh connection). Then a few ordinary requests (5 x
        GET /healthz, GET /posts?limit=10, a login - preceded by a
        registration when no USER is given -, 5 x GET /users/me), half a
        second of rest, and the resident set size: "idle RSS". Without
        DB_URL every start gets a new, empty data directory (the
        fresh-database case); with it, every start opens that database.
        Appends one line per start to OUT_TSV: pass, run, ready_ms,
        rss_ready_kb (VmRSS at the first 200), rss_idle_kb, hwm_kb (VmHWM
        at the end). Server output goes to WORK_DIR/startup-PASS-N.log.
    probe.py stream BASE_URL DB_PATH TIMEOUT MIN_POSTS
        GET /posts (every post, streamed) read to the end through curl
        (which decodes the chunks in C), counting the posts as they pass;
        as many reads, one after another on one connection, as it takes to
        pass MIN_POSTS posts (so that a small database's figure is not all
        set-up), at most 1,000. Checks every read answered 200, the body
        ends a JSON list, and reads x DB_PATH's posts (counted read-only
        before) posts arrived. secs is the sum of curl's transfer times
        (from its connect to the last byte; curl's own start-up left out).
        Prints one line of key=value pairs: posts (per read), reads, bytes,
        secs, mb_per_s, posts_per_s.
    probe.py sample PID[,PID...] OUT_FILE
        Until SIGTERM: every 20 ms, sum VmRSS over the PIDs and their
        descendants, and keep the largest sum (kB) in OUT_FILE. The fallback
        for peak RSS where /proc/PID/clear_refs cannot be written.

Standard library only. Exit status non-zero (with a one-line reason) when
the measurement could not be made; a slow figure is never an error.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef"
READY_TIMEOUT = 60.0
MAX_READS = 1000  # full GET /posts reads in one stream measurement


def fail(msg):
    print("probe.py: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid):
    """PID and its descendants (children of children too)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def http(port, method, path, body=None, headers=None, timeout=30):
    """One request on a new connection: (status, body bytes)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        h = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
        h.update(headers or {})
        if body is not None:
            h["Content-Length"] = str(len(body))
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (
            method, path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        c.sendall(head.encode() + (body or b""))
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        c.close()
    line, _, rest = data.partition(b"\r\n")
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise OSError("no HTTP status line from %s %s" % (method, path))
    return int(parts[1]), rest.partition(b"\r\n\r\n")[2]


def ready_status(port):
    """Status of GET /readyz, or 0 while nothing answers yet."""
    try:
        return http(port, "GET", "/readyz", timeout=2)[0]
    except OSError:
        return 0


def expect(what, got, want):
    if got != want:
        fail("%s: HTTP %d, want %d" % (what, got, want))


def idle_requests(port, user, password):
    for _ in range(5):
        expect("GET /healthz", http(port, "GET", "/healthz")[0], 200)
    expect("GET /posts?limit=10",
           http(port, "GET", "/posts?limit=10")[0], 200)
    if user is None:
        user, password = "idleuser", "idle-password-1"
        st, raw = http(port, "POST", "/auth/register", json.dumps({
            "username": user, "email": "idle@example.com",
            "password": password}).encode(),
            {"Content-Type": "application/json"})
        expect("POST /auth/register", st, 201)
    st, raw = http(port, "POST", "/auth/token", urllib.parse.urlencode({
        "username": user, "password": password}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    expect("POST /auth/token as %s" % user, st, 200)
    token = json.loads(raw)["access_token"]
    for _ in range(5):
        expect("GET /users/me", http(port, "GET", "/users/me", headers={
            "Authorization": "Bearer " + token})[0], 200)


def startup(binary, pass_name, runs, out_tsv, work_dir, db_url=None,
            user=None, password=None):
    for run in range(1, runs + 1):
        data_dir = tempfile.mkdtemp(prefix="startup-%s-%d." % (pass_name,
                                                                run),
                                    dir=work_dir)
        port = free_port()
        env = dict(os.environ, SECRET_KEY=SECRET,
                   LOGIN_MAX_FAILURES="1000000",
                   LOGIN_MAX_FAILURES_PER_ADDRESS="1000000")
        if db_url:
            env["DATABASE_URL"] = db_url
        log = open(os.path.join(work_dir, "startup-%s-%d.log" %
                                (pass_name, run)), "w")
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", data_dir], env=env, stdout=log,
            stderr=subprocess.STDOUT)
        try:
            while True:
                if ready_status(port) == 200:
                    ready = time.monotonic() - t0
                    break
                if proc.poll() is not None:
                    fail("%s exited during startup (%s)" % (binary, log.name))
                if time.monotonic() - t0 > READY_TIMEOUT:
                    fail("%s not ready after %.0f s" % (binary,
                                                         READY_TIMEOUT))
                time.sleep(0.001)
            rss_ready = status_kb(proc.pid, "VmRSS")
            idle_requests(port, user, password)
            time.sleep(0.5)
            rss_idle = status_kb(proc.pid, "VmRSS")
            hwm = status_kb(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        with open(out_tsv, "a") as f:
            f.write("pass=%s\trun=%d\tready_ms=%.1f\trss_ready_kb=%d\t"
                    "rss_idle_kb=%d\thwm_kb=%d\n" %
                    (pass_name, run, ready * 1000, rss_ready, rss_idle, hwm))
        print("probe.py: start %s #%d: ready in %.1f ms, RSS %d kB at "
              "ready, %d kB idle" % (pass_name, run, ready * 1000,
                                     rss_ready, rss_idle), file=sys.stderr)


def stream(base, db_path, timeout, min_posts):
    db = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(db_path),
                         uri=True)
    try:
        want = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        db.close()
    if want == 0:
        fail("%s holds no posts" % db_path)
    # a small database is read several times over one connection, so that
    # the figure is not all connection set-up
    reads = max(1, min(MAX_READS, -(-min_posts // want)))
    marker = b'"date_posted"'
    keep = len(marker) - 1
    posts = size = 0
    tail = last = b""
    proc = subprocess.Popen(
        ["curl", "-sS", "--fail", "--max-time", str(timeout),
         "-w", "%{stderr}transfer %{time_total} %{http_code}\n"] +
        [base + "/posts"] * reads, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    while True:
        chunk = proc.stdout.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        buf = tail + chunk
        posts += buf.count(marker)
        # keep the last bytes that cannot hold a whole marker, so that a
        # marker split over two reads is counted once
        tail = buf[-keep:]
        last = chunk
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        fail("curl GET /posts failed (exit %d) after %d bytes: %s" %
             (proc.returncode, size, err.strip()[-300:]))
    times = [float(line.split()[1]) for line in err.splitlines()
             if line.startswith("transfer ") and line.split()[2] == "200"]
    if len(times) != reads:
        fail("GET /posts: %d of %d transfers answered 200: %s" %
             (len(times), reads, err.strip()[-300:]))
    if not last.rstrip().endswith(b"]"):
        fail("GET /posts: the body does not end a JSON list (%d bytes)" %
             size)
    if posts != want * reads:
        fail("GET /posts streamed %d posts in %d reads; the database holds "
             "%d" % (posts, reads, want))
    secs = sum(times)
    print("posts=%d\treads=%d\tbytes=%d\tsecs=%.3f\tmb_per_s=%.1f\t"
          "posts_per_s=%.0f" % (want, reads, size, secs, size / 1e6 / secs,
                                posts / secs))


def sample(pids, out_file):
    peak = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        total = sum(status_kb(p, "VmRSS") for pid in pids for p in tree(pid))
        if total > peak:
            peak = total
            with open(out_file + ".tmp", "w") as f:
                f.write("%d\n" % peak)
            os.replace(out_file + ".tmp", out_file)
        time.sleep(0.02)


def main():
    a = sys.argv[1:]
    if len(a) in (6, 9) and a[0] == "startup" and a[3].isdigit():
        extra = a[6:] if len(a) == 9 else [None, None, None]
        startup(a[1], a[2], int(a[3]), a[4], a[5], *extra)
    elif len(a) == 5 and a[0] == "stream" and a[3].isdigit() and \
            a[4].isdigit():
        stream(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) == 3 and a[0] == "sample" and \
            all(p.isdigit() for p in a[1].split(",")):
        sample([int(p) for p in a[1].split(",")], a[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
