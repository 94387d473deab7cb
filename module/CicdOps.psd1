# Module manifest for CicdOps. ModuleVersion is a token the build replaces with the version from
# Directory.Build.props (the one place it lives); import the built copy under artifacts/module/, not this file.
@{
    RootModule             = 'CicdOps.Cmdlets.dll'
    # The types users name and pipe ([CicdOps.Project], [CicdOps.Deployment], ...): loaded first, into pwsh's
    # default load context, so the cmdlets, the engine (in its own context) and the user share one identity.
    RequiredAssemblies     = @('CicdOps.Contracts.dll')
    ModuleVersion          = '@ModuleVersion@'
    GUID                   = '97c53d09-3c93-4bc2-908f-a0b51744a856'
    Author                 = 'CicdOps contributors'
    CompanyName            = 'CicdOps contributors'
    Copyright              = '(c) CicdOps contributors. All rights reserved.'
    Description            = 'Self-hosted push-to-deploy orchestrator: register git projects, deploy them as unprivileged services, health-check, pin and roll back.'
    PowerShellVersion      = '7.4'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('CicdOps.Format.ps1xml')
    TypesToProcess         = @('CicdOps.Types.ps1xml')
    CmdletsToExport        = @(
        'Register-CicdProject'
        'Get-CicdProject'
        'Set-CicdProject'
        'Unregister-CicdProject'
        'Start-CicdDeployment'
        'Get-CicdDeployment'
        'Get-CicdDeploymentLog'
        'Stop-CicdDeployment'
        'Set-CicdPin'
        'Invoke-CicdRollback'
        'Get-CicdRelease'
        'Set-CicdProjectProxy'
        'Get-CicdProjectProxy'
        'Start-CicdListener'
        'Get-CicdWebhookDelivery'
        'Install-CicdListenerService'
        'Set-CicdSecret'
        'Get-CicdSecret'
        'Remove-CicdSecret'
        'Backup-CicdState'
        'Connect-CicdFleet'
        'Disconnect-CicdFleet'
        'Get-CicdFleet'
        'Test-CicdPipeline'
        'Watch-CicdFleet'
        'Start-CicdFleetDeployment'
        'Set-CicdFleetPin'
        'Invoke-CicdFleetRollback'
        'Get-CicdFleetRollout'
        'New-CicdApiToken'
        'Get-CicdApiToken'
        'Get-CicdArtifact'
        'Revoke-CicdApiToken'
        'New-CicdDashboardLogin'
        'Get-CicdDashboardSession'
        'Revoke-CicdDashboardSession'
        'Start-CicdPipeline'
        'Get-CicdPipelineRun'
        'Get-CicdPipelineRunLog'
        'Stop-CicdPipelineRun'
        'Get-CicdEvent'
        'Add-CicdNotificationChannel'
        'Get-CicdNotificationChannel'
        'Set-CicdNotificationChannel'
        'Remove-CicdNotificationChannel'
        'Test-CicdNotificationChannel'
        'Get-CicdNotification'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('CICD', 'Deployment', 'GitOps', 'Webhook', 'Rollback', 'Linux', 'Secrets')
            LicenseUri   = 'https://github.com/cicdops/cicdops/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/cicdops/cicdops'
            ReleaseNotes = 'Project registry, deployments with progress, logs, pins and rollback; the webhook listener (Start-CicdListener, Get-CicdWebhookDelivery, Install-CicdListenerService); project secrets (Set-CicdSecret, Get-CicdSecret, Remove-CicdSecret), masked in logs; least-privilege service users (Unregister-CicdProject -RemoveServiceUser) and a Sandboxed column in Get-CicdProject.'
        }
    }
}
