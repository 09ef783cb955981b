"""GET /openapi.json and GET /docs (issue 5, items 1 and 2).

The document is generated from the route table, so these tests read the
table's view from the document and hold it against the running server:
every documented operation exists (never the router's 404 or 405), every
status the server answers to a battery of calls is documented for that
operation, and the request limits the document states are the ones the
handlers enforce.  The core routes of API.md are also checked by name, so
an empty document cannot pass.  /docs must be Swagger UI served entirely
from this origin, with its security headers.
"""

import html.parser
import json
import re
import subprocess
import urllib.parse

import pytest

import ghtest
from ghtest import (IS_EXTERNAL, PASSWORD, bearer, new_full_user, unique_email,
                    unique_name)

pytestmark = pytest.mark.gatehouse

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# API.md's routes, by name: the document must have at least these.
CORE = {
    ("get", "/"), ("get", "/healthz"), ("get", "/readyz"),
    ("post", "/auth/register"), ("post", "/auth/token"),
    ("post", "/auth/login"), ("post", "/auth/refresh"),
    ("post", "/auth/logout"), ("post", "/auth/revoke"),
    ("get", "/users/me"), ("get", "/me"), ("get", "/admin/users"),
    ("post", "/posts"), ("get", "/posts"), ("patch", "/posts/{post_id}"),
    ("delete", "/posts/{post_id}"), ("get", "/todos"), ("post", "/todos"),
    ("get", "/todos/{todo_id}"), ("patch", "/todos/{todo_id}"),
    ("delete", "/todos/{todo_id}"), ("delete", "/users/{user_id}"),
    ("patch", "/admin/users/{user_id}"), ("get", "/admin/audit"),
    ("post", "/api-keys"), ("get", "/api-keys"),
    ("delete", "/api-keys/{key_id}"), ("get", "/users/me/sessions"),
    ("delete", "/users/me/sessions/{session_id}"),
    ("post", "/users/me/password"), ("get", "/openapi.json"),
    ("get", "/docs"),
}


@pytest.fixture(scope="module")
def doc(server):
    c = ghtest.Client(server.url)
    try:
        r = c.get("/openapi.json")
    finally:
        c.close()
    assert r.status_code == 200, r.text
    return r.json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def concrete(path, value="1"):
    """/posts/{post_id} -> /posts/1 (every capture of the table is an id
    or, for a string parameter, any segment)."""
    return re.sub(r"\{[^}]+\}", value, path)


def template_of(doc, method, path):
    """The documented template that path (no query) falls under."""
    for tpath, item in doc["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tpath)) + "$"
        if method in item and re.match(rx, path):
            return tpath
    return None


def documented(doc, r):
    """Assert that r's status is documented for its operation."""
    method = r.request.method.lower()
    path = urllib.parse.urlsplit(r.request.url).path
    tpath = template_of(doc, method, path)
    assert tpath is not None, f"{method.upper()} {path} is not documented"
    statuses = doc["paths"][tpath][method]["responses"]
    assert str(r.status_code) in statuses, (
        f"{method.upper()} {tpath} answered {r.status_code} "
        f"({r.text[:200]!r}), documented: {sorted(statuses)}")
    return r


def schema_of(doc, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    assert ref.startswith("#/components/schemas/")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


# ---------------------------------------------------------------- the document

def test_document_is_openapi_3_1(client, doc):
    r = client.get("/openapi.json")
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    pw = schemes["OAuth2PasswordBearer"]
    assert pw["type"] == "oauth2"
    assert pw["flows"]["password"]["tokenUrl"] == "/auth/token"
    key = schemes["APIKeyHeader"]
    assert (key["type"], key["in"], key["name"]) == \
        ("apiKey", "header", "X-API-Key")
    # the same bytes every time: built once at start-up
    assert client.get("/openapi.json").content == r.content


def test_document_is_what_the_binary_prints(server, doc):
    """--print-openapi (what make openapi-lint validates) is the served
    document."""
    if IS_EXTERNAL:
        pytest.skip("the server under test is not this binary")
    out = subprocess.run([str(ghtest.gatehouse_bin()), "--print-openapi"],
                         capture_output=True, timeout=30, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout) == doc


def test_core_routes_are_documented(doc):
    have = {(m, p) for m, p, _ in operations(doc)}
    assert CORE <= have, sorted(CORE - have)


def test_operations_are_complete(doc):
    ids = set()
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("operationId") and op["operationId"] not in ids, where
        # Swagger UI reads "_" in a deep link (#/tag/operationId) as an
        # escaped space and logs an error on load
        assert "_" not in op["operationId"] + "".join(op["tags"]), where
        ids.add(op["operationId"])
        assert "security" in op, where
        assert any(s.startswith("2") or s == "304"
                   for s in op["responses"]), where
        for name in re.findall(r"\{([^}]+)\}", path):
            p = [x for x in op.get("parameters", [])
                 if x["in"] == "path" and x["name"] == name]
            assert p and p[0]["required"], (where, name)
            if name.endswith("_id"):
                assert p[0]["schema"]["type"] == "integer", (where, name)
        for status, resp in op["responses"].items():
            for media in resp.get("content", {}).values():
                schema_of(doc, media["schema"].get("items", media["schema"]))


def test_guards_are_security_requirements(doc):
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        schemes = [k for s in op["security"] for k in s]
        if not schemes:
            continue
        assert schemes[0] == "OAuth2PasswordBearer", where
        assert "401" in op["responses"], where
        if "APIKeyHeader" not in schemes:
            assert "403" in op["responses"], where


def test_error_schemas_are_fastapis(doc):
    s = doc["components"]["schemas"]
    assert s["HTTPError"]["properties"]["detail"]["type"] == "string"
    detail = s["HTTPValidationError"]["properties"]["detail"]
    assert detail["type"] == "array"
    item = schema_of(doc, detail["items"])
    assert set(item["required"]) == {"loc", "msg", "type"}


def test_hidden_rows_are_left_out(doc):
    assert not any(p.startswith("/docs/static") for p in doc["paths"])


# ---------------------------------------------------------------- vs the server

# An id that names nothing: the probes must not change or delete anything
# (an admin may delete any user or post).
NO_SUCH_ID = "999999999999"


def probe(client, doc, method, path, op, headers=None):
    """Call one documented operation with a minimal request: no query, ids
    that name nothing, an empty JSON object or an empty form as the body."""
    kw = {"headers": dict(headers or {})}
    body = op.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        kw["json"] = {}
    elif "application/x-www-form-urlencoded" in body:
        kw["data"] = {}
        kw["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    return client.request(method.upper(), concrete(path, NO_SUCH_ID), **kw)


def assert_routed(r):
    """Not the router's 404 (unknown path) or 405 (unknown method)."""
    where = f"{r.request.method} {r.request.url}"
    assert r.status_code != 405, where
    if r.status_code == 404:
        assert r.json().get("detail") != "Not Found", where
    return r


def ordered(doc):
    """Every operation, the one that ends the caller's session last."""
    ops = list(operations(doc))
    return sorted(ops, key=lambda o: o[1] == "/auth/logout")


def test_every_operation_exists_anonymously(client, doc):
    for method, path, op in ordered(doc):
        documented(doc, assert_routed(probe(client, doc, method, path, op)))


def test_every_operation_exists_for_a_user(client, doc):
    u = new_full_user(client)
    for method, path, op in ordered(doc):
        r = probe(client, doc, method, path, op, u.headers)
        documented(doc, assert_routed(r))


def test_every_operation_exists_for_an_admin(client, doc, admin):
    """As an admin, with a token of a session of its own (the probes
    neither change nor delete anything they can reach)."""
    token = ghtest.login(client, admin.username, admin.password)
    for method, path, op in ordered(doc):
        r = probe(client, doc, method, path, op, bearer(token))
        documented(doc, assert_routed(r))


def test_typical_calls_answer_documented_statuses(client, doc):
    """The calls of the rest of the suite, each status checked against
    the document."""
    d = lambda r: documented(doc, r)  # noqa: E731
    name = unique_name("oa")
    body = {"username": name, "email": unique_email(name),
            "password": PASSWORD}
    assert d(client.post("/auth/register", json=body)).status_code == 201
    assert d(client.post("/auth/register", json=body)).status_code == 409
    assert d(client.post("/auth/register", json={})).status_code == 422
    r = d(client.post("/auth/token",
                      data={"username": name, "password": PASSWORD}))
    assert r.status_code == 200
    tok = r.json()
    h = bearer(tok["access_token"])
    assert d(client.post("/auth/token", data={
        "username": name, "password": "wrong password"})).status_code == 401
    assert d(client.post("/auth/refresh", json={
        "refresh_token": "nope"})).status_code == 401
    assert d(client.get("/users/me")).status_code == 401
    assert d(client.get("/users/me", headers=bearer("x.y.z"))).status_code \
        == 401
    assert d(client.get("/users/me", headers={
        **h, "X-API-Key": "gh_x_y"})).status_code == 400
    assert d(client.get("/me", headers=h)).status_code == 200
    assert d(client.get("/admin/users", headers=h)).status_code == 403
    assert d(client.get("/admin/audit", headers=h)).status_code == 403
    assert d(client.post("/posts", headers=h, json={
        "title": "t" * 101, "content": "c"})).status_code == 422
    p = d(client.post("/posts", headers=h,
                      json={"title": "t", "content": "c"}))
    assert p.status_code == 201
    pid = p.json()["id"]
    assert d(client.patch(f"/posts/{pid}", headers=h,
                          json={"title": "u"})).status_code == 200
    assert d(client.patch("/posts/abc", headers=h, json={})).status_code \
        == 422
    assert d(client.get("/posts?limit=0")).status_code == 422
    assert d(client.get("/posts?limit=1")).status_code == 200
    other = new_full_user(client)
    assert d(client.delete(f"/posts/{pid}",
                           headers=other.headers)).status_code == 403
    assert d(client.delete(f"/posts/{pid}", headers=h)).status_code == 204
    assert d(client.delete(f"/posts/{pid}", headers=h)).status_code == 404
    t = d(client.post("/todos", headers=h, json={"title": "x"}))
    assert t.status_code == 201
    tid = t.json()["id"]
    assert d(client.get(f"/todos/{tid}",
                        headers=other.headers)).status_code == 404
    assert d(client.patch(f"/todos/{tid}", headers=h,
                          json={"completed": True})).status_code == 200
    assert d(client.delete(f"/todos/{tid}", headers=h)).status_code == 204
    k = d(client.post("/api-keys", headers=h, json={"name": "k"}))
    assert k.status_code == 201
    kh = {"X-API-Key": k.json()["key"]}
    assert d(client.get("/users/me", headers=kh)).status_code == 200
    assert d(client.get("/api-keys", headers=kh)).status_code == 403
    assert d(client.get("/users/me/sessions", headers=h)).status_code == 200
    assert d(client.post("/users/me/password", headers=h, json={
        "current_password": "not it", "new_password": "long enough"
    })).status_code == 400
    assert d(client.post("/auth/revoke", data={
        "token": tok["refresh_token"]})).status_code == 200
    assert d(client.get("/me", headers=h)).status_code == 401


def test_console_cookie_statuses_are_documented(server, client, doc):
    """The account console's cookie on the API routes that accept it:
    its refusals are documented too."""
    d = lambda r: documented(doc, r)  # noqa: E731
    u = new_full_user(client)
    r = client.post("/account/login",
                    json={"username": u.username, "password": u.password})
    assert r.status_code == 200, r.text
    jar = {"Cookie": "gh_session=" + r.cookies["gh_session"],
           "Origin": server.url.rstrip("/")}
    assert d(client.get("/users/me", headers=jar)).status_code == 200
    assert d(client.get("/users/me", headers={
        **jar, "Sec-Fetch-Site": "cross-site"})).status_code == 403
    assert d(client.post("/api-keys", headers=jar,
                         json={"name": "k"})).status_code == 403
    assert d(client.post("/api-keys", headers={
        **jar, "X-CSRF-Token": r.json()["csrf_token"]},
        json={"name": "k"})).status_code == 201


def sample(doc, schema, name):
    """A value the schema accepts, for one property."""
    s = schema_of(doc, schema)
    t = s.get("type")
    t = t[0] if isinstance(t, list) else t
    if "enum" in s:
        return s["enum"][0]
    if t == "integer":
        return s.get("minimum", 1)
    if t == "boolean":
        return False
    if s.get("format") == "email":
        return unique_email(name)
    return "x" * max(s.get("minLength", 1), 8 if "password" in name else 1)


def test_documented_limits_are_enforced(client, doc, admin):
    """Every JSON request body: a string one past maxLength, one short of
    minLength, an integer past its bounds, or a required field left out,
    is a 422 naming that field."""
    h = admin.headers
    checked = 0
    for method, path, op in operations(doc):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        schema = schema_of(doc, content["application/json"]["schema"])
        props = schema.get("properties", {})
        valid = {n: sample(doc, p, n) for n, p in props.items()
                 if n in schema.get("required", [])}
        for n, p in props.items():
            p = schema_of(doc, p)
            bad = []
            if p.get("type") == "string" and "maxLength" in p:
                bad.append("x" * (p["maxLength"] + 1))
            if p.get("type") == "string" and p.get("minLength", 0) > 0:
                bad.append("x" * (p["minLength"] - 1))
            if p.get("type") == "integer" and "maximum" in p:
                bad += [p["maximum"] + 1, p["minimum"] - 1]
            if n in schema.get("required", []):
                bad.append(KeyError)
            for v in bad:
                body = dict(valid)
                if v is KeyError:
                    del body[n]
                else:
                    body[n] = v
                r = client.request(method.upper(),
                                   concrete(path, NO_SUCH_ID), json=body,
                                   headers=h)
                where = f"{method.upper()} {path} {n}={v!r}"
                assert r.status_code == 422, (where, r.status_code, r.text)
                locs = [e["loc"] for e in r.json()["detail"]]
                assert ["body", n] in locs, (where, locs)
                documented(doc, r)
                checked += 1
    assert checked >= 20


# ---------------------------------------------------------------- /docs

class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
        self.inline_scripts = 0
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if a.get(k):
                self.refs.append((tag, a[k]))
        if tag == "script":
            self.in_script = "src" not in a
            self.inline_scripts += self.in_script
        for k in a:
            assert not k.startswith("on"), f"inline handler {k} on <{tag}>"

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        assert not (self.in_script and data.strip()), "inline script"


CONTENT_TYPES = {".css": "text/css", ".js": "text/javascript",
                 ".png": "image/png"}


def csp_directives(value):
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_page_headers(r):
    csp = csp_directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-eval'" not in r.headers["Content-Security-Policy"]
    assert set(csp["style-src"]) <= {"'self'", "'unsafe-inline'"}
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_page(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "text/html"
    assert_page_headers(r)
    p = Refs()
    p.feed(r.text)
    assert p.inline_scripts == 0
    kinds = {}
    for tag, ref in p.refs:
        u = urllib.parse.urlsplit(ref)
        assert not u.scheme and not u.netloc, f"{ref} is not same-origin"
        assert ref.startswith("/"), ref
        a = client.get(ref)
        assert a.status_code == 200, ref
        ext = re.search(r"\.[a-z]+$", u.path).group(0)
        assert a.headers["Content-Type"].split(";")[0] == \
            CONTENT_TYPES[ext], ref
        assert len(a.content) > 0
        assert_page_headers(a)
        kinds.setdefault(ext, []).append(ref)
    assert any("swagger-ui-bundle" in x for x in kinds.get(".js", []))
    assert any("swagger-ui" in x for x in kinds.get(".css", []))
    # the start-up script points Swagger UI at the document
    init = [x for x in kinds[".js"] if "bundle" not in x]
    assert init and "/openapi.json" in client.get(init[0]).text


def test_docs_files_revalidate(client):
    r = client.get("/docs")
    etag = r.headers["ETag"]
    assert "no-cache" in r.headers["Cache-Control"]
    r2 = client.get("/docs", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and not r2.content
    assert client.get("/docs", headers={
        "If-None-Match": '"0000"'}).status_code == 200


def test_docs_static_unknown_file(client):
    for name in ("nope.js", "index.html", "..%2Fopenapi.json", "%2e%2e"):
        r = client.get("/docs/static/" + name)
        assert r.status_code == 404, name
    assert client.get("/docs/static/").status_code == 404
