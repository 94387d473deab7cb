using System.Globalization;
using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Cmdlets.Output;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Service;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Install-CicdListenerService: writes the systemd unit (rendered by the engine) that runs `cicdops listen`
/// as a service. With -WhatIf the unit is output but not written.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "CicdListenerService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ListenerServiceUnit))]
public sealed class InstallCicdListenerServiceCommand : CicdCmdlet
{
    public const string CicdOpsNotFoundErrorId = "CicdExecutableNotFound";
    public const string WriteFailedErrorId = "CicdServiceUnitWriteFailed";

    /// <summary>Where the unit is written.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = SystemdUnit.DefaultPath;

    /// <summary>The `cicdops` executable the service runs; the module's own (bin/&lt;rid&gt;/cicdops) when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CicdOpsPath { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ListenerOptions.DefaultPort;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string BindAddress { get; set; } = ListenerOptions.AllInterfaces;

    protected override void ProcessRecord()
    {
        var unitPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        var executable = ResolveExecutable();
        var bindCheck = new ListenerOptions { Port = Port, BindAddress = BindAddress, AllowUnsigned = true }.Validate();
        if (bindCheck is not null)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument, bindCheck, BindAddress));

        var dataPath = DataDirectory.Resolve(DataPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(DataPath));
        string content;
        try
        {
            content = SystemdUnit.Render(
                new[] { executable, "listen", "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", BindAddress }, dataPath,
                SystemdUnit.DefaultEnvironmentFile);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument, ex.Message, executable));
            return;
        }

        if (!ShouldProcess(unitPath, "Write the CicdOps listener service unit"))
        {
            // -WhatIf (or a declined confirmation): show the unit that would have been written.
            WriteObject(new ListenerServiceUnit(unitPath, content, written: false));
            return;
        }
        try
        {
            if (System.IO.Path.GetDirectoryName(unitPath) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
            File.WriteAllText(unitPath, content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(CicdErrorRecords.Create(WriteFailedErrorId,
                ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError,
                $"Cannot write {unitPath}: {ex.Message}", unitPath, "Run as root, or pass -Path to write the unit elsewhere."));
        }
        WriteVerbose($"Wrote {unitPath}. Enable it with: systemctl daemon-reload; systemctl enable --now cicdops");
        // The unit reads its secret from there; without it the listener refuses to start (`cicdops service install` creates it).
        if (!File.Exists(SystemdUnit.DefaultEnvironmentFile))
            WriteWarning($"The unit reads {SystemdUnit.DefaultEnvironmentFile}, which does not exist: create it (mode 0600) with CICDOPS_WEBHOOK_SECRET=... before enabling the service.");
        WriteObject(new ListenerServiceUnit(unitPath, content, written: true));
    }

    private string ResolveExecutable()
    {
        if (CicdOpsPath is not null)
        {
            var given = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CicdOpsPath);
            if (ExecutableLookup.IsExecutableFile(given)) return given;
            ThrowTerminatingError(CicdErrorRecords.Create(CicdOpsNotFoundErrorId, ErrorCategory.ObjectNotFound,
                $"{given} is not an executable file.", given, "Pass the path of the cicdops executable with -CicdOpsPath."));
        }
        // The module's own self-contained executable: the same version as these cmdlets, needing no .NET install.
        if (!ModuleExecutable.IsPresent)
            ThrowTerminatingError(CicdErrorRecords.Create(CicdOpsNotFoundErrorId, ErrorCategory.ObjectNotFound,
                ModuleExecutable.MissingMessage, ModuleExecutable.PathForThisMachine, "Or pass the path of a cicdops executable with -CicdOpsPath."));
        return ModuleExecutable.PathForThisMachine;
    }
}
