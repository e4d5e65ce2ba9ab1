#!/usr/bin/env bash
# The search benchmark on a throwaway PostgreSQL server: `scripts/bench-search-postgresql.sh [bench_search args]`
# (what `make bench-search-postgresql` runs). scripts/pg-test.sh starts the server (port PG_TEST_PORT,
# default 55432) and points DATABASE_URL at a database `techex`, which only pytest would create: it is
# created here, migrated, and the benchmark runs with --throwaway-postgresql. Everything (server, data,
# huey's and the app's var/ files) is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
export PG_TEST_PORT=${PG_TEST_PORT:-55432}
var=$(mktemp -d /tmp/techex-bench-pg.XXXXXX)
trap 'rm -rf "$var"' EXIT
export TECHEX_VAR_DIR=$var
export BENCH_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
export BENCH_PYTHON=$python
bash scripts/pg-test.sh bash -c '
  set -euo pipefail
  "$BENCH_PG_BIN/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres techex
  "$BENCH_PYTHON" manage.py migrate -v0 --noinput
  "$BENCH_PYTHON" manage.py bench_search --throwaway-postgresql "$@"
' bench-search-postgresql "$@"
