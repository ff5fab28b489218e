#!/usr/bin/env bash
# Set up redflags in .venv and run the main job: screen a file of parties against every list.
#
#   ./run.sh                                  screens examples/vendors.csv into report.html
#   ./run.sh VENDORS.csv -o results.xlsx      any `redflags screen` arguments
#
# The first run loads the lists: from ../shared/data/lists when present (the development
# snapshots), otherwise from their official URLs (`redflags lists update`).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/redflags ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".[postgres]"
fi
if [ "$(.venv/bin/redflags lists status --json)" = "[]" ]; then
  DATA=../shared/data/lists
  if [ -d "$DATA" ]; then
    .venv/bin/redflags lists load \
      "$DATA/us_csl/consolidated-2022-05.csv.gz" \
      "$DATA/un_sc/UN_consolidated-2026-02.xml" \
      "$DATA/ofac_cons/cons_prim.csv" \
      "$DATA/uk_ofsi/ConList-2025-04.xlsx" \
      "$DATA/bis_dpl/dpl-2023-11.txt"
  else
    .venv/bin/redflags lists update
  fi
fi
if [ $# -eq 0 ]; then
  set -- examples/vendors.csv -o report.html
fi
exec .venv/bin/redflags screen "$@"
