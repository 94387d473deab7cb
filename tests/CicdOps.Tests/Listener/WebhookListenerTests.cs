using System.Net;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Model;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>Push deliveries from each provider against a running listener, asserting real status codes and bodies.</summary>
public class WebhookListenerTests
{
    private static readonly byte[] Secret = TestListener.SecretBytes;

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    private static string[] Results(string body) =>
        Json(body).GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("project").GetString() + ":" + p.GetProperty("result").GetString()).ToArray();

    [Fact]
    public async Task GitHubPushQueuesTheMatchingProjectByCommit()
    {
        // Registered by scp-like ssh URL, mixed case; the payload uses https/ssh/git forms.
        await using var t = TestListener.Start(new SeededProjects().Add("app", "git@github.com:Org/App.git").Add("other", "https://github.com/org/other"));
        var body = Payloads.GitHubPush(owner: "org", repo: "app");
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "gh-1"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("queued", Json(text).GetProperty("outcome").GetString());
        Assert.Equal("gh-1", Json(text).GetProperty("delivery").GetString());
        Assert.Equal(new[] { "app:queued" }, Results(text));
        var req = Assert.Single(t.Requests);
        Assert.Equal(("app", Payloads.Sha, DeploymentTrigger.Webhook, DeploymentStatus.Queued), (req.Project, req.RequestedCommit, req.Trigger, req.Status));
        Assert.Equal(req.Id, Json(text).GetProperty("projects")[0].GetProperty("deployment").GetInt64());

        var record = (await t.RecordAsync("github", "gh-1"));
        Assert.Equal(("queued", 202, "valid", "github.com/org/app", "refs/heads/main", Payloads.Sha),
            (record.Outcome, record.StatusCode, record.Signature, record.Repository, record.Ref, record.Commit));
    }

    [Fact]
    public async Task GitHubFormEncodedPushIsVerifiedOverTheRawForm()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var form = "payload=" + WebUtility.UrlEncode(Payloads.GitHubPush());
        var (status, text) = await t.PostAsync(form, Payloads.GitHubHeaders(form, Secret), "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued" }, Results(text));

        // The same form signed over the decoded JSON instead is not authentic.
        var wrong = Payloads.GitHubHeaders(Payloads.GitHubPush(), Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await t.PostAsync(form, wrong, "application/x-www-form-urlencoded")).Status);
        Assert.Single(t.Requests);
    }

    [Fact]
    public async Task ProjectsSharingARepositoryDeployOnlyTheirBranch()
    {
        await using var t = TestListener.Start(new SeededProjects()
            .Add("prod", "https://github.com/org/app", "main")
            .Add("staging", "git@github.com:org/app.git", "develop"));
        var body = Payloads.GitHubPush(@ref: "refs/heads/develop");
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "prod:ignored", "staging:queued" }, Results(text));
        Assert.Equal("staging", Assert.Single(t.Requests).Project);
    }

    [Fact]
    public async Task AManyProjectRepositoryListsWhatDeploysAndCountsTheIgnoredBeyondTen()
    {
        var target = new SeededProjects();
        for (var i = 0; i < 30; i++) target.Add($"p{i:00}", "https://github.com/org/app", $"b{i:00}");
        await using var t = TestListener.Start(target);
        var body = Payloads.GitHubPush(@ref: "refs/heads/b29");
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "many"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var results = Results(text);
        Assert.Equal(11, results.Length);
        Assert.Contains("p29:queued", results);
        Assert.Equal(10, results.Count(r => r.EndsWith(":ignored")));
        Assert.Equal(19, Json(text).GetProperty("more_ignored").GetInt32());
        Assert.Equal("p29", Assert.Single(t.Requests).Project);

        // The record keeps the same bounded list, its last element counting the rest.
        var detail = JsonDocument.Parse((await t.RecordAsync("github", "many")).Detail!).RootElement;
        Assert.Equal(12, detail.GetArrayLength());
        Assert.Equal(19, detail[11].GetProperty("more_ignored").GetInt32());
    }

    [Fact]
    public async Task AQueuedDeploymentIsHandedOnForARunnerOnlyAfterItsDeliveryCommitted()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "handed"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app" }, await t.WaitForRunnersAsync(1));
        Assert.Equal(Json(text).GetProperty("projects")[0].GetProperty("deployment").GetInt64(), Assert.Single(t.Requests).Id);
        Assert.Equal("queued", (await t.RecordAsync("github", "handed")).Outcome);

        // SQLite refusing the queue insert (a trigger in the real database) rolls the delivery's transaction back:
        // no deployment, no runner, and the attempt is recorded as failed without claiming the id.
        QueueInsertFails(t, true);
        var again = Payloads.GitHubHeaders(body, Secret, delivery: "fails-once");
        Assert.Equal(HttpStatusCode.InternalServerError, (await t.PostAsync(body, again)).Status);
        Assert.Single(t.Requests);
        var failed = Assert.Single(t.Store.List(), d => d.DeliveryId == "fails-once");
        Assert.Equal(("failed", 500, false), (failed.Outcome, failed.StatusCode, failed.Accepted));
        Assert.Single(t.RunnersStarted);
    }

    /// <summary>A real fault in the real database: a trigger that makes SQLite refuse every new deployment row.</summary>
    private static void QueueInsertFails(TestListener t, bool fails) => t.Engine.Context.Db.Write(c =>
        CicdOps.Engine.State.SqlExtensions.Execute(c, fails
            ? "CREATE TRIGGER test_queue_write_fails BEFORE INSERT ON deployments BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            : "DROP TRIGGER test_queue_write_fails"));

    [Fact]
    public async Task A_runner_that_cannot_start_still_answers_202_because_the_deployment_is_queued()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        // Where the runner's log directory must go there is a file: starting the worker fails for real (IOException).
        var logs = t.Engine.Context.Layout.ProjectLogs("app");
        Directory.CreateDirectory(Path.GetDirectoryName(logs)!);
        File.WriteAllText(logs, "in the way");
        var body = Payloads.GitHubPush();
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "no-runner"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued" }, Results(text));
        Assert.Equal("queued", (await t.RecordAsync("github", "no-runner")).Outcome);
        Assert.Equal(DeploymentStatus.Queued, Assert.Single(t.Requests).Status);
        Assert.Empty(t.RunnersStarted);
        await t.WaitForLogAsync(l => l.Contains("delivery=no-runner") && l.Contains("error=starting_a_runner_failed:_IOException"));
    }

    [Theory]
    [InlineData("refs/tags/v1.0.0", Payloads.Sha, false, "not a branch push")]
    [InlineData("refs/heads/feature/x", Payloads.Sha, false, "other branch")]
    [InlineData("refs/heads/main", Payloads.Zero, true, "branch deleted")]
    [InlineData("refs/heads/main", Payloads.Zero, false, "branch deleted")]
    public async Task TagsOtherBranchesAndDeletionsAreRecordedAndIgnored(string @ref, string after, bool deleted, string reason)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush(@ref: @ref, after: after, deleted: deleted);
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "ign"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("ignored", Json(text).GetProperty("outcome").GetString());
        Assert.Equal(reason, Json(text).GetProperty("projects")[0].GetProperty("reason").GetString());
        Assert.Empty(t.Requests);
        Assert.Equal("ignored", (await t.RecordAsync("github", "ign")).Outcome);
    }

    [Fact]
    public async Task UnknownRepositoryIsRecordedAndIgnored()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush(repo: "app2");
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "unk"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("no project uses this repository", Json(text).GetProperty("reason").GetString());
        Assert.Empty(t.Requests);
        Assert.Equal("ignored", (await t.RecordAsync("github", "unk")).Outcome);
    }

    [Fact]
    public async Task PinnedProjectIsRecordedNotDeployed()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app", pinned: Payloads.Before));
        var body = Payloads.GitHubPush();
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("pinned", Json(text).GetProperty("outcome").GetString());
        Assert.Equal(new[] { "app:pinned" }, Results(text));
        var skipped = Assert.Single(t.Requests);
        Assert.Equal((DeploymentStatus.Skipped, "pinned to " + Payloads.Before), (skipped.Status, skipped.Reason));
        Assert.Empty(t.RunnersStarted);
    }

    [Fact]
    public async Task DuplicateDeliveryAnswers200AndDeploysNothing()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var headers = Payloads.GitHubHeaders(body, Secret, delivery: "dup");
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, headers)).Status);
        var (status, text) = await t.PostAsync(body, headers);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("duplicate", Json(text).GetProperty("outcome").GetString());
        Assert.Single(t.Requests);
    }

    [Fact]
    public async Task ConcurrentCopiesOfOneDeliveryDeployOnce()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var headers = Payloads.GitHubHeaders(body, Secret, delivery: "race");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => t.PostAsync(body, headers)));
        Assert.Equal(1, results.Count(r => r.Status == HttpStatusCode.Accepted));
        Assert.Equal(7, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Single(t.Requests);
    }

    [Fact]
    public async Task A_burst_of_pushes_leaves_one_waiting_deployment_of_the_last_commit_in_the_engines_queue()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var commits = Enumerable.Range(1, 12).Select(i => i.ToString("x2") + Payloads.Sha[2..]).ToList();
        foreach (var (commit, i) in commits.Select((c, i) => (c, i)))
        {
            var body = Payloads.GitHubPush(after: commit);
            Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "burst-" + i))).Status);
        }
        var all = t.Requests;
        Assert.Equal(12, all.Count);
        var waiting = Assert.Single(all, d => d.Status == DeploymentStatus.Queued);
        Assert.Equal(commits[^1], waiting.RequestedCommit);
        // Each one waiting was replaced by the next, in the delivery's own transaction.
        Assert.All(all.Where(d => d.Id != waiting.Id), d => Assert.Equal((DeploymentStatus.Superseded, true), (d.Status, d.SupersededBy > d.Id)));
    }

    [Fact]
    public async Task PingAnswers200()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPing();
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, "ping"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("pong", Json(text).GetProperty("outcome").GetString());
        Assert.Empty(t.Requests);
    }

    [Fact]
    public async Task GitLabPushWithTokenQueues()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://gitlab.example.com/group/sub/app.git"));
        var body = Payloads.GitLabPush();
        var (status, text) = await t.PostAsync(body, Payloads.GitLabHeaders(TestListener.GitLabToken, delivery: "gl-1"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued" }, Results(text));
        Assert.NotNull((await t.RecordAsync("gitlab", "gl-1")));

        var tag = Payloads.GitLabPush(@ref: "refs/tags/v2");
        var (tagStatus, tagText) = await t.PostAsync(tag, Payloads.GitLabHeaders(TestListener.GitLabToken, "Tag Push Hook"));
        Assert.Equal(HttpStatusCode.Accepted, tagStatus);
        Assert.Equal(new[] { "app:ignored" }, Results(tagText));

        Assert.Equal(HttpStatusCode.Unauthorized, (await t.PostAsync(body, Payloads.GitLabHeaders("wrong token"))).Status);
        // The webhook secret (the other providers' HMAC key) is not a GitLab token.
        Assert.Equal(HttpStatusCode.Unauthorized, (await t.PostAsync(body, Payloads.GitLabHeaders(TestListener.Secret))).Status);
        Assert.Single(t.Requests);
    }

    [Theory]
    [InlineData(false, "gitea")]
    [InlineData(true, "forgejo")]
    public async Task GiteaAndForgejoPushesQueue(bool forgejo, string provider)
    {
        // Registered by the ssh form with a non-default port; the payload also carries it.
        await using var t = TestListener.Start(new SeededProjects().Add("app", "ssh://git@git.example.com:2222/ops/app.git"));
        var body = Payloads.GiteaPush();
        var (status, text) = await t.PostAsync(body, Payloads.GiteaHeaders(body, Secret, forgejo, delivery: "gt-1"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued" }, Results(text));
        Assert.NotNull((await t.RecordAsync(provider, "gt-1")));
    }

    [Fact]
    public async Task BitbucketPushQueues()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "git@bitbucket.org:team/app.git"));
        var body = Payloads.BitbucketPush("Team/App");
        var (status, text) = await t.PostAsync(body, Payloads.BitbucketHeaders(body, Secret, delivery: "bb-1"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued" }, Results(text));
        Assert.Equal(Payloads.Sha, Assert.Single(t.Requests).RequestedCommit);

        var deleted = Payloads.BitbucketPush("team/app", hash: null);
        var (delStatus, delText) = await t.PostAsync(deleted, Payloads.BitbucketHeaders(deleted, Secret));
        Assert.Equal(HttpStatusCode.Accepted, delStatus);
        Assert.Equal(new[] { "app:ignored" }, Results(delText));
        Assert.Single(t.Requests);
    }

    [Fact]
    public async Task ProjectSecretOverridesTheGlobalOne()
    {
        var own = "project-only secret"u8.ToArray();
        await using var t = TestListener.Start(
            new SeededProjects().Add("special", "https://github.com/org/app").Add("plain", "https://github.com/org/app", "main"),
            o => o with { ProjectSecret = name => name == "special" ? own : null });
        var body = Payloads.GitHubPush();

        // Signed with the global secret: only the project without its own secret deploys.
        var (s1, t1) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret));
        Assert.Equal(HttpStatusCode.Accepted, s1);
        Assert.Equal(new[] { "special:rejected", "plain:queued" }, Results(t1));

        // Signed with the project's secret: only that project deploys.
        var (s2, t2) = await t.PostAsync(body, Payloads.GitHubHeaders(body, own));
        Assert.Equal(HttpStatusCode.Accepted, s2);
        Assert.Equal(new[] { "plain:rejected", "special:queued" }, Results(t2));
        Assert.Equal(new[] { "plain", "special" }, t.Requests.Select(r => r.Project));
    }

    [Fact]
    public async Task UnsignedDeliveriesAreAcceptedOnlyWithAllowUnsigned()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"), o => o with { Secret = null, AllowUnsigned = true });
        var body = Payloads.GitHubPush();
        var (status, _) = await t.PostAsync(body, Payloads.GitHubHeaders(body, null, delivery: "u1"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("unsigned", (await t.RecordAsync("github", "u1")).Signature);
        await t.WaitForLogAsync(l => l.StartsWith("listener started") && l.Contains("unsigned-allowed=yes"));

        // On loopback too, without AllowUnsigned a project without a secret refuses unsigned deliveries.
        await using var strict = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"),
            o => o with { Secret = null, ProjectSecret = _ => null });
        Assert.Equal(HttpStatusCode.Unauthorized, (await strict.PostAsync(body, Payloads.GitHubHeaders(body, null, delivery: "u2"))).Status);
        Assert.Empty(strict.Requests);
    }

    [Fact]
    public async Task HealthzAndRoutes()
    {
        await using var t = TestListener.Start(new SeededProjects());
        var health = await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("{\"outcome\":\"ok\"}", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await t.Http.GetAsync(t.Url)).StatusCode);

        // POST / is accepted for compatibility.
        var body = Payloads.GitHubPing();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{t.Port}/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (k, v) in Payloads.GitHubHeaders(body, Secret, "ping")) req.Headers.TryAddWithoutValidation(k, v);
        Assert.Equal(HttpStatusCode.OK, (await t.Http.SendAsync(req)).StatusCode);
    }

    [Fact]
    public async Task OurFailureAnswers500AndTheRedeliveryIsHandled()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var headers = Payloads.GitHubHeaders(body, Secret, delivery: "retry");
        QueueInsertFails(t, true);
        var (status, text) = await t.PostAsync(body, headers);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.DoesNotContain("disk is full", text);
        await t.WaitForLogAsync(l => l.Contains("status=500") && l.Contains("error=SqliteException"));
        Assert.Empty(t.Requests);

        QueueInsertFails(t, false);
        var (again, againText) = await t.PostAsync(body, headers);
        Assert.Equal(HttpStatusCode.Accepted, again);
        Assert.Equal(new[] { "app:queued" }, Results(againText));
        Assert.Equal(DeploymentStatus.Queued, Assert.Single(t.Requests).Status);
    }

    [Fact]
    public async Task AProjectUnregisteredMeanwhileFailsAloneWithItsErrorId()
    {
        // The listener keeps the project list it read (for an hour here, 1 s in service): a project unregistered since
        // is still matched, and the queueing transaction finds it gone.
        await using var t = TestListener.Start(new SeededProjects().Add("gone", "https://github.com/org/app").Add("app", "https://github.com/org/app"),
            projectRefresh: TimeSpan.FromHours(1));
        var ping = Payloads.GitHubPing();
        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync(ping, Payloads.GitHubHeaders(ping, Secret, "ping"))).Status);
        t.Engine.UnregisterProject("gone");
        var body = Payloads.GitHubPush();
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(new[] { "app:queued", "gone:failed" }, Results(text)); // the engine lists projects by name
        Assert.Equal("CicdProjectNotFound", Json(text).GetProperty("projects")[1].GetProperty("reason").GetString());
        Assert.Equal("app", Assert.Single(t.Requests).Project);
    }

    [Fact]
    public async Task WithoutADeliveryIdTheBodyIdentifiesTheDelivery()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://bitbucket.org/team/app"));
        var first = Payloads.BitbucketPush("team/app");
        var second = Payloads.BitbucketPush("team/app", hash: "7" + Payloads.Sha[1..]);
        Dictionary<string, string> NoRequestId(string body)
        {
            var h = Payloads.BitbucketHeaders(body, Secret);
            h.Remove("X-Request-UUID"); // X-Hook-UUID stays: it is the same for every delivery of the hook
            return h;
        }
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(first, NoRequestId(first))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(second, NoRequestId(second))).Status);
        var (again, text) = await t.PostAsync(first, NoRequestId(first));
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("duplicate", Json(text).GetProperty("outcome").GetString());
        Assert.Equal(2, t.Requests.Count);
        Assert.StartsWith("sha256:", Json(text).GetProperty("delivery").GetString());
    }
}
