#!/usr/bin/env bash
# Every check this machine can run, in the order CI runs them:
#   1. build the solution in Release (this also lays out the PowerShell module under artifacts/module) and publish
#      the self-contained cicdops the module carries;
#   2. the xunit suite (engine, CLI, listener, sandbox, module contract);
#   3. the Pester suites (tests/pester) in real pwsh against the built module (tools/pester.sh). Under CI ($CI set)
#      a missing pwsh or Pester fails; elsewhere it is one loud line (.ci/powershell.sh installs both).
# Both suites always run; the closing lines are each failed xunit test with its message, then one
# "N passed, N failed" line per suite.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

dotnet build CicdOps.sln -c Release --nologo -v q -clp:ErrorsOnly
# The self-contained cicdops the module carries (bin/<rid>/), after the solution build (see build/Module.targets).
dotnet build src/CicdOps.Cmdlets/CicdOps.Cmdlets.csproj -c Release --nologo -v q -clp:ErrorsOnly -t:CicdPublishExecutable

log=$(mktemp)
xunit_log=$(mktemp)
trap 'rm -f "$log" "$xunit_log"' EXIT
set +e
dotnet test tests/CicdOps.Tests/CicdOps.Tests.csproj -c Release --no-build --nologo 2>&1 | tee "$log"
xunit_status=${PIPESTATUS[0]}
set -e
cp "$log" "$xunit_log"
summary=$(grep -E '^(Passed|Failed)!' "$log" | tail -n 1)
passed=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*Failed: +([0-9]+),.*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")
# No MongoDB server runs here: say plainly when the MongoDB registry contract suite was not built and run.
[ -n "${CICDOPS_TEST_MONGODB_URI:-}" ] || echo "MongoDB registry contract suite: NOT RUN (set CICDOPS_TEST_MONGODB_URI to a MongoDB server to run it)"
xunit_line="xunit: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
echo "$xunit_line"
if [ "$xunit_status" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then echo "xunit ran no test" >&2; xunit_status=1; fi

set +e
bash tools/pester.sh 2>&1 | tee "$log"
pester_status=${PIPESTATUS[0]}
set -e
pester_line=$(grep -E '^(pester: |!!! PESTER NOT RUN)' "$log" | tail -n 1)

# A failed xunit test is printed again here, name and message, so the last lines of a CI log say which one failed.
if grep -qE '^  Failed ' "$xunit_log"; then
  echo
  echo "xunit failures (name and error message; the whole output is above):"
  awk '/^  Failed /{show=1; n=0} /^  Stack Trace:/{show=0} show && n++ < 40' "$xunit_log"
fi
echo
echo "$xunit_line"
echo "${pester_line:-pester: did not run}"
[ "$xunit_status" -eq 0 ] || exit "$xunit_status"
exit "$pester_status"
