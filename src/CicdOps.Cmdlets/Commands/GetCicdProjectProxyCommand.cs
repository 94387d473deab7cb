using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdProjectProxy: a project's zero-downtime switch (nginx or Caddy), or nothing when it has none.</summary>
[Cmdlet(VerbsCommon.Get, "CicdProjectProxy")]
[OutputType(typeof(ProjectProxy))]
public sealed class GetCicdProjectProxyCommand : CicdCmdlet
{
    /// <summary>Project names; binds the Name of piped projects and the Project of piped deployments.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            TryInvoke(() => { if (Engine.GetProxy(name) is { } proxy) WriteObject(proxy); });
    }
}
