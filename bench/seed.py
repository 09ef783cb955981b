#!/usr/bin/python3
"""seed.py - put the benchmark's data into a server through its public API.

    seed.py seed BASE_URL OUT_FILE [--api-key]
                                        register one user, log in, create
                                        POSTS posts, check that
                                        GET /posts?limit=POSTS returns them;
                                        with --api-key also create an API key
                                        (POST /api-keys) and check that it
                                        authenticates GET /users/me; write
                                        shell assignments (TOKEN, IDS, USER,
                                        PASS, APIKEY - empty without
                                        --api-key) to OUT_FILE
    seed.py sessions BASE_URL USER PASS COUNT OUT_FILE
                                        log in COUNT times (in parallel: a
                                        login costs a password hash) and
                                        write the COUNT refresh tokens, one a
                                        line, to OUT_FILE: one session per
                                        wrk connection of the "refresh"
                                        scenario, whose tokens each work once
    seed.py clean-todos BASE_URL TOKEN  delete every todo of the token's
                                        user (those a "todos" run left
                                        half-way through their cycle)
    seed.py nginx-bodies OUT_DIR [TODOS]
                                        write the fixed JSON bodies nginx
                                        answers with (same shapes and sizes
                                        as the real responses); the todo
                                        list holds TODOS todos (default 51:
                                        how many a "todos" run at 64
                                        connections has alive, 4 of 5 steps)

Standard library only. Any failure exits non-zero with a one-line reason:
the benchmark cannot mean anything without its data.
"""
import concurrent.futures
import http.client
import json
import re
import sys
import urllib.parse

POSTS = 100
USER = "benchuser"
EMAIL = "benchuser@example.com"
PASS = "bench-password-1"  # [A-Za-z0-9-] only: no quoting in shell or form
SESSION_THREADS = 8  # parallel logins in "sessions"
# what may go verbatim into a shell '...' string, a JSON string and a header
SAFE_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]+$")


def post_title(i):
    return "Benchmark post number %d" % i


def post_content(i):
    return ("Post %d of the benchmark data set. A paragraph of ordinary "
            "length, so that a page of one hundred posts weighs what a "
            "real page would." % i)


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None, headers=None, form=False):
        headers = dict(headers or {})
        if body is not None:
            if form:
                body = urllib.parse.urlencode(body)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(body)
                headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return resp.status, parsed, data


def fail(msg):
    print("seed.py: " + msg, file=sys.stderr)
    sys.exit(1)


def expect(what, got, want, raw):
    if got not in want:
        fail("%s: HTTP %d (want %s): %.300r" % (what, got, want, raw))


def check_token(what, token, raw):
    if not isinstance(token, str) or not SAFE_TOKEN.match(token):
        fail("%s: missing or unexpected characters: %.300r" % (what, raw))
    return token


def seed(base, out_file, api_key=False):
    c = Client(base)
    st, _, raw = c.call("POST", "/auth/register",
                        {"username": USER, "email": EMAIL, "password": PASS})
    expect("register", st, (201,), raw)
    st, body, raw = c.call("POST", "/auth/token",
                           {"username": USER, "password": PASS}, form=True)
    expect("login", st, (200,), raw)
    token = (body or {}).get("access_token")
    if not token:
        fail("login: no access_token in %.300r" % raw)
    auth = {"Authorization": "Bearer " + token}
    st, _, raw = c.call("GET", "/users/me", headers=auth)
    expect("GET /users/me", st, (200,), raw)
    key = ""
    if api_key:
        st, body, raw = c.call("POST", "/api-keys", {"name": "bench"},
                               headers=auth)
        expect("POST /api-keys", st, (201,), raw)
        key = check_token("POST /api-keys: key", (body or {}).get("key"),
                          raw)
        st, _, raw = c.call("GET", "/users/me", headers={"X-API-Key": key})
        expect("GET /users/me with X-API-Key", st, (200,), raw)
    ids = []
    for i in range(1, POSTS + 1):
        st, body, raw = c.call("POST", "/posts",
                               {"title": post_title(i),
                                "content": post_content(i)}, headers=auth)
        expect("POST /posts #%d" % i, st, (201,), raw)
        ids.append(int(body["id"]))
    st, body, raw = c.call("GET", "/posts?limit=%d" % POSTS)
    expect("GET /posts?limit=%d" % POSTS, st, (200,), raw)
    if not isinstance(body, list) or len(body) != POSTS:
        fail("GET /posts?limit=%d returned %s rows, want %d" %
             (POSTS, len(body) if isinstance(body, list) else "non-list",
              POSTS))
    with open(out_file, "w") as f:
        f.write("TOKEN='%s'\nIDS='%s'\nUSER='%s'\nPASS='%s'\n"
                "APIKEY='%s'\n" %
                (check_token("login: access_token", token, token),
                 ",".join(map(str, ids)), USER, PASS, key))
    print("seed.py: %s: 1 user, %d posts, list of %d rows (%d bytes)%s" %
          (base, len(ids), len(body), len(raw),
           ", 1 API key" if key else ""))


def sessions(base, user, password, count, out_file):
    """COUNT logins, COUNT distinct refresh tokens, one a line."""

    def login(_):
        st, body, raw = Client(base).call(
            "POST", "/auth/token", {"username": user, "password": password},
            form=True)
        expect("login", st, (200,), raw)
        return check_token("login: refresh_token",
                           (body or {}).get("refresh_token"), raw)

    with concurrent.futures.ThreadPoolExecutor(SESSION_THREADS) as pool:
        tokens = list(pool.map(login, range(count)))
    with open(out_file, "w") as f:
        f.write("".join(t + "\n" for t in tokens))


def clean_todos(base, token):
    c = Client(base)
    auth = {"Authorization": "Bearer " + token}
    deleted = 0
    while True:
        st, body, raw = c.call("GET", "/todos", headers=auth)
        expect("GET /todos", st, (200,), raw)
        if not isinstance(body, list):
            fail("GET /todos: not a list: %.300r" % raw)
        if not body:
            break
        for t in body:
            st, _, raw = c.call("DELETE", "/todos/%d" % int(t["id"]),
                                headers=auth)
            expect("DELETE /todos/%s" % t["id"], st, (204, 404), raw)
            deleted += 1
        if deleted > 1000000:
            fail("GET /todos keeps listing todos after %d deletes" % deleted)


def nginx_bodies(out_dir, todos=51):
    stamp = "2024-01-01T00:00:00.000000"
    posts = [{"id": i, "title": post_title(i), "content": post_content(i),
              "user_id": 1, "date_posted": stamp}
             for i in range(1, POSTS + 1)]
    bodies = {
        "list": posts,
        "post": posts[0],
        "user": {"id": 1, "username": USER, "email": EMAIL,
                 "is_admin": True, "role": "admin", "is_active": True,
                 "created_at": stamp + "Z"},
        # the size of a real token response (HS256 access token with sid,
        # jti and ver claims; 256-bit refresh token): login and refresh
        "token": {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
                  "x" * 186 + "." + "y" * 43, "token_type": "bearer",
                  "expires_in": 1800, "refresh_token": "z" * 43},
        # the todos cycle (wrk.lua): created and read with completed false,
        # PATCHed to true, listed with the other live ones
        "todo": {"id": 1, "title": "bench todo", "completed": False,
                 "user_id": 1, "created_at": stamp + "Z"},
        "todo_done": {"id": 1, "title": "bench todo, edited",
                      "completed": True, "user_id": 1,
                      "created_at": stamp + "Z"},
        "todos": [{"id": i, "title": "bench todo", "completed": i % 2 == 0,
                   "user_id": 1, "created_at": stamp + "Z"}
                  for i in range(1, todos + 1)],
    }
    for name, obj in bodies.items():
        text = json.dumps(obj, separators=(",", ":"))
        # these go verbatim into a single-quoted nginx string
        if any(ch in text for ch in "'\\$"):
            fail("nginx body %s holds a character nginx would interpret" %
                 name)
        with open("%s/%s.json" % (out_dir, name), "w") as f:
            f.write(text)


def main():
    if len(sys.argv) in (4, 5) and sys.argv[1] == "seed" and \
            sys.argv[4:] in ([], ["--api-key"]):
        try:
            seed(sys.argv[2], sys.argv[3], api_key=len(sys.argv) == 5)
        except (OSError, http.client.HTTPException, KeyError, TypeError,
                ValueError) as e:
            fail("%s: %s: %s" % (sys.argv[2], type(e).__name__, e))
    elif len(sys.argv) == 7 and sys.argv[1] == "sessions" and \
            sys.argv[5].isdigit() and int(sys.argv[5]) > 0:
        try:
            sessions(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                     sys.argv[6])
        except (OSError, http.client.HTTPException, TypeError,
                ValueError) as e:
            fail("%s: %s: %s" % (sys.argv[2], type(e).__name__, e))
    elif len(sys.argv) == 4 and sys.argv[1] == "clean-todos":
        try:
            clean_todos(sys.argv[2], sys.argv[3])
        except (OSError, http.client.HTTPException, KeyError, TypeError,
                ValueError) as e:
            fail("%s: %s: %s" % (sys.argv[2], type(e).__name__, e))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "nginx-bodies" and \
            (len(sys.argv) == 3 or sys.argv[3].isdigit()):
        nginx_bodies(sys.argv[2], *[int(a) for a in sys.argv[3:]])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
