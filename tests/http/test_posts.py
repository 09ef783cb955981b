"""POST/GET /posts, PATCH/DELETE /posts/{post_id} (API.md Part 1)."""

import datetime as dt
import re

import pytest

from ghtest import (check_post_response, parse_ts, seed_defect,
                    unique_name, utcnow)

NOT_FOUND = {"detail": "Post not found"}
NO_UPDATE = {"detail": "Only the owner or an admin can update this post"}
NO_DELETE = {"detail": "Only the owner or an admin can delete this post"}
PATH_NOT_INT = {"loc": ["path", "post_id"], "msg": "value is not a valid integer",
                "type": "type_error.integer"}
BODY_MISSING = {"loc": ["body"], "msg": "field required",
                "type": "value_error.missing"}


def min_len(field, n):
    return {"loc": ["body", field], "msg": f"ensure this value has at least {n} characters",
            "type": "value_error.any_str.min_length", "ctx": {"limit_value": n}}


def max_len(field, n):
    return {"loc": ["body", field], "msg": f"ensure this value has at most {n} characters",
            "type": "value_error.any_str.max_length", "ctx": {"limit_value": n}}


def not_str(field):
    return {"loc": ["body", field], "msg": "str type expected", "type": "type_error.str"}


def make_post(client, user, title=None, content="some content"):
    r = client.post("/posts", headers=user.headers,
                    json={"title": title or unique_name("title "), "content": content})
    assert r.status_code == 201, r.text
    return r.json()


def all_posts(client):
    r = client.get("/posts")
    assert r.status_code == 200
    return r.json()


def find(posts, pid):
    return next((p for p in posts if p["id"] == pid), None)


# ---------------------------------------------------------------- create

def test_create_post(client, user):
    before = utcnow()
    r = client.post("/posts", headers=user.headers,
                    json={"title": "Hello", "content": "World"})
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/json")
    p = r.json()
    check_post_response(p)
    assert p["title"] == "Hello" and p["content"] == "World"
    assert p["user_id"] == user.id
    t = parse_ts(p["date_posted"])
    assert before - dt.timedelta(seconds=60) <= t <= utcnow() + dt.timedelta(seconds=60)


def test_create_ignores_user_id_id_and_date_in_body(client, user, admin):
    r = client.post("/posts", headers=user.headers, json={
        "title": "t", "content": "c", "user_id": admin.id, "id": 1,
        "date_posted": "2000-01-01T00:00:00Z", "extra": [1, {"a": None}]})
    assert r.status_code == 201
    p = r.json()
    assert p["user_id"] == user.id
    assert parse_ts(p["date_posted"]).year != 2000
    assert find(all_posts(client), p["id"])["user_id"] == user.id


def test_create_length_bounds(client, user):
    assert make_post(client, user, title="x" * 100)["title"] == "x" * 100
    assert make_post(client, user, title="\U0001F600" * 100)["title"] == "\U0001F600" * 100
    assert make_post(client, user, title="t", content="c")["content"] == "c"
    big = "long content " * 5000
    assert make_post(client, user, content=big)["content"] == big
    r = client.post("/posts", headers=user.headers,
                    json={"title": "\U0001F600" * 101, "content": "c"})
    assert r.status_code == 422
    assert r.json() == {"detail": [max_len("title", 100)]}


@pytest.mark.parametrize("body, detail", [
    ({"title": "", "content": ""}, [min_len("title", 1), min_len("content", 1)]),
    ({"title": "x" * 101, "content": "c"}, [max_len("title", 100)]),
    ({"title": 5, "content": "c"}, [not_str("title")]),
    ({"title": "t", "content": ["c"]}, [not_str("content")]),
    ({"title": "t", "content": None}, [{"loc": ["body", "content"],
                                        "msg": "none is not an allowed value",
                                        "type": "type_error.none.not_allowed"}]),
    ({"title": "t"}, [{"loc": ["body", "content"], "msg": "field required",
                       "type": "value_error.missing"}]),
    ({}, [{"loc": ["body", "title"], "msg": "field required",
           "type": "value_error.missing"},
          {"loc": ["body", "content"], "msg": "field required",
           "type": "value_error.missing"}]),
    (["t", "c"], [{"loc": ["body"], "msg": "value is not a valid dict",
                   "type": "type_error.dict"}]),
], ids=["empty", "long-title", "int-title", "list-content", "null-content",
        "no-content", "no-fields", "list-body"])
def test_create_validation(client, user, body, detail):
    r = client.post("/posts", headers=user.headers, json=body)
    assert r.status_code == 422
    assert r.json() == {"detail": detail}


def test_create_without_body(client, user):
    r = client.post("/posts", headers=user.headers)
    assert r.status_code == 422
    assert r.json() == {"detail": [BODY_MISSING]}


def test_create_malformed_json(client, user):
    r = client.post_json_bytes("/posts", b'{"title": "t", "content": }',
                               headers=user.headers)
    assert r.status_code == 422
    e = r.json()["detail"][0]
    assert e["type"] == "value_error.jsondecode"
    assert e["loc"][0] == "body" and isinstance(e["loc"][1], int)


# ---------------------------------------------------------------- list

def test_list_posts_is_public_and_ordered_by_id(client, user, other_user):
    mine = [make_post(client, user)["id"] for _ in range(2)]
    theirs = make_post(client, other_user)["id"]
    mine.append(make_post(client, user)["id"])
    r = client.get("/posts")
    assert r.status_code == 200
    posts = r.json()
    assert isinstance(posts, list)
    ids = [p["id"] for p in posts]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for p in posts:
        check_post_response(p)
    assert find(posts, theirs)["user_id"] == other_user.id
    for pid in mine:
        assert find(posts, pid)["user_id"] == user.id


def test_list_posts_ignores_authorization(client, user):
    pid = make_post(client, user)["id"]
    r = client.get("/posts", headers={"Authorization": "Bearer garbage"})
    assert r.status_code == 200
    assert find(r.json(), pid) is not None


# ---------------------------------------------------------------- update

def test_owner_updates_only_present_fields(client, user):
    p = make_post(client, user, title="old title", content="old content")
    r = client.patch(f"/posts/{p['id']}", headers=user.headers,
                     json={"title": "new title"})
    assert r.status_code == 200
    q = r.json()
    check_post_response(q)
    assert q == dict(p, title="new title")
    r = client.patch(f"/posts/{p['id']}", headers=user.headers,
                     json={"content": "new content", "user_id": 1, "id": 5})
    assert r.status_code == 200
    assert r.json() == dict(p, title="new title", content="new content")
    r = client.patch(f"/posts/{p['id']}", headers=user.headers, json={})
    assert r.status_code == 200
    assert r.json() == dict(p, title="new title", content="new content")
    assert find(all_posts(client), p["id"]) == r.json()


def test_other_user_cannot_update(client, user, other_user):
    p = make_post(client, user)
    r = client.patch(f"/posts/{p['id']}", headers=other_user.headers,
                     json={"title": "hijack"})
    assert r.status_code == 403
    assert r.json() == NO_UPDATE
    assert find(all_posts(client), p["id"]) == p


def test_admin_can_update_any_post(client, user, admin):
    p = make_post(client, user)
    r = client.patch(f"/posts/{p['id']}", headers=admin.headers,
                     json={"content": "moderated"})
    assert r.status_code == 200
    assert r.json() == dict(p, content="moderated")
    assert r.json()["user_id"] == user.id


def test_update_missing_post_is_404(client, user):
    r = client.patch("/posts/987654321", headers=user.headers, json={"title": "x"})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


@pytest.mark.parametrize("pid", ["0", "-1", "9223372036854775807"])
def test_update_edge_ids_are_404(client, user, pid):
    r = client.patch(f"/posts/{pid}", headers=user.headers, json={"title": "x"})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


@pytest.mark.parametrize("body, detail", [
    ({"title": ""}, [min_len("title", 1)]),
    ({"content": ""}, [min_len("content", 1)]),
    ({"title": "x" * 101}, [max_len("title", 100)]),
    ({"title": 1}, [not_str("title")]),
    ({"content": False}, [not_str("content")]),
    ([{"title": "x"}], [{"loc": ["body"], "msg": "value is not a valid dict",
                         "type": "type_error.dict"}]),
], ids=["empty-title", "empty-content", "long-title", "int-title",
        "bool-content", "list"])
def test_update_validation(client, user, body, detail):
    p = make_post(client, user)
    r = client.patch(f"/posts/{p['id']}", headers=user.headers, json=body)
    assert r.status_code == 422
    assert r.json() == {"detail": detail}
    assert find(all_posts(client), p["id"]) == p


def test_update_validation_comes_before_lookup(client, user):
    r = client.patch("/posts/987654321", headers=user.headers, json={"title": ""})
    assert r.status_code == 422
    assert r.json() == {"detail": [min_len("title", 1)]}


def test_update_without_body_is_422(client, user):
    p = make_post(client, user)
    r = client.patch(f"/posts/{p['id']}", headers=user.headers)
    assert r.status_code == 422
    assert r.json() == {"detail": [BODY_MISSING]}


@pytest.mark.parametrize("pid", ["abc", "1.0", "1e3", "0x10", "%20"])
def test_update_non_integer_id_is_422(client, user, pid):
    r = client.patch(f"/posts/{pid}", headers=user.headers, json={"title": "x"})
    assert r.status_code == 422
    assert r.json() == {"detail": [PATH_NOT_INT]}


def test_update_path_and_body_errors_together(client, user):
    r = client.patch("/posts/abc", headers=user.headers, json={"title": ""})
    assert r.status_code == 422
    assert r.json() == {"detail": [PATH_NOT_INT, min_len("title", 1)]}


@seed_defect("PATCH with an explicit null -> 500 (NOT NULL IntegrityError)")
@pytest.mark.parametrize("body", [{"title": None}, {"content": None},
                                  {"title": "ok", "content": None}])
def test_update_with_null_is_422(client, user, body):
    p = make_post(client, user)
    r = client.patch(f"/posts/{p['id']}", headers=user.headers, json=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all(e["loc"][0] == "body" for e in detail)
    assert find(all_posts(client), p["id"]) == p


@seed_defect("post ids beyond signed 64 bits -> 500 (OverflowError)")
@pytest.mark.parametrize("pid", ["9223372036854775808", "99999999999999999999",
                                 "-9223372036854775809",
                                 "1" + "0" * 40])
def test_ids_beyond_64_bits_are_404(client, user, pid):
    r = client.patch(f"/posts/{pid}", headers=user.headers, json={"title": "x"})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = client.delete(f"/posts/{pid}", headers=user.headers)
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


# ---------------------------------------------------------------- delete

def test_owner_deletes_post(client, user):
    p = make_post(client, user)
    r = client.delete(f"/posts/{p['id']}", headers=user.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert find(all_posts(client), p["id"]) is None
    r = client.delete(f"/posts/{p['id']}", headers=user.headers)
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = client.patch(f"/posts/{p['id']}", headers=user.headers, json={"title": "x"})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_other_user_cannot_delete(client, user, other_user):
    p = make_post(client, user)
    r = client.delete(f"/posts/{p['id']}", headers=other_user.headers)
    assert r.status_code == 403
    assert r.json() == NO_DELETE
    assert find(all_posts(client), p["id"]) == p


def test_admin_can_delete_any_post(client, user, admin):
    p = make_post(client, user)
    r = client.delete(f"/posts/{p['id']}", headers=admin.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert find(all_posts(client), p["id"]) is None


def test_delete_missing_post_is_404(client, user):
    r = client.delete("/posts/987654321", headers=user.headers)
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


@pytest.mark.parametrize("pid", ["abc", "1.5", "one"])
def test_delete_non_integer_id_is_422(client, user, pid):
    r = client.delete(f"/posts/{pid}", headers=user.headers)
    assert r.status_code == 422
    assert r.json() == {"detail": [PATH_NOT_INT]}


def test_not_found_beats_forbidden(client, user):
    # a missing post is 404 for everyone, a present one 403 for strangers
    r = client.delete("/posts/987654322", headers=user.headers)
    assert r.status_code == 404


# ---------------------------------------------------------------- gatehouse

TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.mark.gatehouse
def test_date_posted_is_rfc3339_utc(client, user):
    p = make_post(client, user)
    assert TS_RE.fullmatch(p["date_posted"]), p["date_posted"]
    for q in all_posts(client):
        assert TS_RE.fullmatch(q["date_posted"]), q


@pytest.mark.gatehouse
def test_paging_by_id(client, user):
    ids = [make_post(client, user)["id"] for _ in range(5)]
    r = client.get(f"/posts?limit=2&after_id={ids[0]}")
    assert r.status_code == 200
    page = r.json()
    assert [p["id"] for p in page] == ids[1:3]
    r = client.get(f"/posts?limit=3&after_id={ids[2]}")
    assert [p["id"] for p in r.json()] == ids[3:5]
    r = client.get(f"/posts?limit=1&after_id={ids[-1]}")
    assert r.json() == []
    r = client.get(f"/posts?after_id={ids[1]}")
    got = [p["id"] for p in r.json()]
    assert got[:3] == ids[2:5] and all(i > ids[1] for i in got)
    r = client.get("/posts?limit=1")
    assert len(r.json()) == 1
    first = all_posts(client)[0]
    assert r.json() == [first]


@pytest.mark.gatehouse
@pytest.mark.parametrize("query, name", [("limit=abc", "limit"),
                                         ("after_id=x", "after_id")])
def test_paging_bad_query_is_422(client, query, name):
    r = client.get("/posts?" + query)
    assert r.status_code == 422
    e = r.json()["detail"][0]
    assert e["loc"] == ["query", name]
