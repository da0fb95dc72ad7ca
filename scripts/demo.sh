#!/usr/bin/env bash
# The main job (README): `basalt demo` on a throwaway local network on 127.0.0.1 — a chain
# with the Basalt program, 14 storage nodes, a sample file stored, 4 nodes killed, the file
# read back and compared byte for byte. Extra arguments go to `basalt demo`
# (e.g. --size-mib 256, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-env.sh
stage setup scripts/setup.sh
# Only what the demo runs: `basalt`, and the `basalt-node` processes it starts. `--workspace`
# still resolves the dependencies' features over every crate of the workspace, as the test
# build does, so the two share one compilation of the Solana runtime, RocksDB and the rest
# (scripts/check-shared-features.sh keeps it so).
stage build cargo build --locked --workspace --bin basalt --bin basalt-node --bin basalt-worker
exec "$CARGO_TARGET_DIR/debug/basalt" demo "$@"
