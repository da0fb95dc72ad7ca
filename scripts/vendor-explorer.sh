#!/usr/bin/env bash
# Copies the explorer's front-end libraries from the npm registry into indexer/explorer/vendor/
# (committed: the indexer compiles them in, so no build and no CDN is needed at run time).
# Each comes with its licence. Run it again after changing a version below; the test build
# never runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# uPlot: the explorer's charts (small, no dependencies, canvas).
UPLOT=1.6.32
# @solana/web3.js 1.x: builds, serializes and sends the wallet actions' transactions. Its
# successor (@solana/kit) ships only as ES modules split over many packages, which would
# need a bundler; 1.x ships one self-contained browser build (the global solanaWeb3).
WEB3=1.99.0
# @wallet-standard/app: discovers the wallets installed in the browser (Phantom, Solflare,
# Backpack…) the way every Solana dApp does; one ES module with no imports.
WALLET_STANDARD=1.1.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# vendor PACKAGE VERSION DEST FILE...: the FILEs (paths in the package's npm tarball) of
# PACKAGE@VERSION into the folder DEST of the explorer's vendor/, with its LICENSE and a VERSION note.
vendor() {
    local package=$1 version=$2 dest=indexer/explorer/vendor/$3
    shift 3
    rm -rf "$work/package" "$work"/*.tgz
    (cd "$work" && timeout 300 npm pack --silent "$package@$version" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dest"
    mkdir -p "$dest"
    for file in "$@" LICENSE; do
        cp "$work/package/$file" "$dest/"
    done
    echo "$package $version from the npm registry (scripts/vendor-explorer.sh)" >"$dest/VERSION"
}

vendor uplot "$UPLOT" uplot dist/uPlot.iife.min.js dist/uPlot.min.css
vendor @solana/web3.js "$WEB3" solana-web3 lib/index.iife.min.js
vendor @wallet-standard/app "$WALLET_STANDARD" wallet-standard lib/esm/wallets.js
