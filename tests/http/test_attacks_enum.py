"""Enumeration: nothing an anonymous client can send tells it whether an
account, a token or a key exists, beyond what the contract says (a
registration's 409 "Username or email already exists", which names
neither).  Each pair below must get the same status, the same body and
the same header names (Date and the like aside)."""

import pytest

from ghtest import (PASSWORD, make_api_key, new_full_user, private_client,
                    unique_name)

pytestmark = pytest.mark.gatehouse

VARYING = {"date", "content-length"}


def shape(r):
    return (r.status_code, r.content,
            sorted(k.lower() for k in r.headers if k.lower() not in VARYING))


def same(a, b, what):
    assert shape(a) == shape(b), (what, shape(a), shape(b))


def test_login_unknown_user_and_wrong_password_look_alike(spawn_server):
    sp = spawn_server(env={"LOGIN_MAX_FAILURES": "1000"})
    c = private_client(sp)
    try:
        u = new_full_user(c)
        ghost = unique_name("ghost")
        for path in ("/auth/token", "/auth/login"):
            a = c.post(path, data={"username": u.username,
                                   "password": "wrong password"})
            b = c.post(path, data={"username": ghost,
                                   "password": "wrong password"})
            assert a.status_code == 401
            same(a, b, path)
        # the console's sign-in, JSON
        a = c.post("/account/login", json={"username": u.username,
                                           "password": "wrong password"})
        b = c.post("/account/login", json={"username": ghost,
                                           "password": "wrong password"})
        assert a.status_code == 401
        same(a, b, "/account/login")
    finally:
        c.close()


def test_deactivated_user_looks_like_a_wrong_password(spawn_server):
    sp = spawn_server()
    c = private_client(sp)
    try:
        admin = new_full_user(c)
        u = new_full_user(c)
        v = new_full_user(c)
        r = c.patch(f"/admin/users/{u.id}", headers=admin.headers,
                    json={"is_active": False})
        assert r.status_code == 200
        a = c.post("/auth/token", data={"username": u.username,
                                        "password": PASSWORD})
        b = c.post("/auth/token", data={"username": v.username,
                                        "password": "wrong password"})
        same(a, b, "deactivated vs wrong password")
    finally:
        c.close()


def test_refresh_tokens_unknown_spent_and_revoked_look_alike(client):
    u = new_full_user(client)
    spent = u.refresh_token
    r = client.post("/auth/refresh", json={"refresh_token": spent})
    assert r.status_code == 200
    fresh = r.json()["refresh_token"]
    revoked = new_full_user(client).refresh_token
    client.post("/auth/revoke", data={"token": revoked})
    unknown = "A" * 43
    for path, body in (("/auth/refresh", "json"), ("/auth/token", "form")):
        answers = []
        for tok in (unknown, revoked):
            if body == "json":
                answers.append(client.post(path, json={"refresh_token": tok}))
            else:
                answers.append(client.post(path, data={
                    "grant_type": "refresh_token", "refresh_token": tok}))
        same(answers[0], answers[1], path)
    assert fresh


def test_api_keys_unknown_prefix_and_wrong_secret_look_alike(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    prefix = key.split("_")[1]
    wrong_secret = f"gh_{prefix}_" + "B" * 43
    unknown = "gh_" + "0" * 12 + "_" + "B" * 43
    a = client.get("/users/me", headers={"X-API-Key": wrong_secret})
    b = client.get("/users/me", headers={"X-API-Key": unknown})
    assert a.status_code == 401
    same(a, b, "api key")


def test_registration_conflict_names_neither_field(client):
    u = new_full_user(client)
    a = client.post("/auth/register", json={
        "username": u.username, "email": unique_name("e") + "@example.com",
        "password": PASSWORD})
    b = client.post("/auth/register", json={
        "username": unique_name("n"), "email": u.email,
        "password": PASSWORD})
    assert a.status_code == 409
    same(a, b, "register 409")
