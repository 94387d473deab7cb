using CicdOps.Engine.Model;

namespace CicdOps.Cli;

/// <summary>The documented exit codes of `cicdops` (README and `cicdops --help` list them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>An error the user can fix: unknown project, invalid name, unreachable repository, ...</summary>
    public const int Error = 1;
    /// <summary>The command line itself is wrong (unknown command or option, missing argument).</summary>
    public const int Usage = 2;
    /// <summary>The deployment ran and failed (or its runner died: Interrupted).</summary>
    public const int DeploymentFailed = 3;
    /// <summary>The new commit was unhealthy and the previous one was restored.</summary>
    public const int RolledBack = 4;
    /// <summary>Not deployed: the project is pinned (or a webhook commit was stale).</summary>
    public const int Skipped = 5;
    /// <summary>The deployment was cancelled.</summary>
    public const int Cancelled = 6;
    /// <summary>A bug: an unexpected exception (stack trace with CICDOPS_DEBUG=1).</summary>
    public const int Internal = 70;
    /// <summary>Ctrl+C while waiting; the deployment itself goes on.</summary>
    public const int Interrupted = 130;

    public static int For(DeploymentStatus status) => status switch
    {
        DeploymentStatus.Succeeded => Ok,
        DeploymentStatus.RolledBack => RolledBack,
        DeploymentStatus.Skipped => Skipped,
        DeploymentStatus.Cancelled => Cancelled,
        DeploymentStatus.Queued or DeploymentStatus.Running => Ok,
        _ => DeploymentFailed,
    };

    public const string Help = """
        Exit codes: 0 success, 1 error, 2 usage, 3 deployment failed or interrupted, 4 rolled back,
          5 skipped (project pinned, or a stale webhook commit), 6 cancelled, 70 internal error, 130 stopped waiting (Ctrl+C).
        """;
}
