using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Backup-CicdState: a consistent copy of the state database (projects, history, encrypted secrets) in a new file.</summary>
[Cmdlet(VerbsData.Backup, "CicdState", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class BackupCicdStateCommand : CicdCmdlet
{
    /// <summary>The new file to write; it must not exist. Relative paths are resolved against the PowerShell location.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var target = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(target, "Write a backup of the CicdOps state database")) return;
        TryInvoke(() => WriteObject(new FileInfo(Engine.Backup(target))));
    }
}
