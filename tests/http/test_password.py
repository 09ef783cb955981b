"""POST /users/me/password (issue 4): 204, every earlier token of every
session dies, API keys survive, validation."""

import pytest

from ghtest import (NOT_AUTH, assert_401, assert_422, assert_refresh_refused,
                    bearer, login_full,
                    login_response, make_api_key, new_full_user,
                    refresh_form, refresh_json, WRONG_LOGIN)

pytestmark = pytest.mark.gatehouse

NEW_PASSWORD = "battery staple 2"


def change(client, u, new=NEW_PASSWORD, current=None, headers=None):
    return client.post("/users/me/password", headers=headers or u.headers,
                       json={"current_password": current or u.password,
                             "new_password": new})


def test_change_password(client):
    u = new_full_user(client)
    other = login_full(client, u.username, u.password)
    refreshed = refresh_json(client, other["refresh_token"]).json()
    r = change(client, u)
    assert r.status_code == 204, r.text
    assert r.content == b""
    # every access and refresh token issued before, of every session
    for t in (u.token, other["access_token"], refreshed["access_token"]):
        assert_401(client.get("/users/me", headers=bearer(t)))
    for rt in (u.refresh_token, refreshed["refresh_token"]):
        assert_401(refresh_json(client, rt))
        assert_refresh_refused(refresh_form(client, rt))
    # old password no longer logs in, the new one does
    r = login_response(client, u.username, u.password)
    assert r.status_code == 401 and r.json() == WRONG_LOGIN
    body = login_full(client, u.username, NEW_PASSWORD)
    assert client.get("/users/me", headers=bearer(
        body["access_token"])).status_code == 200
    assert refresh_json(client, body["refresh_token"]).status_code == 200


def test_old_sessions_are_not_listed_after_change(client):
    u = new_full_user(client)
    login_full(client, u.username, u.password)
    assert change(client, u).status_code == 204
    body = login_full(client, u.username, NEW_PASSWORD)
    r = client.get("/users/me/sessions", headers=bearer(body["access_token"]))
    assert r.status_code == 200
    from ghtest import sid_of
    assert [s["id"] for s in r.json()] == [sid_of(body["access_token"])]


def test_api_keys_end_with_a_password_change(client):
    """A key minted with a stolen token must not outlive the victim's
    password change."""
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    assert change(client, u).status_code == 204
    assert_401(client.get("/users/me", headers={"X-API-Key": key}))


def test_api_keys_survive_a_password_change_when_asked(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.post("/users/me/password", headers=u.headers,
                    json={"current_password": u.password,
                          "new_password": NEW_PASSWORD,
                          "keep_api_keys": True})
    assert r.status_code == 204, r.text
    r = client.get("/users/me", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == u.id


def test_wrong_current_password_is_400(client):
    u = new_full_user(client)
    r = change(client, u, current="not my password")
    assert r.status_code == 400
    assert r.json() == {"detail": "Incorrect password"}
    # nothing changed
    assert client.get("/users/me", headers=u.headers).status_code == 200
    assert login_response(client, u.username, u.password).status_code == 200
    assert login_response(client, u.username, NEW_PASSWORD).status_code == 401


@pytest.mark.parametrize("new", ["a" * 7, "a" * 129, "\u00e9" * 7,
                                 "\U0001F600" * 129, ""])
def test_new_password_length_is_422(client, new):
    u = new_full_user(client)
    r = change(client, u, new=new)
    assert_422(r, ("body", "new_password"))
    assert client.get("/users/me", headers=u.headers).status_code == 200
    assert login_response(client, u.username, u.password).status_code == 200


@pytest.mark.parametrize("new", ["a" * 8, "b" * 128, "\u00e9" * 8,
                                 "\U0001F600" * 128])
def test_new_password_bounds_are_accepted(client, new):
    u = new_full_user(client)
    r = change(client, u, new=new)
    assert r.status_code == 204, r.text
    assert login_response(client, u.username, new).status_code == 200


@pytest.mark.parametrize("body, locs", [
    ({}, [("body", "current_password"), ("body", "new_password")]),
    ({"current_password": "x"}, [("body", "new_password")]),
    ({"new_password": NEW_PASSWORD}, [("body", "current_password")]),
    ({"current_password": None, "new_password": NEW_PASSWORD},
     [("body", "current_password")]),
    ({"current_password": "x", "new_password": ["a" * 10]},
     [("body", "new_password")]),
])
def test_password_body_validation(client, body, locs):
    u = new_full_user(client)
    r = client.post("/users/me/password", headers=u.headers, json=body)
    assert_422(r, *locs)


def test_password_malformed_json_is_422(client):
    u = new_full_user(client)
    r = client.post_json_bytes("/users/me/password", b'{"current_password"',
                               headers=u.headers)
    assert_422(r)


def test_password_change_needs_authentication(client):
    r = client.post("/users/me/password",
                    json={"current_password": "x", "new_password": NEW_PASSWORD})
    assert_401(r, NOT_AUTH)


def test_same_password_again_still_kills_old_tokens(client):
    u = new_full_user(client)
    r = change(client, u, new=u.password)
    assert r.status_code == 204
    assert_401(client.get("/users/me", headers=u.headers))
    assert_401(refresh_json(client, u.refresh_token))
    login_full(client, u.username, u.password)


def test_change_twice(client):
    u = new_full_user(client)
    assert change(client, u).status_code == 204
    body = login_full(client, u.username, NEW_PASSWORD)
    r = client.post("/users/me/password",
                    headers=bearer(body["access_token"]),
                    json={"current_password": NEW_PASSWORD,
                          "new_password": "third password 3"})
    assert r.status_code == 204
    assert_401(client.get("/users/me", headers=bearer(body["access_token"])))
    login_full(client, u.username, "third password 3")
