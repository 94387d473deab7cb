#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Set-CicdSecret, Get-CicdSecret, Remove-CicdSecret, and masking of secret values in the logs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Project secrets' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:SecretValue = 'sk-live-7f3a9c1e5b'
        $script:Vault = New-TestProject -Context $script:Context -Name vault
        $script:Name = $script:Vault.Name
        # install.sh writes to the deployment log, run.sh to the app log: the value, its base64, and the value in two writes.
        $echo = 'printf "key=%s\n" "$API_KEY"; printf "%s" "$API_KEY" | base64; printf "split=%s" "$(printf "%s" "$API_KEY" | cut -c1-5)"; printf "%s\n" "$(printf "%s" "$API_KEY" | cut -c6-)"'
        Set-TestScript -Work $script:Vault.Repository.Work -Name 'install.sh' -Body $echo
        Set-TestScript -Work $script:Vault.Repository.Work -Name 'run.sh' -Body "$echo`nexec sleep 600"
        Save-TestCommit -Work $script:Vault.Repository.Work -Message 'echo the secret' | Out-Null
        $script:Secure = ConvertTo-SecureString $script:SecretValue -AsPlainText -Force
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'Set-CicdSecret -WhatIf stores nothing' {
        Set-CicdSecret -Project $script:Name -Name API_KEY -Value $script:Secure -WhatIf
        Get-CicdSecret -Project $script:Name | Should -BeNullOrEmpty
    }

    It 'takes the value as a SecureString only' {
        (Get-Command Set-CicdSecret).Parameters['Value'].ParameterType | Should -Be ([securestring])
        { Set-CicdSecret -Project $script:Name -Name API_KEY -Value $script:SecretValue -ErrorAction Stop } | Should -Throw
        Get-CicdSecret -Project $script:Name | Should -BeNullOrEmpty
    }

    It 'sets a secret; -PassThru outputs a [CicdOps.SecretInfo] with its name, never its value' {
        $info = Set-CicdSecret -Project $script:Name -Name API_KEY -Value $script:Secure -PassThru
        $info | Should -BeOfType ([CicdOps.SecretInfo])
        $info.Name | Should -Be 'API_KEY'
        $info.Project | Should -Be $script:Name
        $info.PSObject.Properties.Name | Should -Not -Contain 'Value'
    }

    It 'Get-CicdSecret lists names and update times as a table, by wildcard, never the value' {
        $s = Get-CicdSecret -Project $script:Name
        @($s).Count | Should -Be 1
        $s.Name | Should -Be 'API_KEY'
        $s.UpdatedAt | Should -BeOfType [datetimeoffset]
        ($s | Out-String -Width 250) | Should -Match 'Project\s+Name\s+UpdatedAt'
        ($s | Out-String -Width 250) | Should -Match 'API_KEY'
        ($s | Format-List * | Out-String -Width 250) | Should -Not -Match ([regex]::Escape($script:SecretValue))
        Get-CicdSecret -Project $script:Name -Name 'API_*' | Should -Not -BeNullOrEmpty
        Get-CicdSecret -Project $script:Name -Name 'NOPE_*' | Should -BeNullOrEmpty
    }

    It 'a deployment whose scripts echo the secret logs only *** (deployment log and app log)' {
        $result = Invoke-Bounded -ArgumentList $script:Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $result.Errors | Should -BeNullOrEmpty
        $d = $result.Output[0]
        $d.Status | Should -Be 'Succeeded'
        $base64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($script:SecretValue))

        $deployLog = ($d | Get-CicdDeploymentLog) -join "`n"
        $deployLog | Should -Match 'key=\*\*\*'
        $deployLog | Should -Not -Match ([regex]::Escape($script:SecretValue))
        $deployLog | Should -Not -Match ([regex]::Escape($base64))

        $appLog = Join-Path $script:Context.DataPath "logs/$($script:Name)/app.log"
        Wait-Until { (Test-Path $appLog) -and ((Get-Content -Raw $appLog) -match 'split=') } -TimeoutSeconds 15 | Should -BeTrue
        $app = Get-Content -Raw $appLog
        $app | Should -Match 'key=\*\*\*'
        $app | Should -Not -Match ([regex]::Escape($script:SecretValue))
        $app | Should -Not -Match ([regex]::Escape($base64))
    }

    It 'reports a bad name as CicdInvalidSecretName (InvalidArgument) and stores nothing: <_>' -ForEach @('CICD_TOKEN', 'LD_PRELOAD', 'PATH', '1BAD', 'has space') {
        $bad = $_
        { Set-CicdSecret -Project $script:Name -Name $bad -Value $script:Secure -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidSecretName,CicdOps.Cmdlets.Commands.SetCicdSecretCommand'
        Set-CicdSecret -Project $script:Name -Name $bad -Value $script:Secure -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        (@(Get-CicdSecret -Project $script:Name).Name -join ',') | Should -Be 'API_KEY'
    }

    It 'reports a missing secret as CicdSecretNotFound, for that item only' {
        Set-CicdSecret -Project $script:Name -Name OTHER_KEY -Value $script:Secure
        Remove-CicdSecret -Project $script:Name -Name 'NOPE', 'OTHER_KEY' -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdSecretNotFound,CicdOps.Cmdlets.Commands.RemoveCicdSecretCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        (@(Get-CicdSecret -Project $script:Name).Name -join ',') | Should -Be 'API_KEY'
        { Get-CicdSecret -Project $script:Name -Name NOPE -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdSecretNotFound,CicdOps.Cmdlets.Commands.GetCicdSecretCommand'
    }

    It 'reports an unknown project as CicdProjectNotFound' {
        { Set-CicdSecret -Project 'nosuch' -Name API_KEY -Value $script:Secure -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.SetCicdSecretCommand'
    }

    It 'completes secret names with TabExpansion2' {
        $line = "Remove-CicdSecret -Project $script:Name -Name AP"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'API_KEY'
    }

    It 'Remove-CicdSecret -WhatIf changes nothing' {
        Get-CicdSecret -Project $script:Name | Remove-CicdSecret -WhatIf
        (@(Get-CicdSecret -Project $script:Name).Name -join ',') | Should -Be 'API_KEY'
    }

    It 'removes secrets piped from Get-CicdSecret (by property name); -PassThru outputs them' {
        $removed = Get-CicdSecret -Project $script:Name | Remove-CicdSecret -Confirm:$false -PassThru
        $removed | Should -BeOfType ([CicdOps.SecretInfo])
        $removed.Name | Should -Be 'API_KEY'
        Get-CicdSecret -Project $script:Name | Should -BeNullOrEmpty
    }
}
