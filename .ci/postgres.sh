#!/usr/bin/env bash
# Start a local PostgreSQL (Debian's package) for the app-state tests and print the SQLAlchemy URL.
# Idempotent: installs the server when missing, creates the cluster, role and database once.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >/dev/null
fi
ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$ver" ]; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
fi
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
  pg_createcluster "$ver" main >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -p $port" && break
  sleep 1
done
psql_do() { su postgres -c "psql -p $port -tAc \"$1\""; }
[ "$(psql_do "SELECT 1 FROM pg_roles WHERE rolname='omx'")" = "1" ] || psql_do "CREATE ROLE omx LOGIN PASSWORD 'omx-ci'" >&2
[ "$(psql_do "SELECT 1 FROM pg_database WHERE datname='omnimix'")" = "1" ] || su postgres -c "createdb -p $port -O omx omnimix" >&2
echo "postgresql+psycopg://omx:omx-ci@127.0.0.1:$port/omnimix"
