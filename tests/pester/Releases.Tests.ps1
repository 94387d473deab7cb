#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Release directories: Set-CicdProject -KeepReleases/-SharedPath, Get-CicdRelease, and a rollback to a kept release.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestRepository.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Get-CicdRelease' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:App = New-TestProject -Context $script:Context -Name released
        $script:First = $script:App.Repository.FirstCommit
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'a project not deployed yet has none, and keeps 5 by default' {
        (Get-CicdProject -Name $script:App.Name).KeepReleases | Should -Be 5
        Get-CicdRelease -Name $script:App.Name | Should -BeNullOrEmpty
    }

    It 'a bad -SharedPath is CicdInvalidArgument and changes nothing' {
        { Set-CicdProject -Name $script:App.Name -KeepReleases 3 -SharedPath '../outside' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.SetCicdProjectCommand'
        (Get-CicdProject -Name $script:App.Name).KeepReleases | Should -Be 5
    }

    It 'lists each deployed commit as a [CicdOps.Release], the newest current and last good, shown as a table' {
        $project = Set-CicdProject -Name $script:App.Name -KeepReleases 3 -SharedPath '.env', 'storage/' -PassThru
        $project.KeepReleases | Should -Be 3
        $project.SharedPaths | Should -Be @('.env', 'storage/')
        $first = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $first.Output[0].Status | Should -Be 'Succeeded'
        $script:Second = Save-TestCommit -Work $script:App.Repository.Work -Message 'second'
        $second = Invoke-Bounded -ArgumentList $script:App.Name -ScriptBlock { param($Name) Start-CicdDeployment -Name $Name }
        $second.Output[0].Status | Should -Be 'Succeeded'

        $releases = @(Get-CicdProject -Name $script:App.Name | Get-CicdRelease)
        $releases.Count | Should -Be 2
        $releases[0] | Should -BeOfType ([CicdOps.Release])
        $releases[0].Commit | Should -Be $script:Second
        $releases[0].IsCurrent | Should -BeTrue
        $releases[0].IsLastGood | Should -BeTrue
        $releases[1].Commit | Should -Be $script:First
        $releases[1].IsCurrent | Should -BeFalse
        $releases[0].SizeBytes | Should -BeGreaterThan 0
        (Get-CicdRelease -Name $script:App.Name -Current).Commit | Should -Be $script:Second
        ($releases | Out-String -Width 250) | Should -Match 'Project\s+Name\s+Commit\s+CreatedAt\s+InstalledAt\s+SizeBytes\s+IsCurrent\s+IsLastGood'
    }

    It 'Invoke-CicdRollback to a kept release switches current without git' {
        $result = Invoke-Bounded -ArgumentList $script:App.Name, $script:First -ScriptBlock {
            param($Name, $Commit)
            $rollback = Invoke-CicdRollback -Name $Name -Commit $Commit -Confirm:$false
            $rollback
            $rollback | Get-CicdDeploymentLog -Follow | Out-Null
        }
        $result.Errors | Should -BeNullOrEmpty
        $id = $result.Output[0].Id
        (Get-CicdDeployment -Id $id).Status | Should -Be 'Succeeded'
        (Get-CicdDeploymentLog -Id $id) -join "`n" | Should -Match 'no git and no install'
        (Get-CicdRelease -Name $script:App.Name -Current).Commit | Should -Be $script:First
    }

    It 'an unknown project is CicdProjectNotFound' {
        { Get-CicdRelease -Name 'no-such-project-here' -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdReleaseCommand'
    }
}

Describe 'Set-CicdProjectProxy' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        $script:App = New-TestProject -Context $script:Context -Name proxied
        $script:Conf = Join-Path $TestDrive 'nginx-conf'
        New-Item -ItemType Directory -Path $script:Conf | Out-Null
        chmod 755 $script:Conf
        $script:Nginx = Get-Command nginx -ErrorAction Ignore | Select-Object -ExpandProperty Source -First 1
        if (-not $script:Nginx) { $script:Nginx = '/usr/sbin/nginx' }
        $script:Ports = (Get-FreeLoopbackPort), (Get-FreeLoopbackPort)
    }
    AfterAll { Remove-TestContext $script:Context }

    It 'an upstream file inside the project tree is CicdInvalidPath and stores nothing' {
        { Set-CicdProjectProxy -Name $script:App.Name -Ports $script:Ports -UpstreamFile (Join-Path $script:App.Project.Path 'up.conf') -NginxPath $script:Nginx -ErrorAction Stop } |
            Should -Throw -ErrorId 'CicdInvalidPath,CicdOps.Cmdlets.Commands.SetCicdProjectProxyCommand'
    }

    It '-Ports takes exactly two ports' {
        { Set-CicdProjectProxy -Name $script:App.Name -Ports 18001 -UpstreamFile (Join-Path $script:Conf 'up.conf') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CicdOps.Cmdlets.Commands.SetCicdProjectProxyCommand'
    }

    It '-PassThru writes a [CicdOps.ProjectProxy]; -Clear removes it (and clearing again is no error)' {
        $up = Join-Path $script:Conf 'up.conf'
        $proxy = Set-CicdProjectProxy -Name $script:App.Name -Ports $script:Ports -UpstreamFile $up -NginxPath $script:Nginx `
            -DrainPeriod (New-TimeSpan -Seconds 2) -PassThru -Confirm:$false
        $proxy | Should -BeOfType ([CicdOps.ProjectProxy])
        $proxy.FirstPort | Should -Be $script:Ports[0]
        $proxy.DrainPeriod | Should -Be (New-TimeSpan -Seconds 2)
        $proxy.ActivePort | Should -BeNullOrEmpty
        $shown = Get-CicdProjectProxy -Name $script:App.Name
        $shown | Should -BeOfType ([CicdOps.ProjectProxy])
        $shown.UpstreamFile | Should -Be $up
        $shown.Kind | Should -Be ([CicdOps.ProxyKind]::Nginx)
        Set-CicdProjectProxy -Name $script:App.Name -Clear -Confirm:$false
        Get-CicdProjectProxy -Name $script:App.Name | Should -BeNullOrEmpty
        Set-CicdProjectProxy -Name $script:App.Name -Clear -Confirm:$false -ErrorAction Stop
    }

    It 'the default table shows what each kind switches: the upstream file (nginx), the admin API and route @id (Caddy)' {
        $caddyApp = New-TestProject -Context $script:Context -Name caddied
        $up = Join-Path $script:Conf 'table.conf'
        # A real Caddy (setting a Caddy proxy asks its admin API for the route): admin API and one reverse_proxy route with an @id.
        $adminPort = Get-FreeLoopbackPort
        $admin = "http://127.0.0.1:$adminPort"
        $caddyDir = Join-Path $TestDrive 'caddy'
        New-Item -ItemType Directory -Path $caddyDir | Out-Null
        $caddyConfig = Join-Path $caddyDir 'caddy.json'
        @{
            admin   = @{ listen = "127.0.0.1:$adminPort" }
            storage = @{ module = 'file_system'; root = (Join-Path $caddyDir 'storage') }
            apps    = @{ http = @{ servers = @{ app = @{
                listen = @("127.0.0.1:$(Get-FreeLoopbackPort)"); automatic_https = @{ disable = $true }
                routes = @(@{ handle = @(@{ '@id' = 'caddied-route'; handler = 'reverse_proxy'; upstreams = @(@{ dial = '127.0.0.1:9' }) }) })
            } } } }
        } | ConvertTo-Json -Depth 12 | Set-Content -Path $caddyConfig
        $env:HOME, $savedHome = $caddyDir, $env:HOME
        $caddy = Start-Process -FilePath /usr/bin/caddy -ArgumentList 'run', '--config', $caddyConfig -PassThru -RedirectStandardError (Join-Path $caddyDir 'err.log') -RedirectStandardOutput (Join-Path $caddyDir 'out.log')
        $env:HOME = $savedHome
        try {
            $deadline = (Get-Date).AddSeconds(15)
            while (-not (Test-PortAnswers -Port $adminPort)) {
                if ((Get-Date) -gt $deadline -or $caddy.HasExited) { throw "caddy did not start: $(Get-Content (Join-Path $caddyDir 'err.log') -Raw)" }
                Start-Sleep -Milliseconds 100
            }
            Set-CicdProjectProxy -Name $script:App.Name -Ports $script:Ports -UpstreamFile $up -NginxPath $script:Nginx -Confirm:$false
            Set-CicdProjectProxy -Name $caddyApp.Name -Ports (Get-FreeLoopbackPort), (Get-FreeLoopbackPort) -CaddyAdmin $admin -CaddyRoute 'caddied-route' -Confirm:$false

            $table = Get-CicdProjectProxy -Name $script:App.Name, $caddyApp.Name | Out-String -Width 250
            $table | Should -Match 'Project\s+Kind\s+FirstPort\s+SecondPort\s+ActivePort\s+Target\s+DrainPeriod'
            $table | Should -Match ("Nginx\s+{0}\s+{1}\s+{2}\s+" -f $script:Ports[0], $script:Ports[1], [regex]::Escape($up))
            $table | Should -Match ("Caddy\s+\d+\s+\d+\s+{0} @id caddied-route\s+00:00:05" -f [regex]::Escape($admin))
        }
        finally {
            Set-CicdProjectProxy -Name $script:App.Name, $caddyApp.Name -Clear -Confirm:$false
            Stop-Process -Id $caddy.Id -Force -ErrorAction Ignore
            $caddy.WaitForExit(10000) | Out-Null
        }
    }
}
