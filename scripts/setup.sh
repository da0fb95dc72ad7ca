#!/usr/bin/env bash
# Installs the system packages the build needs, idempotently (nothing happens when they are
# already there). RocksDB's -sys crate compiles the C++ library and runs bindgen, which
# loads libclang at build time.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v clang >/dev/null || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
# RocksDB's C++ is compiled by both `cargo test` and `cargo clippy`; see scripts/cc-env.sh.
command -v ccache >/dev/null || need+=(ccache)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
