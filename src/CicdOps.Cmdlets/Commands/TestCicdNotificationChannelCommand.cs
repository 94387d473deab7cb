using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Test-CicdNotificationChannel: sends a test message now and writes the channel's answer (a refusal is a result with Success false, not an error).</summary>
[Cmdlet(VerbsDiagnostic.Test, "CicdNotificationChannel")]
[OutputType(typeof(NotificationTestResult))]
public sealed class TestCicdNotificationChannelCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ChannelNameCompleter))]
    public string[] Name { get; set; } = null!;

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            TryInvoke(() => WriteObject(Engine.TestNotificationChannelAsync(name, CancellationToken).GetAwaiter().GetResult()));
    }
}
