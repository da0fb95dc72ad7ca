#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the indexer's tests (they
# create and drop their own databases there, as the `postgres` user with trust auth).
# Starts the machine's cluster when it is down; installs Debian's server when there is
# none. Does nothing when one already answers. BASALT_TEST_DATABASE_URL points the tests
# at another server instead, and this script then leaves the local one alone.
set -euo pipefail
if [ -n "${BASALT_TEST_DATABASE_URL:-}" ]; then
    exit 0
fi
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
ready && exit 0

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing the PostgreSQL server" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    $sudo_cmd pg_createcluster "$version" main
fi
echo "starting PostgreSQL $version" >&2
$sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    ready && exit 0
    sleep 1
done
echo "PostgreSQL does not answer on 127.0.0.1:5432; the indexer tests need it" >&2
exit 1
