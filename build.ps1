#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, documents, tests and packages CicdOps. Each task is a thin call; the logic lives in MSBuild
    (build/Module.targets) and the tools it runs.
.EXAMPLE
    ./build.ps1                       # Build, then Test
.EXAMPLE
    ./build.ps1 -Task Clean, Build, Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Clean', 'Build', 'Help', 'Test', 'Package')]
    [string[]] $Task = @('Build', 'Test'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $Arguments exited with $LASTEXITCODE" }
}

function Get-ModuleDirectory {
    # Asked from MSBuild so the version stays in Directory.Build.props only.
    (Invoke-Native 'dotnet' 'msbuild' "$root/src/CicdOps.Cmdlets/CicdOps.Cmdlets.csproj" '-getProperty:CicdModuleDir' "-p:Configuration=$Configuration").Trim()
}

foreach ($step in $Task) {
    Write-Host "== $step ($Configuration)"
    switch ($step) {
        'Clean' {
            Invoke-Native 'dotnet' 'clean' "$root/CicdOps.sln" '-c' $Configuration '--nologo' '-v' 'quiet'
            Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$root/artifacts"
        }
        'Build' {
            # Also lays out artifacts/module/CicdOps/<version>/ (build/Module.targets).
            Invoke-Native 'dotnet' 'build' "$root/CicdOps.sln" '-c' $Configuration '--nologo'
            # The self-contained cicdops the module carries, for this machine (Package adds linux-x64 and linux-arm64).
            Invoke-Native 'dotnet' 'build' "$root/src/CicdOps.Cmdlets/CicdOps.Cmdlets.csproj" '-c' $Configuration '--nologo' '-t:CicdPublishExecutable'
        }
        'Help' {
            # Regenerates MAML and about_*.help.txt from docs/help into the laid-out module.
            $moduleDirectory = Get-ModuleDirectory
            Invoke-Native 'dotnet' 'run' '--project' "$root/tools/CicdOps.HelpGen/CicdOps.HelpGen.csproj" '-c' $Configuration '--' "$root/docs/help" (Join-Path $moduleDirectory 'en-US')
        }
        'Test' {
            Invoke-Native 'dotnet' 'test' "$root/CicdOps.sln" '-c' $Configuration '--nologo'
            # The same Pester runner as test.sh and CI: finds Pester (PSModulePath or the NuGet cache), bounds the run.
            Invoke-Native 'bash' "$root/tools/pester.sh"
        }
        'Package' {
            Invoke-Native 'dotnet' 'build' "$root/src/CicdOps.Cmdlets/CicdOps.Cmdlets.csproj" '-c' $Configuration '--nologo' '-t:CicdPackageModule'
        }
    }
}
