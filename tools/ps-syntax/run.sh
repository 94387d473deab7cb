#!/usr/bin/env bash
# Syntax-checks every .ps1/.psm1/.psd1 in the repository (pwsh is not available here to do it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# --ignore-scripts: only the grammar's .wasm is used; its native addon build is not needed.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
exec node check.mjs "${1:-$here/../..}"
