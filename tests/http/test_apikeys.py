"""API keys (issue 4): POST/GET /api-keys, DELETE /api-keys/{id}, the
X-API-Key header, the routes a key may not use, bad keys."""

import datetime as dt
import json
import re

import pytest

from ghtest import (KEY_FORBIDDEN, NOT_AUTH, assert_401, assert_422,
                    assert_no_secret, bearer, is_int, login_response,
                    make_api_key, make_todo, new_full_user, parse_ts,
                    private_client, refresh_json, sid_of, unique_name,
                    utcnow)

pytestmark = pytest.mark.gatehouse

NO_KEY = {"detail": "API key not found"}
BOTH = {"detail": "Use either a bearer token or an API key, not both"}
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
KEY_RE = r"gh_([A-Za-z0-9]+)_([A-Za-z0-9_-]+)"


def kh(key):
    return {"X-API-Key": key}


def list_keys(client, u):
    r = client.get("/api-keys", headers=u.headers)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), list)
    return r.json()


# ---------------------------------------------------------------- create/list

def test_create_key(client):
    u = new_full_user(client)
    before = utcnow()
    r = client.post("/api-keys", headers=u.headers, json={"name": "ci deploy"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert set(d) >= {"id", "name", "prefix", "key", "created_at",
                      "expires_at", "last_used_at", "scopes"}, d
    assert is_int(d["id"]) and d["id"] > 0
    assert d["name"] == "ci deploy"
    m = re.fullmatch(KEY_RE, d["key"])
    assert m, d["key"]
    assert m.group(1) == d["prefix"]
    # 256-bit secret: at least 43 base64url characters (or 64 hex)
    assert len(m.group(2)) >= 43, d["key"]
    assert re.fullmatch(TS_RE, d["created_at"])
    assert abs((parse_ts(d["created_at"]) - before).total_seconds()) < 60
    # no expires_in_days: API_KEY_MAX_DAYS (365) from now
    want = utcnow() + dt.timedelta(days=365)
    assert abs((parse_ts(d["expires_at"]) - want).total_seconds()) < 300
    assert d["last_used_at"] is None
    assert d["scopes"] == ["read", "write"]     # a user's key: no admin
    for k in d:
        assert "hash" not in k.lower(), d


def test_keys_are_distinct(client):
    u = new_full_user(client)
    a, b = make_api_key(client, u), make_api_key(client, u)
    assert a["id"] != b["id"] and a["key"] != b["key"]
    assert a["prefix"] != b["prefix"]


@pytest.mark.parametrize("days", [1, 30, 365])
def test_create_key_with_expiry(client, days):
    u = new_full_user(client)
    d = make_api_key(client, u, expires_in_days=days)
    assert re.fullmatch(TS_RE, d["expires_at"]), d
    want = utcnow() + dt.timedelta(days=days)
    assert abs((parse_ts(d["expires_at"]) - want).total_seconds()) < 300
    assert client.get("/users/me", headers=kh(d["key"])).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "\u00e9" * 101}, "name"),
    ({"name": None}, "name"),
    ({"name": 7}, "name"),
    ({"name": "k", "expires_in_days": 0}, "expires_in_days"),
    ({"name": "k", "expires_in_days": -1}, "expires_in_days"),
    ({"name": "k", "expires_in_days": 3651}, "expires_in_days"),
    ({"name": "k", "expires_in_days": "7"}, "expires_in_days"),
    ({"name": "k", "expires_in_days": 1.5}, "expires_in_days"),
    ({"name": "k", "expires_in_days": True}, "expires_in_days"),
])
def test_create_validation(client, body, field):
    u = new_full_user(client)
    r = client.post("/api-keys", headers=u.headers, json=body)
    assert_422(r, ("body", field))
    assert list_keys(client, u) == []


@pytest.mark.parametrize("name", ["a", "x" * 100, "\u00e9" * 100])
def test_name_bounds_accepted(client, name):
    u = new_full_user(client)
    assert make_api_key(client, u, name=name)["name"] == name


def test_expires_in_days_null_is_422(client):
    u = new_full_user(client)
    r = client.post("/api-keys", headers=u.headers,
                    json={"name": "n", "expires_in_days": None})
    # pydantic 1.10 refuses null for a non-Optional field: 422, and no
    # half-made key
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "expires_in_days"]
    assert client.get("/api-keys", headers=u.headers).json() == []


def test_list_keys(client):
    u = new_full_user(client)
    v = new_full_user(client)
    a = make_api_key(client, u, name="one")
    b = make_api_key(client, u, name="two", expires_in_days=10)
    c = make_api_key(client, v, name="theirs")
    listed = list_keys(client, u)
    assert sorted(k["id"] for k in listed) == sorted([a["id"], b["id"]])
    by_id = {k["id"]: k for k in listed}
    for made in (a, b):
        k = by_id[made["id"]]
        assert "key" not in k
        for f in ("name", "prefix", "created_at", "expires_at"):
            assert k[f] == made[f], (f, k, made)
        assert "last_used_at" in k
        for f in k:
            assert "hash" not in f.lower() and "secret" not in f.lower(), k
    text = json.dumps(listed)
    assert_no_secret(text, a["key"], b["key"], a["key"].split("_", 2)[2],
                     b["key"].split("_", 2)[2])
    assert c["id"] not in by_id
    assert [k["id"] for k in list_keys(client, v)] == [c["id"]]


def test_last_used_at_is_set_by_use(client):
    u = new_full_user(client)
    d = make_api_key(client, u)
    assert client.get("/users/me", headers=kh(d["key"])).status_code == 200
    k = next(k for k in list_keys(client, u) if k["id"] == d["id"])
    assert k["last_used_at"] is not None
    assert re.fullmatch(TS_RE, k["last_used_at"])
    assert parse_ts(k["last_used_at"]) >= parse_ts(d["created_at"])


# ---------------------------------------------------------------- revoke

def test_delete_key(client):
    u = new_full_user(client)
    d = make_api_key(client, u)
    keep = make_api_key(client, u)
    assert client.get("/users/me", headers=kh(d["key"])).status_code == 200
    r = client.delete(f"/api-keys/{d['id']}", headers=u.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert_401(client.get("/users/me", headers=kh(d["key"])))
    assert [k["id"] for k in list_keys(client, u)] == [keep["id"]]
    assert client.get("/users/me", headers=kh(keep["key"])).status_code == 200
    r = client.delete(f"/api-keys/{d['id']}", headers=u.headers)
    assert r.status_code == 404 and r.json() == NO_KEY


def test_delete_other_users_key_is_404(client, admin):
    u = new_full_user(client)
    v = new_full_user(client)
    d = make_api_key(client, v)
    for actor in (u, admin):
        r = client.delete(f"/api-keys/{d['id']}", headers=actor.headers)
        assert r.status_code == 404
        assert r.json() == NO_KEY
    assert client.get("/users/me", headers=kh(d["key"])).json()["id"] == v.id


@pytest.mark.parametrize("kid", ["999999999", "0", "99999999999999999999"])
def test_delete_unknown_key_is_404(client, kid):
    u = new_full_user(client)
    r = client.delete(f"/api-keys/{kid}", headers=u.headers)
    assert r.status_code == 404 and r.json() == NO_KEY


def test_delete_non_integer_key_id_is_422(client):
    u = new_full_user(client)
    assert_422(client.delete("/api-keys/abc", headers=u.headers))


def test_key_routes_need_authentication(client):
    assert_401(client.post("/api-keys", json={"name": "x"}), NOT_AUTH)
    assert_401(client.get("/api-keys"), NOT_AUTH)
    assert_401(client.delete("/api-keys/1"), NOT_AUTH)


# ---------------------------------------------------------------- using a key

def test_key_authenticates_as_owner(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.get("/users/me", headers=kh(key))
    assert r.status_code == 200
    assert r.json()["id"] == u.id and r.json()["username"] == u.username
    assert client.get("/me", headers=kh(key)).json()["id"] == u.id
    r = client.post("/posts", headers=kh(key), json={"title": "via key",
                                                    "content": "c"})
    assert r.status_code == 201
    post = r.json()
    assert post["user_id"] == u.id
    r = client.patch(f"/posts/{post['id']}", headers=kh(key),
                     json={"title": "edited via key"})
    assert r.status_code == 200
    t = make_todo(client, kh(key), title="via key")
    assert t["user_id"] == u.id
    r = client.get("/todos", headers=kh(key))
    assert [x["id"] for x in r.json()] == [t["id"]]
    assert client.get(f"/todos/{t['id']}", headers=u.headers).status_code == 200
    assert client.delete(f"/posts/{post['id']}", headers=kh(key)).status_code == 204


def test_key_header_name_is_case_insensitive(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.get("/users/me", headers={"x-api-key": key})
    assert r.status_code == 200 and r.json()["id"] == u.id


def test_key_of_non_admin_cannot_reach_admin_routes(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    assert client.get("/admin/users", headers=kh(key)).status_code == 403


def test_key_follows_current_role(client, admin):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                     json={"role": "moderator"})
    assert r.status_code == 200
    assert client.get("/users/me", headers=kh(key)).json()["role"] == "moderator"


def test_key_forbidden_routes(client):
    u = new_full_user(client)
    d = make_api_key(client, u)
    key = d["key"]
    sid = sid_of(u.token)
    calls = [
        ("POST", "/api-keys", {"json": {"name": "from a key"}}),
        ("GET", "/api-keys", {}),
        ("DELETE", f"/api-keys/{d['id']}", {}),
        ("GET", "/users/me/sessions", {}),
        ("DELETE", f"/users/me/sessions/{sid}", {}),
        ("POST", "/auth/logout", {}),
        ("POST", "/users/me/password",
         {"json": {"current_password": u.password,
                   "new_password": "another password 9"}}),
    ]
    for method, path, kw in calls:
        r = client.request(method, path, headers=kh(key), **kw)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json() == KEY_FORBIDDEN, (method, path)
    # none of it happened
    assert client.get("/users/me", headers=kh(key)).status_code == 200
    assert [k["id"] for k in list_keys(client, u)] == [d["id"]]
    assert client.get("/users/me", headers=u.headers).status_code == 200
    assert refresh_json(client, u.refresh_token).status_code == 200
    assert login_response(client, u.username, u.password).status_code == 200


@pytest.mark.parametrize("key", [
    "garbage", "gh_", "gh__", "gh_abc", "gh_abc_def", "Bearer x",
    "gh_" + "A" * 8 + "_" + "B" * 43, "\u00e9\u00e9"])
def test_bad_key_is_401(client, key):
    r = client.get("/users/me", headers={"X-API-Key": key.encode("utf-8")})
    assert_401(r)


def test_tampered_key_is_401(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert_401(client.get("/users/me", headers=kh(tampered)))
    # gh_<hex prefix>_<secret>: the secret is base64url, "_" included
    prefix_only = "_".join(key.split("_", 2)[:2]) + "_"
    assert_401(client.get("/users/me", headers=kh(prefix_only)))
    assert_401(client.get("/users/me", headers=kh(key + "x")))
    assert_401(client.get("/users/me", headers=kh(key[:-1])))
    # another user's prefix with this user's secret
    v = new_full_user(client)
    other = make_api_key(client, v)["key"]
    mixed = "_".join(other.split("_", 2)[:2]) + "_" + key.split("_", 2)[2]
    assert_401(client.get("/users/me", headers=kh(mixed)))
    # the real one still works
    assert client.get("/users/me", headers=kh(key)).status_code == 200


def test_bad_key_on_public_route_is_harmless(client):
    # a public route authenticates no one: the header is not even read
    r = client.get("/posts", headers=kh("garbage"))
    assert r.status_code == 200, r.text


def test_bearer_and_key_together_is_400(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    h = dict(bearer(u.token), **kh(key))
    r = client.get("/users/me", headers=h)
    assert r.status_code == 400
    assert r.json() == BOTH
    r = client.post("/todos", headers=h, json={"title": "x"})
    assert r.status_code == 400 and r.json() == BOTH
    r = client.get("/todos", headers=u.headers)
    assert r.json() == []


def test_key_of_deactivated_user_is_401(client, admin):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.patch(f"/admin/users/{u.id}", headers=admin.headers,
                     json={"is_active": False})
    assert r.status_code == 200
    assert_401(client.get("/users/me", headers=kh(key)))
    assert_401(client.post("/todos", headers=kh(key), json={"title": "x"}))


def test_key_is_not_a_bearer_token_and_token_not_a_key(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    assert_401(client.get("/users/me", headers=bearer(key)))
    assert_401(client.get("/users/me", headers=kh(u.token)))
    assert_401(client.get("/users/me", headers=kh(u.refresh_token)))


def test_key_not_accepted_as_refresh_token(client):
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    assert_401(refresh_json(client, key))
    assert client.get("/users/me", headers=kh(key)).status_code == 200


def test_revoke_endpoint_does_not_touch_keys(client):
    """RFC 7009 revocation is for tokens; a key given to it is unknown."""
    u = new_full_user(client)
    key = make_api_key(client, u)["key"]
    r = client.post("/auth/revoke", data={"token": key})
    assert r.status_code == 200
    # keys are managed through /api-keys; either outcome is defensible, but
    # the response must not leak anything
    assert key not in r.text


def test_many_keys(client):
    u = new_full_user(client)
    made = [make_api_key(client, u, name=unique_name("k")) for _ in range(5)]
    for d in made:
        r = client.get("/users/me", headers=kh(d["key"]))
        assert r.status_code == 200 and r.json()["id"] == u.id


# ---------------------------------------------------------------- scopes

def test_scopes_decide_what_a_key_may_do(client, admin):
    u = new_full_user(client)
    ro = make_api_key(client, u, scopes=["read"])
    wo = make_api_key(client, u, scopes=["write"])
    assert ro["scopes"] == ["read"] and wo["scopes"] == ["write"]
    # read: GET yes, a write no (403 with the scope named)
    assert client.get("/users/me", headers=kh(ro["key"])).status_code == 200
    r = client.post("/posts", headers=kh(ro["key"]),
                    json={"title": "t", "content": "c"})
    assert r.status_code == 403, r.text
    assert r.json() == {"detail": "This API key lacks the write scope"}
    # write: a write yes, a GET no
    r = client.post("/posts", headers=kh(wo["key"]),
                    json={"title": "t", "content": "c"})
    assert r.status_code == 201, r.text
    r = client.get("/users/me", headers=kh(wo["key"]))
    assert r.status_code == 403, r.text
    assert r.json() == {"detail": "This API key lacks the read scope"}
    # the list shows them
    listed = {k["id"]: k["scopes"] for k in
              client.get("/api-keys", headers=u.headers).json()}
    assert listed[ro["id"]] == ["read"] and listed[wo["id"]] == ["write"]


def test_admin_scope_is_for_admins_only(client, admin):
    u = new_full_user(client)
    r = client.post("/api-keys", headers=u.headers,
                    json={"name": "n", "scopes": ["read", "admin"]})
    assert r.status_code == 403, r.text
    assert r.json() == {"detail": "Only an admin's key can have the admin "
                                  "scope"}
    assert client.get("/api-keys", headers=u.headers).json() == []
    # an admin's key by default carries every scope ...
    full = make_api_key(client, admin)
    assert full["scopes"] == ["read", "write", "admin"]
    r = client.get("/admin/users", headers=kh(full["key"]))
    assert r.status_code == 200, r.text
    # ... and one made without admin cannot reach the admin routes
    plain = make_api_key(client, admin, scopes=["read", "write"])
    r = client.get("/admin/users", headers=kh(plain["key"]))
    assert r.status_code == 403, r.text
    assert r.json() == {"detail": "This API key lacks the admin scope"}
    assert client.get("/users/me", headers=kh(plain["key"])).status_code == 200
    for k in (full, plain):
        client.delete(f"/api-keys/{k['id']}", headers=admin.headers)


@pytest.mark.parametrize("scopes, loc", [
    ([], ["body", "scopes"]),
    (["root"], ["body", "scopes", 0]),
    (["read", "READ"], ["body", "scopes", 1]),
    ("read", ["body", "scopes"]),
    ([1], ["body", "scopes", 0]),
])
def test_bad_scopes_are_422(client, scopes, loc):
    u = new_full_user(client)
    r = client.post("/api-keys", headers=u.headers,
                    json={"name": "n", "scopes": scopes})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


def test_key_lifetime_is_bounded_by_configuration(spawn_server):
    sp = spawn_server(env={"API_KEY_MAX_DAYS": "30"})
    c = private_client(sp)
    try:
        u = new_full_user(c)
        d = make_api_key(c, u)
        want = utcnow() + dt.timedelta(days=30)
        assert abs((parse_ts(d["expires_at"]) - want).total_seconds()) < 300
        r = c.post("/api-keys", headers=u.headers,
                   json={"name": "n", "expires_in_days": 31})
        assert r.status_code == 422, r.text
        e = r.json()["detail"][0]
        assert e["loc"] == ["body", "expires_in_days"]
        assert e["msg"] == "ensure this value is less than or equal to 30"
    finally:
        c.close()
