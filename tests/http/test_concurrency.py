"""Races: one name registered by many clients at once; one post patched and
deleted by its owner and an admin at once.  Each thread has its own
connection; a barrier lines them up."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ghtest import (HTTP_TIMEOUT, IS_SEED, PASSWORD, bearer, seed_defect,
                    unique_email, unique_name)


def run_parallel(n, fn):
    """Run fn(i, session) in n threads released together; return results."""
    barrier = threading.Barrier(n)
    sessions = [requests.Session() for _ in range(n)]

    def task(i):
        barrier.wait(timeout=30)
        try:
            return fn(i, sessions[i])
        except requests.RequestException as e:     # report, do not hide
            return e

    try:
        with ThreadPoolExecutor(max_workers=n) as ex:
            return list(ex.map(task, range(n)))
    finally:
        for s in sessions:
            s.close()


def statuses(results):
    out = []
    for r in results:
        assert not isinstance(r, Exception), f"request failed: {r!r}"
        out.append(r.status_code)
    return out


@seed_defect("concurrent registrations of one username: the losers get 500")
def test_parallel_registrations_of_one_username(server, client):
    name = unique_name("race")
    n = 50

    def reg(i, s):
        return s.post(server.url + "/auth/register", timeout=HTTP_TIMEOUT,
                      json={"username": name, "email": unique_email(),
                            "password": PASSWORD})

    codes = statuses(run_parallel(n, reg))
    assert all(c < 500 for c in codes), sorted(codes)
    assert codes.count(201) == 1, sorted(codes)
    assert codes.count(409) == n - 1, sorted(codes)
    r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert r.status_code == 200


@seed_defect("concurrent registrations of one e-mail: the losers get 500")
def test_parallel_registrations_of_one_email(server):
    email = unique_email()
    n = 20

    def reg(i, s):
        return s.post(server.url + "/auth/register", timeout=HTTP_TIMEOUT,
                      json={"username": unique_name(), "email": email,
                            "password": PASSWORD})

    codes = statuses(run_parallel(n, reg))
    assert all(c < 500 for c in codes), sorted(codes)
    assert codes.count(201) == 1, sorted(codes)
    assert codes.count(409) == n - 1, sorted(codes)


# A race: the seed usually, not always, loses it, hence not strict.
@pytest.mark.xfail(condition=IS_SEED, strict=False, reason="seed defect: "
                   "PATCH racing DELETE -> 500 (StaleDataError)")
def test_parallel_patch_and_delete_of_one_post(server, client, user, admin):
    for _round in range(3):
        p = client.post("/posts", headers=user.headers,
                        json={"title": "race", "content": "race"}).json()
        url = f"{server.url}/posts/{p['id']}"
        plan = []       # (who, verb)
        for i in range(16):
            plan.append(("owner" if i % 2 else "admin", "patch"))
        plan += [("owner", "delete"), ("admin", "delete"),
                 ("owner", "delete"), ("admin", "delete")]

        def act(i, s):
            who, verb = plan[i]
            h = bearer(user.token if who == "owner" else admin.token)
            if verb == "patch":
                return s.patch(url, headers=h, timeout=HTTP_TIMEOUT,
                               json={"title": f"t{i}", "content": f"c{i}"})
            return s.delete(url, headers=h, timeout=HTTP_TIMEOUT)

        results = run_parallel(len(plan), act)
        codes = statuses(results)
        bad = [(plan[i], c, results[i].text[:200]) for i, c in enumerate(codes)
               if c not in (200, 204, 404)]
        assert not bad, bad
        deletes = [c for (who, verb), c in zip(plan, codes) if verb == "delete"]
        assert deletes.count(204) == 1, deletes
        assert all(c == 404 for c in deletes if c != 204), deletes
        patches = [c for (who, verb), c in zip(plan, codes) if verb == "patch"]
        assert set(patches) <= {200, 404}, patches
        r = client.get("/posts")
        assert all(q["id"] != p["id"] for q in r.json())
        r = client.patch(url[len(server.url):], headers=user.headers,
                         json={"title": "x"})
        assert r.status_code == 404
