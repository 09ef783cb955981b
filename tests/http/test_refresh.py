"""Refresh tokens (issue 4): the login response, rotation through
POST /auth/refresh and the OAuth2 refresh grant, reuse detection revoking the
whole session, the grace window, and the token types kept apart."""

import threading

import pytest

from ghtest import (Client, assert_401, assert_422, assert_oauth_error,
                    assert_refresh_refused, bearer,
                    check_token_response, login_full, login_response,
                    new_full_user, private_client, refresh_form, refresh_json,
                    sid_of, token_claims)

pytestmark = pytest.mark.gatehouse


def me_status(client, token):
    return client.get("/users/me", headers=bearer(token)).status_code


# ---------------------------------------------------------------- login

@pytest.mark.parametrize("path", ["/auth/token", "/auth/login"])
def test_login_returns_access_and_refresh_token(client, path):
    u = new_full_user(client)
    body = login_full(client, u.username, u.password, path=path)
    assert set(body) >= {"access_token", "token_type", "expires_in",
                         "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    c = token_claims(body["access_token"])
    assert c["sid"] > 0
    assert c["exp"] - c["iat"] == body["expires_in"]
    # an opaque 256-bit random string, not a JWT
    rt = body["refresh_token"]
    assert len(rt) >= 43 and rt.count(".") < 2, rt
    assert me_status(client, body["access_token"]) == 200


def test_each_login_is_a_new_session(client):
    u = new_full_user(client)
    b1 = login_full(client, u.username, u.password)
    b2 = login_full(client, u.username, u.password)
    assert sid_of(b1["access_token"]) != sid_of(b2["access_token"])
    assert b1["refresh_token"] != b2["refresh_token"]


# ---------------------------------------------------------------- rotation

@pytest.mark.parametrize("how", ["json", "form"])
def test_refresh_rotates(client, how):
    u = new_full_user(client)
    do = refresh_json if how == "json" else refresh_form
    r = do(client, u.refresh_token)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    check_token_response(body)
    assert body["refresh_token"] != u.refresh_token
    assert body["access_token"] != u.token
    # same session, same user
    assert sid_of(body["access_token"]) == sid_of(u.token)
    c = token_claims(body["access_token"])
    assert c["sub"] == u.username and c["uid"] == u.id
    me = client.get("/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == u.id
    # the new refresh token works in turn, by either route
    other = refresh_form if how == "json" else refresh_json
    r2 = other(client, body["refresh_token"])
    assert r2.status_code == 200, r2.text
    check_token_response(r2.json())
    assert sid_of(r2.json()["access_token"]) == sid_of(u.token)


def test_refresh_chain(client):
    u = new_full_user(client)
    rt, seen = u.refresh_token, {u.refresh_token}
    for _ in range(5):
        r = refresh_json(client, rt)
        assert r.status_code == 200, r.text
        rt = r.json()["refresh_token"]
        assert rt not in seen
        seen.add(rt)
        assert me_status(client, r.json()["access_token"]) == 200


def test_refresh_form_ignores_missing_username_and_password(client):
    u = new_full_user(client)
    r = client.post("/auth/token", data={"grant_type": "refresh_token",
                                         "refresh_token": u.refresh_token,
                                         "scope": "", "client_id": "cli"})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("how", ["json", "form"])
@pytest.mark.parametrize("bad", [
    "garbage", "x" * 43, "A" * 64, "not-a-token.at.all",
    "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"])
def test_bad_refresh_token_is_401(client, how, bad):
    do = refresh_json if how == "json" else refresh_form
    assert_refresh_refused(do(client, bad))


def test_unknown_but_well_formed_refresh_token_is_401(client):
    u = new_full_user(client)
    rt = u.refresh_token
    # same length and alphabet, last character changed
    forged = rt[:-1] + ("A" if rt[-1] != "A" else "B")
    assert_401(refresh_json(client, forged))
    assert_refresh_refused(refresh_form(client, forged))
    # the real one was not spent nor revoked by the attempts
    assert refresh_json(client, rt).status_code == 200


def test_refresh_missing_field_is_422(client):
    assert_422(client.post("/auth/refresh", json={}), ("body", "refresh_token"))
    assert_422(client.post("/auth/refresh", json={"token": "x"}),
               ("body", "refresh_token"))
    # the token endpoint answers as RFC 6749 section 5.2 says
    assert_oauth_error(client.post("/auth/token",
                                   data={"grant_type": "refresh_token"}),
                       "invalid_request")
    assert_oauth_error(client.post("/auth/token",
                                   data={"grant_type": "refresh_token",
                                         "refresh_token": ""}),
                       "invalid_request")


def test_refresh_without_body_is_422(client):
    assert_422(client.post("/auth/refresh"))


def test_refresh_malformed_json_is_422(client):
    r = client.post_json_bytes("/auth/refresh", b'{"refresh_token": ')
    assert_422(r)


def test_access_token_is_not_a_refresh_token(client):
    u = new_full_user(client)
    assert_401(refresh_json(client, u.token))
    assert_refresh_refused(refresh_form(client, u.token))
    # nothing was revoked by the attempt
    assert me_status(client, u.token) == 200
    assert refresh_json(client, u.refresh_token).status_code == 200


def test_refresh_token_is_not_a_bearer_token(client):
    u = new_full_user(client)
    r = client.get("/users/me", headers=bearer(u.refresh_token))
    assert_401(r)
    assert "invalid_token" in r.headers["www-authenticate"]
    r = client.post("/posts", headers=bearer(u.refresh_token),
                    json={"title": "t", "content": "c"})
    assert_401(r)
    assert refresh_json(client, u.refresh_token).status_code == 200


def test_password_grant_still_works_next_to_refresh_grant(client):
    u = new_full_user(client)
    r = login_response(client, u.username, u.password, grant_type="password")
    assert r.status_code == 200
    check_token_response(r.json())


def test_failed_login_leaves_sessions_alone(client):
    """A failed login does not touch existing sessions."""
    u = new_full_user(client)
    assert login_response(client, u.username, "wrong password").status_code == 401
    assert me_status(client, u.token) == 200
    assert refresh_json(client, u.refresh_token).status_code == 200


# ---------------------------------------------------------------- reuse

@pytest.mark.parametrize("reuse_how", ["json", "form"])
def test_reuse_of_spent_token_revokes_the_session(client, reuse_how):
    u = new_full_user(client)
    other_session = login_full(client, u.username, u.password)
    spent = u.refresh_token
    r = refresh_json(client, spent)
    assert r.status_code == 200
    newest = r.json()
    assert me_status(client, newest["access_token"]) == 200

    do = refresh_json if reuse_how == "json" else refresh_form
    assert_refresh_refused(do(client, spent))

    # the whole family dies at once: the access tokens of that session ...
    assert_401(client.get("/users/me", headers=bearer(newest["access_token"])))
    assert_401(client.get("/users/me", headers=bearer(u.token)))
    # ... and its newest refresh token
    assert_401(refresh_json(client, newest["refresh_token"]))
    # presenting the spent one again changes nothing
    assert_401(refresh_json(client, spent))
    # another session of the same user is untouched
    assert me_status(client, other_session["access_token"]) == 200
    assert refresh_json(client, other_session["refresh_token"]).status_code == 200
    # and the user can log in again
    login_full(client, u.username, u.password)


def test_reuse_of_older_ancestor_revokes_the_session(client):
    u = new_full_user(client)
    first = u.refresh_token
    r1 = refresh_json(client, first)
    r2 = refresh_json(client, r1.json()["refresh_token"])
    assert r2.status_code == 200
    newest = r2.json()
    assert_401(refresh_json(client, first))
    assert_401(client.get("/users/me", headers=bearer(newest["access_token"])))
    assert_401(refresh_json(client, newest["refresh_token"]))


def test_concurrent_refresh_of_one_token_succeeds_once(server):
    c = Client(server.url)
    try:
        u = new_full_user(c)
    finally:
        c.close()
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(8)

    def worker():
        cl = Client(server.url)
        try:
            barrier.wait()
            r = refresh_json(cl, u.refresh_token)
            with lock:
                results.append(r.status_code)
        finally:
            cl.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [200] + [401] * 7, results


# ---------------------------------------------------------------- grace

def test_grace_window_allows_a_retry(spawn_server):
    sp = spawn_server(env={"REFRESH_REUSE_GRACE_SECONDS": "30"})
    c = private_client(sp)
    try:
        new_full_user(c)                         # the admin, unused
        u = new_full_user(c)
        spent = u.refresh_token
        r1 = refresh_json(c, spent)
        assert r1.status_code == 200, r1.text
        r2 = refresh_json(c, spent)              # the client's retry
        assert r2.status_code == 200, r2.text
        check_token_response(r2.json())
        p1, p2 = r1.json(), r2.json()
        assert sid_of(p2["access_token"]) == sid_of(u.token)
        # nothing is revoked
        for p in (p1, p2):
            assert me_status(c, p["access_token"]) == 200
        assert me_status(c, u.token) == 200
        r3 = refresh_form(c, p2["refresh_token"])
        assert r3.status_code == 200, r3.text
        assert me_status(c, r3.json()["access_token"]) == 200
        assert me_status(c, p1["access_token"]) == 200
    finally:
        c.close()


def test_reuse_after_grace_window_revokes(spawn_server):
    sp = spawn_server(env={"REFRESH_REUSE_GRACE_SECONDS": "1"}, clock=True)
    c = private_client(sp)
    try:
        new_full_user(c)
        u = new_full_user(c)
        spent = u.refresh_token
        r1 = refresh_json(c, spent)
        assert r1.status_code == 200
        newest = r1.json()
        sp.advance_clock(2)              # past the 1 s window
        assert_401(refresh_json(c, spent))
        assert_401(c.get("/users/me", headers=bearer(newest["access_token"])))
        assert_401(refresh_json(c, newest["refresh_token"]))
    finally:
        c.close()


def test_default_grace_is_zero(client):
    u = new_full_user(client)
    spent = u.refresh_token
    assert refresh_json(client, spent).status_code == 200
    assert_401(refresh_json(client, spent))       # at once, no grace



def test_session_has_an_absolute_lifetime(spawn_server):
    """SESSION_MAX_DAYS after its login a session ends, however often it
    was refreshed (every rotation used to push its end forward)."""
    sp = spawn_server(env={"SESSION_MAX_DAYS": "2",
                           "REFRESH_TOKEN_EXPIRE_DAYS": "7"}, clock=True)
    c = private_client(sp)
    try:
        u = new_full_user(c)
        token = u.refresh_token
        for _ in range(3):               # a refresh every 15 hours
            sp.advance_clock(15 * 3600)
            r = refresh_json(c, token)
            assert r.status_code == 200, r.text
            token = r.json()["refresh_token"]
        sp.advance_clock(3 * 3600 + 1)   # 48 h and a second after login
        assert_refresh_refused(refresh_json(c, token))
        # a new login starts a new session
        assert login_full(c, u.username, u.password)["refresh_token"]
    finally:
        c.close()
