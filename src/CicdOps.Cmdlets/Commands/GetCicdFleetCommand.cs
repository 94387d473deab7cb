using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Fleet;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Get-CicdFleet: the fleet as the registry has it, once — one FleetProject per project on each node, or with
/// -AsNode one FleetNode per server (Online or Stale). -Node and -Project filter by name (wildcards allowed).
/// </summary>
[Cmdlet(VerbsCommon.Get, "CicdFleet", DefaultParameterSetName = ProjectSet)]
[OutputType(typeof(FleetProject), ParameterSetName = new[] { ProjectSet })]
[OutputType(typeof(FleetNode), ParameterSetName = new[] { NodeSet })]
public sealed class GetCicdFleetCommand : CicdCmdlet
{
    private const string ProjectSet = "Project", NodeSet = "Node";

    /// <summary>Node names or patterns.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Node { get; set; }

    /// <summary>Project names or patterns (completion offers this server's projects, usually the fleet's too).</summary>
    [Parameter(Position = 0, ParameterSetName = ProjectSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Project { get; set; }

    /// <summary>Write the nodes instead of their projects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NodeSet)]
    public SwitchParameter AsNode { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var snapshot = FleetMembershipActions.SnapshotAsync(Engine, 0, CancellationToken).GetAwaiter().GetResult();
            var nodes = Filter(Node);
            if (AsNode)
            {
                WriteObject(snapshot.Nodes.Where(n => nodes(n.Name)), enumerateCollection: true);
                return;
            }
            var projects = Filter(Project);
            WriteObject(snapshot.Projects.Where(p => nodes(p.Node) && projects(p.Name)), enumerateCollection: true);
        });
    }

    private static Func<string, bool> Filter(string[]? patterns)
    {
        if (patterns is null) return _ => true;
        var compiled = patterns.Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToList();
        return name => compiled.Any(p => p.IsMatch(name));
    }
}
