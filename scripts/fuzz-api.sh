#!/usr/bin/env bash
# Fuzzes the indexer's dApp API against its own OpenAPI document with schemathesis (run by
# .ci/run after the tests, which build basalt-indexer): a live `basalt-indexer --api-only`
# on a fresh database, every operation, every check (server errors, status codes, content
# types, response schemas, requests the document allows that the server refuses and the
# reverse). Fails on any finding. This covers the binary's own start-up and an empty index;
# indexer/tests/typed_client.rs runs the same checks on populated ones.
#
# The event stream is left out: it never ends, so no response would ever complete; its
# parameters are the event list's, which is fuzzed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-env.sh

indexer="$CARGO_TARGET_DIR/debug/basalt-indexer"
[ -x "$indexer" ] || { echo "build basalt-indexer first (scripts/test.sh does)" >&2; exit 1; }

# schemathesis (scripts/test.sh installed it already; this is quick when it is there).
scripts/api-clients.sh
venv="${BASALT_VENV:-$HOME/.cache/basalt-venv}"

scripts/postgres.sh
db="basalt_fuzz_$$"
psql_cmd=(psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1)
"${psql_cmd[@]}" -c "CREATE DATABASE $db"
work=$(mktemp -d)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    "${psql_cmd[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$indexer" --api-only --database-url "postgres://postgres@127.0.0.1:5432/$db" \
    --listen "127.0.0.1:$port" >"$work/indexer.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -sf "$base/health" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/indexer.log" >&2; exit 1; }
    sleep 0.1
done

# A fixed seed and example count: the same requests on every run, so a failure reproduces.
"$venv/bin/st" run "$base/openapi.json" \
    --checks all \
    --exclude-path /v1/events/stream \
    --seed 20261203 \
    --max-examples 60 \
    --workers 2 \
    --generation-database none \
    --no-color || { echo "indexer log:" >&2; tail -20 "$work/indexer.log" >&2; exit 1; }
