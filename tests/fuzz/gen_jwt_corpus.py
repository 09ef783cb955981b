#!/usr/bin/python3
"""gen_jwt_corpus.py - write the seed tokens of tests/fuzz/corpus/fuzz_jwt.

The tokens are made by PyJWT (Debian python3-jwt), not by gatehouse, with
the key and clock fuzz_jwt.c fixes (FUZZ_KEY, FUZZ_NOW): most verify, a
few are each rejected for one reason so the fuzzer starts next to every
branch.  Re-run after changing FUZZ_KEY or FUZZ_NOW:
    /usr/bin/python3 tests/fuzz/gen_jwt_corpus.py
"""
import os

import jwt

KEY = "gatehouse-fuzz-key"  # FUZZ_KEY in fuzz_jwt.c
NOW = 1700000000  # FUZZ_NOW in fuzz_jwt.c
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "corpus", "fuzz_jwt")

ACCESS = {"sub": "alice", "uid": 1, "role": "admin", "type": "access",
          "jti": "3f1c2e0a9b8d4c7e", "ver": 0, "iat": NOW - 60,
          "exp": NOW + 1800}

SEEDS = {
    # what gatehouse issues (the same claims, in its order)
    "access": (ACCESS, None, KEY),
    "access-sid": (dict(ACCESS, sid=7, role="user"), None, KEY),
    "minimal": ({"exp": NOW + 1}, None, KEY),
    "nbf": ({"sub": "bob", "nbf": NOW - 1, "exp": NOW + 60}, None, KEY),
    "unicode-sub": (dict(ACCESS, sub="\u00e9l\u00e8ve \U0001f600 \"q\" \\"),
                    None, KEY),
    "unknown-claims": (dict(ACCESS, aud="x", extra={"a": [1, 2.5, None]}),
                       None, KEY),
    # another header that still verifies: parsed, not the fast path
    "header-kid": (ACCESS, {"kid": "k1"}, KEY),
    # each rejected for one reason
    "expired": (dict(ACCESS, exp=NOW), None, KEY),
    "not-yet": (dict(ACCESS, nbf=NOW + 10), None, KEY),
    "no-exp": ({"sub": "alice", "uid": 1}, None, KEY),
    "uid-string": (dict(ACCESS, uid="1"), None, KEY),
    "exp-real": (dict(ACCESS, exp=NOW + 0.5 + 1800), None, KEY),
    "sub-too-long": (dict(ACCESS, sub="x" * 256), None, KEY),
    "other-key": (ACCESS, None, KEY + "-other"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (claims, headers, key) in SEEDS.items():
        tok = jwt.encode(claims, key, algorithm="HS256", headers=headers)
        with open(os.path.join(OUT, name), "w", encoding="ascii") as f:
            f.write(tok)
    # alg "none" (unsigned), which must fail on the header
    tok = jwt.encode(ACCESS, None, algorithm="none")
    with open(os.path.join(OUT, "alg-none"), "w", encoding="ascii") as f:
        f.write(tok)


if __name__ == "__main__":
    main()
