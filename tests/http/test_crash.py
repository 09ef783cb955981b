"""Crash safety: what was answered is on disk, its audit row included.

The server is killed with SIGKILL (no shutdown: as the OOM killer or a
crash would stop it) in the middle of a write load, then started again
on the same data folder; every write that was answered before the kill,
and the audit row of every answered request, must be there.  (A power
cut is what synchronous=FULL is for; this test cannot pull the plug.)"""

import threading

import pytest
import requests

from ghtest import (IS_PG, PASSWORD, SLOW, login_full, new_full_user,
                    pg_query, private_client)

pytestmark = pytest.mark.gatehouse


def test_answered_writes_and_audit_rows_survive_kill_9(spawn_server):
    sp = spawn_server()
    c = private_client(sp)
    admin = new_full_user(c)
    users = [new_full_user(c) for _ in range(8)]
    c.close()
    answered = {"refresh": 0, "posts": []}
    lock = threading.Lock()
    stop = threading.Event()

    def work(u):
        # a refresh chain (each answer audited as token.refresh) and posts
        token = u.refresh_token
        with requests.Session() as s:
            while not stop.is_set():
                try:
                    r = s.post(sp.url + "/auth/refresh", timeout=10 * SLOW,
                               json={"refresh_token": token})
                    if r.status_code != 200:
                        return
                    token = r.json()["refresh_token"]
                    with lock:
                        answered["refresh"] += 1
                    r = s.post(sp.url + "/posts", timeout=10 * SLOW,
                               headers={"Authorization": "Bearer " +
                                        r.json()["access_token"]},
                               json={"title": "t", "content": "c"})
                    if r.status_code == 201:
                        with lock:
                            answered["posts"].append(r.json()["id"])
                except requests.RequestException:
                    return           # the server is gone: stop counting

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    while True:                      # kill mid-load, once there is load
        with lock:
            if answered["refresh"] >= 400:
                break
        stop.wait(0.01)              # polling interval
    sp.crash()
    stop.set()
    for t in threads:
        t.join(timeout=60 * SLOW)
    sp.start()
    c = private_client(sp)
    admin.token = login_full(c, admin.username, PASSWORD)["access_token"]
    r = c.get("/admin/audit", headers=admin.headers,
              params={"event": "token.refresh", "limit": 1000})
    assert r.status_code == 200, r.text
    rows = [e for e in r.json() if e["outcome"] == "success"]
    n = answered["refresh"]
    assert len(rows) >= n, f"{n - len(rows)} of {n} audit rows lost"
    stored = {p["id"] for p in c.get("/posts").json()}
    lost = set(answered["posts"]) - stored
    assert not lost, f"{len(lost)} answered posts lost"
    c.close()


# ------------------------------------------------------- many kills, mixed load

def _worker(sp_url, u, book, lock, stop):
    """Registrations, posts, refreshes and login+logout pairs against the
    server at sp_url until stop is set or the server is gone; what was
    answered goes into book."""
    token = u.refresh_token
    access = u.token
    i = 0
    with requests.Session() as s:
        while not stop.is_set():
            i += 1
            try:
                if i % 7 == 0:
                    name = f"crash{i}x{threading.get_ident() % 100000}x" \
                           f"{len(book['users'])}"
                    r = s.post(sp_url + "/auth/register", timeout=10 * SLOW,
                               json={"username": name,
                                     "email": name + "@example.com",
                                     "password": PASSWORD})
                    if r.status_code == 201:
                        with lock:
                            book["users"].append(name)
                elif i % 11 == 0:
                    r = s.post(sp_url + "/auth/token", timeout=10 * SLOW,
                               data={"username": u.username,
                                     "password": PASSWORD})
                    if r.status_code != 200:
                        continue
                    pair = r.json()
                    r = s.post(sp_url + "/auth/logout", timeout=10 * SLOW,
                               headers={"Authorization": "Bearer " +
                                        pair["access_token"]})
                    if r.status_code == 204:
                        with lock:
                            book["logged_out"].append(pair["refresh_token"])
                elif i % 2 == 0:
                    r = s.post(sp_url + "/auth/refresh", timeout=10 * SLOW,
                               json={"refresh_token": token})
                    if r.status_code == 200:
                        token = r.json()["refresh_token"]
                        access = r.json()["access_token"]
                        with lock:
                            book["refreshes"] += 1
                    else:            # the chain ended in a crash: log in
                        r = s.post(sp_url + "/auth/token", timeout=10 * SLOW,
                                   data={"username": u.username,
                                         "password": PASSWORD})
                        if r.status_code == 200:
                            token = r.json()["refresh_token"]
                            access = r.json()["access_token"]
                else:
                    r = s.post(sp_url + "/posts", timeout=10 * SLOW,
                               headers={"Authorization": "Bearer " + access},
                               json={"title": "t", "content": "c"})
                    if r.status_code == 201:
                        with lock:
                            book["posts"].append(r.json()["id"])
            except requests.RequestException:
                return


def test_many_kills_lose_nothing_answered(spawn_server):
    """GH_CRASH_KILLS times (10 in make test, 200 in make crash): start,
    run a mixed write load for a moment, SIGKILL mid-load.  At the end
    every answered registration, post, logout and refresh audit row is
    there, and PRAGMA integrity_check is ok (GH_DB=pg: the same rows, read
    from the server's PostgreSQL database)."""
    import os
    import random
    import sqlite3
    kills = int(os.environ.get("GH_CRASH_KILLS", "10"))
    sp = spawn_server(env={"LOGIN_MAX_FAILURES": "1000000",
                           "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
                           "REGISTER_MAX_PER_ADDRESS": "1000000"})
    c = private_client(sp)
    admin = new_full_user(c)
    users = [new_full_user(c) for _ in range(4)]
    c.close()
    book = {"users": [], "posts": [], "logged_out": [], "refreshes": 0}
    lock = threading.Lock()
    rnd = random.Random(kills)
    for _ in range(kills):
        stop = threading.Event()
        threads = [threading.Thread(target=_worker,
                                    args=(sp.url, u, book, lock, stop))
                   for u in users]
        for t in threads:
            t.start()
        stop.wait(rnd.uniform(0.15, 0.4))   # the load runs this long
        sp.crash()
        stop.set()
        for t in threads:
            t.join(timeout=60 * SLOW)
        sp.start()
    sp.stop()
    if IS_PG:
        pgdb = sp.pg_db
        names = {r[0] for r in pg_query(pgdb, "SELECT username FROM users")}
        posts = {int(r[0]) for r in pg_query(pgdb, "SELECT id FROM posts")}
        rows = int(pg_query(pgdb, "SELECT count(*) FROM audit_log WHERE "
                              "event = 'token.refresh' AND outcome = 'success'"
                              )[0][0])
    else:
        db = os.path.join(sp.data_dir, "gatehouse.db")
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            names = {r[0] for r in con.execute("SELECT username FROM users")}
            posts = {r[0] for r in con.execute("SELECT id FROM posts")}
            rows = con.execute("SELECT count(*) FROM audit_log WHERE event = "
                               "'token.refresh' AND outcome = 'success'"
                               ).fetchone()[0]
    lost_users = set(book["users"]) - names
    lost_posts = set(book["posts"]) - posts
    assert not lost_users, f"{len(lost_users)} answered registrations lost"
    assert not lost_posts, f"{len(lost_posts)} answered posts lost"
    assert rows >= book["refreshes"], \
        f"{book['refreshes'] - rows} audit rows of answered refreshes lost"
    sp.start()
    c = private_client(sp)
    for t in book["logged_out"]:
        r = c.post("/auth/refresh", json={"refresh_token": t})
        assert r.status_code == 401, "an answered logout was undone"
    c.close()
    print(f"crash: {kills} kills, {len(book['users'])} registrations, "
          f"{len(book['posts'])} posts, {book['refreshes']} refreshes, "
          f"{len(book['logged_out'])} logouts answered; lost 0")
