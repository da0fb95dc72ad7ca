#!/usr/bin/env bash
# Checks that scripts/demo.sh's build (`cargo build --workspace --bin …`) and the test build
# (`cargo test --workspace --all-targets`) compile every shared dependency with the same
# features, so that running one after the other compiles no third-party crate twice. A
# feature that only a dev-dependency turns on breaks this; repeat it in
# scripts/workspace-hack/Cargo.toml. Takes a few seconds (cargo tree, no compilation).
set -euo pipefail
cd "$(dirname "$0")/.."
features() {
    cargo tree --locked --workspace --prefix none --format '{p}|{f}' "$@" \
        | grep -F '|' | grep -v -F '(*)' | sed 's/ (proc-macro)//' | sort -u
}
# Files, not process substitution: a failing `cargo tree` must fail the check (pipefail).
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
features --edges features >"$dir/test"
features --edges no-dev,features >"$dir/demo"
# Known and accepted: basalt-near's unit tests need near-sdk's `unit-testing` (it brings
# NEAR's whole VM runner, which the binaries do not need), and the node's and the indexer's
# tests use basalt-near-client's `replay` server. What sits above them is a few crates of
# the workspace itself.
accepted='^(near-sdk|near-sdk-core|near-sdk-env|near-global-contracts|basalt-near-client) '
# Every (crate, features) the demo compiles must be one the test build compiles too.
missing=$(comm -23 "$dir/demo" "$dir/test" | grep -E -v "$accepted" || true)
if [ -n "$missing" ]; then
    echo "the demo's build compiles these with features the test build does not use:" >&2
    echo "$missing" >&2
    echo "(see scripts/workspace-hack/Cargo.toml)" >&2
    exit 1
fi
echo "the demo's build and the test build share every dependency's features" >&2
