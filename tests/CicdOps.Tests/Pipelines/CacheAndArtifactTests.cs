using System.Formats.Tar;
using CicdOps.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// `cache-files` and `store-files` on real runs of real repositories: a cache missed then hit across two runs and
/// restored as the project's account, nothing saved from a failed run, artifacts kept until their expiry and fetched,
/// keys that cannot leave their directory, links never followed as root, and the size cap's LRU eviction.
/// </summary>
public sealed class CacheAndArtifactTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions { PipelineArtifactCapBytes = 50_000 });
    private readonly TestRepository _repo = new();
    private readonly TempDirectory _out = new("artifact-out");

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
        _out.Dispose();
    }

    private string NewProject() => _h.Register(_repo, "files-" + Guid.NewGuid().ToString("N")[..6]).Name;

    private static string Log(PipelineStepResult step) => File.ReadAllText(step.LogPath!);

    [Fact]
    public async Task A_cache_misses_on_the_first_run_hits_on_the_second_and_is_restored_as_the_account()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "restore deps", "type": "cache-files", "key": "deps-{{context.branch}}", "fileNames": [".cache/**", "vendor"]},
              {"name": "build", "run": [
                "if [ -f .cache/dep.txt ]; then echo \"hit $(cat .cache/dep.txt) owner=$(stat -c %U .cache/dep.txt) vendor=$(cat vendor/lib.txt)\"; else mkdir -p .cache vendor && echo {{context.commit}} > .cache/dep.txt && echo lib > vendor/lib.txt && echo miss; fi"
              ]}
            ]}
            """);
        var first = _repo.CommitAndPush("cache");
        var project = NewProject();

        var run1 = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineRunStatus.Succeeded, run1.Status);
        Assert.Equal("cache miss (key 'deps-main')", run1.Steps[0].Reason);
        Assert.Contains("out  miss", Log(run1.Steps[1]));
        Assert.True(Log(run1.Steps[0]).Contains("saved cache 'deps-main': 2 files"), Log(run1.Steps[0]));
        var cache = Assert.Single(_h.Engine.GetPipelineArtifacts(project, kind: PipelineFileKind.Cache));
        Assert.Equal(("deps-main", run1.RunId, 2), (cache.Key, cache.RunId, cache.FileCount));

        _repo.Write("other.txt", "a later commit");
        _repo.CommitAndPush("later");
        var run2 = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineRunStatus.Succeeded, run2.Status);
        Assert.Equal("cache hit (key 'deps-main')", run2.Steps[0].Reason);
        // The files of the first run's commit, restored into the second run's workspace, owned by the account that runs it.
        var user = _h.Engine.GetProject(project).ServiceUser ?? Environment.UserName;
        Assert.Contains($"out  hit {first} owner={user} vendor=lib", Log(run2.Steps[1]));
    }

    [Fact]
    public async Task A_failed_run_saves_no_cache()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "cache", "type": "cache-files", "key": "build", "fileNames": ["out"]},
              {"name": "build", "run": "mkdir -p out && echo x > out/x"},
              {"name": "tests", "run": "exit 1"}
            ]}
            """);
        _repo.CommitAndPush("failing");
        var project = NewProject();
        var run = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineRunStatus.Failed, run.Status);
        Assert.Empty(_h.Engine.GetPipelineArtifacts(project));
        Assert.False(Directory.Exists(Path.Combine(_h.DataPath, "caches", project)) &&
                     Directory.EnumerateFiles(Path.Combine(_h.DataPath, "caches", project)).Any());
    }

    [Fact]
    public async Task An_artifact_is_kept_until_its_expiry_fetched_as_a_tar_and_then_expired_and_removed()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "build", "run": "mkdir -p dist/js && echo app > dist/app.txt && echo js > dist/js/main.js && echo log > build.log"},
              {"name": "keep dist", "type": "store-files", "key": "dist-{{context.branch}}", "fileNames": ["dist"], "expiry": 3600},
              {"name": "keep log", "type": "store-files", "key": "../../../etc/{{context.branch}}", "fileNames": ["*.log"], "expiry": 60},
              {"name": "nothing", "type": "store-files", "key": "none", "fileNames": ["missing/*"], "continueOnError": true}
            ]}
            """);
        _repo.CommitAndPush("artifacts");
        var project = NewProject();
        var run = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Equal(PipelineStepStatus.Failed, run.Steps[3].Status);
        Assert.Equal("no file matches missing/*", run.Steps[3].Reason);
        Assert.Contains("stored 2 files", Log(run.Steps[1]));

        var listed = _h.Engine.GetPipelineArtifacts(project, run.RunId);
        Assert.Equal(new[] { "../../../etc/main", "dist-main" }, listed.Select(a => a.Key).Order(StringComparer.Ordinal));
        var log = listed.Single(a => a.Key.EndsWith("etc/main"));
        Assert.InRange((log.ExpiresAt - log.CreatedAt).TotalSeconds, 59, 61);
        // The key is a name, never a path: the archive lies in the run's artifact directory whatever the key says.
        var files = Directory.EnumerateFiles(Path.Combine(_h.DataPath, "artifacts", project, run.RunId)).ToList();
        Assert.Equal(2, files.Count);
        Assert.All(files, f => Assert.Matches("^[0-9a-f]{64}\\.tar$", Path.GetFileName(f)));

        var tar = Path.Combine(_out.Path, "dist.tar");
        var fetched = _h.Engine.SavePipelineArtifact(project, "dist-main", tar, run.RunId);
        Assert.Equal(PipelineFileKind.Artifact, fetched.Kind);
        Assert.Equal(new[] { "dist/app.txt", "dist/js/main.js" }, TarFiles(tar).Where(n => !n.EndsWith('/')).Order());
        var again = Assert.Throws<CicdException>(() => _h.Engine.SavePipelineArtifact(project, "dist-main", tar));
        Assert.Contains("use --force", again.Message);
        _h.Engine.SavePipelineArtifact(project, "dist-main", tar, force: true);
        Assert.Equal(CicdError.ArtifactNotFound,
            Assert.Throws<CicdException>(() => _h.Engine.SavePipelineArtifact(project, "none", Path.Combine(_out.Path, "x.tar"))).Error);

        // Two minutes on, the 60-second artifact has expired (row and file); an hour and more on, both have.
        _h.Engine.PipelineHousekeepingAt(DateTimeOffset.UtcNow.AddMinutes(2));
        Assert.Equal("dist-main", Assert.Single(_h.Engine.GetPipelineArtifacts(project)).Key);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_h.DataPath, "artifacts", project, run.RunId)));
        _h.Engine.PipelineHousekeepingAt(DateTimeOffset.UtcNow.AddHours(2));
        Assert.Empty(_h.Engine.GetPipelineArtifacts(project));
        Assert.False(Directory.Exists(Path.Combine(_h.DataPath, "artifacts", project, run.RunId)));
    }

    [Fact]
    public async Task Over_the_size_cap_the_least_recently_used_artifact_is_evicted()
    {
        // 15 000 random bytes each (incompressible, and tar does not compress): tar pads each archive to 20 480 bytes: two fit under the 50 000-byte cap, three do not.
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "make", "run": "for n in a b c; do head -c 15000 /dev/urandom > $n.bin; done"},
              {"name": "a", "condition": "context.event == 'push'", "type": "store-files", "key": "a", "fileNames": ["a.bin"]},
              {"name": "b", "condition": "context.event == 'push'", "type": "store-files", "key": "b", "fileNames": ["b.bin"]},
              {"name": "c", "condition": "context.event == 'manual'", "type": "store-files", "key": "c", "fileNames": ["c.bin"]}
            ]}
            """);
        _repo.CommitAndPush("sizes");
        var project = NewProject();
        var first = await _h.Engine.RunPipelineAsync(project, eventName: "push");
        Assert.Equal(PipelineRunStatus.Succeeded, first.Status);
        Assert.Equal(new[] { "a", "b" }, _h.Engine.GetPipelineArtifacts(project).Select(a => a.Key).Order());
        // Fetching a is a use: b becomes the least recently used.
        _h.Engine.SavePipelineArtifact(project, "a", Path.Combine(_out.Path, "a.tar"));

        var second = await _h.Engine.RunPipelineAsync(project, eventName: "manual");
        Assert.Equal(PipelineRunStatus.Succeeded, second.Status);
        Assert.Equal(new[] { "a", "c" }, _h.Engine.GetPipelineArtifacts(project).Select(a => a.Key).Order());
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(_h.DataPath, "artifacts", project), "*.tar", SearchOption.AllDirectories).Count());
    }

    [RootFact]
    public async Task A_link_to_a_root_only_file_is_archived_as_a_link_and_nothing_outside_the_workspace_is_read_or_written()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "links", "run": "ln -s /etc/shadow leak && ln -s /root rootdir && mkdir -p out && ln -s /etc out/etc"},
              {"name": "store", "type": "store-files", "key": "links", "fileNames": ["leak", "rootdir/*", "out/**"]},
              {"name": "restore into a link", "type": "cache-files", "key": "k", "fileNames": ["x"], "downloadPath": "out/etc/cicdops-pwned"}
            ]}
            """);
        _repo.Write("x", "x").CommitAndPush("links");
        var project = NewProject();
        var run = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        var tar = Path.Combine(_out.Path, "links.tar");
        _h.Engine.SavePipelineArtifact(project, "links", tar);
        using (var reader = new TarReader(File.OpenRead(tar)))
        {
            var entries = new List<TarEntry>();
            while (reader.GetNextEntry() is { } e) entries.Add(e);
            var leak = entries.Single(e => e.Name == "leak");
            Assert.Equal(TarEntryType.SymbolicLink, leak.EntryType);
            Assert.Equal("/etc/shadow", leak.LinkName);
            // Nothing of /root (root-only: the account cannot list it) and nothing of /etc through out/etc.
            Assert.DoesNotContain(entries, e => e.Name.StartsWith("rootdir/") || e.Name.StartsWith("out/etc/"));
        }

        // The second run hits the cache the first saved and restores it into out/etc/... -> /etc/...: as the account,
        // which may not write there, so the step fails and /etc is untouched.
        var second = await _h.Engine.RunPipelineAsync(project);
        Assert.Equal(PipelineStepStatus.Failed, second.Steps[2].Status);
        Assert.StartsWith("restoring cache 'k' failed: exited with code", second.Steps[2].Reason);
        Assert.False(File.Exists("/etc/cicdops-pwned"));
    }

    private static List<string> TarFiles(string tar)
    {
        using var reader = new TarReader(File.OpenRead(tar));
        var names = new List<string>();
        while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        return names;
    }
}
