#!/usr/bin/env bash
# Compiles Basalt's EVM contracts (contracts/evm/src) with the solc pinned in
# contracts/evm/package-lock.json (solc-js from npm carries its compiler: nothing else is
# downloaded, at build or run time), installed with OpenZeppelin's contracts into
# BASALT_EVM_TOOLS (by default ~/.cache/basalt-evm-tools), and writes contracts/evm/out/
# (committed: the Rust client reads the ABIs and deploys the bytecode). With --check it
# writes nothing and fails when out/ is not what the sources compile to (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-install.sh
command -v npm >/dev/null || apt_install_missing nodejs npm

tools="${BASALT_EVM_TOOLS:-$HOME/.cache/basalt-evm-tools}"
lock=contracts/evm/package-lock.json
mkdir -p "$tools"
if ! cmp -s "$lock" "$tools/package-lock.json" || [ ! -d "$tools/node_modules/solc" ]; then
    cp contracts/evm/package.json "$lock" "$tools/"
    (cd "$tools" && timeout 900 npm ci --no-audit --no-fund --quiet)
fi
NODE_PATH="$tools/node_modules" timeout 600 node contracts/evm/compile.mjs "$@"
