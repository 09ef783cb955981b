#!/usr/bin/env bash
# gen-scale-data.sh - build a gatehouse SQLite database with many users and
# posts for benchmarks (issue 6): `scripts/gen-scale-data.sh OUT.db USERS POSTS`,
# e.g. 1000000 users and 10000000 posts.
#
# BENCH DATA ONLY.  Every generated user ("bench<N>", bench<N>@bench.example.com)
# shares ONE real argon2id hash of the password "bench-password", produced
# once by gatehouse itself (a throwaway instance registers bench0), so any of
# them can log in; posts are spread round-robin over the users.  The schema
# is gatehouse's own: the throwaway instance runs the migrations first.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 OUT.db USERS POSTS" >&2
	exit 2
fi
OUT=$1 USERS=$2 POSTS=$3
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${GATEHOUSE_BIN:-$ROOT/build/gatehouse}
[ -x "$BIN" ] || { echo "$BIN missing: make build/gatehouse" >&2; exit 1; }
[ -e "$OUT" ] && { echo "$OUT exists; remove it first" >&2; exit 1; }
case "$USERS$POSTS" in *[!0-9]*) echo "USERS and POSTS are numbers" >&2; exit 2 ;; esac
[ "$USERS" -ge 1 ] || { echo "USERS >= 1" >&2; exit 2; }

TMP=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DB=$(realpath -m -- "$OUT")
SECRET_KEY=gen-scale-data-throwaway-secret-key DATABASE_URL="sqlite:///$DB" \
    "$BIN" --port "$port" --data-dir "$TMP" >"$TMP/log" 2>&1 &
PID=$!
for _ in $(seq 200); do
	curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/log" >&2; exit 1; }
	sleep 0.05
done
curl -sf -X POST "http://127.0.0.1:$port/auth/register" \
    -H 'Content-Type: application/json' \
    -d '{"username":"bench0","email":"bench0@bench.example.com","password":"bench-password"}' >/dev/null
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=

start=$(date +%s)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
INSERT INTO users (username, email, hashed_password, is_admin, role, is_active,
    created_at, token_version)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS - 1)
SELECT 'bench' || i, 'bench' || i || '@bench.example.com',
    (SELECT hashed_password FROM users WHERE username = 'bench0'), 0, 'user', 1,
    strftime('%Y-%m-%d %H:%M:%f000', 'now'), 0
FROM n WHERE $USERS > 1;
INSERT INTO posts (title, content, user_id, date_posted)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $POSTS)
SELECT 'bench post ' || i, 'bench content of post ' || i || ', a sentence long.',
    1 + (i % $USERS), strftime('%Y-%m-%d %H:%M:%f000', 'now')
FROM n WHERE $POSTS > 0;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "gen-scale-data: $USERS users, $POSTS posts in $DB ($(( $(date +%s) - start )) s); password of every user: bench-password"
