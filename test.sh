#!/usr/bin/env bash
# Set up redflags with its test dependencies in .venv and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/pytest ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
fi
.venv/bin/pip install --quiet -e ".[dev,postgres,dask]"
# Debian packages the tests use for real: PostgreSQL binaries (the store tests start their own
# server), and Chromium with a CJK font (the HTML report is opened and screenshotted headless).
missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "could not install ${missing[*]}; the tests that need them will be skipped"
  else
    echo "not installed: ${missing[*]}; the tests that need them will be skipped"
  fi
fi
exec .venv/bin/pytest "$@"
