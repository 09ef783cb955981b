#!/usr/bin/env bash
# deps.sh - make sure every Debian package gatehouse builds, tests and
# benchmarks with is installed.  As root it installs what is missing with
# apt-get; otherwise it prints the exact apt-get line and fails.
set -euo pipefail
PKGS=(
	build-essential pkg-config clang-format cppcheck clang libclang-rt-14-dev
	libmicrohttpd-dev libjansson-dev libsodium-dev libcrypt-dev libssl-dev
	libsqlite3-dev sqlite3 libpq-dev libcmocka-dev
	python3 python3-pytest python3-requests python3-jwt
	python3-selenium chromium-driver
	wrk nginx-light curl nodejs python3-requests-oauthlib
	python3-fastapi python3-uvicorn python3-sqlalchemy python3-jose
	python3-passlib python3-bcrypt python3-email-validator
	python3-multipart python3-pydantic
)
missing=()
for p in "${PKGS[@]}"; do
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
