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
(cd "$work" && timeout 300 npm pack --silent "uplot@$UPLOT" >/dev/null && tar xzf "uplot-$UPLOT.tgz")
dest=indexer/explorer/vendor/uplot
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/dist/uPlot.iife.min.js" "$work/package/dist/uPlot.min.css" \
    "$work/package/LICENSE" "$dest/"
echo "uplot $UPLOT from the npm registry (scripts/vendor-explorer.sh)" >"$dest/VERSION"

(cd "$work" && rm -rf package && timeout 300 npm pack --silent "@solana/web3.js@$WEB3" >/dev/null &&
    tar xzf "solana-web3.js-$WEB3.tgz")
dest=indexer/explorer/vendor/solana-web3
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/lib/index.iife.min.js" "$work/package/LICENSE" "$dest/"
echo "@solana/web3.js $WEB3 from the npm registry (scripts/vendor-explorer.sh)" >"$dest/VERSION"

(cd "$work" && rm -rf package && timeout 300 npm pack --silent "@wallet-standard/app@$WALLET_STANDARD" >/dev/null &&
    tar xzf "wallet-standard-app-$WALLET_STANDARD.tgz")
dest=indexer/explorer/vendor/wallet-standard
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/lib/esm/wallets.js" "$work/package/LICENSE" "$dest/"
echo "@wallet-standard/app $WALLET_STANDARD from the npm registry (scripts/vendor-explorer.sh)" >"$dest/VERSION"
