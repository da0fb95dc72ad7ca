#!/usr/bin/env bash
# The S3 clients the gateway's tests drive (app-tests/tests/s3_gateway.rs): boto3 and the
# AWS CLI from PyPI in a virtual environment outside the clone (BASALT_S3_VENV, by default
# ~/.cache/basalt-s3-venv), pinned so that runs compare, and Debian's rclone. Idempotent:
# nothing is installed when everything is there. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-install.sh
apt_install_missing rclone python3-venv

venv="${BASALT_S3_VENV:-$HOME/.cache/basalt-s3-venv}"
want="boto3==1.44.18 awscli==1.46.3"
if [ "$("$venv/bin/pip" freeze 2>/dev/null | grep -E '^(boto3|awscli)==' | sort | tr '\n' ' ')" != "awscli==1.46.3 boto3==1.44.18 " ]; then
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    timeout 600 "$venv/bin/pip" install --quiet $want
fi
