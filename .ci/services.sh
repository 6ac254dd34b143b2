#!/usr/bin/env bash
# Start PostgreSQL (port 5433) and Redis (port 6380) on loopback for the test suite and
# print the environment that points the tests at them. Safe to run twice.
set -euo pipefail
PGPORT=${PGPORT:-5433}
REDIS_PORT=${REDIS_PORT:-6380}
PGDATA=${PGDATA:-/tmp/mailscope-pg}
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
if [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL server not installed (no initdb under /usr/lib/postgresql/*/bin): apt-get install postgresql" >&2
  exit 1
fi

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null
fi

if ! "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGPORT" >/dev/null 2>&1; then
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA"
    su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
  fi
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $PGDATA/server.log -w start" >/dev/null
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE mailscope LOGIN PASSWORD 'mailscope' SUPERUSER" >/dev/null
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE mailscope_test OWNER mailscope" >/dev/null
fi

echo "export MAILSCOPE_TEST_POSTGRES_URL=postgresql://mailscope:mailscope@127.0.0.1:$PGPORT/mailscope_test"
echo "export MAILSCOPE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
