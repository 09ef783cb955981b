"""GET /users/me, GET /admin/users and how every protected route rejects
callers it cannot identify (API.md Part 1: 401 vs 403, WWW-Authenticate)."""

import time

import jwt
import pytest

from ghtest import (PASSWORD, b64url, b64url_json, bearer, check_user_response,
                    jwt_parts, new_user, seed_defect, unique_name,
                    unsigned_jwt)

NOT_AUTH = {"detail": "Not authenticated"}
BAD_CRED = {"detail": "Could not validate credentials"}

# every protected route of Part 1, with a body that would be valid
PROTECTED = [
    ("GET", "/users/me", None),
    ("GET", "/admin/users", None),
    ("POST", "/posts", {"title": "t", "content": "c"}),
    ("PATCH", "/posts/1", {"title": "t"}),
    ("DELETE", "/posts/1", None),
]
PROTECTED_IDS = [f"{m} {p}" for m, p, _ in PROTECTED]


def call(client, method, path, body, headers):
    kw = {"headers": headers}
    if body is not None:
        kw["json"] = body
    return client.request(method, path, **kw)


def assert_401(r, detail):
    assert r.status_code == 401, r.text
    assert r.json() == detail
    www = r.headers.get("www-authenticate")
    assert www is not None, "401 without WWW-Authenticate"
    assert www.split()[0].lower() == "bearer" or www.lower() == "bearer", www


# ---------------------------------------------------------------- /users/me

def test_me_returns_the_caller(client, user):
    r = client.get("/users/me", headers=user.headers)
    assert r.status_code == 200
    body = r.json()
    check_user_response(body, user.password)
    assert body["id"] == user.id
    assert body["username"] == user.username
    assert body["email"] == user.email
    assert body["is_admin"] is False


def test_me_of_admin(client, admin):
    r = client.get("/users/me", headers=admin.headers)
    assert r.status_code == 200
    assert r.json()["is_admin"] is True
    assert r.json()["username"] == admin.username


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(client, user, scheme):
    r = client.get("/users/me", headers={"Authorization": f"{scheme} {user.token}"})
    assert r.status_code == 200
    assert r.json()["id"] == user.id


# ---------------------------------------------------------------- /admin/users

def test_admin_users_lists_everyone_ordered_by_id(client, admin):
    a = new_user(client, login_too=False)
    b = new_user(client, login_too=False)
    r = client.get("/admin/users", headers=admin.headers)
    assert r.status_code == 200
    users = r.json()
    assert isinstance(users, list)
    for u in users:
        check_user_response(u)
    ids = [u["id"] for u in users]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    by_id = {u["id"]: u for u in users}
    assert by_id[admin.id]["is_admin"] is True
    assert by_id[a.id]["username"] == a.username
    assert by_id[b.id]["email"] == b.email
    assert by_id[a.id]["is_admin"] is False
    assert "$2b$" not in r.text and "$argon2" not in r.text
    assert PASSWORD not in r.text


def test_admin_users_forbidden_for_non_admin(client, user):
    r = client.get("/admin/users", headers=user.headers)
    assert r.status_code == 403
    assert r.json() == {"detail": "Admin access required"}


# ---------------------------------------------------------------- 401 matrix

@pytest.mark.parametrize("method, path, body", PROTECTED, ids=PROTECTED_IDS)
@pytest.mark.parametrize("auth", [
    None, "", "Basic dXNlcjpwYXNz", "Token abc", "Digest x=y", "abc",
    "Bearerabc", "JWT abc",
], ids=["none", "empty", "basic", "token", "digest", "no-scheme",
        "glued", "jwt-scheme"])
def test_not_authenticated(client, method, path, body, auth):
    headers = {} if auth is None else {"Authorization": auth}
    r = call(client, method, path, body, headers)
    assert_401(r, NOT_AUTH)


def forged_tokens(secret, username):
    now = int(time.time())
    ok = {"sub": username, "exp": now + 600}
    yield "garbage", "garbage"
    yield "empty", ""          # "Bearer" with no credentials: a Bearer scheme
    yield "three-dots", "a.b.c"
    yield "empty-parts", ".."
    yield "wrong-key", jwt.encode(ok, secret + "x", algorithm="HS256")
    yield "expired", jwt.encode({"sub": username, "exp": now - 3600}, secret,
                                algorithm="HS256")
    yield "alg-none", unsigned_jwt(ok)
    yield "alg-none-upper", unsigned_jwt(ok, {"alg": "None", "typ": "JWT"})
    yield "hs512", jwt.encode(ok, secret, algorithm="HS512")
    yield "hs384", jwt.encode(ok, secret, algorithm="HS384")
    yield "no-sub", jwt.encode({"exp": now + 600}, secret, algorithm="HS256")
    yield "unknown-user", jwt.encode(
        {"sub": unique_name("ghost"), "exp": now + 600}, secret,
        algorithm="HS256")
    good = jwt.encode(ok, secret, algorithm="HS256")
    h, p, s = good.split(".")
    yield "no-signature", h + "." + p + "."
    yield "two-parts", h + "." + p
    flipped = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    yield "bad-signature", h + "." + p + "." + flipped
    other = b64url_json({"sub": username + "x", "exp": now + 600})
    yield "payload-swapped", h + "." + other + "." + s
    yield "not-json-payload", h + "." + b64url(b"not json") + "." + s


def test_rejected_tokens(client, admin, secret_key):
    for name, tok in forged_tokens(secret_key, admin.username):
        for method, path, body in PROTECTED:
            auth = ("Bearer " + tok) if tok else "Bearer"
            r = call(client, method, path, body, {"Authorization": auth})
            assert r.status_code == 401, (name, method, path, r.text)
            assert r.json() == BAD_CRED, (name, method, path)
            www = r.headers.get("www-authenticate", "")
            assert www.lower().startswith("bearer"), (name, www)


def test_rejected_tokens_without_secret(client, admin):
    # forgeries that need no key, so they also run against external servers
    now = int(time.time())
    for tok in ("garbage", "a.b.c", unsigned_jwt({"sub": admin.username,
                                                  "exp": now + 600})):
        r = client.get("/admin/users", headers=bearer(tok))
        assert_401(r, BAD_CRED)


@seed_defect("a token without exp is accepted forever")
def test_token_without_exp_is_rejected(client, user, secret_key):
    tok = jwt.encode({"sub": user.username}, secret_key, algorithm="HS256")
    r = client.get("/users/me", headers=bearer(tok))
    assert_401(r, BAD_CRED)


def test_unauthenticated_beats_validation_and_not_found(client):
    # the seed resolves the security dependency before validating the body
    # or the path and before looking the post up
    assert_401(client.post("/posts", json={"title": ""}), NOT_AUTH)
    assert_401(client.patch("/posts/999999999", json={"title": ""}), NOT_AUTH)
    assert_401(client.patch("/posts/abc", json={}), NOT_AUTH)
    assert_401(client.delete("/posts/abc"), NOT_AUTH)
    assert_401(client.delete("/posts/99999999999999999999",
                             headers=bearer("garbage")), BAD_CRED)


# ---------------------------------------------------------------- gatehouse

@pytest.mark.gatehouse
def test_me_alias(client, user):
    a = client.get("/users/me", headers=user.headers)
    b = client.get("/me", headers=user.headers)
    assert b.status_code == 200
    assert b.json() == a.json()
    assert_401(client.get("/me"), NOT_AUTH)


@pytest.mark.gatehouse
def test_user_response_extra_fields(client, user, admin):
    me = client.get("/users/me", headers=user.headers).json()
    assert me["role"] == "user" and me["is_active"] is True
    assert me["created_at"].endswith("Z")
    assert client.get("/users/me", headers=admin.headers).json()["role"] == "admin"
    for u in client.get("/admin/users", headers=admin.headers).json():
        assert u["is_admin"] == (u["role"] == "admin")
        assert u["created_at"].endswith("Z")


@pytest.mark.gatehouse
def test_rejected_token_says_invalid_token(client, user):
    r = client.get("/users/me", headers=bearer("garbage"))
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


@pytest.mark.gatehouse
def test_token_of_other_type_is_rejected(client, user, secret_key):
    _, claims, _ = jwt_parts(user.token)
    claims = dict(claims, type="refresh")
    tok = jwt.encode(claims, secret_key, algorithm="HS256")
    assert_401(client.get("/users/me", headers=bearer(tok)), BAD_CRED)
    claims.pop("type")
    tok = jwt.encode(claims, secret_key, algorithm="HS256")
    assert_401(client.get("/users/me", headers=bearer(tok)), BAD_CRED)
