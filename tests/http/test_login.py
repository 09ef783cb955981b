"""POST /auth/token (OAuth2 password flow) and the token it issues."""

import statistics
import time

import jwt
import pytest

from ghtest import (PASSWORD, Client, assert_oauth_error, bearer, jwt_parts,
                    login,
                    login_response, new_user, register, seed_defect,
                    unique_name)

WRONG = {"detail": "Incorrect username or password"}


def form_missing(*fields):
    return {"detail": [{"loc": ["body", f], "msg": "field required",
                        "type": "value_error.missing"} for f in fields]}


def test_login_returns_bearer_token(client, user):
    r = login_response(client, user.username, user.password)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "bearer"
    assert client.get("/users/me", headers=bearer(body["access_token"])) \
        .status_code == 200


def test_token_decodes_with_pyjwt(client, user, secret_key):
    token = login(client, user.username, user.password)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(token, secret_key, algorithms=["HS256"])
    assert claims["sub"] == user.username
    now = time.time()
    assert abs(claims["exp"] - (now + 30 * 60)) < 120, claims


def test_optional_oauth2_fields_are_accepted(client, user):
    r = login_response(client, user.username, user.password,
                       grant_type="password", scope="read write",
                       client_id="cli", client_secret="sec")
    assert r.status_code == 200
    assert r.json()["token_type"] == "bearer"


@pytest.mark.gatehouse
@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code",
                                   "Password", "x" * 300])
def test_unknown_grant_type_is_rfc6749_unsupported_grant_type(
        client, user, grant):
    # the seed answers 422 (pydantic's regex); OAuth2 clients read RFC 6749
    # section 5.2 errors here (docs/DECISIONS.md)
    r = login_response(client, user.username, user.password,
                       grant_type=grant)
    assert_oauth_error(r, "unsupported_grant_type")
    # the refused request is not a login attempt: the user still logs in
    r = login_response(client, user.username, user.password)
    assert r.status_code == 200, r.text


def test_wrong_password_is_401(client, user):
    r = login_response(client, user.username, user.password + "x")
    assert r.status_code == 401
    assert r.json() == WRONG


def test_unknown_user_is_401_like_wrong_password(client):
    r = login_response(client, unique_name("ghost"), PASSWORD)
    assert r.status_code == 401
    assert r.json() == WRONG


def test_username_is_case_sensitive_at_login(client):
    name = unique_name("Case")
    assert register(client, name).status_code == 201
    r = login_response(client, name.lower(), PASSWORD)
    assert r.status_code == 401
    assert r.json() == WRONG


@seed_defect("/auth/token 401 carries no WWW-Authenticate header")
def test_login_401_carries_www_authenticate(client, user):
    for name in (user.username, unique_name("ghost")):
        r = login_response(client, name, "wrong password")
        assert r.status_code == 401
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


@seed_defect("bcrypt ignores everything after the 72nd byte of a password")
def test_password_differing_after_72_bytes_is_rejected(client):
    pw = "a" * 80
    u = new_user(client, login_too=False, password=pw)
    r = login_response(client, u.username, "a" * 72 + "b" * 8)
    assert r.status_code == 401
    assert r.json() == WRONG


@pytest.mark.parametrize("form, expected", [
    ({"username": "x"}, form_missing("password")),
    ({"password": "x"}, form_missing("username")),
    ({}, form_missing("username", "password")),
    ({"username": "", "password": ""}, form_missing("username", "password")),
])
def test_missing_form_fields_are_422(client, form, expected):
    r = client.post("/auth/token", data=form)
    assert r.status_code == 422
    assert r.json() == expected


def test_json_body_is_not_a_form(client, user):
    r = client.post("/auth/token", json={"username": user.username,
                                         "password": user.password})
    assert r.status_code == 422
    assert r.json() == form_missing("username", "password")


def test_no_body_is_422(client):
    r = client.post("/auth/token")
    assert r.status_code == 422
    assert r.json() == form_missing("username", "password")


def test_each_login_gives_a_working_token(client, user):
    t1 = login(client, user.username, user.password)
    t2 = login(client, user.username, user.password)
    for t in (t1, t2):
        assert client.get("/users/me", headers=bearer(t)).status_code == 200


@seed_defect("unknown users skip the password hash (timing oracle)")
def test_unknown_user_costs_like_wrong_password(server, user):
    c = Client(server.url)
    try:
        login_response(c, user.username, "warm up")      # open the connection
        known, unknown = [], []
        for _ in range(9):
            t0 = time.perf_counter()
            assert login_response(c, user.username, "wrong pass").status_code == 401
            known.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert login_response(c, unique_name("ghost"), "wrong pass") \
                .status_code == 401
            unknown.append(time.perf_counter() - t0)
    finally:
        c.close()
    # a check that the hash is not skipped (the seed answers an unknown user
    # in about 1% of a known one's time), with room for a loaded machine:
    # the fine comparison is bench/timing.py's, a benchmark, not a test
    k, u = statistics.median(known), statistics.median(unknown)
    assert 0.25 * k <= u <= 4.0 * k + 0.005, (known, unknown)


# ---------------------------------------------------------------- gatehouse

@pytest.mark.gatehouse
def test_auth_login_is_an_alias(client, user):
    r = login_response(client, user.username, user.password, path="/auth/login")
    assert r.status_code == 200
    assert r.json()["token_type"] == "bearer"
    assert client.get("/users/me", headers=bearer(r.json()["access_token"])) \
        .status_code == 200
    r = login_response(client, user.username, "wrong", path="/auth/login")
    assert r.status_code == 401
    assert r.json() == WRONG


@pytest.mark.gatehouse
def test_token_gatehouse_claims(client, user, admin, secret_key):
    t = login(client, user.username, user.password)
    c = jwt.decode(t, secret_key, algorithms=["HS256"])
    now = time.time()
    assert c["sub"] == user.username
    assert c["uid"] == user.id
    assert c["role"] == "user"
    assert c["type"] == "access"
    assert isinstance(c["jti"], str) and len(c["jti"]) >= 16
    assert abs(c["iat"] - now) < 60
    assert c["exp"] - c["iat"] == 30 * 60
    t2 = login(client, user.username, user.password)
    assert jwt.decode(t2, secret_key, algorithms=["HS256"])["jti"] != c["jti"]
    ta = login(client, admin.username, admin.password)
    ca = jwt.decode(ta, secret_key, algorithms=["HS256"])
    assert ca["role"] == "admin" and ca["uid"] == admin.id


@pytest.mark.gatehouse
def test_token_header_is_plain_hs256(client, user):
    h, _, _ = jwt_parts(login(client, user.username, user.password))
    assert h["alg"] == "HS256"
    assert h.get("typ", "JWT") == "JWT"
