#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# End-to-end suite for the CicdOps module: the built module (artifacts/module), a scratch CICDOPS_HOME in
# $TestDrive, real git repositories and real processes. Run by tools/pester.sh in a fresh pwsh process.

BeforeAll {
    $repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    [xml] $props = Get-Content (Join-Path $repositoryRoot 'Directory.Build.props')
    $version = [regex]::Match(($props.Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1), '^\d+(\.\d+){1,3}').Value
    $script:ManifestPath = Join-Path $repositoryRoot "artifacts/module/CicdOps/$version/CicdOps.psd1"
    if (-not (Test-Path $script:ManifestPath)) { throw "Build the module first (dotnet build): $script:ManifestPath is missing" }

    $script:PreviousHome = $env:CICDOPS_HOME
    $env:CICDOPS_HOME = Join-Path $TestDrive 'cicdops-home'
    Import-Module $script:ManifestPath -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force

    $script:ExpectedCmdlets = @(
        'Get-CicdDeployment', 'Get-CicdDeploymentLog', 'Get-CicdProject', 'Get-CicdWebhookDelivery', 'Install-CicdListenerService',
        'Invoke-CicdRollback', 'Register-CicdProject', 'Set-CicdPin', 'Set-CicdProject', 'Start-CicdDeployment', 'Start-CicdListener',
        'Stop-CicdDeployment', 'Unregister-CicdProject', 'Set-CicdSecret', 'Get-CicdSecret', 'Remove-CicdSecret', 'Backup-CicdState')

    function script:New-TestProject {
        param([Parameter(Mandatory)] [string] $Name, [string] $Health = 'exit 0')
        $repo = New-TestRepository -Root (Join-Path $TestDrive $Name) -Health $Health
        # A short health timeout keeps the unhealthy cases quick.
        $project = Register-CicdProject -Name $Name -Repository $repo.Url -Path (Join-Path $TestDrive "$Name-tree") `
            -HealthTimeout (New-TimeSpan -Seconds 3) -PassThru
        [pscustomobject]@{ Project = $project; Repository = $repo }
    }
}

AfterAll {
    # Stop every app the suite started, then let OnRemove dispose the engine.
    Get-CicdProject -ErrorAction SilentlyContinue | Unregister-CicdProject -RemoveServiceUser -Force -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Module CicdOps -Force -ErrorAction SilentlyContinue
    $env:CICDOPS_HOME = $script:PreviousHome
}

Describe 'The module' {
    It 'imports in a fresh pwsh process and exports exactly the CicdOps cmdlets' {
        $names = & pwsh -NoProfile -NonInteractive -Command "Import-Module '$script:ManifestPath'; (Get-Command -Module CicdOps).Name"
        $LASTEXITCODE | Should -Be 0
        ($names | Sort-Object) | Should -Be ($script:ExpectedCmdlets | Sort-Object)
    }

    It 'has the version of Directory.Build.props' {
        (Get-Module CicdOps).Version | Should -Be ([version](Import-PowerShellDataFile $script:ManifestPath).ModuleVersion)
    }

    It 'shows help with examples for <_>' -ForEach @(
        'Get-CicdDeployment', 'Get-CicdDeploymentLog', 'Get-CicdProject', 'Get-CicdWebhookDelivery', 'Install-CicdListenerService',
        'Invoke-CicdRollback', 'Register-CicdProject', 'Set-CicdPin', 'Set-CicdProject', 'Start-CicdDeployment', 'Start-CicdListener',
        'Stop-CicdDeployment', 'Unregister-CicdProject', 'Set-CicdSecret', 'Get-CicdSecret', 'Remove-CicdSecret', 'Backup-CicdState') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        $help.examples.example[0].code | Should -Match ([regex]::Escape($_))
    }

    It 'has an about topic' {
        Get-Help about_CicdOps | Out-String | Should -Match 'CICDOPS_HOME'
    }

    It 'can be removed and imported again in one session' {
        Remove-Module CicdOps
        Import-Module $script:ManifestPath
        Get-Command Get-CicdProject | Should -Not -BeNullOrEmpty
    }
}

Describe 'State backup' {
    It 'Backup-CicdState writes a new file, -WhatIf writes nothing, and an existing file is CicdInvalidPath' {
        $null = New-TestProject -Name backed
        $file = Join-Path $TestDrive 'state.db'
        Backup-CicdState -Path $file -WhatIf
        Test-Path $file | Should -BeFalse
        $written = Backup-CicdState -Path $file
        $written | Should -BeOfType System.IO.FileInfo
        $written.Length | Should -BeGreaterThan 0
        { Backup-CicdState -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidPath,CicdOps.Cmdlets.Commands.BackupCicdStateCommand'
    }
}

Describe 'Projects' {
    It 'Register-CicdProject -WhatIf changes nothing' {
        $repo = New-TestRepository -Root (Join-Path $TestDrive 'whatif')
        Register-CicdProject -Name whatif -Repository $repo.Url -Path (Join-Path $TestDrive 'whatif-tree') -WhatIf
        Get-CicdProject -Name whatif -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'registers, gets and formats a project' {
        $p = (New-TestProject -Name shop).Project
        $p | Should -BeOfType 'CicdOps.Project'
        $p.PSTypeNames | Should -Contain 'CicdOps.Project'
        (Get-CicdProject -Name shop).Branch | Should -Be 'main'
        (Get-CicdProject -Name sh*).Name | Should -Be 'shop'
        Get-CicdProject | Format-Table | Out-String | Should -Match 'Pinned'
    }

    It 'refuses a duplicate name with CicdProjectExists' {
        { Register-CicdProject -Name shop -Repository 'file:///nowhere' -Path (Join-Path $TestDrive 'dup') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectExists,CicdOps.Cmdlets.Commands.RegisterCicdProjectCommand'
    }

    It 'reports an unknown project with CicdProjectNotFound, category ObjectNotFound and the name as target' {
        { Get-CicdProject -Name nosuch -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdProjectCommand'
        Get-CicdProject -Name 'nosuch', 'shop' -ErrorVariable failures -ErrorAction SilentlyContinue | Select-Object -ExpandProperty Name | Should -Be 'shop'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be 'nosuch'
    }

    It 'a wildcard that matches nothing is not an error' {
        Get-CicdProject -Name 'zz*' -ErrorVariable failures | Should -BeNullOrEmpty
        $failures | Should -BeNullOrEmpty
    }

    It 'Set-CicdProject -WhatIf changes nothing; piped projects are updated' {
        Set-CicdProject -Name shop -Port 8080 -WhatIf
        (Get-CicdProject -Name shop).Port | Should -BeNullOrEmpty
        $updated = Get-CicdProject -Name shop | Set-CicdProject -Port 8080 -PassThru
        $updated.Port | Should -Be 8080
        (Set-CicdProject -Name shop -ClearPort -PassThru).Port | Should -BeNullOrEmpty
    }

    It 'completes project names' {
        $line = 'Get-CicdProject -Name sh'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'shop'
    }
}

Describe 'Deployments' {
    It 'deploys projects piped from Get-CicdProject and reports success' {
        $d = Get-CicdProject -Name shop | Start-CicdDeployment
        $d | Should -BeOfType 'CicdOps.Deployment'
        $d.Status | Should -Be 'Succeeded'
        (Get-CicdProject -Name shop).Status | Should -Be 'Healthy'
    }

    It 'Start-CicdDeployment -WhatIf queues nothing' {
        $before = @(Get-CicdDeployment -Name shop).Count
        Start-CicdDeployment -Name shop -WhatIf
        @(Get-CicdDeployment -Name shop).Count | Should -Be $before
    }

    It '-NoWait returns the queued deployment, whose log can be followed to the end' {
        $queued = Start-CicdDeployment -Name shop -NoWait
        $queued.Status | Should -BeIn 'Queued', 'Running'
        $log = $queued | Get-CicdDeploymentLog -Follow
        $log | Should -Not -BeNullOrEmpty
        (Get-CicdDeployment -Id $queued.Id).IsFinished | Should -BeTrue
    }

    It 'lists deployments newest first and limits them with -Last' {
        $all = Get-CicdDeployment -Name shop
        $all.Count | Should -BeGreaterOrEqual 2
        $all[0].Id | Should -BeGreaterThan $all[1].Id
        @(Get-CicdDeployment -Name shop -Last 1).Count | Should -Be 1
        (Get-CicdDeployment -Name shop -Last 1 | Get-CicdDeployment).Id | Should -Be $all[0].Id
    }

    It 'outputs a failed deployment and reports it as CicdDeploymentFailed' {
        New-TestProject -Name broken -Health 'exit 1' | Out-Null
        $d = Start-CicdDeployment -Name broken -ErrorVariable failures -ErrorAction SilentlyContinue
        $d.Status | Should -Not -Be 'Succeeded'
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'CicdDeployment*,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        $failures[0].TargetObject.Id | Should -Be $d.Id
    }

    It 'rolls back an unhealthy new commit and reports CicdDeploymentRolledBack' {
        $t = New-TestProject -Name flaky
        (Start-CicdDeployment -Name flaky).Status | Should -Be 'Succeeded'
        Set-TestScript -Work $t.Repository.Work -Name 'health.sh' -Body 'exit 1'
        Save-TestCommit -Work $t.Repository.Work -Message 'unhealthy' | Out-Null
        { Start-CicdDeployment -Name flaky -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdDeploymentRolledBack,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        (Get-CicdProject -Name flaky).CurrentCommit | Should -Be $t.Repository.FirstCommit
    }

    It 'Stop-CicdDeployment with nothing to stop reports CicdNothingToCancel' {
        { Stop-CicdDeployment -Name shop -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdNothingToCancel,CicdOps.Cmdlets.Commands.StopCicdDeploymentCommand'
    }

    It 'Stop-CicdDeployment -WhatIf leaves a queued deployment alone; piped deployments are stopped' {
        Set-TestScript -Work (Join-Path $TestDrive 'shop/work') -Name 'health.sh' -Body 'sleep 5; exit 0'
        Save-TestCommit -Work (Join-Path $TestDrive 'shop/work') -Message 'slow health' | Out-Null
        $queued = Start-CicdDeployment -Name shop -NoWait
        $queued | Stop-CicdDeployment -WhatIf
        (Get-CicdDeployment -Id $queued.Id).Status | Should -BeIn 'Queued', 'Running'
        ($queued | Stop-CicdDeployment).Id | Should -Be $queued.Id
        # A running deployment is asked to stop; it ends Cancelled once its processes are gone.
        $deadline = (Get-Date).AddSeconds(30)
        while (-not (Get-CicdDeployment -Id $queued.Id).IsFinished -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        (Get-CicdDeployment -Id $queued.Id).Status | Should -Be 'Cancelled'
    }

    It 'completes recent commits for -Commit' {
        $line = 'Start-CicdDeployment -Name shop -Commit '
        $commits = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $commits | Should -Contain (Get-CicdDeployment -Name shop | Where-Object Commit | Select-Object -First 1).Commit
    }
}

Describe 'Pins and rollback' {
    BeforeAll {
        $script:Pinned = New-TestProject -Name pinned
        $script:Good = (Start-CicdDeployment -Name pinned).Commit
    }

    It 'rolling back without an earlier good commit reports CicdNoRollbackTarget' {
        { Invoke-CicdRollback -Name pinned -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdNoRollbackTarget,CicdOps.Cmdlets.Commands.InvokeCicdRollbackCommand'
    }

    It 'Set-CicdPin -WhatIf pins nothing; Set-CicdPin pins; pushes are then skipped' {
        Set-CicdPin -Name pinned -WhatIf
        (Get-CicdProject -Name pinned).IsPinned | Should -BeFalse
        $result = Set-CicdPin -Name pinned -PassThru
        $result | Should -BeOfType 'CicdOps.PinResult'
        $result.Project.PinnedCommit | Should -Be $script:Good
        Save-TestCommit -Work $script:Pinned.Repository.Work -Message 'while pinned' | Out-Null
        (Start-CicdDeployment -Name pinned -ErrorAction SilentlyContinue).Status | Should -Be 'Skipped'
    }

    It 'Set-CicdPin -Clear removes the pin' {
        (Set-CicdPin -Name pinned -Clear -PassThru).IsPinned | Should -BeFalse
    }

    It 'Invoke-CicdRollback -WhatIf changes nothing; a confirmed rollback returns to the previous good commit' {
        (Start-CicdDeployment -Name pinned).Status | Should -Be 'Succeeded'
        $current = (Get-CicdProject -Name pinned).CurrentCommit
        Invoke-CicdRollback -Name pinned -WhatIf
        (Get-CicdProject -Name pinned).CurrentCommit | Should -Be $current
        $rollback = Invoke-CicdRollback -Name pinned -Confirm:$false
        $rollback | Should -BeOfType 'CicdOps.Deployment'
        $rollback | Get-CicdDeploymentLog -Follow | Out-Null
        (Get-CicdProject -Name pinned).CurrentCommit | Should -Be $script:Good
    }
}

Describe 'Listener' {
    BeforeAll {
        $script:SavedSecret = $env:CICDOPS_WEBHOOK_SECRET
        $env:CICDOPS_WEBHOOK_SECRET = $null
        $script:Hooked = New-TestProject -Name hooked
        $script:Secret = 'pester webhook secret'

        function script:Get-FreeLoopbackPort {
            $probe = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
            $probe.Start()
            try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
        }

        function script:Send-GitHubPush {
            param([int] $Port, [string] $Commit, [string] $RepositoryUrl, [string] $Secret, [string] $DeliveryId = [guid]::NewGuid().ToString())
            $body = [ordered]@{
                ref        = 'refs/heads/main'
                before     = '0000000000000000000000000000000000000000'
                after      = $Commit
                created    = $false
                deleted    = $false
                forced     = $false
                commits    = @(@{ id = $Commit; message = 'pushed; $(rm -rf /) `whoami`' })
                head_commit = @{ id = $Commit; message = 'pushed; $(rm -rf /) `whoami`' }
                repository = @{ name = 'hooked'; full_name = 'pester/hooked'; clone_url = $RepositoryUrl; default_branch = 'main' }
                pusher     = @{ name = 'pester'; email = 'pester@cicdops.invalid' }
            } | ConvertTo-Json -Depth 5 -Compress
            $bytes = [System.Text.Encoding]::UTF8.GetBytes($body)
            $hmac = [System.Security.Cryptography.HMACSHA256]::new([System.Text.Encoding]::UTF8.GetBytes($Secret))
            try { $signature = 'sha256=' + [System.Convert]::ToHexString($hmac.ComputeHash($bytes)).ToLowerInvariant() }
            finally { $hmac.Dispose() }
            $headers = @{ 'X-GitHub-Event' = 'push'; 'X-GitHub-Delivery' = $DeliveryId; 'X-Hub-Signature-256' = $signature }
            Invoke-WebRequest -Method Post -Uri "http://127.0.0.1:$Port/webhook" -Body $bytes -ContentType 'application/json' `
                -Headers $headers -SkipHttpErrorCheck -TimeoutSec 30
        }

        # The listener runs in its own runspace of this process, as it would in a second terminal;
        # PowerShell.Stop() is what Ctrl+C does: it calls StopProcessing.
        $script:Port = Get-FreeLoopbackPort
        $script:Runner = [powershell]::Create()
        $null = $script:Runner.AddScript({
                param($Manifest, $DataPath, $Port, $Secret)
                Import-Module $Manifest
                Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -DataPath $DataPath `
                    -WebhookSecret (ConvertTo-SecureString $Secret -AsPlainText -Force) -ShutdownGrace (New-TimeSpan -Seconds 10) -Confirm:$false
            }).AddArgument($script:ManifestPath).AddArgument($env:CICDOPS_HOME).AddArgument($script:Port).AddArgument($script:Secret)
        $script:Run = $script:Runner.BeginInvoke()

        $deadline = [datetime]::UtcNow.AddSeconds(30)
        $script:Ready = $false
        while (-not $script:Ready -and [datetime]::UtcNow -lt $deadline -and -not $script:Run.IsCompleted) {
            try {
                $script:Ready = (Invoke-WebRequest -Uri "http://127.0.0.1:$script:Port/healthz" -TimeoutSec 2 -SkipHttpErrorCheck).StatusCode -eq 200
            }
            catch { Start-Sleep -Milliseconds 200 }
        }
    }

    AfterAll {
        if ($script:Runner) {
            if (-not $script:Run.IsCompleted) { $script:Runner.Stop() }
            $script:Runner.Dispose()
        }
        $env:CICDOPS_WEBHOOK_SECRET = $script:SavedSecret
    }

    It 'starts on a free loopback port and logs to the information stream' {
        $script:Runner.Streams.Error | Should -BeNullOrEmpty
        $script:Ready | Should -BeTrue
        $lines = @($script:Runner.Streams.Information | Where-Object Tags -Contains 'CicdOps.Listener' | ForEach-Object { "$($_.MessageData)" })
        $lines -match "listening on http://127\.0\.0\.1:$script:Port/" | Should -Not -BeNullOrEmpty
    }

    It 'deploys a signed GitHub push, and Get-CicdWebhookDelivery shows it' {
        $commit = Save-TestCommit -Work $script:Hooked.Repository.Work -Message 'pushed through the webhook'
        $delivery = [guid]::NewGuid().ToString()
        $response = Send-GitHubPush -Port $script:Port -Commit $commit -RepositoryUrl $script:Hooked.Repository.Url -Secret $script:Secret -DeliveryId $delivery
        $response.StatusCode | Should -Be 202

        $deadline = [datetime]::UtcNow.AddSeconds(60)
        do {
            Start-Sleep -Milliseconds 250
            $deployment = Get-CicdDeployment -Name hooked -Last 1
        } until (($deployment.Commit -eq $commit -and $deployment.IsFinished) -or [datetime]::UtcNow -gt $deadline)
        $deployment.Commit | Should -Be $commit
        $deployment.Trigger | Should -Be 'Webhook'
        $deployment.Status | Should -Be 'Succeeded'

        $recorded = Get-CicdWebhookDelivery -Provider GitHub -Last 10 | Where-Object DeliveryId -eq $delivery
        $recorded | Should -HaveCount 1
        $recorded.Outcome | Should -Be 'queued'
        $recorded | Should -BeOfType 'CicdOps.WebhookDelivery'
        $recorded.Event | Should -Be 'push'
        $recorded.Commit | Should -Be $commit
        $recorded.Signature | Should -Be 'valid'
        $recorded.StatusCode | Should -Be 202
        ($recorded | Format-Table | Out-String) | Should -Match 'Received\s+Provider\s+Event'
    }

    It 'answers a redelivery 200 and deploys nothing more' {
        $first = Get-CicdWebhookDelivery -Provider GitHub -Last 1
        $before = @(Get-CicdDeployment -Name hooked).Count
        $response = Send-GitHubPush -Port $script:Port -Commit $first.Commit -RepositoryUrl $script:Hooked.Repository.Url `
            -Secret $script:Secret -DeliveryId $first.DeliveryId
        $response.StatusCode | Should -Be 200
        @(Get-CicdDeployment -Name hooked).Count | Should -Be $before
        # Recording may finish just after the reply: wait for it.
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while ($true) {
            $latest = Get-CicdWebhookDelivery -Last 1
            if ($latest.Outcome -eq 'duplicate' -or [datetime]::UtcNow -gt $deadline) { break }
            Start-Sleep -Milliseconds 100
        }
        $latest.Outcome | Should -Be 'duplicate'
        $latest.DeliveryId | Should -Be $first.DeliveryId
    }

    It 'rejects a wrongly signed push with 401 and records it' {
        $response = Send-GitHubPush -Port $script:Port -Commit $script:Hooked.Repository.FirstCommit `
            -RepositoryUrl $script:Hooked.Repository.Url -Secret 'not the secret'
        $response.StatusCode | Should -Be 401
        $rejected = Get-CicdWebhookDelivery -Provider GitHub -Last 1
        $rejected.Outcome | Should -Be 'rejected'
        $rejected.StatusCode | Should -Be 401
        @(Get-CicdWebhookDelivery -Provider GitLab) | Should -HaveCount 0
    }

    It 'stops promptly on Ctrl+C (PowerShell.Stop) and frees the port' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $script:Runner.Stop()
        $watch.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        { Invoke-WebRequest -Uri "http://127.0.0.1:$script:Port/healthz" -TimeoutSec 2 } | Should -Throw
    }

    It 'refuses to listen on every interface without a secret: CicdInvalidArgument' {
        { Start-CicdListener -Port (Get-FreeLoopbackPort) -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
    }

    It 'reports an empty secret file as CicdInvalidArgument' {
        $file = Join-Path $TestDrive 'empty.secret'
        Set-Content -Path $file -Value '' -NoNewline
        { Start-CicdListener -BindAddress 127.0.0.1 -Port (Get-FreeLoopbackPort) -WebhookSecretFile $file -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
    }

    It 'Start-CicdListener -WhatIf listens on nothing' {
        $port = Get-FreeLoopbackPort
        Start-CicdListener -BindAddress 127.0.0.1 -Port $port -WhatIf | Should -BeNullOrEmpty
        { Invoke-WebRequest -Uri "http://127.0.0.1:$port/healthz" -TimeoutSec 2 } | Should -Throw
    }

    It 'takes the secret as a SecureString only' {
        (Get-Command Start-CicdListener).Parameters['WebhookSecret'].ParameterType | Should -Be ([securestring])
        { Start-CicdListener -BindAddress 127.0.0.1 -WebhookSecret 'plain text' -WhatIf } | Should -Throw
    }
}

Describe 'Listener service unit' {
    BeforeAll {
        $script:FakeCicdOps = Join-Path $TestDrive 'bin/cicdops'
        New-Item -ItemType Directory -Path (Split-Path $script:FakeCicdOps) -Force | Out-Null
        Set-Content -Path $script:FakeCicdOps -Value "#!/bin/sh`nexit 0`n" -NoNewline
        & chmod +x $script:FakeCicdOps
    }

    It 'Install-CicdListenerService -WhatIf writes nothing and outputs the unit' {
        $path = Join-Path $TestDrive 'systemd/cicdops.service'
        $unit = Install-CicdListenerService -Path $path -CicdOpsPath $script:FakeCicdOps -Port 9700 -BindAddress 127.0.0.1 -WhatIf
        Test-Path $path | Should -BeFalse
        Test-Path (Split-Path $path) | Should -BeFalse
        $unit | Should -BeOfType 'CicdOps.Cmdlets.Output.ListenerServiceUnit'
        $unit.Written | Should -BeFalse
        $unit.Path | Should -Be $path
        $unit.ExecStart | Should -Be "$script:FakeCicdOps listen --port 9700 --bind 127.0.0.1"
        $unit.Content | Should -Match '(?m)^\[Service\]$'
        $unit.Content | Should -Match "(?m)^Environment=CICDOPS_HOME=$([regex]::Escape($env:CICDOPS_HOME))$"
    }

    It 'writes the unit, finding cicdops on PATH' {
        $path = Join-Path $TestDrive 'systemd/written.service'
        $savedPath = $env:PATH
        try {
            $env:PATH = (Split-Path $script:FakeCicdOps) + [System.IO.Path]::PathSeparator + $savedPath
            $unit = Install-CicdListenerService -Path $path -Confirm:$false
        }
        finally { $env:PATH = $savedPath }
        $unit.Written | Should -BeTrue
        Get-Content -Path $path -Raw | Should -Be $unit.Content
        $unit.ExecStart | Should -Be "$script:FakeCicdOps listen --port 9641 --bind +"
    }

    It 'reports a missing cicdops executable as CicdExecutableNotFound and writes nothing' {
        $path = Join-Path $TestDrive 'systemd/missing.service'
        { Install-CicdListenerService -Path $path -CicdOpsPath (Join-Path $TestDrive 'nosuch/cicdops') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdExecutableNotFound,CicdOps.Cmdlets.Commands.InstallCicdListenerServiceCommand'
        Test-Path $path | Should -BeFalse
    }
}

Describe 'Secrets' {
    BeforeAll {
        $script:SecretValue = 'sk-live-7f3a9c1e5b'
        $script:Vault = New-TestProject -Name vault
        # install.sh writes to the deployment log, run.sh to the app log: the value, its base64, and the value in two writes.
        $echo = 'printf "key=%s\n" "$API_KEY"; printf "%s" "$API_KEY" | base64; printf "split=%s" "$(printf "%s" "$API_KEY" | cut -c1-5)"; printf "%s\n" "$(printf "%s" "$API_KEY" | cut -c6-)"'
        Set-TestScript -Work $script:Vault.Repository.Work -Name 'install.sh' -Body $echo
        Set-TestScript -Work $script:Vault.Repository.Work -Name 'run.sh' -Body "$echo`nexec sleep 600"
        Save-TestCommit -Work $script:Vault.Repository.Work -Message 'echo the secret' | Out-Null
        $script:Secure = ConvertTo-SecureString $script:SecretValue -AsPlainText -Force
    }

    It 'Set-CicdSecret -WhatIf stores nothing' {
        Set-CicdSecret -Project vault -Name API_KEY -Value $script:Secure -WhatIf
        Get-CicdSecret -Project vault | Should -BeNullOrEmpty
    }

    It 'takes the value as a SecureString only' {
        (Get-Command Set-CicdSecret).Parameters['Value'].ParameterType | Should -Be ([securestring])
        { Set-CicdSecret -Project vault -Name API_KEY -Value $script:SecretValue -ErrorAction Stop } | Should -Throw
        Get-CicdSecret -Project vault | Should -BeNullOrEmpty
    }

    It 'sets a secret and -PassThru shows its name, never its value' {
        $info = Set-CicdSecret -Project vault -Name API_KEY -Value $script:Secure -PassThru
        $info | Should -BeOfType 'CicdOps.SecretInfo'
        $info.Name | Should -Be 'API_KEY'
        $info.Project | Should -Be 'vault'
    }

    It 'Get-CicdSecret lists the name and update time and has no value property' {
        $s = Get-CicdSecret -Project vault
        @($s).Count | Should -Be 1
        $s.Name | Should -Be 'API_KEY'
        $s.UpdatedAt | Should -BeOfType [datetimeoffset]
        $s.PSObject.Properties.Name | Should -Not -Contain 'Value'
        ($s | Out-String) | Should -Match 'API_KEY'
        ($s | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($script:SecretValue))
        Get-CicdSecret -Project vault -Name 'API_*' | Should -Not -BeNullOrEmpty
        Get-CicdSecret -Project vault -Name 'NOPE_*' | Should -BeNullOrEmpty
    }

    It 'a deployment whose scripts echo the secret logs only ***' {
        $d = Start-CicdDeployment -Name vault
        $d.Status | Should -Be 'Succeeded'
        $deployLog = ($d | Get-CicdDeploymentLog) -join "`n"
        $deployLog | Should -Match 'key=\*\*\*'
        $deployLog | Should -Not -Match ([regex]::Escape($script:SecretValue))
        $base64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($script:SecretValue))
        $deployLog | Should -Not -Match ([regex]::Escape($base64))

        $appLog = Join-Path $env:CICDOPS_HOME 'logs/vault/app.log'
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ([DateTime]::UtcNow -lt $deadline -and -not ((Test-Path $appLog) -and (Get-Content -Raw $appLog) -match 'split=')) { Start-Sleep -Milliseconds 100 }
        $app = Get-Content -Raw $appLog
        $app | Should -Match 'key=\*\*\*'
        $app | Should -Not -Match ([regex]::Escape($script:SecretValue))
        $app | Should -Not -Match ([regex]::Escape($base64))
    }

    It 'reports a bad name as CicdInvalidSecretName and stores nothing' -ForEach @('CICD_TOKEN', 'LD_PRELOAD', 'PATH', '1BAD', 'has space') {
        $name = $_
        { Set-CicdSecret -Project vault -Name $name -Value $script:Secure -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidSecretName,CicdOps.Cmdlets.Commands.SetCicdSecretCommand'
        (@(Get-CicdSecret -Project vault).Name -join ',') | Should -Be 'API_KEY'
    }

    It 'reports a missing secret as CicdSecretNotFound, for that item only' {
        Set-CicdSecret -Project vault -Name OTHER_KEY -Value $script:Secure
        Remove-CicdSecret -Project vault -Name 'NOPE', 'OTHER_KEY' -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdSecretNotFound,CicdOps.Cmdlets.Commands.RemoveCicdSecretCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        (@(Get-CicdSecret -Project vault).Name -join ',') | Should -Be 'API_KEY'
        { Get-CicdSecret -Project vault -Name NOPE -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdSecretNotFound,CicdOps.Cmdlets.Commands.GetCicdSecretCommand'
    }

    It 'Remove-CicdSecret -WhatIf changes nothing' {
        Get-CicdSecret -Project vault | Remove-CicdSecret -WhatIf
        (@(Get-CicdSecret -Project vault).Name -join ',') | Should -Be 'API_KEY'
    }

    It 'removes secrets piped from Get-CicdSecret; the project then has none' {
        Get-CicdSecret -Project vault | Remove-CicdSecret -Confirm:$false
        Get-CicdSecret -Project vault | Should -BeNullOrEmpty
    }

    It 'Get-CicdProject shows the Sandboxed column' {
        (Get-CicdProject -Name vault | Format-Table | Out-String) | Should -Match 'Sandboxed'
        (Get-CicdProject -Name vault).Sandboxed | Should -BeOfType [bool]
    }

    It 'Unregister-CicdProject -RemoveServiceUser -WhatIf keeps the project' {
        Unregister-CicdProject -Name vault -RemoveServiceUser -WhatIf
        Get-CicdProject -Name vault | Should -Not -BeNullOrEmpty
    }
}

Describe 'Unregistering' {
    It '-WhatIf keeps the project' {
        Unregister-CicdProject -Name shop -WhatIf
        Get-CicdProject -Name shop | Should -Not -BeNullOrEmpty
    }

    It 'removes piped projects with -Force -Confirm:$false' {
        Get-CicdProject -Name shop | Unregister-CicdProject -Force -Confirm:$false
        { Get-CicdProject -Name shop -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdProjectCommand'
    }

    It 'an unknown name is an error for that item only' {
        Unregister-CicdProject -Name 'nosuch', 'broken' -Force -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.UnregisterCicdProjectCommand'
        Get-CicdProject -Name broken -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
