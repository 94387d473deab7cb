using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Fleet.Watch;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Watch-CicdFleet: the fleet now, then one FleetUpdate per node/project change, written to the pipeline as it
/// happens until Ctrl+C (so `Watch-CicdFleet | Where-Object Health -eq Unhealthy | ForEach-Object { … }` reacts
/// as things happen). -Once writes the fleet now and ends. With a registry it watches the fleet; without, this
/// server. Objects are written on the pipeline thread; Ctrl+C cancels the wait for the next change.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "CicdFleet")]
[OutputType(typeof(FleetUpdate))]
public sealed class WatchCicdFleetCommand : CicdCmdlet
{
    /// <summary>Node names or patterns.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(FleetNodeNameCompleter))]
    public string[]? Node { get; set; }

    /// <summary>Project names or patterns.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Project { get; set; }

    /// <summary>Write the fleet as it is now and end.</summary>
    [Parameter]
    public SwitchParameter Once { get; set; }

    /// <summary>Only changes: skip the rows of the fleet as it is when the watch starts.</summary>
    [Parameter]
    public SwitchParameter ChangesOnly { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var nodes = Matcher(Node);
            var projects = Matcher(Project);
            bool Wanted(FleetUpdate u) => nodes(u.Node) && (Project is null || (u.Project is { } p && projects(p)));
            var watcher = FleetWatcher.Open(Engine, line => WriteVerbose(line));
            try
            {
                if (Once)
                {
                    WriteObject(Wait(watcher.SnapshotAsync(CancellationToken)).Where(Wanted), enumerateCollection: true);
                    return;
                }
                // Listening before the snapshot is read: a change in between is written twice at worst, never missed.
                var changes = watcher.WatchAsync(CancellationToken).GetAsyncEnumerator(CancellationToken);
                try
                {
                    var next = changes.MoveNextAsync().AsTask();
                    if (!ChangesOnly) WriteObject(Wait(watcher.SnapshotAsync(CancellationToken)).Where(Wanted), enumerateCollection: true);
                    while (Wait(next))
                    {
                        var row = changes.Current;
                        next = changes.MoveNextAsync().AsTask();
                        if (Wanted(row)) WriteObject(row);
                    }
                }
                catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { }
                finally
                {
                    try { changes.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(1)); } catch (AggregateException) { }
                }
            }
            finally
            {
                // Bounded: Ctrl+C must return within 2 s even if the registry is slow to hang up.
                try { watcher.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(1)); } catch (AggregateException) { }
            }
        });
    }

    private static T Wait<T>(Task<T> task)
    {
        try { return task.GetAwaiter().GetResult(); }
        catch (AggregateException e) when (e.InnerException is { } inner) { throw inner; }
    }

    private static Func<string, bool> Matcher(string[]? patterns)
    {
        if (patterns is null) return _ => true;
        var compiled = patterns.Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToList();
        return name => compiled.Any(p => p.IsMatch(name));
    }
}
