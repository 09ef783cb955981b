"""Paths as FastAPI clients send them: every route answers with or without
one trailing slash, served in place (no redirect, so a POST body and a CORS
preflight survive), while /openapi.json keeps one spelling."""

import pytest

from ghtest import (PASSWORD, assert_401, bearer, new_full_user, unique_email,
                    unique_name)

pytestmark = pytest.mark.gatehouse


def no_redirect(r):
    assert not r.history and r.status_code not in (301, 302, 307, 308), \
        (r.status_code, r.headers.get("location"))
    return r


def test_trailing_slash_is_served_in_place(client):
    name = unique_name("slash")
    r = no_redirect(client.post("/auth/register/", json={
        "username": name, "email": unique_email(name), "password": PASSWORD}))
    assert r.status_code == 201, r.text
    r = no_redirect(client.post("/auth/token/", data={
        "username": name, "password": PASSWORD}))
    assert r.status_code == 200, r.text
    h = bearer(r.json()["access_token"])
    for path in ("/users/me/", "/me/"):
        r = no_redirect(client.get(path, headers=h))
        assert r.status_code == 200 and r.json()["username"] == name, path
    r = no_redirect(client.post("/posts/", headers=h,
                                json={"title": "t", "content": "c"}))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = no_redirect(client.patch(f"/posts/{pid}/", headers=h,
                                 json={"title": "t2"}))
    assert r.status_code == 200 and r.json()["title"] == "t2", r.text
    r = no_redirect(client.get("/posts/?limit=1000"))
    assert r.status_code == 200 and pid in [p["id"] for p in r.json()]
    r = no_redirect(client.delete(f"/posts/{pid}/", headers=h))
    assert r.status_code == 204, r.text
    for path in ("/healthz/", "/readyz/", "/openapi.json/"):
        assert no_redirect(client.get(path)).status_code == 200, path


def test_trailing_slash_keeps_the_guards(client):
    # the same row, so the same guard, body checks and method list
    assert_401(client.get("/users/me/"), {"detail": "Not authenticated"})
    u = new_full_user(client)
    r = client.post("/todos/", headers=u.headers, json={"title": ""})
    assert r.status_code == 422, r.text
    r = client.request("PATCH", "/posts/")
    assert r.status_code == 405, r.text
    assert set(r.headers["allow"].replace(" ", "").split(",")) == \
        {"GET", "HEAD", "POST"}


@pytest.mark.parametrize("path", ["/healthz//", "//healthz", "/users//me",
                                  "/posts/1//"])
def test_other_slash_shapes_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code, r.text)


def test_openapi_keeps_one_spelling(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p != "/" and p.endswith("/")], paths
    assert "put" in paths["/todos/{todo_id}"]
