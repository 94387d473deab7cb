using System.Net;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// What runs a pipeline from a webhook: pull/merge requests of each forge (the head commit, never deployed), tag pushes,
/// and pushes to projects that do not gate on their pipeline (beside the deploy) — through the real listener over HTTP,
/// with real repositories and signed deliveries. Every run here is waited for, so nothing runs past the test.
/// </summary>
public sealed class PipelineTriggerTests : IDisposable
{
    private const string Pipeline = """
        {"events": ["push", "pull_request", "tag"], "steps": [
          {"name": "facts", "run": "printf 'event=%s ref=%s provider=%s branch=%s\\n' {{context.event}} {{context.ref}} {{context.provider}} {{context.branch}}"},
          {"name": "pr", "condition": "context.event == 'pull_request'",
           "run": "printf 'pr=%s src=%s dst=%s\\n' {{context.pullRequest.number}} {{context.pullRequest.sourceBranch}} {{context.pullRequest.targetBranch}}"}
        ]}
        """;

    private readonly EngineHarness _h = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    private Project Register(params string[] events)
    {
        var p = _h.Register(_repo, "tr-" + Guid.NewGuid().ToString("N")[..6]);
        return _h.Engine.UpdateProject(p.Name, new ProjectUpdate { PipelineEvents = events });
    }

    private async Task<PipelineRun> Finished(string runId)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var run = _h.Engine.GetPipelineRun(runId);
            if (run.IsFinished) return run;
            Assert.True(DateTime.UtcNow < until, $"run {runId} still {run.Status}");
            await Task.Delay(100);
        }
    }

    private static string? Reason(string reply) =>
        System.Text.Json.JsonDocument.Parse(reply).RootElement.GetProperty("reason").GetString();

    private static string StepLog(PipelineRun run, int step) => File.ReadAllText(run.Steps[step].LogPath!);

    /// <summary>main has the pipeline; feature adds a commit on top. Returns (main, feature head).</summary>
    private (string Main, string Head) MainAndFeature()
    {
        _repo.Write(".cicd/pipeline.json", Pipeline).Write("VERSION", "main\n");
        var main = _repo.CommitAndPush("main");
        _repo.Write("VERSION", "feature\n");
        var head = _repo.CommitAndPush("feature work", branch: "feature");
        return (main, head);
    }

    private object PullRequest(string provider, string head, string action) => provider switch
    {
        "github" => new
        {
            action, number = 7,
            pull_request = new { number = 7, head = new { @ref = "feature", sha = head }, @base = new { @ref = "main" } },
            repository = new { clone_url = _repo.Url },
        },
        "gitea" => new
        {
            action = action == "opened" ? "synchronized" : action, number = 7,
            pull_request = new { number = 7, head = new { @ref = "feature", sha = head }, @base = new { @ref = "main" } },
            repository = new { clone_url = _repo.Url },
        },
        "gitlab" => (object)new
        {
            object_kind = "merge_request",
            project = new { git_http_url = _repo.Url },
            object_attributes = new
            {
                iid = 7, action = action == "opened" ? "update" : action, oldrev = new string('1', 40),
                source_branch = "feature", target_branch = "main", last_commit = new { id = head },
            },
        },
        _ => new
        {
            pullrequest = new
            {
                id = 7,
                source = new { branch = new { name = "feature" }, commit = new { hash = head[..12] } },
                destination = new { branch = new { name = "main" } },
            },
            repository = new { links = new { html = new { href = _repo.Url } } },
        },
    };

    private static string PullRequestEvent(string provider) => provider switch
    {
        "github" or "gitea" => "pull_request",
        "gitlab" => "Merge Request Hook",
        _ => "pullrequest:updated",
    };

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    [InlineData("bitbucket")]
    public async Task A_pull_request_runs_the_pipeline_for_its_head_commit_with_its_number_and_branches_and_never_deploys(string provider)
    {
        var (_, head) = MainAndFeature();
        var p = Register("push", "pull_request");
        await using var listener = await PipelineListener.Start(_h);

        var (status, reply) = await listener.Post(provider, PullRequestEvent(provider), PullRequest(provider, head, "opened"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var run = await Finished(PipelineListener.RunIn(reply, p.Name) ?? throw new Xunit.Sdk.XunitException("no run in " + reply));
        Assert.Equal((PipelineRunStatus.Succeeded, head, "pull_request"), (run.Status, run.Commit, run.Event));
        Assert.Contains($"event=pull_request ref=refs/heads/feature provider={provider} branch=feature", StepLog(run, 0));
        Assert.Contains("pr=7 src=feature dst=main", StepLog(run, 1));
        Assert.Empty(_h.Engine.GetDeployments(p.Name));
        var delivery = _h.Engine.GetWebhookDeliveries(1).Single();
        Assert.Equal(("refs/heads/feature", provider == "bitbucket" ? head[..12] : head), (delivery.Ref, delivery.Commit));
    }

    [Fact]
    public async Task A_pull_request_with_a_bad_signature_is_401_and_runs_nothing()
    {
        var (_, head) = MainAndFeature();
        var p = Register("pull_request");
        await using var listener = await PipelineListener.Start(_h);

        foreach (var provider in new[] { "github", "gitlab", "gitea", "bitbucket" })
        {
            var (status, _) = await listener.Post(provider, PullRequestEvent(provider), PullRequest(provider, head, "opened"), badSignature: true);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }
        Assert.Empty(_h.Engine.GetPipelineRuns(p.Name));
    }

    [Fact]
    public async Task Closed_pull_requests_and_projects_not_subscribed_to_pull_requests_run_nothing()
    {
        var (_, head) = MainAndFeature();
        var subscribed = Register("pull_request");
        var pushOnly = Register("push");
        await using var listener = await PipelineListener.Start(_h);

        var (closedStatus, closedReply) = await listener.Post("github", "pull_request", PullRequest("github", head, "closed"));
        Assert.Equal(HttpStatusCode.OK, closedStatus);
        Assert.Equal("pull request action 'closed' runs nothing", Reason(closedReply));
        var (_, gitlabEdit) = await listener.Post("gitlab", "Merge Request Hook", new
        {
            object_kind = "merge_request", project = new { git_http_url = _repo.Url },
            object_attributes = new { iid = 7, action = "update", source_branch = "feature", target_branch = "main", last_commit = new { id = head } },
        });
        Assert.Equal("merge request update without new commits", Reason(gitlabEdit));
        Assert.Empty(_h.Engine.GetPipelineRuns(subscribed.Name));

        var (status, reply) = await listener.Post("github", "pull_request", PullRequest("github", head, "reopened"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains("not subscribed to pull_request", reply);
        Assert.Null(PipelineListener.RunIn(reply, pushOnly.Name));
        await Finished(PipelineListener.RunIn(reply, subscribed.Name)!);
        Assert.Empty(_h.Engine.GetPipelineRuns(pushOnly.Name));
    }

    [Fact]
    public async Task A_push_to_a_project_that_does_not_gate_deploys_and_runs_its_pipeline_beside_the_deploy()
    {
        _repo.WriteSleeper("v1", _h.StateDir).Write(".cicd/pipeline.json", Pipeline);
        var v1 = _repo.CommitAndPush("v1");
        var p = Register("push");
        await using var listener = await PipelineListener.Start(_h);

        var (status, reply) = await listener.Push(_repo, "refs/heads/main", v1);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains("\"deployment\":", reply);
        var run = await Finished(PipelineListener.RunIn(reply, p.Name)!);
        Assert.Equal((PipelineRunStatus.Succeeded, v1, "push"), (run.Status, run.Commit, run.Event));
        Assert.Contains("event=push ref=refs/heads/main provider=github branch=main", StepLog(run, 0));
        Assert.Equal(PipelineStepStatus.Skipped, run.Steps[1].Status);
        var deployment = _h.Wait(_h.Engine.GetDeployments(p.Name).Single());
        DeploymentAssert.Status(_h, DeploymentStatus.Succeeded, deployment);
        Assert.DoesNotContain("pipeline", _h.Log(deployment)); // not gated: the deploy never waited for the run
    }

    [Fact]
    public async Task A_pushed_commit_without_a_pipeline_file_leaves_no_run_and_a_project_subscribed_to_nothing_queues_none()
    {
        _repo.Write("README", "no pipeline here\n");
        var first = _repo.CommitAndPush("no pipeline");
        var p = Register("push");
        var none = Register("none");
        await using var listener = await PipelineListener.Start(_h);

        var (status, reply) = await listener.Push(_repo, "refs/heads/main", first);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Null(PipelineListener.RunIn(reply, none.Name));
        var runId = PipelineListener.RunIn(reply, p.Name)!;
        var until = DateTime.UtcNow.AddSeconds(120);
        while (_h.Engine.GetPipelineRuns(p.Name).Any(r => r.RunId == runId))
        {
            Assert.True(DateTime.UtcNow < until, "the run of a commit without a pipeline file was kept");
            await Task.Delay(100);
        }
        Assert.Empty(_h.Engine.GetPipelineRuns(none.Name));
        foreach (var name in new[] { p.Name, none.Name }) _h.Wait(_h.Engine.GetDeployments(name).Single());
    }

    [Fact]
    public async Task A_pushed_tag_runs_the_pipeline_of_projects_subscribed_to_tags_and_deploys_nothing()
    {
        _repo.Write(".cicd/pipeline.json", Pipeline);
        var tagged = _repo.CommitAndPush("release");
        var tags = Register("tag");
        var pushOnly = Register("push");
        await using var listener = await PipelineListener.Start(_h);

        var (status, reply) = await listener.Push(_repo, "refs/tags/v1.0", tagged, provider: "gitea");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Null(PipelineListener.RunIn(reply, pushOnly.Name));
        var run = await Finished(PipelineListener.RunIn(reply, tags.Name)!);
        Assert.Equal((PipelineRunStatus.Succeeded, tagged, "tag"), (run.Status, run.Commit, run.Event));
        Assert.Contains("event=tag ref=refs/tags/v1.0 provider=gitea", StepLog(run, 0));
        Assert.Empty(_h.Engine.GetDeployments(tags.Name));
        Assert.Empty(_h.Engine.GetDeployments(pushOnly.Name));
    }

    [Fact]
    public async Task A_run_an_earlier_listener_queued_but_never_started_is_taken_over_by_the_next()
    {
        _repo.Write(".cicd/pipeline.json", Pipeline);
        var sha = _repo.CommitAndPush("queued");
        var p = Register("push");
        // Queued as the listener queues it, by a process that has since exited.
        using var deadPid = System.Diagnostics.Process.Start("/bin/true")!;
        deadPid.WaitForExit();
        var runId = _h.Engine.Context.Db.Write(c =>
        {
            var id = CicdOps.Engine.Pipelines.PipelineRuns.Queue(c, _h.Engine.Context.Layout, p.Name,
                new CicdOps.Engine.Pipelines.PipelineTrigger { Event = "push", Provider = "github", Ref = "refs/heads/main", Commit = sha });
            CicdOps.Engine.State.SqlExtensions.Execute(c, "UPDATE pipeline_runs SET runner_pid = $pid WHERE id = $id", ("$pid", deadPid.Id), ("$id", id));
            return id;
        });
        Assert.Equal(PipelineRunStatus.Failed, _h.Engine.GetPipelineRun(runId).Status); // its process is gone: nothing would run it
        // Any run starting meanwhile tidies up the runs of runners that died; a webhook's queued run is the listener's
        // durable queue, not one of them.
        _h.Engine.PipelineHousekeepingAt(DateTimeOffset.UtcNow);

        await using var listener = await PipelineListener.Start(_h);

        var run = await Finished(runId);
        Assert.Equal((PipelineRunStatus.Succeeded, sha), (run.Status, run.Commit));
        Assert.Contains(listener.Log, l => l.Contains("taken over"));
    }
}
