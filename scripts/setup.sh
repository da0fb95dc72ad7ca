#!/usr/bin/env bash
# Installs the system packages the build needs, idempotently (nothing happens when they are
# already there): a C/C++ compiler for RocksDB and the other -sys crates, libclang for the
# bindgen that librocksdb-sys runs, ccache (scripts/build-env.sh), and Debian's OpenSSL, zstd
# and SQLite, which the build links instead of compiling them from source (.cargo/config.toml);
# and libfaketime, under which an app-test runs a compute worker with its wall clock shifted.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v clang >/dev/null || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
command -v ccache >/dev/null || need+=(ccache)
command -v pkg-config >/dev/null || need+=(pkg-config)
. "$(dirname "$0")/apt-install.sh"
apt_install_missing "${need[@]}" libssl-dev libzstd-dev libsqlite3-dev faketime
# scripts/test.sh lints with clippy-driver.
if ! command -v clippy-driver >/dev/null && command -v rustup >/dev/null; then
    rustup component add clippy
fi
