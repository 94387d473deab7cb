using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>What a newcomer reads when git or health.sh fails must be true: whole enough, and the real reason.</summary>
public sealed class GitMessageTests
{
    [Fact]
    public void A_missing_repository_is_reported_with_gits_whole_message_on_one_line()
    {
        using var h = new EngineHarness();
        var missing = Path.Combine(h.Root, "no-such-repo.git");
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec { Name = "app", Repository = missing, Path = Path.Combine(h.Root, "t") }));
        Assert.Equal("CicdRepositoryUnreachable", e.ErrorId);
        // git's last line alone ("and the repository exists.") says the opposite of what happened.
        Assert.Contains("does not appear to be a git repository", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_health_sh_that_fails_is_reported_with_its_exit_code_and_last_output_first()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir)
            // Slow to fail: the last check before the timeout is cut short by the budget, which used to be the reason.
            .Write(".cicd/health.sh", "#!/bin/bash\nsleep 0.3\necho \"checking http://localhost/health\"\necho \"database connection refused\" >&2\nexit 1\n")
            .CommitAndPush();
        Engine_register(h, repo);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        // The real answer first; a last check cut short by the budget may be mentioned after it, never instead.
        Assert.StartsWith("unhealthy: health.sh exited with code 1", d.Reason);
        Assert.Contains("database connection refused", d.Reason);
    }

    private static void Engine_register(EngineHarness h, TestRepository repo) =>
        h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
            HealthTimeout = TimeSpan.FromSeconds(1),
        });
}
