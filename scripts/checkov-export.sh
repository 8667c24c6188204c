#!/usr/bin/env bash
# Scan the Terraform that `export terraform` writes with checkov, by hand (not in CI: see below).
#
# What is scanned: tests/export/golden/{fresh,existing}, the byte-for-byte exports of the emulator's two scenarios
# (tests/export/test_terraform_export.py keeps them equal to what the export writes). Pass other folders to scan
# them instead, e.g. a real export: scripts/checkov-export.sh infra/claude
#
# Why by hand: checkov 3.3.30 is about 290 MB in a venv of its own (about 100 packages, 30 s to install) and pins
# versions of packages the project also uses, so it stays out of the dev extra and out of .ci/run. It is installed
# once into .venv-checkov/ (or set CHECKOV=/path/to/checkov). --skip-download keeps it from calling Prisma Cloud.
# Exit status: checkov's (non-zero when a check fails). Expected today: 1 passed, 0 failed, 1 skipped per folder
# (CKV_GCP_81 on the dataset, skipped inline with its reason).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CHECKOV:-}" ]; then
    venv=.venv-checkov
    if [ ! -x "$venv/bin/checkov" ]; then
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q checkov
    fi
    CHECKOV="$venv/bin/checkov"
fi
if [ "$#" -eq 0 ]; then
    set -- tests/export/golden/fresh tests/export/golden/existing
fi
args=()
for dir in "$@"; do
    args+=(-d "$dir")
done
exec "$CHECKOV" --framework terraform --skip-download --compact "${args[@]}"
