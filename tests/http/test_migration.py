"""A database written by the seed's FastAPI app opens in place (API.md Part 3,
issue 3 item 4), or moves to PostgreSQL (GH_DB=pg).

The reference app (<repo>/../shared/reference/fastapi_seed) creates users
(bcrypt hashes; the first is admin) and posts; it is stopped; gatehouse is
started on the same file with DATABASE_URL=sqlite:////abs/path.  With
GH_DB=pg the file is instead copied by `gatehouse migrate --from
sqlite:///... --to postgresql://...` into a fresh database (and a second
run into the same database is refused), and gatehouse starts on that.
Either way: old users log in with their old passwords and are re-hashed to
argon2id, posts are intact, new registrations and posts work.
"""

import sqlite3
import subprocess
import time
import uuid

import pytest

from ghtest import (IS_PG, PASSWORD, SLOW, Client, ServerProcess, SeedProcess,
                    User, gatehouse_bin, login, login_response, parse_ts,
                    pg_createdb, pg_dropdb, pg_query, pg_url, register,
                    seed_missing_reason, unique_email, unique_name)

pytestmark = pytest.mark.gatehouse

# every test here starts the seed app: one skip line for the module
if seed_missing_reason() is not None:
    pytest.skip(seed_missing_reason(), allow_module_level=True)


class Migrated:
    pass


def hash_of(db, username):
    if isinstance(db, str) and db.startswith("pg:"):
        rows = pg_query(db[3:], "SELECT hashed_password FROM users "
                        f"WHERE username = '{username}'")
        assert rows, f"user {username} missing from {db}"
        return rows[0][0]
    con = sqlite3.connect(str(db), timeout=10)
    try:
        row = con.execute("SELECT hashed_password FROM users WHERE username = ?",
                          (username,)).fetchone()
    finally:
        con.close()
    assert row is not None, f"user {username} missing from {db}"
    return row[0]


def wait_hash_prefix(db, username, prefix, timeout=5.0):
    """The re-hash is committed by the time login answers; allow a short,
    bounded grace in case it is written by a worker right after."""
    end = time.monotonic() + timeout
    h = hash_of(db, username)
    while not h.startswith(prefix) and time.monotonic() < end:
        time.sleep(0.05)
        h = hash_of(db, username)
    return h


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    binary = gatehouse_bin()
    if not binary.exists():
        pytest.skip(f"no gatehouse binary at {binary}")
    tmp = tmp_path_factory.mktemp("migration")
    db = (tmp / "seed.db").resolve()
    m = Migrated()
    m.db = db

    # 1. the seed app writes the database
    seed = SeedProcess(db, "seed-" + uuid.uuid4().hex, tmp / "seed.log")
    seed.start()
    try:
        c = Client(seed.url)
        m.users = []
        for i, pw in enumerate(["old password 0", "old pässwörd 1 \u20ac",
                                "old password two"]):
            name = unique_name(f"old{i}_")
            r = register(c, name, unique_email(name), password=pw)
            assert r.status_code == 201, r.text
            u = User(name, r.json()["email"], pw, r.json())
            u.token = login(c, name, pw)
            m.users.append(u)
        assert [u.is_admin for u in m.users] == [True, False, False]
        for u in m.users:
            for j in range(2):
                r = c.post("/posts", headers=u.headers,
                           json={"title": f"{u.username} post {j}",
                                 "content": f"content \u00e9 {j}\nline 2"})
                assert r.status_code == 201, r.text
        # an edited post and a deleted one
        posts = c.get("/posts").json()
        r = c.patch(f"/posts/{posts[1]['id']}", headers=m.users[0].headers,
                    json={"title": "edited by admin"})
        assert r.status_code == 200
        r = c.delete(f"/posts/{posts[2]['id']}", headers=m.users[1].headers)
        assert r.status_code == 204
        m.seed_posts = c.get("/posts").json()
        m.seed_users = c.get("/admin/users", headers=m.users[0].headers).json()
        c.close()
    finally:
        seed.stop()
    for u in m.users:
        assert hash_of(db, u.username).startswith("$2b$")

    # 2. gatehouse opens it in place, or copies it to PostgreSQL
    url = "sqlite:///" + str(db)
    assert url.startswith("sqlite:////")
    pg_db = None
    if IS_PG:
        pg_db = pg_createdb()
        cmd = [str(binary), "migrate", "--from", url, "--to", pg_url(pg_db)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "migrate: ok" in r.stdout
        assert "users            3 rows" in r.stdout, r.stdout
        # a second copy into the now non-empty database is refused and
        # changes nothing
        again = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=120)
        assert again.returncode == 1
        assert "not empty" in again.stderr
        # --replace empties it and copies again: the same rows
        again = subprocess.run(cmd + ["--replace"], capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert again.stdout == r.stdout
        url = pg_url(pg_db)
        m.db = "pg:" + pg_db
    gh = ServerProcess(binary=binary, request_timeout=10, name="migrated",
                       env={"DATABASE_URL": url})
    try:
        gh.start()
    except RuntimeError as e:
        pytest.fail(f"gatehouse did not start on the seed's database: {e}",
                    pytrace=False)
    m.gh = gh
    m.client = Client(gh.url)
    yield m
    m.client.close()
    gh.stop()
    problems = gh.problems()
    if problems:
        pytest.fail("; ".join(problems) + "\n" + gh.log(), pytrace=False)
    gh.cleanup_files()
    if pg_db is not None:
        pg_dropdb(pg_db)


def test_posts_are_intact(migrated):
    r = migrated.client.get("/posts")
    assert r.status_code == 200
    got = r.json()
    want = migrated.seed_posts
    assert [p["id"] for p in got] == [p["id"] for p in want]
    for g, w in zip(got, want):
        assert (g["title"], g["content"], g["user_id"]) == \
            (w["title"], w["content"], w["user_id"])
        assert parse_ts(g["date_posted"]) == parse_ts(w["date_posted"]), (g, w)


def test_wrong_old_password_is_401(migrated):
    u = migrated.users[2]
    r = login_response(migrated.client, u.username, "not the old password")
    assert r.status_code == 401
    assert r.json() == {"detail": "Incorrect username or password"}
    assert hash_of(migrated.db, u.username).startswith("$2b$")


def test_old_users_log_in_and_are_rehashed(migrated):
    c = migrated.client
    for u in migrated.users:
        assert hash_of(migrated.db, u.username).startswith("$2b$")
        token = login(c, u.username, u.password)
        me = c.get("/users/me", headers={"Authorization": "Bearer " + token})
        assert me.status_code == 200
        assert me.json()["id"] == u.id
        assert me.json()["is_admin"] is u.is_admin
        h = wait_hash_prefix(migrated.db, u.username, "$argon2id$", 5 * SLOW)
        assert h.startswith("$argon2id$"), h[:10]
        u.token = login(c, u.username, u.password)     # the new hash works
        r = login_response(c, u.username, u.password + "x")
        assert r.status_code == 401                    # and still says no


def test_users_keep_ids_and_admin_flag(migrated):
    admin = migrated.users[0]
    c = migrated.client
    token = login(c, admin.username, admin.password)
    r = c.get("/admin/users", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    got = {u["id"]: u for u in r.json()}
    for w in migrated.seed_users:
        g = got[w["id"]]
        assert (g["username"], g["email"], g["is_admin"]) == \
            (w["username"], w["email"], w["is_admin"])
    r = c.get("/admin/users", headers={"Authorization": "Bearer " + login(
        c, migrated.users[1].username, migrated.users[1].password)})
    assert r.status_code == 403


def test_old_posts_follow_their_owners(migrated):
    c = migrated.client
    owner, stranger, admin = migrated.users[1], migrated.users[2], migrated.users[0]
    tok = {u.username: login(c, u.username, u.password)
           for u in (owner, stranger, admin)}
    mine = [p for p in migrated.seed_posts if p["user_id"] == owner.id]
    assert mine
    pid = mine[0]["id"]
    r = c.patch(f"/posts/{pid}", json={"title": "x"},
                headers={"Authorization": "Bearer " + tok[stranger.username]})
    assert r.status_code == 403
    r = c.patch(f"/posts/{pid}", json={"content": "edited after migration"},
                headers={"Authorization": "Bearer " + tok[owner.username]})
    assert r.status_code == 200
    assert r.json()["title"] == mine[0]["title"]
    assert parse_ts(r.json()["date_posted"]) == parse_ts(mine[0]["date_posted"])
    r = c.patch(f"/posts/{pid}", json={"title": "admin was here"},
                headers={"Authorization": "Bearer " + tok[admin.username]})
    assert r.status_code == 200


def test_new_registrations_and_posts_work(migrated):
    c = migrated.client
    name = unique_name("new")
    r = register(c, name)
    assert r.status_code == 201, r.text
    assert r.json()["is_admin"] is False
    assert r.json()["id"] > max(u["id"] for u in migrated.seed_users)
    for u in migrated.users:        # no clash with the old names or e-mails
        assert register(c, u.username).status_code == 409
        assert register(c, unique_name(), u.email).status_code == 409
    token = login(c, name, PASSWORD)
    r = c.post("/posts", headers={"Authorization": "Bearer " + token},
               json={"title": "after migration", "content": "works"})
    assert r.status_code == 201
    new_id = r.json()["id"]
    ids = [p["id"] for p in c.get("/posts").json()]
    assert ids == sorted(ids)
    assert new_id in ids
    assert set(p["id"] for p in migrated.seed_posts) <= set(ids)
