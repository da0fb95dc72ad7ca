#!/usr/bin/env bash
# The API clients the indexer's tests and scripts/fuzz-api.sh drive: schemathesis (and, for
# the explorer, Playwright with Debian's Chromium) from PyPI in a virtual environment outside
# the clone (BASALT_VENV, by default ~/.cache/basalt-venv),
# and openapi-typescript with TypeScript from npm, installed from
# indexer/tests/client/package-lock.json into BASALT_API_CLIENTS (by default
# ~/.cache/basalt-api-clients). Pinned so that runs compare; idempotent: nothing is installed
# when everything is there. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-install.sh
apt_install_missing python3-venv
# The machine's Node.js may come with its own npm (NodeSource's package does): Debian's npm
# only when there is none.
command -v npm >/dev/null || apt_install_missing nodejs npm

venv="${BASALT_VENV:-$HOME/.cache/basalt-venv}"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "4.32.5"; then
    python3 -m venv "$venv"
    timeout 900 "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

# The explorer's browser test: Debian's Chromium, driven by Playwright from PyPI, which is
# pointed at /usr/bin/chromium and never downloads a browser of its own.
apt_install_missing chromium
if ! "$venv/bin/pip" show playwright 2>/dev/null | grep -q "^Version: 1.64.0$"; then
    timeout 900 "$venv/bin/pip" install --quiet "playwright==1.64.0"
fi
# The test wallet the browser tests register in the page signs with Ed25519 (scripts/test_wallet.py).
if ! "$venv/bin/pip" show cryptography 2>/dev/null | grep -q "^Version: 46.0.3$"; then
    timeout 900 "$venv/bin/pip" install --quiet "cryptography==46.0.3"
fi

clients="${BASALT_API_CLIENTS:-$HOME/.cache/basalt-api-clients}"
lock=indexer/tests/client/package-lock.json
mkdir -p "$clients"
if ! cmp -s "$lock" "$clients/package-lock.json" || [ ! -x "$clients/node_modules/.bin/tsc" ]; then
    cp indexer/tests/client/package.json "$lock" "$clients/"
    (cd "$clients" && timeout 900 npm ci --no-audit --no-fund --quiet)
fi
