#!/usr/bin/env bash
# README command 2 (and what CI runs): set up, lint and type-check, then run every test, the slow ones
# too, on two workers (pytest-xdist; a test file stays on one worker, so its module fixtures are built
# once). PYTEST_WORKERS=0 runs them in this process; `-m "not slow"` after it runs the fast ones only.
set -euo pipefail
cd "$(dirname "$0")/.."
# the tests train the models they need in temporary folders: set-up's default models are for the demo
LEVELUP_SKIP_TRAIN=1 bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# the quantised encoder, which the test session copies instead of exporting it in every worker
[ -d models/encoders/all-MiniLM-L6-v2-onnx-int8 ] || .venv/bin/levelup export-encoder
# `ruff format --check` is not run: the code is not formatted by ruff yet
.venv/bin/ruff check .  # pipeline, tests, scripts and the notebooks
.venv/bin/mypy pipeline
.venv/bin/lint-imports
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
