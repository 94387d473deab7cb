using CicdOps.Engine.Model;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>Pins the project to <paramref name="commit"/> (default: the current commit), deploying it when it is not current.</summary>
    public PinResult Pin(string project, string? commit)
    {
        var p = GetProject(project);
        var target = commit is null ? p.CurrentCommit : Names.Commit(commit);
        if (target is null)
            throw new CicdException(CicdError.InvalidCommit, $"Project '{p.Name}' has no current commit to pin; give one with -Commit / --commit.", p.Name);
        var isCurrent = p.CurrentCommit is { } cur && cur.StartsWith(target, StringComparison.Ordinal);
        _ctx.Db.Write(c => ProjectStore.Set(c, p.Name, "pinned_commit", isCurrent ? p.CurrentCommit : target));
        Deployment? d = null;
        if (!isCurrent) d = RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = target, Trigger = DeploymentTrigger.Pin });
        return new PinResult(GetProject(p.Name), d);
    }

    public Project Unpin(string project)
    {
        var p = GetProject(project);
        _ctx.Db.Write(c => ProjectStore.Set(c, p.Name, "pinned_commit", null));
        return GetProject(p.Name);
    }

    /// <summary>Deploys the previous successful commit, or <paramref name="commit"/> (which must have succeeded before unless <paramref name="force"/>).</summary>
    public Deployment Rollback(string project, string? commit, bool pin, bool force)
    {
        var p = GetProject(project);
        if (p.PinnedCommit is not null && !pin)
            throw new CicdException(CicdError.ProjectPinned, $"Project '{p.Name}' is pinned to {p.PinnedCommit}; pass -Pin / --pin to move the pin, or unpin first.", p.Name);
        var target = commit is null ? null : Names.Commit(commit);
        _ctx.Db.Read(c =>
        {
            if (target is null)
            {
                target = DeploymentStore.PreviousSuccessful(c, p.Name, p.CurrentCommit)
                    ?? throw new CicdException(CicdError.NoRollbackTarget, $"Project '{p.Name}' has no earlier successful deployment to roll back to.", p.Name);
            }
            else if (!force && !EverSucceeded(c, p.Name, target))
            {
                throw new CicdException(CicdError.CommitNeverDeployed,
                    $"Commit {target} never deployed successfully for '{p.Name}'; pass -Force / --force to deploy it anyway.", target);
            }
            return 0;
        });
        if (pin) _ctx.Db.Write(c => ProjectStore.Set(c, p.Name, "pinned_commit", target));
        return RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = target, Trigger = DeploymentTrigger.Rollback });
    }

    /// <summary>Accepts an abbreviated SHA: it matches a full one recorded as successful.</summary>
    private static bool EverSucceeded(Microsoft.Data.Sqlite.SqliteConnection c, string project, string prefix) =>
        DeploymentStore.RecentCommits(c, project, 1000).Where(s => s.StartsWith(prefix, StringComparison.Ordinal))
            .Any(s => DeploymentStore.EverSucceeded(c, project, s));
}
