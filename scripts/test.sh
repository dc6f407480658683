#!/usr/bin/env bash
# The one test command: set-up (idempotent), lint, then every test.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m asterisk`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONUNBUFFERED=1
echo "== ruff"
ruff check .
echo "== mypy"
mypy  # configured in pyproject.toml: strict on dialogs, speech, telephony, ivr
echo "== pytest"
exec pytest -q -ra "$@"
