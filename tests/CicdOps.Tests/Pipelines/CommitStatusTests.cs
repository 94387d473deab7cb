using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// Commit statuses: real pipeline runs of a real repository report pending, then how they ended, to a forge API on a
/// loopback port that checks the path, the token header and the body the way GitHub, GitLab and Gitea do.
/// </summary>
public sealed class CommitStatusTests : IDisposable
{
    private const string Token = "forge-token-7c1d9e2a44";
    private readonly EngineHarness _h = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    private Project Register(string tests, string? api, bool token = true)
    {
        _repo.Write("TESTS", tests + "\n").Write(".cicd/pipeline.json", """{"steps": [{"name": "tests", "run": "grep -qx ok TESTS"}]}""");
        _repo.CommitAndPush("tests " + tests);
        var p = _h.Register(_repo, "st-" + Guid.NewGuid().ToString("N")[..6]);
        if (api is not null) _h.Engine.UpdateProject(p.Name, new ProjectUpdate { CommitStatusApi = api });
        if (token) _h.Engine.SetCommitStatusToken(p.Name, System.Text.Encoding.UTF8.GetBytes(Token));
        return _h.Engine.GetProject(p.Name);
    }

    // The repository is file:///…/cicdops-repo-XXXX/origin.git: owner/name are its last two path segments.
    private string OwnerName => string.Join('/', _repo.BarePath[..^".git".Length].Split('/')[^2..]);

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    public async Task A_green_run_reports_pending_then_success_with_the_forge_s_path_token_header_and_body(string kind)
    {
        using var forge = new ForgeApiServer(kind, Token);
        var p = Register("ok", forge.ApiBase);

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        var requests = await forge.WaitForAsync(2);
        Assert.Equal(2, requests.Count);
        var expectedPath = kind switch
        {
            "github" => $"/api/v3/repos/{OwnerName}/statuses/{run.Commit}",
            "gitlab" => $"/api/v4/projects/{Uri.EscapeDataString(_repo.BarePath[1..^".git".Length])}/statuses/{run.Commit}",
            _ => $"/api/v1/repos/{OwnerName}/statuses/{run.Commit}",
        };
        foreach (var r in requests)
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal(expectedPath, r.Path);
            Assert.Equal("cicdops/" + p.Name, (string?)r.Json[kind == "gitlab" ? "name" : "context"]);
        }
        Assert.Equal(new[] { "pending", "success" }, requests.Select(r => (string?)r.Json["state"]));
        Assert.Contains(run.RunId, (string?)requests[1].Json["description"]);
        Assert.False(File.Exists(Path.Combine(run.LogDirectory, "commit-status.log")), "a delivered status was logged as a failure");
    }

    [Theory]
    [InlineData("github", "failure")]
    [InlineData("gitlab", "failed")]
    public async Task A_red_run_reports_failure(string kind, string state)
    {
        using var forge = new ForgeApiServer(kind, Token);
        var p = Register("broken", forge.ApiBase);

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Failed, run.Status);
        var requests = await forge.WaitForAsync(2);
        Assert.Equal(new[] { "pending", state }, requests.Select(r => (string?)r.Json["state"]));
        Assert.Contains("step 'tests'", (string?)requests[1].Json["description"]);
    }

    [Fact]
    public async Task A_reason_quoting_a_secret_reaches_the_forge_masked()
    {
        using var forge = new ForgeApiServer("gitea", Token);
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [{"name": "leaky", "condition": "(() => { throw new Error('leak ' + env.DB_PASSWORD) })()", "run": "true"}]}
            """);
        _repo.CommitAndPush("leaky condition");
        var p = _h.Register(_repo, "st-" + Guid.NewGuid().ToString("N")[..6]);
        _h.Engine.UpdateProject(p.Name, new ProjectUpdate { CommitStatusApi = forge.ApiBase });
        _h.Engine.SetCommitStatusToken(p.Name, System.Text.Encoding.UTF8.GetBytes(Token));
        _h.Engine.SetSecret(p.Name, "DB_PASSWORD", "hunter2-5e6f7a8b".AsSpan());

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Failed, run.Status);
        var requests = await forge.WaitForAsync(2);
        var description = (string?)requests.Last().Json["description"];
        Assert.Contains("leak ***", description);
        Assert.DoesNotContain("hunter2-5e6f7a8b", string.Join("\n", requests.Select(r => r.Body)));
    }

    [Fact]
    public async Task A_refused_status_never_fails_the_run_and_is_logged_once_without_the_token()
    {
        using var forge = new ForgeApiServer("github", "another token the forge expects");
        var p = Register("ok", forge.ApiBase);

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Equal(2, (await forge.WaitForAsync(2)).Count);
        var log = File.ReadAllLines(Path.Combine(run.LogDirectory, "commit-status.log"));
        var line = Assert.Single(log);
        Assert.Contains("HTTP 401", line);
        Assert.Contains("Bad credentials", line);
        Assert.DoesNotContain(Token, line);
        foreach (var step in run.Steps) Assert.DoesNotContain(Token, File.ReadAllText(step.LogPath!));
    }

    [Fact]
    public async Task A_forge_that_does_not_answer_never_fails_the_run()
    {
        var closedPort = FreePort.Next(); // nothing listens there
        var p = Register("ok", $"http://127.0.0.1:{closedPort}/api/v4");

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Contains("did not answer", Assert.Single(File.ReadAllLines(Path.Combine(run.LogDirectory, "commit-status.log"))));
    }

    [Fact]
    public async Task Without_a_token_nothing_is_sent()
    {
        using var forge = new ForgeApiServer("gitea", Token);
        var p = Register("ok", forge.ApiBase, token: false);
        Assert.False(_h.Engine.HasCommitStatusToken(p.Name));

        var run = await _h.Engine.RunPipelineAsync(p.Name);

        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Empty(forge.Requests);
    }

    [Fact]
    public void The_token_is_sealed_never_listed_as_a_secret_and_never_injected()
    {
        var p = Register("ok", null);
        Assert.True(_h.Engine.HasCommitStatusToken(p.Name));
        Assert.Empty(_h.Engine.GetSecrets(p.Name));
        foreach (var file in Directory.GetFiles(_h.DataPath, "cicdops.db*"))
            Assert.DoesNotContain(Token, System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(file)));
        Assert.True(_h.Engine.RemoveCommitStatusToken(p.Name));
        Assert.False(_h.Engine.HasCommitStatusToken(p.Name));
    }

    [Theory]
    [InlineData("https://git.example.com/")]
    [InlineData("https://git.example.com/api/v2")]
    [InlineData("https://user:pass@git.example.com/api/v4")]
    [InlineData("ftp://git.example.com/api/v4")]
    public void An_override_that_names_no_forge_API_is_refused_and_nothing_changes(string api)
    {
        var p = Register("ok", null, token: false);
        var e = Assert.Throws<CicdException>(() => _h.Engine.UpdateProject(p.Name, new ProjectUpdate { CommitStatusApi = api }));
        Assert.Equal("CicdInvalidArgument", e.ErrorId);
        Assert.Contains("/api/v4 (GitLab)", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.DoesNotContain("pass", e.Message);
        Assert.Null(_h.Engine.GetProject(p.Name).CommitStatusApi);
    }
}
