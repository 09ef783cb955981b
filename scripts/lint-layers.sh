#!/usr/bin/env bash
# lint-layers.sh - enforce the one-way dependencies of STYLE.md:
#   auth/ and policy/ are pure: no http/, store/, handlers/ includes
#   store/ knows nothing of HTTP or handlers
#   http/ knows nothing of users: only routes.c may name handlers/, and
#     only server.c calls the authentication decision (authn/authn.h)
#   util/ depends on nothing but gh.h and util/
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() { # dir regex-of-forbidden-includes [exception-file]
	local dir=$1 re=$2 except=${3:-}
	while IFS= read -r hit; do
		[ -n "$except" ] && [[ $hit == "$except":* ]] && continue
		echo "layering: $hit" >&2
		fail=1
	done < <(grep -HnE "^#include \"($re)" "$dir"/*.[ch] 2>/dev/null || true)
}
check src/auth 'http/|store/|handlers/|config\.h|log\.h'
check src/policy 'http/|store/|handlers/|auth/|config\.h'
check src/store 'http/|handlers/|auth/'
check src/http 'handlers/|store/|auth/' src/http/routes.c
check src/http 'authn/' src/http/server.c
check src/util 'http/|store/|handlers/|auth/|policy/|config\.h'
# every .c under src/ includes banned.h last
for f in $(find src -name '*.c'); do
	last=$(grep -E '^#include ' "$f" | tail -n 1)
	if [ "$last" != '#include "util/banned.h"' ]; then
		echo "banned.h is not the last include of $f" >&2
		fail=1
	fi
done
exit $fail
