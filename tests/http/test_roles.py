"""Roles and user management (issue 4): PATCH /admin/users/{id},
DELETE /users/{id}, deactivation, the last active admin, moderators, and
authorization following the current role."""

import re

import pytest

from ghtest import (NO_PERMISSION, NOT_AUTH, WRONG_LOGIN, assert_401,
                    assert_422, bearer, check_user_response, login_full,
                    login_response, make_api_key, make_todo, new_full_user,
                    new_user, private_client, refresh_json, register,
                    relogin)

pytestmark = pytest.mark.gatehouse

NO_USER = {"detail": "User not found"}
LAST_ADMIN = {"detail": "Cannot remove the last active admin"}
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"


def patch_user(client, actor, uid, body):
    return client.patch(f"/admin/users/{uid}", headers=actor.headers, json=body)


def set_role(client, admin, u, role):
    r = patch_user(client, admin, u.id, {"role": role})
    assert r.status_code == 200, r.text
    return r.json()


def check_full_user_response(d):
    check_user_response(d)
    assert d["role"] in ("user", "moderator", "admin")
    assert d["is_admin"] is (d["role"] == "admin")
    assert isinstance(d["is_active"], bool)
    assert re.fullmatch(TS_RE, d["created_at"]), d


def make_post(client, u):
    r = client.post("/posts", headers=u.headers,
                    json={"title": "t", "content": "c"})
    assert r.status_code == 201, r.text
    return r.json()


# ---------------------------------------------------------------- responses

def test_user_response_has_role_active_created(client):
    r = register(client)
    assert r.status_code == 201
    check_full_user_response(r.json())
    assert r.json()["role"] == "user" and r.json()["is_active"] is True
    u = new_full_user(client)
    me = client.get("/users/me", headers=u.headers).json()
    check_full_user_response(me)
    assert me["role"] == "user"


def test_admin_response_role(client, admin):
    me = client.get("/users/me", headers=admin.headers).json()
    check_full_user_response(me)
    assert me["role"] == "admin" and me["is_admin"] is True


# ---------------------------------------------------------------- PATCH

@pytest.mark.parametrize("role", ["moderator", "admin", "user"])
def test_patch_role(client, admin, role):
    u = new_full_user(client)
    r = patch_user(client, admin, u.id, {"role": role})
    assert r.status_code == 200, r.text
    d = r.json()
    check_full_user_response(d)
    assert d["id"] == u.id and d["username"] == u.username
    assert d["role"] == role and d["is_admin"] is (role == "admin")
    assert d["is_active"] is True
    me = client.get("/users/me", headers=u.headers).json()
    assert me["role"] == role and me["is_admin"] is (role == "admin")
    listed = {x["id"]: x for x in
              client.get("/admin/users", headers=admin.headers).json()}
    assert listed[u.id]["role"] == role


def test_patch_both_fields_and_empty_body(client, admin):
    u = new_full_user(client)
    r = patch_user(client, admin, u.id, {"role": "moderator", "is_active": False})
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["is_active"]) == ("moderator", False)
    r = patch_user(client, admin, u.id, {"is_active": True})
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["is_active"]) == ("moderator", True)
    r = patch_user(client, admin, u.id, {})
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["is_active"]) == ("moderator", True)
    r = patch_user(client, admin, u.id, {"unknown": 1, "username": "zzz"})
    assert r.status_code == 200
    assert r.json()["username"] == u.username


@pytest.mark.parametrize("body, field", [
    ({"role": "superuser"}, "role"),
    ({"role": "Admin"}, "role"),
    ({"role": ""}, "role"),
    ({"role": 1}, "role"),
    ({"role": None}, "role"),
    ({"role": ["admin"]}, "role"),
    ({"is_active": "yes"}, "is_active"),
    ({"is_active": 1}, "is_active"),
    ({"is_active": None}, "is_active"),
    ({"is_active": "true"}, "is_active"),
])
def test_patch_validation(client, admin, body, field):
    u = new_full_user(client)
    r = patch_user(client, admin, u.id, body)
    assert_422(r, ("body", field))
    me = client.get("/users/me", headers=u.headers).json()
    assert me["role"] == "user" and me["is_active"] is True


def test_patch_non_object_body_is_422(client, admin):
    u = new_full_user(client)
    assert_422(client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                            json=["admin"]))
    r = client.request("PATCH", f"/admin/users/{u.id}",
                       data=b'{"role": ', headers=dict(
                           admin.headers, **{"Content-Type": "application/json"}))
    assert_422(r)


@pytest.mark.parametrize("uid", ["999999999", "0", "-3",
                                 "99999999999999999999"])
def test_patch_unknown_user_is_404(client, admin, uid):
    r = client.patch(f"/admin/users/{uid}", headers=admin.headers,
                     json={"role": "user"})
    assert r.status_code == 404
    assert r.json() == NO_USER


@pytest.mark.parametrize("uid", ["abc", "1.0"])
def test_patch_non_integer_id_is_422(client, admin, uid):
    r = client.patch(f"/admin/users/{uid}", headers=admin.headers,
                     json={"role": "user"})
    assert_422(r)
    assert r.json()["detail"][0]["loc"][0] == "path"


@pytest.mark.parametrize("role", ["user", "moderator"])
def test_patch_needs_admin(client, admin, role):
    actor = new_full_user(client)
    if role != "user":
        set_role(client, admin, actor, role)
    victim = new_full_user(client)
    r = patch_user(client, actor, victim.id, {"role": "admin"})
    assert r.status_code == 403
    assert r.json() == NO_PERMISSION
    r = patch_user(client, actor, actor.id, {"role": "admin"})
    assert r.status_code == 403
    assert r.json() == NO_PERMISSION
    assert client.get("/users/me", headers=victim.headers).json()["role"] == "user"


def test_patch_and_delete_need_authentication(client):
    assert_401(client.patch("/admin/users/1", json={"role": "user"}), NOT_AUTH)
    assert_401(client.delete("/users/1"), NOT_AUTH)


# ---------------------------------------------------------------- current role

def test_promotion_applies_to_old_token(client, admin):
    u = new_full_user(client)
    r = client.get("/admin/users", headers=u.headers)
    assert r.status_code == 403
    set_role(client, admin, u, "admin")
    r = client.get("/admin/users", headers=u.headers)     # token from before
    assert r.status_code == 200
    # a new admin may manage users
    v = new_full_user(client)
    assert patch_user(client, u, v.id, {"role": "moderator"}).status_code == 200
    set_role(client, admin, u, "user")
    r = client.get("/admin/users", headers=u.headers)
    assert r.status_code == 403
    assert r.json() == {"detail": "Admin access required"}
    r = patch_user(client, u, v.id, {"role": "user"})
    assert r.status_code == 403 and r.json() == NO_PERMISSION


def test_demoted_admin_loses_post_rights(client, admin):
    owner = new_full_user(client)
    p = make_post(client, owner)
    u = new_full_user(client)
    set_role(client, admin, u, "admin")
    r = client.patch(f"/posts/{p['id']}", headers=u.headers, json={"title": "x"})
    assert r.status_code == 200
    set_role(client, admin, u, "user")
    r = client.patch(f"/posts/{p['id']}", headers=u.headers, json={"title": "y"})
    assert r.status_code == 403
    r = client.delete(f"/posts/{p['id']}", headers=u.headers)
    assert r.status_code == 403


def test_refreshed_token_carries_current_role(client, admin):
    from ghtest import token_claims
    u = new_full_user(client)
    set_role(client, admin, u, "moderator")
    r = refresh_json(client, u.refresh_token)
    assert r.status_code == 200
    assert token_claims(r.json()["access_token"])["role"] == "moderator"


# ---------------------------------------------------------------- moderators

def test_moderator_deletes_any_post_but_cannot_edit(client, admin):
    owner = new_full_user(client)
    mod = new_full_user(client)
    set_role(client, admin, mod, "moderator")
    p = make_post(client, owner)
    r = client.patch(f"/posts/{p['id']}", headers=mod.headers,
                     json={"title": "edited"})
    assert r.status_code == 403
    assert r.json() == {"detail": "Only the owner or an admin can update this post"}
    r = client.delete(f"/posts/{p['id']}", headers=mod.headers)
    assert r.status_code == 204
    assert p["id"] not in [x["id"] for x in client.get("/posts").json()]
    # an admin's post too
    q = make_post(client, admin)
    assert client.delete(f"/posts/{q['id']}", headers=mod.headers).status_code == 204
    # moderators are not admins
    r = client.get("/admin/users", headers=mod.headers)
    assert r.status_code == 403
    r = client.get("/admin/audit", headers=mod.headers)
    assert r.status_code == 403
    r = client.delete(f"/users/{owner.id}", headers=mod.headers)
    assert r.status_code == 403
    assert r.json() == NO_PERMISSION


def test_moderator_cannot_see_others_todos(client, admin):
    owner = new_full_user(client)
    mod = new_full_user(client)
    set_role(client, admin, mod, "moderator")
    t = make_todo(client, owner.headers)
    for m in ("GET", "DELETE"):
        r = client.request(m, f"/todos/{t['id']}", headers=mod.headers)
        assert r.status_code == 404
        assert r.json() == {"detail": "Todo not found"}


# ---------------------------------------------------------------- deactivation

def test_deactivated_user(client, admin):
    u = new_full_user(client)
    other = login_full(client, u.username, u.password)
    key = make_api_key(client, u)["key"]
    r = patch_user(client, admin, u.id, {"is_active": False})
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    # tokens and keys fail at once
    assert_401(client.get("/users/me", headers=u.headers))
    assert_401(client.get("/users/me", headers=bearer(other["access_token"])))
    assert_401(refresh_json(client, u.refresh_token))
    assert_401(client.get("/users/me", headers={"X-API-Key": key}))
    # login is refused like a wrong password
    r = login_response(client, u.username, u.password)
    assert_401(r, WRONG_LOGIN)
    # still listed for admins
    listed = {x["id"]: x for x in
              client.get("/admin/users", headers=admin.headers).json()}
    assert listed[u.id]["is_active"] is False
    # reactivation restores login, and nothing else: every token, session
    # and key of before stays dead
    r = patch_user(client, admin, u.id, {"is_active": True})
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert_401(client.get("/users/me", headers=u.headers))
    assert_401(client.get("/users/me", headers=bearer(other["access_token"])))
    assert_401(refresh_json(client, u.refresh_token))
    assert_401(refresh_json(client, other["refresh_token"]))
    assert_401(client.get("/users/me", headers={"X-API-Key": key}))
    body = login_full(client, u.username, u.password)
    assert client.get("/users/me", headers=bearer(
        body["access_token"])).status_code == 200


def test_deactivated_users_username_stays_taken(client, admin):
    u = new_full_user(client)
    assert patch_user(client, admin, u.id, {"is_active": False}).status_code == 200
    r = register(client, u.username)
    assert r.status_code == 409


# ---------------------------------------------------------------- delete

def test_delete_user(client, admin):
    u = new_full_user(client)
    other_session = login_full(client, u.username, u.password)
    key = make_api_key(client, u)["key"]
    post = make_post(client, u)
    todo = make_todo(client, u.headers)
    bystander = new_full_user(client)
    kept = make_post(client, bystander)

    r = client.delete(f"/users/{u.id}", headers=admin.headers)
    assert r.status_code == 204
    assert r.content == b""

    assert_401(client.get("/users/me", headers=u.headers))
    assert_401(client.get("/users/me", headers=bearer(
        other_session["access_token"])))
    assert_401(refresh_json(client, u.refresh_token))
    assert_401(refresh_json(client, other_session["refresh_token"]))
    assert_401(client.get("/users/me", headers={"X-API-Key": key}))
    assert_401(login_response(client, u.username, u.password), WRONG_LOGIN)
    ids = [p["id"] for p in client.get("/posts").json()]
    assert post["id"] not in ids and kept["id"] in ids
    assert client.patch(f"/posts/{post['id']}", headers=admin.headers,
                        json={"title": "x"}).status_code == 404
    assert client.get(f"/todos/{todo['id']}",
                      headers=admin.headers).status_code == 404
    users = client.get("/admin/users", headers=admin.headers).json()
    assert u.id not in [x["id"] for x in users]
    # a second delete: gone
    r = client.delete(f"/users/{u.id}", headers=admin.headers)
    assert r.status_code == 404
    assert r.json() == NO_USER
    assert client.get("/users/me", headers=bystander.headers).status_code == 200


def test_deleted_username_can_register_again_and_old_tokens_stay_dead(client,
                                                                      admin):
    u = new_full_user(client)
    assert client.delete(f"/users/{u.id}", headers=admin.headers).status_code == 204
    again = new_user(client, login_too=True, username=u.username)
    assert again.id != u.id
    assert_401(client.get("/users/me", headers=u.headers))
    assert_401(refresh_json(client, u.refresh_token))
    assert client.get("/users/me", headers=again.headers).json()["id"] == again.id


@pytest.mark.parametrize("uid", ["999999999", "0", "99999999999999999999"])
def test_delete_unknown_user_is_404(client, admin, uid):
    r = client.delete(f"/users/{uid}", headers=admin.headers)
    assert r.status_code == 404
    assert r.json() == NO_USER


def test_delete_non_integer_id_is_422(client, admin):
    r = client.delete("/users/abc", headers=admin.headers)
    assert_422(r)


def test_delete_needs_admin(client):
    u = new_full_user(client)
    v = new_full_user(client)
    r = client.delete(f"/users/{v.id}", headers=u.headers)
    assert r.status_code == 403
    assert r.json() == NO_PERMISSION
    r = client.delete(f"/users/{u.id}", headers=u.headers)     # not even self
    assert r.status_code == 403
    assert client.get("/users/me", headers=v.headers).status_code == 200


# ---------------------------------------------------------------- last admin

def test_last_active_admin_cannot_remove_themselves(spawn_server):
    sp = spawn_server()
    c = private_client(sp)
    try:
        adm = new_full_user(c)
        me = c.get("/users/me", headers=adm.headers).json()
        assert me["role"] == "admin"
        for body in ({"role": "user"}, {"role": "moderator"},
                     {"is_active": False}, {"role": "admin", "is_active": False}):
            r = patch_user(c, adm, adm.id, body)
            assert r.status_code == 409, (body, r.text)
            assert r.json() == LAST_ADMIN
        r = c.delete(f"/users/{adm.id}", headers=adm.headers)
        assert r.status_code == 409
        assert r.json() == LAST_ADMIN
        # nothing changed
        me = c.get("/users/me", headers=adm.headers).json()
        assert me["role"] == "admin" and me["is_active"] is True
        # a no-op on oneself is fine
        r = patch_user(c, adm, adm.id, {"role": "admin", "is_active": True})
        assert r.status_code == 200

        # an inactive admin does not count
        other = new_full_user(c)
        set_role(c, adm, other, "admin")
        assert patch_user(c, adm, other.id, {"is_active": False}).status_code == 200
        r = patch_user(c, adm, adm.id, {"role": "user"})
        assert r.status_code == 409 and r.json() == LAST_ADMIN
        assert patch_user(c, adm, other.id, {"is_active": True}).status_code == 200
        relogin(c, other)    # the deactivation ended other's sessions

        # with a second active admin, the first may step down
        r = patch_user(c, adm, adm.id, {"role": "user"})
        assert r.status_code == 200 and r.json()["role"] == "user"
        assert c.get("/admin/users", headers=adm.headers).status_code == 403
        # and now the other one is the last
        r = c.delete(f"/users/{other.id}", headers=other.headers)
        assert r.status_code == 409 and r.json() == LAST_ADMIN
        r = c.delete(f"/users/{adm.id}", headers=other.headers)
        assert r.status_code == 204
    finally:
        c.close()


def test_admin_deletes_another_admin(spawn_server):
    sp = spawn_server()
    c = private_client(sp)
    try:
        adm = new_full_user(c)
        second = new_full_user(c)
        set_role(c, adm, second, "admin")
        # an admin deleting themselves while another admin remains is fine
        r = c.delete(f"/users/{second.id}", headers=second.headers)
        assert r.status_code == 204
        assert_401(c.get("/users/me", headers=second.headers))
    finally:
        c.close()
