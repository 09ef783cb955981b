"""Crash safety: what was answered is on disk, its audit row included.

The server is killed with SIGKILL (no shutdown: as the OOM killer or a
crash would stop it) in the middle of a write load, then started again
on the same data folder; every write that was answered before the kill,
and the audit row of every answered request, must be there.  (A power
cut is what synchronous=FULL is for; this test cannot pull the plug.)"""

import threading

import pytest
import requests

from ghtest import (PASSWORD, SLOW, login_full, new_full_user,
                    private_client)

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
