#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# The module as a package: it imports (in this session, again after Remove-Module, and in a fresh pwsh that has
# nothing but the module's path), its types have their PowerShell names, its help comes from the MAML, and every
# PowerShell source in the repository parses.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)

    # The manifest's list; xunit's CmdletContractTests pins which cmdlets that must be.
    $script:ExpectedCmdlets = (Import-PowerShellDataFile (Get-TestManifestPath)).CmdletsToExport | Sort-Object
}

Describe 'Importing the module' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Manifest = $script:Context.Manifest
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'exports exactly the CicdOps cmdlets, at the version of Directory.Build.props' {
        (Get-Command -Module CicdOps).Name | Sort-Object | Should -Be $script:ExpectedCmdlets
        (Get-Module CicdOps).Version | Should -Be ([version] (Import-PowerShellDataFile $script:Manifest).ModuleVersion)
        (Get-Module CicdOps).Version | Should -Not -Be ([version] '0.0')
    }

    It 'names its types [CicdOps.*], loaded in the default load context; the engine stays in its own' {
        $types = [CicdOps.Project], [CicdOps.Deployment], [CicdOps.StageResult], [CicdOps.PinResult], [CicdOps.SecretInfo],
        [CicdOps.WebhookDelivery], [CicdOps.DeploymentStatus], [CicdOps.DeploymentStage], [CicdOps.DeploymentTrigger],
        [CicdOps.StageOutcome], [CicdOps.ProjectStatus], [CicdOps.WebhookProvider]
        foreach ($type in $types) {
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($type.Assembly) |
                Should -Be ([System.Runtime.Loader.AssemblyLoadContext]::Default) -Because "$type is what users name"
        }
        Get-CicdProject | Out-Null # opens the engine
        $engine = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'CicdOps.Engine' })
        $engine | Should -Not -BeNullOrEmpty
        foreach ($assembly in $engine) {
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly) | Should -Not -Be ([System.Runtime.Loader.AssemblyLoadContext]::Default)
        }
    }

    It 'declares output types PowerShell can name (<Command>)' -ForEach @(
        @{ Command = 'Get-CicdProject'; Type = 'CicdOps.Project' }
        @{ Command = 'Start-CicdDeployment'; Type = 'CicdOps.Deployment' }
        @{ Command = 'Get-CicdDeployment'; Type = 'CicdOps.Deployment' }
        @{ Command = 'Stop-CicdDeployment'; Type = 'CicdOps.Deployment' }
        @{ Command = 'Invoke-CicdRollback'; Type = 'CicdOps.Deployment' }
        @{ Command = 'Set-CicdPin'; Type = 'CicdOps.PinResult' }
        @{ Command = 'Get-CicdSecret'; Type = 'CicdOps.SecretInfo' }
        @{ Command = 'Get-CicdRelease'; Type = 'CicdOps.Release' }
        @{ Command = 'Set-CicdProjectProxy'; Type = 'CicdOps.ProjectProxy' }
        @{ Command = 'Get-CicdProjectProxy'; Type = 'CicdOps.ProjectProxy' }
        @{ Command = 'Get-CicdWebhookDelivery'; Type = 'CicdOps.WebhookDelivery' }
    ) {
        (Get-Command $Command).OutputType.Type | Should -Contain ($Type -as [type])
    }

    It 'can be removed and imported again in one session; objects from before keep their type, and it still deploys' {
        $t = New-TestProject -Context $script:Context -Name reimport
        $before = Get-CicdProject -Name $t.Name
        Remove-Module CicdOps
        Get-Command Get-CicdProject -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Import-Module $script:Manifest
        $after = Get-CicdProject -Name $t.Name
        $after | Should -BeOfType ([CicdOps.Project])
        $before -is [CicdOps.Project] | Should -BeTrue
        $before.GetType() | Should -Be $after.GetType()
        $deployed = Invoke-Bounded -TimeoutSeconds 120 -ArgumentList $t.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $deployed.Errors | Should -BeNullOrEmpty
        $deployed.Output[0].Status | Should -Be ([CicdOps.DeploymentStatus]::Succeeded)
        # And once more, in this runspace, after the re-import.
        Remove-Module CicdOps
        Import-Module $script:Manifest
        (Get-CicdDeployment -Name $t.Name -Last 1).Status | Should -Be 'Succeeded'
    }

    It 'imports in a fresh pwsh with only the module path (no PSModulePath, no cicdops on PATH) and deploys there' {
        $repository = New-TestRepository -Root (Join-Path $TestDrive 'fresh')
        $name = "$(Get-TestRunToken)-fresh"
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:TEST_MANIFEST
(Get-Command -Module CicdOps).Name | Sort-Object | ForEach-Object { "cmdlet:$_" }
$null = Register-CicdProject -Name $env:TEST_NAME -Repository $env:TEST_REPOSITORY -Path $env:TEST_TREE -HealthTimeout (New-TimeSpan -Seconds 5)
$d = Start-CicdDeployment -Name $env:TEST_NAME
"deployment:$($d.GetType().FullName):$($d -is [CicdOps.Deployment]):$($d.Status)"
'@
        $result = Invoke-FreshPwsh -TimeoutSeconds 180 -Command $script -Environment @{
            TEST_MANIFEST = $script:Manifest; TEST_NAME = $name; TEST_REPOSITORY = $repository.Url
            TEST_TREE = (Join-Path $TestDrive 'fresh-tree'); CICDOPS_HOME = $script:Context.DataPath
        }
        $result.ErrorOutput | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $lines = $result.Output -split "`n" | ForEach-Object Trim
        ($lines | Where-Object { $_ -like 'cmdlet:*' } | ForEach-Object { $_.Substring(7) }) | Should -Be $script:ExpectedCmdlets
        $lines | Should -Contain 'deployment:CicdOps.Deployment:True:Succeeded'
        # This session sees what that one did: one data directory, one identity for the types.
        (Get-CicdProject -Name $name).Status | Should -Be 'Healthy'
    }

    It 'a -NoWait deployment from a pwsh that exits at once completes on its own (the worker the module carries)' {
        $repository = New-TestRepository -Root (Join-Path $TestDrive 'nowait')
        $name = "$(Get-TestRunToken)-nowait"
        $dataPath = Join-Path $TestDrive 'nowait-home'
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:TEST_MANIFEST
$null = Register-CicdProject -Name $env:TEST_NAME -Repository $env:TEST_REPOSITORY -Path $env:TEST_TREE -HealthTimeout (New-TimeSpan -Seconds 5)
"id:$((Start-CicdDeployment -Name $env:TEST_NAME -NoWait).Id)"
'@
        try {
            $result = Invoke-FreshPwsh -TimeoutSeconds 120 -Command $script -Environment @{
                TEST_MANIFEST = $script:Manifest; TEST_NAME = $name; TEST_REPOSITORY = $repository.Url
                TEST_TREE = (Join-Path $TestDrive 'nowait-tree'); CICDOPS_HOME = $dataPath
            }
            $result.ErrorOutput | Should -BeNullOrEmpty
            $result.ExitCode | Should -Be 0
            $id = [regex]::Match($result.Output, 'id:(\d+)').Groups[1].Value
            $id | Should -Not -BeNullOrEmpty
            # Watched through the log file only: opening the data directory here could run the deployment itself.
            $log = Join-Path $dataPath "logs/$name/deployments/$id.log"
            Wait-Until { (Test-Path $log) -and (Get-Content -Raw $log) -match '\[deploy\] (Succeeded|Failed|RolledBack|Cancelled|Interrupted)' } -TimeoutSeconds 90 |
                Should -BeTrue
            (Get-CicdDeployment -Id $id -DataPath $dataPath).Status | Should -Be 'Succeeded'
            (Get-CicdProject -Name $name -DataPath $dataPath).Status | Should -Be 'Healthy'
        }
        finally {
            Remove-TestContext ([pscustomobject]@{ DataPath = $dataPath; PreviousHome = $env:CICDOPS_HOME })
        }
    }
}

Describe 'A module whose cicdops cannot run' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        # A copy of the module whose carried executable fails at once, as one built for another machine would.
        $source = Split-Path $script:Context.Manifest
        $script:Copy = Join-Path $TestDrive 'modules/CicdOps'
        New-Item -ItemType Directory -Path $script:Copy -Force | Out-Null
        Get-ChildItem $source | Where-Object Name -ne 'bin' | Copy-Item -Destination $script:Copy -Recurse
        $rid = Split-Path (Get-ChildItem (Join-Path $source 'bin') -Directory | Select-Object -First 1) -Leaf
        $broken = Join-Path $script:Copy "bin/$rid/cicdops"
        New-Item -ItemType Directory -Path (Split-Path $broken) -Force | Out-Null
        Set-Content -Path $broken -Value "#!/bin/sh`necho 'cicdops: cannot run on this machine' >&2`nexit 1`n" -NoNewline
        & chmod +x $broken
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'reports CicdWorkerFailed with the reason instead of waiting' {
        $repository = New-TestRepository -Root (Join-Path $TestDrive 'broken-worker')
        $script = @'
Import-Module (Join-Path $env:TEST_MODULE 'CicdOps.psd1')
$null = Register-CicdProject -Name $env:TEST_NAME -Repository $env:TEST_REPOSITORY -Path $env:TEST_TREE -ErrorAction Stop
try { Start-CicdDeployment -Name $env:TEST_NAME -ErrorAction Stop; 'no error' }
catch { "error:$($_.FullyQualifiedErrorId)"; "message:$($_.Exception.Message)" }
'@
        # Run in its own process: this one already holds the real module's assemblies.
        $result = Invoke-FreshPwsh -TimeoutSeconds 60 -Command $script -Environment @{
            TEST_MODULE = $script:Copy; TEST_NAME = "$(Get-TestRunToken)-noworker"; TEST_REPOSITORY = $repository.Url
            TEST_TREE = (Join-Path $TestDrive 'noworker-tree'); CICDOPS_HOME = $script:Context.DataPath
        }
        $result.Output | Should -Match 'error:CicdWorkerFailed,CicdOps.Cmdlets.Commands.StartCicdDeploymentCommand'
        $result.Output | Should -Match 'cannot run on this machine'
    }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:ManifestCmdlets = @((Import-PowerShellDataFile (Get-TestManifestPath)).CmdletsToExport | Sort-Object)
}

Describe 'Help' {
    # Every cmdlet the manifest exports (read at discovery), so a new cmdlet is covered the day it is added.
    It 'Get-Help <_> -Full comes from the MAML: synopsis, description, every parameter described, examples' -ForEach $script:ManifestCmdlets {
        $help = Get-Help $_ -Full
        $help.PSTypeNames | Should -Contain 'MamlCommandHelpInfo'
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape("$_ ["))   # the generated stub is the syntax line
        ($help.description.Text -join ' ') | Should -Not -BeNullOrEmpty
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $declared = (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }
        $documented = @($help.parameters.parameter)
        foreach ($parameter in $declared) {
            $entry = $documented | Where-Object Name -eq $parameter
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter of $_ needs help"
            ($entry.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter of $_ needs a description"
        }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        $help.examples.example[0].code | Should -Match ([regex]::Escape($_))

        $examples = Get-Help $_ -Examples | Out-String -Width 250
        $examples | Should -Match 'Example 1'
        $examples | Should -Match ([regex]::Escape($_))
    }

    It 'has an about_CicdOps topic' {
        Get-Help about_CicdOps | Out-String | Should -Match 'CICDOPS_HOME'
    }
}

Describe 'PowerShell sources' {
    # Replaces the tree-sitter gate: PowerShell's own parser, on every script, module and data file of the repository.
    It 'every .ps1/.psm1/.psd1 in the repository parses' {
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $skip = '[\\/](\.git|node_modules|bin|obj|artifacts|TestResults)[\\/]'
        $files = Get-ChildItem -Path $root -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' | Where-Object FullName -notmatch $skip
        $files.Count | Should -BeGreaterThan 5
        $problems = foreach ($file in $files) {
            $tokens = $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref] $tokens, [ref] $errors)
            foreach ($e in $errors) { "$($file.FullName):$($e.Extent.StartLineNumber): $($e.Message)" }
        }
        $problems | Should -BeNullOrEmpty
    }
}
