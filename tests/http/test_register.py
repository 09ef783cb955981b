"""POST /auth/register (API.md Part 1).

The 422 bodies are the exact ones FastAPI 0.92 / pydantic 1.10 produce for
the seed's UserCreate model (probed against the reference app).
"""

import re
import uuid

import pytest

from ghtest import (PASSWORD, check_user_response, is_int, login,
                    login_response, new_user, register, seed_defect,
                    unique_email, unique_name)

EMOJI = "\U0001F600"    # 4 bytes in UTF-8, one code point


def err(loc, msg, typ, ctx=None):
    e = {"loc": loc, "msg": msg, "type": typ}
    if ctx is not None:
        e["ctx"] = ctx
    return e


def min_len(field, n):
    return err(["body", field], f"ensure this value has at least {n} characters",
               "value_error.any_str.min_length", {"limit_value": n})


def max_len(field, n):
    return err(["body", field], f"ensure this value has at most {n} characters",
               "value_error.any_str.max_length", {"limit_value": n})


def missing(*loc):
    return err(list(loc), "field required", "value_error.missing")


def not_str(field):
    return err(["body", field], "str type expected", "type_error.str")


def bad_email():
    return err(["body", "email"], "value is not a valid email address",
               "value_error.email")


def email_of_length(n):
    """A syntactically valid, unique address of exactly n characters."""
    local = uuid.uuid4().hex + "x" * 32                  # 64, the maximum
    domain_len = n - len(local) - 1
    assert domain_len >= 8
    return local + "@" + "d" * (domain_len - 4) + ".com"


# ---------------------------------------------------------------- success

def test_first_user_is_admin(first_user):
    if not first_user.fresh:
        pytest.skip("server was not fresh when the session started")
    r = first_user.response
    assert r.status_code == 201, r.text
    check_user_response(r.json(), PASSWORD)
    assert r.json()["is_admin"] is True


def test_register_returns_user_response(client):
    name = unique_name()
    email = unique_email(name)
    r = register(client, name, email)
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    check_user_response(body, PASSWORD)
    assert body["username"] == name
    assert body["email"] == email
    assert body["is_admin"] is False


def test_later_users_are_not_admin(client, first_user):
    a = new_user(client, login_too=False)
    b = new_user(client, login_too=False)
    assert a.is_admin is False and b.is_admin is False
    assert b.id > a.id


def test_register_ignores_privileged_and_unknown_fields(client):
    name = unique_name()
    r = register(client, name, is_admin=True, id=1, role="admin",
                 hashed_password="x", unknown={"nested": [1, 2]})
    assert r.status_code == 201
    body = r.json()
    assert body["is_admin"] is False
    assert body["id"] != 1
    if "role" in body:
        assert body["role"] != "admin"


def test_registered_user_can_log_in(client):
    u = new_user(client)
    me = client.get("/users/me", headers=u.headers)
    assert me.status_code == 200
    assert me.json()["id"] == u.id


@seed_defect("a name differing only in case registers beside the other")
def test_usernames_differing_only_in_case_are_one_name(client):
    # RFC 8265: "Admin" cannot register beside "admin" (409); the name is
    # kept as typed, and logging in takes it exactly as registered
    base = unique_name("Mixed")
    # own e-mails: an address derived from the name would clash by case
    lower = register(client, base.lower(), unique_email())
    assert lower.status_code == 201
    upper = register(client, base.upper(), unique_email())
    assert upper.status_code == 409, upper.text
    mixed = unique_name("CamelCase")
    r = register(client, mixed, unique_email())
    assert r.status_code == 201 and r.json()["username"] == mixed
    assert login_response(client, mixed, PASSWORD).status_code == 200


@seed_defect("look-alike usernames (spaces, controls, format characters) "
             "register")
@pytest.mark.parametrize("name, why", [
    ("  {} ", "username must not contain spaces"),
    ("{} ", "username must not contain spaces"),
    ("ad min{}", "username must not contain spaces"),
    (" ", "username must not contain spaces"),
    ("ad\nmin{}", "username must not contain spaces"),
    ("\x01{}", "username contains a character that is not allowed"),
    ("{}\u200b", "username contains a character that is not allowed"),
    ("\u202e{}", "username contains a character that is not allowed"),
    ("\uff41{}", "username contains a full-width or half-width form"),
    ("Zoe\u0308{}", "username is not in Unicode normalization form C"),
])
def test_look_alike_usernames_are_422(client, name, why):
    # never stripped or rewritten: refused, and nothing is created
    r = register(client, name.format(unique_name()))
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["loc"] == ["body", "username"], d
    assert d["msg"].startswith(why), d


@pytest.mark.parametrize("name", ["Zo\u00eb", "\u30e6\u30fc\u30b6\u30fc",
                                  "\u00c5ngstr\u00f6m", "jos\u00e9.o'neil"])
def test_ordinary_unicode_usernames_register(client, name):
    name = name + unique_name("")[-6:]
    r = register(client, name, unique_email())
    assert r.status_code == 201, r.text
    assert r.json()["username"] == name


def test_email_domain_is_lowercased_local_part_kept(client):
    local = "Mixed.Case." + uuid.uuid4().hex[:8]
    r = register(client, email=local + "@EXAMPLE.Com")
    assert r.status_code == 201
    assert r.json()["email"] == local + "@example.com"


# ---------------------------------------------------------------- conflicts

def test_duplicate_username_is_409(client):
    u = new_user(client, login_too=False)
    r = register(client, u.username, unique_email())
    assert r.status_code == 409
    assert r.json() == {"detail": "Username or email already exists"}


def test_duplicate_email_is_409(client):
    u = new_user(client, login_too=False)
    r = register(client, unique_name(), u.email)
    assert r.status_code == 409
    assert r.json() == {"detail": "Username or email already exists"}


def test_duplicate_email_with_other_domain_case_is_409(client):
    u = new_user(client, login_too=False)
    local, domain = u.email.split("@")
    r = register(client, unique_name(), local + "@" + domain.upper())
    assert r.status_code == 409
    assert r.json() == {"detail": "Username or email already exists"}


@seed_defect("e-mail uniqueness is case-sensitive in the local part")
def test_duplicate_email_differing_in_case_is_409(client):
    u = new_user(client, login_too=False)
    r = register(client, unique_name(), u.email.upper())
    assert r.status_code == 409
    assert r.json() == {"detail": "Username or email already exists"}


@seed_defect("username of one user + e-mail of another -> 500 "
             "(MultipleResultsFound)")
def test_username_of_one_and_email_of_another_is_409(client):
    a = new_user(client, login_too=False)
    b = new_user(client, login_too=False)
    r = register(client, a.username, b.email)
    assert r.status_code == 409
    assert r.json() == {"detail": "Username or email already exists"}


def test_conflict_creates_nothing(client):
    u = new_user(client, login_too=False)
    r = register(client, u.username, unique_email(), password="other password")
    assert r.status_code == 409
    # the original password still works, the new one does not
    assert login_response(client, u.username, "other password").status_code == 401
    login(client, u.username, u.password)


# ---------------------------------------------------------------- lengths

def test_username_length_bounds(client):
    name50 = (unique_name() + "x" * 50)[:50]
    assert register(client, name50).status_code == 201
    name51 = (unique_name() + "x" * 51)[:51]
    r = register(client, name51)
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("username", 50)]}


def test_username_of_one_character(client):
    # single characters run out fast on a shared server: pick an unusual one
    for ch in ("\u4e00\u4e01\u4e02\u4e03\u4e04\u4e05\u4e06\u4e07\u4e08\u4e09"
               + "".join(chr(0x4E10 + i) for i in range(200))):
        r = register(client, ch)
        if r.status_code == 201:
            assert r.json()["username"] == ch
            return
        assert r.status_code == 409
    pytest.skip("every candidate one-character username is taken")


def test_empty_username_is_422(client):
    r = register(client, "")
    assert r.status_code == 422
    assert r.json() == {"detail": [min_len("username", 1)]}


LETTER4 = "\U00020000"


def test_length_limits_count_code_points_not_bytes(client):
    prefix = uuid.uuid4().hex[:10]
    # a letter of 4 UTF-8 bytes (CJK Ext. B; an emoji is a symbol, which
    # RFC 8265 does not allow in a username)
    name50 = prefix + LETTER4 * 40                     # 50 code points, 170 bytes
    pw128 = EMOJI * 120 + "\u00e9\u20ac" * 4           # 128 code points
    r = register(client, name50, password=pw128)
    assert r.status_code == 201, r.text
    assert r.json()["username"] == name50
    login(client, name50, pw128)

    r = register(client, prefix + LETTER4 * 41)        # 51 code points
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("username", 50)]}

    r = register(client, unique_name(), password=EMOJI * 129)
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("password", 128)]}


def test_password_length_bounds(client):
    assert register(client, password="12345678").status_code == 201
    assert register(client, password="p" * 128).status_code == 201
    r = register(client, password="1234567")
    assert r.status_code == 422
    assert r.json() == {"detail": [min_len("password", 8)]}
    r = register(client, password="p" * 129)
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("password", 128)]}


def test_email_length_bounds(client):
    e120 = email_of_length(120)
    assert len(e120) == 120
    r = register(client, email=e120)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == e120
    e121 = email_of_length(121)
    r = register(client, email=e121)
    assert r.status_code == 422
    assert r.json() == {"detail": [err(
        ["body", "email"], "ensure this value has at most 120 characters",
        "value_error")]}


# ---------------------------------------------------------------- 422 shapes

@pytest.mark.parametrize("email", [
    "bad", "no-at.example.com", "a@", "@example.com", "a b@example.com",
    "a@b", "a@@example.com", "a@example..com", "", "a@localhost",
])
def test_invalid_email_is_422(client, email):
    r = register(client, email=email)
    assert r.status_code == 422
    assert r.json() == {"detail": [bad_email()]}


@pytest.mark.parametrize("value", [123, 1.5, True, [], ["a"], {}, {"a": "b"}])
def test_non_string_fields_are_422(client, value):
    r = client.post("/auth/register", json={
        "username": value, "email": unique_email(), "password": value})
    assert r.status_code == 422
    assert r.json() == {"detail": [not_str("username"), not_str("password")]}


def test_non_string_email_is_422(client):
    r = client.post("/auth/register", json={
        "username": unique_name(), "email": 5, "password": PASSWORD})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "email"]


def test_null_field_is_422(client):
    r = client.post("/auth/register", json={
        "username": None, "email": unique_email(), "password": PASSWORD})
    assert r.status_code == 422
    assert r.json() == {"detail": [err(["body", "username"],
                                       "none is not an allowed value",
                                       "type_error.none.not_allowed")]}


def test_missing_field_is_422(client):
    r = client.post("/auth/register", json={
        "email": unique_email(), "password": PASSWORD})
    assert r.status_code == 422
    assert r.json() == {"detail": [missing("body", "username")]}


def test_all_fields_missing_in_order(client):
    r = client.post("/auth/register", json={})
    assert r.status_code == 422
    assert r.json() == {"detail": [missing("body", "username"),
                                   missing("body", "email"),
                                   missing("body", "password")]}


def test_several_errors_in_field_order(client):
    r = client.post("/auth/register", json={
        "username": "x" * 51, "email": "bad", "password": "short"})
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("username", 50), bad_email(),
                                   min_len("password", 8)]}


# (the seed treats an empty list like {}, a FastAPI quirk no client relies on)
@pytest.mark.parametrize("raw", [b"[1, 2]", b'[{"username": "x"}]', b'"text"',
                                 b"123", b"true", b"1.5"])
def test_body_not_an_object_is_422(client, raw):
    r = client.post_json_bytes("/auth/register", raw)
    assert r.status_code == 422
    assert r.json() == {"detail": [err(["body"], "value is not a valid dict",
                                       "type_error.dict")]}


@pytest.mark.parametrize("raw", [None, b"", b"null"])
def test_missing_body_is_422(client, raw):
    if raw is None:
        r = client.post("/auth/register")
    else:
        r = client.post_json_bytes("/auth/register", raw)
    assert r.status_code == 422
    assert r.json() == {"detail": [missing("body")]}


@pytest.mark.parametrize("raw", [
    b"{bad", b'{"username": "x",}', b'{"username":"x"', b'{"username":"x"} x',
    b"{'username': 'x'}", b'{"username": "x" "email": "y"}',
])
def test_malformed_json_is_422(client, raw):
    r = client.post_json_bytes("/auth/register", raw)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, list) and len(detail) == 1
    e = detail[0]
    assert e["type"] == "value_error.jsondecode"
    assert e["loc"][0] == "body" and len(e["loc"]) == 2
    assert is_int(e["loc"][1]), e["loc"]
    assert 0 <= e["loc"][1] <= len(raw)
    assert isinstance(e["msg"], str) and e["msg"]


def test_validation_error_creates_nothing(client):
    name = unique_name()
    r = register(client, name, password="short")
    assert r.status_code == 422
    assert login_response(client, name, "short").status_code == 401
    assert register(client, name).status_code == 201


# ---------------------------------------------------------------- gatehouse

@pytest.mark.gatehouse
def test_register_response_extra_fields(client):
    r = register(client)
    assert r.status_code == 201
    body = r.json()
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                        body["created_at"]), body["created_at"]


@pytest.mark.gatehouse
def test_first_user_role_is_admin(first_user):
    if not first_user.fresh:
        pytest.skip("server was not fresh when the session started")
    assert first_user.response.json()["role"] == "admin"
