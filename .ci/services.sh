#!/usr/bin/env bash
# Start PostgreSQL (port 5433) and Redis (port 6380) on loopback for the test suite and
# print the environment that points the tests at them. Safe to run twice, and on a
# machine where an earlier run left its data folder behind (stopped or damaged).
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
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -p "$REDIS_PORT" ping >/dev/null || { echo "Redis did not start on port $REDIS_PORT" >&2; exit 1; }

pg_start() {
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $PGDATA/server.log -w -t 60 start" >/dev/null
}
pg_init() {
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA"
  su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
}

if ! "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGPORT" >/dev/null 2>&1; then
  # A data folder left by an earlier run (a restored machine, a killed server) is reused
  # when it belongs to this PostgreSQL version and starts; otherwise it is made afresh.
  if [ "$(cat "$PGDATA/PG_VERSION" 2>/dev/null)" != "$(basename "$(dirname "$PGBIN")")" ]; then
    pg_init
  fi
  rm -f "$PGDATA/postmaster.pid"
  if ! pg_start; then
    echo "PostgreSQL did not start from $PGDATA; making a new data folder" >&2
    pg_init
    pg_start
  fi
fi

# The role and the database may already exist (a reused data folder): create what is missing.
pg() { psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -tAqc "$1"; }
if [ "$(pg "SELECT 1 FROM pg_roles WHERE rolname = 'mailscope'")" != "1" ]; then
  pg "CREATE ROLE mailscope LOGIN PASSWORD 'mailscope' SUPERUSER" >/dev/null
fi
if [ "$(pg "SELECT 1 FROM pg_database WHERE datname = 'mailscope_test'")" != "1" ]; then
  pg "CREATE DATABASE mailscope_test OWNER mailscope" >/dev/null
fi
psql "postgresql://mailscope:mailscope@127.0.0.1:$PGPORT/mailscope_test" -tAqc "SELECT 1" >/dev/null

echo "export MAILSCOPE_TEST_POSTGRES_URL=postgresql://mailscope:mailscope@127.0.0.1:$PGPORT/mailscope_test"
echo "export MAILSCOPE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
