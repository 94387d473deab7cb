#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Start-CicdListener (real signed GitHub pushes over HTTP on a free loopback port), Get-CicdWebhookDelivery and
# Install-CicdListenerService.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Start-CicdListener and Get-CicdWebhookDelivery' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:SavedSecret = $env:CICDOPS_WEBHOOK_SECRET
        $env:CICDOPS_WEBHOOK_SECRET = $null
        $script:Hooked = New-TestProject -Context $script:Context -Name hooked
        $script:Secret = 'pester webhook secret'

        # The listener runs in its own runspace of this process, as it would in a second terminal;
        # PowerShell.Stop() is what Ctrl+C does: it calls StopProcessing.
        $script:Port = Get-FreeLoopbackPort
        $script:Listener = Start-Bounded -ArgumentList $script:Port, $script:Context.DataPath, $script:Secret -ScriptBlock {
            param($Port, $DataPath, $Secret)
            Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -DataPath $DataPath `
                -WebhookSecret (ConvertTo-SecureString $Secret -AsPlainText -Force) -ShutdownGrace (New-TimeSpan -Seconds 5) -Confirm:$false
        }
        $script:Ready = Wait-Until { $script:Listener.Async.IsCompleted -or (Test-PortAnswers $script:Port) } -TimeoutSeconds 60
    }
    AfterAll {
        Close-Bounded $script:Listener
        if ($script:Listener -and $script:Listener.Runspace.RunspaceStateInfo.State -eq 'Opened') { $script:Listener.Runspace.Dispose() }
        $env:CICDOPS_WEBHOOK_SECRET = $script:SavedSecret
        Remove-TestContext $script:Context
    }

    It 'listens on a free loopback port: GET /healthz answers 200' {
        $script:Ready | Should -BeTrue
        $script:Listener.Async.IsCompleted | Should -BeFalse -Because 'the listener runs until stopped'
        (Invoke-WebRequest -Uri "http://127.0.0.1:$script:Port/healthz" -TimeoutSec 5).StatusCode | Should -Be 200
    }

    It 'deploys a push signed with HMAC-SHA256 of the body; Get-CicdWebhookDelivery shows it as a [CicdOps.WebhookDelivery]' {
        $commit = Save-TestCommit -Work $script:Hooked.Repository.Work -Message 'pushed through the webhook'
        $delivery = [guid]::NewGuid().ToString()
        $response = Send-GitHubPush -Port $script:Port -Commit $commit -RepositoryUrl $script:Hooked.Repository.Url -Secret $script:Secret -DeliveryId $delivery
        $response.StatusCode | Should -Be 202

        Wait-Until {
            $last = Get-CicdDeployment -Name $script:Hooked.Name -Last 1
            $last -and $last.Commit -eq $commit -and $last.IsFinished
        } -TimeoutSeconds 90 | Should -BeTrue
        $deployment = Get-CicdDeployment -Name $script:Hooked.Name -Last 1
        $deployment.Trigger | Should -Be ([CicdOps.DeploymentTrigger]::Webhook)
        $deployment.Status | Should -Be 'Succeeded'
        (Get-CicdProject -Name $script:Hooked.Name).CurrentCommit | Should -Be $commit
        Test-Path '/tmp/cicdops-pester-pwned' | Should -BeFalse -Because 'the commit message is data, never shell'

        $recorded = Get-CicdWebhookDelivery -Provider GitHub -Last 10 | Where-Object DeliveryId -eq $delivery
        $recorded | Should -HaveCount 1
        $recorded | Should -BeOfType ([CicdOps.WebhookDelivery])
        $recorded.Outcome | Should -Be 'queued'
        $recorded.Event | Should -Be 'push'
        $recorded.Commit | Should -Be $commit
        $recorded.Signature | Should -Be 'valid'
        $recorded.StatusCode | Should -Be 202
        ($recorded | Out-String -Width 250) | Should -Match 'Received\s+Provider\s+Event\s+Repository\s+Ref\s+Commit\s+Signature\s+Outcome\s+StatusCode'
    }

    It 'answers a redelivery 200 duplicate and deploys nothing more' {
        $first = Get-CicdWebhookDelivery -Provider GitHub -Last 1
        $before = @(Get-CicdDeployment -Name $script:Hooked.Name).Count
        $response = Send-GitHubPush -Port $script:Port -Commit $first.Commit -RepositoryUrl $script:Hooked.Repository.Url `
            -Secret $script:Secret -DeliveryId $first.DeliveryId
        $response.StatusCode | Should -Be 200
        # Recording may finish just after the reply.
        Wait-Until { (Get-CicdWebhookDelivery -Last 1).Outcome -eq 'duplicate' } -TimeoutSeconds 10 | Should -BeTrue
        (Get-CicdWebhookDelivery -Last 1).DeliveryId | Should -Be $first.DeliveryId
        @(Get-CicdDeployment -Name $script:Hooked.Name).Count | Should -Be $before
    }

    It 'rejects a wrongly signed push with 401, stores nothing of it (it is only counted), and deploys nothing' {
        $before = @(Get-CicdDeployment -Name $script:Hooked.Name).Count
        $deliveries = @(Get-CicdWebhookDelivery).Count
        $commit = Save-TestCommit -Work $script:Hooked.Repository.Work -Message 'forged'
        $response = Send-GitHubPush -Port $script:Port -Commit $commit -RepositoryUrl $script:Hooked.Repository.Url -Secret 'not the secret'
        $response.StatusCode | Should -Be 401
        Start-Sleep -Milliseconds 500 # recording (of a verified delivery) may finish just after the reply
        @(Get-CicdWebhookDelivery).Count | Should -Be $deliveries
        @(Get-CicdDeployment -Name $script:Hooked.Name).Count | Should -Be $before
    }

    It 'stops within 2 s on Ctrl+C (PowerShell.Stop), frees the port, and a deployment in that session then completes' {
        $script:Ready | Should -BeTrue
        Stop-Bounded $script:Listener -TimeoutMilliseconds 2000 | Should -BeTrue
        Test-PortAnswers $script:Port | Should -BeFalse
        $info = @($script:Listener.PowerShell.Streams.Information.ReadAll() | ForEach-Object { "$($_.MessageData)" })
        $info -match "listening on http://127\.0\.0\.1:$script:Port" | Should -Not -BeNullOrEmpty

        $commit = Save-TestCommit -Work $script:Hooked.Repository.Work -Message 'after the listener'
        $after = Invoke-Bounded -Runspace $script:Listener.Runspace -TimeoutSeconds 120 -ArgumentList $script:Hooked.Name -ScriptBlock {
            param($Name) Start-CicdDeployment -Name $Name
        }
        $after.Errors | Should -BeNullOrEmpty
        $after.Output[0].Status | Should -Be 'Succeeded'
        $after.Output[0].Commit | Should -Be $commit
    }

    It 'Get-CicdWebhookDelivery -Last limits the list' {
        @(Get-CicdWebhookDelivery -Last 1) | Should -HaveCount 1
        @(Get-CicdWebhookDelivery).Count | Should -BeGreaterOrEqual 2
    }

    It 'refuses to listen on every interface without a secret: CicdInvalidArgument (InvalidArgument)' {
        { Start-CicdListener -Port (Get-FreeLoopbackPort) -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
    }

    It 'reports an empty secret file as CicdInvalidArgument' {
        $file = Join-Path $TestDrive 'empty.secret'
        Set-Content -Path $file -Value '' -NoNewline
        { Start-CicdListener -BindAddress 127.0.0.1 -Port (Get-FreeLoopbackPort) -WebhookSecretFile $file -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
    }

    It '-WhatIf listens on nothing and returns at once' {
        $port = Get-FreeLoopbackPort
        $result = Invoke-Bounded -TimeoutSeconds 30 -ArgumentList $port -ScriptBlock {
            param($Port) Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -AllowUnsigned -WhatIf
        }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -BeNullOrEmpty
        Test-PortAnswers $port | Should -BeFalse
    }

    It 'takes the secret as a SecureString only' {
        (Get-Command Start-CicdListener).Parameters['WebhookSecret'].ParameterType | Should -Be ([securestring])
        { Start-CicdListener -BindAddress 127.0.0.1 -WebhookSecret 'plain text' -WhatIf } | Should -Throw
    }
}

Describe 'Install-CicdListenerService' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:FakeCicdOps = Join-Path $TestDrive 'bin/cicdops'
        New-Item -ItemType Directory -Path (Split-Path $script:FakeCicdOps) -Force | Out-Null
        Set-Content -Path $script:FakeCicdOps -Value "#!/bin/sh`nexit 0`n" -NoNewline
        & chmod +x $script:FakeCicdOps
    }
    AfterAll { Remove-TestContext $script:Context }

    It '-WhatIf writes nothing and outputs the unit' {
        $path = Join-Path $TestDrive 'systemd/cicdops.service'
        $unit = Install-CicdListenerService -Path $path -CicdOpsPath $script:FakeCicdOps -Port 9700 -BindAddress 127.0.0.1 -WhatIf
        Test-Path $path | Should -BeFalse
        Test-Path (Split-Path $path) | Should -BeFalse
        $unit | Should -BeOfType ([CicdOps.Cmdlets.Output.ListenerServiceUnit])
        $unit.Written | Should -BeFalse
        $unit.Path | Should -Be $path
        $unit.ExecStart | Should -Be "$script:FakeCicdOps --data-dir $($script:Context.DataPath) listen --port 9700 --bind 127.0.0.1"
        $unit.Content | Should -Match '(?m)^\[Service\]$'
        $unit.Content | Should -Match "(?m)^Environment=CICDOPS_HOME=$([regex]::Escape($script:Context.DataPath))$"
        ($unit | Out-String -Width 250) | Should -Match 'Path\s+Written\s+ExecStart'
    }

    It 'writes the unit for a given cicdops' {
        $path = Join-Path $TestDrive 'systemd/written.service'
        $envFile = Join-Path $TestDrive 'etc/listener.env'
        $unit = Install-CicdListenerService -Path $path -CicdOpsPath $script:FakeCicdOps -EnvironmentFile $envFile -Confirm:$false -InformationVariable said
        $unit.Written | Should -BeTrue
        Get-Content -Path $path -Raw | Should -Be $unit.Content
        $unit.ExecStart | Should -Be "$script:FakeCicdOps --data-dir $($script:Context.DataPath) listen --port 9641 --bind +"
        # The environment file is created root-only with a new secret, and the cmdlet says so.
        (Get-Item $envFile).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        Get-Content $envFile -Raw | Should -Match '(?m)^CICDOPS_WEBHOOK_SECRET=[0-9a-f]{64}$'
        @($said | ForEach-Object { "$($_.MessageData)" }) | Should -Be @($unit.Hints)
        $unit.Hints[0] | Should -BeLike "created $envFile (mode 0600)*"
    }

    It 'without -CicdOpsPath, a module inside a git checkout is refused: the unit never runs what a git pull rebuilds' {
        $path = Join-Path $TestDrive 'systemd/default.service'
        { Install-CicdListenerService -Path $path -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdExecutableNotInstalled,CicdOps.Cmdlets.Commands.InstallCicdListenerServiceCommand'
        Test-Path $path | Should -BeFalse
    }

    It '-DryRun gives the same unit and prints the same hints as cicdops service install --dry-run, for every option' {
        $cli = Get-ChildItem -Path (Join-Path (Get-Module CicdOps).ModuleBase 'bin/*/cicdops') | Select-Object -First 1
        $path = Join-Path $TestDrive 'systemd/parity.service'
        $files = @{ Secret = (Join-Path $TestDrive 'secret'); Token = (Join-Path $TestDrive 'gitlab.token')
                    Cert = (Join-Path $TestDrive 'fullchain.pem'); Key = (Join-Path $TestDrive 'privkey.pem') }
        $unit = Install-CicdListenerService -Path $path -CicdOpsPath $script:FakeCicdOps -Port 9701 -BindAddress 127.0.0.1 `
            -WebhookSecretFile $files.Secret -GitLabTokenFile $files.Token -TlsCertificateFile $files.Cert -TlsKeyFile $files.Key `
            -AllowUnsigned -SampleInterval 00:00:10 -NoWatchdog -DryRun -InformationVariable said
        $unit.Written | Should -BeFalse
        Test-Path $path | Should -BeFalse
        $unit.ExecStart | Should -Be ("$script:FakeCicdOps --data-dir $($script:Context.DataPath) listen --port 9701 --bind 127.0.0.1 " +
            "--webhook-secret-file $($files.Secret) --gitlab-token-file $($files.Token) --tls-cert $($files.Cert) --tls-key $($files.Key) --allow-unsigned --sample-interval 10 --no-watchdog")
        @($said | ForEach-Object { "$($_.MessageData)" }) | Should -Be @($unit.Hints)
        $unit.Hints | Should -Contain "would write $path; enable it with: systemctl daemon-reload && systemctl enable --now parity"
        ($unit.Hints -join "`n") | Should -Match 'UNSIGNED deliveries are accepted'
        ($unit.Hints -join "`n") | Should -Match 'the watchdog is off'

        $printed = & $cli.FullName --data-dir $script:Context.DataPath service install --dry-run --unit-path $path --exec $script:FakeCicdOps `
            --port 9701 --bind 127.0.0.1 --webhook-secret-file $files.Secret --gitlab-token-file $files.Token `
            --tls-cert $files.Cert --tls-key $files.Key --allow-unsigned --sample-interval 10 --no-watchdog
        $LASTEXITCODE | Should -Be 0
        ($printed -join "`n").TrimEnd() | Should -Be ($unit.Content + (($unit.Hints | ForEach-Object { "# $_" }) -join "`n")).TrimEnd()
    }

    It 'reports a missing cicdops executable as CicdExecutableNotFound and writes nothing' {
        $path = Join-Path $TestDrive 'systemd/missing.service'
        { Install-CicdListenerService -Path $path -CicdOpsPath (Join-Path $TestDrive 'nosuch/cicdops') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdExecutableNotFound,CicdOps.Cmdlets.Commands.InstallCicdListenerServiceCommand'
        Test-Path $path | Should -BeFalse
    }
}
