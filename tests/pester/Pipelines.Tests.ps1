#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Test-CicdPipeline: pipeline files validated locally (schema with JSON pointer paths, conditions, run templates).
# Start-CicdPipeline, Get-CicdPipelineRun, Get-CicdPipelineRunLog and Stop-CicdPipelineRun against a real repository;
# every wait is bounded (Invoke-Bounded, Wait-Until).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
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

Describe 'Start-CicdPipeline, Get-CicdPipelineRun, Get-CicdPipelineRunLog and Stop-CicdPipelineRun' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Shop = New-TestProject -Context $script:Context -Name pipe
        $work = $script:Shop.Repository.Work
        New-Item -ItemType Directory -Path (Join-Path $work '.cicd') -Force | Out-Null
        Set-Content -Path (Join-Path $work '.cicd/pipeline.json') -Value @'
{"steps": [
  {"name": "greet", "run": "echo hello from {{context.event}}"},
  {"name": "waits", "condition": "context.event == 'manual'", "run": ["echo waiting-now", "sleep 300"]},
  {"name": "fails", "run": "exit 7"}
]}
'@
        $script:Commit = Save-TestCommit -Work $work -Message 'pipeline'
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'runs the pipeline for a push: a [CicdOps.PipelineRun] with typed steps, and a failed run is also an error' {
        $result = Invoke-Bounded -ArgumentList $script:Shop.Name, $script:Commit -ScriptBlock {
            param($Name, $Commit) Get-CicdProject -Name $Name | Start-CicdPipeline -Commit $Commit -Event push
        }
        $result.Output | Should -HaveCount 1
        $run = $result.Output[0]
        $run | Should -BeOfType ([CicdOps.PipelineRun])
        $run.Status | Should -Be ([CicdOps.PipelineRunStatus]::Failed)
        $run.Commit | Should -Be $script:Commit
        $run.Reason | Should -Be "step 'fails': command exited with code 7"
        $run.Steps[0] | Should -BeOfType ([CicdOps.PipelineStepResult])
        $run.Steps.Status | Should -Be @('Succeeded', 'Skipped', 'Failed')
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -Be 'CicdPipelineFailed,CicdOps.Cmdlets.Commands.StartCicdPipelineCommand'

        $listed = @(Get-CicdPipelineRun -Name $script:Shop.Name)
        $listed[0].RunId | Should -Be $run.RunId
        (Get-CicdPipelineRun -RunId $run.RunId).Steps.Name | Should -Be @('greet', 'waits', 'fails')
        $table = $listed | Format-Table | Out-String -Width 300
        $table | Should -Match 'RunId'
        $table | Should -Match ([regex]::Escape("step 'fails': command exited with code 7"))

        $log = @($run | Get-CicdPipelineRunLog)
        $log | Should -Contain '== step 0: greet =='
        ($log | Where-Object { $_ -like '* out  hello from push' }) | Should -Not -BeNullOrEmpty
        ($log | Where-Object { $_ -like '* cicd command exited with code 7' }) | Should -Not -BeNullOrEmpty
        $step2 = @(Get-CicdPipelineRunLog -RunId $run.RunId -Step 2)
        ($step2 | Where-Object { $_ -like '*hello*' }) | Should -BeNullOrEmpty
    }

    It 'follows a run another session runs and stops it from a third' {
        $runner = Start-Bounded -ArgumentList $script:Shop.Name, $script:Context.DataPath -ScriptBlock {
            param($Name, $DataPath) Start-CicdPipeline -Name $Name -DataPath $DataPath
        }
        try {
            $waiting = Wait-Until -TimeoutSeconds 120 -Condition {
                $r = Get-CicdPipelineRun -Name $script:Shop.Name -Last 1
                $r.Status -eq 'Running' -and (Test-Path (Join-Path $r.LogDirectory 'step-1.log')) -and
                    ((Get-Content (Join-Path $r.LogDirectory 'step-1.log') -Raw) -match 'waiting-now')
            }
            $waiting | Should -BeTrue
            $running = Get-CicdPipelineRun -Name $script:Shop.Name -Last 1
            $running.IsFinished | Should -BeFalse
            $follower = Start-Bounded -ArgumentList $running.RunId, $script:Context.DataPath -ScriptBlock {
                param($RunId, $DataPath) Get-CicdPipelineRunLog -RunId $RunId -Follow -DataPath $DataPath
            }

            Stop-CicdPipelineRun -RunId $running.RunId -WhatIf | Should -BeNullOrEmpty
            (Get-CicdPipelineRun -RunId $running.RunId).Status | Should -Be 'Running'
            $stopped = $running | Stop-CicdPipelineRun -Confirm:$false
            $stopped.Status | Should -Be ([CicdOps.PipelineRunStatus]::Cancelled)
            $stopped.Steps.Status | Should -Be @('Succeeded', 'Cancelled', 'NotRun')

            $followed = Wait-Bounded -Handle $follower -TimeoutSeconds 60
            ($followed.Output | Where-Object { $_ -like '* out  waiting-now' }) | Should -Not -BeNullOrEmpty
            ($followed.Output | Where-Object { $_ -like '* cicd cancelled' }) | Should -Not -BeNullOrEmpty
            $ran = Wait-Bounded -Handle $runner -TimeoutSeconds 60
            $ran.Output[0].Status | Should -Be ([CicdOps.PipelineRunStatus]::Cancelled)

            { Stop-CicdPipelineRun -RunId $running.RunId -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'CicdNothingToCancel,CicdOps.Cmdlets.Commands.StopCicdPipelineRunCommand'
            { Get-CicdPipelineRun -RunId '20990101000000-nothere' -ErrorAction Stop } |
                Should -Throw -ErrorId 'CicdPipelineRunNotFound,CicdOps.Cmdlets.Commands.GetCicdPipelineRunCommand'
        }
        finally { Close-Bounded $runner; Close-Bounded $follower }
    }

    It 'Set-CicdProject -RequirePipeline turns the deploy gate on and off' {
        (Set-CicdProject -Name $script:Shop.Name -RequirePipeline $true -PassThru).RequirePipeline | Should -BeTrue
        (Get-CicdProject -Name $script:Shop.Name).RequirePipeline | Should -BeTrue
        (Set-CicdProject -Name $script:Shop.Name -RequirePipeline $false -PassThru).RequirePipeline | Should -BeFalse
    }

    It 'Set-CicdProject -PipelineEvents subscribes to events, -CommitStatusToken is sealed and -CommitStatusApi is checked' {
        (Get-CicdProject -Name $script:Shop.Name).PipelineEvents | Should -Be @('push')
        (Set-CicdProject -Name $script:Shop.Name -PipelineEvents tag, pull_request -PassThru).PipelineEvents | Should -Be @('pull_request', 'tag')
        { Set-CicdProject -Name $script:Shop.Name -PipelineEvents merge -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,CicdOps.Cmdlets.Commands.SetCicdProjectCommand'
        $token = ConvertTo-SecureString 'pester-forge-token-41' -AsPlainText -Force
        Set-CicdProject -Name $script:Shop.Name -CommitStatusToken $token -CommitStatusApi 'https://git.example.com/api/v1'
        (Get-CicdProject -Name $script:Shop.Name).CommitStatusApi | Should -Be 'https://git.example.com/api/v1'
        (Get-CicdProject -Name $script:Shop.Name | ConvertTo-Json) | Should -Not -Match 'pester-forge-token-41'
        { Set-CicdProject -Name $script:Shop.Name -CommitStatusApi 'https://git.example.com/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.SetCicdProjectCommand'
        Set-CicdProject -Name $script:Shop.Name -ClearCommitStatusToken -ClearCommitStatusApi -PipelineEvents push
        (Get-CicdProject -Name $script:Shop.Name).CommitStatusApi | Should -BeNullOrEmpty
    }

    It 'completes run ids of the project' {
        $run = Get-CicdPipelineRun -Name $script:Shop.Name -Last 1
        $line = "Get-CicdPipelineRunLog -RunId $($run.RunId.Substring(0, 6))"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Contain $run.RunId
    }
}

Describe 'Get-CicdArtifact' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:Arts = New-TestProject -Context $script:Context -Name arts
        $work = $script:Arts.Repository.Work
        New-Item -ItemType Directory -Path (Join-Path $work '.cicd') -Force | Out-Null
        Set-Content -Path (Join-Path $work '.cicd/pipeline.json') -Value @'
{"steps": [
  {"name": "deps", "type": "cache-files", "key": "deps", "fileNames": ["deps"]},
  {"name": "build", "run": "mkdir -p dist deps && echo app > dist/app.txt && echo d > deps/d"},
  {"name": "keep", "type": "store-files", "key": "dist-{{context.branch}}", "fileNames": ["dist/*"], "expiry": 3600}
]}
'@
        $script:Commit = Save-TestCommit -Work $work -Message 'artifacts'
        $result = Invoke-Bounded -ArgumentList $script:Arts.Name, $script:Context.DataPath -ScriptBlock {
            param($Name, $DataPath) Start-CicdPipeline -Name $Name -DataPath $DataPath
        }
        $script:Run = $result.Output[0]
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'lists what a run kept as typed objects, with a table view' {
        $script:Run.Status | Should -Be ([CicdOps.PipelineRunStatus]::Succeeded)
        $all = @(Get-CicdArtifact -Name $script:Arts.Name)
        $all | Should -HaveCount 2
        $all[0] | Should -BeOfType ([CicdOps.PipelineArtifact])
        ($all | Where-Object Kind -eq 'Artifact').Key | Should -Be 'dist-main'
        ($all | Where-Object Kind -eq 'Cache').Key | Should -Be 'deps'
        @($script:Run | Get-CicdArtifact).Count | Should -Be 2
        @(Get-CicdArtifact -Kind Cache).Key | Should -Contain 'deps'
        $table = $all | Format-Table | Out-String -Width 300
        $table | Should -Match 'ExpiresAt'
        $table | Should -Match 'dist-main'
    }

    It 'writes one to -Destination, refuses to overwrite without -Force, and reports what is missing' {
        $tar = Join-Path $TestDrive 'dist.tar'
        $saved = Get-CicdArtifact -Name $script:Arts.Name -Artifact dist-main -Destination $tar
        $saved.Key | Should -Be 'dist-main'
        (& tar -tf $tar) | Should -Contain 'dist/app.txt'
        { Get-CicdArtifact -Name $script:Arts.Name -Artifact dist-main -Destination $tar -ErrorAction Stop } |
            Should -Throw '*use -Force*'
        (Get-CicdArtifact -Name $script:Arts.Name -Artifact dist-main -Destination $tar -Force).Key | Should -Be 'dist-main'
        { Get-CicdArtifact -Name $script:Arts.Name -Artifact nope -Destination (Join-Path $TestDrive 'n.tar') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdArtifactNotFound,CicdOps.Cmdlets.Commands.GetCicdArtifactCommand'
    }

    It 'completes artifact keys' {
        $line = "Get-CicdArtifact -Name $($script:Arts.Name) -Artifact dist"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Contain 'dist-main'
    }
}
