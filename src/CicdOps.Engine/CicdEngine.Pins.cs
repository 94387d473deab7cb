using CicdOps.Engine.Git;
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
        if (commit is null && p.CurrentCommit is null)
            throw new CicdException(CicdError.InvalidCommit, $"Project '{p.Name}' has no current commit to pin; give one with -Commit / --commit.", p.Name);
        // Only a commit that exists is pinned, and always as its full SHA.
        var target = commit is null ? p.CurrentCommit! : CommitLookup.Resolve(_ctx, p, commit);
        var isCurrent = p.CurrentCommit == target;
        _ctx.Db.Write(c =>
        {
            ProjectStore.Set(c, p.Name, "pinned_commit", target);
            PinEvent(c, p, NotificationEventKind.ProjectPinned, target);
        });
        Deployment? d = null;
        if (!isCurrent) d = RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = target, Trigger = DeploymentTrigger.Pin });
        return new PinResult(GetProject(p.Name), d);
    }

    public Project Unpin(string project)
    {
        var p = GetProject(project);
        _ctx.Db.Write(c =>
        {
            ProjectStore.Set(c, p.Name, "pinned_commit", null);
            if (p.PinnedCommit is not null) PinEvent(c, p, NotificationEventKind.ProjectUnpinned, p.PinnedCommit);
        });
        return GetProject(p.Name);
    }

    /// <summary>
    /// The newest request the pin skipped since a deployment last ran (what unpinning leaves behind), or null.
    /// Its RequestedCommit is null when it asked for the branch tip.
    /// </summary>
    public Deployment? SkippedWhilePinned(string project)
    {
        foreach (var d in GetDeployments(project, 200))
        {
            if (d.StartedAt is not null) return null;
            if (d.Status == DeploymentStatus.Skipped && d.Reason?.StartsWith("pinned", StringComparison.Ordinal) == true) return d;
        }
        return null;
    }

    /// <summary>Deploys the previous successful commit, or <paramref name="commit"/> (which must have succeeded before unless <paramref name="force"/>).</summary>
    public Deployment Rollback(string project, string? commit, bool pin, bool force)
    {
        var p = GetProject(project);
        if (p.PinnedCommit is not null && !pin)
            throw new CicdException(CicdError.ProjectPinned, $"Project '{p.Name}' is pinned to {p.PinnedCommit}; pass -Pin / --pin to move the pin, or unpin first.", p.Name);
        var prefix = commit is null ? null : Names.Commit(commit);
        string? target = null;
        _ctx.Db.Read(c =>
        {
            if (prefix is null)
            {
                target = DeploymentStore.PreviousSuccessful(c, p.Name, p.CurrentCommit)
                    ?? throw new CicdException(CicdError.NoRollbackTarget, $"Project '{p.Name}' has no earlier successful deployment to roll back to.", p.Name);
            }
            else
            {
                target = SucceededCommit(c, p.Name, prefix);
                if (target is null && !force)
                    throw new CicdException(CicdError.CommitNeverDeployed,
                        $"Commit {prefix} never deployed successfully for '{p.Name}'; pass -Force / --force to deploy it anyway.", prefix);
            }
            return 0;
        });
        // Forced to a commit never deployed: it must still exist, and is stored in full.
        target ??= CommitLookup.Resolve(_ctx, p, prefix!);
        if (pin) _ctx.Db.Write(c =>
        {
            ProjectStore.Set(c, p.Name, "pinned_commit", target);
            PinEvent(c, p, NotificationEventKind.ProjectPinned, target);
        });
        return RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = target, Trigger = DeploymentTrigger.Rollback });
    }

    /// <summary>The pin change's notification, in the transaction that changes the pin.</summary>
    private static void PinEvent(Microsoft.Data.Sqlite.SqliteConnection c, Project p, NotificationEventKind kind, string commit) =>
        Notifications.NotificationOutbox.Enqueue(c, new Notifications.NotificationEvent(kind)
        {
            Project = p.Name, Commit = commit, Repository = p.Repository,
            Reason = kind == NotificationEventKind.ProjectPinned ? "pushes are recorded but not deployed until unpinned" : "pushes deploy again",
        });

    /// <summary>The full SHA of a successfully deployed commit that <paramref name="prefix"/> abbreviates, if exactly one.</summary>
    private static string? SucceededCommit(Microsoft.Data.Sqlite.SqliteConnection c, string project, string prefix)
    {
        var matches = DeploymentStore.RecentCommits(c, project, 1000)
            .Where(s => s.Length is 40 or 64 && s.StartsWith(prefix, StringComparison.Ordinal) && DeploymentStore.EverSucceeded(c, project, s))
            .ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
