#!/usr/bin/env bash
# Regenerates the Anchor IDL of the Solana program (programs/basalt/idl/basalt.json) for
# TypeScript clients. Run it after changing an instruction, account, event or error, and
# commit the result. The IDL build compiles the program with the `idl-build` feature and
# different RUSTFLAGS, so it uses its own target directory to keep the main one warm.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-env.sh
target="$CARGO_TARGET_DIR"
out=programs/basalt/idl/basalt.json
# The example re-invokes cargo for the program; give that build its own target directory and
# let it use whichever toolchain is the default.
CARGO_TARGET_DIR="$target" BASALT_IDL_TARGET_DIR="$target-idl" \
    cargo run --quiet --locked -p basalt-native --example idl > "$out.tmp" \
    || { rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
