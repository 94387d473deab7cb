using CicdOps.Engine.Deploy;
using CicdOps.Engine.Model;
using CicdOps.Engine.Notifications;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>The outbox, throttling, retries and dead channels, with real deployments and a real receiver.</summary>
public sealed class NotificationDeliveryTests
{
    private static TestRepository CrashingApp(TestRepository repo)
    {
        repo.Write(".cicd/run.sh", "#!/bin/bash\necho 'cannot open config' >&2\nexit 3\n");
        return repo;
    }

    [Fact]
    public void A_failed_deployment_writes_its_notification_in_the_transaction_that_records_the_outcome()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var sha = CrashingApp(repo).CommitAndPush();
        h.Register(repo);
        var d = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);

        var row = new Database(h.DataPath).Read(c => c.Query("SELECT kind, project, commit_sha, reason, subject, command FROM notification_outbox",
            r => (Kind: r.Str("kind"), Project: r.Str("project"), Commit: r.Str("commit_sha"), Reason: r.Str("reason"), Subject: r.Str("subject"), Command: r.Str("command")))).Single();
        Assert.Equal(("DeploymentFailed", "app", sha, d.Id.ToString()), (row.Kind, row.Project, row.Commit, row.Subject));
        Assert.Equal(d.Reason, row.Reason);
        Assert.Equal($"cicdops logs app --deployment {d.Id}", row.Command);
    }

    [Fact]
    public void An_outcome_whose_transaction_rolls_back_leaves_no_notification()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        CrashingApp(repo).CommitAndPush();
        h.Register(repo);
        var d = h.Deploy("app");
        var db = new Database(h.DataPath);
        var before = h.Count("SELECT COUNT(*) FROM notification_outbox");

        // The outcome is written, then something later in the same unit of work fails: both go.
        Assert.Throws<InvalidOperationException>(() => db.Write(c =>
        {
            DeploymentStore.Finish(c, d.Id, DeploymentStatus.Succeeded, "rewritten");
            Assert.Equal(before + 1, Convert.ToInt64(c.Scalar("SELECT COUNT(*) FROM notification_outbox")));
            throw new InvalidOperationException("later step failed");
        }));
        Assert.Equal(before, h.Count("SELECT COUNT(*) FROM notification_outbox"));
        Assert.Equal(DeploymentStatus.Failed, h.Engine.GetDeployment(d.Id).Status);
    }

    [Fact]
    public void A_crash_loop_of_many_failed_deployments_sends_one_message_then_one_summary_not_one_each()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        CrashingApp(repo).CommitAndPush();
        h.Register(repo);
        h.AddHttp("ops", NotificationChannelType.Webhook, r, minInterval: TimeSpan.FromHours(1));
        const int loops = 8;
        for (var i = 0; i < loops; i++) DeploymentAssert.Status(h, DeploymentStatus.Failed, h.Deploy("app"));

        var clock = new ManualClock(DateTimeOffset.UtcNow);
        h.Pass(clock: clock);
        var first = r.WaitFor(1);
        Assert.Single(first);
        Assert.Contains("\"event\":\"deployment-failed\"", first[0].Text);
        Assert.Contains("\"repeats\":0", first[0].Text);

        // Within the interval nothing more goes out, however often the sender looks.
        clock.Now += TimeSpan.FromMinutes(30);
        h.Pass(clock: clock);
        Assert.Single(r.Requests);

        clock.Now += TimeSpan.FromMinutes(31);
        h.Pass(clock: clock);
        var all = r.WaitFor(2);
        Assert.Equal(2, all.Count);
        Assert.Contains($"\"repeats\":{loops - 1}", all[1].Text);
        Assert.Contains($"{loops - 1} more × deployment failed", all[1].Text);
        Assert.Equal(loops - 1, (int)h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Suppressed'"));
        clock.Now += TimeSpan.FromHours(2);
        h.Pass(clock: clock);
        Assert.Equal(2, r.Requests.Count);
    }

    [Fact]
    public void Filters_choose_channels_by_event_and_project_and_project_less_events_go_only_to_unfiltered_channels()
    {
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        h.AddHttp("failures", NotificationChannelType.Slack, r, events: [NotificationEventKind.DeploymentFailed]);
        h.AddHttp("shop-only", NotificationChannelType.Slack, r, projects: ["shop"]);
        h.AddHttp("all", NotificationChannelType.Slack, r);
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop" });
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentSucceeded) { Project = "blog" });
        h.Enqueue(new NotificationEvent(NotificationEventKind.ListenerStarted));
        h.Pass();
        var got = r.WaitFor(5).Select(x => (x.Path.Split('/')[2], System.Text.Json.JsonDocument.Parse(x.Body).RootElement.GetProperty("text").GetString()!)).ToList();
        Thread.Sleep(200);
        Assert.Equal(5, r.Requests.Count);
        Assert.Equal(["deployment failed"], Kinds("failures"));
        Assert.Equal(["deployment failed"], Kinds("shop-only"));
        Assert.Equal(["deployment failed", "deployment succeeded", "listener started"], Kinds("all").Order().ToArray());

        string[] Kinds(string channel) => got.Where(g => g.Item1 == channel)
            .Select(g => new[] { "deployment failed", "deployment succeeded", "listener started" }.First(k => g.Item2.Contains(k))).ToArray();
    }

    [Fact]
    public void A_failing_channel_is_retried_with_backoff_reported_once_and_delivers_in_order_when_it_recovers()
    {
        using var h = new EngineHarness(NotificationTestKit.FastRetries);
        using var r = new HttpReceiver();
        h.AddHttp("ops", NotificationChannelType.Webhook, r);
        for (var i = 0; i < 5; i++) r.Script.Enqueue((503, "down for maintenance"));
        r.Script.Enqueue((0, "")); // then one request never answered: the timeout counts as a failure too
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop", Reason = "first" });
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop", Reason = "second" });
        var log = new List<string>();

        h.Pass(log);
        var failing = h.Engine.GetNotificationChannel("ops");
        Assert.NotNull(failing.FailingSince);
        Assert.Equal("HTTP 503 Service Unavailable: down for maintenance", failing.LastError);
        h.PassUntil(() => h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Sent'") == 2, log);

        var reqs = r.Requests;
        // 6 failed attempts of the first message, then both in order; the second never jumped ahead of the first.
        Assert.Equal(8, reqs.Count);
        Assert.All(reqs.Take(7), q => Assert.Contains("\"reason\":\"first\"", q.Text));
        Assert.Contains("\"reason\":\"second\"", reqs[7].Text);
        var history = h.Engine.GetNotificationHistory("ops");
        Assert.Equal(7, history.Single(x => x.Text.Contains("shop") && x.Attempts > 1).Attempts);
        lock (log)
        {
            Assert.Single(log, l => l.Contains("channel ops is not delivering"));
            Assert.Single(log, l => l.Contains("channel ops delivers again"));
        }
        Assert.Null(h.Engine.GetNotificationChannel("ops").FailingSince);
    }

    [Fact]
    public void The_backoff_doubles_from_the_configured_base_up_to_its_cap()
    {
        var o = new CicdOps.Engine.EngineOptions { NotificationRetryBase = TimeSpan.FromSeconds(30), NotificationRetryMax = TimeSpan.FromHours(1) };
        Assert.Equal([30, 60, 120, 240, 3600, 3600], new[] { 1, 2, 3, 4, 9, 40 }.Select(n => NotificationSender.Backoff(o, n).TotalSeconds).ToArray());
    }

    [Fact]
    public void A_message_not_delivered_within_the_give_up_age_is_given_up_not_retried_forever()
    {
        using var h = new EngineHarness(NotificationTestKit.FastRetries);
        using var r = new HttpReceiver();
        h.AddHttp("ops", NotificationChannelType.Slack, r);
        r.Script.Enqueue((500, "boom"));
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop" });
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        h.Pass(clock: clock);
        clock.Now += TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1);
        h.Pass(clock: clock);
        Assert.Single(r.Requests);
        var d = h.Engine.GetNotificationHistory("ops").Single();
        Assert.Equal(NotificationDeliveryStatus.GaveUp, d.Status);
        Assert.Contains("HTTP 500", d.LastError);
    }

    [Fact]
    public void Errors_stored_and_logged_never_show_the_channel_url_token_or_secret()
    {
        using var h = new EngineHarness(NotificationTestKit.FastRetries);
        using var r = new HttpReceiver();
        var ch = h.AddHttp("ops", NotificationChannelType.Discord, r);
        Assert.Equal($"http://127.0.0.1:{r.Port}/***", ch.Target);
        // A receiver that echoes the URL it was called on (some do, in their error pages).
        for (var i = 0; i < 4; i++) r.Script.Enqueue((500, $"bad token at {r.Url("/hook/ops/T0KEN-abcdef123456")}"));
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop" });
        var log = new List<string>();
        h.PassUntil(() => r.Requests.Count >= 4, log);
        var error = h.Engine.GetNotificationChannel("ops").LastError!;
        Assert.Contains("HTTP 500", error);
        Assert.DoesNotContain("T0KEN-abcdef123456", error);
        lock (log) Assert.DoesNotContain(log, l => l.Contains("T0KEN"));
        Assert.DoesNotContain("T0KEN", string.Join("\n", h.Engine.GetNotificationHistory().Select(x => x.LastError)));
        // At rest too: the URL (its token) is sealed, not in the database file in clear.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(Path.Combine(h.DataPath, "cicdops.db")).Concat(File.Exists(Path.Combine(h.DataPath, "cicdops.db-wal"))
            ? File.ReadAllBytes(Path.Combine(h.DataPath, "cicdops.db-wal")) : []).ToArray();
        Assert.DoesNotContain("T0KEN-abcdef123456", System.Text.Encoding.UTF8.GetString(bytes));
    }
}

/// <summary>The notification tables stay bounded.</summary>
public sealed class NotificationRetentionTests
{
    [Fact]
    public void Old_finished_messages_and_dispatched_events_are_pruned_and_pending_ones_kept()
    {
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        h.AddHttp("ok", NotificationChannelType.Slack, r);
        h.Engine.AddNotificationChannel("down", new NotificationChannelSpec { Type = NotificationChannelType.Slack, Url = $"http://127.0.0.1:{FreePort.Next()}/x" });
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentFailed) { Project = "shop" });
        h.Pass();
        Assert.Equal(1, h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Sent'"));
        Assert.Equal(1, h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Pending'"));
        var db = new Database(h.DataPath);

        Assert.Equal(0, db.Write(c => NotificationRetention.Prune(c, DateTimeOffset.UtcNow - TimeSpan.FromDays(30))));
        Assert.Equal(2, db.Write(c => NotificationRetention.Prune(c, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1))));
        Assert.Equal(0, h.Count("SELECT COUNT(*) FROM notification_outbox"));
        Assert.Equal(0, h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Sent'"));
        Assert.Equal(1, h.Count("SELECT COUNT(*) FROM notification_deliveries WHERE status = 'Pending'"));
    }
}
