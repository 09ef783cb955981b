#!/usr/bin/env bash
# deps.sh [build|test|bench] - make sure the Debian packages a target needs
# are installed: `build` for `make run` (compiler, libraries, and Debian's
# nodejs and npm for the Swagger UI files), `test` for `make test` and
# `make bench`.  As root it installs what is missing with apt-get;
# otherwise it prints the exact apt-get line and fails.  Only Debian 12's
# own packages: nothing here needs a newer Node or npm than bookworm's.
set -euo pipefail
BUILD=(
	build-essential pkg-config
	libmicrohttpd-dev libjansson-dev libsodium-dev libcrypt-dev libssl-dev
	libsqlite3-dev libpq-dev libunistring-dev nodejs npm
)
TEST=(
	"${BUILD[@]}" clang-format cppcheck clang libclang-rt-14-dev
	libcmocka-dev sqlite3
	# PostgreSQL 15 and its client: scripts/pg-cluster.sh runs a throwaway
	# cluster of its own (Debian's `main` cluster is never used)
	postgresql
	python3 python3-pytest python3-requests python3-jwt
	python3-requests-oauthlib python3-authlib
	python3-selenium chromium-driver
	wrk nginx-light curl faketime
	# the seed FastAPI app (../shared/reference), when it is there
	python3-fastapi python3-uvicorn python3-sqlalchemy python3-jose
	python3-passlib python3-bcrypt python3-email-validator
	python3-multipart python3-pydantic
)
case "${1:-test}" in
build) PKGS=("${BUILD[@]}") ;;
test) PKGS=("${TEST[@]}") ;;
bench) PKGS=("${TEST[@]}") ;; # wrk, nginx and the seed app, as the tests
*) echo "usage: deps.sh [build|test|bench]" >&2; exit 2 ;;
esac
missing=()
for p in "${PKGS[@]}"; do
	# a Node from elsewhere (nodesource) carries its own npm and conflicts
	# with Debian's npm package: an npm on the PATH is enough
	[ "$p" = npm ] && command -v npm >/dev/null && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "gatehouse needs these Debian packages; run as root:" >&2
	echo "  apt-get update && $line" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
