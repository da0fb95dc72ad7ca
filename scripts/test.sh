#!/usr/bin/env bash
# The test command (README): every crate's unit, property and integration tests.
# scripts/setup.sh first installs what the build needs (a C/C++ compiler and libclang for
# RocksDB), and scripts/postgres.sh starts the PostgreSQL server the indexer's tests use;
# both do nothing when it is already there. scripts/cc-env.sh routes C/C++ compiles
# through ccache. scripts/build-near.sh builds the NEAR contract's
# wasm (installing Debian's rustc-web toolchain when missing), which the cross-chain
# scenarios run in NEAR's runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/cc-env.sh
scripts/postgres.sh
BASALT_NEAR_WASM="$(scripts/build-near.sh)"
export BASALT_NEAR_WASM
cargo test --workspace --all-targets --locked "$@"
