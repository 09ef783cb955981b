#!/usr/bin/python3
"""seed.py - put the benchmark's data into a server through its public API.

    seed.py seed BASE_URL OUT_FILE      register one user, log in, create
                                        POSTS posts, check that
                                        GET /posts?limit=POSTS returns them;
                                        write shell assignments (TOKEN, IDS,
                                        USER, PASS) to OUT_FILE
    seed.py nginx-bodies OUT_DIR        write the fixed JSON bodies nginx
                                        answers with (same shapes and sizes
                                        as the real responses)

Standard library only. Any failure exits non-zero with a one-line reason:
the benchmark cannot mean anything without its data.
"""
import http.client
import json
import sys
import urllib.parse

POSTS = 100
USER = "benchuser"
EMAIL = "benchuser@example.com"
PASS = "bench-password-1"  # [A-Za-z0-9-] only: no quoting in shell or form


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


def seed(base, out_file):
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
        f.write("TOKEN='%s'\nIDS='%s'\nUSER='%s'\nPASS='%s'\n" %
                (token, ",".join(map(str, ids)), USER, PASS))
    print("seed.py: %s: 1 user, %d posts, list of %d rows (%d bytes)" %
          (base, len(ids), len(body), len(raw)))


def nginx_bodies(out_dir):
    stamp = "2024-01-01T00:00:00.000000"
    posts = [{"id": i, "title": post_title(i), "content": post_content(i),
              "user_id": 1, "date_posted": stamp}
             for i in range(1, POSTS + 1)]
    bodies = {
        "list": posts,
        "post": posts[0],
        "user": {"id": 1, "username": USER, "email": EMAIL,
                 "is_admin": True},
        # roughly the size of a real HS256 access token response
        "token": {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
                  "x" * 120 + "." + "y" * 43, "token_type": "bearer"},
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
    if len(sys.argv) == 4 and sys.argv[1] == "seed":
        try:
            seed(sys.argv[2], sys.argv[3])
        except (OSError, http.client.HTTPException, KeyError, TypeError,
                ValueError) as e:
            fail("%s: %s: %s" % (sys.argv[2], type(e).__name__, e))
    elif len(sys.argv) == 3 and sys.argv[1] == "nginx-bodies":
        nginx_bodies(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
