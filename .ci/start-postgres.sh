#!/usr/bin/env bash
# Install (if missing) and start PostgreSQL, with a `pos` superuser the tests log in as over TCP.
# Used by .ci/run; a developer may run it too (as root). Idempotent.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='pos'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role pos login superuser password 'pos'\""
echo "PostgreSQL $version is running; tests use postgresql+psycopg://pos:pos@127.0.0.1:5432/postgres"
