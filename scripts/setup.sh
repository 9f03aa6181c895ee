#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: a venv with the project installed, and redis-server on PATH.
# Usage: source scripts/setup.sh [test]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to run: $*" >&2; return 1; fi; }

apt_install() {
  echo "installing Debian packages: $*" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0; fi
  done
  echo "Python 3.11 or newer is required" >&2; return 1
}

PY="$(pick_python)"
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3-venv; fi
if [ ! -x "$VENV/bin/python" ]; then "$PY" -m venv "$VENV"; fi

spec="$ROOT"; [ "$EXTRAS" = test ] && spec="$ROOT[test]"
stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${EXTRAS:-run}"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e "$spec" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  "$VENV/bin/python" -c 'import connector, flask, rq, sqlalchemy' || { echo "package install failed" >&2; exit 1; }
  touch "$stamp"
fi

if ! command -v redis-server >/dev/null && [ -z "${STOCKBRIDGE_REDIS_URL:-}" ]; then apt_install redis-server; fi
# Browser tests drive Debian's chromium through Playwright (no browser download); labels need glyph fonts.
if [ "$EXTRAS" = test ] && ! command -v chromium >/dev/null; then apt_install chromium; fi
# Labels and packing slips embed DejaVu Sans (Polish and Cyrillic glyphs).
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then apt_install fonts-dejavu-core; fi
# Byte-compile our own modules (incremental): every web/worker/sandbox/CLI process would otherwise compile them
# again on start when PYTHONDONTWRITEBYTECODE is set.
"$VENV/bin/python" -m compileall -q -j 0 "$ROOT/connector" "$ROOT/workers" "$ROOT/webhooks" "$ROOT/console" \
  "$ROOT/mappers" "$ROOT/sandbox" "$ROOT/tests" "$ROOT/benchmarks" >/dev/null || true
export PATH="$VENV/bin:$PATH"
