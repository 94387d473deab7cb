#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Connect-CicdFleet, Get-CicdFleet, Disconnect-CicdFleet in real pwsh. The PostgreSQL registry itself is exercised by
# the xunit fleet suites (a private cluster); here the cmdlets' own paths: -WhatIf, errors, masking, join and leave.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'The fleet cmdlets' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        # Nothing listens on this loopback port: a registry that cannot be reached now.
        $script:Unreachable = "postgres://fleetuser:s3cr3t-pw@127.0.0.1:$(Get-FreeLoopbackPort)/fleet"
        function script:Secure([string] $Text) { ConvertTo-SecureString -String $Text -AsPlainText -Force }
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'Get-CicdFleet on a server that joined no fleet is CicdNotInFleet (InvalidOperation)' {
        { Get-CicdFleet -ErrorAction Stop } | Should -Throw -ErrorId 'CicdNotInFleet,CicdOps.Cmdlets.Commands.GetCicdFleetCommand'
        Get-CicdFleet -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'Connect-CicdFleet -WhatIf stores nothing' {
        Connect-CicdFleet -Registry (Secure $script:Unreachable) -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $script:Context.DataPath 'fleet.json') | Should -BeFalse
        { Get-CicdFleet -ErrorAction Stop } | Should -Throw -ErrorId 'CicdNotInFleet,*'
    }

    It 'refuses a registry it cannot reach (CicdFleetRegistryUnavailable, ConnectionError) and never shows its password' {
        Connect-CicdFleet -Registry (Secure $script:Unreachable) -ErrorVariable failures -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'CicdFleetRegistryUnavailable,*'
        $failures[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        ($failures[0] | Out-String) | Should -Not -Match 's3cr3t-pw'
        { Get-CicdFleet -ErrorAction Stop } | Should -Throw -ErrorId 'CicdNotInFleet,*'
    }

    It 'joins with -Force while the registry is down, and Disconnect-CicdFleet -Force leaves again' {
        Connect-CicdFleet -Registry (Secure $script:Unreachable) -NodeName 'pester-node' -Force -ErrorAction SilentlyContinue | Out-Null
        Test-Path (Join-Path $script:Context.DataPath 'fleet.json') | Should -BeTrue
        (Get-Content -Raw (Join-Path $script:Context.DataPath 'fleet.json')) | Should -Not -Match 's3cr3t-pw'
        Disconnect-CicdFleet -Force -Confirm:$false -ErrorAction SilentlyContinue | Out-Null
        Test-Path (Join-Path $script:Context.DataPath 'fleet.json') | Should -BeFalse
        { Get-CicdFleet -ErrorAction Stop } | Should -Throw -ErrorId 'CicdNotInFleet,*'
    }
}
