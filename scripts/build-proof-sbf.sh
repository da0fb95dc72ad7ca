#!/usr/bin/env bash
# Builds programs/basalt-proof-sbf (basalt-proof's storage-proof check as a minimal SBF
# program) and prints the path of its .so, for LiteSVM to meter
# (programs/basalt-native/benches/proof_cu.rs).
#
# No Solana platform tools can be downloaded here, so the build uses upstream LLVM's BPF
# backend (docs/solana-program.md, "Measuring compute units on real SBF"):
# - Debian's rustc-web (LLVM 22) compiles `core` for bpfel-unknown-none (-Zbuild-std);
# - sbpf-linker turns LLVM bitcode into an SBF v0 program; its release links LLVM 23,
#   which Debian does not ship, so it is built once with bpf-linker's `llvm-22` feature
#   against llvm-22-dev, and kept in the target directory.
# Packages are installed when missing (idempotent). Output: $OUT/basalt_proof_sbf.so, where
# OUT defaults to $CARGO_TARGET_DIR/sbf (or target/sbf).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/apt-install.sh
apt_install_missing rustc-web cargo-web rust-web-src rust-web-llvm llvm-22-dev

OUT="${BASALT_SBF_OUT:-${CARGO_TARGET_DIR:-$PWD/target}/sbf}"
mkdir -p "$OUT"
# A clippy wrapper from the caller's environment (scripts/test.sh) would bring rustup's
# sysroot into both builds below.
unset RUSTC_WORKSPACE_WRAPPER RUSTC_WRAPPER CLIPPY_ARGS

linker_version=0.2.6
linker="$OUT/tools/bin/sbpf-linker"
if ! [ -x "$linker" ] || [ "$(cat "$OUT/tools/version" 2>/dev/null)" != "$linker_version" ]; then
    echo "building sbpf-linker $linker_version against LLVM 22" >&2
    LLVM_PREFIX=/usr/lib/llvm-22 LLVM_SYS_221_PREFIX=/usr/lib/llvm-22 \
        CARGO_TARGET_DIR="$OUT/tools/target" \
        cargo install --quiet --locked --force "sbpf-linker@$linker_version" \
        --no-default-features --features bpf-linker/llvm-22 --root "$OUT/tools" >&2
    echo "$linker_version" >"$OUT/tools/version"
fi

# SBF v0 (what LiteSVM loads), no 128-bit or math builtins (upstream LLVM links none for
# BPF), the 4 KiB frames the VM gives.
flags=(-C panic=abort -C relocation-model=static -C target-cpu=v2
    -C target-feature=+allows-misaligned-mem-access -C link-arg=--arch=v0
    -C link-arg=--llvm-args=-bpf-stack-size=4096 -C link-arg=--llvm-args=--disable-movsx
    -C link-arg=--llvm-args=--disable-ldsx -C link-arg=--disable-math-builtins)
(
    cd programs/basalt-proof-sbf
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_DIR="$OUT/target" \
        CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER="$linker" \
        CARGO_TARGET_BPFEL_UNKNOWN_NONE_RUSTFLAGS="${flags[*]}" \
        /usr/bin/cargo build --locked --quiet --release --target bpfel-unknown-none \
        -Zbuild-std=core >&2
)
cp "$OUT/target/bpfel-unknown-none/release/libbasalt_proof_sbf.so" "$OUT/basalt_proof_sbf.so"
echo "$OUT/basalt_proof_sbf.so"
