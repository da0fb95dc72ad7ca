#!/usr/bin/env bash
# Installs the system packages the build needs, idempotently (nothing happens when they are
# already there): a C/C++ compiler for RocksDB and the other -sys crates, libclang for the
# bindgen that librocksdb-sys runs, ccache (scripts/build-env.sh), and Debian's OpenSSL, zstd
# and SQLite, which the build links instead of compiling them from source (.cargo/config.toml).
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v clang >/dev/null || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
command -v ccache >/dev/null || need+=(ccache)
command -v pkg-config >/dev/null || need+=(pkg-config)
for lib in libssl-dev libzstd-dev libsqlite3-dev; do
    dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
# scripts/test.sh lints with clippy-driver.
if ! command -v clippy-driver >/dev/null && command -v rustup >/dev/null; then
    rustup component add clippy
fi
