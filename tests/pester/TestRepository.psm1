# Helpers for the CicdOps Pester suites: real git repositories on disk (bare origin + work tree), file:// URLs.
Set-StrictMode -Version Latest

function Invoke-Git {
    # Deliberately not an advanced function: every argument after the directory goes to git as is. With a
    # ValueFromRemainingArguments parameter, `Invoke-Git $dir add -A` bound -A to that parameter's own name.
    if ($args.Count -lt 2) { throw 'usage: Invoke-Git DIRECTORY GIT-ARGUMENT...' }
    $directory = [string] $args[0]
    $gitArguments = [string[]] @($args | Select-Object -Skip 1)
    $output = & git -C $directory -c user.name=cicdops-test -c user.email=test@cicdops.invalid @gitArguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "git $gitArguments failed in ${directory}: $output" }
    $output
}

function New-TestRepository {
    <# Creates work/ (with .cicd scripts) and origin.git (bare) under $Root; returns paths, URL and the first commit. #>
    param(
        [Parameter(Mandatory)] [string] $Root,
        [string] $Run = 'exec sleep 600',
        [string] $Health = 'exit 0'
    )
    $work = Join-Path $Root 'work'
    $bare = Join-Path $Root 'origin.git'
    New-Item -ItemType Directory -Path (Join-Path $work '.cicd') -Force | Out-Null
    Invoke-Git $Root init -q -b main $work | Out-Null
    Set-TestScript -Work $work -Name 'run.sh' -Body $Run
    Set-TestScript -Work $work -Name 'health.sh' -Body $Health
    $commit = Save-TestCommit -Work $work -Message 'first'
    Invoke-Git $Root clone -q --bare $work $bare | Out-Null
    Invoke-Git $work remote add origin $bare | Out-Null
    [pscustomobject]@{ Work = $work; Bare = $bare; Url = "file://$bare"; FirstCommit = $commit }
}

function Set-TestScript {
    param([Parameter(Mandatory)] [string] $Work, [Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Body)
    $path = Join-Path $Work ".cicd/$Name"
    Set-Content -Path $path -Value "#!/bin/sh`n$Body`n" -NoNewline
    & chmod +x $path
}

function Save-TestCommit {
    <# Commits everything in the work tree, pushes it when an origin exists, and returns the new SHA. #>
    param([Parameter(Mandatory)] [string] $Work, [Parameter(Mandatory)] [string] $Message)
    Invoke-Git $Work add -A | Out-Null
    Invoke-Git $Work commit -q --allow-empty -m $Message | Out-Null
    if (Invoke-Git $Work remote) { Invoke-Git $Work push -q origin main | Out-Null }
    ([string] (Invoke-Git $Work rev-parse HEAD | Select-Object -First 1)).Trim()
}

Export-ModuleMember -Function 'Invoke-Git', 'New-TestRepository', 'Set-TestScript', 'Save-TestCommit'
