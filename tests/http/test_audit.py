"""Audit log (issue 4): GET /admin/audit, one entry per event with who,
where and the outcome, newest first, paging and filters, never a secret."""

import json
import re

import pytest

from ghtest import (NO_PERMISSION, NOT_AUTH, PASSWORD, assert_401,
                    assert_422, assert_no_secret, bearer, is_int, login_full,
                    login_response, make_api_key, new_full_user, new_user,
                    private_client, refresh_json, sid_of, unique_name)

pytestmark = pytest.mark.gatehouse

TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
FIELDS = {"id", "at", "event", "user_id", "username", "ip", "outcome",
          "target_user_id", "detail"}
EVENTS = ("login.success", "login.failure", "login.throttled",
          "token.refresh", "token.reuse_detected", "token.revoke", "logout",
          "session.revoke", "password.change", "user.update", "user.delete",
          "apikey.create", "apikey.revoke", "register.throttled")


def audit(client, admin, **params):
    params.setdefault("limit", 100)
    r = client.get("/admin/audit", headers=admin.headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    entries = r.json()
    assert isinstance(entries, list)
    for e in entries:
        check_entry(e)
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True), "not newest first"
    assert len(set(ids)) == len(ids)
    return entries


def check_entry(e):
    assert set(e) >= FIELDS, e
    assert is_int(e["id"]) and e["id"] > 0
    assert re.fullmatch(TS_RE, e["at"]), e
    assert e["event"] in EVENTS, e
    assert e["user_id"] is None or is_int(e["user_id"]), e
    assert e["target_user_id"] is None or is_int(e["target_user_id"]), e
    assert e["username"] is None or isinstance(e["username"], str), e
    assert e["ip"] is None or isinstance(e["ip"], str), e
    assert e["outcome"] in ("success", "failure"), e


def one(client, admin, event, outcome=None, ip="127.0.0.1", **match):
    """The newest entry of `event` whose fields equal `match`."""
    params = {"event": event}
    if "user_id" in match and match["user_id"] is not None:
        params["user_id"] = match["user_id"]
    entries = audit(client, admin, **params)
    hits = [e for e in entries
            if all(e.get(k) == v for k, v in match.items())]
    assert hits, f"no {event} entry with {match}; got {entries[:5]}"
    e = hits[0]
    assert e["event"] == event
    if outcome:
        assert e["outcome"] == outcome, e
    if ip:
        assert e["ip"] == ip, e
    return e


# ---------------------------------------------------------------- access

def test_audit_needs_admin(client):
    u = new_full_user(client)
    r = client.get("/admin/audit", headers=u.headers)
    assert r.status_code == 403
    assert r.json() == NO_PERMISSION
    assert_401(client.get("/admin/audit"), NOT_AUTH)
    key = make_api_key(client, u)["key"]
    assert client.get("/admin/audit",
                      headers={"X-API-Key": key}).status_code == 403


# ---------------------------------------------------------------- events

def test_login_success(client, admin):
    u = new_full_user(client)
    e = one(client, admin, "login.success", "success",
            user_id=u.id, username=u.username)
    assert e["target_user_id"] in (None, u.id)


def test_login_failure_known_user(client, admin):
    u = new_user(client, login_too=False)
    assert login_response(client, u.username, "wrong password").status_code == 401
    one(client, admin, "login.failure", "failure",
        user_id=u.id, username=u.username)


def test_login_failure_unknown_user(client, admin):
    ghost = unique_name("ghost")
    assert login_response(client, ghost, "wrong password").status_code == 401
    e = one(client, admin, "login.failure", "failure", username=ghost)
    assert e["user_id"] is None


def test_token_refresh(client, admin):
    u = new_full_user(client)
    assert refresh_json(client, u.refresh_token).status_code == 200
    one(client, admin, "token.refresh", "success", user_id=u.id)


def test_token_reuse_detected(client, admin):
    u = new_full_user(client)
    assert refresh_json(client, u.refresh_token).status_code == 200
    assert refresh_json(client, u.refresh_token).status_code == 401
    one(client, admin, "token.reuse_detected", "failure", user_id=u.id)


@pytest.mark.parametrize("which", ["access", "refresh"])
def test_token_revoke(client, admin, which):
    u = new_full_user(client)
    tok = u.token if which == "access" else u.refresh_token
    assert client.post("/auth/revoke", data={"token": tok}).status_code == 200
    entries = audit(client, admin, event="token.revoke")
    hits = [e for e in entries if u.id in (e["user_id"], e["target_user_id"])]
    assert hits, entries[:5]
    assert hits[0]["outcome"] == "success"
    assert hits[0]["ip"] == "127.0.0.1"


def test_logout(client, admin):
    u = new_full_user(client)
    assert client.post("/auth/logout", headers=u.headers).status_code == 204
    one(client, admin, "logout", "success", user_id=u.id, username=u.username)


def test_session_revoke(client, admin):
    u = new_full_user(client)
    other = login_full(client, u.username, u.password)
    r = client.delete(f"/users/me/sessions/{sid_of(other['access_token'])}",
                      headers=u.headers)
    assert r.status_code == 204
    one(client, admin, "session.revoke", "success", user_id=u.id)


def test_password_change(client, admin):
    u = new_full_user(client)
    r = client.post("/users/me/password", headers=u.headers,
                    json={"current_password": u.password,
                          "new_password": "new password 77"})
    assert r.status_code == 204
    one(client, admin, "password.change", "success", user_id=u.id,
        username=u.username)


def test_user_update(client, admin):
    u = new_user(client, login_too=False)
    r = client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                     json={"role": "moderator"})
    assert r.status_code == 200
    e = one(client, admin, "user.update", "success", user_id=admin.id,
            target_user_id=u.id)
    assert e["username"] == admin.username


def test_user_delete(client, admin):
    u = new_user(client, login_too=False)
    assert client.delete(f"/users/{u.id}", headers=admin.headers).status_code == 204
    one(client, admin, "user.delete", "success", user_id=admin.id,
        target_user_id=u.id)


def test_apikey_create_and_revoke(client, admin):
    u = new_full_user(client)
    d = make_api_key(client, u)
    one(client, admin, "apikey.create", "success", user_id=u.id)
    assert client.delete(f"/api-keys/{d['id']}", headers=u.headers) \
        .status_code == 204
    one(client, admin, "apikey.revoke", "success", user_id=u.id)


def test_login_throttled_and_forwarded_address(spawn_server):
    sp = spawn_server(env={"LOGIN_MAX_FAILURES": "2",
                           "TRUSTED_PROXIES": "127.0.0.1"})
    c = private_client(sp)
    try:
        adm = new_full_user(c)
        u = new_user(c, login_too=False)
        xff = {"X-Forwarded-For": "10.1.2.3"}
        for _ in range(2):
            r = c.post("/auth/token", headers=xff,
                       data={"username": u.username, "password": "nope"})
            assert r.status_code == 401
        r = c.post("/auth/token", headers=xff,
                   data={"username": u.username, "password": u.password})
        assert r.status_code == 429
        e = one(c, adm, "login.throttled", "failure", ip="10.1.2.3",
                username=u.username)
        assert e["user_id"] in (None, u.id)
        one(c, adm, "login.failure", "failure", ip="10.1.2.3",
            username=u.username)
        # unknown usernames are throttled and recorded alike
        ghost = unique_name("ghost")
        for _ in range(3):
            c.post("/auth/token", data={"username": ghost, "password": "x"})
        e = one(c, adm, "login.throttled", "failure", username=ghost)
        assert e["user_id"] is None
    finally:
        c.close()


# ---------------------------------------------------------------- listing

def test_newest_first_and_before_id(client, admin):
    u = new_full_user(client)
    for _ in range(4):
        login_full(client, u.username, u.password)
    full = audit(client, admin, user_id=u.id)
    assert len(full) >= 5
    assert all(e["user_id"] == u.id for e in full)
    page1 = audit(client, admin, user_id=u.id, limit=2)
    assert page1 == full[:2]
    page2 = audit(client, admin, user_id=u.id, limit=2,
                  before_id=page1[-1]["id"])
    assert page2 == full[2:4]
    assert all(e["id"] < page1[-1]["id"] for e in page2)
    rest = audit(client, admin, user_id=u.id, before_id=page2[-1]["id"])
    assert rest == full[4:]
    assert audit(client, admin, user_id=u.id,
                 before_id=full[-1]["id"]) == []
    # before_id without filters pages the whole log
    top = audit(client, admin, limit=3)
    assert len(top) == 3
    older = audit(client, admin, limit=3, before_id=top[-1]["id"])
    assert all(e["id"] < top[-1]["id"] for e in older)


def test_newest_entry_is_last_action(client, admin):
    u = new_full_user(client)
    assert login_response(client, u.username, "wrong").status_code == 401
    newest = audit(client, admin, user_id=u.id, limit=1)
    assert len(newest) == 1
    assert newest[0]["event"] == "login.failure"


def test_filters(client, admin):
    u = new_full_user(client)
    assert refresh_json(client, u.refresh_token).status_code == 200
    for e in audit(client, admin, event="token.refresh"):
        assert e["event"] == "token.refresh"
    entries = audit(client, admin, user_id=u.id)
    assert {e["event"] for e in entries} >= {"login.success", "token.refresh"}
    assert all(e["user_id"] == u.id for e in entries)
    both = audit(client, admin, user_id=u.id, event="login.success")
    assert both and all(e["event"] == "login.success" and e["user_id"] == u.id
                        for e in both)
    assert audit(client, admin, user_id=999999999) == []
    assert audit(client, admin, event="no.such.event") == []


@pytest.mark.parametrize("query, name", [
    ("limit=abc", "limit"), ("before_id=x", "before_id"),
    ("user_id=x", "user_id"), ("limit=0", "limit"), ("limit=-5", "limit")])
def test_bad_query_is_422(client, admin, query, name):
    r = client.get("/admin/audit?" + query, headers=admin.headers)
    assert_422(r, ("query", name))


# ---------------------------------------------------------------- no secrets

def test_no_secret_in_any_entry(client, admin):
    guess = "my-wrong-guess-" + unique_name()
    u = new_full_user(client)
    secrets = [u.password, u.token, u.refresh_token, guess]
    assert login_response(client, u.username, guess).status_code == 401
    r = refresh_json(client, u.refresh_token)
    p = r.json()
    secrets += [p["access_token"], p["refresh_token"]]
    refresh_json(client, u.refresh_token)      # reuse: that session ends
    s2 = login_full(client, u.username, u.password)
    secrets += [s2["access_token"], s2["refresh_token"]]
    u.token = s2["access_token"]
    d = make_api_key(client, u)
    secrets += [d["key"], d["key"].split("_", 2)[2]]
    assert client.get("/users/me", headers={"X-API-Key": d["key"]}) \
        .status_code == 200
    client.delete(f"/api-keys/{d['id']}", headers=bearer(s2["access_token"]))
    s3 = login_full(client, u.username, u.password)
    secrets += [s3["access_token"], s3["refresh_token"]]
    client.post("/auth/revoke", data={"token": s3["refresh_token"]})
    new_pw = "fresh password " + unique_name()
    secrets.append(new_pw)
    r = client.post("/users/me/password", headers=bearer(s2["access_token"]),
                    json={"current_password": u.password,
                          "new_password": new_pw})
    assert r.status_code == 204
    s4 = login_full(client, u.username, new_pw)
    secrets += [s4["access_token"], s4["refresh_token"]]
    client.post("/auth/logout", headers=bearer(s4["access_token"]))
    client.post("/users/me/password", headers=bearer(s4["access_token"]),
                json={"current_password": "wrong " + guess,
                      "new_password": guess + "x"})
    client.post("/auth/revoke", data={"token": "unknown-" + guess})

    mine = audit(client, admin, user_id=u.id)
    assert len(mine) >= 8
    text = json.dumps(mine) + json.dumps(audit(client, admin))
    assert_no_secret(text, *secrets)
    assert "$argon2" not in text and "$2b$" not in text
    assert PASSWORD not in text


# ---------------------------------------------------------------- behind a proxy

def test_every_event_records_the_client_behind_a_proxy(spawn_server):
    """Behind a trusted proxy that appends to X-Forwarded-For the way
    nginx's $proxy_add_x_forwarded_for does ("client, proxy"), every
    audited event records the client's address, never the proxy's."""
    sp = spawn_server(env={"LOGIN_MAX_FAILURES": "2",
                           "REGISTER_MAX_PER_ADDRESS": "3",
                           "TRUSTED_PROXIES": "127.0.0.1"})
    c = private_client(sp)
    c.s.headers["X-Forwarded-For"] = "10.1.2.3, 127.0.0.1"
    try:
        adm = new_full_user(c)
        u = new_full_user(c)
        victim = new_full_user(c)
        # login.success (new_full_user), login.failure, login.throttled
        for _ in range(2):
            assert login_response(c, victim.username, "nope").status_code \
                == 401
        assert login_response(c, victim.username, PASSWORD).status_code \
            == 429
        # token.refresh, then token.reuse_detected with the spent token
        r = refresh_json(c, u.refresh_token)
        assert r.status_code == 200, r.text
        assert refresh_json(c, u.refresh_token).status_code == 401
        # token.revoke, logout, session.revoke
        s1 = login_full(c, u.username, PASSWORD)
        r = c.post("/auth/revoke", data={"token": s1["refresh_token"]})
        assert r.status_code == 200
        s2 = login_full(c, u.username, PASSWORD)
        r = c.post("/auth/logout", headers=bearer(s2["access_token"]))
        assert r.status_code == 204, r.text
        s3 = login_full(c, u.username, PASSWORD)
        s4 = login_full(c, u.username, PASSWORD)
        r = c.delete(f"/users/me/sessions/{sid_of(s4['access_token'])}",
                     headers=bearer(s3["access_token"]))
        assert r.status_code == 204, r.text
        # apikey.create, apikey.revoke
        h = bearer(s3["access_token"])
        u.token = s3["access_token"]
        k = make_api_key(c, u)
        r = c.delete(f"/api-keys/{k['id']}", headers=h)
        assert r.status_code == 204, r.text
        # password.change
        r = c.post("/users/me/password", headers=h, json={
            "current_password": PASSWORD, "new_password": PASSWORD + "2"})
        assert r.status_code == 204, r.text
        # user.update, user.delete
        r = c.patch(f"/admin/users/{u.id}", headers=adm.headers,
                    json={"role": "moderator"})
        assert r.status_code == 200, r.text
        r = c.delete(f"/users/{u.id}", headers=adm.headers)
        assert r.status_code == 204, r.text
        # register.throttled: the fourth registration from 10.1.2.3
        r = c.post("/auth/register", json={
            "username": "late", "email": "late@example.com",
            "password": PASSWORD})
        assert r.status_code == 429, r.text

        entries = audit(c, adm, limit=1000)
        assert {e["event"] for e in entries} == set(EVENTS), \
            set(EVENTS) - {e["event"] for e in entries}
        wrong = [(e["event"], e["ip"]) for e in entries
                 if e["ip"] != "10.1.2.3"]
        assert not wrong, wrong
    finally:
        c.close()
