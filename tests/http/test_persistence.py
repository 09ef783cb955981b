"""Issue 4 state survives a restart on the same data folder: sessions and
rotation, revocations, spent refresh tokens, API keys, todos, roles,
deactivation, password changes and the login lockout."""

import pytest

from ghtest import (NO_PERMISSION, WRONG_LOGIN, Client, assert_401, bearer,
                    login_full, login_response, make_api_key, make_todo,
                    new_full_user, new_user, private_client, refresh_json,
                    sid_of)

pytestmark = pytest.mark.gatehouse

ENV = {"LOGIN_MAX_FAILURES": "2"}


def test_restart_keeps_issue4_state(spawn_server):
    first = spawn_server(env=ENV, name="first")
    c = Client(first.url)
    try:
        adm = new_full_user(c)
        u = new_full_user(c)
        live = refresh_json(c, u.refresh_token).json()      # rotated once
        ended = {}
        s = login_full(c, u.username, u.password)
        assert c.post("/auth/logout",
                      headers=bearer(s["access_token"])).status_code == 204
        ended["logout"] = s
        s = login_full(c, u.username, u.password)
        assert c.post("/auth/revoke",
                      data={"token": s["refresh_token"]}).status_code == 200
        ended["revoke"] = s
        s = login_full(c, u.username, u.password)
        assert c.delete(f"/users/me/sessions/{sid_of(s['access_token'])}",
                        headers=bearer(live["access_token"])).status_code == 204
        ended["delete"] = s

        # a rotated family whose spent token is presented only after restart
        y = new_full_user(c)
        y_spent = y.refresh_token
        y_newest = refresh_json(c, y_spent).json()

        key = make_api_key(c, u, name="kept")
        gone = make_api_key(c, u, name="revoked")
        assert c.delete(f"/api-keys/{gone['id']}",
                        headers=u.headers).status_code == 204
        t1 = make_todo(c, u.headers, title="one")
        t2 = make_todo(c, u.headers, title="two", completed=True)

        victim = new_user(c, login_too=False)
        for _ in range(2):
            assert login_response(c, victim.username, "nope").status_code == 401
        assert login_response(c, victim.username,
                              victim.password).status_code == 429

        w = new_full_user(c)
        assert c.patch(f"/admin/users/{w.id}", headers=adm.headers,
                       json={"is_active": False}).status_code == 200
        m = new_full_user(c)
        assert c.patch(f"/admin/users/{m.id}", headers=adm.headers,
                       json={"role": "moderator"}).status_code == 200
        p = new_full_user(c)
        assert c.post("/users/me/password", headers=p.headers,
                      json={"current_password": p.password,
                            "new_password": "after restart 1"}
                      ).status_code == 204
    finally:
        c.close()
    assert first.stop() == 0

    second = spawn_server(env=ENV, data_dir=first.data_dir,
                          secret_key=first.secret_key, name="second")
    c = Client(second.url)
    try:
        # the live session: access token and rotation
        assert c.get("/users/me", headers=bearer(
            live["access_token"])).status_code == 200
        r = refresh_json(c, live["refresh_token"])
        assert r.status_code == 200, r.text
        newest = r.json()
        assert sid_of(newest["access_token"]) == sid_of(u.token)
        listed = c.get("/users/me/sessions",
                       headers=bearer(newest["access_token"])).json()
        assert [x["id"] for x in listed] == [sid_of(u.token)]
        assert listed[0]["current"] is True
        # ended sessions stay ended
        for how, s in ended.items():
            assert_401(c.get("/users/me", headers=bearer(s["access_token"])))
            assert_401(refresh_json(c, s["refresh_token"]))
        # reuse detection still works on a family rotated before restart
        assert_401(refresh_json(c, y_spent))
        assert_401(c.get("/users/me", headers=bearer(y_newest["access_token"])))
        assert_401(refresh_json(c, y_newest["refresh_token"]))

        # API keys
        r = c.get("/users/me", headers={"X-API-Key": key["key"]})
        assert r.status_code == 200 and r.json()["id"] == u.id
        assert_401(c.get("/users/me", headers={"X-API-Key": gone["key"]}))
        keys = c.get("/api-keys", headers=bearer(newest["access_token"])).json()
        assert [k["id"] for k in keys] == [key["id"]]

        # todos
        todos = c.get("/todos", headers={"X-API-Key": key["key"]}).json()
        assert todos == [t1, t2]

        # lockout
        r = login_response(c, victim.username, victim.password)
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) >= 1

        # deactivation, role, password change
        assert_401(c.get("/users/me", headers=w.headers))
        assert_401(login_response(c, w.username, w.password), WRONG_LOGIN)
        assert c.get("/users/me", headers=m.headers).json()["role"] == "moderator"
        r = c.get("/admin/audit", headers=m.headers)
        assert r.status_code == 403 and r.json() == NO_PERMISSION
        assert_401(c.get("/users/me", headers=p.headers))
        assert_401(refresh_json(c, p.refresh_token))
        assert login_response(c, p.username, p.password).status_code == 401
        login_full(c, p.username, "after restart 1")

        # the audit log survived too
        r = c.get("/admin/audit", headers=adm.headers,
                  params={"user_id": u.id, "limit": 100})
        assert r.status_code == 200
        events = {e["event"] for e in r.json()}
        assert {"login.success", "token.refresh", "logout",
                "apikey.create", "apikey.revoke"} <= events, events
    finally:
        c.close()


@pytest.mark.sqlite_only("UNSAFE_SQLITE_SYNC_NORMAL is a SQLite setting")
def test_unsafe_sync_is_off_unless_asked_and_warned(spawn_server):
    sp = spawn_server()
    assert "UNSAFE_SQLITE_SYNC_NORMAL" not in sp.log()
    sp2 = spawn_server(env={"UNSAFE_SQLITE_SYNC_NORMAL": "1"})
    c = private_client(sp2)
    try:
        u = new_full_user(c)           # writes still work
        assert c.get("/users/me", headers=u.headers).status_code == 200
    finally:
        c.close()
    assert "UNSAFE_SQLITE_SYNC_NORMAL=1: commits are not fsync'd" in sp2.log()
