"""CORS (seed 004, issue 4): CORS_ORIGINS, preflight answers, credentials
only for listed origins, nothing when CORS is off.  Private servers."""

import pytest

from ghtest import bearer, new_full_user, private_client

pytestmark = pytest.mark.gatehouse

APP = "https://app.example.com"
OTHER = "https://evil.example.net"


def tokens(value):
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def preflight(c, path, origin, method="GET", headers="authorization"):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return c.request("OPTIONS", path, headers=h)


def cors_headers(r):
    return {k.lower(): v for k, v in r.headers.items()
            if k.lower().startswith("access-control-")}


@pytest.fixture
def cors_server(spawn_server):
    clients = []

    def start(origins):
        env = {} if origins is None else {"CORS_ORIGINS": origins}
        sp = spawn_server(env=env)
        c = private_client(sp)
        clients.append(c)
        u = new_full_user(c)
        return c, u
    yield start
    for c in clients:
        c.close()


def test_preflight_for_listed_origin(cors_server):
    c, u = cors_server(APP)
    r = preflight(c, "/users/me", APP)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert r.headers.get("access-control-allow-origin") == APP
    assert "get" in tokens(r.headers.get("access-control-allow-methods"))
    assert "authorization" in tokens(r.headers.get("access-control-allow-headers"))
    assert r.headers.get("access-control-allow-credentials") == "true"
    assert "origin" in tokens(r.headers.get("vary"))


def test_preflight_for_post_with_json(cors_server):
    c, u = cors_server(APP)
    r = preflight(c, "/posts", APP, method="POST",
                  headers="authorization, content-type")
    assert r.status_code == 204
    assert r.headers.get("access-control-allow-origin") == APP
    assert "post" in tokens(r.headers.get("access-control-allow-methods"))
    allowed = tokens(r.headers.get("access-control-allow-headers"))
    assert "authorization" in allowed and "content-type" in allowed
    r = preflight(c, "/auth/token", APP, method="POST", headers=None)
    assert r.status_code == 204
    assert r.headers.get("access-control-allow-origin") == APP


def test_preflight_needs_no_authentication(cors_server):
    c, u = cors_server(APP)
    r = preflight(c, "/admin/users", APP)
    assert r.status_code == 204
    assert r.headers.get("access-control-allow-origin") == APP


def test_actual_request_from_listed_origin(cors_server):
    c, u = cors_server(APP)
    h = dict(bearer(u.token), Origin=APP)
    r = c.get("/users/me", headers=h)
    assert r.status_code == 200
    assert r.json()["id"] == u.id
    assert r.headers.get("access-control-allow-origin") == APP
    assert r.headers.get("access-control-allow-credentials") == "true"
    assert "origin" in tokens(r.headers.get("vary"))
    # error responses carry the headers too, so the browser shows them
    r = c.get("/users/me", headers={"Origin": APP})
    assert r.status_code == 401
    assert r.headers.get("access-control-allow-origin") == APP
    assert "origin" in tokens(r.headers.get("vary"))


def test_unlisted_origin_gets_nothing(cors_server):
    c, u = cors_server(APP)
    r = preflight(c, "/users/me", OTHER)
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-credentials" not in r.headers
    r = c.get("/users/me", headers=dict(bearer(u.token), Origin=OTHER))
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-credentials" not in r.headers
    # a near miss is not a match
    for near in (APP + ".evil.net", "http://app.example.com",
                 "https://app.example.com:8443", APP + "/"):
        r = c.get("/", headers={"Origin": near})
        assert r.headers.get("access-control-allow-origin") != near, near
        assert "access-control-allow-origin" not in r.headers, near


def test_several_origins(cors_server):
    other_app = "https://admin.example.com"
    c, u = cors_server(f"{APP}, {other_app}")
    for o in (APP, other_app):
        r = c.get("/", headers={"Origin": o})
        assert r.headers.get("access-control-allow-origin") == o
        r = preflight(c, "/users/me", o)
        assert r.status_code == 204
        assert r.headers.get("access-control-allow-origin") == o
    r = c.get("/", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in r.headers


def test_no_origin_header_no_cors(cors_server):
    c, u = cors_server(APP)
    r = c.get("/users/me", headers=u.headers)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("origins", [None, ""])
def test_cors_off(cors_server, origins):
    c, u = cors_server(origins)
    r = preflight(c, "/users/me", APP)
    assert cors_headers(r) == {}, r.headers
    r = c.get("/users/me", headers=dict(bearer(u.token), Origin=APP))
    assert r.status_code == 200
    assert cors_headers(r) == {}, r.headers


def test_wildcard(cors_server):
    c, u = cors_server("*")
    for o in (APP, OTHER):
        r = preflight(c, "/users/me", o)
        assert r.status_code == 204
        assert r.headers.get("access-control-allow-origin") == "*"
        assert "access-control-allow-credentials" not in r.headers
        assert "get" in tokens(r.headers.get("access-control-allow-methods"))
        assert "authorization" in tokens(
            r.headers.get("access-control-allow-headers"))
        r = c.get("/users/me", headers=dict(bearer(u.token), Origin=o))
        assert r.status_code == 200
        assert r.headers.get("access-control-allow-origin") == "*"
        assert "access-control-allow-credentials" not in r.headers


def test_options_without_preflight_headers_is_harmless(cors_server):
    c, u = cors_server(APP)
    r = c.request("OPTIONS", "/users/me")
    assert r.status_code < 500
