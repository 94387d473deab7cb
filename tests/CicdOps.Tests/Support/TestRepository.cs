namespace CicdOps.Tests.Support;

/// <summary>
/// A real bare git repository on disk plus a clone to author commits in. Tests write .cicd scripts,
/// commit and push, exactly as a developer would.
/// </summary>
public sealed class TestRepository : IDisposable
{
    private readonly TempDirectory _dir = new("cicdops-repo");

    public TestRepository(string branch = "main")
    {
        Branch = branch;
        BarePath = _dir.Combine("origin.git");
        WorkPath = _dir.Combine("author");
        Run.Command("git", null, "init", "--quiet", "--bare", "--initial-branch=" + branch, BarePath);
        Run.Command("git", null, "init", "--quiet", "--initial-branch=" + branch, WorkPath);
        Git("config", "user.email", "dev@example.com");
        Git("config", "user.name", "Dev");
        Git("config", "commit.gpgsign", "false");
        Git("remote", "add", "origin", BarePath);
    }

    public string Branch { get; }
    public string BarePath { get; }
    public string WorkPath { get; }
    public string Url => "file://" + BarePath;

    public TestRepository Write(string relativePath, string content, bool executable = false)
    {
        var full = Path.Combine(WorkPath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content.Replace("\r\n", "\n"));
        if (executable) File.SetUnixFileMode(full, (UnixFileMode)0b111_101_101);
        return this;
    }

    public TestRepository Delete(string relativePath) { File.Delete(Path.Combine(WorkPath, relativePath)); return this; }

    /// <summary>Commits everything and pushes to the bare repository; returns the new SHA.</summary>
    public string CommitAndPush(string message = "change", string? branch = null)
    {
        Git("add", "-A");
        Git("commit", "--quiet", "--allow-empty", "-m", message);
        Git("push", "--quiet", "origin", "HEAD:refs/heads/" + (branch ?? Branch));
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] args) => Run.Command("git", WorkPath, args);

    public void Dispose() => _dir.Dispose();
}
