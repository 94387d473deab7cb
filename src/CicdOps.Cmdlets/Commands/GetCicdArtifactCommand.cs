using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Get-CicdArtifact: pipeline artifacts (store-files) and caches (cache-files) that have not expired, newest first;
/// with -Destination, the one -Artifact names is written there as a tar file (-Force replaces an existing file).
/// </summary>
[Cmdlet(VerbsCommon.Get, "CicdArtifact")]
[OutputType(typeof(PipelineArtifact))]
public sealed class GetCicdArtifactCommand : CicdCmdlet
{
    /// <summary>Only this project's (required with -Destination). Takes Project from piped runs and artifacts.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PipelineRunIdCompleter))]
    public string? RunId { get; set; }

    /// <summary>The artifact's or cache's key (a name, not a secret: "Key" is also an alias so piped artifacts bind).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Key")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ArtifactKeyCompleter))]
    public string? Artifact { get; set; }

    /// <summary>Artifact or Cache; without it both are listed, and -Destination fetches an artifact.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PipelineFileKind? Kind { get; set; }

    /// <summary>Write the archive -Artifact names (a tar file) here.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (Destination is null)
        {
            if (Force) { WriteCicdError(new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.InvalidArgument, "-Force only goes with -Destination.")); return; }
            TryInvoke(() => WriteObject(Engine.GetPipelineArtifacts(Name, RunId, Kind).Where(a => Artifact is null || a.Key == Artifact), enumerateCollection: true));
            return;
        }
        if (Name is null || Artifact is null)
        {
            WriteCicdError(new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.InvalidArgument,
                "-Destination needs -Name and -Artifact: Get-CicdArtifact -Name shop -Artifact dist-main -Destination ./dist.tar"));
            return;
        }
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination);
        // A cache belongs to its project and key: a RunId piped along with it does not narrow it down.
        var kind = Kind ?? PipelineFileKind.Artifact;
        TryInvoke(() => WriteObject(Engine.SavePipelineArtifact(Name, Artifact, path, kind == PipelineFileKind.Cache ? null : RunId, kind, Force, "-Force")));
    }
}
