"""The JWT attack set against real access tokens: every forgery below is
built from a token the server just issued, so the only thing wrong with
it is the attack.  Each must be a 401 with the same body and
WWW-Authenticate as any bad token, never a 200, 403 or 5xx.  The
untouched token is checked to pass first, so a 401 proves the check."""

import hashlib
import hmac
import json
import time

import pytest

from ghtest import (assert_401, b64url, b64url_json, bearer, jwt_parts,
                    new_full_user)

pytestmark = pytest.mark.gatehouse

BAD = {"detail": "Could not validate credentials"}


def sign(header, payload, key, raw_payload=None, digest=hashlib.sha256):
    """A JWT with this header and payload (or raw_payload text), HMAC'd
    with key by hand, so nothing a library refuses limits the attack."""
    h = b64url_json(header)
    p = b64url(raw_payload.encode()) if raw_payload else b64url_json(payload)
    sig = hmac.new(key, (h + "." + p).encode(), digest).digest()
    return h + "." + p + "." + b64url(sig)


def forgeries(token, secret):
    _, claims, _ = jwt_parts(token)
    key = secret.encode()
    hs = {"alg": "HS256", "typ": "JWT"}
    now = int(time.time())
    unsigned = b64url_json(claims)
    for alg in ("none", "None", "nOnE", "NONE"):
        yield f"alg {alg}", b64url_json({"alg": alg, "typ": "JWT"}) + "." \
            + unsigned + "."
    yield "alg HS512 with the secret", sign(
        {"alg": "HS512", "typ": "JWT"}, claims, key, digest=hashlib.sha512)
    yield "alg HS384 with the secret", sign(
        {"alg": "HS384", "typ": "JWT"}, claims, key, digest=hashlib.sha384)
    yield "alg RS256, HMAC'd with the secret", sign(
        {"alg": "RS256", "typ": "JWT"}, claims, key)
    yield "alg ES256, HMAC'd with the secret", sign(
        {"alg": "ES256", "typ": "JWT"}, claims, key)
    yield "kid /dev/null, empty key", sign(
        dict(hs, kid="../../../../dev/null"), claims, b"")
    yield "kid SQL, empty key", sign(
        dict(hs, kid="x' UNION SELECT '' --"), claims, b"")
    yield "jku to another key set", sign(
        dict(hs, jku="https://attacker.example/jwks.json"), claims, b"k")
    yield "crit header", sign(dict(hs, crit=["exp"]), claims, key)
    dup = json.dumps(claims, separators=(",", ":"))[:-1] + \
        ',"sub":"admin"}'
    yield "duplicate sub claim", sign(hs, None, key, raw_payload=dup)
    yield "exp a second ago", sign(hs, dict(claims, exp=now - 1), key)
    yield "exp missing", sign(
        hs, {k: v for k, v in claims.items() if k != "exp"}, key)
    yield "exp as a string", sign(hs, dict(claims, exp=str(now + 600)), key)
    yield "exp as a float", sign(hs, dict(claims, exp=now + 600.5), key)
    yield "nbf a minute ahead", sign(hs, dict(claims, nbf=now + 60), key)
    yield "iat an hour ahead", sign(
        hs, dict(claims, iat=now + 3600, exp=now + 7200), key)
    yield "type refresh", sign(hs, dict(claims, type="refresh"), key)
    yield "another uid", sign(hs, dict(claims, uid=claims["uid"] + 1), key)
    yield "another sub", sign(hs, dict(claims, sub=claims["sub"] + "x"), key)
    yield "role admin claimed", sign(
        hs, dict(claims, role="admin", ver=claims["ver"] + 1), key)
    yield "older token version", sign(
        hs, dict(claims, ver=claims["ver"] - 1), key)
    yield "another session", sign(hs, dict(claims, sid=claims["sid"] + 99),
                                  key)
    yield "signature of another key", sign(hs, claims, key + b"x")
    h, p, s = token.split(".")
    yield "signature truncated", h + "." + p + "." + s[:-2]
    yield "signature padded", h + "." + p + "." + s + "=="
    yield "four parts", token + ".x"
    yield "whitespace inside", h + ". " + p + "." + s
    yield "header past the 4096-byte token limit", b64url_json(
        dict(hs, x="a" * 3200)) + "." + p + "." + s


def test_jwt_attack_set_is_refused(client, secret_key):
    u = new_full_user(client)
    assert client.get("/users/me", headers=u.headers).status_code == 200
    same = sign({"alg": "HS256", "typ": "JWT"}, jwt_parts(u.token)[1],
                secret_key.encode())
    r = client.get("/users/me", headers=bearer(same))
    assert r.status_code == 200, "a faithful re-signing must pass: " + r.text
    for name, tok in forgeries(u.token, secret_key):
        r = client.get("/users/me", headers=bearer(tok))
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert r.json() == BAD, (name, r.text)
        assert r.headers["www-authenticate"].lower().startswith("bearer"), \
            name


def test_token_past_the_header_limit_is_431(client, secret_key):
    # past MAX_HEADER_BYTES the request is refused before anything parses
    u = new_full_user(client)
    _, p, sgn = u.token.split(".")
    tok = b64url_json({"alg": "HS256", "x": "a" * 9000}) + "." + p + "." + sgn
    r = client.get("/users/me", headers=bearer(tok))
    assert r.status_code == 431, r.text
