#!/usr/bin/env bash
# README command 2 (and what CI runs): set up, then run the fast tests and the slow ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest -m "not slow" "$@"
.venv/bin/python -m pytest -m slow "$@"
