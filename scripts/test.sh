#!/usr/bin/env bash
# The test command (README): every crate's unit, property and integration tests.
# scripts/setup.sh first installs what the build needs (a C/C++ compiler and libclang for
# RocksDB), and scripts/postgres.sh starts the PostgreSQL server the indexer's tests use;
# both do nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/postgres.sh
cargo test --workspace --all-targets --locked "$@"
