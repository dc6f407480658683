#!/usr/bin/env bash
# Installs everything the hotline and its tests need on a fresh Debian 12 machine:
# Debian packages (espeak-ng, sox, debootstrap for the Asterisk sandbox, PostgreSQL,
# Chromium, wrk for bench/api_load.py, Kamailio for telephony/kamailio's test) and a Python
# virtual environment in .venv with the project in it.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(python3 python3-venv python3-dev gcc espeak-ng libespeak-ng1 sox debootstrap
              postgresql chromium wrk ca-certificates kamailio)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Kamailio is here for its config check and test (telephony/kamailio), not as a service: its
  # default config would take SIP port 5060 from the demo's Asterisk.
  if [[ " ${missing[*]} " == *" kamailio "* ]] && command -v systemctl >/dev/null; then
    $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
