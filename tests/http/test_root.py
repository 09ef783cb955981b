"""GET /, unknown paths, wrong methods, health endpoints."""

import pytest


def test_root_message(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["message"]
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize("path", [
    "/nope", "/users", "/admin", "/auth", "/posts/1/extra", "/users/me/x",
    "/auth/register/x", "/%00",
])
def test_unknown_path_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/"),
    ("POST", "/"),
    ("PUT", "/posts"),
    ("DELETE", "/posts"),
    ("GET", "/auth/token"),
    ("GET", "/auth/register"),
    ("POST", "/users/me"),
    ("POST", "/admin/users"),
    ("GET", "/posts/1"),
    ("PUT", "/posts/1"),
])
def test_wrong_method_is_405(client, method, path):
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}


@pytest.mark.gatehouse
def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.gatehouse
def test_readyz(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.gatehouse
def test_json_content_type_has_charset(client):
    # API.md conventions: application/json; charset=utf-8
    r = client.get("/")
    ct = r.headers["content-type"].replace(" ", "").lower()
    assert ct == "application/json;charset=utf-8"
