using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>`cicdops listen` as a real process: a signed push deploys a real repository; SIGTERM and a restart recover.</summary>
[Collection("cli")]
public sealed class CliListenerTests
{
    private const string Secret = "It's a Secret to Everybody";

    [Fact]
    public async Task A_signed_push_to_the_listener_deploys_the_pushed_commit_end_to_end()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        var port = FreePort.Next();
        using var listener = StartListener(cli, port);

        var v2 = repo.WriteSleeper("v2", cli.StateDir).CommitAndPush("v2");
        var (status, body) = await Push(port, repo, v2, delivery: "delivery-1");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains("\"queued\"", body);
        var d = cli.Deployments("app").First(x => x.Trigger == DeploymentTrigger.Webhook);
        d = cli.WaitFor("app", d.Id, x => x.IsFinished);
        Assert.Equal(DeploymentStatus.Succeeded, d.Status);
        Assert.Equal(v2, d.Commit);
        Assert.Equal("v2", cli.Serving);

        // GitHub redelivers with the same id: answered 200 "duplicate", nothing deployed.
        var (again, againBody) = await Push(port, repo, v2, delivery: "delivery-1");
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Contains("duplicate", againBody);
        Assert.Single(cli.Deployments("app"), x => x.Trigger == DeploymentTrigger.Webhook);

        var deliveries = cli.Run("deliveries", "--json").ShouldExit(0).Json<List<WebhookDelivery>>();
        Assert.Contains(deliveries, x => x.DeliveryId == "delivery-1" && x.Accepted && x.Commit == v2 && x.Outcome == "queued");
        Stop(listener);
        // The journal has the deployment's outcome, not only the delivery.
        var output = listener.StandardOutput.ReadToEnd();
        Assert.Contains($"deployment id={d.Id} project=app commit={v2} trigger=webhook outcome=Succeeded", output);
    }

    [Fact]
    public async Task SIGTERM_during_a_deploy_stops_the_listener_and_a_restart_redeploys_what_was_interrupted()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        var port = FreePort.Next();
        var listener = StartListener(cli, port, "--shutdown-grace", "1");

        var slow = repo.WriteSleeper("v2", cli.StateDir).WriteSlowInstall(4, cli.StateDir).CommitAndPush("v2 with a slow install");
        Assert.Equal(HttpStatusCode.Accepted, (await Push(port, repo, slow, "slow")).Status);
        var d = cli.Deployments("app").First(x => x.Trigger == DeploymentTrigger.Webhook);
        cli.WaitFor("app", d.Id, x => x.Stage == DeploymentStage.Install);

        Run.Command("kill", null, "-TERM", listener.Id.ToString());
        Assert.True(listener.WaitForExit(30_000), "the listener must stop after SIGTERM");
        Assert.Equal(0, listener.ExitCode);
        var output = listener.StandardOutput.ReadToEnd();
        Assert.Contains("stopping", output);
        listener.Dispose();

        using var restarted = StartListener(cli, port);
        var interrupted = cli.WaitFor("app", d.Id, x => x.IsFinished);
        Assert.Equal(DeploymentStatus.Interrupted, interrupted.Status);
        var recovery = cli.Deployments("app").First(x => x.Trigger == DeploymentTrigger.Recovery);
        recovery = cli.WaitFor("app", recovery.Id, x => x.IsFinished);
        Assert.Equal(DeploymentStatus.Succeeded, recovery.Status);
        Assert.Equal(slow, recovery.Commit);
        Assert.Equal("v2", cli.Serving);
        Stop(restarted);
    }

    [Fact]
    public async Task A_long_enough_shutdown_grace_lets_the_running_deploy_finish_before_the_listener_exits()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(2, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        var port = FreePort.Next();
        var listener = StartListener(cli, port, "--shutdown-grace", "60");

        var sha = repo.Git("rev-parse", "HEAD").Trim();
        Assert.Equal(HttpStatusCode.Accepted, (await Push(port, repo, sha, "graceful")).Status);
        var d = cli.Deployments("app").First();
        cli.WaitFor("app", d.Id, x => x.Stage == DeploymentStage.Install);
        Run.Command("kill", null, "-TERM", listener.Id.ToString());

        Assert.True(listener.WaitForExit(60_000));
        Assert.Equal(0, listener.ExitCode);
        Assert.Equal(DeploymentStatus.Succeeded, cli.Deployments("app").Single(x => x.Id == d.Id).Status);
        listener.Dispose();
    }

    [Fact]
    public void Without_a_secret_the_listener_refuses_a_public_interface_in_one_line()
    {
        using var cli = new CliHarness();
        var r = cli.Run("listen", "--port", FreePort.Next().ToString(), "--bind", "+");

        Assert.Equal(1, r.Code);
        var line = Assert.Single(r.ErrLines);
        Assert.Contains("secret", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_port_in_use_is_the_first_and_only_thing_listen_says()
    {
        using var cli = new CliHarness();
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var r = cli.Run("listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--allow-unsigned");

        Assert.NotEqual(0, r.Code);
        Assert.Equal("", r.StdOut); // no "listening", no "listener stopped" before or after it
        var line = Assert.Single(r.ErrLines);
        Assert.Contains(port.ToString(), line);
    }

    private static Process StartListener(CliHarness cli, int port, params string[] extra)
    {
        var secretFile = Path.Combine(cli.Root, "webhook.secret");
        File.WriteAllText(secretFile, Secret + "\n");
        var p = cli.Start(new[] { "listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", secretFile }.Concat(extra).ToArray());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!CicdOps.Tests.Engine.AppProcessTests.CanConnect(port))
        {
            if (p.HasExited) Assert.Fail("listen exited: " + p.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) Assert.Fail("listen did not start");
            Thread.Sleep(50);
        }
        return p;
    }

    private static void Stop(Process p)
    {
        Run.Command("kill", null, "-TERM", p.Id.ToString());
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>A GitHub push delivery for the local repository, signed with the listener's secret.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> Push(int port, TestRepository repo, string after, string delivery)
    {
        var body = JsonSerializer.Serialize(new
        {
            @ref = "refs/heads/" + repo.Branch,
            before = new string('0', 39) + "1",
            after,
            deleted = false,
            head_commit = new { id = after, message = "ship it; $(touch /tmp/pwned)" },
            repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url, html_url = repo.Url },
        });
        var signature = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/webhook")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", delivery);
        request.Headers.Add("X-Hub-Signature-256", signature);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
