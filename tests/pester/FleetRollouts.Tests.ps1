#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# The fleet action cmdlets in real pwsh: their own paths without a registry (-WhatIf, PowerShell-worded errors, help,
# completion). Rollouts against real listeners and a real PostgreSQL registry are the xunit suites' (FleetRolloutTests,
# FleetRolloutCmdletTests).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'The fleet action cmdlets' {
    BeforeAll { $script:Context = New-TestContext -Root $TestDrive }
    AfterAll { Remove-TestContext $script:Context }

    It 'Start-CicdFleetDeployment on a server that joined no fleet is CicdNotInFleet (InvalidOperation)' {
        { Start-CicdFleetDeployment shop -ErrorAction Stop } | Should -Throw -ErrorId 'CicdNotInFleet,CicdOps.Cmdlets.Commands.StartCicdFleetDeploymentCommand'
        Get-CicdFleetRollout -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'CicdNotInFleet,*'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'bad parameters are CicdInvalidArgument in PowerShell words' {
        Start-CicdFleetDeployment shop -Wave -WaveSize 0 -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'CicdInvalidArgument,*'
        $failures[0].Exception.Message | Should -Match '-WaveSize'
        $failures[0].Exception.Message | Should -Not -Match '--wave-size'
        { Invoke-CicdFleetRollback shop -WaveTimeoutSeconds 0 -Confirm:$false -ErrorAction Stop } | Should -Throw '*-WaveTimeoutSeconds*'
        { Get-CicdFleetRollout -Id 'not-hex' -ErrorAction Stop } | Should -Throw -ErrorId 'CicdInvalidArgument,*'
    }

    It '-WhatIf asks nothing of the fleet' {
        Start-CicdFleetDeployment shop -Wave -WhatIf | Should -BeNullOrEmpty
        Set-CicdFleetPin shop -Clear -WhatIf | Should -BeNullOrEmpty
        Invoke-CicdFleetRollback shop -WhatIf | Should -BeNullOrEmpty
    }

    It 'declares its output type, has help, and completes project names' {
        (Get-Command Start-CicdFleetDeployment).OutputType.Name | Should -Be 'CicdOps.FleetRollout'
        (Get-Command Get-CicdFleetRollout).OutputType.Name | Should -Be 'CicdOps.FleetRollout'
        (Get-Help Start-CicdFleetDeployment).Synopsis | Should -Match 'every node'
        (Get-Help Start-CicdFleetDeployment -Parameter WaveSize).defaultValue | Should -Be '25'
        (Get-Command Invoke-CicdFleetRollback).Parameters['Commit'].Attributes.Where({ $_ -is [ArgumentCompleter] }) | Should -HaveCount 1
    }
}
