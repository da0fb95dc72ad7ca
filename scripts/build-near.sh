#!/usr/bin/env bash
# Builds the NEAR contract (contracts/basalt-near) to wasm and prints the path of the .wasm.
#
# rustup cannot add the wasm32 target on this machine, so the build uses Debian's rustc-web
# toolchain, which builds std for wasm32 from source (-Zbuild-std). Measured facts behind
# each flag (docs/near.md, "Building and testing"):
# - RUSTC=/usr/bin/rustc: rustup's ~/.cargo/bin comes first on PATH;
# - --cfg near: what cargo-near sets; without it near-sdk uses fallbacks and failed checks
#   become bare wasm traps instead of readable panics;
# - lld-22: rust-lld dangles without it.
# The packages are installed when missing (idempotent). Output: $OUT/basalt_near.wasm,
# where OUT defaults to $CARGO_TARGET_DIR/near (or target/near).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/apt-install.sh
apt_install_missing rustc-web cargo-web rust-web-src rust-web-llvm lld-22 binaryen

OUT="${BASALT_NEAR_OUT:-${CARGO_TARGET_DIR:-$PWD/target}/near}"
mkdir -p "$OUT"
# Its own target directory: this toolchain's artifacts must not mix with rustup's. A clippy
# wrapper from the caller's environment (scripts/test.sh) would bring rustup's sysroot.
unset RUSTC_WORKSPACE_WRAPPER RUSTC_WRAPPER CLIPPY_ARGS
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="--cfg near -C link-arg=-s" CARGO_TARGET_DIR="$OUT/target" \
    /usr/bin/cargo build --locked --quiet --profile contract --lib -p basalt-near \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort >&2
raw="$OUT/target/wasm32-unknown-unknown/contract/basalt_near.wasm"
# binaryen shrinks it by about a fifth; the feature flags are what NEAR's runtime accepts.
wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-reference-types \
    --enable-nontrapping-float-to-int "$raw" -o "$OUT/basalt_near.wasm"
echo "wasm: $(stat -c %s "$raw") bytes built, $(stat -c %s "$OUT/basalt_near.wasm") after wasm-opt" >&2
echo "$OUT/basalt_near.wasm"
