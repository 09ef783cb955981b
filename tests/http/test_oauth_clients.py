"""Real OAuth2 clients against gatehouse (issue 5 item 4).

A standard client library, requests-oauthlib (Debian's
python3-requests-oauthlib, on top of oauthlib), is used exactly as its
documentation shows, with no glue code:

* LegacyApplicationClient fetches a token with the password grant
  (RFC 6749 section 4.3) at /auth/token, OAuth2Session adds the bearer
  header to /users/me, OAuth2Session.refresh_token rotates the pair with the
  refresh grant (section 6) at /auth/token, and presenting the spent refresh
  token again is refused (401) and revokes the whole session;
* OAuth2Session with auto_refresh_url and token_updater refreshes
  transparently when its stored token has expired;
* the seed's own FastAPI app, started with the same SECRET_KEY, is a
  resource server for gatehouse's access tokens: its GET /users/me answers
  200 for a user who exists in both databases (it resolves `sub`, the
  username, in its own).
"""

import time
import uuid

import pytest

from ghtest import (HTTP_TIMEOUT, requires_seed, Client, SeedProcess, assert_401,
                    assert_oauth_error,
                    bearer, new_user, refresh_form, refresh_json, register,
                    sid_of, token_claims, unique_email, unique_name)

pytestmark = pytest.mark.gatehouse

oauthlib_oauth2 = pytest.importorskip(
    "oauthlib.oauth2", reason="oauthlib missing (Debian python3-oauthlib)")
requests_oauthlib = pytest.importorskip(
    "requests_oauthlib",
    reason="requests-oauthlib missing (Debian python3-requests-oauthlib)")
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError  # noqa: E402

CLIENT_ID = "gatehouse-http-tests"


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch):
    # oauthlib refuses plain http (InsecureTransportError) unless
    # OAUTHLIB_INSECURE_TRANSPORT is set; the servers under test listen on
    # plain http on the loopback, so allow it for this test process only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def oauth_session(**kw):
    return requests_oauthlib.OAuth2Session(
        client=oauthlib_oauth2.LegacyApplicationClient(client_id=CLIENT_ID),
        **kw)


def fetch(sess, base, u, **kw):
    return sess.fetch_token(base + "/auth/token", username=u.username,
                            password=u.password, timeout=HTTP_TIMEOUT, **kw)


def record_refresh_responses(sess):
    """Keep every response to a refresh request (oauthlib only raises on a
    refusal; the test wants the status and body)."""
    seen = []

    def hook(r):
        seen.append(r)
        return r
    sess.register_compliance_hook("refresh_token_response", hook)
    return seen


def check_token(tok, expires_in):
    assert tok["token_type"].lower() == "bearer", tok
    assert tok["access_token"] and tok["refresh_token"], tok
    assert tok["expires_in"] == expires_in, tok
    # oauthlib turns expires_in into an absolute expires_at
    assert abs(tok["expires_at"] - (time.time() + expires_in)) < 30, tok


# ---------------------------------------------------------------- gatehouse

@pytest.mark.parametrize("include_client_id", [True, False],
                         ids=["client_id-in-body", "client_id-basic-auth"])
def test_password_grant_refresh_and_reuse(server, client, include_client_id):
    url = server.url + "/auth/token"
    u = new_user(client, login_too=False)
    sess = oauth_session()
    calls = []
    sess.hooks["response"].append(lambda r, *a, **k: calls.append(r))
    try:
        # password grant; with include_client_id=False requests-oauthlib
        # sends client_id as HTTP Basic credentials instead of in the body
        tok = fetch(sess, server.url, u, include_client_id=include_client_id)
        check_token(tok, 30 * 60)
        req = calls[-1].request
        assert "grant_type=password" in req.body, req.body
        if include_client_id:
            assert "client_id=" + CLIENT_ID in req.body, req.body
        else:
            assert req.headers["Authorization"].startswith("Basic "), \
                req.headers
        assert token_claims(tok["access_token"])["sub"] == u.username

        # the session adds the bearer header itself
        r = sess.get(server.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == u.username
        assert r.request.headers["Authorization"] == \
            "Bearer " + tok["access_token"]

        # RFC 6749 section 6 refresh grant at the same endpoint
        old = dict(tok)
        seen = record_refresh_responses(sess)
        new = sess.refresh_token(url, refresh_token=old["refresh_token"],
                                 timeout=HTTP_TIMEOUT)
        assert seen[-1].status_code == 200, seen[-1].text
        body = seen[-1].request.body
        assert "grant_type=refresh_token" in body, body
        check_token(new, 30 * 60)
        assert new["refresh_token"] != old["refresh_token"]
        assert new["access_token"] != old["access_token"]
        assert sid_of(new["access_token"]) == sid_of(old["access_token"])
        assert sess.token["access_token"] == new["access_token"]

        r = sess.get(server.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == u.username
        assert r.request.headers["Authorization"] == \
            "Bearer " + new["access_token"]

        # the old refresh token is spent: presenting it again is RFC 6749's
        # invalid_grant, which oauthlib raises as InvalidGrantError ...
        with pytest.raises(InvalidGrantError):
            sess.refresh_token(url, refresh_token=old["refresh_token"],
                               timeout=HTTP_TIMEOUT)
        assert_oauth_error(seen[-1], "invalid_grant")
        assert sess.token["access_token"] == new["access_token"]
        # ... and the reuse revoked the whole session, new pair included
        assert_401(client.get("/users/me",
                              headers=bearer(new["access_token"])))
        assert_oauth_error(refresh_form(client, new["refresh_token"]))
    finally:
        sess.close()


def test_auto_refresh_of_an_expired_token(spawn_server):
    sp = spawn_server(env={"ACCESS_TOKEN_EXPIRE_MINUTES": "1"},
                      name="autorefresh")
    c = Client(sp.url)
    first = oauth_session()
    sess = None
    try:
        u = new_user(c, login_too=False)
        tok = fetch(first, sp.url, u, include_client_id=True)
        check_token(tok, 60)

        # The application stored this token a minute ago: rather than wait,
        # move its expires_at (what oauthlib checks before each request)
        # into the past.
        stored = dict(tok, expires_at=time.time() - 5)
        updates, calls = [], []
        sess = oauth_session(token=stored,
                             auto_refresh_url=sp.url + "/auth/token",
                             auto_refresh_kwargs={"client_id": CLIENT_ID},
                             token_updater=updates.append)
        sess.hooks["response"].append(
            lambda r, *a, **k: calls.append(
                (r.request.method, r.request.path_url, r.status_code)))

        r = sess.get(sp.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == u.username
        # one refresh grant, then the call itself with the new token
        assert calls == [("POST", "/auth/token", 200),
                         ("GET", "/users/me", 200)], calls
        assert len(updates) == 1, updates
        new = updates[0]
        check_token(new, 60)
        assert new["refresh_token"] != tok["refresh_token"]
        assert new["access_token"] != tok["access_token"]
        assert sid_of(new["access_token"]) == sid_of(tok["access_token"])
        assert r.request.headers["Authorization"] == \
            "Bearer " + new["access_token"]

        # the new token is fresh: no second refresh
        r = sess.get(sp.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and len(updates) == 1
        # the refresh spent the stored refresh token
        assert_oauth_error(refresh_form(c, tok["refresh_token"]))
    finally:
        first.close()
        if sess is not None:
            sess.close()
        c.close()


# ---------------------------------------------------------------- the seed

@requires_seed
def test_seed_app_accepts_gatehouse_tokens(spawn_server, tmp_path):
    key = "shared-secret-" + uuid.uuid4().hex
    gh = spawn_server(secret_key=key, name="issuer")
    seed = SeedProcess((tmp_path / "seed.db").resolve(), key,
                       tmp_path / "seed.log")
    try:
        seed.start()
    except RuntimeError as e:
        pytest.fail(f"the seed app did not start: {e}", pytrace=False)
    gc, sc = Client(gh.url), Client(seed.url)
    sess = oauth_session()
    try:
        # One user in both databases.  A first seed-only user makes the
        # seed's id differ from gatehouse's: the seed resolves `sub`.
        r = register(sc, unique_name("seedonly"))
        assert r.status_code == 201, r.text
        u = new_user(gc, login_too=False)
        r = register(sc, u.username, unique_email(u.username), u.password)
        assert r.status_code == 201, r.text
        seed_id = r.json()["id"]
        assert seed_id != u.id

        tok = fetch(sess, gh.url, u, include_client_id=True)
        r = sess.get(seed.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == u.username
        assert r.json()["id"] == seed_id
        r = sess.get(gh.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["id"] == u.id

        # a refreshed token works there too
        new = sess.refresh_token(gh.url + "/auth/token",
                                 refresh_token=tok["refresh_token"],
                                 timeout=HTTP_TIMEOUT)
        r = sc.get("/users/me", headers=bearer(new["access_token"]))
        assert r.status_code == 200 and r.json()["id"] == seed_id, r.text

        # a user the seed does not know is refused there
        other = new_user(gc)
        assert_401(sc.get("/users/me", headers=other.headers))

        # The seed is stateless: it cannot see gatehouse's revocations and
        # accepts the access token until its exp (keep
        # ACCESS_TOKEN_EXPIRE_MINUTES short when resource servers verify
        # tokens on their own).
        r = gc.post("/auth/logout", headers=bearer(new["access_token"]))
        assert r.status_code == 204, r.text
        assert_401(gc.get("/users/me", headers=bearer(new["access_token"])))
        r = sc.get("/users/me", headers=bearer(new["access_token"]))
        assert r.status_code == 200, r.text
    finally:
        sess.close()
        gc.close()
        sc.close()
        rc = seed.stop()
        # uvicorn answers SIGTERM by shutting down; killed means it hung
        assert rc is None or not rc[1], "the seed app had to be killed"


# ---------------------------------------------------------------- Authlib
#
# A second standard client, Authlib (Debian's python3-authlib), reads the
# token endpoint's answers by RFC 6749 alone: a refusal must carry
# "error" (section 5.2), or Authlib stores the body as the new token and
# goes on as if the refresh had worked.

def authlib_session(base, **kw):
    client = pytest.importorskip(
        "authlib.integrations.requests_client",
        reason="Authlib missing (Debian python3-authlib)")
    return client.OAuth2Session(client_id=CLIENT_ID,
                                token_endpoint=base + "/auth/token", **kw)


def authlib_error():
    return pytest.importorskip(
        "authlib.integrations.base_client").OAuthError


def test_authlib_password_grant_refresh_and_reuse(server, client):
    url = server.url + "/auth/token"
    u = new_user(client, login_too=False)
    sess = authlib_session(server.url)
    try:
        tok = sess.fetch_token(url, username=u.username, password=u.password,
                               timeout=HTTP_TIMEOUT)
        check_token(tok, 30 * 60)
        r = sess.get(server.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["username"] == u.username

        old = dict(tok)
        new = sess.refresh_token(url, refresh_token=old["refresh_token"],
                                 timeout=HTTP_TIMEOUT)
        check_token(new, 30 * 60)
        assert new["refresh_token"] != old["refresh_token"]
        assert sid_of(new["access_token"]) == sid_of(old["access_token"])

        # reuse of the spent token: Authlib raises invalid_grant and
        # keeps the token it had
        with pytest.raises(authlib_error()) as e:
            sess.refresh_token(url, refresh_token=old["refresh_token"],
                               timeout=HTTP_TIMEOUT)
        assert e.value.error == "invalid_grant", e.value
        assert sess.token["access_token"] == new["access_token"]
        # the reuse ended the session: its newest pair is dead too
        assert_401(client.get("/users/me",
                              headers=bearer(new["access_token"])))
        with pytest.raises(authlib_error()) as e:
            sess.refresh_token(url, refresh_token=new["refresh_token"],
                               timeout=HTTP_TIMEOUT)
        assert e.value.error == "invalid_grant", e.value
    finally:
        sess.close()


@pytest.mark.parametrize("how", ["revoke", "logout", "garbage"])
def test_authlib_refresh_of_a_dead_token_raises(server, client, how):
    url = server.url + "/auth/token"
    u = new_user(client, login_too=False)
    sess = authlib_session(server.url)
    try:
        tok = sess.fetch_token(url, username=u.username, password=u.password,
                               timeout=HTTP_TIMEOUT)
        rt = tok["refresh_token"]
        if how == "revoke":     # RFC 7009, through Authlib itself
            r = sess.revoke_token(server.url + "/auth/revoke", token=rt,
                                  timeout=HTTP_TIMEOUT)
            assert r.status_code == 200, r.text
        elif how == "logout":
            r = sess.post(server.url + "/auth/logout", timeout=HTTP_TIMEOUT)
            assert r.status_code == 204, r.text
        else:
            rt = "not-a-refresh-token"
        with pytest.raises(authlib_error()) as e:
            sess.refresh_token(url, refresh_token=rt, timeout=HTTP_TIMEOUT)
        assert e.value.error == "invalid_grant", e.value
        assert sess.token["access_token"] == tok["access_token"]
    finally:
        sess.close()


def test_authlib_auto_refresh_of_an_expired_token(spawn_server):
    sp = spawn_server(env={"ACCESS_TOKEN_EXPIRE_MINUTES": "1"},
                      name="authlib-auto")
    c = Client(sp.url)
    updates = []
    sess = authlib_session(
        sp.url, update_token=lambda t, **kw: updates.append(t))
    try:
        u = new_user(c, login_too=False)
        tok = sess.fetch_token(sp.url + "/auth/token", username=u.username,
                               password=u.password, timeout=HTTP_TIMEOUT)
        # as if stored a minute ago: Authlib refreshes before the call
        sess.token = dict(tok, expires_at=int(time.time()) - 5)
        r = sess.get(sp.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["username"] == u.username
        assert len(updates) == 1, updates
        assert updates[0]["refresh_token"] != tok["refresh_token"]
        # the stored pair is then revoked elsewhere: the next automatic
        # refresh raises instead of handing out a "token" without one
        r = c.post("/auth/revoke", data={"token": updates[0]["refresh_token"]})
        assert r.status_code == 200
        sess.token = dict(updates[0], expires_at=int(time.time()) - 5)
        with pytest.raises(authlib_error()) as e:
            sess.get(sp.url + "/users/me", timeout=HTTP_TIMEOUT)
        assert e.value.error == "invalid_grant", e.value
        assert len(updates) == 1, updates
    finally:
        sess.close()
        c.close()


# ------------------------------------------------------ RFC 6749 error shapes

def test_token_endpoint_error_shapes(client):
    u = new_user(client, login_too=False)
    # refresh grant: a missing or empty refresh_token
    for data in ({"grant_type": "refresh_token"},
                 {"grant_type": "refresh_token", "refresh_token": ""}):
        assert_oauth_error(client.post("/auth/token", data=data),
                           "invalid_request")
    # refresh grant with an access token, or an unknown token
    tok = client.post("/auth/token", data={
        "username": u.username, "password": u.password}).json()
    for bad in (tok["access_token"], "x" * 43):
        assert_oauth_error(refresh_form(client, bad), "invalid_grant")
    # an unknown grant type, also on the /auth/login alias
    for path in ("/auth/token", "/auth/login"):
        r = client.post(path, data={"grant_type": "client_credentials",
                                    "client_id": CLIENT_ID})
        assert_oauth_error(r, "unsupported_grant_type")
    # the password grant keeps the seed's answers
    r = client.post("/auth/token", data={"username": u.username,
                                         "password": "wrong password"})
    assert_401(r, {"detail": "Incorrect username or password"})
    assert r.headers["cache-control"] == "no-store"
    r = client.post("/auth/token", data={"username": u.username})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == \
        ["body", "password"], r.text
    # every answer of the token endpoint is no-store, a success too
    r = client.post("/auth/token", data={"username": u.username,
                                         "password": u.password})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    # /auth/refresh (JSON) keeps its 401
    assert_401(refresh_json(client, "x" * 43))
