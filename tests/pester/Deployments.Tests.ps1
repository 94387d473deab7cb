#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Start-CicdDeployment, Get-CicdDeployment, Get-CicdDeploymentLog, Stop-CicdDeployment, and Ctrl+C, against local bare
# repositories. Every wait is bounded (Invoke-Bounded, Wait-Until): a hung deployment fails its test.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Start-CicdDeployment and Get-CicdDeployment' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Shop = New-TestProject -Context $script:Context -Name shop
        $script:Broken = New-TestProject -Context $script:Context -Name broken -Health 'exit 1' -HealthTimeoutSeconds 2
        $script:Flaky = New-TestProject -Context $script:Context -Name flaky -HealthTimeoutSeconds 2
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'deploys projects piped from Get-CicdProject: a [CicdOps.Deployment] with [CicdOps.StageResult] stages, and progress' {
        $result = Invoke-Bounded -ArgumentList $script:Shop.Name -ScriptBlock { param($Name) Get-CicdProject -Name $Name | Start-CicdDeployment }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -HaveCount 1
        $deployment = $result.Output[0]
        $deployment | Should -BeOfType ([CicdOps.Deployment])
        $deployment.Status | Should -Be ([CicdOps.DeploymentStatus]::Succeeded)
        $deployment.Trigger | Should -Be 'Manual'
        $deployment.Commit | Should -Be $script:Shop.Repository.FirstCommit
        $deployment.Stages | Should -Not -BeNullOrEmpty
        $deployment.Stages[0] | Should -BeOfType ([CicdOps.StageResult])
        $deployment.Stages.Stage | Should -Contain ([CicdOps.DeploymentStage]::Run)
        $deployment.Stages.Stage | Should -Contain ([CicdOps.DeploymentStage]::Health)
        (Get-CicdProject -Name $script:Shop.Name).Status | Should -Be 'Healthy'

        $result.Progress | Should -Not -BeNullOrEmpty
        $result.Progress[0].Activity | Should -Be "Deploying $($script:Shop.Name)"
        $result.Progress[-1].RecordType | Should -Be 'Completed'
        # A stage is named once ("Install: running install.sh", never "Install: Install").
        $result.Progress.StatusDescription | Where-Object { $_ -match '^(\w+): \1\b' } | Should -BeNullOrEmpty
        # Each report is its own record (one activity), so a collector sees every stage, not N copies of the last.
        @($result.Progress.ActivityId | Select-Object -Unique).Count | Should -Be 1
        $result.Progress.StatusDescription | Should -Contain 'Sync'
        $result.Progress.StatusDescription | Should -Contain 'Health'
        @($result.Progress | Where-Object RecordType -eq 'Completed').Count | Should -Be 1
    }

    It 'deploys names piped by property name' {
        $result = Invoke-Bounded -ArgumentList $script:Shop.Name -ScriptBlock { param($Name) [pscustomobject]@{ Name = $Name } | Start-CicdDeployment }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].Status | Should -Be 'Succeeded'
        $result.Output[0].Project | Should -Be $script:Shop.Name
    }

    It '-WhatIf queues nothing' {
        $before = @(Get-CicdDeployment -Name $script:Shop.Name).Count
        Start-CicdDeployment -Name $script:Shop.Name -WhatIf | Should -BeNullOrEmpty
        @(Get-CicdDeployment -Name $script:Shop.Name).Count | Should -Be $before
    }

    It '-Commit deploys that commit; TabExpansion2 completes commits deployed before' {
        $second = Save-TestCommit -Work $script:Shop.Repository.Work -Message 'second'
        $result = Invoke-Bounded -ArgumentList $script:Shop.Name, $script:Shop.Repository.FirstCommit.Substring(0, 10) -ScriptBlock {
            param($Name, $Commit) Start-CicdDeployment -Name $Name -Commit $Commit
        }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].Commit | Should -Be $script:Shop.Repository.FirstCommit
        (Get-CicdProject -Name $script:Shop.Name).CurrentCommit | Should -Be $script:Shop.Repository.FirstCommit
        $second | Should -Not -Be $script:Shop.Repository.FirstCommit

        $line = "Start-CicdDeployment -Name $($script:Shop.Name) -Commit "
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        ($completions.CompletionText + $completions.ListItemText) -join ' ' | Should -Match $script:Shop.Repository.FirstCommit.Substring(0, 7)
    }

    It 'Get-CicdDeployment lists newest first, limits with -Last, gets by -Id and by piped Id or project' {
        $all = @(Get-CicdDeployment -Name $script:Shop.Name)
        $all.Count | Should -BeGreaterOrEqual 3
        $all | Should -BeOfType ([CicdOps.Deployment])
        $all[0].Id | Should -BeGreaterThan $all[1].Id
        @(Get-CicdDeployment -Name $script:Shop.Name -Last 1).Count | Should -Be 1
        (Get-CicdDeployment -Id $all[1].Id).Id | Should -Be $all[1].Id
        (Get-CicdDeployment -Name $script:Shop.Name -Last 2 | Get-CicdDeployment).Id | Should -Be $all[0..1].Id
        (Get-CicdProject -Name $script:Shop.Name | Get-CicdDeployment -Last 1).Id | Should -Be $all[0].Id
        @(Get-CicdDeployment).Count | Should -BeGreaterOrEqual $all.Count
    }

    It 'shows deployments and stages as tables' {
        $table = Get-CicdDeployment -Name $script:Shop.Name | Out-String -Width 250
        $table | Should -Match 'Id\s+Project\s+Commit\s+Status\s+Trigger\s+Started\s+Duration'
        $table | Should -Match 'Succeeded'
        $stages = (Get-CicdDeployment -Name $script:Shop.Name -Last 1).Stages | Out-String -Width 250
        $stages | Should -Match 'Stage\s+Outcome\s+ExitCode\s+Started\s+Duration\s+Rollback\s+Detail'
    }

    It 'outputs a failed deployment and reports it as CicdDeploymentFailed (InvalidResult, the deployment as target)' {
        $result = Invoke-Bounded -ArgumentList $script:Broken.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $result.Output | Should -HaveCount 1
        $deployment = $result.Output[0]
        $deployment.Status | Should -Be 'Failed'
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -Be 'CicdDeploymentFailed,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $result.Errors[0].TargetObject.Id | Should -Be $deployment.Id
    }

    It 'rolls back an unhealthy new commit and reports CicdDeploymentRolledBack' {
        $first = Invoke-Bounded -ArgumentList $script:Flaky.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $first.Output[0].Status | Should -Be 'Succeeded'
        Set-TestScript -Work $script:Flaky.Repository.Work -Name 'health.sh' -Body 'exit 1'
        Save-TestCommit -Work $script:Flaky.Repository.Work -Message 'unhealthy' | Out-Null
        $result = Invoke-Bounded -ArgumentList $script:Flaky.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name -ErrorAction Stop }
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -Be 'CicdDeploymentRolledBack,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        (Get-CicdDeployment -Name $script:Flaky.Name -Last 1).Status | Should -Be 'RolledBack'
        (Get-CicdProject -Name $script:Flaky.Name).CurrentCommit | Should -Be $script:Flaky.Repository.FirstCommit
    }

    It 'reports unknown projects and deployments: CicdProjectNotFound, CicdDeploymentNotFound (ObjectNotFound)' {
        { Start-CicdDeployment -Name 'nosuch' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        { Get-CicdDeployment -Name 'nosuch' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdDeploymentCommand'
        Get-CicdDeployment -Id 987654 -ErrorVariable failures -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdDeploymentNotFound,CicdOps.Cmdlets.Commands.GetCicdDeploymentCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Get-CicdDeploymentLog' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:App = New-TestProject -Context $script:Context -Name logs
        Set-TestScript -Work $script:App.Repository.Work -Name 'install.sh' -Body 'echo installing-from-pester'
        Save-TestCommit -Work $script:App.Repository.Work -Message 'with install' | Out-Null
        $script:Deployed = (Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }).Output[0]
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'returns the latest deployment''s log by project name, one string per line' {
        $script:Deployed.Status | Should -Be 'Succeeded'
        $lines = Get-CicdDeploymentLog -Name $script:App.Name
        $lines.Count | Should -BeGreaterThan 3
        $lines | Should -BeOfType ([string])
        $lines -match '\[install\] installing-from-pester$' | Should -HaveCount 1
        ($lines -join "`n") | Should -Match 'Health'
    }

    It 'reads the log of deployments piped from Get-CicdDeployment, and of the latest of a piped project' {
        $lines = Get-CicdDeployment -Name $script:App.Name -Last 1 | Get-CicdDeploymentLog
        $lines -match '\[install\] installing-from-pester$' | Should -HaveCount 1
        $lines.Count | Should -Be (Get-CicdDeploymentLog -Id $script:Deployed.Id).Count
        $fromProject = Get-CicdProject -Name $script:App.Name | Get-CicdDeploymentLog
        $fromProject.Count | Should -Be $lines.Count
    }

    It '-Follow on a -NoWait deployment reads until the deployment has finished' {
        $result = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock {
            param($Name)
            Start-CicdDeployment -Name $Name -NoWait -ForceInstall | Get-CicdDeploymentLog -Follow
        }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output -match '\[install\] installing-from-pester$' | Should -HaveCount 1
        $latest = Get-CicdDeployment -Name $script:App.Name -Last 1
        $latest.Id | Should -BeGreaterThan $script:Deployed.Id
        $latest.IsFinished | Should -BeTrue
    }

    It 'reports an unknown deployment as CicdDeploymentNotFound' {
        { Get-CicdDeploymentLog -Id 987654 -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdDeploymentNotFound,CicdOps.Cmdlets.Commands.GetCicdDeploymentLogCommand'
    }
}

Describe 'Stop-CicdDeployment and Ctrl+C' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        # Never healthy within a long health timeout: its deployments stay Running until stopped.
        $script:Slow = New-TestProject -Context $script:Context -Name slow -Health 'exit 1' -HealthTimeoutSeconds 300

        function script:Wait-Running([string] $Name) {
            Wait-Until { (Get-CicdDeployment -Name $Name -Last 1).Status -eq 'Running' } -TimeoutSeconds 60
        }
        function script:Wait-Finished([long] $Id) {
            Wait-Until { (Get-CicdDeployment -Id $Id).IsFinished } -TimeoutSeconds 60
        }
    }
    AfterEach {
        # A failed test must not leave a deployment running into the next one.
        if (Stop-CicdDeployment -Name $script:Slow.Name -ErrorAction SilentlyContinue) {
            Wait-Until { -not (Get-CicdDeployment -Name $script:Slow.Name | Where-Object { -not $_.IsFinished }) } -TimeoutSeconds 60 | Out-Null
        }
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'with nothing to stop reports CicdNothingToCancel (InvalidOperation)' {
        { Stop-CicdDeployment -Name $script:Slow.Name -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdNothingToCancel,CicdOps.Cmdlets.Commands.StopCicdDeploymentCommand'
        Stop-CicdDeployment -Name $script:Slow.Name -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'Start-CicdDeployment -NoWait | Stop-CicdDeployment -WhatIf leaves it; piped by value it is stopped: Cancelled' {
        $queued = Start-CicdDeployment -Name $script:Slow.Name -NoWait
        $queued | Should -BeOfType ([CicdOps.Deployment])
        $queued.Status | Should -BeIn 'Queued', 'Running'
        $queued | Stop-CicdDeployment -WhatIf | Should -BeNullOrEmpty
        (Get-CicdDeployment -Id $queued.Id).IsFinished | Should -BeFalse
        $stopped = $queued | Stop-CicdDeployment
        $stopped | Should -BeOfType ([CicdOps.Deployment])
        $stopped.Id | Should -Be $queued.Id
        Wait-Finished $queued.Id | Should -BeTrue
        (Get-CicdDeployment -Id $queued.Id).Status | Should -Be 'Cancelled'
    }

    It 'Get-CicdDeployment | Where-Object Status -eq Running | Stop-CicdDeployment stops the running one' {
        $queued = Start-CicdDeployment -Name $script:Slow.Name -NoWait
        Wait-Running $script:Slow.Name | Should -BeTrue
        $stopped = Get-CicdDeployment -Name $script:Slow.Name | Where-Object Status -eq Running | Stop-CicdDeployment
        $stopped.Id | Should -Be $queued.Id
        Wait-Finished $queued.Id | Should -BeTrue
        (Get-CicdDeployment -Id $queued.Id).Status | Should -Be 'Cancelled'
    }

    It 'a piped queued deployment is stopped, not the one running before it' {
        $running = Start-CicdDeployment -Name $script:Slow.Name -NoWait
        Wait-Running $script:Slow.Name | Should -BeTrue
        $waiting = Start-CicdDeployment -Name $script:Slow.Name -NoWait
        $waiting.Id | Should -Not -Be $running.Id
        ($waiting | Stop-CicdDeployment).Id | Should -Be $waiting.Id
        Wait-Finished $waiting.Id | Should -BeTrue
        (Get-CicdDeployment -Id $waiting.Id).Status | Should -Be 'Cancelled'
        (Get-CicdDeployment -Id $running.Id).Status | Should -Be 'Running'
    }

    It 'Ctrl+C returns from Start-CicdDeployment within 2 s; the deployment goes on; the next one in that session completes' {
        # The deployment this test starts is the first one after $before (an earlier test's may still be finishing).
        $before = [long](Get-CicdDeployment -Name $script:Slow.Name -Last 1 | ForEach-Object Id)
        $handle = Start-Bounded -ArgumentList $script:Slow.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        try {
            Wait-Until { Get-CicdDeployment -Name $script:Slow.Name | Where-Object { $_.Id -gt $before -and $_.Status -eq 'Running' } } -TimeoutSeconds 60 |
                Should -BeTrue
            $handle.Async.IsCompleted | Should -BeFalse -Because 'Start-CicdDeployment waits for the deployment'
            Stop-Bounded $handle -TimeoutMilliseconds 2000 | Should -BeTrue
            $running = Get-CicdDeployment -Name $script:Slow.Name | Where-Object Id -gt $before | Select-Object -First 1
            $running.IsFinished | Should -BeFalse -Because "Ctrl+C stops the wait, not the deployment (deployment $($running.Id) is $($running.Status): $($running.Reason))"

            # Stop it (a piped project: its active deployment), make the project healthy, and deploy again in the
            # same session (runspace).
            (Get-CicdProject -Name $script:Slow.Name | Stop-CicdDeployment).Id | Should -Be $running.Id
            Wait-Finished $running.Id | Should -BeTrue
            Set-TestScript -Work $script:Slow.Repository.Work -Name 'health.sh' -Body 'exit 0'
            $healthy = Save-TestCommit -Work $script:Slow.Repository.Work -Message 'healthy'
            $after = Invoke-Bounded -Runspace $handle.Runspace -TimeoutSeconds 120 -ArgumentList $script:Slow.Name -ScriptBlock {
                param($Name) Start-CicdDeployment -Name $Name
            }
            $after.Errors | Should -BeNullOrEmpty
            $after.Output[0].Status | Should -Be 'Succeeded'
            $after.Output[0].Commit | Should -Be $healthy
        }
        finally {
            Set-TestScript -Work $script:Slow.Repository.Work -Name 'health.sh' -Body 'exit 1'
            Save-TestCommit -Work $script:Slow.Repository.Work -Message 'unhealthy again' | Out-Null
            Close-Bounded $handle
            if ($handle.Runspace.RunspaceStateInfo.State -eq 'Opened') { $handle.Runspace.Dispose() }
        }
    }

    It 'Ctrl+C returns from Get-CicdDeploymentLog -Follow within 2 s; a deployment in that session then completes' {
        $queued = Start-CicdDeployment -Name $script:Slow.Name -NoWait
        Wait-Running $script:Slow.Name | Should -BeTrue
        $handle = Start-Bounded -ArgumentList $queued.Id -ScriptBlock { param($Id) Get-CicdDeploymentLog -Id $Id -Follow }
        try {
            Wait-Until { $handle.PowerShell.InvocationStateInfo.State -eq 'Running' } -TimeoutSeconds 10 | Should -BeTrue
            Start-Sleep -Milliseconds 700 # let it reach its follow loop
            $handle.Async.IsCompleted | Should -BeFalse -Because '-Follow reads until the deployment finishes'
            Stop-Bounded $handle -TimeoutMilliseconds 2000 | Should -BeTrue
            (Get-CicdDeployment -Id $queued.Id).IsFinished | Should -BeFalse

            (Stop-CicdDeployment -Name $script:Slow.Name).Id | Should -Be $queued.Id
            Wait-Finished $queued.Id | Should -BeTrue
            Set-TestScript -Work $script:Slow.Repository.Work -Name 'health.sh' -Body 'exit 0'
            Save-TestCommit -Work $script:Slow.Repository.Work -Message 'healthy again' | Out-Null
            $after = Invoke-Bounded -Runspace $handle.Runspace -TimeoutSeconds 120 -ArgumentList $script:Slow.Name -ScriptBlock {
                param($Name) Start-CicdDeployment -Name $Name
            }
            $after.Errors | Should -BeNullOrEmpty
            $after.Output[0].Status | Should -Be 'Succeeded'
        }
        finally {
            Close-Bounded $handle
            if ($handle.Runspace.RunspaceStateInfo.State -eq 'Opened') { $handle.Runspace.Dispose() }
        }
    }
}
