"""Revocation is immediate on every server thread (issue 4: "at once").

gatehouse caches verified tokens, and the user and session rows they
resolve to, per thread; each test first uses the credential on many
connections at once so that several threads have seen it, revokes it, then
checks many fresh connections at once.  A write made by another process
(not through gatehouse) is seen once AUTH_CACHE_TTL_MS has passed."""

import os
import sqlite3
import time

import pytest

from ghtest import IS_PG, Client, pg_query

from ghtest import (assert_401, bearer, login_full, make_api_key,
                    new_full_user, refresh_json, sid_of,
                    statuses_from_many)

pytestmark = pytest.mark.gatehouse


def warm(server, headers, path="/users/me", expect=200):
    got = statuses_from_many(server.url, "GET", path, headers)
    assert got == [expect] * len(got), got


def all_now(server, headers, expect, path="/users/me"):
    got = statuses_from_many(server.url, "GET", path, headers)
    assert got == [expect] * len(got), got


def test_logout_reaches_every_thread(server, client):
    u = new_full_user(client)
    warm(server, u.headers)
    assert client.post("/auth/logout", headers=u.headers).status_code == 204
    all_now(server, u.headers, 401)


def test_revoke_reaches_every_thread(server, client):
    u = new_full_user(client)
    warm(server, u.headers)
    assert client.post("/auth/revoke",
                       data={"token": u.refresh_token}).status_code == 200
    all_now(server, u.headers, 401)


def test_session_delete_reaches_every_thread(server, client):
    u = new_full_user(client)
    other = login_full(client, u.username, u.password)
    warm(server, bearer(other["access_token"]))
    sid = sid_of(other["access_token"])
    assert client.delete(f"/users/me/sessions/{sid}",
                         headers=u.headers).status_code == 204
    all_now(server, bearer(other["access_token"]), 401)
    all_now(server, u.headers, 200)


def test_reuse_detection_reaches_every_thread(server, client):
    u = new_full_user(client)
    newest = refresh_json(client, u.refresh_token).json()
    h = bearer(newest["access_token"])
    warm(server, h)
    assert_401(refresh_json(client, u.refresh_token))
    all_now(server, h, 401)


def test_password_change_reaches_every_thread(server, client):
    u = new_full_user(client)
    other = login_full(client, u.username, u.password)
    warm(server, u.headers)
    warm(server, bearer(other["access_token"]))
    r = client.post("/users/me/password", headers=u.headers,
                    json={"current_password": u.password,
                          "new_password": "changed password 5"})
    assert r.status_code == 204
    all_now(server, u.headers, 401)
    all_now(server, bearer(other["access_token"]), 401)


def test_deactivation_reaches_every_thread(server, client, admin):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    warm(server, u.headers)
    warm(server, {"X-API-Key": key})
    r = client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                     json={"is_active": False})
    assert r.status_code == 200
    all_now(server, u.headers, 401)
    all_now(server, {"X-API-Key": key}, 401)


def test_demotion_reaches_every_thread(server, client, admin):
    u = new_full_user(client)
    assert client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                        json={"role": "admin"}).status_code == 200
    warm(server, u.headers, path="/admin/users")
    assert client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                        json={"role": "user"}).status_code == 200
    all_now(server, u.headers, 403, path="/admin/users")


def test_key_revoke_reaches_every_thread(server, client):
    u = new_full_user(client)
    d = make_api_key(client, u)
    warm(server, {"X-API-Key": d["key"]})
    assert client.delete(f"/api-keys/{d['id']}",
                         headers=u.headers).status_code == 204
    all_now(server, {"X-API-Key": d["key"]}, 401)


def test_user_delete_reaches_every_thread(server, client, admin):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    warm(server, u.headers)
    warm(server, {"X-API-Key": key})
    assert client.delete(f"/users/{u.id}",
                         headers=admin.headers).status_code == 204
    all_now(server, u.headers, 401)
    all_now(server, {"X-API-Key": key}, 401)


def _deactivate_behind_its_back(sp, uid):
    if IS_PG:
        pg_query(sp.pg_db,
                 f"UPDATE users SET is_active = false WHERE id = {int(uid)}")
        return
    db = os.path.join(sp.data_dir, "gatehouse.db")
    with sqlite3.connect(db, timeout=5) as con:
        con.execute("UPDATE users SET is_active = 0 WHERE id = ?", (uid,))


def test_write_by_another_process_is_seen_within_the_ttl(spawn_server):
    sp = spawn_server(env={"AUTH_CACHE_TTL_MS": "100"})
    c = Client(sp.url)
    try:
        u = new_full_user(c)
        key = make_api_key(c, u)["key"]
    finally:
        c.close()
    warm(sp, u.headers)
    warm(sp, {"X-API-Key": key})
    _deactivate_behind_its_back(sp, u.id)
    time.sleep(0.3)  # the entries' lifetime, not readiness
    all_now(sp, u.headers, 401)
    all_now(sp, {"X-API-Key": key}, 401)


def test_cache_off_sees_another_process_at_once(spawn_server):
    sp = spawn_server(env={"AUTH_CACHE_ENTRIES": "0"})
    c = Client(sp.url)
    try:
        u = new_full_user(c)
    finally:
        c.close()
    warm(sp, u.headers)
    _deactivate_behind_its_back(sp, u.id)
    all_now(sp, u.headers, 401)
