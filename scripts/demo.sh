#!/usr/bin/env bash
# The main job (README): `basalt demo` on a throwaway local network on 127.0.0.1 — a chain
# with the Basalt program, 14 storage nodes, a sample file stored, 4 nodes killed, the file
# read back and compared byte for byte. Extra arguments go to `basalt demo`
# (e.g. --size-mib 256, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The same C/C++ environment as scripts/test.sh (ccache, and the CRC32C instructions for
# RocksDB): with another CC or CXXFLAGS, librocksdb-sys's build script compiles RocksDB
# again, and everything above it is rebuilt, each time one follows the other.
. scripts/cc-env.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/basalt-target}"
# Build both binaries (the demo starts `basalt-node` processes found next to `basalt`).
# --all-targets resolves features exactly as scripts/test.sh does, so the two share one
# build instead of compiling the Solana runtime twice.
cargo build --locked --workspace --all-targets
exec "$CARGO_TARGET_DIR/debug/basalt" demo "$@"
