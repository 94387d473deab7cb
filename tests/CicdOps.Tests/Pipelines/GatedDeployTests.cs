using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// A project that requires its pipeline: a real push delivery to the real listener deploys the commit only after
/// its pipeline run succeeded; a failing run records the deployment Skipped with the run's id and leaves the app be.
/// </summary>
public sealed class GatedDeployTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("gated-test-secret");

    private static TestRepository WriteVersion(TestRepository repo, string version, string tests, string stateDir)
    {
        repo.WriteSleeper(version, stateDir);
        repo.Write("TESTS", tests + "\n");
        repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "tests", "run": "grep -qx ok TESTS"}]}""");
        return repo;
    }

    [Fact]
    public async Task A_push_deploys_only_after_a_green_run_and_a_red_run_skips_the_deploy_naming_the_run()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = WriteVersion(repo, "v1", "ok", h.StateDir).CommitAndPush();
        h.Register(repo);
        Assert.True(h.Engine.UpdateProject("app", new ProjectUpdate { RequirePipeline = true }).RequirePipeline);
        await using var listener = await Listening.Start(h);

        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v1, "g1"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(Latest(h)));
        var green = Assert.Single(h.Engine.GetPipelineRuns("app"));
        Assert.Equal((PipelineRunStatus.Succeeded, v1, "push"), (green.Status, green.Commit, green.Event));
        Assert.Equal("v1", h.Serving);
        Assert.Contains($"run {green.RunId} Succeeded", h.Log(Latest(h)));

        var v2 = WriteVersion(repo, "v2", "broken", h.StateDir).CommitAndPush();
        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v2, "g2"));
        var skipped = h.Wait(Latest(h));
        DeploymentAssert.Status(h, DeploymentStatus.Skipped, skipped);
        var red = h.Engine.GetPipelineRuns("app")[0];
        Assert.Equal((PipelineRunStatus.Failed, v2), (red.Status, red.Commit));
        Assert.Equal($"pipeline run {red.RunId} Failed: step 'tests': command exited with code 1", skipped.Reason);
        Assert.Equal("v1", h.Serving);
        Assert.Equal(v1, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal(ProjectStatus.Healthy, h.Engine.GetProject("app").Status);
    }

    private static Deployment Latest(EngineHarness h) => h.Engine.GetDeployments("app").MaxBy(d => d.Id)!;

    private sealed class Listening : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;
        private int _port;

        public static async Task<Listening> Start(EngineHarness h)
        {
            var l = new Listening { _port = FreePort.Next() };
            var options = new ListenerOptions { Port = l._port, BindAddress = "127.0.0.1", Secret = Secret };
            l._run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options),
                _ => { }, l._stop.Token, TimeSpan.FromSeconds(30));
            Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(l._port));
            await Task.Yield();
            return l;
        }

        public async Task<HttpStatusCode> Push(TestRepository repo, string after, string delivery)
        {
            var body = JsonSerializer.Serialize(new
            {
                @ref = "refs/heads/" + repo.Branch, before = new string('1', 40), after, deleted = false,
                repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url },
            });
            var sig = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
            using var http = new HttpClient();
            using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_port}/webhook")
                { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            req.Headers.Add("X-GitHub-Event", "push");
            req.Headers.Add("X-GitHub-Delivery", delivery);
            req.Headers.Add("X-Hub-Signature-256", sig);
            using var resp = await http.SendAsync(req);
            return resp.StatusCode;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _run;
            _stop.Dispose();
        }
    }
}

/// <summary>`--require-pipeline` on `project add` and `project set`, as real processes.</summary>
[Collection("cli")]
public sealed class RequirePipelineCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void Add_and_set_turn_the_gate_on_and_off()
    {
        _repo.Write("README", "gate");
        _repo.CommitAndPush("first");
        var added = _cli.Add(_repo, "gated", "--require-pipeline");
        Assert.True(added.RequirePipeline);
        Assert.False(_cli.Run("project", "set", "gated", "--require-pipeline", "false", "--json").ShouldExit(0).Json<Project>().RequirePipeline);
        Assert.True(_cli.Run("project", "set", "gated", "--require-pipeline", "true", "--json").ShouldExit(0).Json<Project>().RequirePipeline);
        Assert.Contains("--require-pipeline", _cli.Run("project", "set", "gated").ShouldExit(2).StdErr);
    }
}
