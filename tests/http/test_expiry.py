"""Expired refresh tokens and API keys are refused (issue 4): 401, or
RFC 6749's 400 invalid_grant at the token endpoint.

Their lifetimes are days, so these tests age the rows instead of waiting:
stop a private server, move `expires_at` into the past in its SQLite file
(same text format, year 2000), start it again on the same folder.  This is
the only place the suite knows the issue-4 table names.  With GH_DB=pg the
rows are aged in the server's PostgreSQL database (microseconds since the
epoch there, src/store/schema/pg/), and the secrets are looked for in a
pg_dump of it besides the data folder."""

import os
import sqlite3

import pytest

from ghtest import (IS_PG, Client, assert_401, assert_oauth_error, bearer,
                    make_api_key, new_full_user, pg_dump, pg_query,
                    refresh_json)

pytestmark = pytest.mark.gatehouse


# 2000-01-01T00:00:00Z in the PostgreSQL schema's unit (microseconds)
PG_Y2000 = 946684800 * 1000000


def age_rows(sp, table, where, args):
    """Move expires_at of the rows of `table` matching `where` (a `?` for
    each int of args) to the year 2000 in sp's database; returns how many
    rows."""
    if IS_PG:
        cond = where.replace("?", "{}").format(*(int(a) for a in args))
        rows = pg_query(sp.pg_db, f"WITH aged AS (UPDATE {table} SET "
                        f"expires_at = {PG_Y2000} WHERE {cond} RETURNING 1) "
                        "SELECT count(*) FROM aged")
        n = int(rows[0][0])
        assert n, f"no {table} row to age"
        return n
    db = os.path.join(sp.data_dir, "gatehouse.db")
    with sqlite3.connect(db) as con:
        rows = con.execute(f"SELECT rowid, expires_at FROM {table} WHERE {where}",
                           args).fetchall()
        assert rows, f"no {table} row to age"
        for rowid, exp in rows:
            if exp is None:
                exp = "2099-01-01 00:00:00.000000"
            con.execute(f"UPDATE {table} SET expires_at = ? WHERE rowid = ?",
                        ("2000" + str(exp)[4:], rowid))
    return len(rows)


def restart(spawn_server, sp, name):
    assert sp.stop() == 0
    return spawn_server(data_dir=sp.data_dir, secret_key=sp.secret_key,
                        name=name)


def test_expired_refresh_token_is_401(spawn_server):
    sp = spawn_server(name="before")
    c = Client(sp.url)
    try:
        new_full_user(c)
        u = new_full_user(c)
        keep = new_full_user(c)
    finally:
        c.close()
    age_rows(sp, "refresh_tokens",
             "session_id IN (SELECT id FROM sessions WHERE user_id = ?)",
             (u.id,))
    age_rows(sp, "sessions", "user_id = ?", (u.id,))
    sp2 = restart(spawn_server, sp, "after")
    c = Client(sp2.url)
    try:
        assert_401(refresh_json(c, u.refresh_token))
        # the token endpoint: RFC 6749's invalid_grant
        assert_oauth_error(c.post("/auth/token", data={
            "grant_type": "refresh_token", "refresh_token": u.refresh_token}))
        assert refresh_json(c, keep.refresh_token).status_code == 200
    finally:
        c.close()


def test_expired_api_key_is_401(spawn_server):
    sp = spawn_server(name="before")
    c = Client(sp.url)
    try:
        new_full_user(c)
        u = new_full_user(c)
        old = make_api_key(c, u, name="old", expires_in_days=1)
        fresh = make_api_key(c, u, name="fresh", expires_in_days=1)
    finally:
        c.close()
    age_rows(sp, "api_keys", "id = ?", (old["id"],))
    sp2 = restart(spawn_server, sp, "after")
    c = Client(sp2.url)
    try:
        assert_401(c.get("/users/me", headers={"X-API-Key": old["key"]}))
        r = c.get("/users/me", headers={"X-API-Key": fresh["key"]})
        assert r.status_code == 200 and r.json()["id"] == u.id
        # the listing shows live keys only
        listed = c.get("/api-keys", headers=bearer(u.token)).json()
        assert [k["id"] for k in listed] == [fresh["id"]]
    finally:
        c.close()


def test_secrets_are_not_stored_in_clear(spawn_server):
    """Refresh tokens and API keys are kept hashed: after a clean stop, no
    file of the data folder holds one of them (or a password) verbatim,
    nor (GH_DB=pg) a dump of the server's database."""
    sp = spawn_server()
    c = Client(sp.url)
    secrets = []
    try:
        new_full_user(c)
        u = new_full_user(c)
        secrets += [u.password, u.refresh_token]
        r = refresh_json(c, u.refresh_token).json()
        secrets += [r["refresh_token"], r["access_token"]]
        d = make_api_key(c, u)
        secrets += [d["key"], d["key"].split("_", 2)[2]]
        assert c.get("/users/me",
                     headers={"X-API-Key": d["key"]}).status_code == 200
    finally:
        c.close()
    assert sp.stop() == 0
    blob = b""
    for root, _dirs, files in os.walk(sp.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                blob += fh.read()
    if IS_PG:       # the data folder may well be empty then
        blob += pg_dump(sp.pg_db)
    assert blob, "empty data folder"
    for s in secrets:
        assert s.encode() not in blob, f"{s[:8]}... stored in clear"


def _resigned(token, secret, **changes):
    import jwt
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


def test_token_issued_in_the_future_is_401(client, secret_key):
    """An access token whose iat is an hour ahead was not issued by this
    clock: refused, although its signature and every other claim hold."""
    u = new_full_user(client)
    assert client.get("/users/me", headers=u.headers).status_code == 200
    import time
    now = int(time.time())
    same = _resigned(u.token, secret_key)
    assert client.get("/users/me", headers=bearer(same)).status_code == 200
    ahead = _resigned(u.token, secret_key, iat=now + 3600, exp=now + 7200)
    assert_401(client.get("/users/me", headers=bearer(ahead)))
    # a few seconds of clock drift between instances are allowed
    drift = _resigned(u.token, secret_key, iat=now + 30)
    assert client.get("/users/me", headers=bearer(drift)).status_code == 200
