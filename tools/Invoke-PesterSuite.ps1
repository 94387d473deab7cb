#Requires -Version 7.4
# Runs tests/pester with Pester 5 (used by tools/pester.sh and build.ps1). Ends with Pester's summary and a
# line "pester: N passed, N failed, N skipped"; exits non-zero on any failure or when nothing ran.
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Path,
    [string] $ResultPath,
    # Runs only the Describe/It blocks whose full name matches (e.g. '*Listener*'), for local work.
    [string[]] $FullNameFilter
)
Import-Module Pester -MinimumVersion 5.0
# Every project (so every service user) of this run is named "<token>-…": the leak check below finds only ours.
if (-not $env:CICDOPS_PESTER_RUN) { $env:CICDOPS_PESTER_RUN = 'p' + [guid]::NewGuid().ToString('N').Substring(0, 5) }
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ([Console]::IsOutputRedirected) { $configuration.Output.RenderMode = 'Plaintext' }
if ($FullNameFilter) { $configuration.Filter.FullName = $FullNameFilter }
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $ResultPath
}
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$result = Invoke-Pester -Configuration $configuration
# Failures in BeforeAll/AfterAll blocks count: they fail the tests they hold, or the container.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# Each Describe removes its projects with -RemoveServiceUser; as root, any cicd_<token>-… account left is a leak.
$leaked = @(& getent passwd | ForEach-Object { ($_ -split ':')[0] } | Where-Object { $_ -like "cicd_$($env:CICDOPS_PESTER_RUN)-*" })
if ($leaked) {
    "pester: FAILED: service users left behind by this run: $($leaked -join ', ')"
    $failed++
}
$filtered = if ($result.NotRunCount) { ", $($result.NotRunCount) filtered out" } else { '' }
"pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped$filtered ($([int]$watch.Elapsed.TotalSeconds) s)"
if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
exit 0
