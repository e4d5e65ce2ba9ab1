#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: `scripts/pg-test.sh <command...>`.
# The server lives in a temporary directory, listens on loopback only (port PG_TEST_PORT, default
# 55432), trusts local connections, and is stopped and deleted when the command ends. DATABASE_URL is
# set for the command. Needs PostgreSQL's server binaries (scripts/test-deps.sh installs them).
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)." >&2
  exit 1
fi
port=${PG_TEST_PORT:-55432}
dir=$(mktemp -d /tmp/techex-pg.XXXXXX)
run_as=()
if [ "$(id -u)" = "0" ]; then
  # PostgreSQL refuses to run as root: use the system account the package creates.
  chown postgres "$dir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 130" INT TERM
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
  start >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/techex"
"$@"
