#!/usr/bin/env bash
# Runs the Pester suites (tests/pester) against the built module in a fresh pwsh process, and ends with
# Pester's summary and one line "pester: N passed, N failed, N skipped".
# Pester is found on PSModulePath, or in the NuGet cache laid out as the package has it (pester/<v>/tools).
# Where pwsh or Pester 5 is missing: under CI ($CI set) that is a failure; elsewhere one loud line, exit 0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing() {
  if [ -n "${CI:-}" ]; then
    echo "pester: FAILED: $1 (CI must run the Pester suites: run .ci/run, which installs it)" >&2
    exit 1
  fi
  echo "!!! PESTER NOT RUN: $1 — tests/pester did not run; install it as .ci/powershell.sh does, or run CI=true bash .ci/run !!!"
  exit 0
}

command -v pwsh >/dev/null 2>&1 || missing "pwsh is not installed (not on PATH)"

has_pester() {
  pwsh -NoProfile -NonInteractive -Command 'if (Get-Module -ListAvailable Pester | Where-Object Version -ge ([version]"5.0")) { exit 0 } else { exit 1 }' >/dev/null 2>&1
}

if ! has_pester; then
  # The NuGet package's tools/ folder is the module; pwsh wants it in a folder named Pester.
  nuget="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  tools=$(ls -d "$nuget"/pester/5.*/tools 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$tools" ] && [ -f "$tools/Pester.psd1" ] || missing "Pester 5 is neither on PSModulePath nor in the NuGet cache ($nuget/pester/5.*/tools)"
  layout=$(mktemp -d)
  trap 'rm -rf "$layout"' EXIT
  ln -s "$tools" "$layout/Pester"
  export PSModulePath="$layout${PSModulePath:+:$PSModulePath}"
  has_pester || missing "Pester in $tools does not load"
fi

# The whole suite unless the arguments name a -Path (one file or folder) themselves.
suite=(-Path "$root/tests/pester")
for arg in "$@"; do [ "$arg" = "-Path" ] && suite=(); done

# The suites bound every test's time themselves; this bound only keeps a wedged pwsh from holding CI.
set +e
timeout --kill-after=30s "${CICDOPS_PESTER_TIMEOUT:-30m}" \
  pwsh -NoProfile -NonInteractive -File "$root/tools/Invoke-PesterSuite.ps1" "${suite[@]}" "$@"
status=$?
set -e
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || echo "pester: FAILED: the run did not finish within ${CICDOPS_PESTER_TIMEOUT:-30m}" >&2
exit "$status"
