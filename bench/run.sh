#!/usr/bin/env bash
# bench/run.sh - gatehouse's performance record (issue 6): wrk scenarios
# against nginx (the machine's ceiling: a fixed JSON body) and the seed's
# FastAPI application (the baseline gatehouse replaces), with the server's
# CPU time per request and peak RSS; a connection-count table; a burst of new
# connections (bench/burst.c); start-up time and idle RSS; gatehouse on
# PostgreSQL (one instance, and two behind an nginx proxy) beside gatehouse on
# SQLite; and gatehouse at two generated data sets (1k and 1M users,
# scripts/gen-scale-data.sh) side by side, with the full stream of every
# post. bench/README.md explains it.
#
#   make bench        bench/run.sh                 (full run, ~40 minutes)
#   make bench-smoke  BENCH_SMOKE=1 bench/run.sh   (~75 s; only
#                                                   proves the harness works)
#
# Passes, one after another, each server started fresh on a free port and
# stopped by PID:
#   main    nginx, gatehouse, gatehouse-pg, gatehouse-pg2, the FastAPI seed:
#           data seeded through the API (bench/seed.py: one user, its token,
#           an API key for gatehouse, 100 posts), the wrk scenarios
#           (bench/wrk.lua); for gatehouse (SQLite) also the connections
#           table (GET /users/me at 1..1024 connections); for each server
#           but the PostgreSQL ones the burst (bench/burst.c).
#           gatehouse-pg is gatehouse on a fresh database of a throwaway
#           PostgreSQL cluster (scripts/pg-cluster.sh start --durable, in
#           the temp dir, started before the first such pass and stopped
#           by its PID at the end or on failure); gatehouse-pgN is N
#           instances on one fresh database behind an nginx proxy (round
#           robin, upstream keepalive, X-Forwarded-For; TRUSTED_PROXIES on
#           the instances, one SECRET_KEY)
#   startup gatehouse started BENCH_STARTS times on an empty data directory
#           (bench/probe.py startup): time to /readyz 200, idle RSS
#   small, big   gatehouse on a copy of a generated database (1k users / 10k
#           posts, 1M users / 10M posts; built once into bench/out/scale/ and
#           reused while scripts/gen-scale-data.sh and the schema are
#           unchanged): start-up, the full GET /posts stream read once
#           (bench/probe.py stream), the scenarios with a freshly registered
#           user holding the same data as in the main pass
# Results: bench/out/results.md (Markdown; also on stdout), copied to
# bench/results.md - the committed record - unless this is a smoke run; the
# report compares itself with the last committed bench/results.md. Every
# single run in bench/out/*.tsv; wrk, burst and server output in bench/out/.
#
# Exit status is non-zero when the harness itself breaks (a server does not
# start or dies, seeding fails, wrk or a probe fails, a scenario completes no
# request or every request errors, a refresh or todos chain breaks, a burst
# gets no 2xx at all) - never because a figure is slow.
#
# Environment (defaults: full run / smoke):
#   BENCH_DURATION=10/1        seconds per measured run
#   BENCH_CONNECTIONS=64/4     wrk connections
#   BENCH_THREADS=2/2          wrk threads (capped at the connections)
#   BENCH_RUNS=3/1             runs per scenario; the table shows medians
#   BENCH_WARMUP=2/0           seconds of warm-up before each scenario
#   BENCH_CEILING_DURATION=5/1 seconds of 1-connection login (hash cost)
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
#   BENCH_SKIP_NGINX=1, BENCH_SKIP_GATEHOUSE=1, BENCH_SKIP_SEED=1,
#   BENCH_SKIP_PG=1            leave out nginx / gatehouse (on every database)
#                              / the seed app / gatehouse on PostgreSQL
#   BENCH_PG_INSTANCES="1 2"/"1"   the PostgreSQL passes: gatehouse-pg (1),
#                              gatehouse-pgN (N instances behind nginx)
#   BENCH_GATEHOUSE_BIN=build/gatehouse   BENCH_GATEHOUSE_ARGS=   (extra flags)
#   BENCH_SEED_APP_DIR=../shared/reference/fastapi_seed (beside the clone)
#   BENCH_SEED_WORKERS=$(nproc)
#   BENCH_SCENARIOS="me apikey list stream patch login refresh mixed todos create"
#                              subset, in this order (main pass)
#   BENCH_CONN_LEVELS="1 64 256 1024"/"1 16"   connections table levels
#   BENCH_CONN_DURATION=5/1  BENCH_CONN_RUNS=3/1   per level
#   BENCH_BURST_CONNECTIONS=1024/64  BENCH_BURST_RUNS=3/1
#   BENCH_BURST_TIMEOUT=10     seconds a burst may take in all
#   BENCH_BURST_BIN=build/bench/burst   (compiled from bench/burst.c with
#                              cc -O2 when missing or older than its source)
#   BENCH_STARTS=3/1           starts per start-up measurement (median)
#   BENCH_SCALE_USERS=1000000/2000   BENCH_SCALE_POSTS=10000000/20000
#                              the "big" generated database
#   BENCH_SCALE_SMALL_USERS=1000/200 BENCH_SCALE_SMALL_POSTS=10000/2000
#                              the "small" one (same 10 posts per user)
#   BENCH_SCALE_SCENARIOS="me apikey list patch login refresh mixed todos create"/"me todos"
#   BENCH_SCALE_DURATION=5/1  BENCH_SCALE_RUNS=3/1   per scale scenario run
#   BENCH_STREAM_RUNS=3/1      full GET /posts reads per scale pass (median)
#   BENCH_STREAM_TIMEOUT=900   seconds one stream measurement may take
#   BENCH_STREAM_MIN_POSTS=1000000/20000   a stream measurement reads the
#                              whole list as many times as it takes to pass
#                              this many posts (at most 1,000 times)
#   BENCH_SCALE_DIR=bench/out/scale   cache of generated databases (and the
#                              working copy, removed at the end)
#   BENCH_SKIP_SCALE=1, BENCH_SKIP_CONNS=1, BENCH_SKIP_BURST=1,
#   BENCH_SKIP_STARTUP=1       leave out those parts
#   BENCH_NO_RECORD=1          a full run that does not overwrite
#                              bench/results.md
#   BENCH_KEEP_TMP=1           keep the temp dir (data, nginx config)
#   BENCH_RSS_SAMPLED=1        sample peak RSS even where clear_refs works
#                              (tests the fallback)
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname -- "$HERE")
OUT=$HERE/out
PYTHON=/usr/bin/python3
NPROC=$(nproc)

SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	d_dur=1 d_conn=4 d_runs=1 d_warm=0 d_ceil=1 d_mixlogin=4
	d_loginmax=${BENCH_DURATION:-$d_dur}
	d_levels="1 16" d_conndur=1 d_connruns=1 d_burst=64 d_burstruns=1
	d_starts=1 d_susers=2000 d_sposts=20000 d_ssusers=200 d_ssposts=2000
	d_sscen="me todos" d_sdur=1 d_sruns=1 d_streamruns=1 d_streammin=20000 d_busy=0.2
	# each PostgreSQL pass adds ~20 s to the smoke run: one proves the
	# cluster, the database and the DB CPU figures; BENCH_PG_INSTANCES="1 2"
	# also proves the proxy and the summed instances
	d_pginst="1"
else
	d_dur=10 d_conn=64 d_runs=3 d_warm=2 d_ceil=5 d_mixlogin=32
	d_loginmax=60
	d_levels="1 64 256 1024" d_conndur=5 d_connruns=3 d_burst=1024
	d_burstruns=3 d_starts=3 d_susers=1000000 d_sposts=10000000
	d_ssusers=1000 d_ssposts=10000
	d_sscen="me apikey list patch login refresh mixed todos create"
	d_sdur=5 d_sruns=3 d_streamruns=3 d_streammin=1000000 d_busy=1
	d_pginst="1 2"
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
SCENARIOS=${BENCH_SCENARIOS:-me apikey list stream patch login refresh mixed todos create}
CONN_LEVELS=${BENCH_CONN_LEVELS:-$d_levels}
CONN_DURATION=${BENCH_CONN_DURATION:-$d_conndur}
CONN_RUNS=${BENCH_CONN_RUNS:-$d_connruns}
BURST_CONNECTIONS=${BENCH_BURST_CONNECTIONS:-$d_burst}
BURST_RUNS=${BENCH_BURST_RUNS:-$d_burstruns}
BURST_TIMEOUT=${BENCH_BURST_TIMEOUT:-10}
BURST_BIN=${BENCH_BURST_BIN:-$ROOT/build/bench/burst}
STARTS=${BENCH_STARTS:-$d_starts}
SCALE_USERS=${BENCH_SCALE_USERS:-$d_susers}
SCALE_POSTS=${BENCH_SCALE_POSTS:-$d_sposts}
SCALE_SMALL_USERS=${BENCH_SCALE_SMALL_USERS:-$d_ssusers}
SCALE_SMALL_POSTS=${BENCH_SCALE_SMALL_POSTS:-$d_ssposts}
SCALE_SCENARIOS=${BENCH_SCALE_SCENARIOS:-$d_sscen}
SCALE_DURATION=${BENCH_SCALE_DURATION:-$d_sdur}
SCALE_RUNS=${BENCH_SCALE_RUNS:-$d_sruns}
STREAM_RUNS=${BENCH_STREAM_RUNS:-$d_streamruns}
STREAM_TIMEOUT=${BENCH_STREAM_TIMEOUT:-900}
STREAM_MIN_POSTS=${BENCH_STREAM_MIN_POSTS:-$d_streammin}
SCALE_DIR=${BENCH_SCALE_DIR:-$OUT/scale}
PG_INSTANCES=${BENCH_PG_INSTANCES:-$d_pginst}
BUSY_WINDOW=$d_busy
SECRET=bench-secret-key-0123456789abcdef0123456789abcdef

log() { printf 'bench: [%4ss] %s\n' "$SECONDS" "$*" >&2; }
die() {
	printf 'bench: ERROR: %s\n' "$*" >&2
	exit 1
}

for v in DURATION CONNECTIONS THREADS RUNS CEILING_DURATION TIMEOUT \
    START_TIMEOUT MIXED_LOGIN_CONNECTIONS MIXED_GET_CONNECTIONS SEED_WORKERS \
    LOGIN_ROUNDS LOGIN_MAX_DURATION IDLE_TIMEOUT CONN_DURATION CONN_RUNS \
    BURST_CONNECTIONS BURST_RUNS BURST_TIMEOUT STARTS SCALE_USERS \
    SCALE_POSTS SCALE_SMALL_USERS SCALE_SMALL_POSTS SCALE_DURATION \
    SCALE_RUNS STREAM_RUNS STREAM_TIMEOUT STREAM_MIN_POSTS; do
	case ${!v} in
	'' | *[!0-9]* | 0) die "BENCH_$v must be a positive integer (got '${!v}')" ;;
	esac
done
case $WARMUP in '' | *[!0-9]*) die "BENCH_WARMUP must be an integer" ;; esac
for scen in $SCENARIOS; do
	case $scen in
	me | apikey | list | stream | patch | login | refresh | mixed | todos | create) ;;
	*) die "unknown scenario '$scen' in BENCH_SCENARIOS" ;;
	esac
done
for scen in $SCALE_SCENARIOS; do
	case $scen in
	me | apikey | list | patch | login | refresh | mixed | todos | create) ;;
	stream) die "BENCH_SCALE_SCENARIOS: the scale passes read the full stream once per run (BENCH_STREAM_RUNS), not through wrk" ;;
	*) die "unknown scenario '$scen' in BENCH_SCALE_SCENARIOS" ;;
	esac
done
for v in $CONN_LEVELS; do
	case $v in
	'' | *[!0-9]* | 0) die "BENCH_CONN_LEVELS: positive integers (got '$v')" ;;
	esac
done
for v in $PG_INSTANCES; do
	case $v in
	'' | *[!0-9]* | 0) die "BENCH_PG_INSTANCES: positive integers (got '$v')" ;;
	esac
done
for tool in wrk curl sqlite3 "$PYTHON"; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps)"
done

# ---- process bookkeeping ---------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
PIDS=()        # servers and background wrk processes we started
CLEAN_FILES=() # working copies of the scale databases
CURRENT_LOG="" # log of the server being measured, shown on failure
EXTRA_LOGS=()  # its other logs (the instances behind a proxy), shown too
# The server being measured (set by bench_server around start_NAME):
# SERVER_PID answers at BASE (for gatehouse-pgN: the proxy); SERVER_PIDS
# are all its processes (each must stay alive; each is stopped at its end);
# MEASURED are those whose CPU time and RSS are the server's (gatehouse-pgN:
# the N instances, summed; not the proxy); DB_PID, if set, is the
# PostgreSQL postmaster it uses, whose CPU time is reported on its own.
SERVER_PID="" SERVER_PIDS=() MEASURED=() DB_PID=""
PG_DIR=""      # the throwaway PostgreSQL cluster, once started (pg_up)
PG_PID=""      # its postmaster

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
	if [ $rc -ne 0 ]; then
		for p in "$CURRENT_LOG" "${EXTRA_LOGS[@]}"; do
			[ -s "$p" ] || continue # (an empty name too)
			log "last lines of $p:"
			tail -n 20 "$p" >&2
		done
	fi
	[ -z "$PG_DIR" ] || pg_down
	for p in "${CLEAN_FILES[@]}"; do rm -f -- "$p"; done
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

server_alive() { # every process of the server being measured runs
	local p
	for p in "${SERVER_PIDS[@]}"; do alive "$p" || return 1; done
}

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

# ---- the server's CPU time and peak RSS ----------------------------------

tree_pids() { # PID: it and its descendants (nginx and uvicorn workers)
	local p
	echo "$1"
	for p in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$p"; done
}

# CPU time (clock ticks, user + system) used so far by the PIDs and their
# descendants; /proc/PID/stat counts every thread of the process.
tree_ticks() { # PID...
	local f p files=()
	for p in "$@"; do
		for f in $(tree_pids "$p"); do
			[ -r "/proc/$f/stat" ] && files+=("/proc/$f/stat")
		done
	done
	[ ${#files[@]} -gt 0 ] || {
		echo 0
		return
	}
	awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }' \
	    "${files[@]}" 2>/dev/null || echo 0
}

# Peak RSS over a measured run. Where /proc/PID/clear_refs may be written
# (RSS_METHOD=hwm, decided when each server starts), "5" resets each
# process's VmHWM to its current RSS and the peak is the sum of VmHWM over
# the process trees afterwards; elsewhere (RSS_METHOD=sampled) probe.py
# samples the trees' summed VmRSS every 20 ms, which can miss short peaks.
# Several PIDs (gatehouse-pgN's instances): the sum over all of them.
RSS_METHOD=hwm
SAMPLER=""
rss_method_for() { # PID...: sets RSS_METHOD (BENCH_RSS_SAMPLED=1 forces sampling)
	local p
	RSS_METHOD=hwm
	for p in "$@"; do
		if [ "${BENCH_RSS_SAMPLED:-0}" = 1 ] ||
		    ! { echo 5 >"/proc/$p/clear_refs"; } 2>/dev/null; then
			RSS_METHOD=sampled
			log "  peak RSS is sampled every 20 ms (/proc/$p/clear_refs not writable, or BENCH_RSS_SAMPLED=1)"
			return 0
		fi
	done
}

mem_reset() { # PID...
	local p q
	if [ "$RSS_METHOD" = hwm ]; then
		for q in "$@"; do
			for p in $(tree_pids "$q"); do
				{ echo 5 >"/proc/$p/clear_refs"; } 2>/dev/null || true
			done
		done
	else
		rm -f "$TMP/rss-peak"
		"$PYTHON" "$HERE/probe.py" sample "$(IFS=,; echo "$*")" \
		    "$TMP/rss-peak" &
		SAMPLER=$!
		PIDS+=("$SAMPLER")
	fi
}

mem_peak() { # PID...: kB
	local p q files=()
	if [ "$RSS_METHOD" = hwm ]; then
		for q in "$@"; do
			for p in $(tree_pids "$q"); do
				[ -r "/proc/$p/status" ] && files+=("/proc/$p/status")
			done
		done
		[ ${#files[@]} -gt 0 ] || {
			echo 0
			return
		}
		awk '/^VmHWM:/ { t += $2 } END { print t + 0 }' "${files[@]}" \
		    2>/dev/null || echo 0
	else
		if [ -n "$SAMPLER" ]; then
			kill -TERM "$SAMPLER" 2>/dev/null || true
			wait "$SAMPLER" 2>/dev/null || true
			forget_pid "$SAMPLER"
			SAMPLER=""
		fi
		cat "$TMP/rss-peak" 2>/dev/null || echo 0
	fi
}

# res_start PID... / res_stop PID...: around one measured run (the PIDs:
# MEASURED, summed); res_stop sets RES_CPU_US (server CPU time in the run,
# microseconds) and RES_HWM_KB, and, when the server runs on PostgreSQL
# (DB_PID), RES_DB_CPU_US: the cluster's CPU time in the run, all its
# processes (backends, writers, autovacuum), which is not the server's.
HZ=$(getconf CLK_TCK)
res_start() {
	mem_reset "$@"
	RES_T0=$(tree_ticks "$@")
	[ -z "$DB_PID" ] || RES_DB_T0=$(db_ticks)
}
res_stop() {
	local t1
	t1=$(tree_ticks "$@")
	RES_HWM_KB=$(mem_peak "$@")
	RES_CPU_US=$(((t1 - RES_T0) * 1000000 / HZ))
	RES_DB_CPU_US=""
	[ -z "$DB_PID" ] ||
	    RES_DB_CPU_US=$((($(db_ticks) - RES_DB_T0) * 1000000 / HZ))
}

# The fields res_stop measured, as raw.tsv carries them (tab first).
res_fields() {
	printf '\tcpu_us=%s\thwm_kb=%s\trss_method=%s' "$RES_CPU_US" \
	    "$RES_HWM_KB" "$RSS_METHOD"
	[ -z "$RES_DB_CPU_US" ] || printf '\tdb_cpu_us=%s' "$RES_DB_CPU_US"
}

# CPU ticks of the PostgreSQL cluster so far: its processes alive now, plus
# what the postmaster's children that ended (a backend, an autovacuum
# worker) used: the postmaster reaps them, so their time is in its cutime
# and cstime.
db_ticks() {
	local own
	own=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' \
	    "/proc/$DB_PID/stat" 2>/dev/null) || own=0
	echo $(($(tree_ticks "$DB_PID") + ${own:-0}))
}

# wait_idle PID...: poll the server's CPU use until a quarter second passes with
# almost none (< 12% of one core), or IDLE_TIMEOUT. A wrk that ends (or a
# warm-up) abandons its in-flight requests, and a server whose workers cannot
# cancel them (a thread pool computing password hashes) keeps computing them;
# without this wait, that backlog would be charged to the next run.
wait_idle() { # PID...: all of them together
	local limit prev now start=$SECONDS
	# on PostgreSQL, the database's leftover work (autovacuum after a
	# write-heavy run) must not be charged to the next run either
	[ -z "$DB_PID" ] || set -- "$@" "$DB_PID"
	limit=$((HZ / 8 + 1))
	prev=$(tree_ticks "$@")
	while :; do
		sleep 0.25
		now=$(tree_ticks "$@")
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

# Percentage of the machine's CPU busy over BUSY_WINDOW seconds (run while
# none of our servers or wrk runs: it measures everyone else's load).
machine_busy() {
	local a b
	a=$(sed -n 's/^cpu  //p' /proc/stat)
	sleep "$BUSY_WINDOW"
	b=$(sed -n 's/^cpu  //p' /proc/stat)
	printf '%s\n%s\n' "$a" "$b" | awk '
	    { idle[NR] = $4 + $5; tot[NR] = 0; for (i = 1; i <= NF; i++) tot[NR] += $i }
	    END { d = tot[2] - tot[1]; if (d <= 0) d = 1
	          printf "%.0f\n", 100 * (1 - (idle[2] - idle[1]) / d) }'
}

# ---- servers ---------------------------------------------------------------
# start_NAME sets SERVER_PID and BASE; the caller waits, seeds and stops.

start_nginx() {
	local dir=$TMP/nginx port body_post body_user body_token body_todo
	local body_todo_done
	mkdir -p "$dir/temp"
	chmod 755 "$TMP" "$dir" # workers may run as another user under root
	# the todo list: as many todos as a "todos" run has alive (4 of the 5
	# steps of each connection's cycle)
	"$PYTHON" "$HERE/seed.py" nginx-bodies "$dir" \
	    $(((CONNECTIONS * 4 + 4) / 5)) || die "nginx bodies"
	body_post=$(cat "$dir/post.json")
	body_user=$(cat "$dir/user.json")
	body_token=$(cat "$dir/token.json")
	body_todo=$(cat "$dir/todo.json")
	body_todo_done=$(cat "$dir/todo_done.json")
	port=$(free_port)
	cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh: fixed JSON answers, the machine's ceiling
worker_processes $NPROC;
worker_rlimit_nofile 8192;
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
		listen 127.0.0.1:$port backlog=4096;
		location = /healthz { return 200 '{"status":"ok"}'; }
		location = /users/me { return 200 '$body_user'; }
		location = /auth/token { return 200 '$body_token'; }
		location = /auth/refresh { return 200 '$body_token'; }
		location = /posts {
			if (\$request_method = POST) { return 201 '$body_post'; }
			alias $dir/list.json; # too long for a config string
		}
		location /posts/ { return 200 '$body_post'; }
		location = /todos {
			if (\$request_method = POST) { return 201 '$body_todo'; }
			alias $dir/todos.json;
		}
		location /todos/ {
			if (\$request_method = PATCH) { return 200 '$body_todo_done'; }
			if (\$request_method = DELETE) { return 204; }
			return 200 '$body_todo';
		}
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

# GATEHOUSE_DB_URL: empty for a fresh database in the data directory, or
# the scale pass's working copy.
GATEHOUSE_DB_URL=""
start_gatehouse() {
	launch_gatehouse "$RUN_PASS" "$GATEHOUSE_DB_URL"
	SERVER_PID=$LAUNCHED_PID
	BASE=http://127.0.0.1:$LAUNCHED_PORT
	READY_URL=$BASE/healthz
}

# launch_gatehouse TAG DATABASE_URL [NAME=VALUE...]: one gatehouse on a free
# port, with the environment given on top of the bench's, data folder
# $TMP/gatehouse-TAG, output in out/logs/gatehouse-TAG.log (CURRENT_LOG);
# sets LAUNCHED_PID (also in PIDS) and LAUNCHED_PORT. The caller waits.
launch_gatehouse() {
	local tag=$1 url=$2 data=$TMP/gatehouse-$1
	shift 2
	[ -x "$GATEHOUSE_BIN" ] ||
	    die "$GATEHOUSE_BIN missing: make build/gatehouse (or BENCH_SKIP_GATEHOUSE=1)"
	mkdir -p "$data"
	LAUNCHED_PORT=$(free_port)
	CURRENT_LOG=$OUT/logs/gatehouse-$tag.log
	# The login scenarios sign one user in from up to 64 connections at
	# once, and every attempt counts against the brute-force limits until
	# its password is checked: raise the limits, as a deployment that
	# expects such bursts would.
	# shellcheck disable=SC2086 # BENCH_GATEHOUSE_ARGS is a word list
	env LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_ADDRESS=1000000 \
	    SECRET_KEY="$SECRET" DATABASE_URL="$url" "$@" \
	    "$GATEHOUSE_BIN" --host 127.0.0.1 --port "$LAUNCHED_PORT" \
	    --data-dir "$data" ${BENCH_GATEHOUSE_ARGS:-} \
	    >"$CURRENT_LOG" 2>&1 &
	LAUNCHED_PID=$!
	PIDS+=("$LAUNCHED_PID")
}

# ---- gatehouse on PostgreSQL -----------------------------------------------

# pg_up: the throwaway cluster of this run (scripts/pg-cluster.sh, durable:
# fsync and synchronous_commit on, as production runs), in $TMP/pg, started
# once, before the first PostgreSQL pass; stopped by pg_down (after the
# last one, or by cleanup). Sets GH_PG_HOST, GH_PG_PORT, GH_PG_USER and
# GH_PG_BIN (from its env file) and PG_PID.
pg_up() {
	[ -z "$PG_DIR" ] || return 0
	PG_DIR=$TMP/pg   # before it starts: cleanup stops a half-started one
	chmod 755 "$TMP" # as root the cluster runs as nobody, who must reach it
	log "  starting a PostgreSQL cluster in $PG_DIR (scripts/pg-cluster.sh start --durable)"
	"$ROOT/scripts/pg-cluster.sh" start "$PG_DIR" --durable \
	    >"$OUT/logs/pg-cluster.log" 2>&1 || {
		tail -n 30 "$OUT/logs/pg-cluster.log" >&2
		die "scripts/pg-cluster.sh start failed (BENCH_SKIP_PG=1 leaves PostgreSQL out)"
	}
	# shellcheck disable=SC1091
	. "$PG_DIR/env"
	PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	alive "$PG_PID" || die "no PostgreSQL postmaster runs in $PG_DIR"
	log "  PostgreSQL $(cat "$PG_DIR/data/PG_VERSION") ready (postmaster pid $PG_PID)"
	printf 'pg_version\t%s\npg_durable\t1\n' \
	    "$(cat "$PG_DIR/data/PG_VERSION")" >>"$OUT/meta.tsv"
}

# pg_down: keep the cluster's log, stop the postmaster by its PID (as
# scripts/pg-cluster.sh stop does: fast shutdown, then immediate, then
# KILL; never another process) and remove the cluster.
pg_down() {
	local dir=$PG_DIR
	PG_DIR=""
	cp -- "$dir/log" "$OUT/logs/postgresql.log" 2>/dev/null || true
	"$ROOT/scripts/pg-cluster.sh" stop "$dir" \
	    >>"$OUT/logs/pg-cluster.log" 2>&1 ||
	    log "warning: scripts/pg-cluster.sh stop $dir failed (see $OUT/logs/pg-cluster.log)"
	# (the script escalates to KILL itself; a PID that outlived it is left
	# alone: by now it may be another process's)
	if [ -n "$PG_PID" ] && alive "$PG_PID"; then
		log "warning: process $PG_PID (the postmaster) still runs"
	fi
	PG_PID=""
}

pg_tool() { # TOOL ARGS...: a client of the cluster, as its superuser
	"$GH_PG_BIN/$1" -h "$GH_PG_HOST" -p "$GH_PG_PORT" -U "$GH_PG_USER" "${@:2}"
}

# pg_new_db NAME: a fresh, empty database; sets PG_URL, its DATABASE_URL.
pg_new_db() {
	pg_tool createdb "$1" || die "createdb $1 failed"
	PG_URL="postgresql:///$1?host=$GH_PG_HOST&port=$GH_PG_PORT&user=$GH_PG_USER"
}

# gatehouse-pg / gatehouse-pgN (start_gatehouse_pg N): N gatehouse on one
# fresh database (PG_DB) of the cluster. One instance answers wrk itself;
# several sit behind an nginx proxy (round robin, upstream keepalive,
# X-Forwarded-For; the instances trust it through TRUSTED_PROXIES and share
# SECRET_KEY), which is then SERVER_PID, and MEASURED are the instances. They
# start one after another, each ready before the next (the first one
# creates the schema).
start_gatehouse_pg() { # INSTANCES
	local n=$1 i dir port ups=""
	pg_up
	PG_DB=gh_bench_pg$n
	pg_new_db "$PG_DB"
	DB_PID=$PG_PID
	EXTRA_LOGS+=("$PG_DIR/log")
	if [ "$n" -eq 1 ]; then
		launch_gatehouse "$RUN_PASS-pg" "$PG_URL"
		SERVER_PID=$LAUNCHED_PID
		BASE=http://127.0.0.1:$LAUNCHED_PORT
		READY_URL=$BASE/readyz
		return 0
	fi
	for i in $(seq 1 "$n"); do
		launch_gatehouse "$RUN_PASS-pg$n-$i" "$PG_URL" \
		    TRUSTED_PROXIES=127.0.0.1
		SERVER_PIDS+=("$LAUNCHED_PID")
		MEASURED+=("$LAUNCHED_PID")
		EXTRA_LOGS+=("$CURRENT_LOG")
		wait_ready "gatehouse instance $i of $n" "$LAUNCHED_PID" \
		    "http://127.0.0.1:$LAUNCHED_PORT/readyz"
		ups="$ups		server 127.0.0.1:$LAUNCHED_PORT;
"
	done
	dir=$TMP/proxy-pg$n
	mkdir -p "$dir/temp"
	chmod 755 "$TMP" "$dir" # workers may run as another user under root
	port=$(free_port)
	# the proxy production would put in front: idle upstream connections
	# kept (up to one per client connection), never closed for their
	# request count; answers buffered in memory only (a page of 100 posts
	# is larger than the default buffers: no temp files)
	cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh: $n gatehouse instances behind a proxy
worker_processes $NPROC;
worker_rlimit_nofile 8192;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	keepalive_timeout 120s;
	client_body_temp_path $dir/temp/body;
	proxy_temp_path $dir/temp/proxy;
	fastcgi_temp_path $dir/temp/fastcgi;
	uwsgi_temp_path $dir/temp/uwsgi;
	scgi_temp_path $dir/temp/scgi;
	upstream gatehouse {
$ups		keepalive $CONNECTIONS;
		keepalive_requests 100000000;
		keepalive_timeout 120s;
	}
	server {
		listen 127.0.0.1:$port backlog=4096;
		location / {
			proxy_pass http://gatehouse;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto \$scheme;
			proxy_buffers 16 8k;
			proxy_max_temp_file_size 0;
		}
	}
}
EOF
	CURRENT_LOG=$OUT/logs/proxy-pg$n.log
	EXTRA_LOGS+=("$dir/error.log")
	/usr/sbin/nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" \
	    >"$CURRENT_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	SERVER_PIDS=("$SERVER_PID" "${SERVER_PIDS[@]}")
	BASE=http://127.0.0.1:$port
	READY_URL=$BASE/readyz
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

# run_wrk SERVER SCENARIO RUN MODE CONNECTIONS SECONDS [check] [shared]
# Runs one bounded wrk, prints its line (pass/server/scenario/run/connections
# in front, then wrk.lua's BENCH fields, then the server's CPU time in the
# run and its peak RSS) on stdout. With "check", fails the harness when
# nothing completed, every response was an error, or (refresh, todos) any
# chain broke. With "shared" (mixed: two wrk at once), the caller measures
# CPU and RSS around both and this prints no such fields.
run_wrk() {
	local server=$1 scen=$2 run=$3 mode=$4 conns=$5 secs=$6 check=${7:-}
	local shared=${8:-} threads=$THREADS out line req non2xx sock wpid rc
	local bad starved rfile="" REFRESH_PER_THREAD=0 res=""
	[ "$threads" -le "$conns" ] || threads=$conns
	out=$OUT/wrk/$RUN_PASS-$server-$scen-$run.txt
	if [ "$mode" = refresh ]; then
		rfile=$TMP/refresh-$server-$scen-$run.txt
		new_sessions "$rfile" "$conns" "$threads"
	fi
	# a todos run leaves the todos of its unfinished cycles behind
	if [ "$mode" = todos ] && [ "$server" != nginx ]; then
		"$PYTHON" "$HERE/seed.py" clean-todos "$BASE" "$TOKEN" ||
		    die "deleting the todos of the previous run failed"
	fi
	[ "$shared" = shared ] || res_start "${MEASURED[@]}"
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
	if [ "$shared" != shared ]; then
		res_stop "${MEASURED[@]}"
		res=$(res_fields)
	fi
	if [ $rc -ne 0 ]; then
		tail -n 5 "$out" >&2
		die "wrk failed (exit $rc): $RUN_PASS $server $scen run $run (see $out)"
	fi
	line=$(grep '^BENCH' "$out" | tail -n 1) ||
	    die "wrk printed no BENCH line: $RUN_PASS $server $scen run $run (see $out)"
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
		# the figures would measure the error path; so does any failed
		# step of a todos cycle
		bad=$(($(field badresp "$line") + 0))
		starved=$(($(field starved "$line") + 0))
		case $mode in
		refresh | todos)
			[ $((non2xx + bad + starved)) -eq 0 ] ||
			    die "$server $scen: $non2xx non-2xx, $bad other unexpected answers, $starved requests with no live token left: the $mode chain broke (see $out)"
			;;
		esac
	fi
	printf 'pass=%s\tserver=%s\tscenario=%s\trun=%s\tconnections=%s\t%s%s\n' \
	    "$RUN_PASS" "$server" "$scen" "$run" "$conns" "${line#BENCH	}" "$res"
}

field() { # KEY LINE: value of KEY=value in a tab-separated line
	printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p"
}

warmup() { # SERVER MODE [CONNECTIONS]
	[ "$WARMUP" -gt 0 ] || return 0
	wait_idle "${MEASURED[@]}"
	run_wrk "$1" "warmup-$2" 0 "$2" "${3:-$CONNECTIONS}" "$WARMUP" >/dev/null
}

# measure SERVER SCENARIO MODE [SECONDS]: warm up, then RUNS checked runs
measure() {
	local i secs=${4:-$DURATION}
	warmup "$1" "$3"
	for i in $(seq 1 "$RUNS"); do
		wait_idle "${MEASURED[@]}"
		run_wrk "$1" "$2" "$i" "$3" "$CONNECTIONS" "$secs" check >>"$RAW"
		log "  $2 run $i: $(summary "$(tail -n 1 "$RAW")")"
	done
}

summary() {
	local cpu req
	cpu=$(field cpu_us "$1")
	req=$(field requests "$1")
	printf '%s req/s, p99 %s ms, %s non-2xx' "$(field rps "$1")" \
	    "$(field p99_ms "$1")" "$(field non2xx "$1")"
	[ -z "$cpu" ] || [ "$req" -eq 0 ] ||
	    printf ', %s us CPU/req, peak RSS %s kB' $((cpu / req)) \
	        "$(field hwm_kb "$1")"
}

# mixed: GET /users/me latency while MIXED_LOGIN_CONNECTIONS hammer login.
# The login wrk runs one second longer, so it covers the whole GET window.
# The server's CPU time and peak RSS are measured around both: both lines
# carry the same figures (CPU per request = over the requests of both).
measure_mixed() { # SERVER
	local server=$1 i bg rc get login
	for i in $(seq 1 "$RUNS"); do
		wait_idle "${MEASURED[@]}"
		res_start "${MEASURED[@]}"
		run_wrk "$server" mixed_login "$i" login "$MIXED_LOGIN_CONNECTIONS" \
		    $((DURATION + 1)) check shared >"$TMP/mixed_login" &
		bg=$!
		PIDS+=("$bg")
		run_wrk "$server" mixed_get "$i" me "$MIXED_GET_CONNECTIONS" \
		    "$DURATION" check shared >"$TMP/mixed_get"
		rc=0
		wait "$bg" || rc=$?
		forget_pid "$bg"
		res_stop "${MEASURED[@]}"
		[ $rc -eq 0 ] || die "$server mixed: login side failed"
		get=$(cat "$TMP/mixed_get")
		login=$(cat "$TMP/mixed_login")
		res="$(res_fields)	cpu_requests=$(($(field requests "$get") + $(field requests "$login")))"
		printf '%s%s\n%s%s\n' "$get" "$res" "$login" "$res" >>"$RAW"
		log "  mixed run $i: GET $(summary "$get"); login $(summary "$login")"
	done
}

# Per-login cost t: one connection, one thread, CEILING_DURATION seconds.
# Sets LOGIN_SECS, the login scenario's duration: long enough for every
# connection to log in LOGIN_ROUNDS times at the ceiling (nproc / t), since a
# server that hashes all its connections' passwords at once answers the first
# login only after about connections * t / nproc.
measure_ceiling() { # SERVER
	local t_ms
	wait_idle "${MEASURED[@]}"
	run_wrk "$1" login_1conn 1 login 1 "$CEILING_DURATION" check >>"$RAW"
	t_ms=$(field mean_ms "$(tail -n 1 "$RAW")")
	LOGIN_SECS=$(awk -v t="$t_ms" -v r="$LOGIN_ROUNDS" -v c="$CONNECTIONS" \
	    -v n="$NPROC" -v d="$DURATION" -v m="$LOGIN_MAX_DURATION" 'BEGIN {
		s = r * c * t / 1000 / n; s = (s == int(s)) ? s : int(s) + 1
		if (s < d) s = d; if (s > m && m >= d) s = m; print s }')
	log "  login with 1 connection: mean $t_ms ms; login runs last ${LOGIN_SECS}s"
}

# ---- connections, burst, stream, start-up ----------------------------------

# The connections table: GET /users/me at each of CONN_LEVELS connections,
# CONN_RUNS runs of CONN_DURATION seconds each (pass "conns").
measure_conns() { # SERVER
	local server=$1 c i RUN_PASS=conns
	log "  connections table: GET /users/me at $CONN_LEVELS connections"
	for c in $CONN_LEVELS; do
		if [ "$c" -gt "$MAX_CLIENT_CONNS" ]; then
			log "  $c connections: skipped (open files limit $(ulimit -n))"
			continue
		fi
		warmup "$server" me "$c"
		for i in $(seq 1 "$CONN_RUNS"); do
			wait_idle "${MEASURED[@]}"
			run_wrk "$server" me "$i" me "$c" "$CONN_DURATION" check >>"$RAW"
			log "  $c connections run $i: $(summary "$(tail -n 1 "$RAW")")"
		done
	done
}

# Build bench/burst.c when the binary is missing or older than its source
# (make bench builds it first; this covers bench/run.sh run by hand).
build_burst() {
	[ "$BURST_BIN" -nt "$HERE/burst.c" ] && return 0
	command -v cc >/dev/null || die "cc not found: cannot build $BURST_BIN"
	mkdir -p "$(dirname -- "$BURST_BIN")"
	cc -std=c11 -O2 -Wall -Wextra -o "$BURST_BIN" "$HERE/burst.c" ||
	    die "building $BURST_BIN from bench/burst.c failed"
}

# BURST_CONNECTIONS new connections at once, one GET /users/me each
# (bench/burst.c), BURST_RUNS times; lines in burst.tsv. Fails the harness
# only when no answer at all was a 2xx (a wrong token, a dead server).
measure_burst() { # SERVER
	local server=$1 i out line port=${BASE##*:} n=$BURST_CONNECTIONS
	if [ "$n" -gt "$MAX_CLIENT_CONNS" ]; then
		n=$MAX_CLIENT_CONNS
		log "  burst: $n connections, not $BURST_CONNECTIONS (open files limit $(ulimit -n))"
	fi
	for i in $(seq 1 "$BURST_RUNS"); do
		wait_idle "${MEASURED[@]}"
		out=$OUT/wrk/$RUN_PASS-$server-burst-$i.txt
		res_start "${MEASURED[@]}"
		"$BURST_BIN" -n "$n" -t $((BURST_TIMEOUT * 1000)) \
		    -H "Authorization: Bearer $TOKEN" 127.0.0.1 "$port" \
		    /users/me >"$out" 2>&1 || {
			cat "$out" >&2
			die "$server: the burst tool failed"
		}
		res_stop "${MEASURED[@]}"
		line=$(grep '^BURST' "$out") || die "$server: no BURST line in $out"
		[ "$(field ok "$line")" -gt 0 ] ||
		    die "$server: no 2xx answer in a burst of $n connections (see $out)"
		printf 'server=%s\trun=%s\t%s\tcpu_us=%s\thwm_kb=%s\n' "$server" \
		    "$i" "${line#BURST	}" "$RES_CPU_US" "$RES_HWM_KB" \
		    >>"$OUT/burst.tsv"
		log "  burst $i: $n connections, $(field served "$line") served, $(field reset "$line") reset, $(field timeout "$line") timed out, p99 $(field p99_ms "$line") ms, max $(field max_ms "$line") ms"
		server_alive || die "$server died during the burst"
	done
}

# The whole GET /posts stream of a scale pass's database, STREAM_RUNS
# measurements, each reading it once or (small databases) a few times over,
# to at least STREAM_MIN_POSTS posts (bench/probe.py stream checks every post
# arrived); lines in stream.tsv.
measure_stream() { # DB_PATH
	local i line
	for i in $(seq 1 "$STREAM_RUNS"); do
		wait_idle "${MEASURED[@]}"
		res_start "${MEASURED[@]}"
		line=$("$PYTHON" "$HERE/probe.py" stream "$BASE" "$1" \
		    "$STREAM_TIMEOUT" "$STREAM_MIN_POSTS") || die "$RUN_PASS: the full GET /posts stream failed"
		res_stop "${MEASURED[@]}"
		printf 'pass=%s\trun=%s\t%s\tcpu_us=%s\thwm_kb=%s\trss_method=%s\n' \
		    "$RUN_PASS" "$i" "$line" "$RES_CPU_US" "$RES_HWM_KB" "$RSS_METHOD" \
		    >>"$OUT/stream.tsv"
		log "  full stream $i: $(field reads "$line") x $(field posts "$line") posts, $(field bytes "$line") bytes in $(field secs "$line") s ($(field mb_per_s "$line") MB/s, $(field posts_per_s "$line") posts/s), peak RSS $RES_HWM_KB kB"
	done
}

# Start-up time and idle RSS: STARTS starts (bench/probe.py startup); with
# DATABASE_URL USER PASSWORD on that database, else on an empty one each.
measure_startup() { # RUN_PASS [DATABASE_URL USER PASSWORD]
	mkdir -p "$TMP/startup"
	"$PYTHON" "$HERE/probe.py" startup "$GATEHOUSE_BIN" "$1" "$STARTS" \
	    "$OUT/startup.tsv" "$TMP/startup" "${@:2}" ||
	    die "start-up measurement ($1) failed (logs in $TMP/startup; BENCH_KEEP_TMP=1 keeps them)"
}

# ---- scale data ------------------------------------------------------------

# scale_db USERS POSTS: path of the generated database, built by
# scripts/gen-scale-data.sh unless the cache holds one built by the same
# version of the script and the schema.
scale_db() {
	local users=$1 posts=$2 db stamp want t0
	db=$SCALE_DIR/u$users-p$posts.db
	stamp=$db.version
	want=$(cat "$ROOT/scripts/gen-scale-data.sh" \
	    "$ROOT"/src/store/schema/sqlite/*.sql | sha256sum | cut -c1-16)
	if [ -f "$db" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		log "  reusing $db"
	else
		mkdir -p "$SCALE_DIR"
		rm -f -- "$db" "$db-wal" "$db-shm" "$stamp"
		log "  building $db ($users users, $posts posts; cached for later runs)"
		t0=$SECONDS
		GATEHOUSE_BIN=$GATEHOUSE_BIN "$ROOT/scripts/gen-scale-data.sh" \
		    "$db" "$users" "$posts" >"$OUT/logs/gen-scale-$users-$posts.log" 2>&1 || {
			tail -n 20 "$OUT/logs/gen-scale-$users-$posts.log" >&2
			rm -f -- "$db" "$db-wal" "$db-shm"
			die "scripts/gen-scale-data.sh failed"
		}
		echo "$want" >"$stamp"
		printf 'scale_build_%s\t%s\n' "$users" $((SECONDS - t0)) >>"$OUT/meta.tsv"
	fi
	SCALE_DB=$db
}

count_label() { # N: 1000 -> 1k, 1000000 -> 1M, 2500 -> 2.5k
	awk -v n="$1" 'BEGIN {
		if (n >= 1e6) { v = n / 1e6; u = "M" } else if (n >= 1e3) { v = n / 1e3; u = "k" } else { v = n; u = "" }
		s = sprintf("%.1f", v); sub(/\.0$/, "", s); print s u }'
}

# One scale pass (small or big): a working copy of the generated database
# (the writes of the scenarios - sessions, posts, todos - go there, never
# into the cache), start-up on it, then gatehouse with a freshly registered
# user seeded as in the main pass, the full stream, the scenarios.
bench_scale() { # RUN_PASS USERS POSTS
	local RUN_PASS=$1 users=$2 posts=$3 work t0 who=bench1
	local DURATION=$SCALE_DURATION RUNS=$SCALE_RUNS SCENARIO_LIST=$SCALE_SCENARIOS
	local GATEHOUSE_DB_URL SCALE_WORK
	log "== scale pass $RUN_PASS: $(count_label "$users") users, $(count_label "$posts") posts"
	scale_db "$users" "$posts"
	work=$SCALE_DIR/work-$$-$RUN_PASS.db
	SCALE_WORK=$work
	CLEAN_FILES+=("$work" "$work-wal" "$work-shm")
	t0=$(date +%s.%N)
	cp --reflink=auto -- "$SCALE_DB" "$work" || die "copying $SCALE_DB failed"
	printf 'scale_%s_users\t%s\nscale_%s_posts\t%s\nscale_%s_label\t%s\nscale_%s_copy_secs\t%s\n' \
	    "$RUN_PASS" "$users" "$RUN_PASS" "$posts" "$RUN_PASS" "$(count_label "$users")" \
	    "$RUN_PASS" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" \
	    >>"$OUT/meta.tsv"
	GATEHOUSE_DB_URL=sqlite:///$work
	[ "$users" -gt 1 ] || who=bench0
	if [ "${BENCH_SKIP_STARTUP:-0}" != 1 ]; then
		log "  start-up on the $(count_label "$users")-user database, $STARTS start(s)"
		measure_startup "$RUN_PASS" "$GATEHOUSE_DB_URL" "$who" bench-password
	fi
	bench_server gatehouse
	rm -f -- "$work" "$work-wal" "$work-shm"
}

# ---- one server, one pass --------------------------------------------------

bench_server() { # NAME
	local name=$1 scen busy p
	busy=$(machine_busy)
	printf 'busy_%s_%s\t%s\n' "$RUN_PASS" "$name" "$busy" >>"$OUT/meta.tsv"
	log "== $name, pass $RUN_PASS (machine ${busy}% busy before start)"
	SERVER_PIDS=() MEASURED=() DB_PID="" EXTRA_LOGS=() PG_DB=""
	case $name in
	gatehouse-pg) start_gatehouse_pg 1 ;;
	gatehouse-pg*) start_gatehouse_pg "${name#gatehouse-pg}" ;;
	*) "start_$name" ;;
	esac
	[ ${#SERVER_PIDS[@]} -gt 0 ] || SERVER_PIDS=("$SERVER_PID")
	[ ${#MEASURED[@]} -gt 0 ] || MEASURED=("$SERVER_PID")
	wait_ready "$name" "$SERVER_PID" "$READY_URL"
	rss_method_for "${MEASURED[@]}"
	printf 'rss_method_%s\t%s\n' "$name" "$RSS_METHOD" >>"$OUT/meta.tsv"
	printf 'instances_%s\t%s\n' "$name" "${#MEASURED[@]}" >>"$OUT/meta.tsv"
	if [ ${#SERVER_PIDS[@]} -gt 1 ]; then
		log "$name ready at $BASE (proxy pid $SERVER_PID; instances ${MEASURED[*]})"
	else
		log "$name ready at $BASE (pid $SERVER_PID)"
	fi
	if [ "$name" = nginx ]; then
		TOKEN=fixed-body-needs-no-token IDS=$(seq -s, 1 100)
		USER_NAME=benchuser USER_PASS=unused APIKEY=gh_fixed_body_needs_no_key
	else
		local keyopt=--api-key
		[ "$name" != fastapi ] || keyopt=""
		# shellcheck disable=SC2086 # keyopt: no word or one
		"$PYTHON" "$HERE/seed.py" seed "$BASE" "$TMP/seed.env" $keyopt >&2 ||
		    die "seeding $name failed"
		# shellcheck disable=SC1091
		. "$TMP/seed.env"
		USER_NAME=$USER USER_PASS=$PASS
	fi
	# the scale passes: the whole stream, read once per run
	[ "$RUN_PASS" = main ] || measure_stream "$SCALE_WORK"
	# POST /posts runs last: the seed app's GET /posts ignores ?limit and
	# would list every post created before it.
	for scen in $SCENARIO_LIST; do
		case $scen in
		apikey | refresh | todos)
			if [ "$name" = fastapi ]; then
				log "  $scen: skipped (the FastAPI seed has no such route)"
				continue
			fi
			;;
		esac
		case $scen in
		login)
			LOGIN_SECS=$DURATION
			[ "$name" = nginx ] || measure_ceiling "$name"
			measure "$name" login login "$LOGIN_SECS"
			;;
		mixed) measure_mixed "$name" ;;
		*) measure "$name" "$scen" "$scen" ;;
		esac
		server_alive || die "$name died during scenario $scen"
	done
	if [ "$RUN_PASS" = main ] && [ "$name" = gatehouse ] &&
	    [ "${BENCH_SKIP_CONNS:-0}" != 1 ]; then
		measure_conns "$name"
	fi
	# the burst is left out on PostgreSQL: it measures accepting
	# connections, which the database does not change
	if [ "$RUN_PASS" = main ] && [ "${BENCH_SKIP_BURST:-0}" != 1 ] &&
	    [ -z "$DB_PID" ]; then
		measure_burst "$name"
	fi
	server_alive || die "$name died"
	for p in "${SERVER_PIDS[@]}"; do # the proxy first, then the instances
		stop_pid "$p"
		forget_pid "$p"
	done
	CURRENT_LOG="" EXTRA_LOGS=()
	if [ -n "$PG_DB" ]; then
		pg_tool dropdb --if-exists "$PG_DB" ||
		    die "dropdb $PG_DB failed"
	fi
	SERVER_PIDS=() MEASURED=() DB_PID="" PG_DB=""
	log "$name stopped"
}

# ---- main ------------------------------------------------------------------
mkdir -p "$OUT/logs" "$OUT/wrk"
rm -f "$OUT"/wrk/*.txt "$OUT"/logs/*.log
RAW=$OUT/raw.tsv
: >"$RAW"
: >"$OUT/burst.tsv"
: >"$OUT/stream.tsv"
: >"$OUT/startup.tsv"
TOKEN="" IDS="" USER_NAME="" USER_PASS="" APIKEY=""
RUN_PASS=main
SCENARIO_LIST=$SCENARIOS
SERVERS=()
[ "${BENCH_SKIP_NGINX:-0}" = 1 ] || SERVERS+=(nginx)
[ "${BENCH_SKIP_GATEHOUSE:-0}" = 1 ] || SERVERS+=(gatehouse)
# gatehouse on PostgreSQL, right after it on SQLite
LAST_PG=""
if [ "${BENCH_SKIP_GATEHOUSE:-0}" != 1 ] && [ "${BENCH_SKIP_PG:-0}" != 1 ]; then
	for n in $PG_INSTANCES; do
		LAST_PG=gatehouse-pg
		[ "$n" -eq 1 ] || LAST_PG=gatehouse-pg$n
		SERVERS+=("$LAST_PG")
	done
fi
if [ "${BENCH_SKIP_SEED:-0}" = 1 ]; then
	:
elif [ -x "$SEED_APP_DIR/run.sh" ]; then
	SERVERS+=(fastapi)
else
	# a user's clone has no ../shared: the other rows still mean something
	echo "bench: seed rows skipped: the seed app is not at $SEED_APP_DIR" \
	    "(clone beside ../shared, or set BENCH_SEED_APP_DIR)" >&2
fi
[ ${#SERVERS[@]} -gt 0 ] || die "every server skipped"
SCALE=1
if [ "${BENCH_SKIP_SCALE:-0}" = 1 ] || [ "${BENCH_SKIP_GATEHOUSE:-0}" = 1 ]; then
	SCALE=0
fi
[ "${BENCH_SKIP_BURST:-0}" = 1 ] || build_burst

# Open files: wrk and burst.c need one per connection, and so does every
# server, which inherits this limit. Raise the soft limit as far as the hard
# one allows; connection counts above what it allows are left out (logged).
want_files=$((BURST_CONNECTIONS + 1024))
for c in $CONN_LEVELS; do
	[ $((c + 1024)) -le "$want_files" ] || want_files=$((c + 1024))
done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_files" ]; then
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge "$want_files" ]; then
		ulimit -n "$want_files"
	else
		ulimit -n "$hard"
	fi
fi
MAX_CLIENT_CONNS=$(($(ulimit -n) - 64))

# the last committed record, which this run is compared with
PREV=$OUT/previous-results.md
PREV_FROM=""
rm -f "$PREV"
if git -C "$ROOT" cat-file -e HEAD:bench/results.md 2>/dev/null; then
	git -C "$ROOT" show HEAD:bench/results.md >"$PREV"
	PREV_FROM="bench/results.md of commit $(git -C "$ROOT" rev-parse --short HEAD)"
elif [ -f "$HERE/results.md" ]; then
	cp "$HERE/results.md" "$PREV"
	PREV_FROM="bench/results.md (working copy, not committed)"
fi

cat >"$OUT/meta.tsv" <<EOF
date	$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
nproc	$NPROC
kernel	$(uname -r)
smoke	$SMOKE
duration	$DURATION
connections	$CONNECTIONS
threads	$THREADS
runs	$RUNS
warmup	$WARMUP
ceiling_duration	$CEILING_DURATION
mixed_login_connections	$MIXED_LOGIN_CONNECTIONS
mixed_get_connections	$MIXED_GET_CONNECTIONS
seed_workers	$SEED_WORKERS
conn_levels	$CONN_LEVELS
conn_duration	$CONN_DURATION
conn_runs	$CONN_RUNS
burst_connections	$BURST_CONNECTIONS
burst_runs	$BURST_RUNS
burst_timeout	$BURST_TIMEOUT
starts	$STARTS
scale_duration	$SCALE_DURATION
scale_runs	$SCALE_RUNS
stream_runs	$STREAM_RUNS
stream_min_posts	$STREAM_MIN_POSTS
open_files	$(ulimit -n)
hz	$HZ
gatehouse_rev	$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo +dirty)
servers	${SERVERS[*]}
previous	$PREV_FROM
EOF

log "servers: ${SERVERS[*]}; ${DURATION}s x $RUNS runs, $CONNECTIONS connections, $THREADS threads; open files $(ulimit -n)"
BENCH_T0=$SECONDS
for s in "${SERVERS[@]}"; do
	bench_server "$s"
	# the cluster stops after its last pass: nothing later runs beside it
	if [ "$s" = "$LAST_PG" ]; then
		pg_down
		log "PostgreSQL stopped"
	fi
done
if [ "${BENCH_SKIP_GATEHOUSE:-0}" != 1 ] && [ "${BENCH_SKIP_STARTUP:-0}" != 1 ]; then
	log "== start-up on an empty data directory, $STARTS start(s)"
	measure_startup fresh
fi
if [ "$SCALE" = 1 ]; then
	bench_scale small "$SCALE_SMALL_USERS" "$SCALE_SMALL_POSTS"
	bench_scale big "$SCALE_USERS" "$SCALE_POSTS"
fi
printf 'busy_end\t%s\nelapsed_secs\t%s\n' "$(machine_busy)" \
    $((SECONDS - BENCH_T0)) >>"$OUT/meta.tsv"

"$PYTHON" "$HERE/report.py" "$OUT" "$PREV" >"$OUT/results.md.tmp" ||
    die "report.py failed"
mv "$OUT/results.md.tmp" "$OUT/results.md"
cat "$OUT/results.md"
if [ "$SMOKE" = 1 ] || [ "${BENCH_NO_RECORD:-0}" = 1 ]; then
	log "bench/results.md left as it is (smoke run or BENCH_NO_RECORD=1)"
else
	cp "$OUT/results.md" "$HERE/results.md"
	log "wrote bench/results.md: commit it, it is the record the next run compares with"
fi
