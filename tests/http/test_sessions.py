"""Sessions (issue 4): GET /users/me/sessions, DELETE /users/me/sessions/{id},
POST /auth/logout and POST /auth/revoke (RFC 7009)."""

import json

import pytest

from ghtest import (NOT_AUTH, assert_401, assert_422, assert_no_secret,
                    bearer, is_int, login_full, new_full_user, parse_ts,
                    refresh_json, sid_of)

pytestmark = pytest.mark.gatehouse

NO_SESSION = {"detail": "Session not found"}
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"


def ua(tag):
    return {"User-Agent": f"gatehouse-tests/{tag}"}


def sessions(client, token, headers=None):
    h = bearer(token)
    h.update(headers or {})
    r = client.get("/users/me/sessions", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, list)
    return body


def alive(client, token):
    return client.get("/users/me", headers=bearer(token)).status_code == 200


def assert_dead(client, pair):
    assert_401(client.get("/users/me", headers=bearer(pair["access_token"])))
    assert_401(refresh_json(client, pair["refresh_token"]))


def assert_alive(client, pair):
    assert alive(client, pair["access_token"])


# ---------------------------------------------------------------- listing

def test_list_sessions(client):
    import re
    u = new_full_user(client)
    a = login_full(client, u.username, u.password, headers=ua("A"))
    b = login_full(client, u.username, u.password, headers=ua("B"))
    listed = sessions(client, a["access_token"], headers=ua("A"))
    ids = [s["id"] for s in listed]
    assert ids == sorted(ids)
    sa, sb = sid_of(a["access_token"]), sid_of(b["access_token"])
    first = sid_of(u.token)
    assert ids == [first, sa, sb]
    by_id = {s["id"]: s for s in listed}
    for s in listed:
        assert set(s) >= {"id", "created_at", "last_used_at", "user_agent",
                          "ip", "current"}, s
        assert is_int(s["id"])
        assert re.fullmatch(TS_RE, s["created_at"]), s
        if s["last_used_at"] is not None:
            assert re.fullmatch(TS_RE, s["last_used_at"]), s
            assert parse_ts(s["last_used_at"]) >= parse_ts(s["created_at"])
        assert s["ip"] == "127.0.0.1"
        assert isinstance(s["current"], bool)
    assert by_id[sa]["current"] is True
    assert by_id[sb]["current"] is False and by_id[first]["current"] is False
    assert by_id[sa]["user_agent"] == "gatehouse-tests/A"
    assert by_id[sb]["user_agent"] == "gatehouse-tests/B"
    # seen from B, B is the current one
    fromb = {s["id"]: s["current"] for s in sessions(client, b["access_token"],
                                                     headers=ua("B"))}
    assert fromb == {first: False, sa: False, sb: True}
    # no token or hash in the listing
    text = json.dumps(listed)
    assert_no_secret(text, a["access_token"], a["refresh_token"],
                     b["access_token"], b["refresh_token"], u.password)


def test_sessions_are_per_user(client):
    u = new_full_user(client)
    v = new_full_user(client)
    mine = {s["id"] for s in sessions(client, u.token)}
    theirs = {s["id"] for s in sessions(client, v.token)}
    assert mine == {sid_of(u.token)} and theirs == {sid_of(v.token)}


def test_refresh_keeps_the_session(client):
    u = new_full_user(client)
    before = sessions(client, u.token)
    r = refresh_json(client, u.refresh_token)
    assert r.status_code == 200
    after = sessions(client, r.json()["access_token"])
    assert [s["id"] for s in after] == [s["id"] for s in before]
    assert after[0]["current"] is True
    assert after[0]["created_at"] == before[0]["created_at"]


def test_sessions_need_authentication(client):
    assert_401(client.get("/users/me/sessions"), NOT_AUTH)
    assert_401(client.delete("/users/me/sessions/1"), NOT_AUTH)
    assert_401(client.post("/auth/logout"), NOT_AUTH)


# ---------------------------------------------------------------- delete

def test_delete_other_session(client):
    u = new_full_user(client)
    a = login_full(client, u.username, u.password)
    b = login_full(client, u.username, u.password)
    r = client.delete(f"/users/me/sessions/{sid_of(b['access_token'])}",
                      headers=bearer(a["access_token"]))
    assert r.status_code == 204
    assert r.content == b""
    assert_dead(client, b)
    assert_alive(client, a)
    assert alive(client, u.token)
    ids = [s["id"] for s in sessions(client, a["access_token"])]
    assert sid_of(b["access_token"]) not in ids
    assert ids == [sid_of(u.token), sid_of(a["access_token"])]
    # deleting it again: it is gone
    r = client.delete(f"/users/me/sessions/{sid_of(b['access_token'])}",
                      headers=bearer(a["access_token"]))
    assert r.status_code == 404
    assert r.json() == NO_SESSION


def test_delete_current_session(client):
    u = new_full_user(client)
    a = login_full(client, u.username, u.password)
    r = client.delete(f"/users/me/sessions/{sid_of(a['access_token'])}",
                      headers=bearer(a["access_token"]))
    assert r.status_code == 204
    assert_dead(client, a)
    assert alive(client, u.token)


def test_delete_session_after_refresh_kills_new_tokens(client):
    u = new_full_user(client)
    r = refresh_json(client, u.refresh_token)
    newest = r.json()
    other = login_full(client, u.username, u.password)
    d = client.delete(f"/users/me/sessions/{sid_of(u.token)}",
                      headers=bearer(other["access_token"]))
    assert d.status_code == 204
    assert_dead(client, newest)
    assert_401(client.get("/users/me", headers=bearer(u.token)))


def test_delete_another_users_session_is_404(client):
    u = new_full_user(client)
    v = new_full_user(client)
    r = client.delete(f"/users/me/sessions/{sid_of(v.token)}",
                      headers=u.headers)
    assert r.status_code == 404
    assert r.json() == NO_SESSION
    assert alive(client, v.token)
    assert refresh_json(client, v.refresh_token).status_code == 200


@pytest.mark.parametrize("sid", ["999999999", "0", "-1",
                                 "99999999999999999999"])
def test_delete_unknown_session_is_404(client, sid):
    u = new_full_user(client)
    r = client.delete(f"/users/me/sessions/{sid}", headers=u.headers)
    assert r.status_code == 404
    assert r.json() == NO_SESSION
    assert alive(client, u.token)


@pytest.mark.parametrize("sid", ["abc", "1.5", "1e3"])
def test_delete_session_non_integer_id_is_422(client, sid):
    u = new_full_user(client)
    r = client.delete(f"/users/me/sessions/{sid}", headers=u.headers)
    assert_422(r)
    assert r.json()["detail"][0]["loc"][0] == "path"


# ---------------------------------------------------------------- logout

def test_logout(client):
    u = new_full_user(client)
    a = login_full(client, u.username, u.password)
    r = client.post("/auth/logout", headers=bearer(a["access_token"]))
    assert r.status_code == 204
    assert r.content == b""
    assert_dead(client, a)
    # other sessions of the same user keep working
    assert alive(client, u.token)
    assert refresh_json(client, u.refresh_token).status_code == 200
    # logging out again with the dead token
    assert_401(client.post("/auth/logout", headers=bearer(a["access_token"])))


def test_logout_after_refresh_ends_the_family(client):
    u = new_full_user(client)
    r = refresh_json(client, u.refresh_token)
    newest = r.json()
    assert client.post("/auth/logout", headers=bearer(
        newest["access_token"])).status_code == 204
    assert_dead(client, newest)
    assert_401(client.get("/users/me", headers=bearer(u.token)))


def test_logout_with_bad_token_is_401(client):
    assert_401(client.post("/auth/logout", headers=bearer("garbage")))


# ---------------------------------------------------------------- revoke

@pytest.mark.parametrize("which, hint", [
    ("access_token", None), ("refresh_token", None),
    ("access_token", "access_token"), ("refresh_token", "refresh_token"),
    # a wrong hint: the server searches the other types too (RFC 7009 2.1)
    ("access_token", "refresh_token"), ("refresh_token", "access_token"),
    ("refresh_token", "something_else")])
def test_revoke_ends_the_session(client, which, hint):
    u = new_full_user(client)
    a = login_full(client, u.username, u.password)
    form = {"token": a[which]}
    if hint:
        form["token_type_hint"] = hint
    r = client.post("/auth/revoke", data=form)     # no Authorization needed
    assert r.status_code == 200, r.text
    assert_dead(client, a)
    assert alive(client, u.token)
    assert sid_of(a["access_token"]) not in \
        [s["id"] for s in sessions(client, u.token)]


def test_revoke_after_refresh_with_newest_token(client):
    u = new_full_user(client)
    newest = refresh_json(client, u.refresh_token).json()
    r = client.post("/auth/revoke", data={"token": newest["refresh_token"]})
    assert r.status_code == 200
    assert_dead(client, newest)
    assert_401(client.get("/users/me", headers=bearer(u.token)))


@pytest.mark.parametrize("token", [
    "garbage", "x" * 43, "a.b.c",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_revoke_unknown_token_is_200(client, token):
    r = client.post("/auth/revoke", data={"token": token})
    assert r.status_code == 200, r.text
    r = client.post("/auth/revoke", data={"token": token,
                                          "token_type_hint": "refresh_token"})
    assert r.status_code == 200, r.text


def test_revoke_twice_is_200(client):
    u = new_full_user(client)
    for _ in range(2):
        r = client.post("/auth/revoke", data={"token": u.refresh_token})
        assert r.status_code == 200
    assert_401(client.get("/users/me", headers=u.headers))


def test_revoke_spent_refresh_token(client):
    """Revoking with a spent refresh token still ends (at least does not
    resurrect) the session."""
    u = new_full_user(client)
    newest = refresh_json(client, u.refresh_token).json()
    r = client.post("/auth/revoke", data={"token": u.refresh_token})
    assert r.status_code == 200
    assert_dead(client, newest)


def test_revoke_missing_token_is_422(client):
    assert_422(client.post("/auth/revoke", data={}), ("body", "token"))
    assert_422(client.post("/auth/revoke",
                           data={"token_type_hint": "refresh_token"}),
               ("body", "token"))
    assert_422(client.post("/auth/revoke"), ("body", "token"))


def test_session_ip_behind_trusted_proxy(spawn_server):
    from ghtest import private_client
    sp = spawn_server(env={"TRUSTED_PROXIES": "127.0.0.1"})
    c = private_client(sp)
    try:
        u = new_full_user(c, headers={"X-Forwarded-For": "10.4.4.4"})
        listed = sessions(c, u.token)
        assert [s["ip"] for s in listed] == ["10.4.4.4"]
    finally:
        c.close()


def test_session_ip_ignores_forwarded_for_from_untrusted_peer(client):
    u = new_full_user(client, headers={"X-Forwarded-For": "10.4.4.4"})
    assert [s["ip"] for s in sessions(client, u.token)] == ["127.0.0.1"]
