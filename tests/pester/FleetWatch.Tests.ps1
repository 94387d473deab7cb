#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Watch-CicdFleet and the API token cmdlets in real pwsh, on a server that joined no fleet (it watches itself). The
# registry-backed watch across two nodes is exercised by the xunit FleetWatchTests (a private PostgreSQL cluster).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Watch-CicdFleet on this server' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Watched = New-TestProject -Context $script:Context -Name 'watched'
    }
    AfterAll { Remove-TestContext $script:Context }

    It '-Once writes the fleet now as FleetUpdate objects (a node row and a row per project) and ends' {
        $rows = @(Watch-CicdFleet -Once)
        $rows | ForEach-Object { $_ | Should -BeOfType ([CicdOps.FleetUpdate]) }
        @($rows | Where-Object Kind -eq 'Node') | Should -HaveCount 1
        $project = @($rows | Where-Object Project -eq $script:Watched.Name)
        $project | Should -HaveCount 1
        $project[0].Status | Should -Be 'Registered'
        $project[0].Node | Should -Be $rows.Where({ $_.Kind -eq 'Node' })[0].Node

        @(Watch-CicdFleet -Once -Project $script:Watched.Name) | Should -HaveCount 1
        @(Watch-CicdFleet -Once -Node 'no-such-node-*') | Should -HaveCount 0
        (Watch-CicdFleet -Once | Format-Table | Out-String) | Should -Match 'Health'
    }

    It 'streams a deployment''s change through Where-Object Health -eq Healthy, and Ctrl+C stops it within 2 s' {
        $handle = Start-Bounded -ArgumentList $script:Context.DataPath, $script:Watched.Name -ScriptBlock {
            param($DataPath, $Name)
            Watch-CicdFleet -DataPath $DataPath -Project $Name | Where-Object Health -eq Healthy
        }
        try {
            Wait-Until { $handle.PowerShell.InvocationStateInfo.State -eq 'Running' } -TimeoutSeconds 10 | Should -BeTrue
            Start-Sleep -Milliseconds 700 # let it reach its wait for changes
            $handle.Async.IsCompleted | Should -BeFalse -Because 'a watch runs until it is stopped'

            $deployed = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $script:Watched.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
            $deployed.Output[0].Status | Should -Be 'Succeeded'
            Wait-Until { $handle.Output.Count -gt 0 } -TimeoutSeconds 60 | Should -BeTrue -Because 'the healthy project reaches the pipeline'

            Stop-Bounded $handle -TimeoutMilliseconds 2000 | Should -BeTrue
            $result = Wait-Bounded -Handle $handle -TimeoutSeconds 10
            $healthy = @($result.Output | Where-Object Kind -eq 'Project')
            $healthy.Count | Should -BeGreaterThan 0
            $healthy[-1].Project | Should -Be $script:Watched.Name
            $healthy[-1].Commit | Should -Be $deployed.Output[0].Commit
            $healthy[-1] | Should -BeOfType ([CicdOps.FleetUpdate])
        }
        finally {
            Close-Bounded $handle
        }
    }
}

Describe 'The API token cmdlets' {
    BeforeAll { $script:Context = New-TestContext -Root $TestDrive }
    AfterAll { Remove-TestContext $script:Context }

    It 'New-CicdApiToken shows the token once; Get-CicdApiToken never does' {
        $created = New-CicdApiToken -Scope Read -Name 'pester-read' -ValidFor (New-TimeSpan -Days 1)
        $created.Token | Should -Match '^cicd_\d+_[A-Za-z0-9_-]{43}$'
        $created.Scope | Should -Be 'Read'
        $listed = @(Get-CicdApiToken 'pester-*')
        $listed | Should -HaveCount 1
        $listed[0] | Should -BeOfType ([CicdOps.ApiToken])
        $listed[0].PSObject.Properties.Name | Should -Not -Contain 'Token'
        ($listed | Format-Table | Out-String) | Should -Match 'Active'
        $listed[0].ExpiresAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
    }

    It '-WhatIf creates nothing; a duplicate name is CicdApiTokenExists' {
        New-CicdApiToken -Scope Operate -Name 'pester-whatif' -WhatIf | Should -BeNullOrEmpty
        @(Get-CicdApiToken 'pester-whatif') | Should -HaveCount 0
        { New-CicdApiToken -Scope Read -Name 'pester-read' -ErrorAction Stop } | Should -Throw -ErrorId 'CicdApiTokenExists,*'
    }

    It 'Revoke-CicdApiToken takes Get-CicdApiToken from the pipeline; an unknown name is CicdApiTokenNotFound' {
        $revoked = @(Get-CicdApiToken 'pester-read' | Revoke-CicdApiToken -Confirm:$false -PassThru)
        $revoked | Should -HaveCount 1
        $revoked[0].IsRevoked | Should -BeTrue
        (Get-CicdApiToken 'pester-read').IsRevoked | Should -BeTrue
        { Revoke-CicdApiToken -Name 'no-such-token' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CicdApiTokenNotFound,*'
    }
}
