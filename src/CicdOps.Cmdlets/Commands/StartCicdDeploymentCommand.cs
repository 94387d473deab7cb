using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Start-CicdDeployment: queues a deployment of the branch tip (or -Commit) and, unless -NoWait, waits for it
/// while showing its stages. Ctrl+C stops the wait only; the deployment goes on.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CicdDeployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.ByInputObject)]
[OutputType(typeof(Deployment))]
public sealed class StartCicdDeploymentCommand : CicdCmdlet
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    [Parameter(ParameterSetName = ParameterSets.ByInputObject, Mandatory = true, ValueFromPipeline = true)]
    /// <summary>Projects from Get-CicdProject (the default set, so a piped Project binds by value).</summary>
    public Project[] InputObject { get; set; } = null!;

    /// <summary>A full or abbreviated SHA; the branch tip when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    /// <summary>Run .cicd/install.sh even when it has not changed since the last deployment.</summary>
    [Parameter]
    public SwitchParameter ForceInstall { get; set; }

    /// <summary>Return the queued deployment at once instead of waiting for it.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ParameterSets.ByInputObject ? InputObject.Select(p => p.Name) : Name;
        foreach (var name in names)
        {
            if (!ShouldProcess(name, $"Deploy {Commit ?? "the branch tip"}")) continue;
            WarnIfNotSandboxed();
            Deployment queued;
            try
            {
                queued = Engine.RequestDeployment(new DeploymentRequest { Project = name, Commit = Commit, ForceInstall = ForceInstall.IsPresent });
            }
            catch (CicdException ex)
            {
                WriteCicdError(ex);
                continue;
            }
            if (NoWait)
            {
                WriteObject(queued);
                continue;
            }
            if (!Wait(queued)) return; // Ctrl+C: stop waiting for everything.
        }
    }

    /// <summary>Waits on a worker task while draining its progress here, on the pipeline thread. False when cancelled.</summary>
    private bool Wait(Deployment queued)
    {
        var view = new DeploymentProgressView(queued.Id, queued.Project);
        using var progress = new QueuedProgress<DeploymentProgress>();
        var token = CancellationToken;
        var engine = Engine; // resolved here: the worker thread must never touch the cmdlet
        var wait = Task.Run(() => engine.WaitForDeploymentAsync(queued.Id, progress, token), token);
        while (!wait.IsCompleted)
        {
            // Ctrl+C returns at once even if the engine is slow to observe the token; the deployment goes on.
            if (token.IsCancellationRequested) break;
            if (progress.TryTake(out var report, PollInterval)) WriteProgress(view.Update(report));
        }
        if (!wait.IsCompleted)
        {
            WriteVerbose($"Stopped waiting; deployment {queued.Id} of '{queued.Project}' goes on.");
            return false;
        }
        while (progress.TryTake(out var late, TimeSpan.Zero)) WriteProgress(view.Update(late));

        Deployment final;
        try
        {
            final = wait.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            WriteVerbose($"Stopped waiting; deployment {queued.Id} of '{queued.Project}' goes on.");
            return false;
        }
        catch (CicdException ex)
        {
            WriteProgress(view.Complete(queued));
            WriteCicdError(ex);
            return true;
        }
        WriteProgress(view.Complete(final));
        WriteObject(final);
        if (DeploymentOutcome.ErrorFor(final) is { } error) WriteError(error);
        return true;
    }
}
