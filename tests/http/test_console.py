"""The account console (issue 5 item 3): the /account page set and its
browser session - an httpOnly SameSite=Strict cookie, a CSRF token bound
to the session, refusal of cross-site requests, and a cookie that only
the console's routes accept."""

import re
from html.parser import HTMLParser

import pytest

from ghtest import (BAD_CRED, NOT_AUTH, PASSWORD, Client, assert_401,
                    assert_no_secret, bearer, new_full_user, new_user)

pytestmark = pytest.mark.gatehouse

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
CSRF_DETAIL = {"detail": "CSRF token missing or invalid"}
COOKIE = "gh_session"


class Console:
    """A browser-like client: the cookie is sent by hand, so each test
    controls exactly which headers go out."""

    def __init__(self, server, username, password=PASSWORD, headers=None):
        self.c = Client(server.url)
        self.origin = server.url.rstrip("/")
        self.bodies = []
        r = self.c.post("/account/login",
                        json={"username": username, "password": password},
                        headers=headers)
        assert r.status_code == 200, r.text
        self.login = r
        self.bodies.append(r.text)
        self.cookie = cookie_value(r)
        self.csrf = r.json()["csrf_token"]
        self.sid = r.json()["session_id"]

    def req(self, method, path, csrf=True, origin=True, cookie=True,
            headers=None, **kw):
        h = {}
        if cookie:
            h["Cookie"] = f"{COOKIE}={self.cookie}"
        if csrf is True:
            h["X-CSRF-Token"] = self.csrf
        elif csrf:
            h["X-CSRF-Token"] = csrf
        if origin is True:
            h["Origin"] = self.origin
        elif origin:
            h["Origin"] = origin
        h.update(headers or {})
        r = self.c.request(method, path, headers=h, **kw)
        self.bodies.append(r.text)
        return r

    def close(self):
        self.c.close()


def set_cookie(r):
    v = r.headers.get("Set-Cookie")
    assert v, f"no Set-Cookie in {r.status_code} {dict(r.headers)}"
    return v


def cookie_value(r):
    m = re.match(COOKIE + r"=([^;]*)", set_cookie(r))
    assert m, set_cookie(r)
    return m.group(1)


def attrs(r):
    return [a.strip().lower() for a in set_cookie(r).split(";")[1:]]


@pytest.fixture
def console(server, client):
    u = new_user(client, login_too=False)
    con = Console(server, u.username)
    con.user = u
    yield con
    con.close()


# ------------------------------------------------------------ sign in/out

def test_login_sets_a_strict_httponly_cookie(console):
    r = console.login
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", console.cookie)
    a = attrs(r)
    assert "httponly" in a
    assert "samesite=strict" in a
    assert "path=/" in a
    assert "secure" not in a      # plain HTTP, no trusted proxy said https
    assert any(x.startswith("max-age=") and int(x[8:]) > 0 for x in a)
    body = r.json()
    assert set(body) == {"csrf_token", "session_id", "user"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["csrf_token"])
    assert body["user"]["username"] == console.user.username
    assert "access_token" not in r.text and "refresh_token" not in r.text
    assert r.headers["Content-Security-Policy"] == CSP


def test_login_wrong_password_is_401_without_cookie(server, client):
    u = new_user(client, login_too=False)
    r = client.post("/account/login",
                    json={"username": u.username, "password": "wrong pass 1"})
    assert_401(r, {"detail": "Incorrect username or password"})
    assert "Set-Cookie" not in r.headers


def test_login_missing_fields_is_422(client):
    r = client.post("/account/login", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "password"]


def test_form_login_redirects_to_the_page(server, client):
    u = new_user(client, login_too=False)
    r = client.post("/account/login",
                    data={"username": u.username, "password": PASSWORD})
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == "/account"
    assert "httponly" in attrs(r)
    r2 = client.get("/account/session",
                    headers={"Cookie": f"{COOKIE}={cookie_value(r)}"})
    assert r2.status_code == 200
    assert r2.json()["user"]["username"] == u.username


def test_login_with_forwarded_https_from_untrusted_peer_is_not_secure(
        server, client):
    u = new_user(client, login_too=False)
    r = client.post("/account/login",
                    json={"username": u.username, "password": PASSWORD},
                    headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200
    assert "secure" not in attrs(r)


def test_login_behind_trusted_tls_proxy_sets_secure(spawn_server):
    sp = spawn_server(env={"TRUSTED_PROXIES": "127.0.0.1"})
    c = Client(sp.url)
    try:
        u = new_user(c, login_too=False)
        r = c.post("/account/login",
                   json={"username": u.username, "password": PASSWORD},
                   headers={"X-Forwarded-Proto": "https",
                            "X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 200, r.text
        assert "secure" in attrs(r)
        ck = {"Cookie": f"{COOKIE}={cookie_value(r)}"}
        host = sp.url.split("://", 1)[1].rstrip("/")
        # the origin of a page served over the proxy is https://host
        ok = c.post("/account/logout", headers=dict(
            ck, **{"X-CSRF-Token": r.json()["csrf_token"],
                   "Origin": "https://" + host,
                   "X-Forwarded-Proto": "https"}))
        assert ok.status_code == 204, ok.text
        assert "secure" in attrs(ok)
    finally:
        c.close()


def test_session_endpoint_returns_the_same_csrf_token(console):
    r = console.req("GET", "/account/session")
    assert r.status_code == 200
    assert r.json()["csrf_token"] == console.csrf
    assert r.json()["session_id"] == console.sid


def test_logout_clears_cookie_and_ends_session(console, client):
    r = console.req("POST", "/account/logout")
    assert r.status_code == 204, r.text
    a = attrs(r)
    assert cookie_value(r) == ""
    assert "max-age=0" in a and "httponly" in a and "path=/" in a
    assert_401(console.req("GET", "/users/me"))
    assert_401(console.req("GET", "/account/session"))
    # the session is gone from the user's list too
    u = console.user
    from ghtest import login
    tok = login(client, u.username, PASSWORD)
    ids = [s["id"] for s in
           client.get("/users/me/sessions", headers=bearer(tok)).json()]
    assert console.sid not in ids


def test_logout_needs_csrf(console):
    r = console.req("POST", "/account/logout", csrf=False)
    assert r.status_code == 403
    assert r.json() == CSRF_DETAIL
    assert console.req("GET", "/users/me").status_code == 200


# ------------------------------------------------- console API via cookie

def test_console_calls_work_with_cookie_and_csrf(console, client):
    me = console.req("GET", "/users/me")
    assert me.status_code == 200
    assert me.json()["username"] == console.user.username

    # a second session (bearer login) shows in the list; end it
    from ghtest import login_full
    pair = login_full(client, console.user.username, PASSWORD)
    ses = console.req("GET", "/users/me/sessions")
    assert ses.status_code == 200
    cur = [s for s in ses.json() if s["current"]]
    assert [s["id"] for s in cur] == [console.sid]
    others = [s["id"] for s in ses.json() if not s["current"]]
    assert others
    for sid in others:
        d = console.req("DELETE", f"/users/me/sessions/{sid}")
        assert d.status_code == 204, d.text
    assert_401(client.get("/users/me",
                          headers=bearer(pair["access_token"])))

    k = console.req("POST", "/api-keys", json={"name": "console key"})
    assert k.status_code == 201, k.text
    key = k.json()
    assert key["key"].startswith("gh_")
    lst = console.req("GET", "/api-keys")
    assert [x["id"] for x in lst.json()] == [key["id"]]
    assert "key" not in lst.json()[0]
    assert client.get("/users/me", headers={"X-API-Key": key["key"]}
                      ).status_code == 200
    d = console.req("DELETE", f"/api-keys/{key['id']}")
    assert d.status_code == 204
    assert console.req("GET", "/api-keys").json() == []
    for b in console.bodies:
        assert_no_secret(b, console.cookie)


def test_password_change_by_cookie_ends_the_session(console):
    r = console.req("POST", "/users/me/password",
                    json={"current_password": PASSWORD,
                          "new_password": "another horse 2"})
    assert r.status_code == 204, r.text
    assert_401(console.req("GET", "/users/me"))


# ---------------------------------------------------------------- CSRF

@pytest.mark.parametrize("path,body", [
    ("/api-keys", {"name": "k"}),
    ("/users/me/password", {"current_password": PASSWORD,
                            "new_password": "xxxxxxxxxx"}),
])
def test_state_change_without_csrf_is_403(console, path, body):
    r = console.req("POST", path, csrf=False, json=body)
    assert r.status_code == 403
    assert r.json() == CSRF_DETAIL
    assert console.req("GET", "/api-keys").json() == []


def test_wrong_csrf_token_is_403(console, server):
    for bad in ("x", "A" * 43, console.csrf[:-1] + ("A" if
                console.csrf[-1] != "A" else "B"), console.csrf + "A"):
        r = console.req("POST", "/api-keys", csrf=bad, json={"name": "k"})
        assert r.status_code == 403, bad
        assert r.json() == CSRF_DETAIL
    # another session's token does not fit this one
    other = Console(server, console.user.username)
    try:
        r = console.req("POST", "/api-keys", csrf=other.csrf,
                        json={"name": "k"})
        assert r.status_code == 403
    finally:
        other.close()
    assert console.req("GET", "/api-keys").json() == []


def test_delete_without_csrf_is_403(console):
    k = console.req("POST", "/api-keys", json={"name": "k"}).json()
    r = console.req("DELETE", f"/api-keys/{k['id']}", csrf=False)
    assert r.status_code == 403
    assert len(console.req("GET", "/api-keys").json()) == 1


def test_foreign_origin_is_refused_even_with_the_token(console):
    for method, path, kw in (("POST", "/api-keys", {"json": {"name": "k"}}),
                             ("GET", "/users/me", {})):
        r = console.req(method, path, origin="https://evil.example", **kw)
        assert r.status_code == 403, (path, r.text)
        assert "Cross-site" in r.json()["detail"]
    r = console.req("POST", "/api-keys", origin="null", json={"name": "k"})
    assert r.status_code == 403
    assert console.req("GET", "/api-keys").json() == []


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_cross_is_refused(console, site):
    r = console.req("POST", "/api-keys", origin=False, json={"name": "k"},
                    headers={"Sec-Fetch-Site": site})
    assert r.status_code == 403
    r = console.req("GET", "/users/me", origin=False,
                    headers={"Sec-Fetch-Site": site})
    assert r.status_code == 403


def test_same_origin_fetch_metadata_is_accepted(console):
    r = console.req("GET", "/users/me",
                    headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200


def test_cross_site_form_post_is_refused(console):
    """What a hostile page's auto-submitted <form> sends: a urlencoded
    body, the victim's cookie (were SameSite ignored), another Origin and
    no CSRF header."""
    evil = {"Content-Type": "application/x-www-form-urlencoded",
            "Sec-Fetch-Site": "cross-site"}
    for path, data in (("/api-keys", "name=pwned"),
                       ("/users/me/password",
                        "current_password=x&new_password=yyyyyyyyyy"),
                       ("/account/logout", "")):
        r = console.req("POST", path, csrf=False,
                        origin="https://evil.example", headers=evil,
                        data=data)
        assert r.status_code == 403, (path, r.text)
    # also without fetch metadata (older browsers): Origin alone suffices
    r = console.req("POST", "/api-keys", csrf=False,
                    origin="https://evil.example",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"},
                    data="name=pwned")
    assert r.status_code == 403
    assert console.req("GET", "/api-keys").json() == []
    assert console.req("GET", "/users/me").status_code == 200


def test_cross_site_login_is_refused(client):
    u = new_user(client, login_too=False)
    r = client.post("/account/login",
                    data={"username": u.username, "password": PASSWORD},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert "Set-Cookie" not in r.headers


# ------------------------------------------ the cookie's reach is limited

@pytest.mark.parametrize("method,path,kw", [
    ("POST", "/posts", {"json": {"title": "t", "content": "c"}}),
    ("GET", "/todos", {}),
    ("POST", "/todos", {"json": {"title": "t"}}),
    ("POST", "/auth/logout", {}),
    ("GET", "/me", {}),
])
def test_cookie_is_not_accepted_without_the_route_flag(console, method, path,
                                                       kw):
    r = console.req(method, path, **kw)
    assert_401(r, NOT_AUTH)


def test_cookie_is_ignored_when_a_bearer_is_sent(console):
    r = console.req("GET", "/users/me",
                    headers={"Authorization": "Bearer nonsense"})
    assert_401(r, BAD_CRED)


def test_cookie_is_ignored_when_an_api_key_is_sent(console):
    r = console.req("GET", "/users/me", headers={"X-API-Key": "gh_bad"})
    assert_401(r, BAD_CRED)


def test_garbage_cookie_is_401(server):
    c = Client(server.url)
    try:
        for v in ("", "x", "A" * 43, "A" * 500):
            r = c.get("/users/me", headers={"Cookie": f"{COOKIE}={v}"})
            assert r.status_code == 401, v
        r = c.get("/users/me", headers={"Cookie": "other=1"})
        assert_401(r, NOT_AUTH)
    finally:
        c.close()


def test_deactivated_user_cookie_is_401(console, admin, client):
    r = client.patch(f"/admin/users/{console.user.id}",
                     json={"is_active": False}, headers=admin.headers)
    assert r.status_code == 200
    assert_401(console.req("GET", "/users/me"))


# --------------------------------------------------------------- admin

def test_admin_console_views(server, admin, client):
    con = Console(server, admin.username, admin.password)
    try:
        victim = new_user(client, login_too=False)
        users = con.req("GET", "/admin/users")
        assert users.status_code == 200
        assert victim.username in [u["username"] for u in users.json()]
        r = con.req("PATCH", f"/admin/users/{victim.id}",
                    json={"role": "moderator"})
        assert r.status_code == 200 and r.json()["role"] == "moderator"
        r = con.req("PATCH", f"/admin/users/{victim.id}",
                    json={"is_active": False})
        assert r.status_code == 200 and r.json()["is_active"] is False
        r = con.req("PATCH", f"/admin/users/{victim.id}",
                    json={"is_active": True})
        assert r.json()["is_active"] is True
        r = con.req("PATCH", f"/admin/users/{victim.id}", csrf=False,
                    json={"role": "admin"})
        assert r.status_code == 403
        r = con.req("DELETE", f"/users/{victim.id}", csrf=False)
        assert r.status_code == 403
        r = con.req("DELETE", f"/users/{victim.id}")
        assert r.status_code == 204
        audit = con.req("GET", "/admin/audit?limit=1000")
        assert audit.status_code == 200
        events = [a["event"] for a in audit.json()]
        assert "login.success" in events
        # the cookie is in no body, and in no audit row
        for b in con.bodies:
            assert_no_secret(b, con.cookie)
    finally:
        con.close()


def test_non_admin_cookie_gets_403_on_admin_routes(console):
    r = console.req("GET", "/admin/users")
    assert r.status_code == 403
    r = console.req("GET", "/admin/audit")
    assert r.status_code == 403


def test_cookie_never_in_audit_log(console, admin, client):
    console.req("GET", "/users/me")
    console.req("POST", "/account/logout")
    r = client.get("/admin/audit?limit=1000", headers=admin.headers)
    assert r.status_code == 200
    assert_no_secret(r.text, console.cookie)
    mine = [a for a in r.json() if a["user_id"] == console.user.id]
    assert {"login.success", "logout"} <= {a["event"] for a in mine}


# ------------------------------------------------------------- the pages

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.inline_scripts, self.styles = [], 0, 0
        self._in_script = False

    def handle_starttag(self, tag, a):
        a = dict(a)
        if "style" in a:
            self.styles += 1
        if tag == "style":
            self.styles += 1
        if any(k.startswith("on") for k in a):
            self.inline_scripts += 1
        if tag == "script":
            if a.get("src"):
                self.refs.append(a["src"])
            else:
                self._in_script = True
        if tag == "link" and a.get("href"):
            self.refs.append(a["href"])
        if tag in ("img", "iframe") and a.get("src"):
            self.refs.append(a["src"])
        if tag == "form" and a.get("action"):
            self.refs.append(a["action"])

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def check_page_headers(r):
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_account_page_headers_and_same_origin_assets(client):
    r = client.get("/account")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    check_page_headers(r)
    p = _Refs()
    p.feed(r.text)
    assert p.inline_scripts == 0
    assert p.styles == 0
    assert p.refs, "the page references its script and style sheet"
    for ref in p.refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        if ref == "/account/login":
            continue
        a = client.get(ref)
        assert a.status_code == 200, ref
        check_page_headers(a)
        if ref.endswith(".js"):
            assert a.headers["Content-Type"].startswith("text/javascript")
            assert "localStorage" not in a.text
            assert "innerHTML" not in a.text
        if ref.endswith(".css"):
            assert a.headers["Content-Type"].startswith("text/css")
    assert "http://" not in r.text and "https://" not in r.text


def test_unknown_console_files_are_404(client):
    for path in ("/account/nope.js", "/account/index.html",
                 "/account/..%2fMakefile"):
        assert client.get(path).status_code == 404, path


def test_console_answers_are_not_cached(client):
    assert client.get("/account").headers["Cache-Control"] == "no-store"
