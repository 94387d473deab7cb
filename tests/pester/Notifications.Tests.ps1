#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Add-, Get-, Set-, Remove-, Test-CicdNotificationChannel and Get-CicdNotification against a real HTTP receiver on loopback.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-TestManifestPath)
}

Describe 'Notification channels' {
    BeforeAll {
        $script:Context = New-TestContext -Root $TestDrive
        # A real receiver: python3's HTTP server, answering 200 to POST and keeping each body as a file.
        $script:Inbox = Join-Path $TestDrive 'inbox'
        New-Item -ItemType Directory -Path $script:Inbox | Out-Null
        $script:Port = Get-FreeLoopbackPort
        $receiver = @'
import http.server, sys, os, itertools
n = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(os.path.join(sys.argv[2], '%03d-%s.json' % (next(n), self.path.strip('/').replace('/', '_'))), 'wb') as f: f.write(body)
        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
'@
        $script:ReceiverScript = Join-Path $TestDrive 'receiver.py'
        Set-Content -Path $script:ReceiverScript -Value $receiver
        $script:Receiver = Start-Process -FilePath python3 -ArgumentList $script:ReceiverScript, $script:Port, $script:Inbox -PassThru
        Wait-Until -TimeoutSeconds 15 -Condition { Test-PortAnswers -Port $script:Port } | Out-Null
        $script:Url = "http://127.0.0.1:$($script:Port)/hook/T0KEN-abcdef123456"
    }
    AfterAll {
        if ($script:Receiver -and -not $script:Receiver.HasExited) { Stop-Process -Id $script:Receiver.Id }
        Remove-TestContext $script:Context
    }

    It 'Add-CicdNotificationChannel -WhatIf adds nothing' {
        Add-CicdNotificationChannel -Name ops -Type Slack -Url $script:Url -WhatIf
        Get-CicdNotificationChannel | Should -BeNullOrEmpty
    }

    It 'adds a channel as a [CicdOps.NotificationChannel] whose target hides the URL token, in a table and in every property' {
        $ch = Add-CicdNotificationChannel -Name ops -Type Slack -Url $script:Url -Event DeploymentFailed, DeploymentRolledBack -MinInterval (New-TimeSpan -Minutes 30)
        $ch | Should -BeOfType ([CicdOps.NotificationChannel])
        $ch.Target | Should -Be "http://127.0.0.1:$($script:Port)/***"
        $ch.Events | Should -Be @([CicdOps.NotificationEventKind]::DeploymentFailed, [CicdOps.NotificationEventKind]::DeploymentRolledBack)
        $table = Get-CicdNotificationChannel | Out-String -Width 250
        $table | Should -Match 'Name\s+Type\s+Target\s+Events\s+Projects\s+MinInterval'
        $table | Should -Match 'DeploymentFailed,DeploymentRolledBack'
        (Get-CicdNotificationChannel -Name 'o*' | Format-List * | Out-String -Width 250) | Should -Not -Match 'T0KEN'
    }

    It 'takes a webhook signing secret as a SecureString only, and refuses a webhook without one in one line' {
        (Get-Command Add-CicdNotificationChannel).Parameters['SigningSecret'].ParameterType | Should -Be ([securestring])
        Add-CicdNotificationChannel -Name hooks -Type Webhook -Url $script:Url -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdInvalidArgument,CicdOps.Cmdlets.Commands.AddCicdNotificationChannelCommand'
        $failures[0].Exception.Message | Should -Match '-SigningSecret'
        Get-CicdNotificationChannel -Name hooks -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'a second channel of the same name is CicdNotificationChannelExists; an unknown one ObjectNotFound' {
        Add-CicdNotificationChannel -Name ops -Type Discord -Url $script:Url -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -Be 'CicdNotificationChannelExists,CicdOps.Cmdlets.Commands.AddCicdNotificationChannelCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-CicdNotificationChannel -Name nope -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'Test-CicdNotificationChannel sends a test message and reports the answer' {
        $r = Get-CicdNotificationChannel -Name ops | Test-CicdNotificationChannel
        $r | Should -BeOfType ([CicdOps.NotificationTestResult])
        $r.Success | Should -BeTrue
        $r.Answer | Should -Be 'HTTP 200 OK'
        $file = Get-ChildItem $script:Inbox | Select-Object -First 1
        $file.Name | Should -Match 'hook_T0KEN'
        (Get-Content $file.FullName -Raw | ConvertFrom-Json).text | Should -Match 'test message'
    }

    It 'Set-CicdNotificationChannel changes what is given and keeps the rest' {
        $ch = Set-CicdNotificationChannel -Name ops -AllEvents -Project shop -PassThru
        $ch.Events | Should -BeNullOrEmpty
        $ch.Projects | Should -Be @('shop')
        $ch.MinInterval | Should -Be (New-TimeSpan -Minutes 30)
        $ch.Target | Should -Be "http://127.0.0.1:$($script:Port)/***"
    }

    It 'TabExpansion2 completes channel names' {
        $line = 'Test-CicdNotificationChannel -Name o'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Contain 'ops'
    }

    It 'Get-CicdNotification lists no messages before any event; Remove-CicdNotificationChannel takes piped channels' {
        @(Get-CicdNotification).Count | Should -Be 0
        Get-CicdNotificationChannel | Remove-CicdNotificationChannel -WhatIf
        @(Get-CicdNotificationChannel).Count | Should -Be 1
        $gone = Get-CicdNotificationChannel | Remove-CicdNotificationChannel -PassThru -Confirm:$false
        $gone.Name | Should -Be 'ops'
        Get-CicdNotificationChannel | Should -BeNullOrEmpty
    }
}
