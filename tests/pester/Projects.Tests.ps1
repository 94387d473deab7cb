#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Register-CicdProject, Get-CicdProject, Set-CicdProject, Unregister-CicdProject against local bare repositories.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Register-CicdProject' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Repository = New-TestRepository -Root (Join-Path $TestDrive 'origin')
        $script:Token = Get-TestRunToken
    }
    AfterAll { Remove-TestContext $script:Context }

    It '-WhatIf stores nothing, creates no service user and clones nothing' {
        $name = "$script:Token-whatif"
        $tree = Join-Path $TestDrive 'whatif-tree'
        Register-CicdProject -Name $name -Repository $script:Repository.Url -Path $tree -WhatIf | Should -BeNullOrEmpty
        Get-CicdProject -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path $tree | Should -BeFalse
        Get-TestServiceUser | Where-Object { $_ -like "cicd_$name-*" } | Should -BeNullOrEmpty
    }

    It 'outputs nothing without -PassThru; -PassThru outputs the [CicdOps.Project]' {
        $name = "$script:Token-quiet"
        Register-CicdProject -Name $name -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'quiet-tree') | Should -BeNullOrEmpty
        $name2 = "$script:Token-loud"
        $project = Register-CicdProject -Name $name2 -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'loud-tree') -Port 18080 -PassThru
        $project | Should -BeOfType ([CicdOps.Project])
        $project -is [CicdOps.Project] | Should -BeTrue
        $project.Name | Should -Be $name2
        $project.Branch | Should -Be 'main'
        $project.Port | Should -Be 18080
        $project.Status | Should -Be ([CicdOps.ProjectStatus]::Registered)
    }

    It 'as root, makes the project its own service user at its first deploy, not at registration (Sandboxed)' -Skip:((id -u) -ne '0') {
        $project = Get-CicdProject -Name "$script:Token-loud"
        $project.Sandboxed | Should -BeTrue
        $project.ServiceUser | Should -BeNullOrEmpty -Because 'a registration that never deploys leaves no account'
        Get-TestServiceUser | Where-Object { $_ -like "cicd_$script:Token-loud-*" } | Should -BeNullOrEmpty
        $deployed = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $project.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $deployed.Errors | Should -BeNullOrEmpty
        $project = Get-CicdProject -Name "$script:Token-loud"
        $project.ServiceUser | Should -BeLike "cicd_$script:Token-loud-*"
        Test-UserExists $project.ServiceUser | Should -BeTrue
    }

    It 'takes its parameters by property name from piped objects' {
        $name = "$script:Token-csv"
        $row = [pscustomobject]@{ Name = $name; Repository = $script:Repository.Url; Path = (Join-Path $TestDrive 'csv-tree'); Branch = 'main'; Port = 18081 }
        $project = $row | Register-CicdProject -PassThru
        $project.Name | Should -Be $name
        $project.Port | Should -Be 18081
    }

    It '-Deploy queues a first deployment and outputs it as a [CicdOps.Deployment], which then succeeds' {
        $name = "$script:Token-deploy"
        $queued = Register-CicdProject -Name $name -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'deploy-tree') `
            -HealthTimeout (New-TimeSpan -Seconds 5) -Deploy
        $queued | Should -HaveCount 1
        $queued | Should -BeOfType ([CicdOps.Deployment])
        $queued.Project | Should -Be $name
        $followed = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $queued.Id -ScriptBlock { param($Id) Get-CicdDeploymentLog -Id $Id -Follow }
        $followed.Errors | Should -BeNullOrEmpty
        $done = Get-CicdDeployment -Id $queued.Id
        $done.Status | Should -Be 'Succeeded'
        $done.Commit | Should -Be $script:Repository.FirstCommit
        (Get-CicdProject -Name $name).Status | Should -Be 'Healthy'
    }

    It 'refuses a duplicate name: CicdProjectExists, ResourceExists, nothing changed' {
        { Register-CicdProject -Name "$script:Token-loud" -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'dup') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectExists,CicdOps.Cmdlets.Commands.RegisterCicdProjectCommand'
        Register-CicdProject -Name "$script:Token-loud" -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'dup') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-CicdProject -Name "$script:Token-loud").Path | Should -Be (Join-Path $TestDrive 'loud-tree')
    }

    It 'refuses a bad name: CicdInvalidProjectName, InvalidArgument' {
        { Register-CicdProject -Name 'Not Valid!' -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'bad') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidProjectName,CicdOps.Cmdlets.Commands.RegisterCicdProjectCommand'
        Register-CicdProject -Name 'Not Valid!' -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'bad') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a repository that does not answer: CicdRepositoryUnreachable, ConnectionError, nothing stored' {
        $name = "$script:Token-nowhere"
        Register-CicdProject -Name $name -Repository "file://$TestDrive/nowhere.git" -Path (Join-Path $TestDrive 'nowhere-tree') `
            -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdRepositoryUnreachable,CicdOps.Cmdlets.Commands.RegisterCicdProjectCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        Get-CicdProject -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-TestServiceUser | Where-Object { $_ -like "cicd_$name-*" } | Should -BeNullOrEmpty
    }
}

Describe 'Get-CicdProject and Set-CicdProject' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Shop = New-TestProject -Context $script:Context -Name shop
        $script:Blog = New-TestProject -Context $script:Context -Name blog
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'gets one project by name, several by wildcard, all without -Name' {
        (Get-CicdProject -Name $script:Shop.Name).Name | Should -Be $script:Shop.Name
        (Get-CicdProject -Name "$(Get-TestRunToken)-*").Name | Sort-Object | Should -Be (@($script:Blog.Name, $script:Shop.Name) | Sort-Object)
        @(Get-CicdProject).Count | Should -Be 2
        Get-CicdProject -Name $script:Shop.Name | Should -BeOfType ([CicdOps.Project])
    }

    It 'takes names from the pipeline, by value and by property name' {
        ($script:Shop.Name | Get-CicdProject).Name | Should -Be $script:Shop.Name
        ([pscustomobject]@{ Name = $script:Blog.Name } | Get-CicdProject).Name | Should -Be $script:Blog.Name
    }

    It 'shows a table with Name, Status, Branch, Commit, Pinned, Port and Sandboxed' {
        $table = Get-CicdProject | Out-String -Width 250
        $table | Should -Match 'Name\s+Status\s+Branch\s+Commit\s+Pinned\s+Port\s+Sandboxed'
        $table | Should -Match ([regex]::Escape($script:Shop.Name))
    }

    It 'reports an unknown name as CicdProjectNotFound (ObjectNotFound, the name as target), for that item only' {
        { Get-CicdProject -Name 'nosuch' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdProjectCommand'
        $found = Get-CicdProject -Name 'nosuch', $script:Shop.Name -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Name | Should -Be $script:Shop.Name
        $failures | Should -HaveCount 1
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be 'nosuch'
    }

    It 'a wildcard that matches nothing is not an error' {
        Get-CicdProject -Name 'zz*' -ErrorVariable failures | Should -BeNullOrEmpty
        $failures | Should -BeNullOrEmpty
    }

    It 'completes project names with TabExpansion2 (<Line>)' -ForEach @(
        @{ Line = 'Get-CicdProject -Name ' }
        @{ Line = 'Start-CicdDeployment -Name ' }
        @{ Line = 'Get-CicdDeploymentLog ' }
    ) {
        $typed = $Line + (Get-TestRunToken) + '-sh'
        $completions = (TabExpansion2 -inputScript $typed -cursorColumn $typed.Length).CompletionMatches.CompletionText
        $completions | Should -Contain $script:Shop.Name
        $completions | Should -Not -Contain $script:Blog.Name
    }

    It 'Set-CicdProject -WhatIf changes nothing' {
        Set-CicdProject -Name $script:Shop.Name -Port 18090 -WhatIf
        (Get-CicdProject -Name $script:Shop.Name).Port | Should -BeNullOrEmpty
    }

    It 'Set-CicdProject updates by name, and projects piped by value; -PassThru outputs the [CicdOps.Project]' {
        Set-CicdProject -Name $script:Shop.Name -Port 18090 | Should -BeNullOrEmpty
        (Get-CicdProject -Name $script:Shop.Name).Port | Should -Be 18090
        $updated = Get-CicdProject -Name $script:Blog.Name | Set-CicdProject -HealthTimeout (New-TimeSpan -Seconds 7) -PassThru
        $updated | Should -BeOfType ([CicdOps.Project])
        $updated.HealthTimeout | Should -Be (New-TimeSpan -Seconds 7)
        (Set-CicdProject -Name $script:Shop.Name -ClearPort -PassThru).Port | Should -BeNullOrEmpty
    }

    It 'Set-CicdProject reports an unknown project as CicdProjectNotFound and a bad port as CicdInvalidPort' {
        { Set-CicdProject -Name 'nosuch' -Port 18091 -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.SetCicdProjectCommand'
        { Set-CicdProject -Name $script:Shop.Name -Port 0 -ErrorAction Stop } | Should -Throw
        (Get-CicdProject -Name $script:Shop.Name).Port | Should -BeNullOrEmpty
    }

    It 'Set-CicdProject refuses -WebhookSecret with -ClearWebhookSecret: CicdInvalidArgument' {
        $secret = ConvertTo-SecureString 'a project secret' -AsPlainText -Force
        { Set-CicdProject -Name $script:Shop.Name -WebhookSecret $secret -ClearWebhookSecret -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.SetCicdProjectCommand'
        Set-CicdProject -Name $script:Shop.Name -WebhookSecret $secret
        Set-CicdProject -Name $script:Shop.Name -ClearWebhookSecret
    }
}

Describe 'Unregister-CicdProject' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Kept = New-TestProject -Context $script:Context -Name kept
        $script:Gone = New-TestProject -Context $script:Context -Name gone
        $script:Other = New-TestProject -Context $script:Context -Name other
        $deployed = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $script:Gone.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $deployed.Output[0].Status | Should -Be 'Succeeded'
    }
    AfterAll { Remove-TestContext $script:Context }

    It '-WhatIf keeps the project and its service user' {
        Unregister-CicdProject -Name $script:Kept.Name -RemoveServiceUser -Force -WhatIf
        Get-CicdProject -Name $script:Kept.Name | Should -Not -BeNullOrEmpty
        if ($script:Kept.Project.ServiceUser) { Test-UserExists $script:Kept.Project.ServiceUser | Should -BeTrue }
    }

    It 'removes a piped project with -RemoveServiceUser: its app is stopped, its user deleted, -PassThru outputs it' {
        $user = $script:Gone.Project.ServiceUser
        $uid = if ($user) { (& id -u $user) } else { $null }
        if ($uid) { @(& pgrep -u $uid) | Should -Not -BeNullOrEmpty -Because 'the deployed app runs as the service user' }
        $removed = Get-CicdProject -Name $script:Gone.Name | Unregister-CicdProject -RemoveServiceUser -Force -Confirm:$false -PassThru
        $removed | Should -BeOfType ([CicdOps.Project])
        $removed.Name | Should -Be $script:Gone.Name
        { Get-CicdProject -Name $script:Gone.Name -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdProjectCommand'
        if ($user) {
            Test-UserExists $user | Should -BeFalse
            Wait-Until { -not @(& pgrep -u $uid) } -TimeoutSeconds 10 | Should -BeTrue -Because 'no process of the removed user is left'
        }
    }

    It 'an unknown name is an error for that item only (CicdProjectNotFound, ObjectNotFound)' {
        Unregister-CicdProject -Name 'nosuch', $script:Other.Name -Force -Confirm:$false -RemoveServiceUser -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.UnregisterCicdProjectCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-CicdProject -Name $script:Other.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'A data directory deleted and made again at the same path' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Repository = New-TestRepository -Root (Join-Path $TestDrive 'origin')
        $script:Token = Get-TestRunToken
        $script:Again = Join-Path $TestDrive ('again-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'is a new, empty state: the session does not keep using the deleted database' {
        $first = "$script:Token-first"
        # An existing account: the deleted database takes no record of a cicd_* user with it.
        Register-CicdProject -Name $first -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'first-tree') -DataPath $script:Again -ServiceUser nobody
        (Get-CicdProject -DataPath $script:Again).Name | Should -Be $first
        Remove-Item -Recurse -Force $script:Again

        Get-CicdProject -DataPath $script:Again | Should -BeNullOrEmpty
        $second = "$script:Token-second"
        Register-CicdProject -Name $second -Repository $script:Repository.Url -Path (Join-Path $TestDrive 'second-tree') -DataPath $script:Again -ServiceUser nobody
        (Get-CicdProject -DataPath $script:Again).Name | Should -Be $second
        Test-Path (Join-Path $script:Again 'cicdops.db') | Should -BeTrue
        Unregister-CicdProject -Name $second -DataPath $script:Again -Force -Confirm:$false
    }
}
