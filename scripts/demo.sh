#!/usr/bin/env bash
# The one run command: set-up (idempotent), demo data, then the hotline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
exec hotline demo "$@"
