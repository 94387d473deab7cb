using System.Collections.Concurrent;
using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Get-CicdPipelineRunLog: a run's step logs, one string per line (every step's after a "== step N: NAME ==" line,
/// or one step's with -Step). -Follow keeps reading until the run finishes; Ctrl+C stops following.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CicdPipelineRunLog")]
[OutputType(typeof(string))]
public sealed class GetCicdPipelineRunLogCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PipelineRunIdCompleter))]
    public string RunId { get; set; } = null!;

    /// <summary>Only this step's log (steps are numbered from 0).</summary>
    [Parameter]
    [ValidateRange(0, 10000)]
    public int? Step { get; set; }

    [Parameter]
    public SwitchParameter Follow { get; set; }

    protected override void ProcessRecord()
    {
        var engine = Engine; // resolved here: the reading thread must never touch the cmdlet
        var token = CancellationToken;
        using var lines = new BlockingCollection<string>();
        var read = Task.Run(async () =>
        {
            try { await engine.FollowPipelineRunLogAsync(RunId, Step, Follow, lines.Add, token); }
            finally { lines.CompleteAdding(); }
        });
        try
        {
            foreach (var line in lines.GetConsumingEnumerable(token)) WriteObject(line);
        }
        catch (OperationCanceledException) { return; } // Ctrl+C
        try { read.GetAwaiter().GetResult(); }
        catch (CicdException ex) { WriteCicdError(ex); }
    }
}
