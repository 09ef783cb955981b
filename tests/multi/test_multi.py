"""Several gatehouse instances on one PostgreSQL behave as one instance.

The module starts everything it needs, by its own scripts, and stops it
by PID: a throwaway PostgreSQL cluster (scripts/pg-cluster.sh), one
database, three gatehouse instances on it ($GH_BIN, the same SECRET_KEY,
TRUSTED_PROXIES=127.0.0.1), and nginx (Debian's nginx-light) in front of
them, round robin.  Tests talk to an instance directly when the test is
about which instance sees what, and through nginx when it is about the
whole.  The last two tests kill an instance (which stays dead: nginx routes
around it) and restart PostgreSQL under load; they run last (file
order).
"""

import concurrent.futures as cf
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "http"))
import ghtest  # noqa: E402
from ghtest import (PASSWORD, ServerProcess, bearer, unique_name,  # noqa: E402
                    unique_email, wait_http_ready, stop_pid_process)

REPO = pathlib.Path(__file__).resolve().parents[2]
N = 3
MAX_FAILURES = 5
T = 10 * ghtest.SLOW       # bound for "recovers" waits, polled


class Cluster:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="gh-multi-")
        os.chmod(self.tmp, 0o755)   # the cluster's owner (root: nobody)
        self.pgdir = os.path.join(self.tmp, "pg")
        self.env = {}
        self.db = "gh_multi_" + uuid.uuid4().hex[:12]
        self.secret = "multi-secret-" + uuid.uuid4().hex
        self.nodes = []
        self.dead = []      # killed on purpose (SIGKILL is their end)
        self.nginx = None
        self.url = None

    # -- PostgreSQL ------------------------------------------------------
    def pg(self, cmd, *args):
        subprocess.run([str(REPO / "scripts/pg-cluster.sh"), cmd,
                        self.pgdir, *args], check=True,
                       stdout=subprocess.DEVNULL)

    def pg_start(self):
        self.pg("start")
        with open(os.path.join(self.pgdir, "env")) as f:
            for line in f:
                line = line.strip()
                if line.startswith("export "):
                    line = line[len("export "):]
                k, _, v = line.partition("=")
                if k:
                    self.env[k] = v.strip("'\"")

    def pg_url(self):
        e = self.env
        return (f"postgresql:///{self.db}?host={e['GH_PG_HOST']}"
                f"&port={e['GH_PG_PORT']}&user={e['GH_PG_USER']}")

    def createdb(self):
        e = self.env
        subprocess.run(["createdb", "-h", e["GH_PG_HOST"], "-p",
                        e["GH_PG_PORT"], "-U", e["GH_PG_USER"], self.db],
                       check=True)

    # -- gatehouse -------------------------------------------------------
    def start_nodes(self):
        env = {"DATABASE_URL": self.pg_url(),
               "TRUSTED_PROXIES": "127.0.0.1",
               "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
               "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
               "DB_POOL_TIMEOUT_MS": "1000"}
        for i in range(N):
            sp = ServerProcess(env=env, secret_key=self.secret,
                               name=f"gatehouse{i}")
            sp.start()
            self.nodes.append(sp)

    # -- nginx -----------------------------------------------------------
    def start_nginx(self):
        d = os.path.join(self.tmp, "nginx")
        os.makedirs(os.path.join(d, "temp"))
        os.chmod(self.tmp, 0o755)
        os.chmod(d, 0o755)
        port = ghtest.free_port()
        ups = "\n".join(f"server 127.0.0.1:{n.port} max_fails=1 "
                        f"fail_timeout=2s;" for n in self.nodes)
        conf = f"""
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/temp/body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    upstream gatehouse {{
        {ups}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gatehouse;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx_log = open(os.path.join(d, "stderr.log"), "wb")
        self.nginx = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", d + "/", "-e", d + "/error.log",
             "-c", d + "/nginx.conf"], stdin=subprocess.DEVNULL,
            stdout=self.nginx_log, stderr=self.nginx_log)
        self.url = f"http://127.0.0.1:{port}"
        ok, err = wait_http_ready(self.url + "/healthz", self.nginx,
                                  what="nginx")
        assert ok, err

    def stop(self):
        if self.nginx is not None:
            stop_pid_process(self.nginx)
            self.nginx_log.close()
        problems = []
        for n in self.nodes:
            if n in self.dead:
                found = n.sanitizer_report()
                problems += [f"{n.name}: {found}"] if found else []
                continue
            n.stop()
            problems += [f"{n.name}: {p}" for p in n.problems()]
        try:
            self.pg("stop")
        except subprocess.CalledProcessError as e:
            problems.append(f"pg-cluster stop: {e}")
        return problems


@pytest.fixture(scope="module")
def cl():
    c = Cluster()
    try:
        c.pg_start()
        c.createdb()
        c.start_nodes()
        c.start_nginx()
    except BaseException:
        c.stop()
        raise
    yield c
    problems = c.stop()
    assert not problems, problems


def node(c, i):
    return c.nodes[i % N].url


def register(url, name=None, password=PASSWORD):
    name = name or unique_name("m")
    r = requests.post(url + "/auth/register", json={
        "username": name, "email": unique_email(name), "password": password},
        timeout=30)
    assert r.status_code == 201, r.text
    return name, r.json()


def login(url, name, password=PASSWORD):
    return requests.post(url + "/auth/token", data={
        "username": name, "password": password}, timeout=30)


def refresh(url, token):
    return requests.post(url + "/auth/refresh",
                         json={"refresh_token": token}, timeout=30)


def me(url, access):
    return requests.get(url + "/users/me", headers=bearer(access), timeout=30)


@pytest.fixture(scope="module")
def admin(cl):
    """The first user of the shared database: admin."""
    name, body = register(node(cl, 0))
    assert body["role"] == "admin"
    r = login(node(cl, 1), name)
    assert r.status_code == 200, r.text
    return name, r.json()["access_token"]


def test_first_user_is_admin_once_across_instances(cl, admin):
    # the second registration, on another instance, is a plain user
    _, body = register(node(cl, 2))
    assert body["role"] == "user"


def test_refresh_family_dies_everywhere_on_reuse(cl, admin):
    name, _ = register(node(cl, 0))
    t0 = login(node(cl, 0), name).json()
    # every instance knows the first access token
    for i in range(N):
        assert me(node(cl, i), t0["access_token"]).status_code == 200
    r = refresh(node(cl, 1), t0["refresh_token"])
    assert r.status_code == 200, r.text
    t1 = r.json()
    for i in range(N):       # warm every instance's cache with t1
        assert me(node(cl, i), t1["access_token"]).status_code == 200
    # the spent token replayed on a third instance: reuse
    r = refresh(node(cl, 2), t0["refresh_token"])
    assert r.status_code == 401, r.text
    # the family is dead on every instance at once, access tokens too
    for i in range(N):
        assert me(node(cl, i), t1["access_token"]).status_code == 401, i
        assert me(node(cl, i), t0["access_token"]).status_code == 401, i
    assert refresh(node(cl, 0), t1["refresh_token"]).status_code == 401


def test_two_instances_racing_on_one_refresh_token_one_wins(cl, admin):
    name, _ = register(node(cl, 0))
    for _round in range(5):
        t0 = login(node(cl, 0), name).json()
        barrier = threading.Barrier(N)

        def go(i):
            barrier.wait()
            return refresh(node(cl, i), t0["refresh_token"])
        with cf.ThreadPoolExecutor(N) as ex:
            rs = list(ex.map(go, range(N)))
        codes = sorted(r.status_code for r in rs)
        assert codes.count(200) == 1, codes
        # the winner's successor is dead too: reuse revoked the family
        win = next(r for r in rs if r.status_code == 200).json()
        assert refresh(node(cl, 1), win["refresh_token"]).status_code == 401


def test_failed_logins_spread_over_instances_lock_the_username(cl, admin):
    name, _ = register(node(cl, 0))
    for i in range(MAX_FAILURES):
        r = login(node(cl, i), name, "wrong password 99")
        assert r.status_code == 401, (i, r.status_code, r.text)
    for i in range(N):      # the right password is refused everywhere
        r = login(node(cl, i), name)
        assert r.status_code == 429, (i, r.status_code, r.text)
        assert int(r.headers["Retry-After"]) >= 1


def test_deactivation_on_one_is_seen_by_the_others(cl, admin):
    name, body = register(node(cl, 0))
    tok = login(node(cl, 0), name).json()["access_token"]
    for i in range(N):
        assert me(node(cl, i), tok).status_code == 200
    r = requests.patch(node(cl, 0) + f"/admin/users/{body['id']}",
                       json={"is_active": False}, headers=bearer(admin[1]),
                       timeout=30)
    assert r.status_code == 200, r.text
    for i in (1, 2, 0):
        assert me(node(cl, i), tok).status_code == 401, i


def test_role_change_on_one_is_seen_by_the_others(cl, admin):
    name, body = register(node(cl, 0))
    tok = login(node(cl, 0), name).json()["access_token"]
    for i in range(N):
        r = requests.get(node(cl, i) + "/admin/users",
                         headers=bearer(tok), timeout=30)
        assert r.status_code == 403
    r = requests.patch(node(cl, 1) + f"/admin/users/{body['id']}",
                       json={"role": "admin"}, headers=bearer(admin[1]),
                       timeout=30)
    assert r.status_code == 200, r.text
    for i in (2, 0, 1):
        r = requests.get(node(cl, i) + "/admin/users",
                         headers=bearer(tok), timeout=30)
        assert r.status_code == 200, (i, r.status_code)


def test_logout_on_one_revokes_everywhere(cl, admin):
    name, _ = register(node(cl, 0))
    t = login(node(cl, 0), name).json()
    for i in range(N):
        assert me(node(cl, i), t["access_token"]).status_code == 200
    r = requests.post(node(cl, 2) + "/auth/logout",
                      json={"refresh_token": t["refresh_token"]},
                      headers=bearer(t["access_token"]), timeout=30)
    assert r.status_code in (200, 204), r.text
    for i in range(N):
        assert me(node(cl, i), t["access_token"]).status_code == 401, i


def test_concurrent_last_admin_demotions_leave_one_admin(cl, admin):
    # two admins of their own on a fresh pair: promote b by a
    a_name, a = register(node(cl, 0))
    b_name, b = register(node(cl, 0))
    for uid in (a["id"], b["id"]):
        r = requests.patch(node(cl, 0) + f"/admin/users/{uid}",
                           json={"role": "admin"}, headers=bearer(admin[1]),
                           timeout=30)
        assert r.status_code == 200, r.text
    ta = login(node(cl, 1), a_name).json()["access_token"]
    tb = login(node(cl, 2), b_name).json()["access_token"]
    # every other admin steps down: a and b are the last two
    users = requests.get(node(cl, 0) + "/admin/users?limit=1000",
                         headers=bearer(ta), timeout=30).json()
    for u in users:
        if u["role"] == "admin" and u["id"] not in (a["id"], b["id"]):
            r = requests.patch(node(cl, 0) + f"/admin/users/{u['id']}",
                               json={"role": "user"}, headers=bearer(ta),
                               timeout=30)
            assert r.status_code == 200, r.text
    barrier = threading.Barrier(2)

    def demote(args):
        url, tok, uid = args
        barrier.wait()
        return requests.patch(url + f"/admin/users/{uid}",
                              json={"role": "user"}, headers=bearer(tok),
                              timeout=30)
    with cf.ThreadPoolExecutor(2) as ex:
        # each steps down on its own instance: both are admins when
        # their request is authorised, so the last-admin guard decides
        rs = list(ex.map(demote, [(node(cl, 1), ta, a["id"]),
                                  (node(cl, 2), tb, b["id"])]))
    codes = sorted(r.status_code for r in rs)
    assert codes == [200, 409], [(r.status_code, r.text) for r in rs]
    admins = [u for u in requests.get(
        node(cl, 0) + "/admin/users?limit=1000",
        headers=bearer(tb if rs[0].status_code == 200 else ta),  # the admin
        timeout=30).json() if u["role"] == "admin" and u["is_active"]]
    assert len(admins) == 1, admins


class Load:
    """Clients creating posts through nginx until stopped; remembers every
    acknowledged post and every failure."""

    def __init__(self, cl, token, threads=4):
        self.cl, self.token = cl, token
        self.stop = threading.Event()
        self.acked, self.failed = [], []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,))
                        for i in range(threads)]

    def run(self, i):
        s = requests.Session()
        n = 0
        while not self.stop.is_set():
            n += 1
            title = f"load {i}-{n}-{uuid.uuid4().hex[:8]}"
            try:
                r = s.post(self.cl.url + "/posts", json={
                    "title": title, "content": "x"},
                    headers=bearer(self.token), timeout=30)
                code = r.status_code
            except requests.RequestException as e:
                code = repr(e)
            with self.lock:
                if code == 201:
                    self.acked.append(r.json()["id"])
                else:
                    self.failed.append(code)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def wait_acked(self, n):
        deadline = time.monotonic() + T
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.acked) >= n:
                    return
            time.sleep(0.02)    # polling the load's progress
        raise AssertionError(f"fewer than {n} posts acknowledged in {T}s")


def wait_status(url, want):
    deadline = time.monotonic() + T
    got = None
    while time.monotonic() < deadline:
        try:
            got = requests.get(url, timeout=5).status_code
        except requests.RequestException as e:
            got = repr(e)
        if got == want:
            return
        time.sleep(0.05)                # polling interval
    raise AssertionError(f"{url}: {got}, not {want}, within {T}s")


def check_all_present(cl, token, ids):
    """Every acknowledged post is there, as every live instance sees it."""
    for n in cl.nodes:
        if n in cl.dead:
            continue
        r = requests.get(n.url + "/posts", timeout=60)
        assert r.status_code == 200
        have = {p["id"] for p in r.json()}
        missing = [i for i in ids if i not in have]
        assert not missing, (n.name, missing[:10])


def test_killing_one_instance_mid_load_loses_nothing(cl, admin):
    name, _ = register(node(cl, 0))
    tok = login(node(cl, 0), name).json()["access_token"]
    victim = cl.nodes[1]
    with Load(cl, tok) as load:
        load.wait_acked(50)
        victim.crash()                  # SIGKILL by PID
        cl.dead.append(victim)
        before = len(load.acked)
        load.wait_acked(before + 100)   # the others go on serving
    # in-flight requests to the killed instance may fail (502: nginx
    # does not retry a POST), one per client at most; nothing
    # acknowledged is missing
    assert len(load.failed) <= len(load.threads), load.failed
    check_all_present(cl, tok, load.acked)


def test_postgresql_restart_mid_load_every_instance_recovers(cl, admin):
    name, _ = register(node(cl, 0))
    tok = login(node(cl, 0), name).json()["access_token"]
    with Load(cl, tok) as load:
        load.wait_acked(30)
        live = [n for n in cl.nodes if n not in cl.dead]
        cl.pg("stop", "--keep")         # by PID; same data, same port
        for n in live:                  # not ready while it is away
            wait_status(n.url + "/readyz", 503)
        cl.pg("start")
        # every instance is ready again without a restart of its own
        for n in live:
            ok, err = wait_http_ready(n.url + "/readyz", n.proc, timeout=T)
            assert ok, err
        before = len(load.acked)
        load.wait_acked(before + 50)
    for n in live:
        assert n.alive(), n.name
    # what was acknowledged before, during and after is all there
    check_all_present(cl, tok, load.acked)
    # and every instance writes again
    for n in live:
        r = requests.post(n.url + "/posts", json={
            "title": "after restart", "content": "x"}, headers=bearer(tok),
            timeout=30)
        assert r.status_code == 201, (n.name, r.status_code, r.text)
