#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Backup-CicdState: a consistent copy of the state database.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'State backup' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Backed = New-TestProject -Context $script:Context -Name backed
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'Backup-CicdState -WhatIf writes nothing' {
        $file = Join-Path $TestDrive 'whatif.db'
        Backup-CicdState -Path $file -WhatIf
        Test-Path $file | Should -BeFalse
    }

    It 'writes a new file and returns it; an existing file is CicdInvalidPath' {
        $file = Join-Path $TestDrive 'state.db'
        $written = Backup-CicdState -Path $file
        $written | Should -BeOfType System.IO.FileInfo
        $written.Length | Should -BeGreaterThan 0
        { Backup-CicdState -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidPath,CicdOps.Cmdlets.Commands.BackupCicdStateCommand'
    }
}
