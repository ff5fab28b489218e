#!/usr/bin/env bash
# Build the OpenSanctions reference environment (nomenklatura logic-v2) in bench/.refvenv,
# apart from redflags' own environment: the two pin different followthemoney/rigour versions.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.refvenv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$here/reference/requirements.txt"
echo "$venv/bin/python"
