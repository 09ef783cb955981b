"""Brute-force protection (issue 4): failed logins counted per username and
per client address, 429 with Retry-After, reset by a success or the window,
X-Forwarded-For only from TRUSTED_PROXIES.  Every test runs a private server
with small limits (the session's server has loose ones)."""

import pytest

from ghtest import (PASSWORD, SLOW, WRONG_LOGIN, assert_401,
                    login_response, new_full_user, new_user, private_client,
                    register, unique_email, unique_name)

pytestmark = pytest.mark.gatehouse


def attempt(c, name, password, xff=None, path="/auth/token"):
    headers = {"X-Forwarded-For": xff} if xff else {}
    return c.post(path, data={"username": name, "password": password},
                  headers=headers)


def assert_wrong(r):
    assert_401(r, WRONG_LOGIN)


def assert_429(r):
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail, r.text
    ra = r.headers.get("retry-after")
    assert ra is not None, "429 without Retry-After"
    assert ra.strip().isdigit(), ra
    assert int(ra) >= 1, ra
    return int(ra)


def fail_times(c, username, n, **kw):
    """n logins of username with a wrong password, each answered 401."""
    for _ in range(n):
        assert_wrong(attempt(c, username, "wrong password", **kw))


def server(spawn_server, clock=False, **env):
    sp = spawn_server(env={k: str(v) for k, v in env.items()}, clock=clock)
    c = private_client(sp)
    new_user(c, login_too=False)                     # the admin
    return sp, c


# ---------------------------------------------------------------- per username

def test_username_lockout(spawn_server):
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        u = new_full_user(c)
        bystander = new_user(c, login_too=False)
        fail_times(c, u.username, 3)
        # refused before the password is checked: the right one too
        assert_429(attempt(c, u.username, u.password))
        assert_429(attempt(c, u.username, "wrong password"))
        assert_429(attempt(c, u.username, u.password, path="/auth/login"))
        # only that username
        assert login_response(c, bystander.username,
                              bystander.password).status_code == 200
        # existing sessions are not touched
        assert c.get("/users/me", headers=u.headers).status_code == 200
    finally:
        c.close()


def test_unknown_username_is_throttled_alike(spawn_server):
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        ghost = unique_name("ghost")
        for name in (u.username, ghost):
            fail_times(c, name, 3)
        known = attempt(c, u.username, "wrong password")
        unknown = attempt(c, ghost, "wrong password")
        assert_429(known)
        assert_429(unknown)
        # 429 reveals nothing: same body for both
        assert known.json() == unknown.json()
    finally:
        c.close()


def test_default_limit_is_five(spawn_server):
    sp = spawn_server()
    c = private_client(sp)
    try:
        new_user(c, login_too=False)
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 5)
        assert_429(attempt(c, u.username, u.password))
    finally:
        c.close()


def test_success_restarts_the_count(spawn_server):
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 2)
        assert attempt(c, u.username, u.password).status_code == 200
        fail_times(c, u.username, 3)
        assert_429(attempt(c, u.username, u.password))
    finally:
        c.close()


# The tests below move the server's clock (sp.advance_clock): the delay
# and the window pass at once, and nothing depends on the second a request
# falls in.

def test_lock_lifts_when_retry_after_has_passed(spawn_server):
    """Once the delay is over, the next attempt is checked: the right
    password logs in although the window (900 s) is far from over."""
    sp, c = server(spawn_server, clock=True, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 3)
        ra = assert_429(attempt(c, u.username, u.password))
        assert ra == 5, ra               # window / 180
        sp.advance_clock(ra - 2)         # not yet: still refused
        assert_429(attempt(c, u.username, u.password))
        sp.advance_clock(2)
        r = attempt(c, u.username, u.password)
        assert r.status_code == 200, (r.status_code, r.text)
        # the success cleared the count: three more wrong ones are checked
        fail_times(c, u.username, 3)
        assert_429(attempt(c, u.username, u.password))
    finally:
        c.close()


def test_lock_after_the_delay_doubles_on_another_failure(spawn_server):
    """A wrong password after the delay is checked (401) and counted, and
    the next delay is twice as long."""
    sp, c = server(spawn_server, clock=True, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 3)
        ra = assert_429(attempt(c, u.username, u.password))
        sp.advance_clock(ra)
        assert_wrong(attempt(c, u.username, "wrong password"))
        assert assert_429(attempt(c, u.username, u.password)) == 2 * ra
    finally:
        c.close()


def test_early_retries_do_not_push_the_lock_out(spawn_server):
    """An attempt refused with 429 is not counted: retrying every second
    does not move the moment the lock lifts."""
    sp, c = server(spawn_server, clock=True, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 3)
        ra = assert_429(attempt(c, u.username, "wrong password"))
        for left in range(ra - 1, 0, -1):
            sp.advance_clock(1)
            assert assert_429(attempt(c, u.username, "guess")) == left
        sp.advance_clock(1)
        assert login_response(c, u.username, u.password).status_code == 200
    finally:
        c.close()


def test_lock_never_outlasts_the_window(spawn_server):
    """However many failures, the lock ends with the window that began
    with the first one, and the count starts over."""
    sp, c = server(spawn_server, clock=True, LOGIN_MAX_FAILURES=3,
                   LOGIN_WINDOW_SECONDS=60)     # delays 1, 2, 4 ... s
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 3)
        for _ in range(5):               # delays 1, 2, 4, 8, 16 s
            sp.advance_clock(assert_429(attempt(c, u.username, "x")))
            assert_wrong(attempt(c, u.username, "wrong password"))
        ra = assert_429(attempt(c, u.username, u.password))
        assert ra <= 60 - 31, ra         # capped by the window's end
        sp.advance_clock(ra)
        assert login_response(c, u.username, u.password).status_code == 200
    finally:
        c.close()


def test_failures_age_out_of_the_window(spawn_server):
    """Failures older than the window no longer count."""
    sp, c = server(spawn_server, clock=True, LOGIN_MAX_FAILURES=3)
    try:
        u = new_user(c, login_too=False)
        fail_times(c, u.username, 2)
        sp.advance_clock(901)            # the 900 s window is over
        fail_times(c, u.username, 3)
        assert_429(attempt(c, u.username, u.password))
    finally:
        c.close()


# ---------------------------------------------------------------- per address

def test_address_limit(spawn_server):
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=100,
                   LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    try:
        users = [new_user(c, login_too=False) for _ in range(4)]
        for u in users[:3]:
            assert_wrong(attempt(c, u.username, "wrong password"))
        assert_429(attempt(c, users[3].username, users[3].password))
        assert_429(attempt(c, unique_name("ghost"), "x"))
    finally:
        c.close()


def test_trusted_proxy_forwarded_for_decides_the_address(spawn_server):
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=100,
                   LOGIN_MAX_FAILURES_PER_ADDRESS=3,
                   TRUSTED_PROXIES="127.0.0.1")
    try:
        u = new_user(c, login_too=False)
        for _ in range(3):
            assert_wrong(attempt(c, unique_name("g"), "x", xff="10.0.0.1"))
        assert_429(attempt(c, u.username, u.password, xff="10.0.0.1"))
        # another client behind the same proxy is not throttled
        assert attempt(c, u.username, u.password,
                       xff="10.0.0.2").status_code == 200
        assert_wrong(attempt(c, unique_name("g"), "x", xff="10.0.0.2"))
        # nor the proxy's own address
        assert attempt(c, u.username, u.password).status_code == 200
    finally:
        c.close()


@pytest.mark.parametrize("trusted", [None, "10.9.9.9"])
def test_forwarded_for_is_ignored_from_untrusted_peers(spawn_server, trusted):
    env = {"LOGIN_MAX_FAILURES": 100, "LOGIN_MAX_FAILURES_PER_ADDRESS": 3}
    if trusted:
        env["TRUSTED_PROXIES"] = trusted
    sp, c = server(spawn_server, **env)
    try:
        u = new_user(c, login_too=False)
        for i in range(3):
            assert_wrong(attempt(c, unique_name("g"), "x", xff=f"10.0.0.{i + 3}"))
        # the peer (127.0.0.1) is what counted
        assert_429(attempt(c, u.username, u.password, xff="10.0.0.2"))
        assert_429(attempt(c, u.username, u.password))
    finally:
        c.close()



# ------------------------------------------------------------ concurrency

def test_concurrent_guesses_cannot_exceed_the_limit(spawn_server):
    # Every attempt is counted before its password is checked: guesses
    # sent at the same moment do not all slip under the limit while
    # their hashes are computed (security review finding).
    import threading
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        u = new_full_user(c)
        codes = []
        lock = threading.Lock()

        def guess():
            r = attempt(private_client(sp), u.username, "wrong password")
            with lock:
                codes.append(r.status_code)

        threads = [threading.Thread(target=guess) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60 * SLOW)
        assert len(codes) == 24
        assert codes.count(401) <= 3, sorted(codes)
        assert set(codes) <= {401, 429}, sorted(codes)
    finally:
        sp.stop()


def test_repeated_forwarded_for_headers_are_joined(spawn_server):
    # A proxy that appends its own X-Forwarded-For line must not let the
    # client's line decide the address: repeated fields are one list
    # (RFC 9110 5.3), read from the right.
    import socket
    sp, c = server(spawn_server, TRUSTED_PROXIES="127.0.0.1",
                   LOGIN_MAX_FAILURES=1000,
                   LOGIN_MAX_FAILURES_PER_ADDRESS=2)
    try:
        from urllib.parse import urlsplit
        parts = urlsplit(sp.url)
        host, port = parts.hostname, parts.port

        def raw(client_claim):
            body = b"username=nobody&password=wrong+password"
            req = (b"POST /auth/token HTTP/1.1\r\nHost: x\r\n"
                   b"X-Forwarded-For: " + client_claim + b"\r\n"
                   b"X-Forwarded-For: 10.9.9.9\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                   b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                   % len(body) + body)
            with socket.create_connection((host, port), timeout=30) as s:
                s.sendall(req)
                return int(s.recv(64).split(b" ")[1])

        # three different client claims: all from 10.9.9.9, so the third
        # attempt from that address is over the limit of 2
        codes = [raw(b"1.1.1.%d" % i) for i in range(3)]
        assert codes[:2] == [401, 401], codes
        assert codes[2] == 429, codes
    finally:
        sp.stop()


# ---------------------------------------------------------- password change

def test_password_change_guesses_are_throttled(spawn_server):
    """Wrong current passwords count as failed logins of the caller's
    username: after the limit, the change is refused with 429 (the right
    password too), and so is a login, until the delay passes."""
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        u = new_full_user(c)
        for i in range(3):
            r = c.post("/users/me/password", headers=u.headers,
                       json={"current_password": f"wrong guess {i}",
                             "new_password": "Another-passw0rd!"})
            assert r.status_code == 400, (i, r.text)
            assert r.json() == {"detail": "Incorrect password"}
        r = c.post("/users/me/password", headers=u.headers,
                   json={"current_password": u.password,
                         "new_password": "Another-passw0rd!"})
        assert_429(r)
        assert_429(attempt(c, u.username, u.password))
        # nothing changed: the old password is still the password
        assert c.get("/users/me", headers=u.headers).status_code == 200
    finally:
        c.close()


# ------------------------------------------------------------ login lengths

def test_login_names_longer_than_any_account_are_422(spawn_server):
    """A username or password no account can have is refused before it is
    counted, stored or audited: nobody fills the database through the
    login form (a 900 KB name once grew it by 110 MB in 40 requests)."""
    sp, c = server(spawn_server, LOGIN_MAX_FAILURES=3)
    try:
        for name in ("n" * 51, "n" * 900_000):
            r = attempt(c, name, "wrong password")
            assert r.status_code == 422, r.text[:200]
            d = r.json()["detail"][0]
            assert d["loc"] == ["body", "username"], d
            assert d["msg"] == "ensure this value has at most 50 characters"
        r = attempt(c, "someone", "p" * 129)
        assert r.status_code == 422, r.text[:200]
        assert r.json()["detail"][0]["loc"] == ["body", "password"]
        # none of them counted: three wrong passwords for a 50-character
        # name are still three 401s before the lock
        name = "n" * 50
        fail_times(c, name, 3)
        assert_429(attempt(c, name, "wrong password"))
    finally:
        c.close()


# ---------------------------------------------------------------- registration

def test_registrations_are_throttled_per_address(spawn_server):
    """Every registration counts for its address, taken names too; past
    REGISTER_MAX_PER_ADDRESS in the window: 429 with Retry-After, before
    any password is hashed; another address is not affected; the window
    passes."""
    sp = spawn_server(env={"REGISTER_MAX_PER_ADDRESS": "3",
                           "REGISTER_WINDOW_SECONDS": "600",
                           "TRUSTED_PROXIES": "127.0.0.1"}, clock=True)
    c = private_client(sp)
    try:
        first = unique_name("reg")
        assert register(c, first).status_code == 201
        assert register(c, first).status_code == 409      # counted too
        assert register(c, unique_name("reg")).status_code == 201
        r = register(c, unique_name("reg"))
        assert r.status_code == 429, r.text
        assert r.json() == {"detail": "Too many registrations from this "
                                      "address; retry later"}
        assert r.headers["retry-after"] == "600"
        # another client behind the trusted proxy has its own count
        name = unique_name("reg")
        r = c.post("/auth/register", headers={"X-Forwarded-For": "192.0.2.44"},
                   json={"username": name, "email": unique_email(name),
                         "password": PASSWORD})
        assert r.status_code == 201, r.text
        sp.advance_clock(599)
        assert register(c, unique_name("reg")).status_code == 429
        sp.advance_clock(1)
        assert register(c, unique_name("reg")).status_code == 201
    finally:
        c.close()


def test_registrations_cannot_take_the_room_logins_need(spawn_server):
    """A flood of registrations fills at most three quarters of the hashing
    queue: they get 503 past that, logins still get in."""
    import threading
    sp = spawn_server(env={"HASH_WORKERS": "1", "HASH_QUEUE_MAX": "4",
                           "REGISTER_MAX_PER_ADDRESS": "1000"})
    c = private_client(sp)
    try:
        u = new_user(c, login_too=False)
        codes, logins = [], []
        lock = threading.Lock()
        go = threading.Event()

        def flood():
            import requests                  # 503 expected: no 5xx guard
            with requests.Session() as s:
                go.wait()
                for _ in range(4):
                    name = unique_name("flood")
                    r = s.post(sp.url + "/auth/register", timeout=60 * SLOW,
                               json={"username": name,
                                     "email": unique_email(name),
                                     "password": PASSWORD})
                    with lock:
                        codes.append(r.status_code)

        threads = [threading.Thread(target=flood) for _ in range(16)]
        for t in threads:
            t.start()
        go.set()
        while any(t.is_alive() for t in threads) and len(logins) < 8:
            logins.append(login_response(c, u.username, u.password)
                          .status_code)
        for t in threads:
            t.join(timeout=120 * SLOW)
        assert set(logins) == {200}, logins
        assert 503 in codes, sorted(codes)           # the queue was full
        assert set(codes) <= {201, 503}, sorted(codes)
    finally:
        c.close()
