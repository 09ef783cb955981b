"""HTTP attacks not covered elsewhere: response-header injection and
origin reflection.  (Request smuggling shapes, header and body limits,
overlong lines and slow clients are in test_limits.py.)"""

import pytest

from test_limits import raw_exchange

from ghtest import private_client

pytestmark = pytest.mark.gatehouse


def test_origin_is_never_reflected_unless_listed(spawn_server):
    sp = spawn_server(env={"CORS_ORIGINS": "https://good.example"})
    c = private_client(sp)
    try:
        r = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/healthz", headers={"Origin": "https://good.example"})
        assert r.headers["access-control-allow-origin"] == \
            "https://good.example"
        # a look-alike of the listed origin is another origin
        for o in ("https://good.example.evil", "https://good.example:444",
                  "http://good.example", "https://GOOD.example@evil"):
            r = c.get("/healthz", headers={"Origin": o})
            assert "access-control-allow-origin" not in r.headers, o
    finally:
        c.close()


@pytest.mark.parametrize("header", [
    b"Origin: https://good.example\rX-Injected: 1",
    b"X-Forwarded-For: 10.0.0.1\x0bX-Injected: 1",
    b"User-Agent: a\x1b[2Jb",
])
def test_header_injection_shapes_are_refused(server, header):
    # a bare CR, a vertical tab, a terminal escape: 400 before anything
    # (a NUL is the one control libmicrohttpd hides: test_limits.py)
    r = raw_exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                     header + b"\r\nConnection: close\r\n\r\n")
    assert r.status == 400, r
