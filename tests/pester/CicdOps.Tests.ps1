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
        'Get-CicdDeployment', 'Get-CicdDeploymentLog', 'Get-CicdProject', 'Invoke-CicdRollback', 'Register-CicdProject',
        'Set-CicdPin', 'Set-CicdProject', 'Start-CicdDeployment', 'Stop-CicdDeployment', 'Unregister-CicdProject')

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
    Get-CicdProject -ErrorAction SilentlyContinue | Unregister-CicdProject -Force -Confirm:$false -ErrorAction SilentlyContinue
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
        'Get-CicdDeployment', 'Get-CicdDeploymentLog', 'Get-CicdProject', 'Invoke-CicdRollback', 'Register-CicdProject',
        'Set-CicdPin', 'Set-CicdProject', 'Start-CicdDeployment', 'Stop-CicdDeployment', 'Unregister-CicdProject') {
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

Describe 'Projects' {
    It 'Register-CicdProject -WhatIf changes nothing' {
        $repo = New-TestRepository -Root (Join-Path $TestDrive 'whatif')
        Register-CicdProject -Name whatif -Repository $repo.Url -Path (Join-Path $TestDrive 'whatif-tree') -WhatIf
        Get-CicdProject -Name whatif -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'registers, gets and formats a project' {
        $p = (New-TestProject -Name shop).Project
        $p | Should -BeOfType 'CicdOps.Engine.Model.Project'
        $p.PSTypeNames | Should -Contain 'CicdOps.Engine.Model.Project'
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
        $d | Should -BeOfType 'CicdOps.Engine.Model.Deployment'
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
        $result | Should -BeOfType 'CicdOps.Engine.Model.PinResult'
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
        $rollback | Should -BeOfType 'CicdOps.Engine.Model.Deployment'
        $rollback | Get-CicdDeploymentLog -Follow | Out-Null
        (Get-CicdProject -Name pinned).CurrentCommit | Should -Be $script:Good
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
