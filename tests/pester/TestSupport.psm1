# What every CicdOps Pester suite shares: the built module's path, one data directory and set of projects per
# Describe (New-TestContext / Remove-TestContext), operations with a bound on their time (a hung deployment or
# listener fails its test instead of hanging the run), a fresh pwsh process, and a signed GitHub push.
Set-StrictMode -Version Latest

$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-TestManifestPath {
    <# The built module (artifacts/module/CicdOps/<version>/CicdOps.psd1); the version is Directory.Build.props'. #>
    [xml] $props = Get-Content (Join-Path $script:RepositoryRoot 'Directory.Build.props')
    $declared = $props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('Version') } | Where-Object { $_ } | Select-Object -First 1
    $version = [regex]::Match($declared.InnerText, '^\d+(\.\d+){1,3}').Value
    $path = Join-Path $script:RepositoryRoot "artifacts/module/CicdOps/$version/CicdOps.psd1"
    if (-not (Test-Path $path)) { throw "Build the module first (dotnet build CicdOps.sln -c Release): $path is missing" }
    $path
}

function Get-TestRunToken {
    <# A short token unique to this run: every project name (hence every service user) starts with it. #>
    if (-not $env:CICDOPS_PESTER_RUN) { $env:CICDOPS_PESTER_RUN = 'p' + [guid]::NewGuid().ToString('N').Substring(0, 5) }
    $env:CICDOPS_PESTER_RUN
}

function Get-TestServiceUser {
    <# Accounts this run created (cicd_<token>-…) that still exist. #>
    $prefix = "cicd_$(Get-TestRunToken)-"
    @(& getent passwd | ForEach-Object { ($_ -split ':')[0] } | Where-Object { $_.StartsWith($prefix, [StringComparison]::Ordinal) })
}

function Test-UserExists {
    param([Parameter(Mandatory)] [string] $Name)
    & getent passwd $Name *> $null
    $LASTEXITCODE -eq 0
}

function New-TestContext {
    <# Gives a Describe its own data directory (as $env:CICDOPS_HOME) under its $TestDrive; undo with Remove-TestContext. #>
    param([Parameter(Mandatory)] [string] $Root)
    # Unique: every Describe of a file gets the same $TestDrive path, and the module keeps one engine per path
    # for the session, so a reused path would reach the previous Describe's (deleted) database.
    $context = [pscustomobject]@{
        Root         = $Root
        DataPath     = Join-Path $Root ('cicdops-home-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        PreviousHome = $env:CICDOPS_HOME
        Manifest     = Get-TestManifestPath
    }
    $env:CICDOPS_HOME = $context.DataPath
    $context
}

function Remove-TestContext {
    <#
    Unregisters every project of the context's data directory with -RemoveServiceUser (stopping their apps),
    restores $env:CICDOPS_HOME, and throws when a service user of those projects is left behind.
    #>
    param([Parameter(Mandatory)] $Context)
    try {
        $projects = @(Get-CicdProject -DataPath $Context.DataPath -ErrorAction SilentlyContinue)
        if ($projects.Count -gt 0) {
            $result = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $Context.DataPath, @($projects.Name) -ScriptBlock {
                param($DataPath, $Names)
                # A project cannot be unregistered while it deploys: stop what a failed test may have left running.
                foreach ($name in $Names) {
                    $active = @(Get-CicdDeployment -Name $name -DataPath $DataPath | Where-Object { -not $_.IsFinished })
                    if (-not $active) { continue }
                    $null = Stop-CicdDeployment -Name $name -DataPath $DataPath -ErrorAction SilentlyContinue
                    while (Get-CicdDeployment -Name $name -DataPath $DataPath | Where-Object { -not $_.IsFinished }) { Start-Sleep -Milliseconds 100 }
                }
                Unregister-CicdProject -Name $Names -DataPath $DataPath -RemoveServiceUser -Force -Confirm:$false
            }
            if ($result.Errors) { throw "Unregister-CicdProject failed: $($result.Errors -join '; ')" }
        }
        $left = @($projects | Where-Object { $_.ServiceUser -and (Test-UserExists $_.ServiceUser) } | ForEach-Object ServiceUser)
        if ($left) { throw "service users left behind: $($left -join ', ')" }
    }
    finally {
        $env:CICDOPS_HOME = $Context.PreviousHome
    }
}

function New-TestProject {
    <#
    A bare repository with .cicd/run.sh and health.sh under the context's root, registered as "<run token>-<Name>"
    with a short health timeout (quick unhealthy cases). Returns Name, Project (as registered) and Repository.
    #>
    param(
        [Parameter(Mandatory)] $Context,
        [Parameter(Mandatory)] [string] $Name,
        [string] $Run = 'exec sleep 600',
        [string] $Health = 'exit 0',
        [int] $HealthTimeoutSeconds = 5
    )
    $fullName = "$(Get-TestRunToken)-$Name"
    $repository = New-TestRepository -Root (Join-Path $Context.Root $Name) -Run $Run -Health $Health
    $project = Register-CicdProject -Name $fullName -Repository $repository.Url -Path (Join-Path $Context.Root "$Name-tree") `
        -HealthTimeout (New-TimeSpan -Seconds $HealthTimeoutSeconds) -DataPath $Context.DataPath -PassThru -ErrorAction Stop
    [pscustomobject]@{ Name = $fullName; Project = $project; Repository = $repository }
}

function New-TestRunspace {
    <# A runspace of this process with the module imported: a second "session" sharing the engine, as a second tab would. #>
    param([string] $Manifest = (Get-TestManifestPath))
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule([string[]] @($Manifest))
    $runspace = [runspacefactory]::CreateRunspace($state)
    $runspace.Open()
    $runspace
}

function Start-Bounded {
    <#
    Starts a script in its own [powershell] instance (in -Runspace, or a new one with the module imported) and
    returns at once. Wait with Wait-Bounded or stop with Stop-Bounded; nothing reads its streams while it runs.
    #>
    param(
        [Parameter(Mandatory)] [scriptblock] $ScriptBlock,
        [object[]] $ArgumentList = @(),
        [System.Management.Automation.Runspaces.Runspace] $Runspace
    )
    $owned = -not $Runspace
    if ($owned) { $Runspace = New-TestRunspace }
    $shell = [powershell]::Create()
    $shell.Runspace = $Runspace
    $null = $shell.AddScript($ScriptBlock.ToString())
    foreach ($argument in $ArgumentList) { $null = $shell.AddArgument($argument) }
    $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $inputData.Complete()
    $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
    [pscustomobject]@{
        PowerShell   = $shell
        Runspace     = $Runspace
        OwnsRunspace = $owned
        Output       = $output
        Async        = $shell.BeginInvoke($inputData, $output)
        Script       = $ScriptBlock.ToString().Trim()
    }
}

function Get-ErrorRecordOf {
    <# The ErrorRecord inside an exception EndInvoke threw (a terminating error of the script). #>
    param($Exception)
    while ($Exception) {
        if ($Exception -is [System.Management.Automation.IContainsErrorRecord] -and
            $Exception -isnot [System.Management.Automation.MethodInvocationException]) { return $Exception.ErrorRecord }
        $Exception = $Exception.InnerException
    }
}

function Wait-Bounded {
    <#
    Waits at most -TimeoutSeconds for a Start-Bounded script. On time: its output, errors (non-terminating and
    terminating) and warnings. Late: stops it and throws, so the test fails instead of hanging the run.
    #>
    param([Parameter(Mandatory)] $Handle, [Parameter(Mandatory)] [int] $TimeoutSeconds)
    if (-not $Handle.Async.AsyncWaitHandle.WaitOne([timespan]::FromSeconds($TimeoutSeconds))) {
        $stopping = $Handle.PowerShell.BeginStop($null, $null)
        $null = $stopping.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(5))
        throw "did not finish within $TimeoutSeconds s (stopped): $($Handle.Script)"
    }
    $errors = [System.Collections.Generic.List[object]]::new()
    try { $null = $Handle.PowerShell.EndInvoke($Handle.Async) }
    catch {
        $record = Get-ErrorRecordOf $_.Exception
        $errors.Add($(if ($record) { $record } else { $_ }))
    }
    # The script finished: reading its streams no longer blocks.
    $streamErrors = @($Handle.PowerShell.Streams.Error.ReadAll())
    $errors.InsertRange(0, [object[]] $streamErrors)
    $result = [pscustomobject]@{
        Output      = @($Handle.Output.ReadAll())
        Errors      = @($errors)
        Warnings    = @($Handle.PowerShell.Streams.Warning.ReadAll())
        Information = @($Handle.PowerShell.Streams.Information.ReadAll())
        Progress    = @($Handle.PowerShell.Streams.Progress.ReadAll())
        State       = $Handle.PowerShell.InvocationStateInfo.State
    }
    $Handle.PowerShell.Dispose()
    $result
}

function Stop-Bounded {
    <#
    What Ctrl+C does: PowerShell.Stop() (StopProcessing) on the running script. True when it returned within
    -TimeoutMilliseconds; the time taken is printed for the log, never asserted.
    #>
    param([Parameter(Mandatory)] $Handle, [int] $TimeoutMilliseconds = 2000)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $stopping = $Handle.PowerShell.BeginStop($null, $null)
    $stopped = $stopping.AsyncWaitHandle.WaitOne($TimeoutMilliseconds)
    Write-Host "    Stop() returned: $stopped after $($watch.ElapsedMilliseconds) ms ($($Handle.Script.Split("`n")[0]))"
    $stopped
}

function Close-Bounded {
    <# Disposes a Start-Bounded handle's runspace when it made one; stops the script first if it still runs. #>
    param($Handle)
    if (-not $Handle) { return }
    if (-not $Handle.Async.IsCompleted) { $null = $Handle.PowerShell.BeginStop($null, $null).AsyncWaitHandle.WaitOne(5000) }
    if ($Handle.OwnsRunspace -and $Handle.Async.IsCompleted) { $Handle.Runspace.Dispose() }
}

function Invoke-Bounded {
    <# Start-Bounded then Wait-Bounded: a long operation (a deployment, -Follow) with a bound on its time. #>
    param(
        [Parameter(Mandatory)] [scriptblock] $ScriptBlock,
        [object[]] $ArgumentList = @(),
        [int] $TimeoutSeconds = 120,
        [System.Management.Automation.Runspaces.Runspace] $Runspace
    )
    $handle = Start-Bounded -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList -Runspace $Runspace
    try { Wait-Bounded -Handle $handle -TimeoutSeconds $TimeoutSeconds }
    finally { Close-Bounded $handle }
}

function Wait-Until {
    <# Polls -Condition (every 100 ms) until it is true or -TimeoutSeconds pass; returns whether it became true. #>
    param([Parameter(Mandatory)] [scriptblock] $Condition, [int] $TimeoutSeconds = 30)
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        if (& $Condition) { return $true }
        if ([datetime]::UtcNow -gt $deadline) { return $false }
        Start-Sleep -Milliseconds 100
    }
}

function Get-PwshPath {
    (Get-Command pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
}

function Invoke-FreshPwsh {
    <#
    Runs -Command in a new pwsh process whose environment holds only what -Environment gives (plus a standard
    PATH and HOME): no PSModulePath, no cicdops on PATH. Killed after -TimeoutSeconds (then it throws).
    #>
    param(
        [Parameter(Mandatory)] [string] $Command,
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    $start = [System.Diagnostics.ProcessStartInfo]::new((Get-PwshPath))
    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', $Command) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $start.Environment.Clear()
    $start.Environment['PATH'] = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    $start.Environment['HOME'] = $env:HOME
    # pwsh here is a .NET tool: its launcher needs to find the runtime when it is not in a standard place.
    if ($env:DOTNET_ROOT) { $start.Environment['DOTNET_ROOT'] = $env:DOTNET_ROOT }
    foreach ($key in $Environment.Keys) { $start.Environment[$key] = [string] $Environment[$key] }
    $process = [System.Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "a fresh pwsh did not finish within $TimeoutSeconds s: $Command"
    }
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; ErrorOutput = $stderr.Result }
}

function Get-FreeLoopbackPort {
    $probe = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $probe.Start()
    try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
}

function Test-PortAnswers {
    param([Parameter(Mandatory)] [int] $Port)
    try {
        $null = Invoke-WebRequest -Uri "http://127.0.0.1:$Port/healthz" -TimeoutSec 2 -SkipHttpErrorCheck
        $true
    }
    catch { $false }
}

function Send-GitHubPush {
    <# POSTs a GitHub push event for -Commit, signed with HMAC-SHA256 over the exact body bytes (X-Hub-Signature-256). #>
    param(
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [string] $Commit,
        [Parameter(Mandatory)] [string] $RepositoryUrl,
        [Parameter(Mandatory)] [string] $Secret,
        [string] $DeliveryId = [guid]::NewGuid().ToString()
    )
    $body = [ordered]@{
        ref         = 'refs/heads/main'
        before      = '0000000000000000000000000000000000000000'
        after       = $Commit
        created     = $false
        deleted     = $false
        forced      = $false
        # Shell syntax in the message must stay data.
        commits     = @(@{ id = $Commit; message = 'pushed; $(touch /tmp/cicdops-pester-pwned) `whoami`' })
        head_commit = @{ id = $Commit; message = 'pushed; $(touch /tmp/cicdops-pester-pwned) `whoami`' }
        repository  = @{ name = 'app'; full_name = 'pester/app'; clone_url = $RepositoryUrl; default_branch = 'main' }
        pusher      = @{ name = 'pester'; email = 'pester@cicdops.invalid' }
    } | ConvertTo-Json -Depth 5 -Compress
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($body)
    $hmac = [System.Security.Cryptography.HMACSHA256]::new([System.Text.Encoding]::UTF8.GetBytes($Secret))
    try { $signature = 'sha256=' + [System.Convert]::ToHexString($hmac.ComputeHash($bytes)).ToLowerInvariant() }
    finally { $hmac.Dispose() }
    $headers = @{ 'X-GitHub-Event' = 'push'; 'X-GitHub-Delivery' = $DeliveryId; 'X-Hub-Signature-256' = $signature }
    Invoke-WebRequest -Method Post -Uri "http://127.0.0.1:$Port/webhook" -Body $bytes -ContentType 'application/json' `
        -Headers $headers -SkipHttpErrorCheck -TimeoutSec 30
}

Export-ModuleMember -Function @(
    'Get-TestManifestPath', 'Get-TestRunToken', 'Get-TestServiceUser', 'Test-UserExists', 'New-TestContext', 'Remove-TestContext',
    'New-TestProject', 'New-TestRunspace', 'Start-Bounded', 'Wait-Bounded', 'Stop-Bounded', 'Close-Bounded', 'Invoke-Bounded',
    'Wait-Until', 'Get-PwshPath', 'Invoke-FreshPwsh', 'Get-FreeLoopbackPort', 'Test-PortAnswers', 'Send-GitHubPush')
