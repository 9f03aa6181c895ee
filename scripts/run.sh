#!/usr/bin/env bash
# Run Stockbridge on embedded defaults: SQLite under var/, a private Redis with AOF, web + workers + scheduler.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
mkdir -p var
if [ -z "${STOCKBRIDGE_REDIS_URL:-}" ]; then
  STOCKBRIDGE_REDIS_URL="$("$ROOT/scripts/private_redis.sh")"; export STOCKBRIDGE_REDIS_URL
  # Our private Redis stops with us (AOF keeps its data for the next start).
  trap 'redis-cli -u "$STOCKBRIDGE_REDIS_URL" shutdown >/dev/null 2>&1 || true' EXIT
fi
if [ -z "${STOCKBRIDGE_ADMIN_TOKEN:-}" ]; then
  [ -f var/admin-token ] || python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/admin-token
  STOCKBRIDGE_ADMIN_TOKEN="$(cat var/admin-token)"; export STOCKBRIDGE_ADMIN_TOKEN
  echo "admin token (API bearer / console login): stored in var/admin-token"
fi
stockbridge run "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT   # stop the supervisor gracefully, then the EXIT trap
wait "$child" || true
wait "$child" 2>/dev/null || true
