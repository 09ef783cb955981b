"""Fixtures of the black-box HTTP suite.

Two modes (ghtest.py lists the environment variables):

* GH_BASE_URL unset: start $GH_BIN (default build/gatehouse) on a free port
  with a fresh data folder, a random SECRET_KEY and REQUEST_TIMEOUT_SECONDS=3;
  wait for /healthz; at the end SIGTERM it by PID, require exit status 0 and
  a stderr free of sanitizer reports, else the session fails.
* GH_BASE_URL set: test that server as it is (GH_TARGET=seed for the FastAPI
  reference, GH_FRESH=1 when its database is empty).

GH_DB=pg runs every server the suite starts on a PostgreSQL database of its
own (ghtest.ServerProcess); the tests marked sqlite_only, whose subject is
the SQLite file itself, are skipped then.

The very first thing the session does is register a user, so that on a
fresh server "the first user ever registered becomes admin" is checked and
the admin tests have an admin.
"""

import os

import pytest

import ghtest
from ghtest import (IS_EXTERNAL, IS_PG, IS_SEED, BASE_URL, Client,
                    ServerProcess, User, login, register, unique_name,
                    unique_email)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gatehouse: expectation of gatehouse beyond the seed app "
        "(deselected when GH_TARGET=seed)")
    config.addinivalue_line(
        "markers", "slow: takes seconds (timeouts, many connections)")
    config.addinivalue_line(
        "markers", "sqlite_only(why): reads or writes the SQLite file, or "
        "tests a SQLite setting (skipped when GH_DB=pg)")


def pytest_collection_modifyitems(config, items):
    if IS_PG:
        for item in items:
            m = item.get_closest_marker("sqlite_only")
            if m is not None:
                why = m.args[0] if m.args else "tests the SQLite backend"
                item.add_marker(pytest.mark.skip(
                    reason="GH_DB=pg: sqlite_only: " + why))
    if not IS_SEED:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("gatehouse") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class Target:
    """The server under test as the fixtures see it."""

    def __init__(self, url, secret_key, fresh, request_timeout, process=None):
        self.url = url
        self.secret_key = secret_key
        self.fresh = fresh
        self.request_timeout = request_timeout
        self.process = process

    @property
    def host_port(self):
        hp = self.url.split("://", 1)[1].split("/", 1)[0]
        host, _, port = hp.rpartition(":")
        return host, int(port)


@pytest.fixture(scope="session")
def server():
    if IS_EXTERNAL:
        yield Target(
            BASE_URL, os.environ.get("GH_SECRET_KEY") or None,
            os.environ.get("GH_FRESH", "") == "1",
            float(os.environ.get("GH_REQUEST_TIMEOUT_SECONDS", "30")))
        return
    proc = ServerProcess(request_timeout=3, name="gatehouse",
                         env=ghtest.SESSION_SERVER_ENV)
    try:
        proc.start()
    except RuntimeError as e:
        pytest.exit(f"cannot start the server under test: {e}", returncode=1)
    yield Target(proc.url, proc.secret_key, True, 3, proc)
    proc.stop()
    problems = proc.problems()
    if problems:
        pytest.fail("; ".join(problems) + "\n--- server stderr ---\n"
                    + proc.log(), pytrace=False)
    proc.cleanup_files()


class FirstUser:
    def __init__(self, fresh, response=None, user=None):
        self.fresh = fresh
        self.response = response     # requests.Response of the registration
        self.user = user             # User (logged in) when it is an admin


@pytest.fixture(scope="session", autouse=True)
def first_user(server):
    """Register the first user of the session before any test runs."""
    c = Client(server.url)
    try:
        if server.fresh:
            name = unique_name("admin")
            email = unique_email(name)
            r = register(c, name, email)
            fu = FirstUser(True, r)
            if r.status_code == 201 and r.json().get("is_admin") is True:
                u = User(name, email, ghtest.PASSWORD, r.json())
                u.token = login(c, name, ghtest.PASSWORD)
                fu.user = u
            yield fu
            return
        name = os.environ.get("GH_ADMIN_USERNAME")
        pw = os.environ.get("GH_ADMIN_PASSWORD")
        fu = FirstUser(False)
        if name and pw:
            u = User(name, None, pw)
            u.token = login(c, name, pw)
            me = c.get("/users/me", headers=u.headers)
            u.data = me.json()
            u.email = u.data.get("email")
            fu.user = u if u.is_admin else None
        yield fu
    finally:
        c.close()


@pytest.fixture
def admin(first_user):
    """A logged-in admin (the session's first user)."""
    if first_user.user is None:
        if first_user.fresh:
            pytest.fail("the first registered user did not become an admin: "
                        f"{first_user.response.status_code} "
                        f"{first_user.response.text}")
        pytest.skip("no admin: server not fresh and GH_ADMIN_USERNAME unset")
    return first_user.user


@pytest.fixture
def client(server):
    c = Client(server.url)
    yield c
    c.close()


def _session_user(server):
    c = Client(server.url)
    try:
        return ghtest.new_user(c)
    finally:
        c.close()


# Tests never change a user (Part 1 has no route for it), so two logged-in
# non-admin users are shared by the session: hashing is the slow part.
@pytest.fixture(scope="session")
def user(server, first_user):
    """A logged-in non-admin user (shared by the session)."""
    return _session_user(server)


@pytest.fixture(scope="session")
def other_user(server, first_user):
    """A second logged-in non-admin user (shared by the session)."""
    return _session_user(server)


@pytest.fixture
def secret_key(server):
    if not server.secret_key:
        pytest.skip("the server's SECRET_KEY is unknown (set GH_SECRET_KEY)")
    return server.secret_key


@pytest.fixture(autouse=True)
def _server_still_alive(request, server):
    """Attribute a crash of the server under test to the test that caused it."""
    yield
    p = server.process
    if p is not None and not p.alive():
        pytest.fail(f"the server under test died during this test "
                    f"(status {p.proc.returncode})\n--- server stderr ---\n"
                    f"{p.log()}", pytrace=False)


@pytest.fixture
def spawn_server():
    """Factory for private gatehouse instances (own data dir, own config).

    spawn_server(env={...}, data_dir=None, request_timeout=3, clock=False)
    -> started ServerProcess (clock=True: its wall clock moves only by
    sp.advance_clock(seconds)).  Each is stopped at the end of the test with SIGTERM; a
    non-zero exit or a sanitizer report fails the test.
    """
    started = []

    def spawn(env=None, data_dir=None, request_timeout=3, secret_key=None,
              name="private", clock=False):
        binary = ghtest.gatehouse_bin()
        if IS_EXTERNAL and not binary.exists():
            pytest.skip(f"no gatehouse binary at {binary} to start a private "
                        "instance")
        sp = ServerProcess(binary=binary, data_dir=data_dir, env=env,
                           request_timeout=request_timeout,
                           secret_key=secret_key, name=name, clock=clock)
        started.append(sp)
        try:
            sp.start()
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        return sp

    yield spawn
    problems = []
    for sp in started:
        sp.stop()
        pr = sp.problems()
        if pr:
            problems.append("; ".join(pr) + "\n--- stderr ---\n" + sp.log())
        else:
            sp.cleanup_files()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
