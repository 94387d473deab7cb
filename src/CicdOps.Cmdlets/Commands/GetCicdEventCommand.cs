using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdEvent: what the listener's watchdog saw and did (unhealthy, restarting, recovered, gave up), oldest first.</summary>
[Cmdlet(VerbsCommon.Get, "CicdEvent")]
[OutputType(typeof(CicdEvent))]
public sealed class GetCicdEventCommand : CicdCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only events after this id: pass the last Id you saw to read on.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long After { get; set; }

    /// <summary>How many events (the newest ones, unless -After is given).</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int Last { get; set; } = 50;

    protected override void ProcessRecord()
    {
        if (Name is null)
        {
            TryInvoke(() => WriteObject(Engine.GetEvents(null, After, Last, newest: After == 0), enumerateCollection: true));
            return;
        }
        foreach (var name in Name)
            TryInvoke(() => WriteObject(Engine.GetEvents(name, After, Last, newest: After == 0), enumerateCollection: true));
    }
}
