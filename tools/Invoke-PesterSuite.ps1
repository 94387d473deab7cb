#Requires -Version 7.4
# Runs tests/pester with Pester 5 and exits non-zero on any failure (used by tools/pester.sh and build.ps1).
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Path,
    [string] $ResultPath
)
Import-Module Pester -MinimumVersion 5.0
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.Exit = $true
$configuration.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $ResultPath
}
Invoke-Pester -Configuration $configuration
