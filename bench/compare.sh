#!/usr/bin/env bash
# bench/compare.sh - before/after figures of two (or more) gatehouse
# binaries, measured interleaved so that a shared machine's noise falls on
# both alike: A B A B A B ... for each scenario (docs/PERFORMANCE.md).
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [MORE...]
#
# Each measurement starts the binary fresh on a free port with a new data
# folder, seeds it through the API (bench/seed.py: one user, 100 posts, an
# API key), runs one bounded wrk (bench/wrk.lua) and stops it by PID.
# Prints one line per run and, at the end, the median of each binary:
# req/s, p99 and server CPU time per request (utime+stime / requests).
#
# Environment: COMPARE_SCENARIOS="me apikey list create patch refresh"
# (wrk.lua modes, and "mixed16": 32 connections log in as 16 users while
# 16 read GET /users/me; its columns are GET req/s, GET p99 and logins/s),
# COMPARE_RUNS=3, COMPARE_SECONDS=5, COMPARE_CONNECTIONS=64.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
PYTHON=/usr/bin/python3
SCENARIOS=${COMPARE_SCENARIOS:-me apikey list create patch refresh}
RUNS=${COMPARE_RUNS:-3}
SECS=${COMPARE_SECONDS:-5}
CONNS=${COMPARE_CONNECTIONS:-64}
SECRET=bench-secret-key-0123456789abcdef0123456789abcdef
HZ=$(getconf CLK_TCK)

[ $# -ge 2 ] || {
	echo "usage: $0 OLD_BINARY NEW_BINARY [MORE...]" >&2
	exit 2
}
for b in "$@"; do
	[ -x "$b" ] || {
		echo "compare: $b is not an executable" >&2
		exit 2
	}
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-compare.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf -- "$TMP"
}
trap cleanup EXIT

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

field() { printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p"; }

# run BINARY SCENARIO: one measurement, prints "rps p99 cpu_us"
run() {
	local bin=$1 mode=$2 port data t0 t1 out req rfile="" per=0
	port=$(free_port)
	data=$TMP/data
	rm -rf "$data"
	mkdir -p "$data"
	LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_ADDRESS=1000000 \
	    SECRET_KEY=$SECRET "$bin" --host 127.0.0.1 --port "$port" \
	    --data-dir "$data" >"$TMP/server.log" 2>&1 &
	PID=$!
	for _ in $(seq 200); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null &&
		    break
		kill -0 "$PID" 2>/dev/null || {
			cat "$TMP/server.log" >&2
			exit 1
		}
		sleep 0.05
	done
	"$PYTHON" "$HERE/seed.py" seed "http://127.0.0.1:$port" "$TMP/env" \
	    --api-key >/dev/null
	# shellcheck disable=SC1091
	. "$TMP/env"
	if [ "$mode" = refresh ]; then
		per=$((CONNS / 2 + 2))
		rfile=$TMP/refresh.txt
		"$PYTHON" "$HERE/seed.py" sessions "http://127.0.0.1:$port" \
		    "$USER" "$PASS" $((per * 2)) "$rfile" >/dev/null
	fi
	if [ "$mode" = mixed16 ]; then
		mixed16 "$port"
		kill -TERM "$PID"
		wait "$PID" 2>/dev/null || true
		PID=""
		return
	fi
	t0=$(ticks "$PID")
	out=$(BENCH_MODE=$mode BENCH_TOKEN=$TOKEN BENCH_APIKEY=$APIKEY \
	    BENCH_IDS=$IDS BENCH_USER=$USER BENCH_PASS=$PASS \
	    BENCH_REFRESH_FILE=$rfile BENCH_REFRESH_PER_THREAD=$per \
	    wrk -t 2 -c "$CONNS" -d "${SECS}s" -s "$HERE/wrk.lua" \
	    "http://127.0.0.1:$port" | grep '^BENCH')
	t1=$(ticks "$PID")
	kill -TERM "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	req=$(field requests "$out")
	awk -v r="$(field rps "$out")" -v p="$(field p99_ms "$out")" \
	    -v t=$((t1 - t0)) -v n="$req" -v hz="$HZ" 'BEGIN {
		printf "%.0f %.2f %.1f\n", r, p, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# mixed16 PORT: 32 connections log in as 16 users while 16 connections
# read GET /users/me; prints "GET_rps GET_p99_ms logins_per_s" (the
# columns of the table: the login side's load, the GET side's latency).
mixed16() {
	local port=$1 users="" u i get login
	for i in $(seq 1 16); do
		u=mixed$i
		curl -fsS -o /dev/null -H 'Content-Type: application/json' \
		    -d "{\"username\":\"$u\",\"email\":\"$u@example.com\",\"password\":\"$PASS\"}" \
		    "http://127.0.0.1:$port/auth/register"
		users=$users${users:+,}$u
	done
	BENCH_MODE=login BENCH_LOGIN_USERS=$users BENCH_PASS=$PASS \
	    wrk -t 2 -c 32 -d "$((SECS + 1))s" -s "$HERE/wrk.lua" \
	    "http://127.0.0.1:$port" | grep '^BENCH' >"$TMP/login" &
	login=$!
	get=$(BENCH_MODE=me BENCH_TOKEN=$TOKEN wrk -t 2 -c 16 -d "${SECS}s" \
	    -s "$HERE/wrk.lua" "http://127.0.0.1:$port" | grep '^BENCH')
	wait "$login"
	login=$(cat "$TMP/login")
	awk -v r="$(field rps "$get")" -v p="$(field p99_ms "$get")" \
	    -v l="$(field rps "$login")" 'BEGIN {
		printf "%.0f %.2f %.1f\n", r, p, l }'
}

median() { sort -n | awk '{ v[NR] = $1 } END {
	print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$TMP/all"
for scen in $SCENARIOS; do
	for r in $(seq 1 "$RUNS"); do
		for b in "$@"; do
			line=$(run "$b" "$scen")
			echo "$scen $(basename "$b") run $r: req/s p99_ms cpu_us/req = $line"
			echo "$scen $b $line" >>"$TMP/all"
		done
	done
done
echo
echo "medians over $RUNS runs, $CONNS connections, ${SECS}s each:"
printf '%-8s %-28s %10s %9s %12s\n' scenario binary req/s p99_ms cpu_us/req
for scen in $SCENARIOS; do
	for b in "$@"; do
		grep "^$scen $b " "$TMP/all" >"$TMP/sel" || true
		printf '%-8s %-28s %10s %9s %12s\n' "$scen" "$(basename "$b")" \
		    "$(awk '{print $3}' "$TMP/sel" | median)" \
		    "$(awk '{print $4}' "$TMP/sel" | median)" \
		    "$(awk '{print $5}' "$TMP/sel" | median)"
	done
done
