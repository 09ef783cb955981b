"""Todos (seed 004, issue 4): private to their owner, another user's todo is
a 404 (for admins too), validation, paging."""

import re

import pytest

from ghtest import (NOT_AUTH, Client, assert_401, assert_422, is_int, make_todo,
                    new_full_user, parse_ts, unique_name, utcnow)

pytestmark = pytest.mark.gatehouse

NOT_FOUND = {"detail": "Todo not found"}
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"


def check_todo(d, owner=None):
    assert set(d) >= {"id", "title", "completed", "user_id", "created_at"}, d
    assert is_int(d["id"]) and d["id"] > 0
    assert isinstance(d["title"], str)
    assert isinstance(d["completed"], bool)
    assert re.fullmatch(TS_RE, d["created_at"]), d
    if owner is not None:
        assert d["user_id"] == owner.id


def todos(client, u, query=""):
    r = client.get("/todos" + query, headers=u.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, list)
    return body


# ---------------------------------------------------------------- create

def test_create_todo(client):
    u = new_full_user(client)
    before = utcnow()
    r = client.post("/todos", headers=u.headers, json={"title": "buy milk"})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    d = r.json()
    check_todo(d, u)
    assert d["title"] == "buy milk"
    assert d["completed"] is False                 # the default
    t = parse_ts(d["created_at"])
    assert abs((t - before).total_seconds()) < 60
    r = client.get(f"/todos/{d['id']}", headers=u.headers)
    assert r.status_code == 200
    assert r.json() == d


def test_create_completed_todo(client):
    u = new_full_user(client)
    d = make_todo(client, u.headers, title="done already", completed=True)
    assert d["completed"] is True


def test_create_ignores_owner_and_id_in_body(client):
    u = new_full_user(client)
    v = new_full_user(client)
    d = make_todo(client, u.headers, user_id=v.id, id=1, created_at="x")
    assert d["user_id"] == u.id
    assert [t["id"] for t in todos(client, v)] == []


@pytest.mark.parametrize("title", ["a", "x" * 200, "\u00e9" * 200,
                                   "\U0001F600" * 200, "  spaced  "])
def test_title_bounds_accepted(client, title):
    u = new_full_user(client)
    d = make_todo(client, u.headers, title=title)
    assert d["title"] == title


@pytest.mark.parametrize("body, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "\u00e9" * 201}, "title"),
    ({"title": None}, "title"),
    ({"title": 5}, "title"),
    ({"title": ["x"]}, "title"),
    ({}, "title"),
    ({"completed": True}, "title"),
    ({"title": "t", "completed": "yes"}, "completed"),
    ({"title": "t", "completed": 1}, "completed"),
    ({"title": "t", "completed": 0}, "completed"),
    ({"title": "t", "completed": "true"}, "completed"),
    ({"title": "t", "completed": None}, "completed"),
])
def test_create_validation(client, body, field):
    u = new_full_user(client)
    r = client.post("/todos", headers=u.headers, json=body)
    assert_422(r, ("body", field))
    assert todos(client, u) == []


def test_create_without_body_or_bad_json(client):
    u = new_full_user(client)
    assert_422(client.post("/todos", headers=u.headers))
    assert_422(client.post_json_bytes("/todos", b'{"title": "x"',
                                      headers=u.headers))
    assert_422(client.post("/todos", headers=u.headers, json=["title"]))


def test_todos_need_authentication(client):
    assert_401(client.get("/todos"), NOT_AUTH)
    assert_401(client.post("/todos", json={"title": "x"}), NOT_AUTH)
    assert_401(client.get("/todos/1"), NOT_AUTH)
    assert_401(client.patch("/todos/1", json={"title": "x"}), NOT_AUTH)
    assert_401(client.delete("/todos/1"), NOT_AUTH)


# ---------------------------------------------------------------- list

def test_list_is_own_and_ordered(client):
    u = new_full_user(client)
    v = new_full_user(client)
    mine = [make_todo(client, u.headers)["id"] for _ in range(3)]
    theirs = make_todo(client, v.headers)["id"]
    mine.append(make_todo(client, u.headers)["id"])
    got = todos(client, u)
    assert [t["id"] for t in got] == mine
    for t in got:
        check_todo(t, u)
    assert [t["id"] for t in todos(client, v)] == [theirs]


def test_admin_lists_only_own_todos(client, admin):
    u = new_full_user(client)
    tid = make_todo(client, u.headers)["id"]
    got = todos(client, admin)
    assert tid not in [t["id"] for t in got]
    assert all(t["user_id"] == admin.id for t in got)


def test_paging(client):
    u = new_full_user(client)
    ids = [make_todo(client, u.headers)["id"] for _ in range(5)]
    assert [t["id"] for t in todos(client, u, f"?limit=2&after_id={ids[0]}")] \
        == ids[1:3]
    assert [t["id"] for t in todos(client, u, f"?limit=3&after_id={ids[2]}")] \
        == ids[3:5]
    assert todos(client, u, f"?limit=1&after_id={ids[-1]}") == []
    assert [t["id"] for t in todos(client, u, "?limit=2")] == ids[:2]
    assert [t["id"] for t in todos(client, u, f"?after_id={ids[1]}")] == ids[2:]
    assert [t["id"] for t in todos(client, u, "?after_id=0")] == ids
    # paging never reaches into another user's todos
    v = new_full_user(client)
    make_todo(client, v.headers)
    assert [t["id"] for t in todos(client, u, f"?after_id={ids[-1]}")] == []


@pytest.mark.parametrize("query, name", [
    ("limit=abc", "limit"), ("after_id=x", "after_id"), ("limit=0", "limit"),
    ("limit=-1", "limit"), ("after_id=-1", "after_id"),
    ("limit=1.5", "limit")])
def test_paging_bad_query_is_422(client, query, name):
    u = new_full_user(client)
    r = client.get("/todos?" + query, headers=u.headers)
    assert_422(r, ("query", name))


# ---------------------------------------------------------------- get/patch/delete

# seed 004's frontend updates with PUT, sending only what changed: PUT
# means what PATCH means
UPDATE = pytest.mark.parametrize("method", ["PATCH", "PUT"])


@UPDATE
def test_patch_only_present_fields(client, method):
    u = new_full_user(client)
    d = make_todo(client, u.headers, title="first")
    r = client.request(method, f"/todos/{d['id']}", headers=u.headers,
                       json={"completed": True})
    assert r.status_code == 200, r.text
    p = r.json()
    check_todo(p, u)
    assert (p["title"], p["completed"]) == ("first", True)
    assert p["created_at"] == d["created_at"] and p["id"] == d["id"]
    r = client.request(method, f"/todos/{d['id']}", headers=u.headers,
                       json={"title": "second"})
    assert (r.json()["title"], r.json()["completed"]) == ("second", True)
    r = client.request(method, f"/todos/{d['id']}", headers=u.headers,
                       json={"title": "third", "completed": False,
                             "user_id": 1, "id": 1})
    p = r.json()
    assert (p["title"], p["completed"], p["user_id"], p["id"]) == \
        ("third", False, u.id, d["id"])
    r = client.request(method, f"/todos/{d['id']}", headers=u.headers, json={})
    assert r.status_code == 200
    assert client.get(f"/todos/{d['id']}", headers=u.headers).json() == r.json()


@pytest.mark.parametrize("body, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": None}, "title"),
    ({"completed": "yes"}, "completed"),
    ({"completed": 1}, "completed"),
    ({"completed": None}, "completed"),
])
@UPDATE
def test_patch_validation(client, body, field, method):
    u = new_full_user(client)
    d = make_todo(client, u.headers, title="keep")
    r = client.request(method, f"/todos/{d['id']}", headers=u.headers,
                       json=body)
    assert_422(r, ("body", field))
    assert client.get(f"/todos/{d['id']}", headers=u.headers).json() == d


def test_delete_todo(client):
    u = new_full_user(client)
    d = make_todo(client, u.headers)
    keep = make_todo(client, u.headers)
    r = client.delete(f"/todos/{d['id']}", headers=u.headers)
    assert r.status_code == 204
    assert r.content == b""
    r = client.get(f"/todos/{d['id']}", headers=u.headers)
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert client.delete(f"/todos/{d['id']}", headers=u.headers).status_code == 404
    assert client.patch(f"/todos/{d['id']}", headers=u.headers,
                        json={"title": "x"}).status_code == 404
    assert [t["id"] for t in todos(client, u)] == [keep["id"]]


@pytest.mark.parametrize("who", ["user", "admin"])
def test_other_users_todo_is_404(client, admin, who):
    owner = new_full_user(client)
    other = admin if who == "admin" else new_full_user(client)
    d = make_todo(client, owner.headers, title="private")
    for method, kw in (("GET", {}), ("PATCH", {"json": {"title": "mine"}}),
                       ("PATCH", {"json": {"completed": True}}),
                       ("PUT", {"json": {"completed": True}}),
                       ("DELETE", {})):
        r = client.request(method, f"/todos/{d['id']}", headers=other.headers,
                           **kw)
        assert r.status_code == 404, (method, r.text)
        assert r.json() == NOT_FOUND
    # unchanged and still there
    assert client.get(f"/todos/{d['id']}", headers=owner.headers).json() == d


def test_other_users_todo_looks_like_a_missing_one(client):
    owner = new_full_user(client)
    other = new_full_user(client)
    d = make_todo(client, owner.headers)
    a = client.get(f"/todos/{d['id']}", headers=other.headers)
    b = client.get("/todos/999999999", headers=other.headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    # with an invalid body too, whatever the order of the checks
    a = client.patch(f"/todos/{d['id']}", headers=other.headers,
                     json={"title": ""})
    b = client.patch("/todos/999999999", headers=other.headers,
                     json={"title": ""})
    assert (a.status_code, a.json()) == (b.status_code, b.json())


@pytest.mark.parametrize("tid", ["999999999", "0", "-1", "99999999999999999999"])
def test_unknown_todo_is_404(client, tid):
    u = new_full_user(client)
    for method, kw in (("GET", {}), ("PATCH", {"json": {"title": "x"}}),
                       ("PUT", {"json": {"title": "x"}}), ("DELETE", {})):
        r = client.request(method, f"/todos/{tid}", headers=u.headers, **kw)
        assert r.status_code == 404, (method, tid, r.text)
        assert r.json() == NOT_FOUND


@pytest.mark.parametrize("tid", ["abc", "1.5", "1e2"])
def test_non_integer_todo_id_is_422(client, tid):
    u = new_full_user(client)
    for method, kw in (("GET", {}), ("PATCH", {"json": {"title": "x"}}),
                       ("PUT", {"json": {"title": "x"}}), ("DELETE", {})):
        r = client.request(method, f"/todos/{tid}", headers=u.headers, **kw)
        assert_422(r)
        assert r.json()["detail"][0]["loc"][0] == "path", (method, r.text)


def test_todo_title_is_stored_exactly(client):
    u = new_full_user(client)
    title = unique_name('quote " back \\ slash \u2603 ')
    d = make_todo(client, u.headers, title=title)
    assert client.get(f"/todos/{d['id']}", headers=u.headers).json()["title"] \
        == title


# ---------------------------------------------------------------- seed 004's frontend

def test_seed_004_frontend_calls(spawn_server):
    """The requests seed 004's axios frontend sends, trailing slashes and
    PUT included, from another origin (CORS preflight first)."""
    origin = "http://localhost:3000"
    sp = spawn_server(env={"CORS_ORIGINS": origin}, name="frontend")
    c = Client(sp.url)
    try:
        u = new_full_user(c)
        h = dict(u.headers, Origin=origin)
        for method, path in (("GET", "/todos/"), ("POST", "/todos/"),
                             ("PUT", "/todos/1"), ("DELETE", "/todos/1/")):
            r = c.request("OPTIONS", path, headers={
                "Origin": origin, "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization,content-type"})
            assert r.status_code == 204, (method, path, r.text)
            assert r.headers["access-control-allow-origin"] == origin
            assert method in r.headers["access-control-allow-methods"], \
                (method, path, r.headers)
        r = c.post("/todos/", headers=h, json={"title": "from the frontend"})
        assert r.status_code == 201, r.text
        assert r.headers["access-control-allow-origin"] == origin
        d = r.json()
        r = c.get("/todos/", headers=h)
        assert r.status_code == 200 and [t["id"] for t in r.json()] == \
            [d["id"]], r.text
        r = c.put(f"/todos/{d['id']}", headers=h, json={"completed": True})
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["completed"]) == \
            ("from the frontend", True)
        r = c.put(f"/todos/{d['id']}/", headers=h, json={"title": "renamed"})
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["completed"]) == ("renamed", True)
        assert c.get(f"/todos/{d['id']}/", headers=h).json() == r.json()
        r = c.delete(f"/todos/{d['id']}/", headers=h)
        assert r.status_code == 204, r.text
        assert c.get("/todos/", headers=h).json() == []
    finally:
        c.close()
