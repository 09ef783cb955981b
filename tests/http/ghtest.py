"""Shared helpers for the black-box HTTP tests (tests/http).

Imported by conftest.py and by the test modules (pytest puts this directory
on sys.path).  Nothing here talks to a particular implementation: the same
helpers drive gatehouse and the seed's FastAPI reference app.

Environment understood by the suite (see conftest.py for the fixtures):

  GH_BASE_URL      use the server already running there instead of starting one
  GH_SECRET_KEY    that server's SECRET_KEY (enables PyJWT checks / forgeries)
  GH_TARGET=seed   the server is the FastAPI reference: gatehouse-only tests are
                   deselected, known seed defects are strict xfails
  GH_FRESH=1       that server's database is empty (first user becomes admin)
  GH_ADMIN_USERNAME / GH_ADMIN_PASSWORD   admin credentials of a non-fresh server
  GH_REQUEST_TIMEOUT_SECONDS   REQUEST_TIMEOUT_SECONDS of an external server
  GH_BIN           gatehouse binary to start (default build/gatehouse)
  GH_SANITIZED=1   the binary is an ASan+UBSan build (wider time bounds)
  GH_SEED_DIR      the reference app (default <repo>/../shared/reference/fastapi_seed)
  GH_DB=pg         every server the suite starts runs on a fresh PostgreSQL
                   database of its own (createdb; dropped when the server is
                   cleaned up), in the cluster named by:
  GH_PG_HOST / GH_PG_PORT / GH_PG_USER   its socket folder, port and
                   superuser (scripts/pg-cluster.sh start DIR writes them to
                   DIR/env; `make http-pg` does it all)
  GH_PG_BIN        folder of psql, createdb, dropdb, pg_dump (default: PATH)
"""

import base64
import datetime as dt
import json
import glob
import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent

BASE_URL = os.environ.get("GH_BASE_URL", "").rstrip("/")
IS_EXTERNAL = bool(BASE_URL)
IS_SEED = os.environ.get("GH_TARGET", "") == "seed"
SANITIZED = os.environ.get("GH_SANITIZED", "") == "1"
IS_PG = os.environ.get("GH_DB", "") == "pg"

# Time bounds.  A sanitized build is a few times slower; the bounds are
# generous upper limits, never sleeps.
SLOW = 3.0 if SANITIZED else 1.0
READY_TIMEOUT = 20.0 * SLOW
STOP_TIMEOUT = 15.0 * SLOW
HTTP_TIMEOUT = 30.0

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")

# Config variables the server reads; never inherit them from the caller.
SERVER_ENV_SCRUB = (
    "DATABASE_URL", "SECRET_KEY", "ALGORITHM", "ACCESS_TOKEN_EXPIRE_MINUTES",
    "REFRESH_TOKEN_EXPIRE_DAYS", "REQUEST_TIMEOUT_SECONDS",
    "IDLE_TIMEOUT_SECONDS", "REFRESH_REUSE_GRACE_SECONDS",
    "LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_WINDOW_SECONDS", "TRUSTED_PROXIES", "CORS_ORIGINS",
    "AUTH_CACHE_ENTRIES", "AUTH_CACHE_TTL_MS",
)

# The session's shared server counts failed logins like any other, and the
# whole suite logs in from 127.0.0.1 with a few shared users: loose limits
# there; the brute-force tests start private servers with small ones.
SESSION_SERVER_ENV = {"LOGIN_MAX_FAILURES": "1000",
                      "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000"}

PASSWORD = "correct horse 1"


def seed_defect(what):
    """Mark a test that states the contract where the seed app is wrong:
    it must fail against the seed and pass against gatehouse."""
    return pytest.mark.xfail(condition=IS_SEED, reason="seed defect: " + what,
                             strict=True)


# ---------------------------------------------------------------- names

def unique_name(prefix="u"):
    return prefix + uuid.uuid4().hex[:12]


def unique_email(name=None):
    """An address nobody has (it reuses `name`, when a plain token, only as
    a readable prefix: names differing in case still get distinct mails)."""
    if not name or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
        name = "m"
    return f"{name}.{uuid.uuid4().hex[:10]}@example.com"


# ---------------------------------------------------------------- HTTP

def assert_no_5xx(r):
    """Gatehouse never answers 5xx; report the request that got one."""
    assert r.status_code < 500, (
        f"server error {r.status_code} for {r.request.method} {r.request.url}: "
        f"{r.text[:500]!r}")
    return r


class Client:
    """requests.Session bound to a base URL; every answer is checked to be
    below 500 before the test sees it."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.s = requests.Session()

    def request(self, method, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        r = self.s.request(method, self.base + path, **kw)
        return assert_no_5xx(r)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def post_json_bytes(self, path, data, headers=None, **kw):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.post(path, data=data, headers=h, **kw)

    def close(self):
        self.s.close()


def bearer(token):
    return {"Authorization": "Bearer " + token}


class User:
    def __init__(self, username, email, password, data=None, token=None,
                 refresh_token=None):
        self.username = username
        self.email = email
        self.password = password
        self.data = data or {}
        self.token = token
        self.refresh_token = refresh_token

    @property
    def id(self):
        return self.data.get("id")

    @property
    def is_admin(self):
        return self.data.get("is_admin")

    @property
    def headers(self):
        return bearer(self.token)

    def __repr__(self):
        return f"User({self.username!r}, id={self.id})"


def register(client, username=None, email=None, password=PASSWORD, **extra):
    """POST /auth/register; returns the response (no status assertion)."""
    username = unique_name() if username is None else username
    email = unique_email(username) if email is None else email
    body = {"username": username, "email": email, "password": password}
    body.update(extra)
    return client.post("/auth/register", json=body)


def login_response(client, username, password, path="/auth/token", **extra):
    form = {"username": username, "password": password}
    form.update(extra)
    return client.post(path, data=form)


def login(client, username, password, path="/auth/token"):
    r = login_response(client, username, password, path)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    return body["access_token"]


def new_user(client, login_too=True, username=None, email=None,
             password=PASSWORD):
    """Register a fresh user (asserting 201) and, by default, log it in."""
    username = unique_name() if username is None else username
    email = unique_email(username) if email is None else email
    r = register(client, username, email, password)
    assert r.status_code == 201, r.text
    u = User(username, email, password, r.json())
    if login_too:
        u.token = login(client, username, password)
    return u


def check_user_response(d, password=None):
    """UserResponse: the seed's four fields, never a secret."""
    assert isinstance(d, dict), d
    for k in ("id", "username", "email", "is_admin"):
        assert k in d, f"UserResponse lacks {k}: {d}"
    assert isinstance(d["id"], int) and not isinstance(d["id"], bool)
    assert d["id"] > 0
    assert isinstance(d["is_admin"], bool)
    for k in d:
        assert "pass" not in k.lower() and "hash" not in k.lower(), d
    text = json.dumps(d)
    assert "$argon2" not in text and "$2b$" not in text and "$2a$" not in text
    if password:
        assert password not in text


def check_post_response(d):
    assert isinstance(d, dict), d
    assert set(("id", "title", "content", "user_id", "date_posted")) <= set(d)
    assert isinstance(d["id"], int) and d["id"] > 0
    assert isinstance(d["user_id"], int)
    parse_ts(d["date_posted"])


def parse_ts(s):
    """Permissive timestamp parser: RFC 3339 with Z or offset (gatehouse) or
    the seed's naive ISO form.  Returns a naive datetime in UTC."""
    assert isinstance(s, str), s
    t = dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# ---------------------------------------------------------------- JWT forging

def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    h, p, s = token.split(".")
    return (json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s)


def unsigned_jwt(claims, header=None):
    header = header or {"alg": "none", "typ": "JWT"}
    return b64url_json(header) + "." + b64url_json(claims) + "."


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gatehouse_bin():
    """Path of the gatehouse binary (GH_BIN, relative to cwd or repo)."""
    p = pathlib.Path(os.environ.get("GH_BIN", "build/gatehouse"))
    if p.is_absolute():
        return p
    for base in (pathlib.Path.cwd(), REPO):
        if (base / p).exists():
            return (base / p).resolve()
    return (REPO / p)


def seed_dir():
    d = os.environ.get("GH_SEED_DIR")
    if d:
        return pathlib.Path(d)
    return (REPO.parent / "shared" / "reference" / "fastapi_seed").resolve()


def seed_missing_reason():
    """Why the tests that need the seed app cannot run, and how to run
    them; None when it is there."""
    sd = seed_dir()
    if (sd / "run.sh").exists():
        return None
    return (f"the seed app is not at {sd}: clone beside ../shared "
            "(or set GH_SEED_DIR) to run the tests against it")


# Marks a test (or a module) that needs the seed FastAPI app: one skip
# line per module when it is missing.
requires_seed = pytest.mark.skipif(seed_missing_reason() is not None,
                                   reason=seed_missing_reason() or "")


def wait_http_ready(url, proc=None, timeout=READY_TIMEOUT, what="server"):
    """Poll url until it answers 200; fail early if proc exits."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False, f"{what} exited with {proc.returncode} before ready"
        try:
            r = requests.get(url, timeout=1.0)
            if r.status_code == 200:
                return True, ""
            last = f"status {r.status_code}"
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.05)        # polling interval, not a readiness sleep
    return False, f"{what} not ready at {url} within {timeout:.0f}s ({last})"


def stop_pid_process(proc, timeout=STOP_TIMEOUT):
    """SIGTERM the process we started, by PID; SIGKILL after a bound.
    Returns (returncode, killed)."""
    if proc.poll() is not None:
        return proc.returncode, False
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=10), True


# ---------------------------------------------------------------- PostgreSQL
# GH_DB=pg: each ServerProcess gets a database of its own in the cluster
# named by GH_PG_HOST/PORT/USER (scripts/pg-cluster.sh).  The database
# belongs to the data folder: a second server started on the same folder
# (a restart) finds the first one's data, as with SQLite's file there.

PG_CLIENT_TIMEOUT = 60


def _pg_conn():
    missing = [v for v in ("GH_PG_HOST", "GH_PG_PORT", "GH_PG_USER")
               if not os.environ.get(v)]
    if missing:
        raise RuntimeError(
            f"GH_DB=pg needs {', '.join(missing)}: start a cluster with "
            "`scripts/pg-cluster.sh start DIR` and `. DIR/env` "
            "(or run `make http-pg`)")
    return (os.environ["GH_PG_HOST"], os.environ["GH_PG_PORT"],
            os.environ["GH_PG_USER"])


def _pg_tool(name):
    d = os.environ.get("GH_PG_BIN")
    return os.path.join(d, name) if d else name


def _pg_run(tool, *args):
    host, port, user = _pg_conn()
    cmd = [_pg_tool(tool), "-h", host, "-p", port, "-U", user] + list(args)
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=PG_CLIENT_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {r.returncode}: "
                           + r.stderr.decode("utf-8", "replace"))
    return r.stdout.decode("utf-8", "replace")


def pg_url(dbname):
    """DATABASE_URL of database `dbname` in the GH_PG_* cluster."""
    host, port, user = _pg_conn()
    q = urllib.parse.quote
    return (f"postgresql:///{q(dbname, safe='')}?host={q(host, safe='/')}"
            f"&port={q(port, safe='')}&user={q(user, safe='')}")


def pg_createdb():
    """Create a fresh, empty database gh_<uuid hex>; returns its name."""
    name = "gh_" + uuid.uuid4().hex
    _pg_run("createdb", name)
    return name


def pg_dropdb(name):
    """Drop database `name` (if there; connections left are ended)."""
    _pg_run("dropdb", "--if-exists", "--force", name)


def pg_query(dbname, sql):
    """Run `sql` in database `dbname` with psql; the rows of its last
    statement as tuples of strings (NULL is '')."""
    out = _pg_run("psql", "-X", "-q", "-A", "-t", "-F", "\t",
                  "-v", "ON_ERROR_STOP=1", "-d", dbname, "-c", sql)
    return [tuple(line.split("\t")) for line in out.splitlines()]


def pg_dump(dbname):
    """The whole database as pg_dump's SQL text (bytes)."""
    return _pg_run("pg_dump", "--no-owner", "-d", dbname).encode()


# realpath of a data folder -> [database, ServerProcesses holding it]
_PG_DBS = {}


def _pg_acquire(data_dir):
    key = os.path.realpath(data_dir)
    ent = _PG_DBS.get(key)
    if ent is None:
        ent = _PG_DBS[key] = [pg_createdb(), 0]
    ent[1] += 1
    return ent[0]


def _pg_release(data_dir):
    key = os.path.realpath(data_dir)
    ent = _PG_DBS.get(key)
    if ent is None:
        return
    ent[1] -= 1
    if ent[1] <= 0:
        del _PG_DBS[key]
        pg_dropdb(ent[0])


def faketime_lib():
    """libfaketime's path (Debian's faketime package; scripts/deps.sh test
    installs it)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        raise RuntimeError("libfaketime not found: apt-get install faketime "
                           "(make test installs it)")
    return found[0]


class ServerProcess:
    """One gatehouse process started by the tests.

    start() picks a free port, runs `GH_BIN --host 127.0.0.1 --port P
    --data-dir D` with a clean config environment, stderr to a file, and
    polls /healthz until ready.  stop() sends SIGTERM by PID.  problems()
    lists what makes the run a failure: a non-zero exit, a kill, sanitizer
    reports in stderr.

    GH_DB=pg (and no DATABASE_URL in env): the first start() takes the
    PostgreSQL database of the data folder (pg_db; created when the folder
    has none yet) and passes its DATABASE_URL; cleanup_files() lets it go
    (dropped once no ServerProcess on that folder holds it).
    """

    def __init__(self, binary=None, data_dir=None, env=None,
                 secret_key=None, request_timeout=3, name="gatehouse",
                 clock=False):
        self.binary = pathlib.Path(binary) if binary else gatehouse_bin()
        self.own_tmp = None
        if data_dir is None:
            self.own_tmp = tempfile.mkdtemp(prefix="gh-http-")
            data_dir = os.path.join(self.own_tmp, "data")
            os.makedirs(data_dir)
        self.data_dir = str(data_dir)
        self.log_dir = self.own_tmp or tempfile.mkdtemp(prefix="gh-http-log-")
        # secret_key=False: start without SECRET_KEY (the server makes one)
        self.secret_key = (None if secret_key is False else
                           secret_key or ("test-secret-" + uuid.uuid4().hex))
        self.request_timeout = request_timeout
        self.extra_env = dict(env or {})
        self.name = name
        self.proc = None
        self.port = None
        self.url = None
        self.returncode = None
        self.killed = False
        self.starts = 0
        self.stderr_path = None
        self.pg_db = None           # GH_DB=pg: the database it runs on
        # clock=True: the server's wall clock (CLOCK_REALTIME: token times,
        # throttling windows, expiries) is injected (libfaketime, Debian's
        # faketime package): it stands still at a whole second of today
        # and moves only by advance_clock()
        self.clock_file = None
        self.clock_now = None
        if clock:
            self.clock_file = os.path.join(self.log_dir, "clock")
            self.clock_now = dt.datetime.now(dt.timezone.utc).replace(
                microsecond=0, tzinfo=None)
            self._write_clock()

    def _write_clock(self):
        with open(self.clock_file + ".tmp", "w") as f:
            f.write(self.clock_now.strftime("%Y-%m-%d %H:%M:%S") + "\n")
        os.replace(self.clock_file + ".tmp", self.clock_file)

    def advance_clock(self, seconds):
        """Move this server's stopped wall clock forward by whole seconds."""
        assert self.clock_file, "started without clock=True"
        self.clock_now += dt.timedelta(seconds=int(seconds))
        self._write_clock()

    def _env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in SERVER_ENV_SCRUB and not k.startswith("GH_")}
        if self.secret_key is not None:
            env["SECRET_KEY"] = self.secret_key
        if self.request_timeout is not None:
            env["REQUEST_TIMEOUT_SECONDS"] = str(self.request_timeout)
        if SANITIZED:
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        if self.clock_file:
            env["LD_PRELOAD"] = faketime_lib()
            env["FAKETIME_TIMESTAMP_FILE"] = self.clock_file
            env["FAKETIME_NO_CACHE"] = "1"
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            env["TZ"] = "UTC"        # the file's time is UTC
            if SANITIZED:   # libfaketime is preloaded before ASan's runtime
                env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
        if self.pg_db is not None:
            env["DATABASE_URL"] = pg_url(self.pg_db)
        env.update(self.extra_env)
        return env

    def start(self):
        if not self.binary.exists():
            raise RuntimeError(f"gatehouse binary {self.binary} does not exist "
                               "(build it with `make build/gatehouse`)")
        if (IS_PG and self.pg_db is None
                and "DATABASE_URL" not in self.extra_env):
            self.pg_db = _pg_acquire(self.data_dir)
        err = "not started"
        for _attempt in range(3):   # a port race makes the bind fail: retry
            self.starts += 1
            self.returncode, self.killed = None, False
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.stderr_path = os.path.join(
                self.log_dir, f"{self.name}.{self.starts}.stderr.log")
            out_path = os.path.join(
                self.log_dir, f"{self.name}.{self.starts}.stdout.log")
            with open(self.stderr_path, "wb") as ef, open(out_path, "wb") as of:
                self.proc = subprocess.Popen(
                    [str(self.binary), "--host", "127.0.0.1",
                     "--port", str(self.port), "--data-dir", self.data_dir],
                    env=self._env(), cwd=self.data_dir,
                    stdin=subprocess.DEVNULL, stdout=of, stderr=ef)
            ok, err = wait_http_ready(self.url + "/healthz", self.proc,
                                      what=self.name)
            if ok:
                return self
            if self.proc.poll() is None:    # alive but never ready: give up
                self.stop()
                break
            self.returncode = self.proc.returncode
            if self.sanitizer_report():
                break
        raise RuntimeError(f"{err}\n--- {self.name} stderr ---\n{self.log()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return None
        if self.returncode is not None and self.proc.poll() is not None:
            return self.returncode          # already stopped
        self.returncode, self.killed = stop_pid_process(self.proc)
        return self.returncode

    def crash(self):
        """SIGKILL the server we started, by PID, as a power cut would stop
        it (no shutdown of any kind); start() brings it back on the same
        data folder.  The kill is not a failure of the run."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.returncode = None

    def log(self, limit=20000):
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            return ""
        text = data.decode("utf-8", "replace")
        return text if len(text) <= limit else "...\n" + text[-limit:]

    def sanitizer_report(self):
        text = self.log(limit=10 ** 9)
        return [m for m in SANITIZER_MARKERS if m in text]

    def problems(self):
        """Reasons this run must fail the session (after stop())."""
        p = []
        if self.killed:
            p.append(f"{self.name} did not exit within {STOP_TIMEOUT:.0f}s of "
                     "SIGTERM and was killed")
        elif self.returncode not in (None, 0):
            p.append(f"{self.name} exited with status {self.returncode}")
        found = self.sanitizer_report()
        if found:
            p.append(f"{self.name} stderr contains sanitizer reports: {found}")
        return p

    def cleanup_files(self):
        """Remove its folders and let its PostgreSQL database go (both
        are kept when a run fails, for a look)."""
        import shutil
        if self.pg_db is not None:
            self.pg_db = None
            _pg_release(self.data_dir)
        if self.own_tmp:
            shutil.rmtree(self.own_tmp, ignore_errors=True)
        elif self.log_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)


class SeedProcess:
    """The FastAPI reference app, started through its run.sh (which execs
    uvicorn, so the PID we hold is the server's)."""

    def __init__(self, db_path, secret_key, log_path):
        self.db_path = str(db_path)
        self.secret_key = secret_key
        self.log_path = str(log_path)
        self.proc = None
        self.url = None

    def start(self):
        run_sh = seed_dir() / "run.sh"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV_SCRUB}
        env["SECRET_KEY"] = self.secret_key
        with open(self.log_path, "wb") as lf:
            self.proc = subprocess.Popen(
                ["bash", str(run_sh), str(port), self.db_path], env=env,
                stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        ok, err = wait_http_ready(self.url + "/", self.proc, timeout=30,
                                  what="seed app")
        if not ok:
            self.stop()
            raise RuntimeError(err + "\n" + open(self.log_path).read()[-5000:])
        return self

    def stop(self):
        if self.proc is not None:
            return stop_pid_process(self.proc)
        return None


# ---------------------------------------------------------------- issue 4
# Sessions, refresh tokens, API keys: helpers shared by test_refresh.py,
# test_sessions.py, test_password.py, test_roles.py, test_todos.py,
# test_apikeys.py, test_bruteforce.py, test_audit.py, test_cors.py and
# test_persistence.py.

BAD_CRED = {"detail": "Could not validate credentials"}
NOT_AUTH = {"detail": "Not authenticated"}
WRONG_LOGIN = {"detail": "Incorrect username or password"}
NO_PERMISSION = {"detail": "Insufficient permissions"}
KEY_FORBIDDEN = {"detail": "API keys cannot be used for this action"}


def assert_401(r, detail=BAD_CRED):
    """401 with the given body and a Bearer challenge (API.md conventions)."""
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.json() == detail
    www = r.headers.get("www-authenticate")
    assert www is not None, "401 without WWW-Authenticate"
    assert www.split()[0].lower() == "bearer", www
    return r


def assert_oauth_error(r, error="invalid_grant"):
    """400 {"error", "error_description"} of an OAuth2 token endpoint
    (RFC 6749 section 5.2), never cached."""
    assert r.status_code == 400, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and \
        body["error_description"], body
    assert r.headers.get("cache-control") == "no-store", r.headers
    return r


def assert_refresh_refused(r):
    """A refused refresh: RFC 6749's invalid_grant at the token endpoint,
    401 Could not validate credentials at /auth/refresh."""
    if r.request.path_url.startswith(("/auth/token", "/auth/login")):
        return assert_oauth_error(r, "invalid_grant")
    return assert_401(r)


def assert_422(r, *locs):
    """422 in FastAPI's shape; every loc given (a tuple or list) must be
    reported."""
    assert r.status_code == 422, (r.status_code, r.text)
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for e in detail:
        assert set(("loc", "msg", "type")) <= set(e), e
        assert e["loc"][0] in ("body", "query", "path", "header"), e
    got = [list(e["loc"]) for e in detail]
    for loc in locs:
        assert list(loc) in got, (loc, got)
    return r


def token_claims(token):
    """Payload of a JWT, unverified (works without knowing SECRET_KEY)."""
    return jwt_parts(token)[1]


def login_full(client, username, password, path="/auth/token", headers=None):
    """Log in and return the whole token response, checking its shape."""
    r = client.post(path, data={"username": username, "password": password},
                    headers=headers or {})
    assert r.status_code == 200, (r.status_code, r.text)
    body = r.json()
    check_token_response(body)
    return body


def check_token_response(body):
    assert isinstance(body, dict), body
    assert body.get("token_type") == "bearer", body
    assert isinstance(body.get("access_token"), str) and body["access_token"]
    rt = body.get("refresh_token")
    assert isinstance(rt, str) and rt, body
    assert rt != body["access_token"]
    assert is_int(body.get("expires_in")) and body["expires_in"] > 0, body
    assert is_int(token_claims(body["access_token"]).get("sid")), \
        token_claims(body["access_token"])


def refresh_json(client, refresh_token, **kw):
    return client.post("/auth/refresh", json={"refresh_token": refresh_token},
                       **kw)


def refresh_form(client, refresh_token, **kw):
    return client.post("/auth/token", data={"grant_type": "refresh_token",
                                            "refresh_token": refresh_token},
                       **kw)


def new_full_user(client, username=None, password=PASSWORD, headers=None):
    """Register a fresh user and log in; the User carries the access token,
    the refresh token and `sid`."""
    u = new_user(client, login_too=False, username=username,
                 password=password)
    relogin(client, u, headers=headers)
    return u


def relogin(client, u, headers=None):
    """Log `u` in again (a new session) and make that its current one."""
    body = login_full(client, u.username, u.password, headers=headers)
    u.token = body["access_token"]
    u.refresh_token = body["refresh_token"]
    return u


def sid_of(token):
    return token_claims(token)["sid"]


def api_key_headers(key):
    return {"X-API-Key": key}


def make_api_key(client, u, name=None, **extra):
    body = {"name": name or unique_name("key ")}
    body.update(extra)
    r = client.post("/api-keys", json=body, headers=u.headers)
    assert r.status_code == 201, (r.status_code, r.text)
    return r.json()


def make_todo(client, headers, title=None, **extra):
    body = {"title": title or unique_name("todo ")}
    body.update(extra)
    r = client.post("/todos", json=body, headers=headers)
    assert r.status_code == 201, (r.status_code, r.text)
    return r.json()


def private_client(sp):
    """A Client on a private server (see conftest.spawn_server)."""
    return Client(sp.url)


def assert_no_secret(text, *secrets):
    """None of the secrets, nor their SHA-256 (hex or base64url), appears."""
    import hashlib
    for s in secrets:
        if not s:
            continue
        assert s not in text, f"secret {s[:6]}... leaked"
        raw = hashlib.sha256(s.encode()).digest()
        for form in (raw.hex(), b64url(raw), base64.b64encode(raw).decode()):
            assert form not in text, f"hash of secret {s[:6]}... leaked"


def statuses_from_many(url, method, path, headers, n=16, **kw):
    """Send one request on each of n fresh connections at once (so that
    several server threads see it); returns the status codes."""
    import threading
    out, lock = [], threading.Lock()
    barrier = threading.Barrier(n)

    def one():
        c = Client(url)
        try:
            barrier.wait(timeout=30)
            r = c.request(method, path, headers=headers, **kw)
            with lock:
                out.append(r.status_code)
        finally:
            c.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HTTP_TIMEOUT + 30)
    assert len(out) == n, f"only {len(out)} of {n} requests answered"
    return out
