using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>`cicdops artifacts`: list, filter by run, fetch one with --out (--force to replace), and the errors.</summary>
[Collection("cli")]
public sealed class ArtifactsCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void Lists_caches_and_artifacts_and_fetches_one_as_a_tar_file()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "deps", "type": "cache-files", "key": "deps", "fileNames": ["deps"]},
              {"name": "build", "run": "mkdir -p dist deps && echo app > dist/app.txt && echo d > deps/d"},
              {"name": "keep", "type": "store-files", "key": "dist-{{context.branch}}", "fileNames": ["dist/*"]}
            ]}
            """);
        _repo.CommitAndPush("artifacts");
        _cli.Add(_repo, "arts");
        var run = _cli.Run("pipeline", "run", "arts", "--json").ShouldExit(0).Json<PipelineRun>();

        var listed = _cli.Run("artifacts", "arts", "--json").ShouldExit(0).Json<List<PipelineArtifact>>();
        Assert.Equal(new[] { (PipelineFileKind.Artifact, "dist-main"), (PipelineFileKind.Cache, "deps") },
            listed.Select(a => (a.Kind, a.Key)).OrderBy(x => x.Kind));
        Assert.All(listed, a => Assert.Equal(run.RunId, a.RunId));
        var table = _cli.Run("artifacts", "--run", run.RunId).ShouldExit(0).StdOut;
        Assert.Matches(@"(?m)^KIND\s+PROJECT\s+KEY\s+RUN", table);
        Assert.Matches(@"(?m)^Artifact\s+arts\s+dist-main\s+" + run.RunId, table);
        Assert.Equal("deps", Assert.Single(_cli.Run("artifacts", "arts", "--cache", "--json").ShouldExit(0).Json<List<PipelineArtifact>>()).Key);

        var tar = Path.Combine(_cli.Root, "dist.tar");
        var fetched = _cli.Run("artifacts", "arts", "--key", "dist-main", "--out", tar).ShouldExit(0);
        Assert.Contains("written to " + tar, fetched.StdOut);
        Assert.Contains("dist/app.txt", Support.Run.Command("tar", null, "-tf", tar));
        var again = _cli.Run("artifacts", "arts", "--key", "dist-main", "--out", tar).ShouldExit(1);
        Assert.Contains("use --force", again.StdErr);
        _cli.Run("artifacts", "arts", "--key", "dist-main", "--out", tar, "--force").ShouldExit(0);
        _cli.Run("artifacts", "arts", "--cache", "--key", "deps", "--out", Path.Combine(_cli.Root, "deps.tar")).ShouldExit(0);

        Assert.Contains("--out needs --key", _cli.Run("artifacts", "arts", "--out", tar).ShouldExit(1).StdErr);
        Assert.Contains("no artifact 'nope'", _cli.Run("artifacts", "arts", "--key", "nope", "--out", Path.Combine(_cli.Root, "n.tar")).StdErr);
    }
}
