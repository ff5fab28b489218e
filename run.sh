#!/usr/bin/env bash
# Set up redflags in .venv and run the main job: load the official lists.
# With ../shared/data/lists present (the development snapshots) it loads those;
# otherwise it downloads every list from its official URL (`redflags lists update`).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/redflags ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".[postgres]"
fi
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
.venv/bin/redflags lists status
