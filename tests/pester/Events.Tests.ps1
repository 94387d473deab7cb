#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Get-CicdEvent against a real listener's watchdog (Start-CicdListener -SampleInterval 1 s on a free loopback port):
# a deployed app is killed, the events it causes are read as objects; and the listener's -SampleInterval/-NoWatchdog.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Get-CicdEvent' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:App = New-TestProject -Context $script:Context -Name evented
        $deployed = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $script:Deployed = $deployed.Output | Select-Object -Last 1
        $script:Port = Get-FreeLoopbackPort
        $script:Listener = Start-Bounded -ArgumentList $script:Port, $script:Context.DataPath -ScriptBlock {
            param($Port, $DataPath)
            Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -DataPath $DataPath -AllowUnsigned `
                -SampleInterval 00:00:01 -ShutdownGrace (New-TimeSpan -Seconds 5) -Confirm:$false
        }
        $script:Ready = Wait-Until { $script:Listener.Async.IsCompleted -or (Test-PortAnswers $script:Port) } -TimeoutSeconds 60
    }
    AfterAll {
        if ($script:Listener -and -not $script:Listener.Async.IsCompleted) { $null = Stop-Bounded $script:Listener -TimeoutMilliseconds 5000 }
        Close-Bounded $script:Listener
        if ($script:Listener -and $script:Listener.Runspace.RunspaceStateInfo.State -eq 'Opened') { $script:Listener.Runspace.Dispose() }
        Remove-TestContext $script:Context
    }

    It 'shows what the watchdog did about a killed app as [CicdOps.CicdEvent] objects, oldest first' {
        $script:Deployed.Status | Should -Be ([CicdOps.DeploymentStatus]::Succeeded)
        $script:Ready | Should -BeTrue
        $script:Listener.Async.IsCompleted | Should -BeFalse -Because 'the listener runs until stopped'
        Get-CicdEvent -Name $script:App.Name | Should -BeNullOrEmpty

        # Kill the app: every process of the project's own service account (created by this test), by id.
        $user = (Get-CicdProject -Name $script:App.Name).ServiceUser
        $user | Should -Not -BeNullOrEmpty
        $pids = @(& pgrep -u $user)
        $pids | Should -Not -BeNullOrEmpty
        foreach ($id in $pids) { & kill -KILL $id }

        Wait-Until { @(Get-CicdEvent -Name $script:App.Name).Kind -contains [CicdOps.CicdEventKind]::Recovered } -TimeoutSeconds 120 |
            Should -BeTrue -Because 'the listener samples every second and restarts a dead app'
        $events = @(Get-CicdEvent -Name $script:App.Name)
        $events | ForEach-Object { $_ | Should -BeOfType ([CicdOps.CicdEvent]) }
        $events[0].Kind | Should -Be ([CicdOps.CicdEventKind]::Unhealthy)
        $events.Kind | Should -Contain ([CicdOps.CicdEventKind]::Restarting)
        $events | ForEach-Object { $_.Project | Should -Be $script:App.Name }
        $events | ForEach-Object { $_.Message | Should -Not -BeNullOrEmpty }
        @($events.Id) | Should -Be @($events.Id | Sort-Object) -Because 'events come oldest first'
        # Without -Name: every project's, the same ones here.
        @((Get-CicdEvent).Id) | Should -Be @($events.Id)
    }

    It '-After reads on from the last id seen' {
        $events = @(Get-CicdEvent -Name $script:App.Name)
        $events.Count | Should -BeGreaterThan 1
        $after = @(Get-CicdEvent -Name $script:App.Name -After $events[0].Id)
        @($after.Id) | Should -Be @($events | Select-Object -Skip 1 | ForEach-Object Id)
        Get-CicdEvent -Name $script:App.Name -After $events[-1].Id | Should -BeNullOrEmpty
        # The project's name comes through the pipeline too.
        @((Get-CicdProject -Name $script:App.Name | Get-CicdEvent -After $events[0].Id).Id) | Should -Be @($after.Id)
    }

    It 'an unknown project is one clear error (CicdProjectNotFound) and nothing else' {
        $out = Get-CicdEvent -Name 'nosuch-project' -ErrorVariable failed -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdEventCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[0].Exception.Message | Should -Match 'nosuch-project'
        $failed[0].Exception.Message | Should -Not -Match "`n"
    }

    It 'the listener was started with the sample interval it was given' {
        $null = Stop-Bounded $script:Listener -TimeoutMilliseconds 5000
        $result = Wait-Bounded -Handle $script:Listener -TimeoutSeconds 30
        $lines = @($result.Information | ForEach-Object { "$($_.MessageData)" })
        $lines | Where-Object { $_ -like 'monitor: sampling every 1 s; watchdog restarts*' } | Should -HaveCount 1
    }
}

Describe 'Start-CicdListener -SampleInterval and -NoWatchdog' {
    BeforeAll { $script:Context = New-TestContext -Root $TestDrive }
    AfterAll { Remove-TestContext $script:Context }

    It '-NoWatchdog reaches the listener: it samples with the watchdog off' {
        $port = Get-FreeLoopbackPort
        $listener = Start-Bounded -ArgumentList $port, $script:Context.DataPath -ScriptBlock {
            param($Port, $DataPath)
            Start-CicdListener -BindAddress 127.0.0.1 -Port $Port -DataPath $DataPath -AllowUnsigned -SampleInterval 00:00:02 -NoWatchdog -Confirm:$false
        }
        try {
            Wait-Until { $listener.Async.IsCompleted -or (Test-PortAnswers $port) } -TimeoutSeconds 60 | Should -BeTrue
            $listener.Async.IsCompleted | Should -BeFalse
            $null = Stop-Bounded $listener -TimeoutMilliseconds 5000
            $result = Wait-Bounded -Handle $listener -TimeoutSeconds 30
            # Stop() is Ctrl+C: the only error is the stopped pipeline.
            $result.Errors | Where-Object { "$_" -notmatch "pipeline has been stopped" } | Should -BeNullOrEmpty
            @($result.Information | ForEach-Object { "$($_.MessageData)" }) | Should -Contain 'monitor: sampling every 2 s; watchdog off'
        }
        finally { Close-Bounded $listener }
    }

    It 'a sample interval that is not whole seconds from 1 to 300 is one error naming -SampleInterval, for <Cmdlet> (<Interval>)' -ForEach @(
        @{ Cmdlet = 'Start-CicdListener'; Interval = '00:00:00.5000000' }
        @{ Cmdlet = 'Start-CicdListener'; Interval = '00:05:01' }
        @{ Cmdlet = 'Install-CicdListenerService'; Interval = '00:00:01.5000000' }
        @{ Cmdlet = 'Install-CicdListenerService'; Interval = '00:00:00' }
    ) {
        $unit = Join-Path $TestDrive 'never.service'
        $arguments = @{ SampleInterval = [timespan] $Interval; ErrorAction = 'Stop' }
        if ($Cmdlet -eq 'Start-CicdListener') { $arguments += @{ BindAddress = '127.0.0.1'; Port = (Get-FreeLoopbackPort); AllowUnsigned = $true; Confirm = $false } }
        else { $arguments += @{ Path = $unit; CicdOpsPath = '/bin/true'; Confirm = $false } }
        $thrown = $null
        try { & $Cmdlet @arguments } catch { $thrown = $_ }
        $thrown | Should -Not -BeNullOrEmpty
        $thrown.FullyQualifiedErrorId | Should -BeLike 'CicdInvalidArgument,*'
        $thrown.Exception.Message | Should -Match '^-SampleInterval must be whole seconds from 1 to 300'
        $thrown.Exception.Message | Should -Not -Match "`n"
        Test-Path $unit | Should -BeFalse
    }
}
