#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# The dashboard's cmdlets in real pwsh: Start-CicdListener -Dashboard on a free loopback port, a one-time link from
# New-CicdDashboardLogin opened over HTTP, Get-/Revoke-CicdDashboardSession, and the secure-by-default refusals.
# The pages themselves are tested in Chromium by the xunit DashboardBrowserTests.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'The dashboard from pwsh' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Port = Get-FreeLoopbackPort
        $script:Listener = Start-Bounded -ArgumentList $script:Port, $script:Context.DataPath -ScriptBlock {
            param($Port, $DataPath)
            Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -DataPath $DataPath -Dashboard `
                -WebhookSecret (ConvertTo-SecureString 'pester dashboard secret' -AsPlainText -Force) -Confirm:$false
        }
        $script:Ready = Wait-Until { $script:Listener.Async.IsCompleted -or (Test-PortAnswers $script:Port) } -TimeoutSeconds 60
    }
    AfterAll {
        Close-Bounded $script:Listener
        if ($script:Listener -and $script:Listener.Runspace.RunspaceStateInfo.State -eq 'Opened') { $script:Listener.Runspace.Dispose() }
        Remove-TestContext $script:Context
    }

    It 'New-CicdDashboardLogin prints a link that signs in once; the session is listed and revoked from the pipeline' {
        $script:Ready | Should -BeTrue
        $login = New-CicdDashboardLogin -Role Operator -BaseUrl "http://127.0.0.1:$script:Port"
        $login | Should -BeOfType ([CicdOps.DashboardLogin])
        $login.Url | Should -Match "^http://127\.0\.0\.1:$script:Port/login/cdl_\d+_[A-Za-z0-9_-]{43}$"
        ($login | Format-Table | Out-String) | Should -Match 'Url'

        $opened = Invoke-WebRequest -Uri $login.Url -MaximumRedirection 0 -SkipHttpErrorCheck -TimeoutSec 10
        $opened.StatusCode | Should -Be 303
        $opened.Headers['Set-Cookie'] | Should -Match 'httponly'
        (Invoke-WebRequest -Uri $login.Url -MaximumRedirection 0 -SkipHttpErrorCheck -TimeoutSec 10).StatusCode | Should -Be 401

        $sessions = @(Get-CicdDashboardSession)
        $sessions | Should -HaveCount 1
        $sessions[0] | Should -BeOfType ([CicdOps.DashboardSession])
        $sessions[0].Role | Should -Be 'Operator'
        ($sessions | Format-Table | Out-String) | Should -Match 'Active'
        $revoked = @(Get-CicdDashboardSession | Revoke-CicdDashboardSession -Confirm:$false -PassThru)
        $revoked[0].IsRevoked | Should -BeTrue
        @(Get-CicdDashboardSession) | Should -HaveCount 0
        @(Get-CicdDashboardSession -All) | Should -HaveCount 1
        { Revoke-CicdDashboardSession -Id 999 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CicdDashboardSessionNotFound,*'
    }

    It '-WhatIf creates no link; a -ValidFor over 15 minutes is CicdInvalidArgument' {
        New-CicdDashboardLogin -WhatIf | Should -BeNullOrEmpty
        { New-CicdDashboardLogin -ValidFor (New-TimeSpan -Minutes 16) -ErrorAction Stop } | Should -Throw -ErrorId 'CicdInvalidArgument,*'
    }

    It 'refuses the dashboard over plain HTTP off loopback, and -AllowInsecureDashboard without -Dashboard' {
        $secret = ConvertTo-SecureString 'x' -AsPlainText -Force
        { Start-CicdListener -BindAddress 0.0.0.0 -Port (Get-FreeLoopbackPort) -WebhookSecret $secret -Dashboard -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
        { Start-CicdListener -BindAddress 127.0.0.1 -Port (Get-FreeLoopbackPort) -WebhookSecret $secret -AllowInsecureDashboard -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdListenerCommand'
    }
}
