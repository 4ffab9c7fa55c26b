#!/usr/bin/env bash
# README command 2 (and what CI runs): set up, lint and type-check, then run the fast tests and the slow ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# `ruff format --check` is not run: the code is not formatted by ruff yet
.venv/bin/ruff check .  # pipeline, tests, scripts and the notebooks
.venv/bin/mypy pipeline
.venv/bin/lint-imports
.venv/bin/python -m pytest -m "not slow" "$@"
.venv/bin/python -m pytest -m slow "$@"
