#!/usr/bin/env bash
# Copies the explorer's front-end libraries from the npm registry into indexer/explorer/vendor/
# (committed: the indexer compiles them in, so no build and no CDN is needed at run time).
# Each comes with its licence. Run it again after changing a version below; the test build
# never runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# uPlot: the explorer's charts (small, no dependencies, canvas).
UPLOT=1.6.32

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && timeout 300 npm pack --silent "uplot@$UPLOT" >/dev/null && tar xzf "uplot-$UPLOT.tgz")
dest=indexer/explorer/vendor/uplot
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/dist/uPlot.iife.min.js" "$work/package/dist/uPlot.min.css" \
    "$work/package/LICENSE" "$dest/"
echo "uplot $UPLOT from the npm registry (scripts/vendor-explorer.sh)" >"$dest/VERSION"
