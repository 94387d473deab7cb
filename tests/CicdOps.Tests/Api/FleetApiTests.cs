using System.Text.Json;
using CicdOps.Engine.Fleet;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Api;

/// <summary>
/// The listener's /api endpoints on a server that joined no fleet (they serve this server's own state): bearer
/// tokens and their scopes, the snapshot, and the SSE stream's heartbeat and Last-Event-ID resume.
/// </summary>
[Collection("cli")]
public sealed class FleetApiTests
{
    [Fact]
    public async Task Tokens_guard_the_api_read_can_stream_and_revoked_or_missing_or_query_string_tokens_are_refused()
    {
        using var node = new ListenerNode(new CliHarness());
        var read = node.CreateToken("read", "reader");
        var operate = node.CreateToken("operate", "operator");
        node.StartListener();

        Assert.Equal(401, (await node.GetAsync("/api/fleet", null)).Status);
        Assert.Equal(401, (await node.GetAsync("/api/fleet", "cicd_1_" + new string('A', 43))).Status);
        Assert.Equal(401, (await node.GetAsync("/api/fleet", read + "x")).Status);
        // A valid token in the URL is refused, with or without a valid header.
        Assert.Equal(400, (await node.GetAsync("/api/fleet?access_token=" + Uri.EscapeDataString(read), null)).Status);
        Assert.Equal(400, (await node.GetAsync("/api/fleet?token=" + Uri.EscapeDataString(read), read)).Status);
        Assert.Equal(400, (await node.GetAsync("/api/stream/fleet?x=" + Uri.EscapeDataString(read), read)).Status);

        var ok = await node.GetAsync("/api/fleet", read);
        Assert.Equal(200, ok.Status);
        using (var doc = JsonDocument.Parse(ok.Body))
            Assert.Contains(doc.RootElement.GetProperty("rows").EnumerateArray(), r => r.GetProperty("kind").GetString() == "Node");
        Assert.Equal(200, (await node.GetAsync("/api/fleet", operate)).Status);
        await using (var stream = await SseClient.OpenAsync(node.Url("/api/stream/fleet"), read))
        {
            Assert.Equal(200, stream.StatusCode);
            Assert.Equal("text/event-stream", stream.ContentType);
        }

        Assert.Contains("revoked token reader", node.Cli.Run("token", "revoke", "reader").ShouldExit(0).StdOut);
        Assert.Equal(401, (await node.GetAsync("/api/fleet", read)).Status);
        await using (var refused = await SseClient.OpenAsync(node.Url("/api/stream/fleet"), read))
            Assert.Equal(401, refused.StatusCode);
        Assert.Equal(200, (await node.GetAsync("/api/fleet", operate)).Status);

        // Only hashes are stored: neither token's secret is anywhere in the data directory.
        foreach (var file in Directory.GetFiles(node.Cli.DataPath, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllText(file, System.Text.Encoding.Latin1);
            // The secret is everything after cicd_ID_ (base64url: it may hold '_' itself).
            Assert.DoesNotContain(read.Split('_', 3)[2], bytes);
            Assert.DoesNotContain(operate.Split('_', 3)[2], bytes);
        }
        Assert.Contains("revoked", node.Cli.Run("token", "list").ShouldExit(0).StdOut);
    }

    [Fact]
    public async Task The_stream_sends_heartbeats_and_resumes_after_the_Last_Event_ID()
    {
        using var repo = new TestRepository();
        using var node = new ListenerNode(new CliHarness());
        repo.WriteSleeper("v1", node.Cli.StateDir).CommitAndPush("v1");
        var token = node.CreateToken("read", "stream");
        node.StartListener(heartbeatSeconds: 0.2);

        long seen;
        await using (var first = await SseClient.OpenAsync(node.Url("/api/stream/fleet"), token))
        {
            await first.WaitForAsync(e => e.Name is null && e.Comments.Any(c => c.StartsWith("heartbeat ", StringComparison.Ordinal)));
            node.Cli.Add(repo, "blog");
            var blog = await first.WaitForAsync(e => e.Name == "fleet" && Row(e) is { Kind: FleetUpdateKind.Project, Project: "blog" });
            seen = long.Parse(blog.Id!);
        }

        // Changed while no one was connected: a client that resumes gets it, and nothing it had seen before.
        node.Cli.Add(repo, "shop");
        await using (var api = new SnapshotPoller(node, token)) await api.UntilProjectAsync("shop");
        await using (var resumed = await SseClient.OpenAsync(node.Url("/api/stream/fleet"), token, seen.ToString()))
        {
            var shop = await resumed.WaitForAsync(e =>
            {
                if (e.Name == "fleet") Assert.True(long.Parse(e.Id!) > seen, $"event {e.Id} was sent before {seen} and replayed");
                return e.Name == "fleet" && Row(e) is { Kind: FleetUpdateKind.Project, Project: "shop" };
            });
            Assert.Equal(ProjectStatus.Registered, Row(shop).Status);
        }

        // An id the replay buffer no longer holds (from long ago): the fleet as it is now, so nothing is silently missed.
        await using var old = await SseClient.OpenAsync(node.Url("/api/stream/fleet"), token, "1");
        var projects = new HashSet<string>();
        while (projects.Count < 2)
        {
            var e = await old.WaitForAsync(e => e.Name == "fleet");
            if (Row(e) is { Kind: FleetUpdateKind.Project, Project: { } p }) projects.Add(p);
        }
        Assert.Equal(new[] { "blog", "shop" }, projects.Order());
    }

    [Fact]
    public void Fleet_once_and_fleet_watch_on_a_server_without_a_registry_show_this_server_and_stop_on_ctrl_c()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo, "shop");

        var once = cli.Run("fleet", "--json").ShouldExit(0).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => FleetJson.Deserialize(l)!).ToList();
        Assert.Single(once, u => u.Kind == FleetUpdateKind.Node);
        Assert.Equal(ProjectStatus.Registered, Assert.Single(once, u => u.Project == "shop").Status);
        Assert.Matches(@"shop\s+Registered\s+Unknown", cli.Run("fleet").ShouldExit(0).StdOut);

        using var watch = cli.Start("fleet", "watch", "--json", "--project", "blog");
        _ = watch.StandardError.ReadToEndAsync();
        cli.Add(repo, "blog");
        string? line;
        do line = watch.StandardOutput.ReadLine();
        while (line is not null && FleetJson.Deserialize(line) is not { Project: "blog", Kind: FleetUpdateKind.Project });
        Assert.NotNull(line);
        Signals.Signal(watch.Id, Signals.Sigint);
        Assert.True(watch.WaitForExit(10_000), "fleet watch did not stop on Ctrl+C");
        Assert.Equal(0, watch.ExitCode);
    }

    private static FleetUpdate Row(SseEvent e) => FleetJson.Deserialize(e.Data)!;

    /// <summary>Polls GET /api/fleet until a project appears (so the hub has published it before the test resumes).</summary>
    private sealed class SnapshotPoller(ListenerNode node, string token) : IAsyncDisposable
    {
        public async Task UntilProjectAsync(string project)
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until)
            {
                var (status, body) = await node.GetAsync("/api/fleet?project=" + project, token);
                if (status == 200 && body.Contains("\"project\":\"" + project + "\"", StringComparison.Ordinal)) return;
                await Task.Delay(100);
            }
            Assert.Fail($"{project} never appeared in /api/fleet");
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
