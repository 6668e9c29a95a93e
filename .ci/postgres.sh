#!/usr/bin/env bash
# Make a PostgreSQL server available for the registry tests and print its URL.
#
#   export LINEAGE_ENGINE_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
#
# Installs PostgreSQL from the OS packages when no initdb is found (Debian/Ubuntu, as root),
# creates a throw-away cluster in $LINEAGE_PG_DIR (default /tmp/lineage-engine-pg), starts it
# on 127.0.0.1 at the first free port from $LINEAGE_PG_PORT (default 55432), and creates the
# database lineage_test owned by the user lineage_test with a generated password (kept in the
# cluster folder, mode 600). Idempotent: a re-run reuses the running cluster and prints the
# same URL. Only the URL goes to stdout; everything else goes to stderr.
# Stop it with: runuser -u postgres -- pg_ctl -D "$LINEAGE_PG_DIR/data" stop
set -euo pipefail
exec 3>&1 1>&2

PG_DIR=${LINEAGE_PG_DIR:-/tmp/lineage-engine-pg}
FIRST_PORT=${LINEAGE_PG_PORT:-55432}
DB=lineage_test
ROLE=lineage_test

find_bindir() {
  local initdb
  initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$initdb" ]] && dirname "$initdb"
}

BIN=$(find_bindir || true)
if [[ -z "$BIN" ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "postgres.sh: no initdb under /usr/lib/postgresql/*/bin; install PostgreSQL (apt-get install postgresql) as root" >&2
    exit 1
  fi
  echo "postgres.sh: installing PostgreSQL from the OS packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends postgresql
  BIN=$(find_bindir)
fi
echo "postgres.sh: using $BIN" >&2

# The server refuses to run as root: run every server tool as the postgres OS user.
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  if command -v runuser >/dev/null; then
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { su -s /bin/sh postgres -c "$(printf '%q ' "$@")"; }
  fi
else
  as_pg() { "$@"; }
fi

DATA="$PG_DIR/data"
mkdir -p "$PG_DIR"
chmod 700 "$PG_DIR"
[[ $(id -u) -eq 0 ]] && chown postgres: "$PG_DIR"

if [[ ! -f "$PG_DIR/password" ]]; then
  (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$PG_DIR/password")
fi
PASSWORD=$(cat "$PG_DIR/password")

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  echo "postgres.sh: initdb $DATA" >&2
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >&2 || as_pg "$BIN/initdb" -D "$DATA" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >&2
fi

port_busy() { (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  PORT=$(sed -n 4p "$DATA/postmaster.pid")
  echo "postgres.sh: cluster already running on port $PORT" >&2
else
  PORT=$FIRST_PORT
  while port_busy "$PORT"; do PORT=$((PORT + 1)); done
  echo "postgres.sh: starting on 127.0.0.1:$PORT" >&2
  # The server outlives this script: it must not inherit fd 3 (the caller's $(...) pipe),
  # or the caller would wait for it forever.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DIR" start </dev/null >&2 3>&- || {
    echo "postgres.sh: the server did not start; last log lines:" >&2
    tail -n 30 "$PG_DIR/server.log" >&2 || true
    exit 1
  }
fi

for _ in $(seq 1 60); do
  as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >&2

psql_su() { as_pg "$BIN/psql" -X -q -h "$PG_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

psql_su -v role="$ROLE" -v pw="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SQL
if [[ -z $(psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
  psql_su -c "CREATE DATABASE $DB OWNER $ROLE"
fi

echo "postgres.sh: ready" >&2
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB" >&3
