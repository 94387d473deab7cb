#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Set-CicdPin and Invoke-CicdRollback against a local bare repository.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Set-CicdPin and Invoke-CicdRollback' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:App = New-TestProject -Context $script:Context -Name pinned
        $script:Good = $script:App.Repository.FirstCommit
        $first = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $first.Output[0].Status | Should -Be 'Succeeded'
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'rolling back without an earlier good commit reports CicdNoRollbackTarget (InvalidOperation)' {
        { Invoke-CicdRollback -Name $script:App.Name -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdNoRollbackTarget,CicdOps.Cmdlets.Commands.InvokeCicdRollbackCommand'
        Invoke-CicdRollback -Name $script:App.Name -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'Set-CicdPin -WhatIf pins nothing' {
        Set-CicdPin -Name $script:App.Name -WhatIf | Should -BeNullOrEmpty
        (Get-CicdProject -Name $script:App.Name).IsPinned | Should -BeFalse
    }

    It 'pins projects piped from Get-CicdProject; -PassThru outputs a [CicdOps.PinResult] shown as a table' {
        $result = Get-CicdProject -Name $script:App.Name | Set-CicdPin -PassThru
        $result | Should -BeOfType ([CicdOps.PinResult])
        $result.Project | Should -BeOfType ([CicdOps.Project])
        $result.Project.PinnedCommit | Should -Be $script:Good
        $result.Deployment | Should -BeNullOrEmpty -Because 'the pinned commit is already current'
        ($result | Out-String -Width 250) | Should -Match 'Project\s+Pinned\s+Status\s+DeploymentId\s+DeploymentStatus'
        (Get-CicdProject -Name $script:App.Name | Out-String -Width 250) | Should -Match ([regex]::Escape($script:Good.Substring(0, 7)))
    }

    It 'a pinned project records new deployments as Skipped' {
        Save-TestCommit -Work $script:App.Repository.Work -Message 'while pinned' | Out-Null
        $result = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $result.Output[0].Status | Should -Be ([CicdOps.DeploymentStatus]::Skipped)
        (Get-CicdProject -Name $script:App.Name).CurrentCommit | Should -Be $script:Good
    }

    It 'Set-CicdPin -Clear -WhatIf keeps the pin; -Clear removes it and -PassThru outputs the [CicdOps.Project]' {
        Set-CicdPin -Name $script:App.Name -Clear -WhatIf
        (Get-CicdProject -Name $script:App.Name).IsPinned | Should -BeTrue
        $project = Set-CicdPin -Name $script:App.Name -Clear -PassThru
        $project | Should -BeOfType ([CicdOps.Project])
        $project.IsPinned | Should -BeFalse
    }

    It 'Invoke-CicdRollback -WhatIf changes nothing; piped projects roll back to the previous good commit' {
        $newer = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $newer.Output[0].Status | Should -Be 'Succeeded'
        $current = (Get-CicdProject -Name $script:App.Name).CurrentCommit
        $current | Should -Not -Be $script:Good

        Invoke-CicdRollback -Name $script:App.Name -WhatIf | Should -BeNullOrEmpty
        (Get-CicdProject -Name $script:App.Name).CurrentCommit | Should -Be $current

        $result = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock {
            param($Name)
            $rollback = Get-CicdProject -Name $Name | Invoke-CicdRollback -Confirm:$false
            $rollback
            $rollback | Get-CicdDeploymentLog -Follow | Out-Null
        }
        $result.Errors | Should -BeNullOrEmpty
        $rollback = $result.Output[0]
        $rollback | Should -BeOfType ([CicdOps.Deployment])
        $rollback.Trigger | Should -Be 'Rollback'
        (Get-CicdDeployment -Id $rollback.Id).Status | Should -Be 'Succeeded'
        (Get-CicdProject -Name $script:App.Name).CurrentCommit | Should -Be $script:Good
    }

    It 'a deployment piped to Invoke-CicdRollback returns to its commit; piped to Set-CicdPin pins its commit' {
        $newer = Get-CicdDeployment -Name $script:App.Name | Where-Object { $_.Status -eq 'Succeeded' -and $_.Commit -ne $script:Good } |
            Select-Object -First 1
        $newer | Should -Not -BeNullOrEmpty
        $result = Invoke-Bounded -ArgumentList $newer -ScriptBlock {
            param($Deployment)
            $Deployment | Invoke-CicdRollback -Confirm:$false | Get-CicdDeploymentLog -Follow | Out-Null
        }
        $result.Errors | Should -BeNullOrEmpty
        (Get-CicdProject -Name $script:App.Name).CurrentCommit | Should -Be $newer.Commit

        $good = Get-CicdDeployment -Name $script:App.Name | Where-Object { $_.Status -eq 'Succeeded' -and $_.Commit -eq $script:Good } |
            Select-Object -First 1
        $pin = $good | Set-CicdPin -PassThru
        $pin.Project.PinnedCommit | Should -Be $script:Good
        $pin.Deployment | Should -BeOfType ([CicdOps.Deployment]) -Because 'reaching the pinned commit takes a deployment'
        $followed = Invoke-Bounded -ArgumentList $pin.Deployment.Id -ScriptBlock { param($Id) Get-CicdDeploymentLog -Id $Id -Follow }
        $followed.Errors | Should -BeNullOrEmpty
        (Get-CicdProject -Name $script:App.Name).CurrentCommit | Should -Be $script:Good
        Set-CicdPin -Name $script:App.Name -Clear
    }

    It 'Invoke-CicdRollback -Commit of a never-deployed commit reports CicdCommitNeverDeployed' {
        $never = Save-TestCommit -Work $script:App.Repository.Work -Message 'never deployed'
        { Invoke-CicdRollback -Name $script:App.Name -Commit $never -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdCommitNeverDeployed,CicdOps.Cmdlets.Commands.InvokeCicdRollbackCommand'
    }

    It 'Set-CicdPin reports an unknown project as CicdProjectNotFound' {
        { Set-CicdPin -Name 'nosuch' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.SetCicdPinCommand'
    }
}
