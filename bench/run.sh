#!/usr/bin/env bash
# bench/run.sh - wrk benchmark of gatehouse against nginx (the machine's
# ceiling: a fixed JSON body) and the seed's FastAPI application (the
# baseline gatehouse replaces).
#
#   make bench        bench/run.sh                 (full run, ~15-20 minutes)
#   make bench-smoke  BENCH_SMOKE=1 bench/run.sh   (~1 s per scenario; only
#                                                   proves the harness works)
#
# For each server: start it on a free port with fresh data in a temp dir,
# poll until it answers, seed one user, its token, an API key (gatehouse) and
# 100 posts through the API (bench/seed.py), run the wrk scenarios
# (bench/wrk.lua), stop it by PID. The FastAPI seed has neither API keys nor
# refresh tokens: it skips "apikey" and "refresh".
# Results: a Markdown table on stdout and in bench/out/results.md; every
# single run in bench/out/raw.tsv; wrk and server output in bench/out/.
#
# Exit status is non-zero when the harness itself breaks (a server does not
# start, seeding fails, wrk fails, a scenario completes no request or every
# request errors, a refresh chain breaks) - never because a figure is slow.
#
# Environment (defaults: full run / smoke):
#   BENCH_DURATION=10/1        seconds per measured run
#   BENCH_CONNECTIONS=64/4     wrk connections
#   BENCH_THREADS=2/2          wrk threads (capped at the connections)
#   BENCH_RUNS=3/1             runs per scenario; the table shows medians
#   BENCH_WARMUP=2/0           seconds of warm-up before each scenario
#   BENCH_CEILING_DURATION=5/2 seconds of 1-connection login (hash cost)
#   BENCH_MIXED_LOGIN_CONNECTIONS=32/4   login connections in "mixed"
#   BENCH_MIXED_GET_CONNECTIONS=8     GET side of "mixed" (latency, not load)
#   BENCH_LOGIN_ROUNDS=4       login runs for at least this many logins per
#                              connection: duration = max(BENCH_DURATION,
#                              ROUNDS * connections * t / nproc), t from the
#                              1-connection probe, capped by
#   BENCH_LOGIN_MAX_DURATION=60/$BENCH_DURATION
#   BENCH_TIMEOUT=30           wrk per-request timeout, seconds
#   BENCH_IDLE_TIMEOUT=120     seconds to wait for a server to finish work
#                              abandoned by the previous wrk (see wait_idle)
#   BENCH_START_TIMEOUT=60     seconds a server may take to become ready
#   BENCH_SKIP_NGINX=1, BENCH_SKIP_GATEHOUSE=1, BENCH_SKIP_SEED=1
#                              leave out nginx / gatehouse / the seed app
#   BENCH_GATEHOUSE_BIN=build/gatehouse   BENCH_GATEHOUSE_ARGS=   (extra flags)
#   BENCH_SEED_APP_DIR=../shared/reference/fastapi_seed (beside the clone)
#   BENCH_SEED_WORKERS=$(nproc)
#   BENCH_SCENARIOS="me apikey list patch login refresh mixed create"
#                              subset, in this order
#   BENCH_KEEP_TMP=1           keep the temp dir (data, nginx config)
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname -- "$HERE")
OUT=$HERE/out
PYTHON=/usr/bin/python3
NPROC=$(nproc)

if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	d_dur=1 d_conn=4 d_runs=1 d_warm=0 d_ceil=2 d_mixlogin=4
	d_loginmax=${BENCH_DURATION:-$d_dur}
else
	d_dur=10 d_conn=64 d_runs=3 d_warm=2 d_ceil=5 d_mixlogin=32
	d_loginmax=60
fi
DURATION=${BENCH_DURATION:-$d_dur}
CONNECTIONS=${BENCH_CONNECTIONS:-$d_conn}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-$d_runs}
WARMUP=${BENCH_WARMUP:-$d_warm}
CEILING_DURATION=${BENCH_CEILING_DURATION:-$d_ceil}
MIXED_LOGIN_CONNECTIONS=${BENCH_MIXED_LOGIN_CONNECTIONS:-$d_mixlogin}
MIXED_GET_CONNECTIONS=${BENCH_MIXED_GET_CONNECTIONS:-8}
TIMEOUT=${BENCH_TIMEOUT:-30}
LOGIN_ROUNDS=${BENCH_LOGIN_ROUNDS:-4}
LOGIN_MAX_DURATION=${BENCH_LOGIN_MAX_DURATION:-$d_loginmax}
IDLE_TIMEOUT=${BENCH_IDLE_TIMEOUT:-120}
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}
GATEHOUSE_BIN=${BENCH_GATEHOUSE_BIN:-$ROOT/build/gatehouse}
SEED_APP_DIR=${BENCH_SEED_APP_DIR:-$ROOT/../shared/reference/fastapi_seed}
SEED_WORKERS=${BENCH_SEED_WORKERS:-$NPROC}
SCENARIOS=${BENCH_SCENARIOS:-me apikey list patch login refresh mixed create}
SECRET=bench-secret-key-0123456789abcdef0123456789abcdef

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: ERROR: %s\n' "$*" >&2
	exit 1
}

for v in DURATION CONNECTIONS THREADS RUNS CEILING_DURATION TIMEOUT \
    START_TIMEOUT MIXED_LOGIN_CONNECTIONS MIXED_GET_CONNECTIONS SEED_WORKERS \
    LOGIN_ROUNDS LOGIN_MAX_DURATION IDLE_TIMEOUT; do
	case ${!v} in
	'' | *[!0-9]* | 0) die "BENCH_$v must be a positive integer (got '${!v}')" ;;
	esac
done
case $WARMUP in '' | *[!0-9]*) die "BENCH_WARMUP must be an integer" ;; esac
for scen in $SCENARIOS; do
	case $scen in
	me | apikey | list | patch | login | refresh | mixed | create) ;;
	*) die "unknown scenario '$scen' in BENCH_SCENARIOS" ;;
	esac
done
for tool in wrk curl "$PYTHON"; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps)"
done

# ---- process bookkeeping ---------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
PIDS=()        # servers and background wrk processes we started
CURRENT_LOG="" # log of the server being measured, shown on failure

alive() { # PID: running (a zombie child counts as gone)
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

stop_pid() { # PID: TERM, wait up to 10 s, then KILL it and its children
	local pid=$1 kids deadline
	alive "$pid" || {
		wait "$pid" 2>/dev/null || true
		return 0
	}
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + 10))
	while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
	if alive "$pid"; then
		log "pid $pid ignored SIGTERM for 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	# uvicorn workers exit with their master; the wrk under a background
	# subshell (mixed) does not, so TERM whatever is left, then KILL
	for k in $kids; do
		alive "$k" && kill -TERM "$k" 2>/dev/null
		deadline=$((SECONDS + 5))
		while alive "$k" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
		alive "$k" && kill -KILL "$k" 2>/dev/null
	done
	return 0
}

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	if [ $rc -ne 0 ] && [ -n "$CURRENT_LOG" ] && [ -s "$CURRENT_LOG" ]; then
		log "last lines of $CURRENT_LOG:"
		tail -n 20 "$CURRENT_LOG" >&2
	fi
	if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf -- "$TMP"
	fi
	[ $rc -ne 0 ] && log "FAILED (exit $rc)"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_ready() { # NAME PID URL: poll URL until 200, the process dies, or timeout
	local name=$1 pid=$2 url=$3 deadline=$((SECONDS + START_TIMEOUT))
	while :; do
		alive "$pid" || die "$name exited during startup (see $CURRENT_LOG)"
		if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			return 0
		fi
		[ $SECONDS -lt $deadline ] ||
		    die "$name not ready at $url after ${START_TIMEOUT}s"
		sleep 0.05
	done
}

# CPU time (clock ticks) used so far by PID and its children (uvicorn and
# nginx workers); threads are counted in their process's line.
tree_ticks() {
	local f files=()
	for f in "$1" $(pgrep -P "$1" 2>/dev/null); do
		[ -r "/proc/$f/stat" ] && files+=("/proc/$f/stat")
	done
	[ ${#files[@]} -gt 0 ] || {
		echo 0
		return
	}
	awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }' \
	    "${files[@]}" 2>/dev/null || echo 0
}

# wait_idle PID: poll the server's CPU use until a quarter second passes with
# almost none (< 12% of one core), or IDLE_TIMEOUT. A wrk that ends (or a
# warm-up) abandons its in-flight requests, and a server whose workers cannot
# cancel them (a thread pool computing password hashes) keeps computing them;
# without this wait, that backlog would be charged to the next run.
wait_idle() {
	local pid=$1 hz prev now start=$SECONDS limit
	hz=$(getconf CLK_TCK)
	limit=$((hz / 8 + 1))
	prev=$(tree_ticks "$pid")
	while :; do
		sleep 0.25
		now=$(tree_ticks "$pid")
		[ $((now - prev)) -lt "$limit" ] && break
		prev=$now
		if [ $((SECONDS - start)) -ge "$IDLE_TIMEOUT" ]; then
			log "  warning: server still busy after ${IDLE_TIMEOUT}s; going on"
			return 0
		fi
	done
	[ $((SECONDS - start)) -lt 2 ] ||
	    log "  (waited $((SECONDS - start))s for the server to finish abandoned work)"
	return 0
}

# Percentage of the machine's CPU busy over one second (run while none of
# our servers or wrk runs: it measures everyone else's load).
machine_busy() {
	local a b
	a=$(sed -n 's/^cpu  //p' /proc/stat)
	sleep 1
	b=$(sed -n 's/^cpu  //p' /proc/stat)
	printf '%s\n%s\n' "$a" "$b" | awk '
	    { idle[NR] = $4 + $5; tot[NR] = 0; for (i = 1; i <= NF; i++) tot[NR] += $i }
	    END { d = tot[2] - tot[1]; if (d <= 0) d = 1
	          printf "%.0f\n", 100 * (1 - (idle[2] - idle[1]) / d) }'
}

# ---- servers ---------------------------------------------------------------
# start_NAME sets SERVER_PID and BASE; the caller waits, seeds and stops.

start_nginx() {
	local dir=$TMP/nginx port body_post body_user body_token
	mkdir -p "$dir/temp"
	chmod 755 "$TMP" "$dir" # workers may run as another user under root
	"$PYTHON" "$HERE/seed.py" nginx-bodies "$dir" || die "nginx bodies"
	body_post=$(cat "$dir/post.json")
	body_user=$(cat "$dir/user.json")
	body_token=$(cat "$dir/token.json")
	port=$(free_port)
	cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh: fixed JSON answers, the machine's ceiling
worker_processes $NPROC;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	default_type application/json;
	keepalive_requests 100000000;
	keepalive_timeout 120s;
	sendfile on;
	open_file_cache max=16;
	client_body_temp_path $dir/temp/body;
	proxy_temp_path $dir/temp/proxy;
	fastcgi_temp_path $dir/temp/fastcgi;
	uwsgi_temp_path $dir/temp/uwsgi;
	scgi_temp_path $dir/temp/scgi;
	server {
		listen 127.0.0.1:$port;
		location = /healthz { return 200 '{"status":"ok"}'; }
		location = /users/me { return 200 '$body_user'; }
		location = /auth/token { return 200 '$body_token'; }
		location = /auth/refresh { return 200 '$body_token'; }
		location = /posts {
			if (\$request_method = POST) { return 201 '$body_post'; }
			alias $dir/list.json; # too long for a config string
		}
		location /posts/ { return 200 '$body_post'; }
		location / { return 404 '{"detail":"Not Found"}'; }
	}
}
EOF
	CURRENT_LOG=$OUT/logs/nginx.log
	/usr/sbin/nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" \
	    >"$CURRENT_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	BASE=http://127.0.0.1:$port
	READY_URL=$BASE/healthz
}

start_gatehouse() {
	local port
	[ -x "$GATEHOUSE_BIN" ] ||
	    die "$GATEHOUSE_BIN missing: make build/gatehouse (or BENCH_SKIP_GATEHOUSE=1)"
	mkdir -p "$TMP/gatehouse-data"
	port=$(free_port)
	CURRENT_LOG=$OUT/logs/gatehouse.log
	# The login scenarios sign one user in from up to 64 connections at
	# once, and every attempt counts against the brute-force limits until
	# its password is checked: raise the limits, as a deployment that
	# expects such bursts would.
	# shellcheck disable=SC2086 # BENCH_GATEHOUSE_ARGS is a word list
	LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_ADDRESS=1000000 \
	SECRET_KEY=$SECRET "$GATEHOUSE_BIN" --host 127.0.0.1 --port "$port" \
	    --data-dir "$TMP/gatehouse-data" ${BENCH_GATEHOUSE_ARGS:-} \
	    >"$CURRENT_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	BASE=http://127.0.0.1:$port
	READY_URL=$BASE/healthz
}

start_fastapi() {
	local port
	[ -x "$SEED_APP_DIR/run.sh" ] ||
	    die "$SEED_APP_DIR/run.sh missing (BENCH_SEED_APP_DIR, or BENCH_SKIP_SEED=1)"
	port=$(free_port)
	CURRENT_LOG=$OUT/logs/fastapi.log
	# run.sh execs uvicorn: $! is the master, SIGTERM stops the workers too
	SECRET_KEY=$SECRET RUN_TCP_NODELAY_FIX=1 "$SEED_APP_DIR/run.sh" \
	    "$port" "$TMP/fastapi/app.db" "$SEED_WORKERS" >"$CURRENT_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	BASE=http://127.0.0.1:$port
	READY_URL=$BASE/
}

# ---- wrk -------------------------------------------------------------------

# new_sessions FILE CONNECTIONS THREADS: fresh refresh tokens for one wrk run
# of "refresh" (each token works once, so every run, warm-up included, needs
# its own): one session per connection plus two spare per thread (see
# wrk.lua), made by logging in; sets REFRESH_PER_THREAD.
new_sessions() {
	local file=$1 conns=$2 threads=$3
	REFRESH_PER_THREAD=$((conns / threads + 2)) # wrk: conns / threads each
	"$PYTHON" "$HERE/seed.py" sessions "$BASE" "$USER_NAME" "$USER_PASS" \
	    $((REFRESH_PER_THREAD * threads)) "$file" ||
	    die "creating sessions for refresh failed"
}

# run_wrk SERVER SCENARIO RUN MODE CONNECTIONS SECONDS [check]
# Runs one bounded wrk, prints its BENCH line (with server/scenario/run in
# front) on stdout. With "check", fails the harness when nothing completed,
# every response was an error, or (refresh) any chain of tokens broke.
run_wrk() {
	local server=$1 scen=$2 run=$3 mode=$4 conns=$5 secs=$6 check=${7:-}
	local threads=$THREADS out line req non2xx sock wpid rc bad starved
	local rfile="" REFRESH_PER_THREAD=0
	[ "$threads" -le "$conns" ] || threads=$conns
	out=$OUT/wrk/$server-$scen-$run.txt
	if [ "$mode" = refresh ]; then
		rfile=$TMP/refresh-$server-$scen-$run.txt
		new_sessions "$rfile" "$conns" "$threads"
	fi
	# in the background, so that a signal to this script is handled at once
	BENCH_MODE=$mode BENCH_TAG=$scen BENCH_TOKEN=$TOKEN BENCH_IDS=$IDS \
	    BENCH_USER=$USER_NAME BENCH_PASS=$USER_PASS BENCH_APIKEY=$APIKEY \
	    BENCH_REFRESH_FILE=$rfile BENCH_REFRESH_PER_THREAD=$REFRESH_PER_THREAD \
	    timeout -k 5 $((secs + TIMEOUT + 30)) \
	    wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout "${TIMEOUT}s" \
	    -s "$HERE/wrk.lua" "$BASE" >"$out" 2>&1 &
	wpid=$!
	PIDS+=("$wpid")
	rc=0
	wait "$wpid" || rc=$?
	forget_pid "$wpid"
	if [ $rc -ne 0 ]; then
		tail -n 5 "$out" >&2
		die "wrk failed (exit $rc): $server $scen run $run (see $out)"
	fi
	line=$(grep '^BENCH' "$out" | tail -n 1) ||
	    die "wrk printed no BENCH line: $server $scen run $run (see $out)"
	if [ "$check" = check ]; then
		req=$(field requests "$line")
		non2xx=$(field non2xx "$line")
		sock=$(($(field connect "$line") + $(field read "$line") +
		    $(field write "$line") + $(field timeout "$line")))
		[ "$req" -gt 0 ] ||
		    die "$server $scen: no request completed in ${secs}s ($sock socket errors; see $out)"
		[ "$non2xx" -lt "$req" ] ||
		    die "$server $scen: every one of $req responses was an error status (see $out)"
		# a refresh that fails breaks its connection's chain of tokens:
		# a harness bug (a token presented twice) or a server bug, and
		# the figures would measure the error path
		bad=$(($(field badresp "$line") + 0))
		starved=$(($(field starved "$line") + 0))
		[ "$mode" != refresh ] || [ $((non2xx + bad + starved)) -eq 0 ] ||
		    die "$server $scen: $non2xx non-2xx, $bad other responses without a new refresh token, $starved requests with no live token left: the refresh chain broke (see $out)"
	fi
	printf 'server=%s\tscenario=%s\trun=%s\tconnections=%s\t%s\n' \
	    "$server" "$scen" "$run" "$conns" "${line#BENCH	}"
}

field() { # KEY LINE: value of KEY=value in a tab-separated BENCH line
	printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p"
}

warmup() { # SERVER MODE
	[ "$WARMUP" -gt 0 ] || return 0
	wait_idle "$SERVER_PID"
	run_wrk "$1" "warmup-$2" 0 "$2" "$CONNECTIONS" "$WARMUP" >/dev/null
}

# measure SERVER SCENARIO MODE [SECONDS]: warm up, then RUNS checked runs
measure() {
	local i secs=${4:-$DURATION}
	warmup "$1" "$3"
	for i in $(seq 1 "$RUNS"); do
		wait_idle "$SERVER_PID"
		run_wrk "$1" "$2" "$i" "$3" "$CONNECTIONS" "$secs" check >>"$RAW"
		log "  $2 run $i: $(summary "$(tail -n 1 "$RAW")")"
	done
}

summary() {
	printf '%s req/s, p99 %s ms, %s non-2xx' "$(field rps "$1")" \
	    "$(field p99_ms "$1")" "$(field non2xx "$1")"
}

# mixed: GET /users/me latency while MIXED_LOGIN_CONNECTIONS hammer login.
# The login wrk runs one second longer, so it covers the whole GET window.
measure_mixed() { # SERVER
	local server=$1 i bg rc
	for i in $(seq 1 "$RUNS"); do
		wait_idle "$SERVER_PID"
		run_wrk "$server" mixed_login "$i" login "$MIXED_LOGIN_CONNECTIONS" \
		    $((DURATION + 1)) check >"$TMP/mixed_login" &
		bg=$!
		PIDS+=("$bg")
		run_wrk "$server" mixed_get "$i" me "$MIXED_GET_CONNECTIONS" \
		    "$DURATION" check >>"$RAW"
		rc=0
		wait "$bg" || rc=$?
		forget_pid "$bg"
		[ $rc -eq 0 ] || die "$server mixed: login side failed"
		cat "$TMP/mixed_login" >>"$RAW"
		log "  mixed run $i: GET $(summary "$(tail -n 2 "$RAW" | head -n 1)"); login $(summary "$(tail -n 1 "$RAW")")"
	done
}

# Per-login cost t: one connection, one thread, CEILING_DURATION seconds.
# Sets LOGIN_SECS, the login scenario's duration: long enough for every
# connection to log in LOGIN_ROUNDS times at the ceiling (nproc / t), since a
# server that hashes all its connections' passwords at once answers the first
# login only after about connections * t / nproc.
measure_ceiling() { # SERVER
	local t_ms
	wait_idle "$SERVER_PID"
	run_wrk "$1" login_1conn 1 login 1 "$CEILING_DURATION" check >>"$RAW"
	t_ms=$(field mean_ms "$(tail -n 1 "$RAW")")
	LOGIN_SECS=$(awk -v t="$t_ms" -v r="$LOGIN_ROUNDS" -v c="$CONNECTIONS" \
	    -v n="$NPROC" -v d="$DURATION" -v m="$LOGIN_MAX_DURATION" 'BEGIN {
		s = r * c * t / 1000 / n; s = (s == int(s)) ? s : int(s) + 1
		if (s < d) s = d; if (s > m && m >= d) s = m; print s }')
	log "  login with 1 connection: mean $t_ms ms; login runs last ${LOGIN_SECS}s"
}

bench_server() { # NAME
	local name=$1 scen busy
	busy=$(machine_busy)
	printf 'busy_%s\t%s\n' "$name" "$busy" >>"$OUT/meta.tsv"
	log "== $name (machine ${busy}% busy before start)"
	"start_$name"
	wait_ready "$name" "$SERVER_PID" "$READY_URL"
	log "$name ready at $BASE (pid $SERVER_PID)"
	if [ "$name" = nginx ]; then
		TOKEN=fixed-body-needs-no-token IDS=$(seq -s, 1 100)
		USER_NAME=benchuser USER_PASS=unused APIKEY=gh_fixed_body_needs_no_key
	else
		local keyopt=--api-key
		[ "$name" = gatehouse ] || keyopt=""
		# shellcheck disable=SC2086 # keyopt: no word or one
		"$PYTHON" "$HERE/seed.py" seed "$BASE" "$TMP/seed.env" $keyopt >&2 ||
		    die "seeding $name failed"
		# shellcheck disable=SC1091
		. "$TMP/seed.env"
		USER_NAME=$USER USER_PASS=$PASS
	fi
	# POST /posts runs last: the seed app's GET /posts ignores ?limit and
	# would list every post created before it.
	for scen in $SCENARIOS; do
		case $scen in
		apikey | refresh)
			if [ "$name" = fastapi ]; then
				log "  $scen: skipped (the FastAPI seed has no such route)"
				continue
			fi
			;;
		esac
		case $scen in
		me) measure "$name" me me ;;
		apikey) measure "$name" apikey apikey ;;
		refresh) measure "$name" refresh refresh ;;
		list) measure "$name" list list ;;
		patch) measure "$name" patch patch ;;
		login)
			LOGIN_SECS=$DURATION
			[ "$name" = nginx ] || measure_ceiling "$name"
			measure "$name" login login "$LOGIN_SECS"
			;;
		mixed) measure_mixed "$name" ;;
		create) measure "$name" create create ;;
		esac
		alive "$SERVER_PID" || die "$name died during scenario $scen"
	done
	stop_pid "$SERVER_PID"
	forget_pid "$SERVER_PID"
	CURRENT_LOG=""
	log "$name stopped"
}

# ---- main ------------------------------------------------------------------
mkdir -p "$OUT/logs" "$OUT/wrk"
rm -f "$OUT"/wrk/*.txt
RAW=$OUT/raw.tsv
: >"$RAW"
TOKEN="" IDS="" USER_NAME="" USER_PASS="" APIKEY=""
SERVERS=()
[ "${BENCH_SKIP_NGINX:-0}" = 1 ] || SERVERS+=(nginx)
[ "${BENCH_SKIP_GATEHOUSE:-0}" = 1 ] || SERVERS+=(gatehouse)
[ "${BENCH_SKIP_SEED:-0}" = 1 ] || SERVERS+=(fastapi)
[ ${#SERVERS[@]} -gt 0 ] || die "every server skipped"

cat >"$OUT/meta.tsv" <<EOF
date	$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
nproc	$NPROC
smoke	${BENCH_SMOKE:-0}
duration	$DURATION
connections	$CONNECTIONS
threads	$THREADS
runs	$RUNS
warmup	$WARMUP
ceiling_duration	$CEILING_DURATION
mixed_login_connections	$MIXED_LOGIN_CONNECTIONS
mixed_get_connections	$MIXED_GET_CONNECTIONS
seed_workers	$SEED_WORKERS
gatehouse_rev	$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo +dirty)
servers	${SERVERS[*]}
EOF

log "servers: ${SERVERS[*]}; ${DURATION}s x $RUNS runs, $CONNECTIONS connections, $THREADS threads"
for s in "${SERVERS[@]}"; do bench_server "$s"; done
printf 'busy_end\t%s\n' "$(machine_busy)" >>"$OUT/meta.tsv"

"$PYTHON" "$HERE/report.py" "$OUT" >"$OUT/results.md.tmp" ||
    die "report.py failed"
mv "$OUT/results.md.tmp" "$OUT/results.md"
cat "$OUT/results.md"
