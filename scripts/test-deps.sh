#!/usr/bin/env bash
# Installs the system packages the test suite needs. With CI=true a package that cannot be installed
# fails the run; locally the tests that need it say what is missing.
set -euo pipefail

need_apt=()
# Contract PDFs embed DejaVu (Vietnamese glyphs).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# The database-sensitive part of the suite also runs on PostgreSQL (scripts/pg-test.sh).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql postgresql-contrib)
# Real-browser journeys (tests/browser) drive Debian's Chromium through playwright.
command -v chromium >/dev/null || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing ${need_apt[*]}"
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  elif [ "${CI:-}" = "true" ]; then
    echo "Missing system packages: ${need_apt[*]} (cannot install without root/apt)" >&2
    exit 1
  else
    echo "Warning: missing ${need_apt[*]}; some tests will skip locally." >&2
  fi
fi
