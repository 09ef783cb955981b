"""Process-level behaviour of gatehouse (issue 3 item 5): where the database
lives, restarts, SIGTERM.  Each test runs its own private instance."""

import os
import sqlite3

import pytest
import requests

from ghtest import PASSWORD, Client, bearer, login, new_user

pytestmark = pytest.mark.gatehouse


@pytest.mark.sqlite_only("the default SQLite file in the data folder")
def test_default_database_is_in_the_data_dir(spawn_server):
    sp = spawn_server()
    c = Client(sp.url)
    try:
        u = new_user(c, login_too=False)
    finally:
        c.close()
    db = os.path.join(sp.data_dir, "gatehouse.db")
    assert os.path.exists(db)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT username FROM users WHERE username = ?",
                           (u.username,)).fetchall()
    assert rows == [(u.username,)]


@pytest.mark.sqlite_only("a sqlite:/// DATABASE_URL and its file")
def test_database_url_is_honoured(spawn_server, tmp_path):
    db = tmp_path / "elsewhere" / "custom.db"
    db.parent.mkdir()
    sp = spawn_server(env={"DATABASE_URL": f"sqlite:///{db}"})
    assert str(db).startswith("/")          # so the URL has four slashes
    assert requests.get(sp.url + "/readyz", timeout=10).status_code == 200
    c = Client(sp.url)
    try:
        u = new_user(c, login_too=False)
    finally:
        c.close()
    assert u.is_admin is True               # a fresh database: first user
    assert db.exists()
    assert not os.path.exists(os.path.join(sp.data_dir, "gatehouse.db"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT username FROM users").fetchall()
    assert rows == [(u.username,)]


def test_restart_keeps_users_posts_and_tokens(spawn_server):
    first = spawn_server(name="first")
    c = Client(first.url)
    try:
        adm = new_user(c)
        assert adm.is_admin is True
        u = new_user(c)
        post = c.post("/posts", headers=u.headers,
                      json={"title": "persist", "content": "me"}).json()
    finally:
        c.close()
    assert first.stop() == 0

    second = spawn_server(data_dir=first.data_dir, secret_key=first.secret_key,
                          name="second")
    c = Client(second.url)
    try:
        me = c.get("/users/me", headers=u.headers)     # token from before
        assert me.status_code == 200, me.text
        assert me.json()["id"] == u.id
        assert login(c, u.username, PASSWORD)
        posts = c.get("/posts").json()
        assert post in posts
        assert c.get("/users/me", headers=adm.headers).json()["is_admin"] is True
        later = new_user(c, login_too=False)
        assert later.is_admin is False
    finally:
        c.close()


def test_sigterm_exits_zero_while_idle(spawn_server):
    sp = spawn_server()
    assert requests.get(sp.url + "/healthz", timeout=10).status_code == 200
    assert sp.stop() == 0
    assert not sp.killed


def test_generated_secret_key_is_private_and_reused(spawn_server):
    first = spawn_server(secret_key=False, name="nokey1")
    c = Client(first.url)
    try:
        u = new_user(c)
    finally:
        c.close()
    assert first.stop() == 0
    files = os.listdir(first.data_dir)
    keys = [f for f in files if "key" in f.lower() or "secret" in f.lower()]
    assert keys, f"no secret key file in the data folder: {files}"
    for f in keys:
        mode = os.stat(os.path.join(first.data_dir, f)).st_mode & 0o777
        assert mode == 0o600, (f, oct(mode))
    second = spawn_server(data_dir=first.data_dir, secret_key=False,
                          name="nokey2")
    r = requests.get(second.url + "/users/me", headers=bearer(u.token),
                     timeout=10)
    assert r.status_code == 200, r.text
