#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what it needs, then runs pytest.
# Tests start their own private redis-server; PostgreSQL is used too when reachable on 127.0.0.1:5432.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" test
cd "$ROOT"
# Two workers by default (tests are xdist-safe: each worker has its own Redis, database and ports); -n 0 to run serially.
exec python -m pytest -q -n "${STOCKBRIDGE_TEST_WORKERS:-auto}" "$@"
