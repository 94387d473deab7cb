#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Test-CicdPipeline: pipeline files validated locally (schema with JSON pointer paths, conditions, run templates).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Test-CicdPipeline' {
    BeforeAll {
        $script:Repo = Join-Path $TestDrive 'repo'
        New-Item -ItemType Directory -Path (Join-Path $script:Repo '.simpleci') -Force | Out-Null
        # SimpleCI's own example, as its README has it.
        Set-Content -Path (Join-Path $script:Repo '.simpleci/pipeline.json') -Value @'
{
  "steps": [
    { "name": "Install dependencies", "condition": "context.event == 'push'", "run": ["echo \"Starting installation\"", "npm install"] },
    { "name": "Run build", "condition": "context.event == 'push' && env.ENABLE_TESTS == 'true'", "run": "npm run test" }
  ]
}
'@
        $script:Broken = Join-Path $TestDrive 'broken.json'
        Set-Content -Path $script:Broken -Value '{"steps": [{"name": "a", "contition": "true", "run": "x"}, {"name": "b", "run": 42}, {"name": "c", "condition": "context.event ==", "run": "echo {{context.nosuch}}"}]}'
    }

    It 'validates .simpleci/pipeline.json of the current location when no path is given' {
        Push-Location $script:Repo
        try { $result = Test-CicdPipeline }
        finally { Pop-Location }
        $result | Should -BeOfType ([CicdOps.PipelineValidationResult])
        $result.IsValid | Should -BeTrue
        $result.StepCount | Should -Be 2
        $result.Path | Should -Be (Join-Path $script:Repo '.simpleci/pipeline.json')
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'prefers .cicd/pipeline.json over SimpleCI''s file' {
        New-Item -ItemType Directory -Path (Join-Path $script:Repo '.cicd') -Force | Out-Null
        Set-Content -Path (Join-Path $script:Repo '.cicd/pipeline.json') -Value '{"steps": [{"name": "only", "run": "true"}]}'
        Push-Location $script:Repo
        try { $result = Test-CicdPipeline }
        finally { Pop-Location; Remove-Item -Recurse -Force (Join-Path $script:Repo '.cicd') }
        $result.Path | Should -Be (Join-Path $script:Repo '.cicd/pipeline.json')
        $result.StepCount | Should -Be 1
    }

    It 'reports every error of an invalid file with its JSON pointer, as output rather than an error' {
        $result = Test-CicdPipeline -Path $script:Broken -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        $result.IsValid | Should -BeFalse
        $result.Errors | Should -Contain "/steps/0/contition: unknown property 'contition'"
        ($result.Errors | Where-Object { $_ -like '/steps/1/run: *' }) | Should -Not -BeNullOrEmpty
    }

    It 'compiles conditions and templates once the schema passes' {
        $file = Join-Path $TestDrive 'compile.json'
        Set-Content -Path $file -Value '{"steps": [{"name": "c", "condition": "context.event ==", "run": ["true", "echo {{context.nosuch}}"]}]}'
        $result = Test-CicdPipeline $file
        $result.Errors | Should -HaveCount 2
        $result.Errors[0] | Should -BeLike '/steps/0/condition: not a JavaScript expression*'
        $result.Errors[1] | Should -Be "/steps/0/run/1: unknown variable 'context.nosuch'"
    }

    It 'takes files from Get-ChildItem by FullName' {
        $results = @(Get-ChildItem -Path $TestDrive -Recurse -Filter *.json | Test-CicdPipeline)
        $results.Count | Should -BeGreaterOrEqual 2
        ($results | Where-Object Path -eq $script:Broken).IsValid | Should -BeFalse
    }

    It 'a missing file is CicdInvalidPath, and the table view shows the errors' {
        { Test-CicdPipeline -Path (Join-Path $TestDrive 'nope.json') -ErrorAction Stop } | Should -Throw -ErrorId 'CicdInvalidPath,CicdOps.Cmdlets.Commands.TestCicdPipelineCommand'
        $table = Test-CicdPipeline -Path $script:Broken | Format-Table | Out-String -Width 300
        $table | Should -Match 'IsValid'
        $table | Should -Match ([regex]::Escape("unknown property 'contition'"))
    }
}
