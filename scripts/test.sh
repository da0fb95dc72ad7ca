#!/usr/bin/env bash
# The test command (README): every crate's unit, property and integration tests, with clippy's
# lints denied on the workspace's own code. Extra arguments go to both `cargo test` runs
# (e.g. `-- name_filter`).
#
# Each stage prints its time. setup.sh installs what the build needs when it is missing;
# the NEAR contract's wasm (build-near.sh, Debian's rustc-web toolchain, for the cross-chain
# scenarios) and basalt-proof's SBF program (build-proof-sbf.sh, for the compute-unit check)
# build in the background while cargo compiles; postgres.sh starts the
# PostgreSQL server the indexer's tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-env.sh
stage setup scripts/setup.sh
# Again: on a fresh machine setup.sh has just installed clang and ccache, and compiling with
# another CC now would compile RocksDB again on the next run.
. scripts/build-env.sh
stage postgres scripts/postgres.sh
# boto3, the AWS CLI and rclone, which the S3 gateway's tests drive (app-tests/s3/).
stage "S3 clients" scripts/s3-clients.sh
# schemathesis, openapi-typescript and TypeScript, which the indexer's API tests drive, and
# Playwright with Debian's Chromium for the explorer's browser test.
stage "API clients" scripts/api-clients.sh
# The EVM contracts' committed artifacts (contracts/evm/out/, read by basalt-evm-client) must
# be what the pinned solc makes of the sources.
stage "EVM contracts" scripts/evm-contracts.sh --check

# After the stages above: its own apt-get must not race theirs for the dpkg lock. The SBF build
# of basalt-proof's check (build-proof-sbf.sh, same toolchain) follows it for the same reason.
near_dir=$(mktemp -d)
{
    scripts/build-near.sh >"$near_dir/path" 2>"$near_dir/log" || echo near >"$near_dir/failed"
    scripts/build-proof-sbf.sh >"$near_dir/sbf-path" 2>"$near_dir/sbf-log" ||
        echo sbf >>"$near_dir/failed"
} &
near_pid=$!
trap 'kill "$near_pid" 2>/dev/null || true; rm -rf "$near_dir"' EXIT

# clippy-driver is rustc plus clippy's lints. As the workspace wrapper, cargo runs it for the
# workspace's own crates only, so the lints come with the test build instead of costing a
# second, check-mode build of the whole dependency graph (`cargo clippy --all-targets` checks
# the same targets). CLIPPY_ARGS is how `cargo clippy -- -D warnings` hands it its arguments.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
stage "build (with clippy)" cargo test --workspace --all-targets --locked --no-run "$@"

wait_near() {
    wait "$near_pid"
    if [ -e "$near_dir/failed" ]; then
        grep -q near "$near_dir/failed" && cat "$near_dir/log" >&2
        grep -q sbf "$near_dir/failed" && cat "$near_dir/sbf-log" >&2
        return 1
    fi
    tail -1 "$near_dir/log" >&2
}
stage "NEAR contract wasm and SBF proof check (built alongside)" wait_near
BASALT_NEAR_WASM="$(cat "$near_dir/path")"
BASALT_PROOF_SBF="$(cat "$near_dir/sbf-path")"
export BASALT_NEAR_WASM BASALT_PROOF_SBF

stage tests cargo test --workspace --all-targets --locked "$@"
