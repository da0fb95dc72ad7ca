#!/usr/bin/env bash
# The test command (README): every crate's unit, property and integration tests.
# Installs nothing today: the data-plane crates need only the Rust toolchain and a C compiler
# (reed-solomon-erasure's SIMD kernels), both on a fresh machine of this kind.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cc >/dev/null || { echo "a C compiler is needed: apt-get install -y build-essential" >&2; exit 1; }
cargo test --workspace --all-targets --locked "$@"
