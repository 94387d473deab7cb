using System.Text.RegularExpressions;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>
/// "No git process is started" checked from outside the engine: deployments run in detached workers traced by
/// strace (-f: every process they and their children exec), and the rollback's workers exec no git at all.
/// </summary>
public sealed partial class RollbackWithoutGitTests
{
    [GeneratedRegex(@"execve\(""[^""]*/git""")]
    private static partial Regex GitExec();

    [RootFact]
    public void A_rollback_to_a_kept_release_execs_no_git_process_at_all()
    {
        Assert.True(File.Exists("/usr/bin/strace"), "strace is needed to watch every exec");
        using var traces = new TempDirectory("cicdops-strace");
        var prefix = new[] { "/usr/bin/strace", "-f", "-ff", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", traces.Combine("trace") };
        using var repo = new TestRepository();
        using var h = new EngineHarness(detachedWorkers: true, workerPrefix: prefix);
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.RegisterWithReleases(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        // The method sees git: the deploys' workers exec'd it.
        var before = Directory.GetFiles(traces.Path).ToHashSet();
        Assert.Contains(before, f => GitExec().IsMatch(File.ReadAllText(f)));

        var d = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal("v1", h.Serving);
        var during = Directory.GetFiles(traces.Path).Where(f => !before.Contains(f)).ToList();
        Assert.NotEmpty(during); // the rollback's worker was traced
        Assert.Contains(during, f => File.ReadAllText(f).Contains("run.sh", StringComparison.Ordinal));
        var gits = during.SelectMany(f => File.ReadAllLines(f)).Where(l => GitExec().IsMatch(l)).ToList();
        Assert.True(gits.Count == 0, "git was exec'd during the rollback:\n" + string.Join('\n', gits.Take(5)));
    }
}
