using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>`CicdEngine.RunPipelineAsync`: a real repository, a fresh workspace of the exact commit owned by the project's account, removed afterwards.</summary>
public sealed class PipelineRunTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Runs_the_exact_commit_in_a_fresh_workspace_that_is_removed_afterwards()
    {
        _repo.Write("version.txt", "v1\n")
            .Write(".simpleci/pipeline.json", """
                {"steps": [
                  {"name": "where", "run": ["pwd", "id -un", "cat version.txt", "git rev-parse HEAD"]},
                  {"name": "message", "run": "printf 'msg=%s\\n' {{context.message}}"},
                  {"name": "secret", "run": "echo token=$API_TOKEN"}
                ]}
                """);
        var v1 = _repo.CommitAndPush("first: $(touch /tmp/cicdops-pwned-run)");
        _repo.Write("version.txt", "v2\n");
        _repo.CommitAndPush("second");
        var project = _h.Register(_repo, "pipe-" + Guid.NewGuid().ToString("N")[..6]);
        _h.Engine.SetSecret(project.Name, "API_TOKEN", "tok-5f1e2d3c4b".AsSpan());

        var run = await _h.Engine.RunPipelineAsync(project.Name, v1);

        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Null(run.Reason);
        Assert.Equal(v1, run.Commit);
        Assert.Equal(3, run.Steps.Count);
        Assert.All(run.Steps, s => Assert.Equal(PipelineStepStatus.Succeeded, s.Status));
        var where = File.ReadAllText(run.Steps[0].LogPath!);
        Assert.Contains("out  v1", where);
        Assert.Contains("out  " + v1, where);
        Assert.Contains("msg=first: $(touch /tmp/cicdops-pwned-run)", File.ReadAllText(run.Steps[1].LogPath!));
        Assert.False(File.Exists("/tmp/cicdops-pwned-run"));
        var secretLog = File.ReadAllText(run.Steps[2].LogPath!);
        Assert.Contains("token=***", secretLog);
        Assert.DoesNotContain("tok-5f1e2d3c4b", secretLog);

        // The workspace was not the deployed tree, ran as the project's account when sandboxed, and is gone.
        var lines = where.Split('\n');
        var workspace = lines.Single(l => l.Contains(" out  /")).Split(" out  ", 2)[1];
        Assert.NotEqual(project.Path, workspace);
        Assert.EndsWith(run.RunId, workspace);
        Assert.False(Directory.Exists(workspace), "the workspace outlived its run");
        var user = _h.Engine.GetProject(project.Name).ServiceUser ?? Environment.UserName;
        Assert.Contains(" out  " + user + "\n", where);
    }

    [Fact]
    public async Task A_failing_step_fails_the_run_with_its_reason_and_the_rest_is_not_run()
    {
        _repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "tests", "run": "exit 4"}, {"name": "deploy", "run": "true"}]}""");
        _repo.CommitAndPush("failing");
        var project = _h.Register(_repo, "pipe-" + Guid.NewGuid().ToString("N")[..6]);
        var run = await _h.Engine.RunPipelineAsync(project.Name);
        Assert.Equal(PipelineRunStatus.Failed, run.Status);
        Assert.Equal("step 'tests': command exited with code 4", run.Reason);
        Assert.Equal(new[] { PipelineStepStatus.Failed, PipelineStepStatus.NotRun }, run.Steps.Select(s => s.Status));

        // Durable: read back from SQLite by a second engine on the same data directory.
        using var again = CicdEngine.Open(new EngineOptions { DataPath = _h.DataPath });
        var stored = Assert.Single(again.GetPipelineRuns(project.Name));
        Assert.Equal(run.RunId, stored.RunId);
        Assert.Equal(PipelineRunStatus.Failed, stored.Status);
        Assert.Equal(run.Reason, stored.Reason);
        Assert.Equal(run.Commit, stored.Commit);
        Assert.Equal(run.Steps.Select(s => (s.Name, s.Status, s.ExitCode, s.LogPath)), stored.Steps.Select(s => (s.Name, s.Status, s.ExitCode, s.LogPath)));
    }

    [Fact]
    public async Task An_invalid_or_missing_pipeline_file_is_a_failed_run_that_says_why()
    {
        _repo.Write("README", "no pipeline");
        _repo.CommitAndPush("none");
        var project = _h.Register(_repo, "pipe-" + Guid.NewGuid().ToString("N")[..6]);
        var none = await _h.Engine.RunPipelineAsync(project.Name);
        Assert.Equal(PipelineRunStatus.Failed, none.Status);
        Assert.Contains("no .cicd/pipeline.json", none.Reason);

        _repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "a", "run": 1}]}""");
        _repo.CommitAndPush("invalid");
        var invalid = await _h.Engine.RunPipelineAsync(project.Name);
        Assert.Equal(PipelineRunStatus.Failed, invalid.Status);
        Assert.StartsWith(".cicd/pipeline.json is invalid: /steps/0/run: ", invalid.Reason);
        Assert.Empty(invalid.Steps);
    }

    [Sandbox.RootFact]
    public async Task A_workspace_reached_through_a_symbolic_link_the_account_planted_is_refused()
    {
        _repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "a", "run": "true"}]}""");
        _repo.CommitAndPush("pipeline");
        var project = _h.Register(_repo, "pipe-" + Guid.NewGuid().ToString("N")[..6]);
        // The first run makes the project's account (accounts are made when first needed).
        Assert.Equal(PipelineRunStatus.Succeeded, (await _h.Engine.RunPipelineAsync(project.Name)).Status);
        var user = _h.Engine.GetProject(project.Name).ServiceUser!;
        var home = Run.Command("getent", null, "passwd", user).Split(':')[5];
        // What the account could do itself: its workspaces directory pointing elsewhere, somewhere it can write.
        var elsewhere = Path.Combine(_h.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Run.Command("chown", null, user, elsewhere);
        if (Directory.Exists(Path.Combine(home, ".cicdops", "workspaces"))) Directory.Delete(Path.Combine(home, ".cicdops", "workspaces"), recursive: true);
        Directory.CreateDirectory(Path.Combine(home, ".cicdops"));
        Run.Command("chown", null, user, Path.Combine(home, ".cicdops"));
        File.CreateSymbolicLink(Path.Combine(home, ".cicdops", "workspaces"), elsewhere);

        var e = await Assert.ThrowsAsync<CicdException>(() => _h.Engine.RunPipelineAsync(project.Name));
        Assert.Equal(CicdError.ServiceUserFailed, e.Error);
        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere, "*", SearchOption.AllDirectories).Where(f => f.Contains(".git")));
    }
}
