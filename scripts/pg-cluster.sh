#!/usr/bin/env bash
# pg-cluster.sh start DIR [--durable] | stop DIR [--keep] | restart DIR - a throwaway
# PostgreSQL cluster for the tests and benchmarks, from Debian's
# `postgresql` package (the newest /usr/lib/postgresql/N/bin, or
# $PG_BINDIR).  Debian's own `main` cluster is never used nor touched.
#
#   start  initdb into DIR/data (superuser `postgres`, trust, UTF8, locale
#          C, --no-sync) as an unprivileged user (as root: `nobody`, or a
#          system user `gatehouse-test` made for it if `nobody` cannot run
#          it), listening only on the Unix socket DIR/sock/.s.PGSQL.PORT;
#          waits until it accepts connections (pg_ctl -w), then writes
#          DIR/env (shell-sourceable) and prints it.  Without --durable the
#          cluster does not fsync (fsync, synchronous_commit and
#          full_page_writes off): a test cluster.  With --durable the
#          durability settings keep PostgreSQL's defaults (benchmarks).
#          A cluster already running in DIR is left as it is (its env is
#          printed again); one stopped with --keep starts again.
#   stop   stop the postmaster named by DIR/data/postmaster.pid (SIGINT, a
#          fast shutdown; bounded wait, then immediate shutdown, then
#          SIGKILL), never any other process, then remove DIR unless
#          --keep.  A DIR that is not there is not an error.
#   restart  stop --keep, then start again: same data, same port (so the
#          clients' URLs stay valid), same durability (a database
#          restart under load, tests/multi).
#
# By hand (what `make http-pg` does):
#   scripts/pg-cluster.sh start /tmp/ghpg
#   . /tmp/ghpg/env
#   GH_DB=pg python3 -m pytest -q tests/http   # each server on its own db
#   psql -h "$GH_PG_HOST" -p "$GH_PG_PORT" -U "$GH_PG_USER" postgres
#   scripts/pg-cluster.sh stop /tmp/ghpg
# DIR's path must be short (a Unix socket path has at most 107 bytes) and,
# as root, reachable by `nobody` (a folder under /tmp is).
set -euo pipefail

PGUSER_NAME=postgres    # the cluster's superuser (initdb -U)
MARK=.gh-pg-cluster     # DIR is ours: `stop` removes only such a DIR
STOP_SECONDS=60         # fast shutdown bound, then immediate shutdown

fatal() {
	echo "pg-cluster: $*" >&2
	exit 1
}

usage() {
	echo "usage: pg-cluster.sh start DIR [--durable] | stop DIR [--keep]" >&2
	exit 2
}

# The newest PostgreSQL server binaries Debian installed.
find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || fatal "no initdb in PG_BINDIR=$PG_BINDIR"
		echo "$PG_BINDIR"
		return
	fi
	local d best=""
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V |
		    tail -n 1)
	done
	[ -n "$best" ] || fatal "no PostgreSQL server under /usr/lib/postgresql:" \
	    "apt-get install postgresql (scripts/deps.sh test installs it)"
	echo "$best"
}

# As root, the cluster runs as an unprivileged user (initdb and postgres
# refuse root): RUN_UID/RUN_GID are set and as_owner switches to them.
RUN_UID=""
RUN_GID=""
pick_owner() {
	[ "$(id -u)" -eq 0 ] || return 0
	local u
	for u in nobody gatehouse-test; do
		if [ "$u" = gatehouse-test ] && ! id -u "$u" >/dev/null 2>&1; then
			useradd --system --no-create-home --home-dir /nonexistent \
			    --shell /usr/sbin/nologin --user-group "$u" ||
			    fatal "cannot create the system user $u"
		fi
		id -u "$u" >/dev/null 2>&1 || continue
		RUN_UID=$(id -u "$u")
		RUN_GID=$(id -g "$u")
		as_owner true 2>/dev/null && return 0
	done
	fatal "cannot run a command as nobody or gatehouse-test (setpriv)"
}

as_owner() {
	if [ -n "$RUN_UID" ]; then
		setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups -- \
		    env HOME="$DIR" "$@"
	else
		"$@"
	fi
}

# The PID of the postmaster of DIR/data, if one runs: the PID file's
# process, alive (not a zombie) and working in that very data folder.
running_pid() {
	local pidfile="$DIR/data/postmaster.pid" pid cwd
	[ -f "$pidfile" ] || return 1
	pid=$(head -n 1 "$pidfile" 2>/dev/null) || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
	[ "$cwd" = "$DIR/data" ] || return 1
	echo "$pid"
}

alive() {
	local state
	[ -e "/proc/$1" ] || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
	    "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone PID SECONDS: poll (not a sleep for readiness) until PID ends
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	! alive "$1"
}

free_port() {
	local p
	p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
	    2>/dev/null) || p=$((20000 + RANDOM % 30000))
	while [ -e "$DIR/sock/.s.PGSQL.$p" ]; do
		p=$((20000 + RANDOM % 30000))
	done
	echo "$p"
}

show_log() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "--- $f (last 60 lines) ---" >&2
		tail -n 60 "$f" >&2
	done
}

write_env() {
	{
		printf 'export GH_PG_HOST=%q\n' "$DIR/sock"
		printf 'export GH_PG_PORT=%q\n' "$1"
		printf 'export GH_PG_USER=%q\n' "$PGUSER_NAME"
		printf 'export GH_PG_BIN=%q\n' "$BINDIR"
	} >"$DIR/env.tmp"
	mv "$DIR/env.tmp" "$DIR/env"
}

cmd_start() {
	local durable=0 arg pid port t0 ms
	for arg in "$@"; do
		case "$arg" in
		--durable) durable=1 ;;
		*) usage ;;
		esac
	done
	t0=${EPOCHREALTIME/./}
	BINDIR=$(find_bindir)
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd -P)
	[ ${#DIR} -le 80 ] || fatal "DIR $DIR is too long for a Unix socket path"
	if pid=$(running_pid); then
		[ -f "$DIR/env" ] || fatal "a postmaster ($pid) runs in $DIR/data" \
		    "but $DIR/env is missing"
		echo "pg-cluster: already running in $DIR (pid $pid)" >&2
		cat "$DIR/env"
		return 0
	fi
	if [ ! -e "$DIR/$MARK" ] && [ -n "$(ls -A "$DIR")" ]; then
		fatal "$DIR is not empty and not a cluster of this script"
	fi
	touch "$DIR/$MARK"
	pick_owner
	if [ -n "$RUN_UID" ]; then
		chown "$RUN_UID:$RUN_GID" "$DIR"
		chmod 0755 "$DIR"       # root and the owner reach the socket
		as_owner test -w "$DIR" -a -x "$DIR" ||
		    fatal "user $(id -un "$RUN_UID") cannot write $DIR: use a" \
		        "folder every user can reach (under /tmp)"
	fi

	if [ ! -f "$DIR/data/PG_VERSION" ]; then
		rm -rf "$DIR/data"
		as_owner "$BINDIR/initdb" -D "$DIR/data" -U "$PGUSER_NAME" \
		    -A trust -E UTF8 --locale=C --no-sync \
		    >"$DIR/initdb.log" 2>&1 || {
			show_log "$DIR/initdb.log"
			fatal "initdb failed in $DIR/data"
		}
		echo "include_if_exists = 'gatehouse-test.conf'" |
		    as_owner tee -a "$DIR/data/postgresql.conf" >/dev/null
	fi

	as_owner mkdir -p "$DIR/sock"
	chmod 0755 "$DIR/sock"
	# a restart keeps its port: the clients' URLs name it
	port=$(sed -n 's/^export GH_PG_PORT=//p' "$DIR/env" 2>/dev/null || true)
	[ -n "$port" ] || port=$(free_port)
	rm -f "$DIR/durable"
	[ "$durable" -eq 0 ] || touch "$DIR/durable"
	{
		echo "# written by scripts/pg-cluster.sh at every start"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '${DIR//\'/\'\'}/sock'"
		echo "port = $port"
		echo "max_connections = 200"
		echo "shared_buffers = 64MB"
		if [ "$durable" -eq 0 ]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_owner tee "$DIR/data/gatehouse-test.conf" >/dev/null

	if ! as_owner "$BINDIR/pg_ctl" -w -t 60 -D "$DIR/data" -l "$DIR/log" \
	    start >"$DIR/pg_ctl.log" 2>&1; then
		show_log "$DIR/pg_ctl.log" "$DIR/log"
		if pid=$(running_pid); then    # up but not ready in time
			kill -QUIT "$pid" 2>/dev/null || true
			wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
		fi
		fatal "PostgreSQL did not start in $DIR (log above)"
	fi
	pid=$(running_pid) || {
		show_log "$DIR/pg_ctl.log" "$DIR/log"
		fatal "pg_ctl started no postmaster in $DIR/data"
	}
	"$BINDIR/pg_isready" -q -h "$DIR/sock" -p "$port" -U "$PGUSER_NAME" \
	    -d postgres || {
		show_log "$DIR/log"
		fatal "PostgreSQL in $DIR does not accept connections"
	}
	write_env "$port"
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "pg-cluster: PostgreSQL $(cat "$DIR/data/PG_VERSION") (pid $pid)" \
	    "on $DIR/sock port $port$([ "$durable" -eq 1 ] && echo ', durable')," \
	    "ready in $ms ms" >&2
	cat "$DIR/env"
}

cmd_stop() {
	local keep=0 arg pid sig
	for arg in "$@"; do
		case "$arg" in
		--keep) keep=1 ;;
		*) usage ;;
		esac
	done
	[ -d "$DIR" ] || return 0
	DIR=$(cd "$DIR" && pwd -P)
	[ -e "$DIR/$MARK" ] || [ -z "$(ls -A "$DIR")" ] ||
	    fatal "$DIR is not a cluster of this script: left alone"
	if pid=$(running_pid); then
		# SIGINT: fast shutdown; SIGQUIT: immediate; SIGKILL: the end
		for sig in INT QUIT KILL; do
			kill -"$sig" "$pid" 2>/dev/null || true
			case $sig in
			INT) wait_gone "$pid" "$STOP_SECONDS" && break ;;
			QUIT) wait_gone "$pid" 10 && break ;;
			KILL) wait_gone "$pid" 10 ||
			    fatal "postmaster $pid of $DIR survived SIGKILL" ;;
			esac
			echo "pg-cluster: postmaster $pid ignored SIG$sig" >&2
		done
	fi
	if [ "$keep" -eq 0 ]; then
		rm -rf "$DIR"
	fi
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
shift 2
[ -n "$DIR" ] && [ "$DIR" != / ] || usage
case "$CMD" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
restart) # the same cluster, port and durability, stopped and started
	if [ -e "$DIR/durable" ]; then set -- --durable; else set --; fi
	cmd_stop --keep
	cmd_start "$@" ;;
*) usage ;;
esac
